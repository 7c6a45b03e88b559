"""Compile a matchup into arrays: every number the laws read is a *slot*.

A slot is a row of the value matrix ``V`` (shape ``(slots, samples)``): either
a constant (the same in every sample) or an *uncertain input* (a ranged number
that the Monte Carlo draws). The point assessment is one column of ``V`` filled
with point values; the Monte Carlo fills the input rows with draws. Who fights
whom is read off the capability-offset graph (:func:`qdb.graph.build_graph`).

Pure: no I/O. numpy is imported by the functions that use it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qdb.models import Matchup
from qdb.models.estimate import Estimate

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

__all__ = [
    "IamdContest",
    "LanchesterContest",
    "Layer",
    "Plan",
    "Raid",
    "SystemRow",
    "UncertainInput",
    "compile_plan",
]


@dataclass(frozen=True)
class UncertainInput:
    """One ranged number the assessment reads, drawn triangular ``(low, estimate, high)``.

    Examples
    --------
    >>> x = UncertainInput("russia:geran2.per_day", 40, 60, 100)
    >>> float(x.ppf(0.0)), float(x.ppf(1.0))
    (40.0, 100.0)
    """

    target: str
    low: float
    estimate: float
    high: float

    @property
    def stream_key(self) -> int:
        """64-bit key of this input's random stream (from its name)."""
        return int.from_bytes(hashlib.sha256(self.target.encode()).digest()[:8], "little")

    def ppf(self, u: Any) -> Any:
        """Inverse CDF of the triangular distribution at ``u`` (0-1), clipped to the range."""
        import numpy as np

        a, c, b = float(self.low), float(self.estimate), float(self.high)
        u = np.asarray(u, dtype=np.float64)
        fc = (c - a) / (b - a)
        left = a + np.sqrt(u * ((b - a) * (c - a)))
        right = b - np.sqrt((1.0 - u) * ((b - a) * (b - c)))
        return np.clip(np.where(u < fc, left, right), a, b)

    def _from_words(self, words: Any, out: Any, tmp: Any) -> None:
        """Fill ``out`` with one draw per random 64-bit word (the hot loop of sampling).

        The two 32-bit halves of a word are two uniforms U, V; then
        ``(1 - f)·min(U, V) + f·max(U, V)`` with ``f = (estimate - low) / (high -
        low)`` is triangular on (0, f, 1) (Stein and Keblis 2009) — exact in
        distribution, without the square root and branch of the inverse CDF.
        """
        import numpy as np

        a, c, b = float(self.low), float(self.estimate), float(self.high)
        f = (c - a) / (b - a)
        halves = words.view(np.uint32)
        x, y = halves[0::2], halves[1::2]
        np.multiply(np.minimum(x, y), (b - a) * (1.0 - f) * 2.0**-32, out=out)
        np.multiply(np.maximum(x, y), (b - a) * f * 2.0**-32, out=tmp)
        out += tmp
        out += a


@dataclass(frozen=True)
class SystemRow:
    """One system of either side, as slots."""

    index: int
    side: str
    role: str  # "blue" or "red"
    id: str
    name: str
    class_: str
    qty: int
    rdy: int
    quality: int
    training: int
    enablers: tuple[int, ...]
    stock: int | None
    per_day: int | None
    fires: tuple[str, int] | None  # (munition class, rate slot)


@dataclass(frozen=True)
class Munition:
    """One side's supply of one munition class and the systems that fire it."""

    role: str
    munition: str
    stock: int
    per_day: int
    users: tuple[int, ...]  # system indices, sorted by id (the tie-break order)


@dataclass(frozen=True)
class LanchesterContest:
    """A square / linear / power contest: members (system index, weight slot) per side."""

    index: int
    id: str
    law: str
    exponent: int
    blue: tuple[tuple[int, int], ...]
    red: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Engage:
    """One line of a layer's ``engages`` list."""

    threat: str
    pk: int
    shots: int


@dataclass(frozen=True)
class Layer:
    """An interceptor class of the campaign, its systems (sorted by id) and engagements."""

    position: int
    class_: str
    systems: tuple[int, ...]
    shots_per_raid: int
    coverage: int
    engages: tuple[Engage, ...]
    coverage_per_unit: int | None = None


@dataclass(frozen=True)
class Raid:
    """A recurring raid: threat positions (in :attr:`Plan.threats`) and their size slots."""

    id: str
    every_days: int
    first_day: int
    size: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class IamdContest:
    """A contest scored by the campaign's leakage of its threat classes."""

    index: int
    id: str
    threats: tuple[str, ...]
    acceptable: int


@dataclass
class Plan:
    """A matchup compiled into slots, systems, contests and the air campaign.

    ``inputs`` are the uncertain slots (the rows a Monte Carlo draws), in a
    fixed order; ``input_slot[j]`` is the slot of ``inputs[j]``.
    """

    matchup: Matchup
    points: list[float]
    inputs: tuple[UncertainInput, ...]
    input_slot: tuple[int, ...]
    systems: tuple[SystemRow, ...]
    munitions: tuple[Munition, ...]
    contests: tuple[LanchesterContest | IamdContest, ...]
    contest_ids: tuple[str, ...]
    critical: tuple[bool, ...]
    matched: float
    offset: float
    campaign_days: int
    layers: tuple[Layer, ...]
    threats: tuple[int, ...]  # red system indices that raids launch
    raids: tuple[Raid, ...]
    one: int = 0  # slot of the constant 1.0
    contest_inputs: dict[str, tuple[int, ...]] = field(default_factory=dict)

    # -- values -------------------------------------------------------------
    def values(self, X: FloatArray | None = None) -> FloatArray:
        """The value matrix ``V`` (slots x samples).

        Parameters
        ----------
        X : ndarray, shape (len(inputs), n), optional
            Input-major draws. None gives one column of point values.
        """
        import numpy as np

        pts = np.asarray(self.points, dtype=np.float64)
        if X is None:
            return pts[:, None].copy()
        n = X.shape[1]
        V = np.empty((len(pts), n), dtype=np.float64)
        V[:] = pts[:, None]
        if self.input_slot:
            V[list(self.input_slot)] = X
        return V

    def balances(self, rows: FloatArray | None = None) -> FloatArray:
        """Balances (contests x samples) of input-major draws ``rows`` (None: the point).

        NaN where a contest is uncontested.
        """
        from qdb.contests.evaluate import evaluate

        return evaluate(self, self.values(rows)).balance

    def point_values(self) -> FloatArray:
        """The point estimates of :attr:`inputs` (one column of a sample matrix)."""
        import numpy as np

        return np.array([x.estimate for x in self.inputs], dtype=np.float64)

    def system(self, role: str, system_id: str) -> SystemRow | None:
        """The row of a system, or None."""
        for s in self.systems:
            if s.role == role and s.id == system_id:
                return s
        return None


def compile_plan(m: Matchup) -> Plan:
    """Compile ``m`` (see module docstring).

    Examples
    --------
    >>> # plan = compile_plan(matchup); V = plan.values()
    """
    from qdb.graph import build_graph

    G = build_graph(m)
    cat = m.catalog
    points: list[float] = [1.0]
    consts: dict[float, int] = {1.0: 0}
    named: dict[str, int] = {}
    ranged: dict[int, tuple[str, Estimate]] = {}

    def const(x: float) -> int:
        x = float(x)
        if x not in consts:
            consts[x] = len(points)
            points.append(x)
        return consts[x]

    def slot(name: str, e: Estimate | None, default: float, own: bool = False) -> int:
        """A slot for ``e``; ``own`` gives a point its own slot (critical-system masks)."""
        if e is None:
            return const(default)
        if not e.uncertain and not own:
            return const(e.value)
        if name not in named:
            named[name] = len(points)
            points.append(float(e.value))
            if e.uncertain:
                ranged[named[name]] = (name, e)
        return named[name]

    systems: list[SystemRow] = []
    by_role: dict[tuple[str, str], int] = {}
    for role, inv in (("blue", m.blue), ("red", m.red)):
        for s in inv.systems:
            klass = cat.classes[s.class_]
            pre = f"{inv.side}:{s.id}."
            tr = inv.training.get(klass.branch)
            ens = tuple(
                slot(f"{inv.side}:enablers.{e}", inv.enablers[e].value, 1.0)
                for e in cat.enablers_by_domain.get(klass.domain, ())
                if e in inv.enablers
            )
            fires = None
            if klass.fires is not None:
                fires = (
                    klass.fires.munition,
                    slot(f"catalog:classes.{s.class_}.fires.rate", klass.fires.rate, 1.0),
                )
            row = SystemRow(
                index=len(systems),
                side=inv.side,
                role=role,
                id=s.id,
                name=s.name,
                class_=s.class_,
                qty=slot(pre + "quantity", s.quantity, 0.0, own=True),
                rdy=slot(pre + "readiness", s.readiness, 1.0),
                quality=slot(pre + "quality", s.quality, 1.0),
                training=slot(f"{inv.side}:training.{klass.branch}", tr.value if tr else None, 1.0),
                enablers=ens,
                stock=None if s.stock is None else slot(pre + "stock", s.stock, 0.0),
                per_day=None if s.per_day is None else slot(pre + "per_day", s.per_day, 0.0),
                fires=fires,
            )
            by_role[(role, s.id)] = row.index
            systems.append(row)

    munitions: list[Munition] = []
    for role, inv in (("blue", m.blue), ("red", m.red)):
        for mun, entry in inv.munitions.items():
            users = sorted(
                (r for r in systems if r.role == role and r.fires and r.fires[0] == mun),
                key=lambda r: r.id,
            )
            pre = f"{inv.side}:munitions.{mun}."
            munitions.append(
                Munition(
                    role=role,
                    munition=mun,
                    stock=slot(pre + "stock", entry.stock, 0.0),
                    per_day=slot(pre + "per_day", entry.per_day, 0.0),
                    users=tuple(r.index for r in users),
                )
            )

    # the air campaign: layers, threat systems, raids
    layers: list[Layer] = []
    if cat.iamd is not None:
        for pos, cls_id in enumerate(cat.iamd.layers):
            klass = cat.classes[cls_id]
            members = sorted(
                (r for r in systems if r.role == "blue" and r.class_ == cls_id), key=lambda r: r.id
            )
            engages = tuple(
                Engage(
                    threat=e.threat,
                    pk=slot(f"catalog:classes.{cls_id}.engages.{e.threat}.pk", e.pk, 0.0),
                    shots=slot(f"catalog:classes.{cls_id}.engages.{e.threat}.shots", e.shots, 1.0),
                )
                for e in klass.engages
            )
            layers.append(
                Layer(
                    position=pos,
                    class_=cls_id,
                    systems=tuple(r.index for r in members),
                    shots_per_raid=slot(
                        f"catalog:classes.{cls_id}.shots_per_raid", klass.shots_per_raid, 0.0
                    ),
                    coverage=slot(f"catalog:classes.{cls_id}.coverage", klass.coverage, 1.0),
                    coverage_per_unit=None
                    if klass.coverage_per_unit is None
                    else slot(
                        f"catalog:classes.{cls_id}.coverage_per_unit", klass.coverage_per_unit, 0.0
                    ),
                    engages=engages,
                )
            )
    threat_pos: dict[int, int] = {}
    raids: list[Raid] = []
    red_side = m.red.side
    for raid in m.red.raids:
        size = []
        for sid, est in raid.size.items():
            idx = by_role.get(("red", sid))
            if idx is None:  # validation reports it; a raid of an absent system launches nothing
                continue
            if idx not in threat_pos:
                threat_pos[idx] = len(threat_pos)
            size.append((threat_pos[idx], slot(f"{red_side}:raids.{raid.id}.{sid}", est, 0.0)))
        raids.append(Raid(raid.id, raid.every_days, raid.first_day, tuple(size)))
    threats = tuple(sorted(threat_pos, key=lambda i: threat_pos[i]))

    contests: list[LanchesterContest | IamdContest] = []
    for order, con in enumerate(cat.contests):
        pre = f"catalog:contests.{con.id}."
        if con.law == "iamd":
            contests.append(
                IamdContest(
                    order,
                    con.id,
                    tuple(con.threats),
                    slot(pre + "acceptable_leakage", con.acceptable_leakage, 0.1),
                )
            )
            continue
        default_p = {"square": 2.0, "linear": 1.0}.get(con.law, 1.0)
        p = slot(pre + "exponent", con.exponent, default_p)
        cnode = f"contest:{con.id}"
        sides: dict[str, list[tuple[int, int]]] = {"blue": [], "red": []}
        for cls_node, _, key, _data in G.in_edges(cnode, keys=True, data=True):
            cls_id = G.nodes[cls_node]["id"]
            if key == "threatens":
                role, w = "red", slot(pre + f"threat.{cls_id}", con.threat[cls_id], 0.0)
            elif key == "counters":
                role, w = "blue", slot(pre + f"counters.{cls_id}", con.counters[cls_id], 0.0)
            else:
                continue
            for sys_node, _, k2 in G.in_edges(cls_node, keys=True):
                if k2 == "is_of_class" and G.nodes[sys_node]["role"] == role:
                    sides[role].append((by_role[(role, G.nodes[sys_node]["id"])], w))
        contests.append(
            LanchesterContest(order, con.id, con.law, p, tuple(sides["blue"]), tuple(sides["red"]))
        )

    order_ = sorted(ranged)
    position = {sl: k for k, sl in enumerate(order_)}

    def sys_slots(i: int) -> set[int]:
        r = systems[i]
        out = {r.qty, r.rdy, r.quality, r.training, *r.enablers}
        out |= {x for x in (r.stock, r.per_day) if x is not None}
        if r.fires is not None:
            out.add(r.fires[1])
        return out

    # a system's munition: its supply and every user it competes with (once per munition)
    ammo_group: dict[int, int] = {}
    ammo_slots: list[set[int]] = []
    for entry_ in munitions:
        group = {entry_.stock, entry_.per_day}
        for u in entry_.users:
            group |= sys_slots(u)
            ammo_group[u] = len(ammo_slots)
        ammo_slots.append(group)

    campaign_slots: set[int] = set()
    for layer in layers:
        campaign_slots |= {layer.shots_per_raid, layer.coverage}
        if layer.coverage_per_unit is not None:
            campaign_slots.add(layer.coverage_per_unit)
        for e in layer.engages:
            campaign_slots |= {e.pk, e.shots}
        for i in layer.systems:
            campaign_slots |= sys_slots(i)
    for i in threats:
        campaign_slots |= sys_slots(i)
    for rd in raids:
        campaign_slots |= {sl for _, sl in rd.size}

    def ranged_of(slots: set[int]) -> set[int]:
        """Input positions of the ranged slots among ``slots``."""
        return {position[sl] for sl in slots if sl in position}

    ammo_ranged = [ranged_of(g) for g in ammo_slots]  # joined per contest as sets (fast)
    contest_inputs: dict[str, tuple[int, ...]] = {}
    for cc in contests:
        if isinstance(cc, IamdContest):
            found = ranged_of(campaign_slots | {cc.acceptable})
        else:
            used = {cc.exponent}
            groups = set()
            for i, w in cc.blue + cc.red:
                used |= {w} | sys_slots(i)
                if i in ammo_group:
                    groups.add(ammo_group[i])
            found = ranged_of(used)
            for k in groups:
                found |= ammo_ranged[k]
        contest_inputs[cc.id] = tuple(sorted(found))
    inputs = tuple(
        UncertainInput(ranged[s][0], ranged[s][1].low, ranged[s][1].estimate, ranged[s][1].high)
        for s in order_
    )
    plan = Plan(
        matchup=m,
        points=points,
        inputs=inputs,
        input_slot=tuple(order_),
        systems=tuple(systems),
        munitions=tuple(munitions),
        contests=tuple(contests),
        contest_ids=tuple(c.id for c in cat.contests),
        critical=tuple(c.critical for c in cat.contests),
        matched=cat.thresholds.matched,
        offset=cat.thresholds.offset,
        campaign_days=cat.campaign_days,
        layers=tuple(layers),
        threats=threats,
        raids=tuple(raids),
        contest_inputs=contest_inputs,
    )
    return plan
