"""``qdb backtest raids`` and ``qdb backtest losses``."""

from __future__ import annotations

import datetime as dt
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
    Fmt,
    matchup,
    parse_date,
    print_warnings,
    render,
)
from qdb.cli.common import console as _console

if TYPE_CHECKING:
    from qdb.backtest import LossComparison, RaidBacktest
    from qdb.models import Matchup

backtest = typer.Typer(
    help="Test the engine against what happened: recorded air raids, observed equipment losses.",
    no_args_is_help=True,
)
app.add_typer(backtest, name="backtest")

FROM_OPT = typer.Option(
    None, "--from", help="First night/day of the window (YYYY-MM-DD).", show_default=False
)
TO_OPT = typer.Option(
    None,
    "--to",
    help="End of the window, exclusive (YYYY-MM-DD; default: the red snapshot's date).",
    show_default=False,
)
FMT_OPT = typer.Option(Fmt.table, "--format", "-f", help="table, json or markdown.")


def _window(m: Matchup, start: str | None, end: str | None) -> tuple[dt.date, int]:
    """(first night, days): default the catalog's campaign_days before the red snapshot date."""
    to = parse_date(end, "--to") or m.red.as_of
    days_default = int(m.catalog.campaign_days)
    frm = parse_date(start, "--from") or to - dt.timedelta(days=days_default)
    days = (to - frm).days
    if days < 1:
        raise typer.BadParameter(f"--from {frm} is not before --to {to}", param_hint="--from")
    if days > 3649:
        raise typer.BadParameter("the window may be at most 3,649 days", param_hint="--from")
    return frm, days


@backtest.command("raids")
def raids_cmd(
    file: Path = typer.Argument(
        ...,
        help="Air-attack records CSV, as published (time_start, model, launched, destroyed, ...).",
    ),
    weapons: Path = typer.Option(
        None,
        "--weapons",
        help="Weapon-name mapping (default: the bundled data/weapon_classes.yaml).",
        show_default=False,
    ),
    data: Path = DATA_OPT,
    blue: str = BLUE_OPT,
    red: str = RED_OPT,
    as_of: str = AS_OF_OPT,
    start: str = FROM_OPT,
    end: str = TO_OPT,
    per_raid: bool = typer.Option(False, "--per-raid", help="JSON: also every raid's numbers."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No data warnings on stderr."),
    fmt: Fmt = FMT_OPT,
    output: Path = OUTPUT_OPT,
) -> None:
    """Replay recorded raids through the iamd campaign and compare leakage with the reports.

    Each recorded attack night becomes one raid of the red snapshot (launched
    counts mapped to its system ids; they happen once, on the night's day of the
    window); the campaign runs in point mode; predicted leakage per threat class
    and raid size is set beside the reported one. "Destroyed" is the defender's
    claim (Ukrainian Air Force).
    """
    from qdb.backtest import backtest_raids
    from qdb.calibrate.raids import deduplicate, group_raids, resolve
    from qdb.io.attack_records import load_attack_records, load_weapon_classes

    m, res = matchup(data, blue, red, as_of)
    print_warnings(res, quiet=quiet)
    frm, days = _window(m, start, end)
    wc = load_weapon_classes(weapons)
    records = load_attack_records(file)
    dd = deduplicate(records, wc)
    raids = group_raids(resolve(dd.kept, wc).launches)
    bt = backtest_raids(m, raids, frm, days)
    out = bt.as_dict(per_raid=per_raid)
    out["records"] = {
        "file": str(file),
        "rows": len(records),
        "dropped_as_duplicates": len(dd.dropped),
    }
    render(fmt, output, lambda: out, lambda: _raids_markdown(bt), lambda: _raids_table(bt))


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _raids_rows(bt: RaidBacktest) -> list[list[str]]:
    rows = []
    for cls, s in bt.by_class.items():
        rows.append(
            [
                cls,
                "all",
                str(s.raids),
                f"{s.launched:.0f}",
                _pct(s.reported_leakage),
                _pct(s.net_leakage),
                _pct(s.predicted_leakage),
                _pct(s.mean_abs_error),
            ]
        )
        for b, t in bt.by_size.get(cls, {}).items():
            rows.append(
                [
                    "",
                    b,
                    str(t.raids),
                    f"{t.launched:.0f}",
                    _pct(t.reported_leakage),
                    _pct(t.net_leakage),
                    _pct(t.predicted_leakage),
                    _pct(t.mean_abs_error),
                ]
            )
    return rows


_RAID_HEAD = [
    "class",
    "raid size",
    "raids",
    "launched",
    "reported",
    "net",
    "predicted",
    "mean abs error",
]


def _raids_title(bt: RaidBacktest) -> str:
    to = bt.start + dt.timedelta(days=bt.days)
    return (
        f"Raid back-test, nights {bt.start} to {to - dt.timedelta(days=1)} ({len(bt.raids)} raids)"
    )


def _raids_footer(bt: RaidBacktest) -> str:
    left = ", ".join(f"{k} {v:.0f}" for k, v in bt.left_out.items()) or "none"
    return (
        "Leakage = share not destroyed. Reported = 1 - destroyed/launched; 'destroyed' is the "
        "defender's claim. Net also counts 'locationally lost' (EW, decoys) as stopped. "
        f"Weapons left out (no red system): {left}."
    )


def _raids_markdown(bt: RaidBacktest) -> str:
    lines = [
        f"# {_raids_title(bt)}",
        "",
        "| " + " | ".join(_RAID_HEAD) + " |",
        "|" + "---|" * len(_RAID_HEAD),
    ]
    lines += ["| " + " | ".join(r) + " |" for r in _raids_rows(bt)]
    return "\n".join([*lines, "", _raids_footer(bt), ""])


def _raids_table(bt: RaidBacktest) -> None:
    from rich.table import Table

    t = Table(title=_raids_title(bt), caption=_raids_footer(bt))
    for h in _RAID_HEAD:
        t.add_column(h, justify="left" if h in ("class", "raid size") else "right")
    for r in _raids_rows(bt):
        t.add_row(*r)
    _console().print(t)


@backtest.command("losses")
def losses_cmd(
    oryx: Path = typer.Argument(..., help="Oryx data folder (daily_count.csv) or the file itself."),
    claims: Path = typer.Option(
        None,
        "--claims",
        help="General Staff claims (russia_losses_equipment.json or its folder): an upper bound only.",
        show_default=False,
    ),
    data: Path = DATA_OPT,
    blue: str = BLUE_OPT,
    red: str = RED_OPT,
    as_of: str = AS_OF_OPT,
    start: str = FROM_OPT,
    end: str = TO_OPT,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No data warnings on stderr."),
    fmt: Fmt = FMT_OPT,
    output: Path = OUTPUT_OPT,
) -> None:
    """Each land contest's implied loss-exchange ratio q·r^(1-p) beside the observed Oryx ratio.

    Observed = Russian / Ukrainian visually confirmed losses over the window
    (default: the catalog's campaign_days before the red snapshot's date), each
    class weighted as in the contest. The General Staff claims of Russian losses
    give an upper bound only.
    """
    from qdb.assess import assess
    from qdb.backtest import NOTE_LOSSES, backtest_losses
    from qdb.io.loss_records import load_claims, load_oryx_tallies

    m, res = matchup(data, blue, red, as_of)
    print_warnings(res, quiet=quiet)
    frm, days = _window(m, start, end)
    to = frm + dt.timedelta(days=days)
    tallies = load_oryx_tallies(oryx)
    cl = load_claims(claims) if claims is not None else None
    a = assess(m, samples=0, with_critical=False)
    rows = backtest_losses(a, m, tallies, frm, to, cl)
    out: dict[str, Any] = {
        "period": {"from": frm.isoformat(), "to": to.isoformat()},
        "as_of": dict(a.as_of),
        "engine_version": a.engine_version,
        "note": NOTE_LOSSES,
        "contests": [r.as_dict() for r in rows],
    }
    render(
        fmt,
        output,
        lambda: out,
        lambda: _losses_markdown(rows, frm, to),
        lambda: _losses_table(rows, frm, to),
    )


_LOSS_HEAD = [
    "contest",
    "law",
    "r",
    "q",
    "implied LER",
    "observed LER (Oryx)",
    "claims upper bound",
    "balance",
    "balance from losses",
]


def _f(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _loss_rows(rows: list[LossComparison]) -> list[list[str]]:
    return [
        [
            r.contest,
            r.law,
            _f(r.numbers_ratio),
            _f(r.quality_ratio),
            _f(r.implied_ler),
            _f(r.observed_ler),
            _f(r.claims_ler_upper),
            _f(r.balance, 3),
            _f(r.balance_from_losses, 3),
        ]
        for r in rows
    ]


def _losses_footer() -> str:
    return (
        "LER = red losses per blue loss. Oryx counts only photographed losses (a lower bound; it "
        "misses more Ukrainian losses, biasing the ratio up); the General Staff claims are one "
        "belligerent's and bound it from above only. Balance from losses = observed LER / r."
    )


def _losses_markdown(rows: list[LossComparison], frm: dt.date, to: dt.date) -> str:
    lines = [
        f"# Loss back-test, {frm} to {to}",
        "",
        "| " + " | ".join(_LOSS_HEAD) + " |",
        "|" + "---|" * len(_LOSS_HEAD),
    ]
    lines += ["| " + " | ".join(r) + " |" for r in _loss_rows(rows)]
    return "\n".join([*lines, "", _losses_footer(), ""])


def _losses_table(rows: list[LossComparison], frm: dt.date, to: dt.date) -> None:
    from rich.table import Table

    t = Table(title=f"Loss back-test, {frm} to {to}", caption=_losses_footer())
    for h in _LOSS_HEAD:
        t.add_column(h, justify="left" if h in ("contest", "law") else "right")
    for r in _loss_rows(rows):
        t.add_row(*r)
    _console().print(t)
