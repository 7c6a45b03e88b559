"""What the engine returns: arrays over samples (pure data).

:func:`~qdb.contests.evaluate.evaluate` takes a compiled :class:`~qdb.contests.plan.Plan` and a value
matrix ``V`` (slots x samples) and returns, per contest and sample, the
balance β and (with ``detail``) every number the assessment reports. The point
assessment is the one-column case; Monte Carlo, sensitivity, critical-system
analysis, projection and the optimiser call the same function.

The math (DESIGN.md, "Contest models"):

* units ``n_s = w · quantity · readiness · u_s`` (``u_s`` the share of the
  system's ammunition demand that its side's daily supply fills, best first);
  quality ``q_s = quality · training[branch] · Π enablers[domain]``;
* Lanchester: ``β = (Q_blue / Q_red) / r^p`` with ``r = N_red / N_blue``;
  factors are log terms that sum to ``ln β``;
* iamd: one campaign of raids against shared magazines, in expected values;
  ``β = ln(max(leakage, 1e-6)) / ln(acceptable_leakage)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

__all__ = ["FACTOR_NAMES", "LEAK_FLOOR", "Evaluation", "RaidOutcome"]

LEAK_FLOOR = 1e-6
FACTOR_NAMES = ("numbers", "sustainment", "equipment", "training", "technology", "interaction")


@dataclass(frozen=True)
class RaidOutcome:
    """One raid of the campaign in the first sample: rounds launched and leaked per class."""

    day: int
    raid: str
    launched: dict[str, float]
    leaked: dict[str, float]


@dataclass
class Evaluation:
    """Arrays over samples (last axis). Contest rows follow ``plan.contest_ids``.

    ``balance`` is NaN where a contest is uncontested. The detail arrays are
    present when :func:`evaluate` ran with ``detail=True``.
    """

    balance: FloatArray
    numbers_ratio: FloatArray | None = None
    quality_ratio: FloatArray | None = None
    required: FloatArray | None = None
    blue_units: FloatArray | None = None
    red_units: FloatArray | None = None
    leakage: FloatArray | None = None
    worst_raid_leakage: FloatArray | None = None
    factors: dict[str, FloatArray] = field(default_factory=dict)
    q: FloatArray | None = None  # per system
    units: FloatArray | None = None  # quantity · readiness · u, per system
    fill: FloatArray | None = None  # u, per system
    fired: FloatArray | None = None  # per system (interceptors)
    kills: FloatArray | None = None
    kills_by_class: dict[str, FloatArray] = field(default_factory=dict)
    exhausted_day: Any = None  # int array per system, -1 never
    launched: FloatArray | None = None  # per threat position
    leaked: FloatArray | None = None
    raid_log: list[RaidOutcome] = field(default_factory=list)
