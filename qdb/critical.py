"""Single points of failure: blue systems whose loss changes a critical contest's judgement.

A lost system leaves every contest it takes part in, with its stock (its
quantity becomes 0). Each candidate is re-scored on the same draws as the
baseline (common random numbers: the first ``samples`` samples of the run),
and only the contests it is in are re-evaluated:

* Lanchester contests by running sums — ``N' = N − n_s``, ``Σnq' = Σnq −
  n_s q_s`` — except that when the system fires a munition its side rations,
  the munition's best-first allocation is redone for that munition's users
  (the shells it no longer fires go to the next guns in line);
* the air campaign (shared magazines) is re-run for each interceptor system,
  candidates batched as extra columns of one evaluation.

So the analysis is linear in systems (times a munition group's size). A system
is reported when, without it, a critical contest that holds (judged offset or
matched; with ``samples`` 0, by its point verdict) no longer does (judged
shortfall or indeterminate), ranked by the drop in P(certified). A contest
already judged shortfall or indeterminate has no single point of failure to
report: it does not hold with confidence to begin with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qdb.contests import evaluate
from qdb.contests.ammunition import fill as ammunition_fill
from qdb.contests.iamd import campaign, campaign_slots
from qdb.contests.plan import IamdContest, LanchesterContest, Munition, Plan
from qdb.contests.result import Evaluation
from qdb.results import Assessment, CriticalSystem
from qdb.verdicts import at_least, judgement, verdict

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

__all__ = ["critical_systems"]

HOLDS = ("offset", "matched", "uncontested")
"""Judgements under which a contest holds: a single point of failure breaks one of these."""

BATCH = 16
"""Interceptor candidates re-run together (columns of one campaign evaluation)."""


def _draws(plan: Plan, samples: int, seed: int) -> FloatArray:
    """The value matrix: column 0 the point estimate, then the first ``samples`` draws."""
    import numpy as np

    if not samples or not plan.inputs:
        return plan.values()
    from qdb.uncertainty import _copula, _Sampler

    cop, _ = _copula(plan.matchup, plan.inputs)
    X = _Sampler(plan.inputs, seed, cop).draw(samples).copy()
    X = np.concatenate([plan.point_values()[:, None], X], axis=1)
    return plan.values(X)


def _users_plan(plan: Plan, mun: Munition, q: FloatArray, avail: FloatArray) -> Any:
    """A munition's users alone: (plan of them, system index -> row, q rows, avail rows).

    :func:`qdb.contests.ammunition.fill` on it gives the users' fills with the
    same operations as on the whole plan, at the cost of the group, not of every
    system.
    """
    from dataclasses import replace

    users = {u: k for k, u in enumerate(mun.users)}
    sub = replace(
        plan,
        systems=tuple(plan.systems[u] for u in users),
        munitions=(replace(mun, users=tuple(range(len(users)))),),
    )
    return sub, users, q[list(users)], avail[list(users)]


def _campaign_without(
    plan: Plan,
    iamd: list[IamdContest],
    V: FloatArray,
    q: FloatArray,
    avail: FloatArray,
    group: list[int],
    slots: list[int],
    rows_sys: list[int],
) -> FloatArray:
    """Balances (contests x len(group)·n): the campaign without each system of ``group`` in turn.

    Only the campaign runs, and only the rows it reads are filled (the other rows
    are never read): a lost system's ready units are 0, as with its quantity 0
    in a whole evaluation.
    """
    import numpy as np

    n = V.shape[1]
    N = n * len(group)
    Vb = np.empty((V.shape[0], N))
    Vb[slots] = np.tile(V[slots], (1, len(group)))
    qb = np.empty((q.shape[0], N))
    qb[rows_sys] = np.tile(q[rows_sys], (1, len(group)))
    ab = np.empty((q.shape[0], N))
    ab[rows_sys] = np.tile(avail[rows_sys], (1, len(group)))
    for k, j in enumerate(group):
        ab[j, k * n : (k + 1) * n] = 0.0
    ev = Evaluation(balance=np.full((len(plan.contests), N), np.nan))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        campaign(plan, iamd, Vb, ev, qb, ab, False, False)
    return ev.balance


def _judge(bal: FloatArray, plan: Plan, confidence: float, sampled: bool) -> str:
    """Judgement from a row of balances (column 0 = point; the rest = draws)."""
    import numpy as np

    if not sampled:
        b = float(bal[0])
        return verdict(None if b != b else b, plan.matched, plan.offset)
    draws = bal[1:]
    if np.isnan(draws).all():
        return "uncontested"
    return judgement(
        float(at_least(draws, plan.offset).mean()),
        float(at_least(draws, plan.matched).mean()),
        confidence,
    )


def critical_systems(
    plan: Plan, a: Assessment, *, seed: int = 0, samples: int = 0, confidence: float = 0.8
) -> tuple[CriticalSystem, ...]:
    """Blue systems whose loss breaks a critical contest that holds (see module doc).

    Parameters
    ----------
    plan : Plan
        The compiled matchup of ``a``.
    a : Assessment
        The baseline (for the index without each system).
    seed, samples : int
        Draws of the analysis: the first ``samples`` of the run with ``seed``;
        0 judges by point verdicts.
    confidence : float

    Returns
    -------
    tuple of CriticalSystem
        Ranked by the drop in P(certified), then by id.
    """
    import numpy as np

    crit = [i for i, c in enumerate(plan.critical) if c]
    if not crit:
        return ()
    V = _draws(plan, samples, seed)
    sampled = V.shape[1] > 1
    ev = evaluate(plan, V, detail=True)
    assert ev.units is not None and ev.q is not None and ev.fill is not None
    base = ev.balance
    base_j = {i: _judge(base[i], plan, confidence, sampled) for i in crit}
    holds = at_least(base[crit], plan.matched)  # (critical, columns)

    def p_cert(rows: dict[int, Any]) -> float:
        h: Any = holds.copy()
        for k, i in enumerate(crit):
            if i in rows:
                h[k] = at_least(rows[i], plan.matched)
        ok: Any = h.all(axis=0)
        return float(ok[1:].mean()) if sampled else float(ok[0])

    p0 = p_cert({})

    def breaks(rows: dict[int, Any]) -> dict[int, str]:
        """The holding contests judged not to hold with these balances, and their judgements."""
        changed: dict[int, str] = {}
        for i, b in rows.items():
            if base_j[i] in HOLDS:
                jd = _judge(b, plan, confidence, sampled)
                if jd not in HOLDS:
                    changed[i] = jd
        return changed

    avail = V[[r.qty for r in plan.systems]] * V[[r.rdy for r in plan.systems]]
    # munition groups that ration: system -> (munition entry, users)
    rationed = {u: mun for mun in plan.munitions for u in mun.users}
    groups = {
        (mun.munition, mun.role): _users_plan(plan, mun, ev.q, avail) for mun in plan.munitions
    }
    candidates: dict[int, dict[int, Any]] = {}  # system -> contest -> balances without it

    freed: dict[int, Any] = {}  # rationed gun -> its munition's fills without it (users' rows)

    units_, q_, fill_ = ev.units, ev.q, ev.fill  # narrowed (asserted above)

    def land(con: LanchesterContest, only: set[int] | None) -> None:
        """Balances of ``con`` without each blue member (running sums; ``only`` these)."""
        p = V[con.exponent]
        wb = {j: V[w] for j, w in con.blue}
        nb_m = {j: wb[j] * units_[j] for j in wb}
        nb = sum(nb_m.values(), np.zeros(V.shape[1]))
        nqb = sum((nb_m[j] * q_[j] for j in wb), np.zeros(V.shape[1]))
        nr = sum((V[w] * units_[j] for j, w in con.red), np.zeros(V.shape[1]))
        nqr = sum((V[w] * units_[j] * q_[j] for j, w in con.red), np.zeros(V.shape[1]))
        for s in wb:
            if only is not None and s not in only:
                continue
            n2, nq2 = nb - nb_m[s], nqb - nb_m[s] * q_[s]
            mun = rationed.get(s)
            if mun is not None and (fill_[s] * avail[s]).any():
                # its shells go to the next guns in line (a gun that got none frees none:
                # the guns after it stay unsupplied)
                sub, users, q_u, av_u = groups[mun.munition, mun.role]
                if s not in freed:
                    av = av_u.copy()
                    av[users[s]] = 0.0
                    freed[s] = ammunition_fill(sub, V, q_u, av)  # the law, on the users' rows
                f2 = freed[s]
                for u, k in users.items():
                    if u in wb and u != s:
                        d = wb[u] * avail[u] * (f2[k] - fill_[u])
                        n2, nq2 = n2 + d, nq2 + d * q_[u]
            with np.errstate(divide="ignore", invalid="ignore"):
                beta = np.where(n2 > 0, (nq2 / n2) / (nqr / nr) / (nr / n2) ** p, 0.0)
            candidates.setdefault(s, {})[con.index] = np.where(nr > 0, beta, np.nan)

    # contests that hold first (a system breaks only those); the others, later, only for
    # the systems reported (their P(certified) and index without them)
    lands = [c for c in plan.contests if isinstance(c, LanchesterContest) and c.index in crit]
    for con in lands:
        if base_j[con.index] in HOLDS:
            land(con, None)

    iamd = [c for c in plan.contests if isinstance(c, IamdContest) and c.index in crit]
    if iamd:
        threats = {t for c in iamd for t in c.threats}
        interceptors = [
            j
            for layer in plan.layers
            if any(e.threat in threats for e in layer.engages)
            for j in layer.systems
        ]
        if not any(base_j[c.index] in HOLDS for c in iamd):
            # no air contest to break: its rows only serve the P(certified) and index of
            # systems reported for a land contest
            interceptors = [j for j in interceptors if j in candidates and breaks(candidates[j])]
        n = V.shape[1]
        slots = campaign_slots(plan)
        rows_sys = sorted({*plan.threats, *(j for layer in plan.layers for j in layer.systems)})
        for start in range(0, len(interceptors), BATCH):
            group = interceptors[start : start + BATCH]
            bal = _campaign_without(plan, iamd, V, ev.q, avail, group, slots, rows_sys)
            for k, j in enumerate(group):
                rows = candidates.setdefault(j, {})
                for c in iamd:
                    rows[c.index] = bal[c.index, k * n : (k + 1) * n]

    reported = {s for s, rows in candidates.items() if breaks(rows)}
    for con in lands:
        if base_j[con.index] not in HOLDS:
            land(con, reported)

    position = {cid: i for i, cid in enumerate(plan.contest_ids)}
    out: list[CriticalSystem] = []
    for s, rows in candidates.items():
        changed = breaks(rows)
        if not changed:
            continue
        num = den = 0.0
        for r in a.contests:
            if r.balance is None:
                continue
            i = position[r.id]
            b = float(rows[i][0]) if i in rows else r.balance
            num += r.weight * min(b, 1.0)
            den += r.weight
        pc = p_cert(rows)
        row = plan.systems[s]
        out.append(
            CriticalSystem(
                kind="system",
                id=row.id,
                name=row.name,
                flips=tuple(plan.contest_ids[i] for i in sorted(changed)),
                index_without=num / den if den else None,
                judgements_without=tuple(
                    (plan.contest_ids[i], jd) for i, jd in sorted(changed.items())
                ),
                p_certified_without=pc if sampled else None,
                p_certified_drop=(p0 - pc) if sampled else None,
            )
        )
    out.sort(key=lambda c: (-(c.p_certified_drop or 0.0), -len(c.flips), c.id))
    return tuple(out)
