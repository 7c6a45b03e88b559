"""``qdb report``: the certification report as PDF, self-contained HTML or Markdown."""

from __future__ import annotations

import datetime as dt
import re
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


DEFAULT_SAMPLES = 20_000
"""Monte Carlo draws for the report: P(holds) to about ±0.3 points, in a few seconds."""


def _shared_data(*parts: str) -> Path | None:
    """``../shared/data/russia_ukraine/...`` beside the repository checkout, if it exists."""
    repo = Path(__file__).resolve().parents[2]
    p = repo.parent.joinpath("shared", "data", "russia_ukraine", *parts)
    return p if p.exists() else None


def _attempt(key: str, call: Any) -> Any:
    """Run an optional analysis; a failure leaves its section saying so (a warning, never a crash)."""
    try:
        return call()
    except ImportError as exc:
        _warn(f"report: {key} not available ({exc})")
    except QdbError as exc:
        _warn(f"report: {key} left out: {exc}")
    except Exception as exc:
        _warn(
            f"report: {key} failed ({type(exc).__name__}: {exc}); its section says what is missing"
        )
        return {"error": f"{type(exc).__name__}"} if key == "optimization" else None
    return None


def _as_json(x: Any) -> Any:
    return x.to_json() if hasattr(x, "to_json") else x


def _backtest_raids(m: Matchup, attacks: Path) -> dict[str, Any] | None:
    from qdb.backtest import backtest_raids
    from qdb.calibrate.raids import deduplicate, group_raids, resolve
    from qdb.io.attack_records import load_attack_records, load_weapon_classes

    wc = load_weapon_classes(None)
    dd = deduplicate(load_attack_records(attacks), wc)
    raids = group_raids(resolve(dd.kept, wc).launches)
    days = int(m.catalog.campaign_days)
    to = m.red.as_of
    out: dict[str, Any] = {}
    for key, end in (("calibration", to), ("earlier", to - dt.timedelta(days=days))):
        start = end - dt.timedelta(days=days)
        bt = backtest_raids(m, raids, start, days)
        out[key] = bt.as_dict()
    return out


def _backtest_losses(m: Matchup, a: Assessment, oryx: Path) -> dict[str, Any]:
    from qdb.backtest import backtest_losses
    from qdb.io.loss_records import load_oryx_tallies

    days = int(m.catalog.campaign_days)
    to = m.red.as_of
    rows = backtest_losses(a, m, load_oryx_tallies(oryx), to - dt.timedelta(days=days), to, None)
    titles = {c.id: c.title for c in a.contests}
    out = []
    for r in rows:
        d = r.as_dict()
        d["title"] = titles.get(str(d.get("contest")), str(d.get("contest")))
        out.append(d)
    return {"contests": out}


def _optimise_json(m: Matchup, budget: float | None) -> Any:
    from qdb.optimize import optimize

    return _as_json(optimize(m, budget if budget is not None else 1e9))


_FORKED: Matchup | None = None
"""The matchup a forked optimiser process reads (inherited at fork: nothing large is pickled)."""


def _optimise_forked(budget: float | None) -> Any:
    assert _FORKED is not None
    return _optimise_json(_FORKED, budget)


class _Background:
    """The optimiser (the slowest analysis) in a second process while the rest is computed.

    Where fork is unavailable, or the pool breaks, it runs in this process instead;
    the result is the same either way (the optimiser is deterministic).
    """

    def __init__(self, m: Matchup, budget: float | None) -> None:
        global _FORKED
        self.m, self.budget = m, budget
        self.pool: Any = None
        self.job: Any = None
        try:
            import multiprocessing as mp

            _FORKED = m
            self.pool = mp.get_context("fork").Pool(1)
            self.job = self.pool.apply_async(_optimise_forked, (budget,))
        except (ValueError, OSError, ImportError):
            self.close()
        finally:
            _FORKED = None

    def result(self) -> Any:
        try:
            if self.job is not None:
                return self.job.get()
        except (OSError, EOFError, ImportError, AttributeError) as exc:  # a broken pool
            _warn(f"report: optimiser process failed ({type(exc).__name__}); running it here")
        finally:
            self.close()
        return _optimise_json(self.m, self.budget)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


def _extras(
    m: Matchup,
    a: Assessment,
    report_date: dt.date,
    budget: float | None,
    attacks: Path | None,
    oryx: Path | None,
    optimiser: _Background | None = None,
) -> dict[str, Any]:
    """Obligations at the report date, projection, optimiser and back-tests, each optional."""
    extras: dict[str, Any] = {}
    if m.commitments:

        def obl() -> Any:
            from qdb.obligations import obligations

            return _as_json(obligations(m.commitments, m.catalog, report_date.year))

        def proj() -> Any:
            from qdb.projection import project

            return _as_json(project(m))

        extras["obligations"] = _attempt("obligations", obl)
        extras["projection"] = _attempt("projection", proj)
    if any(c.critical and not c.holds for c in a.contests):

        def opt() -> Any:
            if optimiser is not None:
                return optimiser.result()
            return _optimise_json(m, budget)

        extras["optimization"] = _attempt("optimization", opt)
    elif optimiser is not None:
        optimiser.close()
    if attacks is not None:
        extras["backtest_raids"] = _attempt("raid back-test", lambda: _backtest_raids(m, attacks))
    if oryx is not None:
        extras["backtest_losses"] = _attempt("loss back-test", lambda: _backtest_losses(m, a, oryx))
    return {k: v for k, v in extras.items() if v is not None}


_EDIT = re.compile(r"^\s*([\w-]+):([\w-]+)\.([\w.-]+)\s*(\+=|\*=|=)\s*(.+?)\s*$")
_OPS = {"+=": "changed by", "*=": "multiplied by", "=": "set to"}


def _edit_words(edit: str, m: Matchup) -> str:
    """``ukraine:patriot.quantity+=4`` -> ``Ukraine's MIM-104 Patriot: quantity changed by 4``.

    The report names what was changed in words; an edit it cannot parse is quoted as given.
    """
    from qdb.report.context import side_label

    mt = _EDIT.match(edit)
    if mt is None:
        return f"the edit {edit}"
    side, target, field, op, value = mt.groups()
    try:
        inv = m.side(side)
    except QdbError:
        return f"the edit {edit}"
    if target in ("training", "enablers"):
        what = f"{target} ({field.replace('_', ' ')})"
    elif target in ("munitions", "raids"):
        what = f"{target} ({field.replace('_', ' ').replace('.', ', ')})"
    else:
        s = inv.system(target)
        what = f"{s.name if s is not None else target}: {field.replace('_', ' ')}"
    return f"{side_label(inv.side)}'s {what} {_OPS[op]} {value}"


def _previous(path: Path) -> dict[str, Any]:
    import json

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise QdbError(f"{path}: cannot read the previous assessment ({exc.strerror})") from None
    if len(raw) > 16 * 2**20:
        raise QdbError(f"{path}: the previous assessment is larger than 16 MiB")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise QdbError(f"{path}: not the JSON of qdb assess ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("contests"), list):
        raise QdbError(f"{path}: not the JSON of qdb assess (no contests list)")
    return data


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
    samples: int = typer.Option(
        DEFAULT_SAMPLES, "--samples", min=0, help="Monte Carlo draws (0: point estimates only)."
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Monte Carlo seed."),
    confidence: float = typer.Option(
        0.8, "--confidence", help="Confidence of judgements and the determination (0.5-1)."
    ),
    budget: float | None = typer.Option(
        None,
        "--budget",
        help="Limit the recommended package to this budget (M USD; default: no limit).",
        min=0,
        show_default=False,
    ),
    previous: Path | None = typer.Option(
        None,
        "--previous",
        help="An earlier `qdb assess --format json`: adds the changes since then.",
        show_default=False,
    ),
    attacks: Path | None = typer.Option(
        None,
        "--attacks",
        help="Air-attack records CSV for the raid back-test (default with the bundled data: "
        "../shared/data beside the repository, if present).",
        show_default=False,
    ),
    oryx: Path | None = typer.Option(
        None,
        "--oryx",
        help="Oryx tallies folder for the loss back-test (default as --attacks).",
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
    """Write the certification report: highlights, findings, recommendations and annexes."""
    from qdb.assess import assess
    from qdb.io.atomic import atomic_write_bytes, check_output_path
    from qdb.report import build_context, render

    if not 0.5 < confidence < 1.0:
        raise typer.BadParameter("must be between 0.5 and 1", param_hint="--confidence")
    report_date = parse_date(date, "--date") or dt.date.today()
    check_output_path(output)  # refused before the work (a folder, a FIFO, no folder)
    prev = _previous(previous) if previous is not None else None
    m, res = matchup(data, blue, red, as_of, sets, scenario)
    print_warnings(res, quiet)
    background = _Background(m, budget)
    try:
        a = assess(m, samples=samples, seed=seed, confidence=confidence)
        if data is None:
            attacks = attacks or _shared_data("air_attacks", "missile_attacks_daily.csv")
            oryx = oryx or _shared_data("oryx_scarnecchia")
        extras = _extras(m, a, report_date, budget, attacks, oryx, background)
    finally:
        background.close()
    if prev is not None:
        extras["previous"] = prev
    notes = []
    if sets or scenario:
        edits = "; ".join(_edit_words(e, m) for e in sets or [])
        what = "; ".join(x for x in (edits, scenario and f"the scenario in {scenario.name}") if x)
        notes.append(
            f"This is a what-if assessment, not the baseline position. Changed from the data: {what}."
        )
    ctx = build_context(a, m, report_date=report_date, extras=extras, notes=notes)
    atomic_write_bytes(check_output_path(output), render(ctx, fmt.value))  # not an input
