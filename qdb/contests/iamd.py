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
    from qdb.contests.plan import IamdContest, Layer, Plan

__all__ = ["campaign"]

_EMPTY = 1e-9  # a magazine at or below this many rounds is empty (float noise)


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
    """
    import numpy as np

    n = V.shape[1]
    sysrows = plan.systems
    T = list(plan.threats)
    J = len(T)
    klass = [sysrows[j].class_ for j in T]
    rounds = np.empty((J, n))
    prod = np.zeros((J, n))
    for k, j in enumerate(T):
        r = sysrows[j]
        rounds[k] = V[r.stock] if r.stock is not None else V[r.qty]
        if r.per_day is not None:
            prod[k] = V[r.per_day]
    qj = q[T] if J else np.zeros((0, n))

    # layer state in firing order (quality descending, ties by id)
    states: list[_LayerState] = []
    for layer in plan.layers:
        idx = list(layer.systems)
        if not idx:
            continue
        order = np.argsort(-q[idx], axis=0, kind="stable")
        qs = np.take_along_axis(q[idx], order, axis=0)
        stock = np.full((len(idx), n), np.inf)
        resup = np.zeros((len(idx), n))
        for k, i in enumerate(idx):
            r = sysrows[i]
            if r.stock is not None:
                stock[k] = V[r.stock]
                if r.per_day is not None:
                    resup[k] = V[r.per_day]
        P: dict[str, tuple[list[int], FloatArray]] = {}
        for e in layer.engages:
            js = [k for k in range(J) if klass[k] == e.threat]
            if js:  # kill probability of each system (firing order) against each threat system
                x = V[e.shots][None, None, :] * qs[:, None, :] / qj[js][None, :, :]
                P[e.threat] = (js, 1.0 - (1.0 - V[e.pk])[None, None, :] ** x)
        states.append(
            _LayerState(
                layer=layer,
                idx=idx,
                order=order,
                cap=np.take_along_axis(avail[idx], order, axis=0) * V[layer.shots_per_raid],
                stock=np.take_along_axis(stock, order, axis=0),
                resup=np.take_along_axis(resup, order, axis=0),
                fired=np.zeros((len(idx), n)),
                kills={e.threat: np.zeros((len(idx), n)) for e in layer.engages},
                exhausted=np.full((len(idx), n), -1, dtype=np.int64),
                P=P,
            )
        )

    launched_tot = np.zeros((J, n))
    leaked_tot = np.zeros((J, n))
    masks = {c.id: np.array([k in c.threats for k in klass], dtype=bool) for c in contests}
    worst = {c.id: np.full(n, -np.inf) for c in contests}

    # which (layer, engage) steps can matter for each raid: static
    raid_steps = []
    for raid in plan.raids:
        present = {klass[k] for k, _ in raid.size}
        steps = []
        for st in states:
            es = [e for e in st.layer.engages if e.threat in present and e.threat in st.P]
            if es:
                steps.append((st, es))
        raid_steps.append(steps)

    days = plan.campaign_days
    schedule: dict[int, list[int]] = {}
    for ri, raid in enumerate(plan.raids):
        for d in range(raid.first_day, days, raid.every_days):
            schedule.setdefault(d, []).append(ri)
    event_days = sorted({0, *schedule})
    prev = 0
    for day in event_days:
        if day > prev:
            gap = float(day - prev)
            rounds += prod * gap
            for st in states:
                st.stock += st.resup * gap
            prev = day
        for ri in schedule.get(day, ()):
            raid = plan.raids[ri]
            flying = np.zeros((J, n))
            launched = np.zeros((J, n))
            for k, s in raid.size:
                got = np.minimum(V[s], rounds[k])
                rounds[k] -= got
                launched[k] += got
            flying += launched
            for st, es in raid_steps[ri]:
                cov = V[st.layer.coverage]
                avail_r = np.minimum(st.cap, st.stock)
                for e in es:
                    js, P = st.P[e.threat]
                    reach = cov * flying[js]
                    want = V[e.shots] * reach.sum(axis=0)
                    before = np.cumsum(avail_r, axis=0) - avail_r
                    fired = np.minimum(avail_r, np.maximum(want - before, 0.0))
                    frac = np.where(want > 0, fired / np.where(want > 0, want, 1.0), 0.0)
                    hit = P * reach[None, :, :]  # (k, j, n): kills if engaged once per reach
                    flying[js] -= (frac[:, None, :] * hit).sum(axis=0)
                    st.kills[e.threat] += frac * hit.sum(axis=1)
                    avail_r = avail_r - fired
                    st.stock -= fired
                    st.fired += fired
            np.maximum(flying, 0.0, out=flying)
            launched_tot += launched
            leaked_tot += flying
            for c in contests:
                mk = masks[c.id]
                lc = launched[mk].sum(axis=0)
                kc = flying[mk].sum(axis=0)
                ratio = np.where(lc > 0, kc / np.where(lc > 0, lc, 1.0), -np.inf)
                np.maximum(worst[c.id], ratio, out=worst[c.id])
            if log:
                lau: dict[str, float] = {}
                lea: dict[str, float] = {}
                for k, _ in raid.size:
                    lau[klass[k]] = lau.get(klass[k], 0.0) + float(launched[k, 0])
                    lea[klass[k]] = lea.get(klass[k], 0.0) + float(flying[k, 0])
                ev.raid_log.append(RaidOutcome(day, raid.id, lau, lea))
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
