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


def parse_date(value: str | None, option: str = "--as-of") -> dt.date | None:
    """Parse an ISO date option or exit 2 with a usage message."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=option) from None


def load(data: Path | None) -> LoadResult:
    """Load and validate a data folder, through the cache of validated folders."""
    from qdb.io.cache import dataset_key, load_cached, store
    from qdb.io.load import LoadResult, bundled_data_dir, load_dataset

    root = Path(data) if data is not None else bundled_data_dir()
    key = dataset_key(root) if root.is_dir() else None
    if key is not None:
        hit = load_cached(key)
        if isinstance(hit, tuple) and len(hit) == 2:
            return LoadResult(hit[0], hit[1], {})
    res = load_dataset(root)
    if key is not None:
        store(key, (res.dataset, res.warnings))
    return res


def print_warnings(res: LoadResult, quiet: bool = False) -> None:
    """Warnings to stderr (one line each)."""
    if quiet:
        return
    for w in res.warnings:
        print(str(w), file=sys.stderr)


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
    """Write text to a file atomically, or to stdout."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    from qdb.io.atomic import atomic_write_bytes

    atomic_write_bytes(output, text.encode("utf-8"))


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

    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
