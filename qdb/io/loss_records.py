"""Read published equipment-loss records: Oryx running tallies and General Staff claims.

* Oryx (visually confirmed losses, both sides), as scraped by
  ``scarnecchia/oryx_data``: ``daily_count.csv`` with columns ``country``,
  ``equipment_type``, ``type_total``, ``date_recorded`` (a running tally per
  country and category). A lower bound of real losses.
* Ukrainian General Staff claims of Russian losses, as compiled by
  ``PetroIvaniuk/2022-Ukraine-Russia-War-Dataset``:
  ``russia_losses_equipment.json``, one object a day with cumulative counts
  (``tank``, ``APC``, ``field artillery``, ``MRL``, ...). One belligerent's
  claims: qdb uses them only as an upper bound.

Files over :data:`MAX_BYTES` are refused before they are read; a bad row is a
located one-line error.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from qdb.errors import DataError, Problem

__all__ = [
    "CLAIMS_FILE",
    "MAX_BYTES",
    "ORYX_FILE",
    "Tallies",
    "load_claims",
    "load_oryx_tallies",
    "parse_claims",
    "parse_oryx_tallies",
]

MAX_BYTES = 16 * 1024 * 1024
ORYX_FILE = "daily_count.csv"
CLAIMS_FILE = "russia_losses_equipment.json"

Tallies = dict[tuple[str, str], list[tuple[dt.date, float]]]
"""(country, category) -> [(date, cumulative total)] sorted by date."""


def _read(path: Path, what: str) -> tuple[bytes, str]:
    from qdb.io.load import display_path

    label = display_path(path)
    try:
        size = path.stat().st_size
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
        return path.read_bytes(), label
    except OSError as exc:
        raise DataError(
            [Problem(label, 1, 1, "", f"cannot read {what}: {exc.strerror or exc}")]
        ) from None


def _text(raw: bytes, label: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            [Problem(label, line, 1, "", "not UTF-8 text; save the file as UTF-8")]
        ) from None


def parse_oryx_tallies(text: str, source: str = "<oryx>") -> Tallies:
    """Parse Oryx ``daily_count.csv`` into running tallies per country and category.

    Raises
    ------
    DataError
        A missing column or a bad date or total, located.
    """
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise DataError(
            [Problem(source, 1, 1, "", "file is empty; expected the Oryx daily_count.csv")]
        ) from None
    need = ("country", "equipment_type", "type_total", "date_recorded")
    missing = [c for c in need if c not in header]
    if missing:
        raise DataError(
            [
                Problem(
                    source,
                    1,
                    1,
                    "",
                    f"header lacks {', '.join(missing)} (expected Oryx daily_count.csv)",
                )
            ]
        )
    ix = {c: header.index(c) for c in need}
    out: dict[tuple[str, str], list[tuple[dt.date, float]]] = {}
    problems: list[Problem] = []
    prev = reader.line_num
    for row in reader:
        line = prev + 1
        prev = reader.line_num
        if not row:
            continue
        if len(row) != len(header):
            problems.append(
                Problem(
                    source, line, 1, "", f"row has {len(row)} cells; the header has {len(header)}"
                )
            )
            continue
        try:
            day = dt.date.fromisoformat(row[ix["date_recorded"]].strip())
        except ValueError:
            problems.append(
                Problem(
                    source,
                    line,
                    ix["date_recorded"] + 1,
                    "date_recorded",
                    f"not a date (got {row[ix['date_recorded']][:40]!r})",
                )
            )
            continue
        try:
            total = float(row[ix["type_total"]])
            if not total >= 0:
                raise ValueError
        except ValueError:
            problems.append(
                Problem(
                    source,
                    line,
                    ix["type_total"] + 1,
                    "type_total",
                    f"not a count >= 0 (got {row[ix['type_total']][:40]!r})",
                )
            )
            continue
        key = (row[ix["country"]].strip(), " ".join(row[ix["equipment_type"]].split()))
        out.setdefault(key, []).append((day, total))
        if len(problems) > 50:
            break
    if problems:
        raise DataError(problems[:50])
    return {k: sorted(v) for k, v in sorted(out.items())}


def load_oryx_tallies(folder: Path | str) -> Tallies:
    """Read ``daily_count.csv`` from an Oryx data folder (or the file itself)."""
    p = Path(folder)
    if p.is_dir():
        p = p / ORYX_FILE
    raw, label = _read(p, "the Oryx tallies")
    return parse_oryx_tallies(_text(raw, label), label)


def parse_claims(text: str, source: str = "<claims>") -> list[tuple[dt.date, dict[str, float]]]:
    """Parse the General Staff claims (cumulative counts a day), sorted by date.

    Raises
    ------
    DataError
        Not a JSON list of objects with a ``date``, or a bad count.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError([Problem(source, exc.lineno, exc.colno, "", f"JSON: {exc.msg}")]) from None
    if not isinstance(data, list):
        raise DataError([Problem(source, 1, 1, "", "expected a JSON list of daily objects")])
    out: list[tuple[dt.date, dict[str, float]]] = []
    for i, obj in enumerate(data):
        where = f"[{i}]"
        if not isinstance(obj, dict) or not isinstance(obj.get("date"), str):
            raise DataError([Problem(source, 1, 1, where, "expected an object with a `date`")])
        try:
            day = dt.date.fromisoformat(obj["date"])
        except ValueError:
            raise DataError(
                [Problem(source, 1, 1, f"{where}.date", f"not a date (got {obj['date'][:40]!r})")]
            ) from None
        counts: dict[str, float] = {}
        for k, v in obj.items():
            if k in ("date", "day", "greatest losses direction"):
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or not v >= 0:
                if v is None:
                    continue
                raise DataError(
                    [Problem(source, 1, 1, f"{where}.{k}", f"not a count >= 0 (got {v!r})")]
                )
            counts[k] = float(v)
        out.append((day, counts))
    return sorted(out, key=lambda x: x[0])


def load_claims(folder: Path | str) -> list[tuple[dt.date, dict[str, float]]]:
    """Read ``russia_losses_equipment.json`` from the claims folder (or the file itself)."""
    p = Path(folder)
    if p.is_dir():
        p = p / CLAIMS_FILE
    raw, label = _read(p, "the General Staff claims")
    return parse_claims(_text(raw, label), label)
