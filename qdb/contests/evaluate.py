"""Evaluate every contest of a compiled plan over a value matrix (the one entry point).

The point assessment, Monte Carlo, sensitivity, critical-system analysis,
projection and the optimiser all call :func:`evaluate`: each law lives once,
in its own module, over arrays of samples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

from qdb.contests.ammunition import fill as ammunition_fill
from qdb.contests.iamd import campaign
from qdb.contests.lanchester import lanchester
from qdb.contests.plan import IamdContest, LanchesterContest, Plan
from qdb.contests.result import FACTOR_NAMES, Evaluation

__all__ = ["evaluate"]


def evaluate(plan: Plan, V: FloatArray, *, detail: bool = False, log: bool = False) -> Evaluation:
    """Evaluate every contest for each column of ``V``.

    Parameters
    ----------
    plan : Plan
    V : ndarray, shape (slots, n)
        Values of every slot in ``n`` samples (:meth:`Plan.values`).
    detail : bool
        Also return ratios, factors, units, contributors' inputs and the campaign.
    log : bool
        Also record the campaign's raids in the first sample (``raid_log``).

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> # ev = evaluate(plan, plan.values()); ev.balance[:, 0]
    """
    import numpy as np

    n = V.shape[1]
    S = len(plan.systems)
    C = len(plan.contests)
    ev = Evaluation(balance=np.full((C, n), np.nan))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if S:
            qty = V[[r.qty for r in plan.systems]]
            rdy = V[[r.rdy for r in plan.systems]]
            quality = V[[r.quality for r in plan.systems]]
            training = V[[r.training for r in plan.systems]]
            width = max((len(r.enablers) for r in plan.systems), default=0)
            tech = np.ones((S, n))
            for k in range(width):
                idx = [r.enablers[k] if k < len(r.enablers) else plan.one for r in plan.systems]
                tech = tech * V[idx]
        else:
            qty = rdy = quality = training = tech = np.zeros((0, n))
        q = quality * training * tech
        avail = qty * rdy
        fill = ammunition_fill(plan, V, q, avail)
        units = avail * fill
        if detail:
            ev.q, ev.units, ev.fill = q, units, fill
            for name in ("numbers_ratio", "quality_ratio", "required"):
                setattr(ev, name, np.full((C, n), np.nan))
            ev.blue_units = np.zeros((C, n))
            ev.red_units = np.zeros((C, n))
            ev.leakage = np.full((C, n), np.nan)
            ev.worst_raid_leakage = np.full((C, n), np.nan)
            ev.factors = {k: np.full((C, n), np.nan) for k in FACTOR_NAMES}
        iamd = [c for c in plan.contests if isinstance(c, IamdContest)]
        for con in plan.contests:
            if isinstance(con, LanchesterContest):
                lanchester(plan, con, V, ev, q, avail, units, quality, training, tech, detail)
        if iamd:
            campaign(plan, iamd, V, ev, q, avail, detail, log)
    return ev
