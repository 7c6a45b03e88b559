"""Fit the exponent of the balance on CDB90 battles and score it out of sample.

**Exponent.** qdb's power law gives blue a loss-exchange ratio (red's losses
per blue loss) of ``q · r^(1-p)`` with ``r = N_red / N_blue``. Taking the
attacker as blue, ``ln(CASD / CASA) = ln q + (1 - p) ln(INTSTD / INTSTA)``;
the least-squares slope over battles gives ``p = 1 - slope``, with a
percentile bootstrap interval over battles. Strengths are measured with error
(the CDB90 README warns of limited reliability), which flattens the slope and
pulls ``p`` towards 1; the reverse regression bounds the other side (Frisch
bounds), reported as ``eiv_bounds``.

**Outcome.** The balance ``ln β = ln q − p ln r`` is scored as a predictor
of the attacker winning (decided battles only). On each training set
``p`` and the weights of the coded qualitative advantages (``LEADA``,
``TRNGA``, ``MORALA``, ``LOGSA``, ``MOMNTA``, ``INTELA``, ``TECHA``, ``INITA``)
come from the loss-exchange regression above, and a logistic link
``P(win) = 1 / (1 + exp(-(α + γ ln β)))`` is fitted; the held-out battles are
then predicted with nothing refitted. Beside it: the force ratio alone, HERO's
relative combat effectiveness ``CEA`` alone (an analyst judgement made with
hindsight) and an unrestricted logistic on the same inputs. Two schemes:
seeded k-fold, and training on battles before ``split_year`` / testing on
those from it on. Scores: AUC (Mann-Whitney) and Brier score.

References
----------
R. L. Helmbold, "A compilation of data on rates of advance in land combat
operations" / "Personnel attrition rates in historical land combat
operations", US Army Concepts Analysis Agency, CAA-RP-93-2, 1993 (DTIC ADA279069).
D. S. Hartley, *Topics in Operations Research: Predicting Combat Effects*,
INFORMS, 2001.
US Army Concepts Analysis Agency, *Database of Battles – Version 1990* (CDB90);
J. B. Arnold, CDB90 battle dataset (github.com/jrnold/CDB90).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qdb.errors import CalibrationError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Arr = npt.NDArray[np.float64]
    Idx = npt.NDArray[np.intp]

__all__ = [
    "ERAS",
    "QUALITY_CODES",
    "Battle",
    "BattlesReport",
    "auc",
    "brier",
    "calibrate_battles",
    "fit_exponent",
    "fit_logistic",
]

QUALITY_CODES = ("LEADA", "TRNGA", "MORALA", "LOGSA", "MOMNTA", "INTELA", "TECHA", "INITA")
ERAS: tuple[tuple[str, int | None, int | None], ...] = (
    ("before 1900", None, 1900),
    ("1900-1944", 1900, 1945),
    ("1945 on", 1945, None),
)
#: Quoted in issue #15 as published baselines; the publication is not named there.
REFERENCE_AUC = {"force_ratio": 0.574, "cea": 0.659}
MODELS = ("balance", "force_ratio", "cea", "unrestricted", "base_rate")


@dataclass(frozen=True)
class Battle:
    """One CDB90 battle (attacker ``_a``, defender ``_d``); ``None`` = missing."""

    isqno: int
    name: str
    war: str
    year: int | None
    wina: int | None
    str_a: float | None
    str_d: float | None
    cas_a: float | None
    cas_d: float | None
    tank_a: float | None
    tank_d: float | None
    ctank_a: float | None
    ctank_d: float | None
    cea: int | None
    codes: tuple[int | None, ...]


@dataclass(frozen=True)
class BattlesReport:
    """Exponent fits and out-of-sample scores (see :func:`calibrate_battles`)."""

    exponents: dict[str, dict[str, Any]]
    scores: dict[str, dict[str, Any]]
    in_sample_rank_auc: dict[str, float]
    n_battles: int
    n_scored: int
    folds: int
    split_year: int
    samples: int
    seed: int
    level: float

    def to_json(self) -> dict[str, Any]:
        """JSON object: ``exponents``, ``scores``, ``reference`` and settings."""
        return {
            "exponents": self.exponents,
            "scores": self.scores,
            "in_sample_rank_auc": self.in_sample_rank_auc,
            "reference_auc": {
                **REFERENCE_AUC,
                "source": "quoted in qdb issue #15 as published; publication not named there",
            },
            "n_battles": self.n_battles,
            "n_scored": self.n_scored,
            "folds": self.folds,
            "split_year": self.split_year,
            "samples": self.samples,
            "seed": self.seed,
            "level": self.level,
        }


# --- statistics ---------------------------------------------------------------------


def auc(y: Sequence[float] | Arr, score: Sequence[float] | Arr) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count one half).

    Examples
    --------
    >>> auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    import numpy as np

    yv = np.asarray(y, dtype=float)
    s = np.asarray(score, dtype=float)
    pos, neg = int((yv == 1).sum()), int((yv == 0).sum())
    if pos == 0 or neg == 0:
        return math.nan
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    ss = s[order]
    i = 0
    while i < len(ss):  # average ranks over ties
        j = i
        while j + 1 < len(ss) and ss[j + 1] == ss[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[yv == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def brier(y: Sequence[float] | Arr, p: Sequence[float] | Arr) -> float:
    """Mean squared error of probabilities against 0/1 outcomes.

    Examples
    --------
    >>> brier([0, 1], [0.2, 0.6])
    0.1
    """
    import numpy as np

    d = np.asarray(p, dtype=float) - np.asarray(y, dtype=float)
    return round(float((d * d).mean()), 15)


def fit_logistic(X: Arr, y: Arr, ridge: float = 1e-4, iterations: int = 100) -> Arr:
    """Logistic regression by Newton's method (first column: intercept, not penalised).

    A tiny ridge keeps the fit finite when a training set is separable.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.c_[np.ones(4), [-2.0, -1.0, 1.0, 2.0]]
    >>> w = fit_logistic(X, np.array([0.0, 1.0, 0.0, 1.0]))
    >>> bool(abs(w[0]) < 1e-9)
    True
    """
    import numpy as np

    w = np.zeros(X.shape[1])
    pen = np.full(X.shape[1], ridge)
    pen[0] = 0.0
    for _ in range(iterations):
        z = np.clip(X @ w, -30, 30)
        p = 1.0 / (1.0 + np.exp(-z))
        g = X.T @ (p - y) + pen * w
        h = (X * (p * (1 - p))[:, None]).T @ X + np.diag(pen) + 1e-12 * np.eye(len(w))
        step = np.linalg.solve(h, g)
        w = w - step
        if float(np.abs(step).max()) < 1e-10:
            break
    out: Arr = w
    return out


def _predict(X: Arr, w: Arr) -> Arr:
    import numpy as np

    out: Arr = 1.0 / (1.0 + np.exp(-np.clip(X @ w, -30, 30)))
    return out


def fit_exponent(x: Arr, y: Arr, samples: int, rng: Any, level: float = 0.95) -> dict[str, Any]:
    """``p = 1 − slope`` of ``y = ln LER`` on ``x = ln r``, with a bootstrap interval.

    Returns
    -------
    dict
        ``n``, ``exponent``, ``ci`` (percentile, resampling battles),
        ``eiv_bounds`` (``p`` from the direct and the reverse regression),
        ``identifiable`` (false when ``ci`` spans both 1 and 2; ``None`` if no
        resamples), ``r2``.
    """
    import numpy as np

    n = len(x)
    if n < 3 or float(np.var(x)) <= 0:
        return {"n": n, "exponent": None, "ci": None, "eiv_bounds": None, "identifiable": False}
    xc, yc = x - x.mean(), y - y.mean()
    sxx, sxy, syy = float(xc @ xc), float(xc @ yc), float(yc @ yc)
    slope = sxy / sxx
    p = 1.0 - slope
    r2 = sxy * sxy / (sxx * syy) if syy > 0 else 0.0
    eiv = None
    if sxy != 0:
        p_rev = 1.0 - syy / sxy
        eiv = [min(p, p_rev), max(p, p_rev)]
    ci = None
    identifiable = None
    if samples > 0:
        j = rng.integers(0, n, size=(samples, n))
        xs, ys = x[j], y[j]
        xsc = xs - xs.mean(axis=1, keepdims=True)
        ysc = ys - ys.mean(axis=1, keepdims=True)
        den = (xsc * xsc).sum(axis=1)
        ok = den > 1e-12
        ps = 1.0 - (xsc * ysc).sum(axis=1)[ok] / den[ok]
        lo, hi = np.quantile(ps, [(1 - level) / 2, (1 + level) / 2])
        ci = [float(lo), float(hi)]
        identifiable = not (ci[0] <= 1.0 and ci[1] >= 2.0)
    return {
        "n": n,
        "exponent": p,
        "ci": ci,
        "eiv_bounds": eiv,
        "identifiable": identifiable,
        "r2": r2,
    }


# --- data selection -----------------------------------------------------------------


def _ler_points(battles: Sequence[Battle], kind: str) -> tuple[Arr, Arr]:
    """x = ln(defender / attacker strength), y = ln(defender / attacker losses)."""
    import numpy as np

    xs, ys = [], []
    for b in battles:
        if kind == "tanks":
            na, nd, ca, cd = b.tank_a, b.tank_d, b.ctank_a, b.ctank_d
        else:
            na, nd, ca, cd = b.str_a, b.str_d, b.cas_a, b.cas_d
        if na and nd and ca and cd and min(na, nd, ca, cd) > 0:
            xs.append(math.log(nd / na))
            ys.append(math.log(cd / ca))
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)


def _in_era(b: Battle, lo: int | None, hi: int | None) -> bool:
    if b.year is None:
        return False
    return (lo is None or b.year >= lo) and (hi is None or b.year < hi)


# --- outcome models -----------------------------------------------------------------


@dataclass(frozen=True)
class _Scored:
    """The battles scored: outcome and every model's inputs, aligned."""

    y: Arr  # 1 attacker won, 0 attacker lost
    log_fr: Arr  # ln(INTSTA / INTSTD)
    cea: Arr
    codes: Arr  # (n, len(QUALITY_CODES))
    ler: Arr  # ln(CASD / CASA), NaN where a casualty figure is missing or zero
    year: Arr


def _scored(battles: Sequence[Battle]) -> _Scored:
    import numpy as np

    rows = [
        b
        for b in battles
        if b.wina in (1, -1)
        and b.str_a
        and b.str_d
        and b.str_a > 0
        and b.str_d > 0
        and b.cea is not None
        and all(c is not None for c in b.codes)
    ]
    ler = [
        math.log(b.cas_d / b.cas_a)
        if b.cas_a and b.cas_d and b.cas_a > 0 and b.cas_d > 0
        else math.nan
        for b in rows
    ]
    return _Scored(
        y=np.array([1.0 if b.wina == 1 else 0.0 for b in rows]),
        log_fr=np.array([math.log(b.str_a / b.str_d) for b in rows]),  # type: ignore[operator]
        cea=np.array([float(b.cea) for b in rows]),  # type: ignore[arg-type]
        codes=np.array([[float(c) for c in b.codes] for b in rows]).reshape(len(rows), -1),  # type: ignore[arg-type]
        ler=np.array(ler, dtype=float),
        year=np.array([math.nan if b.year is None else float(b.year) for b in rows]),
    )


def _balance_index(d: _Scored, train: Idx, rows: Idx) -> tuple[Arr, Arr]:
    """ln β for ``rows`` with p and the quality weights fitted on ``train`` only.

    The loss-exchange regression ``ln(CASD/CASA) = c + w·codes + (1-p)·ln(INTSTD/INTSTA)``
    on the training battles with both casualty figures gives ``ln q = c + w·codes``;
    ``ln β = ln q − p ln r = ln q + p·ln(INTSTA/INTSTD)``.
    """
    import numpy as np

    t = train[np.isfinite(d.ler[train])]
    X = np.c_[np.ones(len(t)), -d.log_fr[t], d.codes[t]]
    coef, *_ = np.linalg.lstsq(X, d.ler[t], rcond=None)
    p = 1.0 - coef[1]
    ln_q_train = coef[0] + d.codes[train] @ coef[2:]
    ln_q_rows = coef[0] + d.codes[rows] @ coef[2:]
    return ln_q_train + p * d.log_fr[train], ln_q_rows + p * d.log_fr[rows]


def _features(d: _Scored, model: str, train: Idx, test: Idx) -> tuple[Arr, Arr]:
    import numpy as np

    if model == "balance":
        a, b = _balance_index(d, train, test)
        return np.c_[np.ones(len(train)), a], np.c_[np.ones(len(test)), b]
    if model == "force_ratio":
        cols = d.log_fr[:, None]
    elif model == "cea":
        cols = d.cea[:, None]
    elif model == "unrestricted":
        cols = np.c_[d.log_fr, d.codes]
    else:  # base_rate
        cols = np.zeros((len(d.y), 0))
    return np.c_[np.ones(len(train)), cols[train]], np.c_[np.ones(len(test)), cols[test]]


def _fit_predict(d: _Scored, model: str, train: Idx, test: Idx) -> Arr:
    Xtr, Xte = _features(d, model, train, test)
    w = fit_logistic(Xtr, d.y[train])
    return _predict(Xte, w)


def _score(d: _Scored, folds: int, split_year: int, rng: Any) -> dict[str, dict[str, Any]]:
    import numpy as np

    n = len(d.y)
    perm = rng.permutation(n)
    parts = np.array_split(perm, folds)
    out: dict[str, dict[str, Any]] = {}
    early = np.flatnonzero(d.year < split_year)
    late = np.flatnonzero(d.year >= split_year)
    for model in MODELS:
        oof = np.empty(n)
        for k in range(folds):
            test = parts[k]
            train = np.concatenate([parts[j] for j in range(folds) if j != k])
            oof[test] = _fit_predict(d, model, train, test)
        # a constant score has no ranking: its pooled out-of-fold AUC would be an artefact
        kfold = {
            "auc": None if model == "base_rate" else auc(d.y, oof),
            "brier": brier(d.y, oof),
            "n": n,
        }
        temporal: dict[str, Any] = {"n_train": len(early), "n_test": len(late)}
        if len(early) and len(late):
            pt = _fit_predict(d, model, early, late)
            a = None if model == "base_rate" else auc(d.y[late], pt)
            temporal.update({"auc": a, "brier": brier(d.y[late], pt)})
        out[model] = {"kfold": kfold, "temporal": temporal}
    return out


def calibrate_battles(
    battles: Sequence[Battle],
    folds: int = 10,
    samples: int = 1000,
    seed: int = 0,
    split_year: int = 1945,
    level: float = 0.95,
) -> BattlesReport:
    """Exponent by era and for armour, and out-of-sample scores of the balance.

    Parameters
    ----------
    battles : sequence of Battle
        CDB90 battles (:func:`qdb.io.calibration_csv.load_cdb90`).
    folds : int
        k of the k-fold cross-validation (assignment seeded by ``seed``).
    samples : int
        Bootstrap resamples for the exponent intervals.
    seed : int
        One seed for folds and bootstrap; same inputs and seed, same numbers.
    split_year : int
        Temporal scheme: train on battles before this year, test on the rest.
    level : float
        Coverage of the exponent intervals.

    Returns
    -------
    BattlesReport

    Raises
    ------
    CalibrationError
        Too few battles to fit or to form the folds.
    """
    import numpy as np

    if folds < 2:
        raise CalibrationError("--folds must be at least 2")
    boot_ss, fold_ss = np.random.SeedSequence(seed).spawn(2)
    boot = np.random.default_rng(boot_ss)
    exps: dict[str, dict[str, Any]] = {}
    groups: list[tuple[str, Sequence[Battle], str]] = [("all", battles, "personnel")]
    groups += [
        (name, [b for b in battles if _in_era(b, lo, hi)], "personnel") for name, lo, hi in ERAS
    ]
    groups += [("tanks", battles, "tanks")]
    groups += [
        (f"tanks {name}", [b for b in battles if _in_era(b, lo, hi)], "tanks")
        for name, lo, hi in ERAS
    ]
    for name, sel, kind in groups:
        x, y = _ler_points(sel, kind)
        res = fit_exponent(x, y, samples, boot, level)
        res["kind"] = kind
        exps[name] = res
    d = _scored(battles)
    if len(d.y) < 2 * folds:
        raise CalibrationError(f"only {len(d.y)} battles can be scored; fewer than 2 × --folds")
    scores = _score(d, folds, split_year, np.random.default_rng(fold_ss))
    return BattlesReport(
        exponents=exps,
        scores=scores,
        in_sample_rank_auc={"force_ratio": auc(d.y, d.log_fr), "cea": auc(d.y, d.cea)},
        n_battles=len(battles),
        n_scored=len(d.y),
        folds=folds,
        split_year=split_year,
        samples=samples,
        seed=seed,
        level=level,
    )


# --- text --------------------------------------------------------------------------

MODEL_TITLES = {
    "balance": "qdb balance (p and quality weights from losses, logistic link)",
    "force_ratio": "force ratio alone",
    "cea": "CEA alone (hindsight judgement)",
    "unrestricted": "logistic on force ratio + quality codes",
    "base_rate": "base rate (no information)",
}


def _f(v: Any, spec: str = ".3f") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    return format(v, spec)


def exponent_rows(rep: BattlesReport) -> list[list[str]]:
    """Table rows: group, n, p, interval, EIV bounds, identifiable."""
    rows = []
    for name, e in rep.exponents.items():
        ci = e.get("ci")
        eiv = e.get("eiv_bounds")
        ident = e.get("identifiable")
        rows.append(
            [
                name,
                str(e["n"]),
                _f(e.get("exponent"), ".2f"),
                "—" if not ci else f"[{ci[0]:.2f}, {ci[1]:.2f}]",
                "—" if not eiv else f"[{eiv[0]:.2f}, {eiv[1]:.2f}]",
                "—" if ident is None else ("yes" if ident else "NO"),
            ]
        )
    return rows


def score_rows(rep: BattlesReport) -> list[list[str]]:
    """Table rows: model, k-fold AUC and Brier, temporal AUC and Brier."""
    rows = []
    for model, s in rep.scores.items():
        k, t = s["kfold"], s["temporal"]
        rows.append(
            [
                MODEL_TITLES[model],
                _f(k["auc"]),
                _f(k["brier"]),
                _f(t.get("auc")),
                _f(t.get("brier")),
            ]
        )
    return rows


def battles_markdown(rep: BattlesReport) -> str:
    """The report as Markdown: exponent table, score table, reading notes."""
    out = [
        "# CDB90 calibration",
        "",
        f"{rep.n_battles} battles. Exponent p from ln(defender/attacker losses) on "
        f"ln(defender/attacker strength) (p = 1 − slope); {rep.level:.0%} bootstrap "
        f"intervals ({rep.samples} resamples, seed {rep.seed}); EIV bounds = direct and "
        "reverse regression.",
        "",
        "| group | n | p | interval | EIV bounds | identifiable |",
        "|---|---:|---:|---|---|---|",
    ]
    out += ["| " + " | ".join(r) + " |" for r in exponent_rows(rep)]
    e = rep.scores["balance"]["temporal"]
    out += [
        "",
        f"Predicting the winner (attacker won or lost), {rep.n_scored} decided battles with "
        f"strengths, CEA and quality codes: {rep.folds}-fold out-of-fold, and trained on "
        f"{e['n_train']} battles before {rep.split_year} / tested on {e['n_test']} from then on.",
        "",
        "| model | k-fold AUC | k-fold Brier | temporal AUC | temporal Brier |",
        "|---|---:|---:|---:|---:|",
    ]
    out += ["| " + " | ".join(r) + " |" for r in score_rows(rep)]
    ins = rep.in_sample_rank_auc
    out += [
        "",
        f"In-sample rank AUC (no fitting): force ratio {ins['force_ratio']:.3f}, CEA "
        f"{ins['cea']:.3f}. Quoted in issue #15 as published: force ratio "
        f"{REFERENCE_AUC['force_ratio']}, CEA {REFERENCE_AUC['cea']} (publication not named).",
    ]
    return "\n".join(out) + "\n"
