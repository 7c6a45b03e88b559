"""Lanchester laws: square (aimed fire), linear (area fire) and power (mixed).

With ``N`` the weighted units and ``Q`` the unit-weighted mean quality of each
side, the balance is ``β = (Q_blue / Q_red) / (N_red / N_blue) ** p``: the
quality edge blue holds divided by the edge it needs to offset red's numbers.
Under the square law (p = 2) fighting strength is ``Q · N²`` (Lanchester 1916);
under the linear law (p = 1) it is ``Q · N``; ``power`` takes p from the data
(e.g. Hartley's fits of historical battles give exponents between 1 and 2).

References
----------
F. W. Lanchester, *Aircraft in Warfare: The Dawn of the Fourth Arm*, 1916.
T. N. Dupuy, *Understanding War*, 1987 (combat-effectiveness multipliers).
D. S. Hartley, *Topics in Operations Research: Predicting Combat Effects*, 2001.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from qdb.contests.base import contributors, result
from qdb.graph import Participant
from qdb.models import Contest, Thresholds
from qdb.results import ContestResult

__all__ = ["exponent_of", "lanchester"]


def exponent_of(contest: Contest) -> float:
    """p: 2 for square, 1 for linear, the data's ``exponent`` for power."""
    if contest.law == "square":
        return 2.0
    if contest.law == "linear":
        return 1.0
    if contest.exponent is None:
        raise ValueError(f"contest {contest.id!r}: power law needs an exponent")
    return contest.exponent.value


def _means(parts: Sequence[Participant]) -> tuple[float, float, float, float, float]:
    """N, and the n-weighted means of q, quality, training and technology."""
    n = sum(p.units for p in parts)
    if n <= 0:
        return 0.0, 0.0, 0.0, 0.0, 0.0
    return (
        n,
        sum(p.units * p.q for p in parts) / n,
        sum(p.units * p.quality for p in parts) / n,
        sum(p.units * p.training for p in parts) / n,
        sum(p.units * p.technology for p in parts) / n,
    )


def lanchester(
    contest: Contest,
    blue: Sequence[Participant],
    red: Sequence[Participant],
    thresholds: Thresholds,
) -> ContestResult:
    """Evaluate a square, linear or power-law contest.

    Examples
    --------
    Four blue units of quality 1.5 against eight red units of quality 1.0 under
    the square law: r = 2, q = 1.5, β = 1.5 / 2² = 0.375 (shortfall).
    """
    p = exponent_of(contest)
    nb, qb, eb, tb, kb = _means(blue)
    nr, qr, er, tr, kr = _means(red)
    numbers_ratio = quality_ratio = required = balance = None
    factors = None
    if nr <= 0:
        numbers_ratio = 0.0 if nb > 0 else None
    elif nb <= 0:
        balance = 0.0
    else:
        r = nr / nb
        q = qb / qr
        numbers_ratio, quality_ratio = r, q
        required = r**p
        balance = q / required
        ln_b = math.log(q) - p * math.log(r)
        factors = {
            "numbers": -p * math.log(r),
            "equipment": math.log(eb / er),
            "training": math.log(tb / tr),
            "technology": math.log(kb / kr),
        }
        factors["interaction"] = ln_b - sum(factors.values())
    return result(
        contest,
        balance,
        thresholds,
        exponent=p,
        blue_units=nb,
        red_units=nr,
        numbers_ratio=numbers_ratio,
        quality_ratio=quality_ratio,
        required_quality_ratio=required,
        factors=factors,
        contributors_blue=contributors(blue, lambda x: x.units * x.q),
        contributors_red=contributors(red, lambda x: x.units * x.q),
    )
