"""``qdb report``: the certification report as PDF, self-contained HTML or Markdown."""

from __future__ import annotations

import datetime as dt
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
    RED_OPT,
    SCENARIO_OPT,
    SET_OPT,
    matchup,
    parse_date,
    print_warnings,
)
from qdb.errors import QdbError

if TYPE_CHECKING:
    from qdb.models import Matchup
    from qdb.results import Assessment


class ReportFmt(str, Enum):
    pdf = "pdf"
    html = "html"
    md = "md"


def _warn(message: str) -> None:
    print(f"qdb: warning: {message}", file=sys.stderr)


def _assessment(
    m: Matchup, samples: int | None, seed: int
) -> tuple[Assessment, dict[str, Any] | None]:
    """The assessment and, with ``samples``, the Monte Carlo-augmented JSON."""
    from qdb.assess import assess

    if not samples:
        return assess(m), None
    if samples < 1:
        raise typer.BadParameter("must be at least 1", param_hint="--samples")
    try:
        from qdb.cli.assess_cmds import run_assessment
    except ImportError:
        run_assessment = None  # type: ignore[assignment]
    try:
        if run_assessment is not None:
            a, out = run_assessment(m, samples, seed)
            return a, out
        from qdb.uncertainty import monte_carlo

        opts = [("samples", samples), ("seed", seed)]
        a = assess(m, options=opts)
        return a, monte_carlo(m, samples, seed).augment(a.to_json())
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("qdb.uncertainty"):
            raise QdbError(
                "--samples needs the Monte Carlo module (qdb.uncertainty), which this build lacks"
            ) from None
        raise


def _optional_extras(m: Matchup, a: Assessment, budget: float | None) -> dict[str, Any]:
    """Projection, obligations, sensitivity and optimiser results, where those modules exist.

    Each is optional: a module that is not importable is skipped silently; one
    that fails is skipped with a warning, so that the report always builds.
    """
    extras: dict[str, Any] = {}

    def attempt(key: str, module: str, call: Any) -> None:
        try:
            mod = __import__(module, fromlist=["_"])
        except ModuleNotFoundError as exc:
            if exc.name == module:
                return
            raise
        try:
            res = call(mod)
        except QdbError as exc:
            _warn(f"report: {key} section left out: {exc}")
            return
        if res is not None and hasattr(res, "to_json"):
            res = res.to_json()
        if isinstance(res, dict):
            extras[key] = res

    year = max(m.blue.as_of.year, m.red.as_of.year)
    if m.commitments:
        attempt(
            "obligations",
            "qdb.obligations",
            lambda mod: mod.obligations(m.commitments, m.catalog, year),
        )
        attempt("projection", "qdb.projection", lambda mod: mod.project(m))
    shortfalls = [r.id for r in a.shortfalls]
    if shortfalls:

        def tornado(mod: Any) -> dict[str, Any]:
            rows = mod.tornado(m, shortfalls)
            return {"contests": [{**r, "bars": r["bars"][:8]} for r in rows]}

        attempt("sensitivity", "qdb.sensitivity", tornado)
    if budget is not None and not a.certified:
        attempt("optimization", "qdb.optimize", lambda mod: mod.optimize(m, budget))
    return extras


@app.command()
def report(
    fmt: ReportFmt = typer.Option(ReportFmt.pdf, "--format", "-f", help="pdf, html or md."),
    output: Path = typer.Option(
        ..., "--output", "-o", help="File to write (written atomically).", show_default=False
    ),
    data: Path | None = DATA_OPT,
    blue: str = BLUE_OPT,
    red: str = RED_OPT,
    as_of: str | None = AS_OF_OPT,
    sets: list[str] | None = SET_OPT,
    scenario: Path | None = SCENARIO_OPT,
    samples: int | None = typer.Option(
        None, "--samples", help="Monte Carlo draws for the uncertainty section.", show_default=False
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Monte Carlo seed."),
    budget: float | None = typer.Option(
        None,
        "--budget",
        help="Add what closing the gaps would cost: the cheapest package within this budget (M USD).",
        min=0,
        show_default=False,
    ),
    date: str | None = typer.Option(
        None,
        "--date",
        help="Report date YYYY-MM-DD (default: today); same inputs and date give the same bytes.",
        show_default=False,
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not print data warnings."),
) -> None:
    """Write the certification report: determination, findings, charts and the assumptions annex."""
    from qdb.io.atomic import atomic_write_bytes, check_output_path
    from qdb.report import build_context, render

    report_date = parse_date(date, "--date") or dt.date.today()
    check_output_path(output)  # refused before the work (a folder, a FIFO, no folder)
    m, res = matchup(data, blue, red, as_of, sets, scenario)
    print_warnings(res, quiet)
    a, unc = _assessment(m, samples, seed)
    extras: dict[str, Any] = _optional_extras(m, a, budget)
    if unc is not None:
        extras["uncertainty"] = unc
    notes = []
    if sets or scenario:
        edits = ", ".join(sets or [])
        what = " and ".join(
            x for x in (edits and f"edits {edits}", scenario and f"scenario {scenario.name}") if x
        )
        notes.append(
            f"What-if assessment: {what} applied to the data. This is not the baseline position."
        )
    ctx = build_context(a, m, report_date=report_date, extras=extras, notes=notes)
    atomic_write_bytes(check_output_path(output), render(ctx, fmt.value))  # not an input
