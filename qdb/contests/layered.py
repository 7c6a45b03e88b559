"""Layered air and missile defence: leakage through layers fired in order.

Each red threat system sends ``min(per_day, quantity / campaign_days) · weight``
a day (T in all). Layers fire outer to inner at the threats still flying, one
shot each: layer l fires ``min(rationed_l, flying)`` shots where
``rationed_l = min(capacity_l, Σ stock / campaign_days)`` and ``capacity_l =
Σ quantity · readiness · shots_per_day``, and kills with ``Pk_l = min(0.99,
pk · q_l)``. ``leakage`` is the share of T that gets through, and the balance
``β = ln(max(leakage, 1e-6)) / ln(acceptable_leakage)`` measures defence depth
in log space: two independent layers that each let 10 % through score as a
single layer letting 1 % through.

References
----------
Ball, R. E., *The Fundamentals of Aircraft Combat Survivability*, 2nd ed., 2003
(cumulative kill probability of successive independent engagements).
Wilkening, D. A., "A simple model for calculating ballistic missile defense
effectiveness", *Science & Global Security* 8(2), 1999.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from qdb.contests.base import contributors, result
from qdb.graph import Participant
from qdb.models import CapabilityClass, Contest, Thresholds
from qdb.results import ContestResult, Contributor

__all__ = ["LayerPlan", "layered_defence", "plan_layers"]

PK_CAP = 0.99
LEAK_FLOOR = 1e-6


class LayerPlan:
    """Per-layer numbers of one contest (capacity, rationing, Pk)."""

    def __init__(
        self, cls_id: str, parts: list[Participant], cls: CapabilityClass, days: float
    ) -> None:
        self.cls_id = cls_id
        self.parts = parts
        spd = cls.shots_per_day.value if cls.shots_per_day is not None else 0.0
        pk = cls.pk.value if cls.pk is not None else 0.0
        self.capacity_by = [p.system.quantity.value * p.system.readiness.value * spd for p in parts]
        self.capacity = sum(self.capacity_by)
        stocks = [p.system.stock.value for p in parts if p.system.stock is not None]
        self.unlimited = any(p.system.stock is None for p in parts) or not parts
        self.stock = sum(stocks) if stocks else None
        stock_rate = math.inf if self.unlimited else (self.stock or 0.0) / days
        self.rationed = min(self.capacity, stock_rate)
        units = sum(p.system.quantity.value * p.system.readiness.value for p in parts)
        self.q = (
            sum(p.system.quantity.value * p.system.readiness.value * p.q for p in parts) / units
            if units > 0
            else 0.0
        )
        self.pk = min(PK_CAP, pk * self.q)


def plan_layers(
    contest: Contest, blue: Sequence[Participant], classes: dict[str, CapabilityClass]
) -> list[LayerPlan]:
    """Group blue participants by layer, outer to inner."""
    days = contest.campaign_days.value if contest.campaign_days is not None else 1.0
    plans = []
    for pos, cls_id in enumerate(contest.layers):
        parts = [p for p in blue if p.layer == pos]
        plans.append(LayerPlan(cls_id, parts, classes[cls_id], days))
    return plans


def _cascade(
    arrivals: float, plans: Sequence[LayerPlan], rationed: bool
) -> tuple[float, list[float], list[float]]:
    """Flying threats after the layers; shots and kills per layer."""
    flying = arrivals
    shots, kills = [], []
    for lp in plans:
        fire = min(lp.rationed if rationed else lp.capacity, flying)
        k = fire * lp.pk
        flying -= k
        shots.append(fire)
        kills.append(k)
    return flying, shots, kills


def layered_defence(
    contest: Contest,
    blue: Sequence[Participant],
    red: Sequence[Participant],
    thresholds: Thresholds,
    classes: dict[str, CapabilityClass] | None = None,
) -> ContestResult:
    """Evaluate a layered-defence contest (see module docstring)."""
    if classes is None:
        raise ValueError("layered_defence needs the catalog classes")
    days = contest.campaign_days.value if contest.campaign_days is not None else 1.0
    accept = contest.acceptable_leakage.value if contest.acceptable_leakage is not None else 0.1

    def arrivals(p: Participant) -> float:
        pd = p.system.per_day
        if pd is None:
            return 0.0
        return min(pd.value, p.system.quantity.value / days) * p.weight

    T = sum(arrivals(p) for p in red)
    plans = plan_layers(contest, blue, classes)
    blue_units = sum(lp.rationed for lp in plans)
    flying, shots, kills = _cascade(T, plans, rationed=True)
    leakage = balance = days_left = None
    numbers_ratio = None
    if T > 0:
        leakage = max(0.0, flying / T)
        balance = math.log(max(leakage, LEAK_FLOOR)) / math.log(accept)
        numbers_ratio = T / blue_units if blue_units > 0 else None
        _, free_shots, _ = _cascade(T, plans, rationed=False)
        lasts = [
            lp.stock / s
            for lp, s in zip(plans, free_shots, strict=True)
            if lp.stock is not None and s > 0
        ]
        days_left = min(lasts) if lasts else None
    elif blue_units > 0:
        numbers_ratio = 0.0
    layer_info: list[dict[str, Any]] = []
    kill_by: dict[str, float] = {}
    for lp, s, k in zip(plans, shots, kills, strict=True):
        layer_info.append(
            {
                "class": lp.cls_id,
                "capacity": lp.capacity,
                "rationed": lp.rationed,
                "stock": lp.stock,
                "pk": lp.pk,
                "shots": s,
                "kills": k,
            }
        )
        wsum = sum(c * p.q for c, p in zip(lp.capacity_by, lp.parts, strict=True))
        for c, p in zip(lp.capacity_by, lp.parts, strict=True):
            kill_by[p.node] = kill_by.get(p.node, 0.0) + (k * c * p.q / wsum if wsum > 0 else 0.0)
    blue_parts = [p for lp in plans for p in lp.parts]
    contrib_blue: tuple[Contributor, ...] = contributors(
        blue_parts, lambda p: kill_by.get(p.node, 0.0)
    )
    return result(
        contest,
        balance,
        thresholds,
        exponent=None,
        blue_units=blue_units,
        red_units=T,
        numbers_ratio=numbers_ratio,
        quality_ratio=None,
        required_quality_ratio=None,
        factors=None,
        contributors_blue=contrib_blue,
        contributors_red=contributors(red, arrivals),
        leakage=leakage,
        days_of_interceptors=days_left,
        layers=tuple(layer_info),
    )
