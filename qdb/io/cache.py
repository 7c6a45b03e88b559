"""A cache of validated data folders, so repeated commands skip YAML parsing.

The pure-Python round-trip YAML parser (needed for line/column positions and
for comment-preserving writes) costs tens of milliseconds per thousand lines.
A folder that validated without errors is stored as JSON: the models dumped
with ``model_dump(mode="json", by_alias=True)`` and read back with
``model_validate``, so an entry is data, never code, and passes the same
validation as the YAML it came from.

Key: SHA-256 of the qdb version, the validation rules (models and loader
sources), every data file's name and bytes (the bytes the loader then parses:
each file is read once, see :func:`qdb.io.load.read_folder`), the working
folder and the data folder. Any change is a miss, and a miss parses again.

Integrity (threat model): an entry carries an HMAC-SHA256 over the engine
version, the key and the content, keyed with a per-user secret kept outside
the cache folder (``$XDG_STATE_HOME/qdb/cache-secret``, mode 0600). An entry
planted or edited by anyone who cannot read that secret (a shared
``QDB_CACHE_DIR``, a restored CI cache, a corrupted disk) fails the check: it
is ignored, the folder is parsed again and the entry rewritten. Someone who
can read your secret can already edit your data files; the cache does not
defend against them. When the secret cannot be kept (no home folder, a
read-only one), nothing is cached.

``QDB_CACHE_DIR`` moves the cache (default ``$XDG_CACHE_HOME/qdb`` or
``~/.cache/qdb``); ``QDB_NO_CACHE=1`` disables it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qdb.errors import Problem
    from qdb.io.load import FolderSnapshot
    from qdb.models import Dataset

__all__ = ["cache_dir", "dataset_key", "load_cached", "store"]

_FORMAT = 2
_MAX_ENTRY = 64 * 1024 * 1024


def _home() -> Path | None:
    """The home folder, or None when it cannot be known (HOME unset, no passwd entry)."""
    try:
        return Path.home()
    except (RuntimeError, KeyError, OSError):
        return None


def cache_dir() -> Path | None:
    """Where entries live, or None when caching is disabled or there is no home folder."""
    if os.environ.get("QDB_NO_CACHE"):
        return None
    if os.environ.get("QDB_CACHE_DIR"):
        return Path(os.environ["QDB_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "qdb"
    home = _home()
    return home / ".cache" / "qdb" if home is not None else None


def _secret_path() -> Path | None:
    base = os.environ.get("XDG_STATE_HOME")
    if base:
        return Path(base) / "qdb" / "cache-secret"
    home = _home()
    return home / ".local" / "state" / "qdb" / "cache-secret" if home is not None else None


def _secret() -> bytes | None:
    """The per-user key of the entries' HMAC (created on first use), or None."""
    path = _secret_path()
    if path is None:
        return None
    try:
        with open(path, "rb") as fh:
            key = fh.read(65)
        if len(key) == 32:
            return key
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        return key
    except FileExistsError:  # another process created it meanwhile
        with contextlib.suppress(OSError), open(path, "rb") as fh:
            key = fh.read(65)
            return key if len(key) == 32 else None
        return None
    except OSError:
        return None


def _engine() -> str:
    from qdb import __version__

    return f"qdb {__version__} cache {_FORMAT}"


def dataset_key(snapshot: FolderSnapshot) -> str | None:
    """Digest of a data folder's files as read once (names and bytes); None if any is unreadable."""
    h = hashlib.sha256(f"{_engine()}\n".encode())
    try:
        # the validation rules: a change to the loader or the models is a miss
        pkg = Path(__file__).resolve().parent.parent
        for rule in sorted(
            [*pkg.glob("models/*.py"), pkg / "io" / "load.py", pkg / "io" / "yamlread.py"]
        ):
            h.update(rule.read_bytes())
        if snapshot.problems:
            return None
        root = snapshot.root
        for f in snapshot.files:
            data = snapshot.raw.get(f)
            if not isinstance(data, bytes):
                return None
            h.update(f"{f.relative_to(root)}\0{len(data)}\0".encode())
            h.update(data)
        h.update(str(Path.cwd()).encode())  # messages carry paths relative to the working folder
        h.update(str(root.resolve()).encode())  # the dataset records its files' paths
    except (OSError, ValueError, RuntimeError):
        return None
    return h.hexdigest()


def _mac(secret: bytes, key: str, content: bytes) -> str:
    m = hmac.new(secret, f"{_engine()}\0{key}\0".encode(), hashlib.sha256)
    m.update(content)
    return m.hexdigest()


def _entry_path(key: str) -> Path | None:
    d = cache_dir()
    return None if d is None else d / f"{key}.json"


def _to_json(dataset: Dataset, warnings: list[Problem]) -> dict[str, Any]:
    def dump(m: Any) -> Any:
        return m.model_dump(mode="json", by_alias=True)

    return {
        "catalog": dump(dataset.catalog),
        "inventories": [dump(m) for m in dataset.inventories],
        "commitments": [dump(m) for m in dataset.commitments],
        "catalog_path": dataset.catalog_path,
        "inventory_paths": list(dataset.inventory_paths),
        "commitment_paths": list(dataset.commitment_paths),
        "warnings": [dataclasses.asdict(w) for w in warnings],
    }


def _year_keys(commitment: dict[str, Any]) -> dict[str, Any]:
    """JSON object keys are text: give ``funding_musd`` its integer years back."""
    out = dict(commitment)
    funding = out.get("funding_musd")
    if isinstance(funding, dict):
        out["funding_musd"] = {
            int(k) if isinstance(k, str) and k.isdigit() else k: v for k, v in funding.items()
        }
    return out


def _from_json(d: dict[str, Any]) -> tuple[Dataset, list[Problem]]:
    from qdb.errors import Problem
    from qdb.models import Catalog, Commitment, Dataset, Inventory

    ds = Dataset(
        catalog=Catalog.model_validate(d["catalog"]),
        inventories=tuple(Inventory.model_validate(x) for x in d["inventories"]),
        commitments=tuple(Commitment.model_validate(_year_keys(x)) for x in d["commitments"]),
        catalog_path=str(d["catalog_path"]),
        inventory_paths=tuple(str(x) for x in d["inventory_paths"]),
        commitment_paths=tuple(str(x) for x in d["commitment_paths"]),
    )
    if not (
        len(ds.inventory_paths) == len(ds.inventories)
        and len(ds.commitment_paths) == len(ds.commitments)
    ):
        raise ValueError("paths do not match the models")
    warnings = [Problem(**w) for w in d["warnings"]]
    return ds, warnings


def load_cached(key: str) -> tuple[Dataset, list[Problem]] | None:
    """The dataset and warnings stored for ``key``, or None (a miss).

    An entry that is unreadable, too large, not JSON, fails its HMAC or no
    longer validates is a miss (and is overwritten by the next :func:`store`).
    """
    path = _entry_path(key)
    secret = _secret()
    if path is None or secret is None:
        return None
    try:
        from qdb.io.atomic import read_capped

        raw = read_capped(path, str(path), cap=_MAX_ENTRY)
        head, _, content = raw.partition(b"\n")
        entry = json.loads(head)
        if not isinstance(entry, dict) or entry.get("engine") != _engine():
            return None
        if entry.get("key") != key or not hmac.compare_digest(
            str(entry.get("hmac", "")), _mac(secret, key, content)
        ):
            return None
        return _from_json(json.loads(content))
    except Exception:  # any unreadable or invalid entry is a miss
        return None


def store(key: str, dataset: Dataset, warnings: list[Problem]) -> None:
    """Store a validated folder under ``key`` (atomically; failures are ignored)."""
    path = _entry_path(key)
    secret = _secret()
    if path is None or secret is None:
        return
    with contextlib.suppress(Exception):
        content = json.dumps(
            _to_json(dataset, warnings), allow_nan=False, separators=(",", ":")
        ).encode()
        head = json.dumps({"engine": _engine(), "key": key, "hmac": _mac(secret, key, content)})
        path.parent.mkdir(parents=True, exist_ok=True)
        from qdb.io.atomic import atomic_write_bytes

        atomic_write_bytes(path, head.encode() + b"\n" + content)
