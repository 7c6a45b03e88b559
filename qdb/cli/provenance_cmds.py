"""``qdb sources``: where each figure of a contest comes from."""

from __future__ import annotations

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
    console,
    matchup,
    print_warnings,
    render,
)

if TYPE_CHECKING:
    from qdb.provenance import Figure


def _qty(f: Figure) -> str:
    q = f.quantity
    return f"{q.estimate:g}" if not q.uncertain else f"{q.estimate:g} ({q.low:g}-{q.high:g})"


@app.command()
def sources(
    contest: str = typer.Argument(
        None, help="A contest id (default: every contest).", show_default=False
    ),
    flagged: bool = typer.Option(
        False, "--flagged", help="Only judgement figures of critical contests."
    ),
    data: Path = DATA_OPT,
    blue: str = BLUE_OPT,
    red: str = RED_OPT,
    as_of: str = AS_OF_OPT,
    fmt: Fmt = typer.Option(Fmt.table, "--format", "-f", help="table, json or markdown."),
    output: Path = OUTPUT_OPT,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not print warnings."),
) -> None:
    """List each figure of a contest with its basis, source, date and kind.

    Figures resting on judgement in a critical contest are flagged (!) and
    ranked by the system's share of its side's strength in that contest.
    """
    from qdb.provenance import basis_shares, contest_figures

    m, res = matchup(data, blue, red, as_of)
    print_warnings(res, quiet)
    rows = contest_figures(m.catalog, m.blue, m.red, contest)
    shares = basis_shares(rows)
    if flagged:
        rows = [f for f in rows if f.flagged]

    def payload() -> dict[str, Any]:
        return {
            "blue": m.blue.side,
            "red": m.red.side,
            "figures": [f.to_json() for f in rows],
            "basis_shares": [
                {"contest": c, "side": s, **{k: round(v, 4) for k, v in d.items()}}
                for (c, s), d in shares.items()
            ],
        }

    def markdown() -> str:
        lines = [
            "| contest | side | system | quantity | share | basis | source | date | kind |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for f in rows:
            mark = " (!)" if f.flagged else ""
            lines.append(
                f"| {f.contest} | {f.side} | {f.system}{mark} | {_qty(f)} | {f.share:.0%} | "
                f"{f.basis or 'none'} | {f.source} | {f.date or ''} | {f.kind or ''} |"
            )
        lines += [
            "",
            "| contest | side | quoted | derived | judgement | none |",
            "|---|---|---|---|---|---|",
        ]
        for (c, s), d in shares.items():
            lines.append(
                f"| {c} | {s} | {d['quoted']:.0%} | {d['derived']:.0%} | "
                f"{d['judgement']:.0%} | {d['none']:.0%} |"
            )
        return "\n".join(lines) + "\n"

    def table() -> None:
        from rich.table import Table

        t = Table(
            title="Figures by contest (share of the side's strength; ! = judgement, critical)"
        )
        for col in (
            "contest",
            "side",
            "system",
            "quantity",
            "share",
            "basis",
            "source",
            "date",
            "kind",
        ):
            t.add_column(col, justify="right" if col in ("quantity", "share") else "left")
        for f in rows:
            t.add_row(
                f.contest,
                f.side,
                f"[bold red]! {f.system}[/]" if f.flagged else f.system,
                _qty(f),
                f"{f.share:.0%}",
                f.basis or "[red]none[/]",
                f.source,
                str(f.date or ""),
                f.kind or "",
            )
        con = console()
        con.print(t)
        s = Table(title="Share of each side's strength by basis")
        for col in ("contest", "side", "quoted", "derived", "judgement", "none"):
            s.add_column(col, justify="left" if col in ("contest", "side") else "right")
        for (c, side), d in shares.items():
            s.add_row(c, side, *(f"{d[k]:.0%}" for k in ("quoted", "derived", "judgement", "none")))
        con.print(s)

    render(fmt, output, payload, markdown, table)
