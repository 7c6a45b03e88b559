"""Crash safety of writes with the failure injected at known points (issue #17 item 3).

Two kinds of failure:

* an *error* (a full disk, a failed rename, an interrupt) raised at a known point
  of :mod:`qdb.io.atomic`, in process: the targets keep their old bytes and no
  temporary file or journal is left behind;
* a *hard kill*: a child process announces that it has reached a known point
  (half the bytes in the temporary file, just before a rename, just after one)
  and waits there; the test then sends it SIGKILL, so the kill provably lands
  inside the write. After the next run's recovery each file holds the old or the
  new bytes, a multi-file edit is all old or all new, and both outcomes are seen.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import qdb.io.atomic as A

OLD_A = b"".join(b"a: old line %d\n" % i for i in range(20_000))
NEW_A = b"".join(b"a: NEW LINE %d\n" % i for i in range(20_000))
OLD_B = b"b: old\n" * 10_000
NEW_B = b"b: NEW\n" * 10_000


def _folder(tmp_path: Path) -> tuple[Path, Path, Path]:
    folder = tmp_path / "data"
    folder.mkdir()
    a, b = folder / "a.yaml", folder / "b.yaml"
    a.write_bytes(OLD_A)
    b.write_bytes(OLD_B)
    return folder, a, b


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in ("a.yaml", "b.yaml"))


class _HalfThenFail:
    """A file object that writes half of what it is given, then fails like a full disk."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh

    def __enter__(self) -> _HalfThenFail:
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self.fh.__exit__(*exc)

    def write(self, data: bytes) -> int:
        self.fh.write(data[: len(data) // 2])
        self.fh.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        self.fh.flush()

    def fileno(self) -> int:
        return int(self.fh.fileno())


def _fail_nth_fdopen(monkeypatch: pytest.MonkeyPatch, nth: int) -> list[int]:
    real = os.fdopen
    calls: list[int] = []

    def fdopen(fd: int, *args: Any, **kw: Any) -> Any:
        fh = real(fd, *args, **kw)
        calls.append(fd)
        return _HalfThenFail(fh) if len(calls) == nth else fh

    monkeypatch.setattr(os, "fdopen", fdopen)
    return calls


def _fail_nth_replace(
    monkeypatch: pytest.MonkeyPatch, nth: int, exc: BaseException
) -> list[tuple[str, str]]:
    real = os.replace
    calls: list[tuple[str, str]] = []

    def replace(src: Any, dst: Any) -> None:
        calls.append((str(src), str(dst)))
        if len(calls) == nth:
            raise exc
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    return calls


# ---------------------------------------------------------------------------
# Errors at known points, in process
# ---------------------------------------------------------------------------


def test_single_file_half_written_temp_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, a, _ = _folder(tmp_path)
    calls = _fail_nth_fdopen(monkeypatch, 1)
    with pytest.raises(A.FileWriteError, match=r"a\.yaml"):
        A.atomic_write_bytes(a, NEW_A)
    assert len(calls) == 1  # the failure was injected where intended
    assert a.read_bytes() == OLD_A
    assert _leftovers(folder) == []


@pytest.mark.parametrize(
    "exc", [OSError(errno.EIO, "I/O error"), KeyboardInterrupt()], ids=["oserror", "interrupt"]
)
def test_single_file_failure_before_the_rename_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    folder, a, _ = _folder(tmp_path)
    calls = _fail_nth_replace(monkeypatch, 1, exc)
    with pytest.raises((A.FileWriteError, KeyboardInterrupt)):
        A.atomic_write_bytes(a, NEW_A)
    assert calls and calls[0][1] == str(a.resolve())
    assert Path(calls[0][0]).name.startswith(".a.yaml.")  # the staged temp, full and fsynced
    assert a.read_bytes() == OLD_A
    assert _leftovers(folder) == []


@pytest.mark.parametrize("nth", [1, 2, 3], ids=["first-file", "second-file", "journal"])
def test_multi_file_half_written_temp_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nth: int
) -> None:
    folder, a, b = _folder(tmp_path)
    calls = _fail_nth_fdopen(monkeypatch, nth)
    with pytest.raises(A.FileWriteError):
        A.commit_files(folder, [(a, NEW_A), (b, NEW_B)])
    assert len(calls) == nth
    assert (a.read_bytes(), b.read_bytes()) == (OLD_A, OLD_B)
    assert _leftovers(folder) == []
    assert A.recover(folder) is False  # nothing for the next run to complete


def test_multi_file_failure_between_two_files_is_completed_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, a, b = _folder(tmp_path)
    # os.replace calls: 1 the journal, 2 a.yaml, 3 b.yaml
    calls = _fail_nth_replace(monkeypatch, 3, OSError(errno.EIO, "I/O error"))
    with pytest.raises(A.FileWriteError, match="next qdb command"):
        A.commit_files(folder, [(a, NEW_A), (b, NEW_B)])
    assert [Path(d).name for _, d in calls] == [A.JOURNAL, "a.yaml", "b.yaml"]
    # the mixed state exists only while the journal says how to finish it
    assert (a.read_bytes(), b.read_bytes()) == (NEW_A, OLD_B)
    assert A.has_journal(folder)
    monkeypatch.undo()
    assert A.recover(folder) is True
    assert (a.read_bytes(), b.read_bytes()) == (NEW_A, NEW_B)
    assert _leftovers(folder) == []


def test_multi_file_failure_before_the_first_rename_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, a, b = _folder(tmp_path)
    _fail_nth_replace(monkeypatch, 1, OSError(errno.EIO, "I/O error"))  # the journal's rename
    with pytest.raises(A.FileWriteError, match="no data file changed"):
        A.commit_files(folder, [(a, NEW_A), (b, NEW_B)])
    assert (a.read_bytes(), b.read_bytes()) == (OLD_A, OLD_B)
    assert _leftovers(folder) == []


# ---------------------------------------------------------------------------
# SIGKILL at known points, in a child process
# ---------------------------------------------------------------------------

CHILD = r"""
import os, sys, time
from pathlib import Path
import qdb.io.atomic as A

folder, point, nth, kind = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
count = [0]


def pause(where):
    count[0] += 1
    if count[0] == nth:
        sys.stdout.write(f"at {where} {count[0]}\n")
        sys.stdout.flush()
        time.sleep(120)  # the parent kills us here


if point == "half":  # half of a temporary file's bytes written and flushed
    real_fdopen = os.fdopen

    class Half:
        def __init__(self, fh):
            self.fh = fh
        def __enter__(self):
            return self
        def __exit__(self, *e):
            return self.fh.__exit__(*e)
        def write(self, data):
            n = self.fh.write(data[: len(data) // 2])
            self.fh.flush()
            os.fsync(self.fh.fileno())
            pause("half")
            return n + self.fh.write(data[len(data) // 2 :])
        def flush(self):
            self.fh.flush()
        def fileno(self):
            return self.fh.fileno()

    os.fdopen = lambda fd, *a, **k: Half(real_fdopen(fd, *a, **k))
elif point == "rename":  # just before a rename
    real_replace = os.replace
    def replace(src, dst):
        pause("rename")
        real_replace(src, dst)
    os.replace = replace
elif point == "after":  # just after a rename (the directory fsync that follows it)
    real_sync = A._fsync_dir
    def sync(d):
        real_sync(d)
        pause("after")
    A._fsync_dir = sync

a, b = folder / "a.yaml", folder / "b.yaml"
new_a, new_b = Path(sys.argv[5]).read_bytes(), Path(sys.argv[6]).read_bytes()
if kind == "single":
    A.atomic_write_bytes(a, new_a)
else:
    A.commit_files(folder, [(a, new_a), (b, new_b)])
sys.stdout.write("finished\n")
"""


# (kind, point, nth call of that point, expected contents after the next run's recovery)
# multi-file call order: temps a, b, journal; renames journal, a, b; directory fsyncs
# after the journal's rename, a's, b's, and the journal's removal.
KILLS = [
    ("single", "half", 1, "old"),
    ("single", "rename", 1, "old"),
    ("single", "after", 1, "new"),
    ("multi", "half", 1, "old"),
    ("multi", "half", 2, "old"),
    ("multi", "half", 3, "old"),
    ("multi", "rename", 1, "old"),
    ("multi", "rename", 2, "new"),
    ("multi", "rename", 3, "new"),  # between the two files
    ("multi", "after", 2, "new"),
    ("multi", "after", 4, "new"),
]


def _kill_at(tmp_path: Path, kind: str, point: str, nth: int) -> tuple[Path, Path, Path]:
    folder, a, b = _folder(tmp_path)
    (tmp_path / "new_a").write_bytes(NEW_A)
    (tmp_path / "new_b").write_bytes(NEW_B)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            str(folder),
            point,
            str(nth),
            kind,
            str(tmp_path / "new_a"),
            str(tmp_path / "new_b"),
        ],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line == f"at {point} {nth}\n".encode(), line  # the kill lands inside the write
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    return folder, a, b


def _next_run(folder: Path) -> None:
    """What the next qdb command on the folder does, ten minutes later."""
    old = time.time() - 601
    for p in folder.iterdir():
        if p.name.endswith(".tmp"):
            os.utime(p, (old, old))
    A.recover(folder)


@pytest.mark.parametrize(("kind", "point", "nth", "expected"), KILLS)
def test_sigkill_at_a_known_point(
    tmp_path: Path, kind: str, point: str, nth: int, expected: str
) -> None:
    folder, a, b = _kill_at(tmp_path, kind, point, nth)
    # straight after the kill, each file is whole: old or new, never a mix of bytes
    assert a.read_bytes() in (OLD_A, NEW_A)
    assert b.read_bytes() in (OLD_B, NEW_B)
    _next_run(folder)
    want = (NEW_A, NEW_B) if expected == "new" else (OLD_A, OLD_B)
    if kind == "single":
        assert a.read_bytes() == want[0] and b.read_bytes() == OLD_B
    else:
        assert (a.read_bytes(), b.read_bytes()) == want
    assert not A.has_journal(folder)
    left = _leftovers(folder)
    if left == [A.LOCK_FILE]:
        left = []
    assert left == [], left


def test_sigkill_both_outcomes_are_seen(tmp_path: Path) -> None:
    """The kills above land both before and after the commit point, so both outcomes occur."""
    seen = set()
    for i, (kind, point, nth, _) in enumerate(
        [("single", "rename", 1, "old"), ("single", "after", 1, "new")]
    ):
        (tmp_path / str(i)).mkdir()
        folder, a, _ = _kill_at(tmp_path / str(i), kind, point, nth)
        seen.add({OLD_A: "old", NEW_A: "new"}[a.read_bytes()])
    assert seen == {"old", "new"}
