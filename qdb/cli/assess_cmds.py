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
    MAX_SAMPLES,
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


DEFAULT_SAMPLES = 4000

SAMPLES_OPT = typer.Option(
    DEFAULT_SAMPLES,
    "--samples",
    min=0,
    help="Monte Carlo samples over every {low, estimate, high} range (0: point estimate only).",
)
SEED_OPT = typer.Option(0, "--seed", min=0, help="Random seed of the Monte Carlo.")


def _confidence(value: float) -> float:
    if not 0.5 < value < 1.0:
        raise typer.BadParameter(f"must be between 0.5 and 1, exclusive (got {value:g})")
    return value


CONFIDENCE_OPT = typer.Option(
    0.8,
    "--confidence",
    callback=_confidence,
    help="Confidence of judgements and the determination (between 0.5 and 1, exclusive).",
)


def run_assessment(
    m: Matchup,
    samples: int | None,
    seed: int,
    extra_options: list[tuple[str, Any]] | None = None,
    confidence: float = 0.8,
) -> tuple[Assessment, dict[str, Any]]:
    """Assess (with the Monte Carlo unless ``samples`` is 0); returns (assessment, json)."""
    from qdb.assess import assess

    n = int(samples or 0)
    if n > MAX_SAMPLES:
        raise typer.BadParameter(f"must be at most {MAX_SAMPLES:,}", param_hint="--samples")
    progress = None
    if n >= 200_000 and sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("Monte Carlo", total=n)
            a = assess(
                m,
                samples=n,
                seed=seed,
                confidence=confidence,
                options=extra_options or (),
                progress=lambda k: bar.update(task, advance=k),
            )
    else:
        a = assess(
            m,
            samples=n,
            seed=seed,
            confidence=confidence,
            options=extra_options or (),
            progress=progress,
        )
    for w in a.warnings:
        print(f"qdb: warning: {w}", file=sys.stderr)
    return a, a.to_json()


def _rich_table(a: Assessment) -> None:
    from rich.table import Table
    from rich.text import Text

    from qdb.tables import HEADERS, INDETERMINATE_NOTE, contest_row, headline

    con = console()
    as_of = ", ".join(f"{k} {v}" for k, v in a.as_of.items())
    c = a.confidence
    caption = (
        "* critical. Balance = quality edge held ÷ edge needed to offset the numbers (air "
        "defence: ln leakage ÷ ln acceptable leakage); "
        f"matched ≥ {a.thresholds['matched']:.2f}, offset ≥ {a.thresholds['offset']:.2f}. "
        "5–95% and P(holds) from the Monte Carlo; the judgement holds at "
        f"{100 * c:.0f}% confidence. `qdb explain CONTEST` says why."
    )
    t = Table(
        title=f"Qualitative deterrent balance — {a.blue.capitalize()} vs {a.red.capitalize()} ({as_of})",
        caption=caption,
        show_lines=False,
    )
    for h in HEADERS:
        t.add_column(h, justify="left" if h in ("Contest", "Law", "Judgement") else "right")
    for r in a.contests:
        row = contest_row(r, a.thresholds)
        style = VERDICT_STYLE.get(r.judgement or r.verdict, "")
        t.add_row(*row[:-1], Text(row[-1], style=style))
    lines = headline(a)
    con.print(Text(lines[0], style="bold green" if a.certified else "bold red"))
    for line in lines[1:]:
        con.print(line)
    con.print(t)
    if a.p_certified is not None:
        con.print(
            INDETERMINATE_NOTE.format(
                lo=f"{100 * (1 - c):.0f}%", hi=f"{100 * c:.0f}%", c=f"{100 * c:.0f}%"
            )
        )
    if a.critical_systems:
        top = a.critical_systems[:3]
        con.print(
            "Single points of failure: "
            + "; ".join(f"{cs.name} ({cs.id}) → {', '.join(cs.flips)}" for cs in top)
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
    samples: int = SAMPLES_OPT,
    seed: int = SEED_OPT,
    confidence: float = CONFIDENCE_OPT,
    output: Path = OUTPUT_OPT,
) -> None:
    """Assess the balance contest by contest: numbers vs quality, judgement, determination."""
    m, res = matchup(data, blue, red, as_of, sets, scenario)
    print_warnings(res)
    a, out = run_assessment(m, samples, seed, confidence=confidence)
    if fmt is Fmt.json:
        emit(dumps_json(out), output)
    elif fmt is Fmt.markdown or output is not None:
        from qdb.tables import assessment_markdown

        emit(assessment_markdown(a), output)
    else:
        _rich_table(a)


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
    samples: int = SAMPLES_OPT,
    seed: int = SEED_OPT,
    confidence: float = CONFIDENCE_OPT,
    losses: Path = typer.Option(
        None,
        "--losses",
        help="Oryx losses (daily_count.csv or its folder): for a land contest, also show the "
        "loss-exchange ratio it implies beside the observed one (the campaign_days before "
        "the red snapshot).",
        show_default=False,
    ),
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
    a = run(m, samples=samples, seed=seed, confidence=confidence)
    if fmt == "json":
        r = next(c for c in a.to_json()["contests"] if c["id"] == contest)
        r["critical_systems"] = [
            c.to_json() for c in a.critical_systems or () if contest in c.flips
        ]
        emit(dumps_json(r))
        return
    names = {s.id: s.name for s in (*m.blue.systems, *m.red.systems)}
    text = explain_contest(a, contest, names)
    if losses is not None:
        import datetime as dt

        from qdb.backtest import backtest_losses
        from qdb.explain import escape_controls, losses_lines
        from qdb.io.loss_records import load_oryx_tallies

        end = m.red.as_of
        start = end - dt.timedelta(days=m.catalog.campaign_days)
        rows = backtest_losses(a, m, load_oryx_tallies(losses), start, end)
        row = next((r for r in rows if r.contest == contest), None)
        if row is None:
            text += "\nNo outcome check: losses are compared for land contests only.\n"
        else:
            text += "\n" + escape_controls("\n".join(losses_lines(row, a.blue, a.red))) + "\n"
    emit(text)


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
