"""A cache of validated data folders, so repeated commands skip YAML parsing.

The pure-Python round-trip YAML parser (needed for line/column positions and
for comment-preserving writes) costs tens of milliseconds per thousand lines.
A folder that validated once is stored as a pickle keyed by the SHA-256 of
every data file's path and bytes plus the qdb version: any change to any file
(or to qdb) is a miss, and a miss simply parses again. Only folders that
loaded without errors are stored. ``QDB_CACHE_DIR`` moves the cache (default
``$XDG_CACHE_HOME/qdb`` or ``~/.cache/qdb``); ``QDB_NO_CACHE=1`` disables it.
A corrupt or unreadable entry is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

__all__ = ["cache_dir", "dataset_key", "load_cached", "store"]

_FORMAT = 1


def cache_dir() -> Path | None:
    """Where entries live, or None when caching is disabled."""
    if os.environ.get("QDB_NO_CACHE"):
        return None
    if os.environ.get("QDB_CACHE_DIR"):
        return Path(os.environ["QDB_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qdb"


def dataset_key(root: Path) -> str | None:
    """Digest of a data folder's YAML files (names and bytes); None if unreadable."""
    from qdb import __version__

    h = hashlib.sha256(f"qdb {__version__} cache {_FORMAT}\n".encode())
    try:
        # the validation rules: a change to the loader or the models is a miss
        pkg = Path(__file__).resolve().parent.parent
        for rule in sorted(
            [*pkg.glob("models/*.py"), pkg / "io" / "load.py", pkg / "io" / "yamlread.py"]
        ):
            h.update(rule.read_bytes())
        files = [root / "catalog.yaml"]
        for sub in ("force_inventories", "commitments"):
            folder = root / sub
            if folder.is_dir():
                files += sorted(
                    p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
                )
        for f in files:
            data = f.read_bytes()
            h.update(f"{f.relative_to(root)}\0{len(data)}\0".encode())
            h.update(data)
    except (OSError, ValueError):
        return None
    h.update(str(Path.cwd()).encode())  # messages carry paths relative to the working directory
    h.update(
        str(root.resolve()).encode()
    )  # the dataset records its files' paths (--write uses them)
    return h.hexdigest()


def load_cached(key: str) -> Any | None:
    """The stored object for ``key``, or None."""
    d = cache_dir()
    if d is None:
        return None
    try:
        with open(d / f"{key}.pickle", "rb") as fh:
            return pickle.load(fh)
    except Exception:  # any unreadable entry is a miss
        return None


def store(key: str, obj: Any) -> None:
    """Store ``obj`` under ``key`` (atomically; failures are ignored)."""
    d = cache_dir()
    if d is None:
        return
    with contextlib.suppress(Exception):
        d.mkdir(parents=True, exist_ok=True)
        from qdb.io.atomic import atomic_write_bytes

        atomic_write_bytes(d / f"{key}.pickle", pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
