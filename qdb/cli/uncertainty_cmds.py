"""``qdb sensitivity``: the inputs that swing each critical contest most."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from qdb.cli.app import app
from qdb.cli.common import (
    AS_OF_OPT,
    BLUE_OPT,
    DATA_OPT,
    RED_OPT,
    SCENARIO_OPT,
    SET_OPT,
    dumps_json,
    emit,
    matchup,
    print_warnings,
)


class SensFmt(str, Enum):
    table = "table"
    json = "json"


def _fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _value(x: float) -> str:
    return f"{x:g}"


def _bar(swing: float | None, widest: float, width: int = 12) -> str:
    if swing is None or widest <= 0:
        return ""
    n = round(width * swing / widest)
    return "█" * max(n, 1 if swing > 0 else 0)


def render_tables(data: dict[str, Any], console: Any = None) -> None:
    """One rich table per contest: tornado bars plus Sobol indices."""
    from rich.console import Console
    from rich.table import Table

    if console is None:
        console = Console(width=None if sys.stdout.isatty() else 160)
    for con in data["contests"]:
        bars = con["bars"]
        widest = max((b["swing"] or 0.0 for b in bars), default=0.0)
        title = (
            f"{con['title']}{' *' if con['critical'] else ''} — balance "
            f"{_fmt(con['balance'])} ({con['verdict']}); {con['inputs']} ranged inputs"
        )
        t = Table(title=title, title_justify="left")
        for h in ("Input", "Low", "Estimate", "High", "β at low", "β at high", "Swing", ""):
            t.add_column(h, justify="left" if h in ("Input", "") else "right")
        sobol = data["samples"] is not None
        if sobol:
            t.add_column("Sobol S1", justify="right")
            t.add_column("Sobol ST", justify="right")
        for b in bars:
            row = [
                b["input"],
                _value(b["input_low"]),
                _value(b["input_estimate"]),
                _value(b["input_high"]),
                _fmt(b["balance_low"]),
                _fmt(b["balance_high"]),
                _fmt(b["swing"]),
                _bar(b["swing"], widest),
            ]
            if sobol:
                row += [
                    _fmt(b["sobol_first"])
                    + (
                        f" ±{b['sobol_first_conf']:.2f}"
                        if b["sobol_first_conf"] is not None
                        else ""
                    ),
                    _fmt(b["sobol_total"])
                    + (
                        f" ±{b['sobol_total_conf']:.2f}"
                        if b["sobol_total_conf"] is not None
                        else ""
                    ),
                ]
            t.add_row(*row)
        if not bars:
            t.caption = "No ranged input reaches this contest."
        elif con["sobol_note"]:
            t.caption = con["sobol_note"]
        console.print(t)
    if not data["contests"]:
        console.print("No contest selected (the catalog marks none critical; name one).")
    elif data["samples"] is not None:
        console.print(
            f"Swing: |β at high − β at low| with the input at each end of its range, others at "
            f"their estimates. Sobol S1/ST: share of the balance's variance due to the input alone / "
            f"with its interactions (SALib, N={data['samples']}, seed {data['seed']}, 95% intervals)."
        )


@app.command()
def sensitivity(
    contest: str = typer.Argument(
        None, help="A contest id (default: every critical contest).", show_default=False
    ),
    fmt: SensFmt = typer.Option(SensFmt.table, "--format", "-f", help="table or json."),
    top: int = typer.Option(10, "--top", min=1, help="Inputs shown per contest, by swing."),
    samples: int = typer.Option(
        1024,
        "--samples",
        min=2,
        max=65536,
        help="Sobol base sample count N (N·(k+2) evaluations; at most 65536).",
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the Sobol sequence and bootstrap."),
    no_sobol: bool = typer.Option(False, "--no-sobol", help="Tornado only (instant)."),
    data: Path = DATA_OPT,
    blue: str = BLUE_OPT,
    red: str = RED_OPT,
    as_of: str = AS_OF_OPT,
    sets: list[str] = SET_OPT,
    scenario: Path = SCENARIO_OPT,
    output: Path = typer.Option(
        None, "-o", "--output", help="Write to this file.", show_default=False
    ),
) -> None:
    """Which uncertain inputs swing each critical contest most: tornado and Sobol indices."""
    from qdb.errors import SelectionError
    from qdb.sensitivity import sensitivity as run

    m, res = matchup(data, blue, red, as_of, sets, scenario)
    print_warnings(res)
    if contest is not None and m.catalog.contest(contest) is None:
        import difflib

        ids = [c.id for c in m.catalog.contests]
        close = difflib.get_close_matches(contest, ids, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; contests: {', '.join(ids)}"
        raise SelectionError(f"no contest {contest!r}{hint}")
    out = run(m, contest, top=top, samples=samples, seed=seed, with_sobol=not no_sobol)
    if fmt is SensFmt.json:
        emit(dumps_json(out), output)
    elif output is not None:
        import io

        from rich.console import Console

        buf = io.StringIO()
        render_tables(out, Console(file=buf, width=160, color_system=None))
        emit(buf.getvalue(), output)
    else:
        render_tables(out)
