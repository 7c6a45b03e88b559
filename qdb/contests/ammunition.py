"""Ammunition-limited fires: a side's daily supply of a munition goes to its best guns first.

``supply = stock / campaign_days + per_day``; the systems that fire the
munition take it in order of quality ``q_s`` descending (ties by id), each up
to ``quantity · readiness · rate``; ``u_s`` is the share of its demand filled.
Best first keeps the balance monotone: removing a weak gun never frees shells
for a better one that lacked them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

    from qdb.contests.plan import Plan

__all__ = ["fill"]


def fill(plan: Plan, V: FloatArray, q: FloatArray, avail: FloatArray) -> FloatArray:
    """``u_s``: each side's daily supply of a munition goes to its best guns first.

    ``supply = stock / campaign_days + per_day``; users in order of quality
    ``q_s`` descending (ties by id), each taking up to ``quantity · readiness ·
    rate``. A system firing a munition its side has no entry for is unlimited.
    """
    import numpy as np

    fill = np.ones_like(avail)
    days = float(plan.campaign_days)
    for mun in plan.munitions:
        if not mun.users:
            continue
        users = list(mun.users)  # sorted by id: the stable sort keeps id order on ties
        rate = V[[plan.systems[i].fires[1] for i in users]]  # type: ignore[index]
        demand = avail[users] * rate
        supply = V[mun.stock] / days + V[mun.per_day]
        order = np.argsort(-q[users], axis=0, kind="stable")
        d_sorted = np.take_along_axis(demand, order, axis=0)
        before = np.cumsum(d_sorted, axis=0) - d_sorted
        got = np.clip(supply[None, :] - before, 0.0, d_sorted)
        share = np.where(d_sorted > 0, got / np.where(d_sorted > 0, d_sorted, 1.0), 1.0)
        out = np.empty_like(share)
        np.put_along_axis(out, order, share, axis=0)
        fill[users] = out
    return fill
