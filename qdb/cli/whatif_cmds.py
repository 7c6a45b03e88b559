"""``qdb whatif`` and ``qdb diff``: baseline vs edited, file vs file."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from qdb.cli.app import app
from qdb.cli.common import AS_OF_OPT, BLUE_OPT, DATA_OPT, RED_OPT, SCENARIO_OPT

if TYPE_CHECKING:
    from qdb.diff import InventoryDiff, MatchupDiff
    from qdb.whatif import Change, Comparison

FORMATS = ("table", "json", "markdown")

FORMAT_OPT = typer.Option("table", "--format", "-f", help="table, json or markdown.")


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is not one of {', '.join(FORMATS)}", param_hint="--format"
        )
    return fmt


# --- text helpers ----------------------------------------------------------------------------


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _delta(x: float | None) -> str:
    return "-" if x is None else f"{x:+.3f}"


def _cert(b: bool) -> str:
    return "certified" if b else "NOT certified"


def _describe(ch: Change) -> str:
    from qdb.whatif import AddSystem, RemoveSystem

    if isinstance(ch, AddSystem):
        return f"add {ch.side}:{ch.system.id}"
    if isinstance(ch, RemoveSystem):
        return f"remove {ch.side}:{ch.system_id}"
    return ch.edit


def _rows(cmp: Comparison) -> list[list[str]]:
    return [
        [
            c.id,
            "yes" if c.critical else "",
            _num(c.balance_before),
            _num(c.balance_after),
            _delta(c.delta),
            c.judgement_before,
            c.judgement_after,
            "FLIP" if c.flipped else "",
        ]
        for c in cmp.changes
    ]


HEAD = [
    "contest",
    "critical",
    "before",
    "after",
    "change",
    "judgement before",
    "judgement after",
    "",
]


def _plain_table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    right = {2, 3, 4}

    def line(r: list[str]) -> str:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _summary_lines(cmp: Comparison) -> list[str]:
    b, a = cmp.baseline, cmp.scenario
    flips = cmp.flips
    return [
        f"certification: {_cert(b.certified)} -> {_cert(a.certified)}"
        + ("  (changed)" if b.certified != a.certified else ""),
        f"index: {_num(b.index)} -> {_num(a.index)}"
        + (
            f" ({_delta(a.index - b.index)})" if a.index is not None and b.index is not None else ""
        ),
        f"judgements changed: {len(flips)}"
        + (f" ({', '.join(c.id for c in flips)})" if flips else ""),
    ]


def render_table(cmp: Comparison, title: str, color: bool) -> str:
    """The comparison as an aligned text table (rich colours on a terminal)."""
    if not color:
        return (
            "\n".join([title, "", _plain_table(HEAD, _rows(cmp)), "", *_summary_lines(cmp)]) + "\n"
        )
    from rich.console import Console
    from rich.table import Table

    colours = {"offset": "green", "matched": "yellow", "shortfall": "red", "uncontested": "dim"}
    table = Table(title=title, title_justify="left")
    for i, h in enumerate(HEAD[:-1]):
        table.add_column(h, justify="right" if i in (2, 3, 4) else "left")
    for c, r in zip(cmp.changes, _rows(cmp), strict=True):
        vb = f"[{colours.get(c.judgement_before, 'white')}]{c.judgement_before}[/]"
        va = f"[{colours.get(c.judgement_after, 'white')}]{c.judgement_after}[/]"
        if c.flipped:
            va = f"[bold reverse]{c.judgement_after}[/] [bold]flip[/]"
        d = c.delta
        delta = r[4] if d is None or d == 0 else f"[{'green' if d > 0 else 'red'}]{r[4]}[/]"
        table.add_row(r[0], r[1], r[2], r[3], delta, vb, va, style="bold" if c.flipped else None)
    import io
    import shutil

    width = shutil.get_terminal_size((100, 24)).columns
    console = Console(record=True, force_terminal=True, width=width, file=io.StringIO())
    console.print(table)
    b, a = cmp.baseline.certified, cmp.scenario.certified
    cert = f"[{'green' if b else 'red'}]{_cert(b)}[/] -> [{'green' if a else 'red'}]{_cert(a)}[/]"
    console.print(
        f"certification: {cert}" + ("  [bold](changed)[/]" if a != b else ""), highlight=False
    )
    for ln in _summary_lines(cmp)[1:]:
        console.print(ln, highlight=False, markup=False)
    return console.export_text(styles=True)


def render_markdown(cmp: Comparison, title: str) -> str:
    """The comparison as a Markdown table; flips in bold."""
    lines = [f"## {title}", ""]
    lines.append(
        "| contest | critical | balance before | balance after | change | judgement before | judgement after |"
    )
    lines.append("|---|---|---:|---:|---:|---|---|")
    for c, r in zip(cmp.changes, _rows(cmp), strict=True):
        va = f"**{c.judgement_after}** (flip)" if c.flipped else c.judgement_after
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} | {va} |")
    lines.append("")
    lines.extend(f"- {ln}" for ln in _summary_lines(cmp))
    return "\n".join(lines) + "\n"


def _is_tty() -> bool:
    return sys.stdout.isatty()


# --- whatif ------------------------------------------------------------------------------------


@app.command()
def whatif(
    edits: list[str] = typer.Argument(
        None,
        help="EDITs: SIDE:SYSTEM_ID.FIELD then =VALUE, +=DELTA or *=FACTOR "
        "(ukraine:patriot.quantity+=4); also SIDE:training.BRANCH and SIDE:enablers.NAME.",
        show_default=False,
    ),
    scenario: Path = SCENARIO_OPT,
    data: Path = DATA_OPT,
    blue: str = BLUE_OPT,
    red: str = RED_OPT,
    as_of: str = AS_OF_OPT,
    write: bool = typer.Option(
        False,
        "--write",
        help="Also record the edits in the inventory files (comments and layout kept).",
    ),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Print the unified diff of the files --write would change; write nothing.",
    ),
    fmt: str = FORMAT_OPT,
    samples: int = typer.Option(
        4000,
        "--samples",
        min=0,
        help="Monte Carlo samples on baseline and edited inputs, same draws for both "
        "(0: point estimates only).",
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed of the Monte Carlo."),
) -> None:
    """Baseline vs edited: every contest's balance, judgement and P(holds), before and after.

    Flips are highlighted; certification and the index are shown before and
    after. With --write the edits are recorded in the data files: only the
    edited values change, atomically, and only if the files did not change
    since they were read. A range {low, estimate, high} shifts or scales as
    a whole; = replaces it with a point (or with a range written
    {low: 1, estimate: 2, high: 3}).
    """
    from qdb.assess import assess
    from qdb.cli.common import dumps_json, emit, load, parse_date
    from qdb.whatif import compare, plan_cli_edits

    _check_format(fmt)
    if not edits and scenario is None:
        raise typer.BadParameter("give at least one EDIT or --scenario FILE", param_hint="EDIT")
    sf = None
    if scenario is not None:  # read once: it may be a pipe (--scenario /dev/stdin)
        from qdb.io.scenario import load_scenario

        sf = load_scenario(scenario)
    if write or dry_run:
        import contextlib

        from qdb.cli.common import data_root, recover_folder
        from qdb.io.atomic import folder_lock, recover
        from qdb.io.load import load_dataset
        from qdb.io.write import plan_write, write_plan

        root = data_root(data)
        recover_folder(root)
        # one writer at a time per folder, holding the lock from reading to renaming
        with folder_lock(root) if write else contextlib.nullcontext():
            if write:
                recover(root)  # a commit interrupted meanwhile; stale staged files
            res = load_dataset(root)  # not through the cache: the files themselves are edited
            m = res.dataset.matchup(blue, red, parse_date(as_of))
            m2, changes = plan_cli_edits(m, list(edits or []), sf)
            plan = plan_write(m, m2, changes, res.dataset.catalog_path)
            if dry_run:
                if plan.files:
                    sys.stdout.write(plan.diff())
                else:
                    print("no file would change", file=sys.stderr)
                return
            for label in write_plan(plan, root):
                print(f"wrote {label}", file=sys.stderr)
    else:
        res = load(data)
        m = res.dataset.matchup(blue, red, parse_date(as_of))
        m2, changes = plan_cli_edits(m, list(edits or []), sf)
    from qdb.cli.common import MAX_SAMPLES

    if samples > MAX_SAMPLES:
        raise typer.BadParameter(f"must be at most {MAX_SAMPLES:,}", param_hint="--samples")
    cmp = compare(
        assess(m, samples=samples, seed=seed, with_critical=False),
        assess(m2, samples=samples, seed=seed, with_critical=False),
        [_describe(c) for c in changes],
    )
    title = _title(m2.blue.side, m2.red.side, cmp.edits, sf.scenario.name if sf else None)
    out = cmp.to_json()
    if fmt == "json":
        emit(dumps_json(out))
        return
    text = render_markdown(cmp, title) if fmt == "markdown" else render_table(cmp, title, _is_tty())
    if samples:
        text = text.rstrip("\n") + "\n" + _probability_lines(out, fmt == "markdown", samples, seed)
    emit(text)


def _probability_lines(out: dict[str, Any], markdown: bool, samples: int, seed: int) -> str:
    """Per-contest probability of matched-or-offset, before and after, and of certification."""
    rows = [
        f"Determination: {out['determination_before']} -> {out['determination_after']}; "
        f"probability of certification {out['p_certified_before']:.3f} -> "
        f"{out['p_certified_after']:.3f} ({samples} samples, seed "
        f"{seed}, same draws before and after)"
    ]
    for c in out["changes"]:
        p0, p1 = c["p_holds_before"], c["p_holds_after"]
        if p0 is not None and p1 is not None and p0 != p1:
            rows.append(
                f"  {c['id']}: P(matched or offset) {p0:.3f} -> {p1:.3f}, judged "
                f"{c['judgement_before']} -> {c['judgement_after']}"
            )
    prefix = "- " if markdown else ""
    return "\n".join(prefix + r.strip() if markdown else r for r in rows) + "\n"


def _title(blue: str, red: str, edits: Sequence[str], scenario_name: str | None) -> str:
    what = ", ".join(edits) if edits else "no change"
    if scenario_name is not None:
        return f"What if: {scenario_name} ({what}) - {blue} vs {red}"
    return f"What if: {what} - {blue} vs {red}"


# --- diff --------------------------------------------------------------------------------------


def _load_pair(
    a: Path, b: Path, data: Path | None, blue: str, red: str, as_of: str | None
) -> tuple[Any, Any]:
    from qdb.cli.common import parse_date
    from qdb.errors import SelectionError
    from qdb.io.load import display_path, load_dataset, load_inventory

    when = parse_date(as_of)
    if a.is_dir() and b.is_dir():
        ma = load_dataset(a).dataset.matchup(blue, red, when)
        mb = load_dataset(b).dataset.matchup(blue, red, when)
        return ma, mb
    if a.is_dir() or b.is_dir():
        raise typer.BadParameter("compare two inventory files or two data folders, not one of each")
    for p in (a, b):
        if not p.is_file():
            raise SelectionError(f"{display_path(p)}: no such file")
    folder = data
    if folder is None:
        guess = a.resolve().parent.parent
        folder = guess if (guess / "catalog.yaml").is_file() else None
    res = load_dataset(folder)
    cat = res.dataset.catalog
    ia, ib = load_inventory(a, cat), load_inventory(b, cat)
    if ia.side != ib.side:
        raise SelectionError(
            f"{display_path(a)} is {ia.side!r} and {display_path(b)} is {ib.side!r}; "
            "diff compares two snapshots of one side"
        )
    base = res.dataset.matchup(blue, red, when)
    if ia.side not in (base.blue.side, base.red.side):
        raise SelectionError(
            f"{display_path(a)} is side {ia.side!r}, neither --blue {blue!r} nor --red {red!r}"
        )
    return base.with_side(ia.side, ia), base.with_side(ib.side, ib)


def _side_lines(d: InventoryDiff) -> list[str]:
    def val(v: Any) -> str:
        from qdb.diff import _data

        x = _data(v)
        if x is None:
            return "(absent)"
        if isinstance(x, dict):
            return "{" + ", ".join(f"{k}: {v2}" for k, v2 in x.items()) + "}"
        return str(x)

    head = f"{d.side}" + (
        f" (as of {d.as_of_before} -> {d.as_of_after})"
        if d.as_of_before != d.as_of_after
        else f" (as of {d.as_of_after})"
    )
    if d.empty:
        return [f"{head}: no change"]
    out = [f"{head}:"]
    for s in d.added:
        out.append(f"  + {s.id} ({s.name}, {s.class_}): quantity {val(s.quantity)}")
    for s in d.removed:
        out.append(f"  - {s.id} ({s.name}, {s.class_}): quantity {val(s.quantity)}")
    for c in d.changed:
        fields = "; ".join(f"{f.field} {val(f.before)} -> {val(f.after)}" for f in c.fields)
        out.append(f"  ~ {c.id}: {fields}")
    for kind, rows in (
        ("training", d.training),
        ("enablers", d.enablers),
        ("munitions", d.munitions),
        ("raids", d.raids),
    ):
        for f in rows:
            out.append(f"  ~ {kind}.{f.field}: {val(f.before)} -> {val(f.after)}")
    return out


def _catalog_lines(diff: MatchupDiff) -> list[str]:
    c = diff.catalog
    if c.empty:
        return []
    out = ["catalog:"]
    for name, ids in c.to_json().items():
        if ids:
            out.append(f"  {name.replace('_', ' ')}: {', '.join(ids)}")
    return out


@app.command()
def diff(
    a: Path = typer.Argument(..., help="The 'before' inventory file or data folder."),
    b: Path = typer.Argument(..., help="The 'after' inventory file or data folder."),
    data: Path = DATA_OPT,
    blue: str = BLUE_OPT,
    red: str = RED_OPT,
    as_of: str = AS_OF_OPT,
    fmt: str = FORMAT_OPT,
    samples: int = typer.Option(
        4000,
        "--samples",
        min=0,
        help="Monte Carlo samples on both, same draws (0: point verdicts only).",
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed of the Monte Carlo."),
) -> None:
    """What changed between two inventory files (or data folders), and what it did.

    Lists systems added, removed and changed (field by field), training and
    enabler changes, and every contest's balance, judgement and P(holds) before
    and after (same Monte Carlo draws), with the determination. Two files are two snapshots of one side, assessed
    against the other side of their data folder (or --data).
    """
    from qdb.cli.common import dumps_json, emit
    from qdb.diff import diff_matchups
    from qdb.io.load import display_path

    _check_format(fmt)
    ma, mb = _load_pair(a, b, data, blue, red, as_of)
    from qdb.cli.common import MAX_SAMPLES

    if samples > MAX_SAMPLES:
        raise typer.BadParameter(f"must be at most {MAX_SAMPLES:,}", param_hint="--samples")
    d = diff_matchups(ma, mb, display_path(a), display_path(b), samples=samples, seed=seed)
    if fmt == "json":
        emit(dumps_json(d.to_json()))
        return
    title = f"{d.before} -> {d.after}: {ma.blue.side} vs {ma.red.side}"
    data_lines = [ln for side in d.sides for ln in _side_lines(side)] + _catalog_lines(d)
    probs = _probability_lines(d.to_json(), fmt == "markdown", samples, seed) if samples else ""
    if fmt == "markdown":
        emit(
            f"# {title}\n\n```\n"
            + "\n".join(data_lines)
            + "\n```\n\n"
            + render_markdown(d.comparison, "Effect on the balance")
            + probs
        )
    else:
        emit("\n".join([title, "", *data_lines, ""]))
        emit(
            render_table(d.comparison, "Effect on the balance", _is_tty()).rstrip("\n")
            + "\n"
            + probs
        )
