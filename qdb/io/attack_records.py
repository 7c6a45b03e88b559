"""Read the published air-attack records (CSV) and the weapon-class file (YAML).

The records are the public "Massive Missile Attacks on Ukraine" data set
(Ukrainian Air Force and regional air command reports compiled by Petro
Ivaniuk), read exactly as published: columns ``time_start``, ``time_end``,
``model``, ``launched``, ``destroyed`` are required; ``not_reach_goal``,
``still_attacking``, ``target`` and ``source`` are read when present; any other
column is ignored. Counts are written ``57.0`` in the published file: a count
must be a whole number >= 0 (``57.0`` is 57), or blank.

Refused before parsing: files over :data:`MAX_BYTES`, binary (NUL bytes) or
non-UTF-8 content. Every bad row is reported, one line each, as
``file:line:column: column_name: problem`` (line and column 1-based; the column
is the cell's position in the header).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Iterator
from pathlib import Path

from qdb.errors import DataError, Problem
from qdb.models.weapons import AttackRecord, WeaponClasses

__all__ = [
    "COUNT_COLUMNS",
    "MAX_BYTES",
    "MAX_PROBLEMS",
    "MAX_ROWS",
    "REQUIRED_COLUMNS",
    "bundled_weapon_classes_path",
    "load_attack_records",
    "load_weapon_classes",
    "parse_attack_records",
    "parse_weapon_classes",
]

MAX_BYTES = 16 * 1024 * 1024
"""Largest records file read (the published file is ~0.6 MiB for 2,700 rows)."""
MAX_ROWS = 200_000
"""Most rows read; the published file has a few thousand."""
MAX_PROBLEMS = 50
"""Problems listed before the rest are summarised in one line."""
MAX_COUNT = 1_000_000
"""No single report counts more weapons (the largest night is under 1,000)."""

REQUIRED_COLUMNS = ("time_start", "time_end", "model", "launched", "destroyed")
COUNT_COLUMNS = ("launched", "destroyed", "not_reach_goal", "still_attacking")
_OPTIONAL_TEXT = ("target", "source")

_TIME = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")


def _parse_time(text: str) -> tuple[dt.datetime, bool]:
    """``(datetime, dated_only)`` from ``YYYY-MM-DD[ HH:MM[:SS]]``; ValueError if not one."""
    m = _TIME.match(text)
    if not m:
        raise ValueError(
            f"not a time (got {text.strip()[:40]!r}); expected YYYY-MM-DD or YYYY-MM-DD HH:MM"
        )
    y, mo, d, h, mi, s = m.groups()
    try:
        t = dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
    except ValueError as exc:
        raise ValueError(f"not a valid date or time ({text.strip()!r}: {exc})") from None
    return t, h is None


def _parse_count(text: str) -> int | None:
    """A whole number >= 0 written as ``57`` or ``57.0``; blank (or ``NaN``) is None."""
    s = text.strip()
    if not s or s.lower() == "nan":
        return None
    try:
        v = float(s)
    except ValueError:
        raise ValueError(f"not a number (got {s[:40]!r}); expected a whole number >= 0") from None
    if not math.isfinite(v) or v < 0 or v != int(v):
        raise ValueError(f"must be a whole number >= 0 (got {s[:40]!r})")
    if v > MAX_COUNT:
        raise ValueError(f"{s} is more than {MAX_COUNT:,} weapons in one report")
    return int(v)


def _lines(text: str) -> Iterator[str]:
    yield from text.splitlines(keepends=True)


def parse_attack_records(raw: bytes | str, source: str = "<records>") -> list[AttackRecord]:
    """Parse the published attack-record CSV into typed records.

    Parameters
    ----------
    raw : bytes or str
        The file's content.
    source : str
        The file as the user named it (for messages).

    Returns
    -------
    list of AttackRecord
        In file order.

    Raises
    ------
    DataError
        Listing every bad row (up to :data:`MAX_PROBLEMS`), each
        ``file:line:column: column_name: problem``.

    Examples
    --------
    >>> rows = parse_attack_records(
    ...     "time_start,time_end,model,launched,destroyed\\n"
    ...     "2025-07-08 20:00,2025-07-09 08:30,Shahed-136/131,728.0,296.0\\n"
    ... )
    >>> rows[0].launched, rows[0].destroyed, rows[0].night.isoformat()
    (728, 296, '2025-07-08')
    """

    def fail(msg: str, line: int = 1, col: int = 1, field: str = "") -> DataError:
        return DataError([Problem(source, line, col, field, msg)])

    if isinstance(raw, bytes):
        if len(raw) > MAX_BYTES:
            raise fail(f"file is {len(raw) / 2**20:.1f} MiB; the limit is {MAX_BYTES // 2**20} MiB")
        if b"\x00" in raw:
            raise fail("binary file (NUL bytes); expected UTF-8 CSV text")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise fail(
                f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", line
            ) from None
    else:
        text = raw
        if len(text) > MAX_BYTES:
            raise fail(
                f"text is over {MAX_BYTES // 2**20} MiB; the limit is {MAX_BYTES // 2**20} MiB"
            )
        if "\x00" in text:
            raise fail("binary content (NUL characters); expected CSV text")
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise fail("file is empty; expected a header line " + ",".join(REQUIRED_COLUMNS) + ",...")

    reader = csv.reader(_lines(text))
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise fail(f"CSV: {exc}") from None
    index: dict[str, int] = {}
    problems: list[Problem] = []
    for i, name in enumerate(header):
        if name in index and name in (*REQUIRED_COLUMNS, *COUNT_COLUMNS, *_OPTIONAL_TEXT):
            problems.append(Problem(source, 1, i + 1, name, "column appears twice in the header"))
        index.setdefault(name, i)
    missing = [c for c in REQUIRED_COLUMNS if c not in index]
    if missing:
        problems.append(
            Problem(
                source,
                1,
                1,
                "",
                f"header lacks column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                f"(the published format has {', '.join(REQUIRED_COLUMNS)}, ...)",
            )
        )
    if problems:
        raise DataError(problems)

    records: list[AttackRecord] = []
    prev_end = reader.line_num
    rows = 0
    while True:
        line = prev_end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(source, line, 1, "", f"CSV: {exc}"))
            break
        prev_end = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        rows += 1
        if rows > MAX_ROWS:
            problems.append(
                Problem(
                    source, line, 1, "", f"more than {MAX_ROWS:,} rows; is this the right file?"
                )
            )
            break
        row_problems: list[Problem] = []

        def bad(col: str, msg: str, _line: int = line, _out: list[Problem] = row_problems) -> None:
            _out.append(Problem(source, _line, index.get(col, 0) + 1, col, msg))

        if len(row) != len(header):
            problems.append(
                Problem(
                    source,
                    line,
                    1,
                    "",
                    f"row has {len(row)} cells; the header has {len(header)} "
                    "(a comma inside a value needs double quotes)",
                )
            )
            continue

        def cell(col: str, _row: list[str] = row) -> str:
            i = index.get(col)
            return _row[i] if i is not None else ""

        start: dt.datetime | None = None
        dated_only = False
        end: dt.datetime | None = None
        try:
            if not cell("time_start").strip():
                raise ValueError("is blank; every row needs the time the attack started")
            start, dated_only = _parse_time(cell("time_start"))
        except ValueError as exc:
            bad("time_start", str(exc))
        if cell("time_end").strip():
            try:
                end, _ = _parse_time(cell("time_end"))
            except ValueError as exc:
                bad("time_end", str(exc))
        if start is not None and end is not None and end < start:
            bad("time_end", f"{end:%Y-%m-%d %H:%M} is before time_start {start:%Y-%m-%d %H:%M}")
        model = " ".join(cell("model").split())
        if not model:
            bad("model", "is blank; every row names the weapon")
        counts: dict[str, int | None] = {}
        for col in COUNT_COLUMNS:
            try:
                counts[col] = _parse_count(cell(col))
            except ValueError as exc:
                bad(col, str(exc))
                counts[col] = None
        launched, destroyed = counts["launched"], counts["destroyed"]
        if launched is not None and destroyed is not None and destroyed > launched:
            bad("destroyed", f"{destroyed} destroyed is more than the {launched} launched")
        if row_problems or start is None:
            problems.extend(row_problems)
            continue
        records.append(
            AttackRecord(
                line=line,
                time_start=start,
                time_end=end,
                dated_only=dated_only,
                model=model,
                launched=launched,
                destroyed=destroyed,
                not_reach_goal=counts["not_reach_goal"],
                still_attacking=counts["still_attacking"],
                target=cell("target").strip(),
                source=cell("source").strip(),
            )
        )
    if problems:
        shown = sorted(problems)[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(
                Problem(
                    source,
                    shown[-1].line,
                    1,
                    "",
                    f"... and {len(problems) - MAX_PROBLEMS} more problems",
                )
            )
        raise DataError(shown)
    return records


def load_attack_records(path: Path | str) -> list[AttackRecord]:
    """Read and parse an attack-record CSV file (size checked before reading).

    Raises
    ------
    DataError
        If the file cannot be read, is too large, or has bad rows.
    """
    from qdb.io.load import display_path

    p = Path(path)
    label = display_path(p)
    try:
        size = p.stat().st_size
        if not p.is_file():
            raise DataError(
                [Problem(label, 1, 1, "", "not a file; expected the attack-record CSV")]
            )
    except OSError as exc:
        raise DataError([Problem(label, 1, 1, "", f"cannot read: {exc.strerror or exc}")]) from None
    if size > MAX_BYTES:
        raise DataError(
            [
                Problem(
                    label,
                    1,
                    1,
                    "",
                    f"file is {size / 2**20:.1f} MiB; the limit is {MAX_BYTES // 2**20} MiB",
                )
            ]
        )
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DataError([Problem(label, 1, 1, "", f"cannot read: {exc.strerror or exc}")]) from None
    return parse_attack_records(raw, label)


def parse_weapon_classes(text: str, source: str = "<weapon classes>") -> WeaponClasses:
    """Validate weapon-class YAML text (every problem located, raised together).

    Raises
    ------
    DataError
        ``file:line:col: field: problem`` for each problem.
    """
    from qdb.io.load import _validate
    from qdb.io.yamlread import parse_yaml

    return _validate(parse_yaml(text, source), WeaponClasses)


def load_weapon_classes(path: Path | str | None = None) -> WeaponClasses:
    """Read and validate a weapon-class file (default: the bundled one).

    Raises
    ------
    DataError
        If the file cannot be read or is invalid.
    """
    from qdb.io.load import _read

    doc = _read(path if path is not None else bundled_weapon_classes_path())
    return parse_weapon_classes(doc.text, doc.path)


def bundled_weapon_classes_path() -> Path:
    """``weapon_classes.yaml`` in the bundled data folder."""
    from qdb.io.load import bundled_data_dir

    return bundled_data_dir() / "weapon_classes.yaml"
