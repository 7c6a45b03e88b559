"""Safe file reads and writes: capped reads, atomic replacement, folder locks, journals.

Reads (:func:`read_capped`) are bounded before anything is read: a data file
must be a regular file of at most :data:`MAX_BYTES` bytes (a FIFO, a device or
``/dev/zero`` is refused without reading it; a stream such as ``/dev/stdin`` is
allowed where asked for and read at most ``cap + 1`` bytes). Every file read
is remembered (device and inode) so that ``-o`` can refuse to overwrite one of
the command's own inputs.

Writes (:func:`atomic_write_bytes`, :func:`commit_files`) go through a
temporary file in the target's own folder, fsync, rename. A symlink is
written through to its target (resolved to an absolute path, so the result
does not depend on the working folder); owner, group and mode are kept, and a
file whose owner cannot be kept is refused. Several files are committed
together with a journal (:data:`JOURNAL`) in the data folder: every new file
is staged and fsynced first, then the journal, then the renames; a later run
(:func:`recover`) finishes an interrupted commit, or discards staged files of
a commit whose journal was never written. :func:`folder_lock` serialises
writers (and recovery) on one data folder with an advisory ``fcntl`` lock.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from qdb.errors import DataError, Problem, QdbError

__all__ = [
    "JOURNAL",
    "LOCK_FILE",
    "MAX_BYTES",
    "FileWriteError",
    "atomic_write_bytes",
    "check_output_path",
    "commit_files",
    "folder_lock",
    "has_journal",
    "is_input",
    "read_capped",
    "recover",
]

MAX_BYTES = 4 * 1024 * 1024
"""Largest file qdb reads (data files and scenarios are a few kilobytes)."""

LOCK_FILE = ".qdb.lock"
JOURNAL = ".qdb-journal.json"

_INPUTS: set[tuple[int, int]] = set()


class FileWriteError(QdbError, OSError):
    """A file could not be written (one line: which file and why); nothing half-written."""


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


# --- reading ------------------------------------------------------------------------------


def read_capped(
    path: Path | str, label: str, cap: int = MAX_BYTES, allow_stream: bool = False
) -> bytes:
    """The bytes of ``path``, refusing anything that is not a regular file of at most ``cap``.

    Parameters
    ----------
    path : Path or str
        The file.
    label : str
        The file as messages name it.
    cap : int
        Most bytes accepted.
    allow_stream : bool
        Accept a pipe or character device (``/dev/stdin``), reading at most
        ``cap + 1`` bytes of it.

    Raises
    ------
    DataError
        One located problem: unreadable, not a regular file, or too large.
    """

    def fail(msg: str) -> DataError:
        return DataError([Problem(label, 1, 1, "", msg)])

    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    if not allow_stream:
        flags |= getattr(os, "O_NONBLOCK", 0)  # a FIFO must not block the open
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise fail(f"cannot read: {_why(exc)}") from None
    try:
        st = os.fstat(fd)
        regular = stat.S_ISREG(st.st_mode)
        if not regular and not (allow_stream and not stat.S_ISDIR(st.st_mode)):
            raise fail(f"is {_kind_of(st.st_mode)}; expected a YAML file")
        if regular and st.st_size > cap:
            raise fail(f"file is {st.st_size / 2**20:.1f} MiB; the limit is {cap // 2**20} MiB")
        chunks: list[bytes] = []
        total = 0
        while total <= cap:
            chunk = os.read(fd, min(1 << 20, cap + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > cap:
            raise fail(f"file is over the limit of {cap // 2**20} MiB")
        if regular:
            _INPUTS.add((st.st_dev, st.st_ino))
        return b"".join(chunks)
    except OSError as exc:
        raise fail(f"cannot read: {_why(exc)}") from None
    finally:
        os.close(fd)


def is_input(st: os.stat_result) -> bool:
    """True when the file ``st`` describes was read as an input by this process."""
    return (st.st_dev, st.st_ino) in _INPUTS


# --- output paths -------------------------------------------------------------------------


def check_output_path(path: Path | str, option: str = "-o") -> Path:
    """The file ``-o`` may write, or a one-line error.

    Refused: an empty name, a folder, a FIFO, device or socket, one of the
    command's inputs, a file in a folder that does not exist (parents are not
    created: a mistyped folder must not silently appear).

    Raises
    ------
    FileWriteError
    """
    text = str(path)
    if not text or text == ".":
        raise FileWriteError(f"{option}: the file name is empty")
    p = Path(os.path.realpath(text)) if os.path.islink(text) else Path(text)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise FileWriteError(f"{option} {text}: {_why(exc)}") from None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise FileWriteError(
                f"{option} {text}: is {_kind_of(st.st_mode)}; give a file name to write"
            )
        if is_input(st):
            raise FileWriteError(
                f"{option} {text}: is one of this command's input files; write somewhere else"
            )
        return p
    if text.endswith(os.sep):
        raise FileWriteError(f"{option} {text}: names a folder; give a file name to write")
    parent = p.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise FileWriteError(
            f"{option} {text}: the folder {parent} {what} (qdb does not create folders; "
            f"mkdir -p it first)"
        )
    return p


# --- writing ------------------------------------------------------------------------------


def _resolve(path: Path | str) -> Path:
    """The file a write must replace: symlinks followed, absolute."""
    return Path(os.path.realpath(os.path.abspath(path)))


def _stage(target: Path, data: bytes) -> str:
    """Write ``data`` to a fsynced temporary file next to ``target`` with its owner and mode."""
    folder = target.parent
    try:
        old = os.stat(target)
    except FileNotFoundError:
        old = None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if old is not None:
                if (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
                    try:
                        os.fchown(fh.fileno(), old.st_uid, old.st_gid)
                    except OSError:
                        raise FileWriteError(
                            f"{target}: owned by another user or group (uid {old.st_uid}, "
                            f"gid {old.st_gid}) that qdb cannot keep; nothing written"
                        ) from None
                os.fchmod(fh.fileno(), stat.S_IMODE(old.st_mode))
            else:  # a new file gets the usual permissions (0666 less umask)
                umask = os.umask(0)
                os.umask(umask)
                os.fchmod(fh.fileno(), 0o666 & ~umask)
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Replace ``path`` with ``data``: readers see the old or the new file, never a mix.

    A symlink is written through to its target; owner, group and mode are kept.

    Raises
    ------
    FileWriteError
        One line naming the file and the reason; the old file is untouched.
    """
    target = _resolve(path)
    tmp = None
    try:
        tmp = _stage(target, data)
        os.replace(tmp, target)
        tmp = None
        _fsync_dir(target.parent)
    except FileWriteError:
        raise
    except OSError as exc:
        raise FileWriteError(f"cannot write {path}: {_why(exc)}; nothing written") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


# --- locks ----------------------------------------------------------------------------------


@contextlib.contextmanager
def folder_lock(folder: Path | str, shared: bool = False) -> Iterator[None]:
    """Hold the advisory lock of data folder ``folder`` (blocking until it is free).

    Writers take it exclusively and fail closed: without ``fcntl`` (not POSIX)
    or a lock file nothing may be written. Readers (``shared=True``) take it
    shared when the lock file exists, so they never read a multi-file commit
    half renamed, and go on unlocked when it cannot be had (read-only data).

    Raises
    ------
    FileWriteError
        Writers only: the platform has no ``fcntl`` or the lock file cannot be opened.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        if shared:
            yield
            return
        raise FileWriteError(
            "writing data files needs POSIX file locks (fcntl), not available here"
        ) from None
    lock = Path(folder) / LOCK_FILE
    if shared:
        try:
            fd = os.open(lock, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)
        return
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EROFS, errno.EPERM):
            raise FileWriteError(f"cannot lock {folder}: {_why(exc)}") from None
        try:  # a read-only folder: lock an existing lock file read-only
            fd = os.open(lock, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            raise FileWriteError(
                f"cannot lock {folder}: {_why(exc)} (the folder must be writable)"
            ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


# --- multi-file commits ---------------------------------------------------------------------


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def commit_files(folder: Path | str, files: Sequence[tuple[Path, bytes]]) -> None:
    """Replace every file of ``files`` or none, with a journal in ``folder`` (hold its lock).

    Stages and fsyncs every new file, then writes the journal (atomically),
    then renames in order and removes the journal. If the run dies or a
    rename fails after the journal is written, :func:`recover` (run by the
    next command on that folder) completes the commit; before the journal is
    written nothing has changed and the staged files are removed.

    Raises
    ------
    FileWriteError
        A file could not be staged (nothing changed), or a rename failed
        after the commit point (the message says the next run completes it).
    """
    folder = Path(folder)
    if len(files) == 1:
        atomic_write_bytes(*files[0])
        return
    staged: list[tuple[str, Path, bytes]] = []
    journal = folder / JOURNAL
    try:
        for path, data in files:
            target = _resolve(path)
            try:
                staged.append((_stage(target, data), target, data))
            except FileWriteError:
                raise
            except OSError as exc:
                raise FileWriteError(f"cannot write {path}: {_why(exc)}; nothing written") from None
        entries = [{"tmp": t, "target": str(p), "sha256": _digest(d)} for t, p, d in staged]
        try:
            atomic_write_bytes(journal, json.dumps({"qdb_journal": 1, "files": entries}).encode())
        except FileWriteError as exc:
            raise FileWriteError(f"{exc}; no data file changed") from None
    except BaseException:
        for t, _, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(t)
        raise
    # committed: from here on the change is completed, now or by the next run
    try:
        _roll_forward(journal, entries)
    except OSError as exc:
        raise FileWriteError(
            f"write interrupted ({_why(exc)}): the next qdb command on {folder} completes it "
            f"from {JOURNAL}"
        ) from None


def _roll_forward(journal: Path, entries: list[dict[str, str]]) -> None:
    for e in entries:
        tmp, target = e["tmp"], Path(e["target"])
        if os.path.lexists(tmp):
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        else:  # renamed by an earlier attempt: the target must hold the new bytes
            try:
                have = _digest(target.read_bytes())
            except OSError:
                have = ""
            if have != e["sha256"]:
                raise OSError(
                    errno.EIO, f"{target} holds neither the staged nor the committed bytes"
                )
    os.unlink(journal)
    _fsync_dir(journal.parent)


def recover(folder: Path | str) -> bool:
    """Complete a commit interrupted in ``folder`` (call with its lock held).

    Returns
    -------
    bool
        True when a journal was found and completed.

    Raises
    ------
    FileWriteError
        A journal exists but cannot be completed (e.g. the folder is read-only).
    """
    journal = Path(folder) / JOURNAL
    if not journal.exists():
        _remove_stale_temps(Path(folder))
        return False
    try:
        doc = json.loads(journal.read_bytes())
        entries = [
            {"tmp": str(e["tmp"]), "target": str(e["target"]), "sha256": str(e["sha256"])}
            for e in doc["files"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FileWriteError(
            f"{journal}: an interrupted write's journal is unreadable ({exc}); "
            "check the data files and delete it"
        ) from None
    try:
        _roll_forward(journal, entries)
    except OSError as exc:
        raise FileWriteError(
            f"{journal}: cannot complete an interrupted write: {_why(exc)}"
        ) from None
    return True


def _remove_stale_temps(folder: Path) -> None:
    """Remove files staged by a commit that died before its journal was in place (never data)."""
    for sub in (folder, folder / "force_inventories", folder / "commitments"):
        with contextlib.suppress(OSError):
            for p in sub.iterdir():
                name = p.name
                if (
                    name.startswith(".")
                    and name.endswith(".tmp")
                    and (
                        ".yaml." in name.lower()
                        or ".yml." in name.lower()
                        or name.startswith(f".{JOURNAL}.")  # the journal, staged then killed
                    )
                    and time.time() - p.lstat().st_mtime > 600  # not another run's, in flight
                ):
                    p.unlink()


def has_journal(folder: Path | str) -> bool:
    """True when ``folder`` holds the journal of an interrupted write."""
    return (Path(folder) / JOURNAL).exists()
