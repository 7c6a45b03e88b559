"""The integrated air and missile defence campaign, over samples (DESIGN.md, ``iamd``).

One campaign per assessment, shared by every ``iamd`` contest, in expected
values: raids from the red inventory launch against shared magazines; layers
(outer to inner) fire best first; each engagement kills with ``1 − (1 −
pk)^(shots · q_s / q_j)``; what flies past the last layer leaks. Each contest
scores the leakage of its threat classes: ``β = ln(max(leakage, 1e-6)) /
ln(acceptable_leakage)``.

References
----------
Ball, R. E., *The Fundamentals of Aircraft Combat Survivability*, 2nd ed., 2003.
Wilkening, D. A., "A simple model for calculating ballistic missile defense
effectiveness", *Science & Global Security* 8(2), 1999.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

from dataclasses import dataclass

from qdb.contests.result import LEAK_FLOOR, Evaluation, RaidOutcome

if TYPE_CHECKING:
    from qdb.contests.plan import IamdContest, Layer, Plan, Raid

__all__ = ["campaign", "campaign_slots"]

_EMPTY = 1e-9  # a magazine at or below this many rounds is empty (float noise)

BLOCK = 4096
"""Samples the campaign runs at once when given many more: its scratch arrays then stay
in the CPU cache (benchmarks/campaign.py: ~13 us/sample in cache, ~19 beyond)."""


@dataclass
class _LayerState:
    """One layer's magazines and tallies during the campaign, systems in firing order."""

    layer: Layer
    idx: list[int]
    order: Any
    cap: Any
    stock: Any
    resup: Any
    fired: Any
    kills: dict[str, Any]
    exhausted: Any
    P: dict[str, tuple[list[int], Any]]
    coverage: Any
    scratch: Any = None  # resupply of a day gap


def _coverage(layer: Layer, V: Any, avail: Any) -> Any:
    """Share of a raid within reach of a layer: ``coverage``, or from ``coverage_per_unit``.

    With ``coverage_per_unit`` c1 the layer's U ready units, placed independently,
    cover ``1 - (1 - c1)^U``: more fire units defend more of the country, with
    diminishing returns.
    """
    import numpy as np

    if layer.coverage_per_unit is None:
        return V[layer.coverage]
    units = avail.sum(axis=0)
    out: Any = 1.0 - np.power(1.0 - V[layer.coverage_per_unit], units)
    return out


@dataclass
class _Engagement:
    """One engagement step of a raid: a layer firing at one threat class, with scratch arrays."""

    threat: str
    shots: int
    rows: Any  # rows of the raid's threats engaged (a slice when contiguous)
    single: bool  # one threat system engaged
    P: Any  # (systems, threats, n) kill probabilities
    reach: Any
    want: Any
    fired: Any
    before: Any  # None for a one-system layer
    frac: Any
    hit: Any
    fh: Any  # None for a one-system layer
    gone: Any


@dataclass
class _Step:
    """One layer's part in a raid."""

    state: _LayerState
    avail: Any
    engages: list[_Engagement]


@dataclass
class _RaidPlan:
    """What one raid does, planned once per campaign call."""

    ks: Any  # threat positions the raid launches (a slice when contiguous)
    sizes: list[tuple[int, int, int]]  # (row, threat position, size slot)
    launched: Any
    flying: Any
    steps: list[_Step]
    contest_rows: dict[str, list[int]]


def _rows(rows: list[int]) -> Any:
    """A slice for consecutive rows (a view, no copy), else the list."""
    if rows and rows == list(range(rows[0], rows[0] + len(rows))):
        return slice(rows[0], rows[0] + len(rows))
    return rows


def _plan_raid(
    raid: Raid,
    states: list[_LayerState],
    klass: list[str],
    contests: list[IamdContest],
    n: int,
    prune: bool,
) -> _RaidPlan:
    """The raid's threats, its (layer, engagement) steps and their scratch arrays.

    ``prune``: keep only the threat systems the raid launches (exact when every
    kill probability is finite: an absent threat adds zeros only).
    """
    import numpy as np

    ks = sorted({k for k, _ in raid.size}) if prune else list(range(len(klass)))
    loc = {k: i for i, k in enumerate(ks)}
    present = {klass[k] for k, _ in raid.size}
    steps: list[_Step] = []
    for st in states:
        es = [e for e in st.layer.engages if e.threat in present and e.threat in st.P]
        if not es:
            continue
        K = len(st.idx)
        gs = []
        for e in es:
            js, Pfull = st.P[e.threat]
            sel = [i for i, k in enumerate(js) if k in loc]
            if not sel:
                continue
            Psub = Pfull if len(sel) == len(js) else Pfull[:, sel, :]
            nj = len(sel)
            gs.append(
                _Engagement(
                    threat=e.threat,
                    shots=e.shots,
                    rows=_rows([loc[js[i]] for i in sel]),
                    single=nj == 1,
                    P=Psub,
                    reach=np.empty((nj, n)),
                    want=np.empty(n),
                    fired=np.empty((K, n)),
                    before=None if K == 1 else np.empty((K, n)),
                    frac=np.empty((K, n)),
                    hit=np.empty((K, nj, n)),
                    fh=None if K == 1 else np.empty((K, nj, n)),
                    gone=np.empty((nj, n)),
                )
            )
        if gs:
            steps.append(_Step(st, np.empty((K, n)), gs))
    return _RaidPlan(
        ks=_rows(ks),
        sizes=[(loc[k], k, s) for k, s in raid.size],
        launched=np.empty((len(ks), n)),
        flying=np.empty((len(ks), n)),
        steps=steps,
        contest_rows={c.id: [loc[k] for k in ks if klass[k] in c.threats] for c in contests},
    )


def campaign_slots(plan: Plan) -> list[int]:
    """Every row of ``V`` that :func:`campaign` reads (keep in step with it).

    Callers that re-run only the campaign on many columns (the critical-system
    analysis) fill just these rows, and the rows of ``q`` and ``avail`` of the
    layers' systems and the threats.
    """
    from qdb.contests.plan import IamdContest

    out: set[int] = set()
    for i in (*plan.threats, *(j for layer in plan.layers for j in layer.systems)):
        r = plan.systems[i]
        out |= {r.qty} | {x for x in (r.stock, r.per_day) if x is not None}
    for layer in plan.layers:
        out |= {layer.shots_per_raid, layer.coverage}
        if layer.coverage_per_unit is not None:
            out.add(layer.coverage_per_unit)
        for e in layer.engages:
            out |= {e.pk, e.shots}
    for raid in plan.raids:
        out |= {s for _, s in raid.size}
    out |= {c.acceptable for c in plan.contests if isinstance(c, IamdContest)}
    return sorted(out)


def campaign(
    plan: Plan,
    contests: list[IamdContest],
    V: FloatArray,
    ev: Evaluation,
    q: FloatArray,
    avail: FloatArray,
    detail: bool,
    log: bool,
) -> None:
    """Run the campaign (DESIGN.md, ``iamd``) and score every iamd contest.

    Within a layer, systems fire best first; the greedy fill of the DESIGN's
    sequential algorithm has a closed form: system k (in firing order) fires
    ``min(rounds_k, max(0, want - Σ_{i<k} rounds_i))`` at a threat class, and
    engages each threat j ``fired_k / want · reach_j`` times — so every system of
    a layer is processed at once, vectorised over systems and samples.

    Speed (the Monte Carlo's hot loop): each raid's work is planned once per
    call — the threat systems it launches, the (layer, engagement) steps that
    meet them, with kill probabilities cut to those threats, and scratch arrays
    written in place (``out=``). A threat system a raid does not launch has
    nothing in flight, so leaving it out only drops exact zeros from sums; the
    results are the same bits as the literal loop over every threat. Without
    ``detail`` the tallies only the report reads (rounds fired, kills, the day a
    magazine runs out, the worst raid) are not kept.
    """
    import numpy as np

    n = V.shape[1]
    if n > 2 * BLOCK and not detail and not log:  # samples are independent: same bits
        parts = -(-n // BLOCK)
        size = -(-n // parts)
        for lo in range(0, n, size):
            hi = min(n, lo + size)
            part = Evaluation(balance=np.full((ev.balance.shape[0], hi - lo), np.nan))
            campaign(plan, contests, V[:, lo:hi], part, q[:, lo:hi], avail[:, lo:hi], False, False)
            for c in contests:
                ev.balance[c.index, lo:hi] = part.balance[c.index]
        return
    sysrows = plan.systems
    T = list(plan.threats)
    J = len(T)
    klass = [sysrows[j].class_ for j in T]
    rounds = np.empty((J, n))
    prod_rows: list[int] = []
    prod = np.zeros((J, n))
    for k, j in enumerate(T):
        r = sysrows[j]
        rounds[k] = V[r.stock] if r.stock is not None else V[r.qty]
        if r.per_day is not None:
            prod[k] = V[r.per_day]
            prod_rows.append(k)
    qj = q[T] if J else np.zeros((0, n))

    # layer state in firing order (quality descending, ties by id)
    states: list[_LayerState] = []
    finite = True
    for layer in plan.layers:
        idx = list(layer.systems)
        if not idx:
            continue
        order = np.argsort(-q[idx], axis=0, kind="stable")
        qs = np.take_along_axis(q[idx], order, axis=0)
        stock = np.full((len(idx), n), np.inf)
        resup = np.zeros((len(idx), n))
        resupplied = False
        for k, i in enumerate(idx):
            r = sysrows[i]
            if r.stock is not None:
                stock[k] = V[r.stock]
                if r.per_day is not None:
                    resup[k] = V[r.per_day]
                    resupplied = True
        P: dict[str, tuple[list[int], FloatArray]] = {}
        for e in layer.engages:
            js = [k for k in range(J) if klass[k] == e.threat]
            if js:  # kill probability of each system (firing order) against each threat system
                x = V[e.shots][None, None, :] * qs[:, None, :] / qj[js][None, :, :]
                P[e.threat] = (js, 1.0 - (1.0 - V[e.pk])[None, None, :] ** x)
                finite = finite and bool(np.isfinite(P[e.threat][1]).all())
        states.append(
            _LayerState(
                layer=layer,
                idx=idx,
                order=order,
                cap=np.take_along_axis(avail[idx], order, axis=0) * V[layer.shots_per_raid],
                stock=np.take_along_axis(stock, order, axis=0),
                resup=np.take_along_axis(resup, order, axis=0) if resupplied else None,
                scratch=np.empty((len(idx), n)) if resupplied else None,
                fired=np.zeros((len(idx), n)),
                kills={e.threat: np.zeros((len(idx), n)) for e in layer.engages},
                exhausted=np.full((len(idx), n), -1, dtype=np.int64),
                P=P,
                coverage=_coverage(layer, V, avail[idx]),
            )
        )

    launched_tot = np.zeros((J, n))
    leaked_tot = np.zeros((J, n))
    masks = {c.id: np.array([k in c.threats for k in klass], dtype=bool) for c in contests}
    worst = {c.id: np.full(n, -np.inf) for c in contests}
    plans = [_plan_raid(raid, states, klass, contests, n, prune=finite) for raid in plan.raids]

    days = plan.campaign_days
    schedule: dict[int, list[int]] = {}
    for ri, raid in enumerate(plan.raids):
        for d in range(raid.first_day, days, raid.every_days):
            schedule.setdefault(d, []).append(ri)
    event_days = sorted({0, *schedule})
    scratch = np.empty_like(prod)
    prev = 0
    for day in event_days:
        if day > prev:
            gap = float(day - prev)
            if prod_rows:  # rows without production add exact zeros
                rounds += np.multiply(prod, gap, out=scratch)
            for st in states:
                if st.resup is not None:
                    st.stock += np.multiply(st.resup, gap, out=st.scratch)
            prev = day
        for ri in schedule.get(day, ()):
            rp = plans[ri]
            launched, flying = rp.launched, rp.flying
            for row, k, s in rp.sizes:
                got = np.minimum(V[s], rounds[k], out=launched[row])
                rounds[k] -= got
            np.add(launched, 0.0, out=flying)
            for stp in rp.steps:
                st = stp.state
                cov = st.coverage
                avail_r = np.minimum(st.cap, st.stock, out=stp.avail)
                last = stp.engages[-1]
                for g in stp.engages:
                    reach = np.multiply(flying[g.rows], cov, out=g.reach)
                    want = g.want
                    if g.single:
                        np.multiply(reach[0], V[g.shots], out=want)
                    else:
                        reach.sum(axis=0, out=want)
                        want *= V[g.shots]
                    fired = g.fired
                    if g.before is None:  # one system: nothing fires before it
                        np.maximum(want, 0.0, out=fired[0])
                    else:
                        before = g.before  # cumsum over systems, a row at a time (fast)
                        np.copyto(before[0], avail_r[0])
                        for i in range(1, len(before)):
                            np.add(before[i - 1], avail_r[i], out=before[i])
                        before -= avail_r
                        np.subtract(want, before, out=fired)
                        np.maximum(fired, 0.0, out=fired)
                    np.minimum(avail_r, fired, out=fired)
                    frac = np.divide(fired, want, out=g.frac)
                    if not want.min() > 0.0:  # somewhere nothing is wanted: share 0 there
                        frac[:, ~(want > 0.0)] = 0.0
                    hit = np.multiply(g.P, reach[None, :, :], out=g.hit)
                    if g.fh is None:
                        gone = np.multiply(hit[0], frac[0], out=g.gone)
                    else:
                        np.multiply(hit, frac[:, None, :], out=g.fh)
                        gone = g.fh.sum(axis=0, out=g.gone)
                    if isinstance(g.rows, slice):
                        flying[g.rows] -= gone
                    else:
                        flying[g.rows] = flying[g.rows] - gone
                    if detail:
                        st.kills[g.threat] += frac * hit.sum(axis=1)
                        st.fired += fired
                    if g is not last:  # rounds this layer still has for its next threat
                        avail_r -= fired
                    st.stock -= fired
            np.maximum(flying, 0.0, out=flying)
            launched_tot[rp.ks] += launched
            leaked_tot[rp.ks] += flying
            if detail:
                for c in contests:
                    rows = rp.contest_rows[c.id]
                    if not rows:
                        continue  # launched nothing of this contest: ratio -inf, no effect
                    lc = launched[rows].sum(axis=0)
                    kc = flying[rows].sum(axis=0)
                    ratio = np.where(lc > 0, kc / np.where(lc > 0, lc, 1.0), -np.inf)
                    np.maximum(worst[c.id], ratio, out=worst[c.id])
            if log:
                lau: dict[str, float] = {}
                lea: dict[str, float] = {}
                for row, k, _ in rp.sizes:
                    lau[klass[k]] = lau.get(klass[k], 0.0) + float(launched[row, 0])
                    lea[klass[k]] = lea.get(klass[k], 0.0) + float(flying[row, 0])
                ev.raid_log.append(RaidOutcome(day, plan.raids[ri].id, lau, lea))
        if detail:
            for st in states:
                empty = (st.exhausted < 0) & (st.stock <= _EMPTY)
                st.exhausted[empty] = day

    for c in contests:
        mk = masks[c.id]
        lc = launched_tot[mk].sum(axis=0)
        kc = leaked_tot[mk].sum(axis=0)
        leak = np.where(lc > 0, np.clip(kc / np.where(lc > 0, lc, 1.0), 0.0, 1.0), np.nan)
        acc = V[c.acceptable]
        beta = np.log(np.maximum(leak, LEAK_FLOOR)) / np.log(acc) + 0.0  # never -0.0
        ev.balance[c.index] = np.where(lc > 0, beta, np.nan)
        if detail:
            ev.leakage[c.index] = leak  # type: ignore[index]
            ev.worst_raid_leakage[c.index] = np.where(  # type: ignore[index]
                np.isfinite(worst[c.id]), worst[c.id], np.nan
            )
            ev.red_units[c.index] = lc  # type: ignore[index]
            engaged = [st for st in states if any(e.threat in c.threats for e in st.layer.engages)]
            bu = np.zeros(n)
            for st in engaged:
                bu = bu + avail[st.idx].sum(axis=0)
            ev.blue_units[c.index] = bu  # type: ignore[index]
    if detail:
        S = len(sysrows)
        ev.fired = np.zeros((S, n))
        ev.kills = np.zeros((S, n))
        ev.exhausted_day = np.full((S, n), -1, dtype=np.int64)
        for st in states:
            order = st.order

            def unsort(x: Any, order: Any = order) -> Any:
                out = np.empty_like(x)
                np.put_along_axis(out, order, x, axis=0)
                return out

            ev.fired[st.idx] = unsort(st.fired)
            ev.exhausted_day[st.idx] = unsort(st.exhausted)
            for t, kk in st.kills.items():
                if t not in ev.kills_by_class:
                    ev.kills_by_class[t] = np.zeros((S, n))
                ev.kills_by_class[t][st.idx] = unsort(kk)
                ev.kills[st.idx] += unsort(kk)
        ev.launched = launched_tot
        ev.leaked = leaked_tot
