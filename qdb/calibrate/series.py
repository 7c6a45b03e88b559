"""Fit Lanchester's square law to a two-sided daily attrition series.

Model (square law, one step a day)::

    blue_t = blue_(t-1) + blue_reinforcements_t - a * red     (blue's losses on day t)
    red_t  = red_(t-1)  + red_reinforcements_t  - b * blue    (red's losses on day t)

Rows hold each side's strength at the end of a day; the first row is the
state the series starts from (its losses and reinforcements are not counted
unless a ``*_losses`` column gives them).

Two estimators:

* **Engel (1954)**, when one side is unobserved between its first and last
  values (Iwo Jima: only the Japanese garrison at the start and its total
  loss are known). For red unobserved::

      b = red lost over the battle / sum_t blue_t                 (t = 2nd … last row)
      red at the start of day t = red at the start of day t-1 - b * blue_(t-1)
      a = blue lost over the battle / sum_t red at the start of day t

  ``b`` rests on two totals only, so it has no sampling interval; ``a``
  gets a bootstrap interval over days.
* **Least squares** through the origin when both sides are observed every
  day: a row's losses against the opposing strength in the same row (the
  force engaged that day), ``a = Σ L_blue·red / Σ red²``. Intervals are a
  bootstrap over days.

``law="fit"`` also fits the exponent ``p`` of the generalised law in which
blue's loss-exchange ratio is ``q · r^(1-p)`` (``r = red / blue``; ``p = 2``
square, ``p = 1`` linear — the form qdb's power-law contests use), from
``ln(L_red / L_blue) = ln q + (1 - p) ln(red / blue)`` over days, with a
bootstrap interval. The exponent is *identifiable* only when that interval
excludes 1 or excludes 2.

References
----------
J. H. Engel, "A verification of Lanchester's law", *J. Operations Research
Society of America* 2(2):163-171, 1954.
R. L. Helmbold, "Osipov: the 'Russian Lanchester'", *European J. Operational
Research* 65:278-288, 1993 (the generalised exponent).
J. Bracken, "Lanchester models of the Ardennes campaign", *Naval Research
Logistics* 42(4):559-577, 1995.
R. D. Fricker, "Attrition models of the Ardennes campaign", *Naval Research
Logistics* 45(1):1-22, 1998.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from qdb.errors import CalibrationError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Arr = npt.NDArray[np.float64]

__all__ = ["Series", "SeriesFit", "fit_series", "series_markdown"]

Law = Literal["square", "fit"]


@dataclass(frozen=True)
class Series:
    """A two-sided daily series as read from a calibration CSV.

    Attributes
    ----------
    day : tuple of float
        Strictly increasing day numbers.
    blue, red : tuple of float or None
        Strength at the end of each day; ``None`` where unobserved (never in
        the first row).
    blue_reinforcements, red_reinforcements : tuple of float or None
        Arrivals each day (``None``: the column is absent, i.e. none).
    blue_losses, red_losses : tuple of float or None
        Losses each day, when the source records them.
    source : str
        Where the series came from (for messages).
    """

    day: tuple[float, ...]
    blue: tuple[float | None, ...]
    red: tuple[float | None, ...]
    blue_reinforcements: tuple[float, ...] | None = None
    red_reinforcements: tuple[float, ...] | None = None
    blue_losses: tuple[float, ...] | None = None
    red_losses: tuple[float, ...] | None = None
    source: str = "<series>"


@dataclass(frozen=True)
class SeriesFit:
    """The fitted coefficients, their intervals and what could not be identified.

    ``ci_b`` (or ``ci_a``) is ``None`` when the estimator has no sampling
    variability to resample (Engel's coefficient on the unobserved side).
    """

    a: float
    b: float
    ci_a: tuple[float, float] | None
    ci_b: tuple[float, float] | None
    method: str
    days: int
    blue_lost: float
    red_lost: float
    law: str
    samples: int
    seed: int
    level: float
    exponent: float | None = None
    ci_exponent: tuple[float, float] | None = None
    identifiable: bool | None = None
    law_ssr: dict[str, dict[str, float]] | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON object (``a``, ``b``, ``ci``, ``method`` first)."""
        ci: dict[str, Any] = {"a": _pair(self.ci_a), "b": _pair(self.ci_b)}
        out: dict[str, Any] = {"a": self.a, "b": self.b, "ci": ci, "method": self.method}
        if self.law == "fit":
            ci["exponent"] = _pair(self.ci_exponent)
            out["exponent"] = self.exponent
            out["identifiable"] = self.identifiable
        out.update(
            {
                "law": self.law,
                "level": self.level,
                "days": self.days,
                "blue_lost": self.blue_lost,
                "red_lost": self.red_lost,
                "samples": self.samples,
                "seed": self.seed,
            }
        )
        if self.law_ssr is not None:
            out["law_ssr"] = self.law_ssr
        out["notes"] = list(self.notes)
        return out


def _pair(ci: tuple[float, float] | None) -> list[float] | None:
    return None if ci is None else [ci[0], ci[1]]


def fit_series(
    series: Series,
    law: Law = "square",
    samples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> SeriesFit:
    """Fit the square law (and, with ``law="fit"``, the exponent) to a daily series.

    Parameters
    ----------
    series : Series
        The days, both sides' strengths and any reinforcements or losses.
    law : {"square", "fit"}
        ``"fit"`` also estimates the exponent of the generalised law.
    samples : int
        Bootstrap resamples over days (0: no intervals).
    seed : int
        Seed of the bootstrap; the same inputs and seed give the same numbers.
    level : float
        Coverage of the percentile intervals.

    Returns
    -------
    SeriesFit

    Raises
    ------
    CalibrationError
        Fewer than two rows, both sides unobserved on some day, or no loss to fit.

    Examples
    --------
    Blue loses a tenth of red's strength a day, red a twentieth of blue's:

    >>> s = Series(day=(0, 1, 2), blue=(100, 96, 92), red=(40, 35, 30),
    ...            blue_losses=(4, 3.5, 3), red_losses=(5, 4.8, 4.6))
    >>> fit = fit_series(s, samples=0)
    >>> round(fit.a, 6), round(fit.b, 6), fit.method
    (0.1, 0.05, 'least_squares')
    """
    import numpy as np

    if law not in ("square", "fit"):
        raise ValueError(f"law must be 'square' or 'fit', not {law!r}")
    if not 0 < level < 1:
        raise ValueError("level must lie strictly between 0 and 1")
    if samples < 0:
        raise ValueError("samples must be >= 0")
    n = len(series.day)
    if n < 2:
        raise CalibrationError(f"{series.source}: need at least two rows (a start and a day)")
    if series.blue[0] is None or series.red[0] is None:
        raise CalibrationError(f"{series.source}: the first row must give both strengths")
    rng = np.random.default_rng(seed)
    blue_gap = any(v is None for v in series.blue)
    red_gap = any(v is None for v in series.red)
    if blue_gap and red_gap:
        raise CalibrationError(
            f"{series.source}: both sides are unobserved on some days; "
            "Engel's estimator needs one side observed every day"
        )
    if blue_gap or red_gap:
        side = "blue" if blue_gap else "red"
        return _engel_fit(series, side, law, samples, seed, level, rng)
    return _ls_fit(series, law, samples, seed, level, rng)


# --- Engel -------------------------------------------------------------------------


def _col(values: Sequence[float] | None, n: int) -> Arr:
    import numpy as np

    return np.zeros(n) if values is None else np.asarray(values, dtype=float)


def _engel_fit(
    s: Series, unobserved: str, law: str, samples: int, seed: int, level: float, rng: Any
) -> SeriesFit:
    import numpy as np

    n = len(s.day)
    obs_side = "red" if unobserved == "blue" else "blue"
    obs = np.asarray(getattr(s, obs_side), dtype=float)
    obs_reinf = _col(getattr(s, f"{obs_side}_reinforcements"), n)
    obs_losses = getattr(s, f"{obs_side}_losses")
    uno = getattr(s, unobserved)
    uno_reinf = _col(getattr(s, f"{unobserved}_reinforcements"), n)
    uno_losses = getattr(s, f"{unobserved}_losses")

    if uno_losses is not None:
        uno_lost = float(np.sum(np.asarray(uno_losses, dtype=float)[1:]))
    elif uno[-1] is None:
        raise CalibrationError(
            f"{s.source}: {unobserved} is blank in the last row; Engel's estimator needs "
            f"{unobserved}'s last value or a {unobserved}_losses column"
        )
    else:
        uno_lost = float(uno[0] + uno_reinf[1:].sum() - uno[-1])
    fire = obs[1:]  # the observed side's strength on each day of fighting
    if fire.sum() <= 0:
        raise CalibrationError(f"{s.source}: {obs_side} is zero on every day; nothing to fit")
    k_uno = uno_lost / float(fire.sum())  # coefficient of the losses the unobserved side takes

    # the unobserved side at the start of each day, reconstructed forward
    start = np.empty(n - 1)
    start[0] = float(uno[0])
    for t in range(1, n - 1):
        start[t] = start[t - 1] + uno_reinf[t] - k_uno * fire[t - 1]
    if obs_losses is not None:
        daily = np.asarray(obs_losses, dtype=float)[1:]
    else:
        daily = obs[:-1] + obs_reinf[1:] - obs[1:]
    obs_lost = float(daily.sum())
    if start.sum() <= 0:
        raise CalibrationError(
            f"{s.source}: the reconstructed {unobserved} strength sums to zero; nothing to fit"
        )
    k_obs = obs_lost / float(start.sum())

    notes = [
        f"Engel (1954): {unobserved} is unobserved between its first and last values, so the "
        f"coefficient of {unobserved}'s losses rests on its total loss over the observed side's "
        "summed strength; both intervals resample days (for that coefficient only the daily "
        "profile of the observed side varies: its interval is narrow and says nothing of "
        "error in the two totals).",
    ]
    if (start < 0).any():
        notes.append(
            f"the reconstructed {unobserved} strength goes negative on "
            f"{int((start < 0).sum())} day(s): the totals and the daily series disagree"
        )
    ci_obs = ci_uno = None
    if samples > 0:
        idx = rng.integers(0, n - 1, size=(samples, n - 1))
        num = daily[idx].sum(axis=1)
        den = start[idx].sum(axis=1)
        ok = den > 0
        ci_obs = _interval(num[ok] / den[ok], level)
        fired = fire[idx].sum(axis=1)
        ok2 = fired > 0
        ci_uno = _interval(uno_lost / fired[ok2], level)
    # a is the coefficient of blue's losses (red's fire), b of red's losses
    if unobserved == "red":
        a, b, ci_a, ci_b = k_obs, k_uno, ci_obs, ci_uno
        blue_lost, red_lost = obs_lost, uno_lost
    else:
        a, b, ci_a, ci_b = k_uno, k_obs, ci_uno, ci_obs
        blue_lost, red_lost = uno_lost, obs_lost
    exponent = ci_exp = None
    identifiable = None
    if law == "fit":
        identifiable = False
        notes.append(
            f"exponent not estimable: {unobserved}'s daily losses are unobserved, so the daily "
            "loss-exchange ratio cannot be formed"
        )
    return SeriesFit(
        a=a,
        b=b,
        ci_a=ci_a,
        ci_b=ci_b,
        method="engel",
        days=n - 1,
        blue_lost=blue_lost,
        red_lost=red_lost,
        law=law,
        samples=samples,
        seed=seed,
        level=level,
        exponent=exponent,
        ci_exponent=ci_exp,
        identifiable=identifiable,
        notes=tuple(notes),
    )


# --- least squares -----------------------------------------------------------------


def _ls_fit(s: Series, law: str, samples: int, seed: int, level: float, rng: Any) -> SeriesFit:
    import numpy as np

    n = len(s.day)
    blue = np.asarray(s.blue, dtype=float)
    red = np.asarray(s.red, dtype=float)
    if s.blue_losses is not None and s.red_losses is not None:
        rows = np.arange(n)
        lb = np.asarray(s.blue_losses, dtype=float)
        lr = np.asarray(s.red_losses, dtype=float)
    else:
        rows = np.arange(1, n)
        lb = _daily_losses(blue, s.blue_losses, s.blue_reinforcements, n)
        lr = _daily_losses(red, s.red_losses, s.red_reinforcements, n)
    lb, lr, B, R = lb[rows], lr[rows], blue[rows], red[rows]
    if (R**2).sum() <= 0 or (B**2).sum() <= 0:
        raise CalibrationError(f"{s.source}: a side is zero on every day; nothing to fit")
    a = float(lb @ R / (R @ R))
    b = float(lr @ B / (B @ B))
    m = len(rows)
    notes = [
        "least squares through the origin: a row's losses against the opposing strength "
        "in the same row; intervals resample days"
    ]
    if (lb < 0).any() or (lr < 0).any():
        notes.append(
            "some daily losses are negative (strength rose more than the recorded "
            "reinforcements): unrecorded arrivals or returns"
        )
    ci_a = ci_b = None
    idx = rng.integers(0, m, size=(samples, m)) if samples > 0 else None
    if idx is not None:
        ra, rb = R[idx], B[idx]
        den_a, den_b = (ra**2).sum(axis=1), (rb**2).sum(axis=1)
        ok = (den_a > 0) & (den_b > 0)
        ci_a = _interval((lb[idx] * ra).sum(axis=1)[ok] / den_a[ok], level)
        ci_b = _interval((lr[idx] * rb).sum(axis=1)[ok] / den_b[ok], level)
    exponent = None
    ci_exp = None
    identifiable = None
    law_ssr = None
    if law == "fit":
        law_ssr = {
            "blue": _law_ssr(lb, enemy=R, own=B),
            "red": _law_ssr(lr, enemy=B, own=R),
        }
        pos = (lb > 0) & (lr > 0) & (B > 0) & (R > 0)
        x = np.log(R[pos] / B[pos])
        y = np.log(lr[pos] / lb[pos])
        if pos.sum() < 3 or float(np.var(x)) <= 0:
            notes.append("exponent not estimable: fewer than three days with both losses > 0")
            identifiable = False
        else:
            exponent = 1.0 - _slope(x, y)
            if pos.sum() < m:
                notes.append(f"exponent from the {int(pos.sum())} days with both losses > 0")
            if samples > 0:
                k = len(x)
                j = rng.integers(0, k, size=(samples, k))
                slopes = _slopes(x[j], y[j])
                ci_exp = _interval(1.0 - slopes[np.isfinite(slopes)], level)
                identifiable = not (ci_exp[0] <= 1.0 and ci_exp[1] >= 2.0)
            else:
                identifiable = None
            if identifiable is False:
                notes.append(
                    f"exponent NOT identified: its {level:.0%} interval "
                    f"[{ci_exp[0]:.2f}, {ci_exp[1]:.2f}] spans both 1 (linear) and 2 (square)"
                    if ci_exp
                    else "exponent not identified"
                )
    return SeriesFit(
        a=a,
        b=b,
        ci_a=ci_a,
        ci_b=ci_b,
        method="least_squares",
        days=int(m),
        blue_lost=float(lb.sum()),
        red_lost=float(lr.sum()),
        law=law,
        samples=samples,
        seed=seed,
        level=level,
        exponent=exponent,
        ci_exponent=ci_exp,
        identifiable=identifiable,
        law_ssr=law_ssr,
        notes=tuple(notes),
    )


def _daily_losses(
    strength: Arr, losses: Sequence[float] | None, reinf: Sequence[float] | None, n: int
) -> Arr:
    import numpy as np

    if losses is not None:
        return np.asarray(losses, dtype=float)
    out = np.zeros(n)
    out[1:] = strength[:-1] + _col(reinf, n)[1:] - strength[1:]
    return out


def _law_ssr(loss: Arr, enemy: Arr, own: Arr) -> dict[str, float]:
    """Residual sum of squares of the daily losses under the three fixed laws."""
    out = {}
    for name, x in (("square", enemy), ("linear", enemy * own), ("logarithmic", own)):
        k = float(loss @ x / (x @ x))
        out[name] = float(((loss - k * x) ** 2).sum())
    return out


def _slope(x: Arr, y: Arr) -> float:
    xc = x - x.mean()
    return float(xc @ (y - y.mean()) / (xc @ xc))


def _slopes(x: Arr, y: Arr) -> Arr:
    """Row-wise OLS slopes (NaN where x does not vary)."""
    import numpy as np

    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    den = (xc * xc).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: Arr = np.where(den > 1e-12, (xc * yc).sum(axis=1) / den, np.nan)
    return out


def _interval(values: Arr, level: float) -> tuple[float, float]:
    import numpy as np

    if len(values) == 0:
        return (math.nan, math.nan)
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return (float(lo), float(hi))


# --- text --------------------------------------------------------------------------


def _fmt_ci(ci: tuple[float, float] | None, digits: int = 4) -> str:
    if ci is None:
        return "— (not estimable)"
    return f"[{ci[0]:.{digits}g}, {ci[1]:.{digits}g}]"


def series_rows(fit: SeriesFit) -> list[tuple[str, str, str]]:
    """(quantity, estimate, interval) rows for a table."""
    rows = [
        ("a (blue's losses per red per day)", f"{fit.a:.4g}", _fmt_ci(fit.ci_a)),
        ("b (red's losses per blue per day)", f"{fit.b:.4g}", _fmt_ci(fit.ci_b)),
    ]
    if fit.law == "fit":
        exp = "—" if fit.exponent is None else f"{fit.exponent:.3g}"
        rows.append(("exponent p", exp, _fmt_ci(fit.ci_exponent, 3)))
        rows.append(("identifiable", "yes" if fit.identifiable else "NO", ""))
    return rows


def series_markdown(fit: SeriesFit, title: str = "Attrition fit") -> str:
    """The fit as Markdown: a table of estimates and intervals, then the notes."""
    out = [
        f"# {title}",
        "",
        f"Method: {fit.method.replace('_', ' ')}; {fit.days} days; blue lost "
        f"{fit.blue_lost:,.0f}, red lost {fit.red_lost:,.0f}. Intervals: {fit.level:.0%} "
        f"bootstrap ({fit.samples} resamples, seed {fit.seed}).",
        "",
        "| quantity | estimate | interval |",
        "|---|---:|---|",
    ]
    out += [f"| {q} | {e} | {i} |" for q, e, i in series_rows(fit)]
    if fit.law_ssr:
        out += ["", "Residual sum of squares of daily losses under fixed laws:", ""]
        out += ["| side | square | linear | logarithmic |", "|---|---:|---:|---:|"]
        for side, d in fit.law_ssr.items():
            out.append(
                f"| {side} | {d['square']:.4g} | {d['linear']:.4g} | {d['logarithmic']:.4g} |"
            )
    if fit.notes:
        out += [""] + [f"- {n}" for n in fit.notes]
    return "\n".join(out) + "\n"
