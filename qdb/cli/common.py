"""Options and loading shared by the commands."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from qdb.io.load import LoadResult
    from qdb.models import Matchup


class Fmt(str, Enum):
    """Output formats of the tabular commands."""

    table = "table"
    json = "json"
    markdown = "markdown"


VERDICT_STYLE = {
    "offset": "bold green",
    "matched": "green",
    "shortfall": "bold red",
    "indeterminate": "bold yellow",
    "uncontested": "dim",
}
OUTPUT_OPT = typer.Option(None, "-o", "--output", help="Write to this file.", show_default=False)


def console() -> Console:
    """A rich console: the terminal's width, or 160 columns when output is piped."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 160, highlight=False)


DATA_OPT = typer.Option(
    None,
    "--data",
    help="A folder laid out like data/ (default: the bundled data).",
    show_default=False,
)
BLUE_OPT = typer.Option("ukraine", "--blue", help="The side whose quality must offset numbers.")
RED_OPT = typer.Option("russia", "--red", help="The side with the numerical advantage.")
AS_OF_OPT = typer.Option(
    None,
    "--as-of",
    help="Use each side's latest snapshot at or before this date (YYYY-MM-DD).",
    show_default=False,
)
SET_OPT = typer.Option(
    None,
    "--set",
    help="A what-if EDIT, e.g. ukraine:patriot.quantity+=4 (repeatable).",
    show_default=False,
)
SCENARIO_OPT = typer.Option(
    None, "--scenario", help="A YAML scenario file of edits.", show_default=False
)


MAX_SAMPLES = 10_000_000
"""Most Monte Carlo samples a command accepts (memory grows with the count)."""


def budget_option(value: float | None) -> float | None:
    """``--budget``: finite and at most 1e12 (million USD), else a usage error.

    (A negative budget is the optimiser's own error.)
    """
    import math

    from qdb.models.estimate import MAX_MAGNITUDE

    if value is not None and not (math.isfinite(value) and value <= MAX_MAGNITUDE):
        raise typer.BadParameter(
            f"{value:g} is not a budget; give at most {MAX_MAGNITUDE:g} (million USD)",
            param_hint="--budget",
        )
    return value


def parse_date(value: str | None, option: str = "--as-of") -> dt.date | None:
    """Parse an ISO date option or exit 2 with a usage message."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=option) from None


def data_root(data: Path | None) -> Path:
    """The data folder a command reads: ``--data`` or the bundled data."""
    from qdb.io.load import bundled_data_dir

    return Path(data) if data is not None else bundled_data_dir()


def load(data: Path | None) -> LoadResult:
    """Load and validate a data folder, through the cache of validated folders.

    Each file is read once: the cache key is computed from the bytes that are
    then parsed. An interrupted ``--write`` (a journal in the folder) is
    completed first.
    """
    from qdb.io.atomic import folder_lock
    from qdb.io.cache import dataset_key, load_cached, store
    from qdb.io.load import LoadResult, load_dataset, read_folder

    root = data_root(data)
    recover_folder(root)
    with folder_lock(root, shared=True):  # never half of a multi-file commit
        snap = read_folder(root)
    key = dataset_key(snap)
    if key is not None:
        hit = load_cached(key)
        if hit is not None:
            return LoadResult(hit[0], hit[1], {})
    res = load_dataset(root, snap)
    if key is not None:
        store(key, res.dataset, res.warnings)
    return res


def recover_folder(root: Path) -> None:
    """Complete an interrupted multi-file write in ``root`` (under its lock), if any."""
    from qdb.io.atomic import folder_lock, has_journal, recover

    if root.is_dir() and has_journal(root):
        with folder_lock(root):
            recover(root)


def print_warnings(res: LoadResult, quiet: bool = False) -> None:
    """Warnings to stderr (one line each)."""
    if quiet:
        return
    from qdb.explain import escape_controls

    for w in res.warnings:
        print(escape_controls(str(w)), file=sys.stderr)


def matchup(
    data: Path | None,
    blue: str,
    red: str,
    as_of: str | None,
    sets: list[str] | None = None,
    scenario: Path | None = None,
) -> tuple[Matchup, LoadResult]:
    """Load, choose snapshots and apply what-if edits."""
    res = load(data)
    m = res.dataset.matchup(blue, red, parse_date(as_of))
    if sets or scenario:
        from qdb.whatif import apply_cli_edits

        m = apply_cli_edits(m, sets or [], scenario)
    return m, res


def emit(text: str, output: Path | None = None) -> None:
    """Write text to a file atomically, or to stdout.

    Raises
    ------
    FileWriteError
        ``-o`` names something qdb must not replace (see
        :func:`qdb.io.atomic.check_output_path`), or the write fails; one line.
    """
    if output is None:
        from qdb.explain import escape_controls

        write_stdout(escape_controls(text if text.endswith("\n") else text + "\n"))
        return
    from qdb.io.atomic import atomic_write_bytes, check_output_path

    atomic_write_bytes(check_output_path(output), text.encode("utf-8"))


def write_stdout(text: str) -> None:
    """Write to stdout and flush, turning a failure (``/dev/full``) into a one-line error."""
    from qdb.io.atomic import FileWriteError

    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        raise FileWriteError(f"cannot write to standard output: {exc.strerror or exc}") from None


def render(
    fmt: Fmt,
    output: Path | None,
    data: Callable[[], Any],
    markdown: Callable[[], str],
    table: Callable[[], None],
) -> None:
    """Emit JSON or Markdown (also what ``-o FILE`` gets in table mode), or print the table."""
    if fmt is Fmt.json:
        emit(dumps_json(data()), output)
    elif fmt is Fmt.markdown or output is not None:
        emit(markdown(), output)
    else:
        table()


def dumps_json(obj: Any) -> str:
    """Deterministic JSON (sorted keys are not used: the contract's key order is kept)."""
    import json

    from qdb.errors import QdbError
    from qdb.explain import _UNSAFE

    try:
        text = json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        # DEL, C1 controls and bidi overrides as \\u escapes (they occur only in strings)
        return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    except ValueError as exc:  # NaN or infinity: never emitted, whatever produced it
        where = _non_finite_path(obj) or "?"
        raise QdbError(
            f"a result is not a finite number (at {where}); no output written. "
            "An input is out of range; please report it with the command that produced it"
        ) from exc


def _non_finite_path(obj: Any, path: str = "") -> str | None:
    """JSON path of the first NaN or infinity in ``obj``."""
    import math

    if isinstance(obj, float) and not math.isfinite(obj):
        return path or "."
    if isinstance(obj, dict):
        for k, v in obj.items():
            found = _non_finite_path(v, f"{path}.{k}")
            if found:
                return found
    if isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            found = _non_finite_path(v, f"{path}[{i}]")
            if found:
                return found
    return None
