"""``qdb project``, ``qdb obligations`` and ``qdb optimize``."""

from __future__ import annotations

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
    budget_option,
    matchup,
    print_warnings,
    render,
)
from qdb.cli.common import console as _console

if TYPE_CHECKING:
    from qdb.obligations import Obligations
    from qdb.optimize import OptimizeResult
    from qdb.projection import Projection


class Method(str, Enum):
    greedy = "greedy"
    exhaustive = "exhaustive"


MAX_PROJECT_SAMPLES = 100_000
"""Most Monte Carlo samples per projected year."""


@app.command()
def project(
    start: int = typer.Option(
        None, "--from", help="First year (default: the snapshot year).", show_default=False
    ),
    end: int = typer.Option(
        None,
        "--to",
        help="Last year (default: the last year of any commitment).",
        show_default=False,
    ),
    only_delivered: bool = typer.Option(
        False, "--only-delivered", help="Count only deliveries whose status is delivered."
    ),
    trigger: float = typer.Option(
        None,
        "--trigger",
        help="Balance below which a critical contest triggers consultations (default: matched).",
        show_default=False,
    ),
    samples: int = typer.Option(
        0,
        "--samples",
        min=0,
        help="Monte Carlo samples per year (0: point estimates); adds P(certified) per year.",
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed of the Monte Carlo."),
    fmt: Fmt = typer.Option(Fmt.table, "--format", "-f", help="table, json or markdown."),
    data: Path = DATA_OPT,
    blue: str = BLUE_OPT,
    red: str = RED_OPT,
    as_of: str = AS_OF_OPT,
    sets: list[str] = SET_OPT,
    scenario: Path = SCENARIO_OPT,
    output: Path = OUTPUT_OPT,
) -> None:
    """The balance year by year as pledged systems arrive, production and attrition run.

    Blue is its latest snapshot plus the deliveries due by each year, red its
    snapshot plus production, both minus attrition. Shows each contest's
    balance and verdict, the year each shortfall closes, the certification
    line and the consultation triggers (a critical contest below --trigger), and
    how the first year differs from `qdb assess` on the same data, and why.
    """
    from qdb.projection import project as run
    from qdb.projection import projection_markdown

    if samples > MAX_PROJECT_SAMPLES:
        raise typer.BadParameter(f"must be at most {MAX_PROJECT_SAMPLES:,}", param_hint="--samples")
    m, res = matchup(data, blue, red, as_of, sets, scenario)
    print_warnings(res)
    p = run(m, start, end, only_delivered, trigger, samples=samples, seed=seed)
    render(fmt, output, p.to_json, lambda: projection_markdown(p), lambda: _projection_table(p))


def _projection_table(p: Projection) -> None:
    from rich.table import Table
    from rich.text import Text

    from qdb.projection import closes_text, reconciliation_text

    console = _console()
    a0 = p.years[0].assessment
    t = Table(
        title=f"Balance year by year — {a0.blue} vs {a0.red}, {p.start}–{p.end}"
        + (" (delivered only)" if p.only_delivered else " (pledged and delivered)"),
        caption="* critical. Cell: balance (matched ≥ {:.2f}, offset ≥ {:.2f}).".format(
            a0.thresholds["matched"], a0.thresholds["offset"]
        ),
    )
    t.add_column("Contest")
    for ys in p.years:
        t.add_column(str(ys.year), justify="right")
    t.add_column("Closes")
    for cid in p.contest_ids:
        cells: list[Any] = []
        title = ""
        for ys in p.years:
            r = ys.assessment.contest(cid)
            assert r is not None
            title = r.title + (" *" if r.critical else "")
            txt = "—" if r.balance is None else f"{r.balance:.2f}"
            cells.append(Text(txt, style=VERDICT_STYLE[r.verdict]))
        t.add_row(title, *cells, closes_text(p, cid))
    t.add_row(
        Text("Certified", style="bold"),
        *[
            Text("yes", style="bold green")
            if ys.assessment.certified
            else Text("no", style="bold red")
            for ys in p.years
        ],
        "",
    )
    if p.samples:
        t.add_row(
            Text("P(certified)", style="bold"),
            *[f"{ys.assessment.p_certified or 0.0:.2f}" for ys in p.years],
            "",
        )
    console.print(t)
    rec = p.reconciliation
    if rec is not None:
        console.print(Text(reconciliation_text(rec).replace("`", ""), style="dim"))
        for c in rec["causes"]:
            console.print(Text(f"  {c['text']}", style="dim"))
    fc = p.first_certified
    console.print(
        Text(
            f"Certified from {fc} on." if fc is not None else f"Not certified by {p.end}.",
            style="bold green" if fc is not None else "bold red",
        )
    )
    trig = p.consultation_triggers
    if trig:
        console.print(
            Text(
                f"Consultation triggers (critical contest below {p.trigger_threshold:g}):",
                style="bold",
            )
        )
        by_contest: dict[str, list[Any]] = {}
        for tr in trig:
            by_contest.setdefault(tr.title, []).append(tr)
        for title, trs in by_contest.items():
            low = min(trs, key=lambda tr: (tr.balance if tr.balance is not None else 0.0, tr.year))
            console.print(
                f"  {title}: {_years_text([tr.year for tr in trs])} "
                f"(lowest {low.balance:.2f} in {low.year})"
            )
    else:
        console.print(
            f"No consultation trigger (every critical contest ≥ {p.trigger_threshold:g})."
        )
    for a in p.to_json()["assumptions"][len(p.assumptions) :]:
        console.print(Text(a, style="dim"))


def _years_text(years: list[int]) -> str:
    """``2025–2027, 2030``: runs of consecutive years."""
    runs: list[list[int]] = []
    for y in sorted(years):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


@app.command()
def obligations(
    year: int = typer.Option(
        None,
        "--year",
        min=1990,
        max=2100,
        help="Pledged deliveries due before this year count as slipped (default: the blue snapshot year).",
        show_default=False,
    ),
    fmt: Fmt = typer.Option(Fmt.table, "--format", "-f", help="table, json or markdown."),
    data: Path = DATA_OPT,
    blue: str = BLUE_OPT,
    red: str = RED_OPT,
    as_of: str = AS_OF_OPT,
    output: Path = OUTPUT_OPT,
) -> None:
    """Who meets their obligations: pledged vs delivered, funding, slippage, burden share."""
    from qdb.obligations import obligations as run
    from qdb.obligations import obligations_markdown

    m, res = matchup(data, blue, red, as_of)
    print_warnings(res)
    o = run(m.commitments, m.catalog, year if year is not None else m.blue.as_of.year)
    render(fmt, output, o.to_json, lambda: obligations_markdown(o), lambda: _obligations_table(o))


def _money(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def _share(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def _obligations_table(o: Obligations) -> None:
    from rich.table import Table
    from rich.text import Text

    console = _console()
    t = Table(
        title=f"Who meets their obligations (as of {o.as_of_year})",
        caption="Pledged = every delivery line; delivered = status delivered; $M.",
    )
    for h in (
        "Partner",
        "Bloc",
        "Pledged units",
        "Delivered units",
        "Pledged $M",
        "Delivered $M",
        "Delivered",
        "Funding $M",
        "Status",
    ):
        t.add_column(h, justify="left" if h in ("Partner", "Bloc", "Status") else "right")
    for p in o.partners:
        t.add_row(
            p.partner,
            p.bloc,
            f"{p.pledged_quantity:,.0f}",
            f"{p.delivered_quantity:,.0f}",
            _money(p.pledged_value_musd),
            _money(p.delivered_value_musd),
            _share(p.delivered_share),
            _money(p.funding_total_musd),
            Text(p.status, style="bold red" if p.slipped else "green"),
        )
    console.print(t)
    b = Table(title="Burden share")
    for h in ("Bloc", "Pledged $M", "Share", "Delivered $M", "Share", "Funding $M", "Share"):
        b.add_column(h, justify="left" if h == "Bloc" else "right")
    for bloc, row in o.burden().items():
        b.add_row(
            bloc,
            _money(row["pledged_value_musd"]),
            _share(row["pledged_value_share"]),
            _money(row["delivered_value_musd"]),
            _share(row["delivered_value_share"]),
            _money(row["funding_musd"]),
            _share(row["funding_share"]),
        )
    console.print(b)
    if o.slipped:
        console.print(
            Text("Slipped deliveries (pledged, year passed, not delivered):", style="bold")
        )
        for s in o.slipped:
            console.print(
                f"  {s.partner}: {s.quantity:g} × {s.system} ({s.class_}) due {s.year}, "
                f"{s.years_late} yr late, ${s.value_musd:,.0f}M"
            )
    else:
        console.print("No slipped deliveries.")


def _parse_limits(items: list[str] | None) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for item in items or []:
        cls, sep, val = item.partition("=")
        if not sep or not cls:
            raise typer.BadParameter(f"{item!r} is not CLASS=N or CLASS=none", param_hint="--limit")
        if val.strip().lower() in ("none", "inf", "unlimited"):
            out[cls.strip()] = None
            continue
        try:
            out[cls.strip()] = int(val)
        except ValueError:
            raise typer.BadParameter(
                f"{item!r}: N must be a whole number", param_hint="--limit"
            ) from None
    return out


@app.command()
def optimize(
    budget: float = typer.Option(
        ...,
        "--budget",
        callback=budget_option,
        help="Most the package may cost, million USD (0 to 1e12).",
    ),
    by: int = typer.Option(
        None, "--by", help="Optimise on the projected balance of this year.", show_default=False
    ),
    limit: list[str] = typer.Option(
        None,
        "--limit",
        help="Most extra units of a class (rounds, for a munition class), CLASS=N or "
        "CLASS=none (repeatable; overrides the catalog's supply_limit_per_year).",
        show_default=False,
    ),
    method: Method = typer.Option(
        Method.greedy,
        "--method",
        help="greedy (verified, not proven optimal), or exhaustive (proven; small cases).",
    ),
    fmt: Fmt = typer.Option(Fmt.table, "--format", "-f", help="table, json or markdown."),
    data: Path = DATA_OPT,
    blue: str = BLUE_OPT,
    red: str = RED_OPT,
    as_of: str = AS_OF_OPT,
    sets: list[str] = SET_OPT,
    scenario: Path = SCENARIO_OPT,
    output: Path = OUTPUT_OPT,
) -> None:
    """Cheapest package (systems, interceptor rounds, shells) that makes every critical contest hold.

    Contests no purchase within the supply limits can close are listed with
    their ceiling. If the budget cannot close the rest, the package that cuts
    the total shortfall most per dollar, and says so. JSON: package,
    total_cost_musd, feasible, optimal, method, assessment (after the package).
    """
    from qdb.optimize import optimize as run
    from qdb.optimize import optimize_markdown

    m, res = matchup(data, blue, red, as_of, sets, scenario)
    print_warnings(res)
    r = run(m, budget, by, _parse_limits(limit), method=method.value)
    render(fmt, output, r.to_json, lambda: optimize_markdown(r), lambda: _optimize_table(r))


def _optimize_table(r: OptimizeResult) -> None:
    from rich.table import Table
    from rich.text import Text

    console = _console()
    when = f" by {r.by_year}" if r.by_year is not None else ""
    if r.package:
        t = Table(title=f"Cheapest package{when} (budget ${r.budget_musd:,.0f}M)")
        for h in ("Buy", "Class", "System", "Quantity", "Rounds", "Unit cost $M", "Cost $M"):
            t.add_column(h, justify="left" if h in ("Buy", "Class", "System") else "right")
        for ln in r.package:
            c = ln.candidate
            t.add_row(
                c.kind,
                c.class_,
                c.system + (" (new)" if c.new else ""),
                f"{ln.quantity:,}",
                "—" if ln.rounds_added is None else f"{ln.rounds_added:,}",
                f"{c.unit_cost_musd:,.3g}",
                f"{ln.cost_musd:,.1f}",
            )
        t.add_row(
            Text("Total", style="bold"),
            "",
            "",
            "",
            "",
            "",
            Text(f"{r.total_cost_musd:,.1f}", style="bold"),
        )
        console.print(t)
    before = {cr.id: cr for cr in r.baseline.contests}
    b = Table(title="Critical contests")
    for h in ("Contest", "Before", "After", "Verdict"):
        b.add_column(h, justify="right" if h in ("Before", "After") else "left")
    for cr in r.assessment.contests:
        if not cr.critical:
            continue
        b0 = before[cr.id].balance
        b.add_row(
            cr.title,
            "—" if b0 is None else f"{b0:.2f}",
            "—" if cr.balance is None else f"{cr.balance:.2f}",
            Text(cr.verdict, style=VERDICT_STYLE[cr.verdict]),
        )
    console.print(b)
    console.print(Text(r.message, style="bold green" if r.feasible else "bold red"))
    console.print(
        Text(
            f"Method: {r.method}" + ("; proven optimal." if r.optimal else "; not proven optimal."),
            style="dim",
        )
    )
    if r.edits:
        console.print(Text("As edits: " + " ".join(f"--set {e}" for e in r.edits), style="dim"))
