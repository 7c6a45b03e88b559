"""``qdb calibrate series`` and ``qdb calibrate battles``."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from qdb.cli.app import app
from qdb.cli.common import OUTPUT_OPT, Fmt, render
from qdb.cli.common import console as _console

if TYPE_CHECKING:
    from qdb.calibrate.battles import BattlesReport
    from qdb.calibrate.series import SeriesFit

calibrate = typer.Typer(
    help="Fit attrition laws to history and score the balance on battles it was not fitted on.",
    no_args_is_help=True,
)
app.add_typer(calibrate, name="calibrate")

SEED_OPT = typer.Option(
    0, "--seed", help="Seed of the bootstrap (and folds): same seed, same output."
)


class LawOpt(str, Enum):
    square = "square"
    fit = "fit"


@calibrate.command("series")
def series_cmd(
    file: Path = typer.Argument(..., help="CSV: day, blue, red [, *_reinforcements, *_losses]."),
    law: LawOpt = typer.Option(
        LawOpt.square,
        "--law",
        help="square: a and b; fit: also the exponent of the generalised law.",
    ),
    column: list[str] = typer.Option(
        None,
        "--column",
        "-c",
        help="Map a series column to this file's header, e.g. blue=forces_allies (repeatable).",
        show_default=False,
    ),
    samples: int = typer.Option(2000, "--samples", min=0, help="Bootstrap resamples over days."),
    seed: int = SEED_OPT,
    fmt: Fmt = typer.Option(Fmt.table, "--format", "-f", help="table, json or markdown."),
    output: Path = OUTPUT_OPT,
) -> None:
    """Fit Lanchester's square law (a, b) to a two-sided daily series, with intervals.

    Engel's (1954) estimator where one side is unobserved between its first
    and last values, least squares otherwise. --law fit adds the exponent p of
    the generalised law (loss-exchange ratio q·r^(1-p)) and says whether the
    data identify it (its interval must not span both 1 and 2).
    """
    from qdb.calibrate.series import fit_series, series_markdown
    from qdb.io.calibration_csv import load_series, parse_column_map

    s = load_series(file, parse_column_map(column))
    fit = fit_series(s, law=law.value, samples=samples, seed=seed)
    title = f"Attrition fit — {s.source}"
    render(
        fmt,
        output,
        fit.to_json,
        lambda: series_markdown(fit, title),
        lambda: _series_table(fit, title),
    )


def _series_table(fit: SeriesFit, title: str) -> None:
    from rich.table import Table

    from qdb.calibrate.series import series_rows

    t = Table(
        title=title,
        caption=f"{fit.method.replace('_', ' ')}, {fit.days} days; {fit.level:.0%} bootstrap "
        f"intervals ({fit.samples} resamples, seed {fit.seed})",
    )
    t.add_column("Quantity")
    t.add_column("Estimate", justify="right")
    t.add_column("Interval")
    for row in series_rows(fit):
        t.add_row(*row)
    c = _console()
    c.print(t)
    for n in fit.notes:
        c.print(f"• {n}")


@calibrate.command("battles")
def battles_cmd(
    directory: Path = typer.Argument(
        None,
        help="CDB90 folder holding CDB90-patched.csv (default: ../shared/data/cdb90 beside the repo).",
        show_default=False,
    ),
    folds: int = typer.Option(10, "--folds", min=2, help="k of the k-fold cross-validation."),
    split_year: int = typer.Option(
        1945, "--split-year", help="Train on battles before this year, test on the rest."
    ),
    samples: int = typer.Option(1000, "--samples", min=0, help="Bootstrap resamples over battles."),
    seed: int = SEED_OPT,
    fmt: Fmt = typer.Option(Fmt.table, "--format", "-f", help="table, json or markdown."),
    output: Path = OUTPUT_OPT,
) -> None:
    """Fit the exponent on CDB90 battles and score the balance as a predictor, out of sample.

    The exponent p relates the loss-exchange ratio to the force ratio (by era
    and for armour). The balance (p and the coded quality advantages fitted on
    training battles only) predicts the winner of held-out battles, beside the
    force ratio alone and HERO's CEA: AUC and Brier score, k-fold and
    train-before/test-after --split-year.
    """
    from qdb.calibrate.battles import battles_markdown, calibrate_battles
    from qdb.errors import SelectionError
    from qdb.io.calibration_csv import default_cdb90_dir, load_cdb90

    d = directory if directory is not None else default_cdb90_dir()
    if d is None:
        raise SelectionError("no ../shared/data/cdb90 beside the repository: give DIR")
    rep = calibrate_battles(
        load_cdb90(d), folds=folds, samples=samples, seed=seed, split_year=split_year
    )
    render(fmt, output, rep.to_json, lambda: battles_markdown(rep), lambda: _battles_table(rep))


def _battles_table(rep: BattlesReport) -> None:
    from rich.table import Table

    from qdb.calibrate.battles import REFERENCE_AUC, exponent_rows, score_rows

    c = _console()
    t = Table(
        title=f"Exponent p from CDB90 losses ({rep.n_battles} battles)",
        caption=f"p = 1 − slope of ln(loss ratio) on ln(force ratio); {rep.level:.0%} bootstrap "
        f"({rep.samples} resamples, seed {rep.seed}); EIV = direct/reverse regression",
    )
    for h in ("Group", "n", "p", "Interval", "EIV bounds", "Identifiable"):
        t.add_column(h, justify="right" if h in ("n", "p") else "left")
    for r in exponent_rows(rep):
        t.add_row(*r)
    c.print(t)
    e = rep.scores["balance"]["temporal"]
    s = Table(
        title=f"Predicting the winner out of sample ({rep.n_scored} decided battles)",
        caption=f"{rep.folds}-fold; temporal = train {e['n_train']} before {rep.split_year}, "
        f"test {e['n_test']}. Quoted as published (issue #15): force ratio AUC "
        f"{REFERENCE_AUC['force_ratio']}, CEA {REFERENCE_AUC['cea']}",
    )
    for h in ("Model", "k-fold AUC", "k-fold Brier", "Temporal AUC", "Temporal Brier"):
        s.add_column(h, justify="left" if h == "Model" else "right")
    for r in score_rows(rep):
        s.add_row(*r)
    c.print(s)
