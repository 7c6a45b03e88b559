"""Read calibration CSVs: a daily attrition series and the CDB90 battles file.

Every problem is located ``file:line:col: column: problem`` (1-based), all of
a file's problems at once, as :class:`~qdb.errors.DataError`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from pathlib import Path

from qdb.calibrate.battles import QUALITY_CODES, Battle
from qdb.calibrate.series import Series
from qdb.errors import DataError, Problem, SelectionError

__all__ = [
    "SERIES_COLUMNS",
    "default_cdb90_dir",
    "load_cdb90",
    "load_series",
    "parse_cdb90",
    "parse_column_map",
    "parse_series",
]

MAX_BYTES = 4 * 2**20
SERIES_REQUIRED = ("day", "blue", "red")
SERIES_OPTIONAL = (
    "blue_reinforcements",
    "red_reinforcements",
    "blue_losses",
    "red_losses",
)
SERIES_COLUMNS = SERIES_REQUIRED + SERIES_OPTIONAL
CDB90_FILE = "CDB90-patched.csv"


def _read(path: Path | str) -> tuple[str, str]:
    from qdb.io.load import display_path

    p = Path(path)
    label = display_path(p)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise DataError([Problem(label, 1, 1, "", f"file is over {MAX_BYTES // 2**20} MiB")])
        raw = p.read_bytes()
    except OSError as exc:
        raise DataError([Problem(label, 1, 1, "", f"cannot read: {exc.strerror or exc}")]) from None
    try:
        return raw.decode("utf-8-sig"), label
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError([Problem(label, line, 1, "", "not UTF-8 text")]) from None


def _rows(text: str, source: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line, cells) of each non-blank data row."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = [c.strip() for c in cells]
            else:
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise DataError([Problem(source, reader.line_num, 1, "", f"bad CSV: {exc}")]) from None
    if header is None:
        raise DataError([Problem(source, 1, 1, "", "empty file: expected a header row")])
    return header, rows


def parse_column_map(items: list[str] | None) -> dict[str, str]:
    """``["blue=forces_allies", ...]`` -> ``{"blue": "forces_allies", ...}``.

    Raises
    ------
    DataError
        An item is not ``COLUMN=HEADER`` or names a column the series does not have.
    """
    out: dict[str, str] = {}
    for item in items or []:
        target, sep, header = item.partition("=")
        target, header = target.strip(), header.strip()
        if not sep or not target or not header:
            raise DataError([Problem("--column", 1, 1, item, "expected COLUMN=HEADER")])
        if target not in SERIES_COLUMNS:
            raise DataError(
                [
                    Problem(
                        "--column",
                        1,
                        1,
                        item,
                        f"unknown column; one of {', '.join(SERIES_COLUMNS)}",
                    )
                ]
            )
        out[target] = header
    return out


def parse_series(
    text: str, source: str = "<series>", columns: Mapping[str, str] | None = None
) -> Series:
    """Validate the text of a daily-series CSV.

    Parameters
    ----------
    text : str
        CSV with a header row: ``day``, ``blue``, ``red`` and optionally
        ``blue_reinforcements``, ``red_reinforcements``, ``blue_losses``, ``red_losses``.
    source : str
        The file name used in messages.
    columns : mapping, optional
        Series column -> header in this file (e.g. ``{"blue": "forces_allies"}``);
        headers not mapped must carry the series' own names.

    Returns
    -------
    Series

    Raises
    ------
    DataError
        Every problem, located ``file:line:col: column: problem``.
    """
    header, rows = _rows(text, source)
    mapping = dict(columns or {})
    rename = {h: t for t, h in mapping.items()}
    names = [rename.get(h, h) for h in header]
    problems: list[Problem] = []
    for t, h in mapping.items():
        if h not in header:
            problems.append(Problem(source, 1, 1, t, f"--column {t}={h}: no header {h!r}"))
    index: dict[str, int] = {}
    for j, name in enumerate(names):
        if name in index:
            problems.append(Problem(source, 1, j + 1, name, "duplicate column"))
        elif name not in SERIES_COLUMNS:
            problems.append(
                Problem(
                    source,
                    1,
                    j + 1,
                    header[j],
                    f"unknown column; expected {', '.join(SERIES_COLUMNS)} "
                    "(map others with --column COLUMN=HEADER)",
                )
            )
        else:
            index[name] = j
    for req in SERIES_REQUIRED:
        if req not in index:
            problems.append(Problem(source, 1, 1, req, "missing required column"))
    if problems:
        raise DataError(problems)
    if len(rows) < 2:
        raise DataError(
            [Problem(source, 1, 1, "", "need at least two data rows (a start and a day)")]
        )

    values: dict[str, list[float | None]] = {name: [] for name in index}
    prev_day: float | None = None
    for i, (line, cells) in enumerate(rows):
        if len(cells) != len(header):
            problems.append(
                Problem(source, line, 1, "", f"{len(cells)} cells; the header has {len(header)}")
            )
            continue
        for name, j in index.items():
            cell = cells[j].strip()
            v: float | None = None
            if cell == "":
                if name == "day" or (i == 0 and name in ("blue", "red")):
                    where = "the first row" if name != "day" else "any row"
                    problems.append(
                        Problem(source, line, j + 1, name, f"blank; not allowed in {where}")
                    )
                elif name.endswith("_losses"):
                    problems.append(
                        Problem(source, line, j + 1, name, "blank; give 0 or drop the column")
                    )
            else:
                try:
                    v = float(cell)
                except ValueError:
                    problems.append(Problem(source, line, j + 1, name, f"{cell!r} is not a number"))
                    v = None
                else:
                    if not math.isfinite(v):
                        problems.append(
                            Problem(source, line, j + 1, name, f"{cell!r} is not finite")
                        )
                        v = None
                    elif v < 0 and name != "day":
                        problems.append(Problem(source, line, j + 1, name, f"{cell} is negative"))
            if name == "day" and v is not None:
                if prev_day is not None and v <= prev_day:
                    problems.append(
                        Problem(source, line, j + 1, name, f"{cell} does not follow {prev_day:g}")
                    )
                prev_day = v
            values[name].append(v)
    if problems:
        raise DataError(problems)

    def opt(name: str, blank: float | None = 0.0) -> tuple[float, ...] | None:
        if name not in values:
            return None
        return tuple(blank if x is None else x for x in values[name])  # type: ignore[misc]

    return Series(
        day=tuple(float(x) for x in values["day"] if x is not None),
        blue=tuple(values["blue"]),
        red=tuple(values["red"]),
        blue_reinforcements=opt("blue_reinforcements"),
        red_reinforcements=opt("red_reinforcements"),
        blue_losses=opt("blue_losses"),
        red_losses=opt("red_losses"),
        source=source,
    )


def load_series(path: Path | str, columns: Mapping[str, str] | None = None) -> Series:
    """Read and validate a daily-series CSV file (see :func:`parse_series`).

    Raises
    ------
    DataError
        The file cannot be read or is invalid (every problem located).
    """
    text, label = _read(path)
    return parse_series(text, label, columns)


# --- CDB90 -------------------------------------------------------------------------

_CDB_NUMBERS = (
    "ISQNO",
    "WINA",
    "INTSTA",
    "INTSTD",
    "CASA",
    "CASD",
    "TANKA",
    "TANKD",
    "CTANKA",
    "CTANKD",
    "CEA",
    *QUALITY_CODES,
)


def parse_cdb90(text: str, source: str = CDB90_FILE) -> list[Battle]:
    """Validate the text of ``CDB90-patched.csv`` into battles.

    Missing-value codes of the CAA codebook become ``None``: ``-1`` (or blank)
    for strengths, casualties and armour, ``-9`` for ``WINA``, ``CEA`` and the
    qualitative codes. The year is ``ATPBYR1`` (start of the first active
    period), else ``YR1``; 9999 is unknown.

    Raises
    ------
    DataError
        A needed column is missing or a cell is not a number (every problem located).
    """
    header, rows = _rows(text, source)
    need = ("NAME", "WAR", "ATPBYR1", "YR1", *_CDB_NUMBERS)
    index = {h: j for j, h in enumerate(header)}
    missing = [Problem(source, 1, 1, c, "missing required column") for c in need if c not in index]
    if missing:
        raise DataError(missing)
    problems: list[Problem] = []
    battles: list[Battle] = []
    for line, cells in rows:
        if len(cells) < len(header):
            problems.append(
                Problem(source, line, 1, "", f"{len(cells)} cells; the header has {len(header)}")
            )
            continue
        num: dict[str, float | None] = {}
        for name in (*_CDB_NUMBERS, "ATPBYR1", "YR1"):
            j = index[name]
            cell = cells[j].strip()
            if cell == "":
                num[name] = None
                continue
            try:
                num[name] = float(cell)
            except ValueError:
                problems.append(Problem(source, line, j + 1, name, f"{cell!r} is not a number"))
                num[name] = None
        year = None
        for yname in ("ATPBYR1", "YR1"):
            y = num[yname]
            if y is not None and 0 < y < 9999:
                year = int(y)
                break

        battles.append(
            Battle(
                isqno=int(num["ISQNO"] or 0),
                name=cells[index["NAME"]].strip(),
                war=cells[index["WAR"]].strip(),
                year=year,
                wina=_code(num, "WINA"),
                str_a=_amount(num, "INTSTA"),
                str_d=_amount(num, "INTSTD"),
                cas_a=_amount(num, "CASA"),
                cas_d=_amount(num, "CASD"),
                tank_a=_amount(num, "TANKA"),
                tank_d=_amount(num, "TANKD"),
                ctank_a=_amount(num, "CTANKA"),
                ctank_d=_amount(num, "CTANKD"),
                cea=_code(num, "CEA"),
                codes=tuple(_code(num, c) for c in QUALITY_CODES),
            )
        )
    if problems:
        raise DataError(problems)
    return battles


def _amount(num: Mapping[str, float | None], name: str) -> float | None:
    """A strength, casualty or armour count; -1 (any negative) is missing."""
    v = num[name]
    return None if v is None or v < 0 else v


def _code(num: Mapping[str, float | None], name: str) -> int | None:
    """A coded value; -9 is missing."""
    v = num[name]
    return None if v is None or v == -9 else int(v)


def load_cdb90(directory: Path | str) -> list[Battle]:
    """Read ``CDB90-patched.csv`` from a CDB90 folder (see :func:`parse_cdb90`).

    ``WINA`` is taken from the patched file because the tidy ``battles.csv``
    writes ``wina = -1`` as empty (shared/data/PROVENANCE.md section 1).

    Raises
    ------
    SelectionError
        The folder has no ``CDB90-patched.csv``.
    DataError
        The file cannot be read or is invalid.
    """
    d = Path(directory)
    f = d / CDB90_FILE
    if not f.is_file():
        raise SelectionError(f"{d}: no {CDB90_FILE} here (give the CDB90 folder)")
    text, label = _read(f)
    return parse_cdb90(text, label)


def default_cdb90_dir() -> Path | None:
    """``../shared/data/cdb90`` beside the repository checkout, if it exists."""
    repo = Path(__file__).resolve().parents[2]
    d = repo.parent / "shared" / "data" / "cdb90"
    return d if (d / CDB90_FILE).is_file() else None
