"""``qdb assess``, ``qdb explain`` and ``qdb graph``."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from qdb.cli.app import app
from qdb.cli.common import (
    AS_OF_OPT,
    BLUE_OPT,
    DATA_OPT,
    OUTPUT_OPT,
    RED_OPT,
    SCENARIO_OPT,
    SET_OPT,
    VERDICT_STYLE,
    Fmt,
    console,
    dumps_json,
    emit,
    matchup,
    print_warnings,
)

if TYPE_CHECKING:
    from qdb.models import Matchup
    from qdb.results import Assessment


class GraphFmt(str, Enum):
    dot = "dot"
    graphml = "graphml"
    json = "json"


def run_assessment(
    m: Matchup, samples: int | None, seed: int, extra_options: list[tuple[str, Any]] | None = None
) -> tuple[Assessment, dict[str, Any]]:
    """Assess, and with ``samples`` run the Monte Carlo; returns (assessment, json)."""
    from qdb.assess import assess

    opts: list[tuple[str, Any]] = list(extra_options or [])
    if samples:
        opts += [("samples", samples), ("seed", seed)]
    a = assess(m, options=opts)
    out = a.to_json()
    if samples:
        out = monte_carlo_json(m, out, samples, seed)
    return a, out


def monte_carlo_json(m: Matchup, out: dict[str, Any], samples: int, seed: int) -> dict[str, Any]:
    """Run the Monte Carlo (progress bar on a terminal for long runs) and augment ``out``."""
    from qdb.uncertainty import monte_carlo

    if samples < 1:
        raise typer.BadParameter("must be at least 1", param_hint="--samples")
    if samples >= 200_000 and sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("Monte Carlo", total=samples)
            res = monte_carlo(m, samples, seed, progress=lambda n: bar.update(task, advance=n))
    else:
        res = monte_carlo(m, samples, seed)
    for w in res.warnings:
        print(f"qdb: warning: {w}", file=sys.stderr)
    augmented: dict[str, Any] = res.augment(out)
    return augmented


def _rich_table(a: Assessment, out: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    from qdb.tables import HEADERS, certification_line, contest_row

    con = console()
    as_of = ", ".join(f"{k} {v}" for k, v in a.as_of.items())
    t = Table(
        title=f"Qualitative deterrent balance — {a.blue} vs {a.red} ({as_of})",
        caption=(
            "* critical. Balance = quality edge held ÷ edge needed to offset the numbers; "
            f"matched ≥ {a.thresholds['matched']:.2f}, offset ≥ {a.thresholds['offset']:.2f}. "
            "`qdb explain CONTEST` says why."
        ),
        show_lines=False,
    )
    for h in HEADERS:
        t.add_column(h, justify="left" if h in ("Contest", "Law", "Verdict") else "right")
    uncs = {c["id"]: c.get("uncertainty") for c in out["contests"]}
    for r in a.contests:
        row = contest_row(r, uncs.get(r.id))
        cells: list[Any] = [*row[:-1], Text(row[-1], style=VERDICT_STYLE[r.verdict])]
        t.add_row(*cells)
    con.print(t)
    line = certification_line(a, out.get("p_certified"))
    con.print(Text(line, style="bold green" if a.certified else "bold red"))
    if a.critical_systems:
        top = a.critical_systems[:3]
        con.print(
            "Single points of failure: "
            + "; ".join(f"{c.name} ({c.kind} {c.id}) → {', '.join(c.flips)}" for c in top)
        )


@app.command()
def assess(
    fmt: Fmt = typer.Option(Fmt.table, "--format", "-f", help="table, json or markdown."),
    data: Path = DATA_OPT,
    blue: str = BLUE_OPT,
    red: str = RED_OPT,
    as_of: str = AS_OF_OPT,
    sets: list[str] = SET_OPT,
    scenario: Path = SCENARIO_OPT,
    samples: int = typer.Option(
        None,
        "--samples",
        min=1,
        help="Monte Carlo samples over every {low, estimate, high} range.",
        show_default=False,
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed of the Monte Carlo."),
    output: Path = OUTPUT_OPT,
) -> None:
    """Assess the balance contest by contest: numbers vs quality, verdict, certification."""
    m, res = matchup(data, blue, red, as_of, sets, scenario)
    print_warnings(res)
    a, out = run_assessment(m, samples, seed)
    if fmt is Fmt.json:
        emit(dumps_json(out), output)
    elif fmt is Fmt.markdown:
        from qdb.tables import assessment_markdown

        uncs = {c["id"]: c["uncertainty"] for c in out["contests"] if "uncertainty" in c}
        emit(assessment_markdown(a, uncs, out.get("p_certified")), output)
    elif output is not None:
        from qdb.tables import assessment_markdown

        emit(assessment_markdown(a), output)
    else:
        _rich_table(a, out)


@app.command()
def explain(
    contest: str = typer.Argument(..., help="A contest id (see `qdb assess`)."),
    data: Path = DATA_OPT,
    blue: str = BLUE_OPT,
    red: str = RED_OPT,
    as_of: str = AS_OF_OPT,
    sets: list[str] = SET_OPT,
    scenario: Path = SCENARIO_OPT,
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
) -> None:
    """Why: what offsets what in one contest, each system's and factor's contribution."""
    from qdb.assess import assess as run
    from qdb.errors import SelectionError
    from qdb.explain import explain_contest

    m, res = matchup(data, blue, red, as_of, sets, scenario)
    print_warnings(res)
    if m.catalog.contest(contest) is None:
        import difflib

        ids = [c.id for c in m.catalog.contests]
        close = difflib.get_close_matches(contest, ids, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; contests: {', '.join(ids)}"
        raise SelectionError(f"no contest {contest!r}{hint}")
    a = run(m)
    if fmt == "json":
        r = next(c for c in a.to_json()["contests"] if c["id"] == contest)
        r["critical_systems"] = [
            c.to_json() for c in a.critical_systems or () if contest in c.flips
        ]
        emit(dumps_json(r))
        return
    names = {s.id: s.name for s in (*m.blue.systems, *m.red.systems)}
    emit(explain_contest(a, contest, names))


@app.command()
def graph(
    fmt: GraphFmt = typer.Option(GraphFmt.dot, "--format", "-f", help="dot, graphml or json."),
    data: Path = DATA_OPT,
    blue: str = BLUE_OPT,
    red: str = RED_OPT,
    as_of: str = AS_OF_OPT,
    sets: list[str] = SET_OPT,
    output: Path = OUTPUT_OPT,
) -> None:
    """Export the capability-offset graph (systems, classes, contests)."""
    from qdb.graph import build_graph
    from qdb.graph_export import to_dot, to_graphml, to_json

    m, _ = matchup(data, blue, red, as_of, sets)
    G = build_graph(m)
    if fmt is GraphFmt.dot:
        emit(to_dot(G), output)
    elif fmt is GraphFmt.graphml:
        emit(to_graphml(G), output)
    else:
        emit(dumps_json(to_json(G)), output)
