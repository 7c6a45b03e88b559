"""Cheapest delivery package that closes the critical shortfalls (pure).

Problem
-------
Choose whole numbers ``x_j ≥ 0`` of candidate purchases to minimise the cost
``Σ c_j x_j`` such that every critical contest reaches ``matched`` (β ≥
thresholds.matched, by the same 12-digit rounding as a verdict), within the
budget ``Σ c_j x_j ≤ B`` and the supply limits ``x_j ≤ u_j``. Balances come
from the engine (:func:`qdb.contests.evaluate`), never from a second copy of a
law.

Candidates
----------
For every critical contest in shortfall:

* ``units`` — extra units of every fielded blue system whose class counters
  the contest (Lanchester ``counters``) or is an air-defence layer that engages
  one of its threats (``iamd``), at the class's ``unit_cost_musd``. An added
  unit of a system with a magazine comes with the rounds that system carries
  per unit (``stock / quantity``, whole rounds), priced at the class's
  ``round_cost_musd``; so a battery is bought loaded. A class with no fielded
  system is added as ``new_<class>`` (quality 1, readiness 1) — unless it
  fires priced interceptor rounds: with no fielded system its load per unit is
  unknown, so it is not offered.
* ``rounds`` — interceptor rounds for a system's magazine (``stock``), at the
  class's ``round_cost_musd``: a gap that more launchers cannot close but rounds
  can (a magazine that runs dry) is priced, not declared unreachable.
* ``munition`` — rounds of a munition class (``munitions.CLASS.stock``) the
  side rations, when a system firing it counters the contest, at the munition
  class's ``unit_cost_musd`` per round.

Supply limits: ``supply_limit_per_year`` of a class times the years until
``by_year`` (one without it), or ``--limit CLASS=N``; rounds of interceptors
are limited by the budget only.

Method
------
Every balance below is the engine's, evaluated in batches: each package tried
is one column of the value matrix ``V`` of the compiled plan (the slots of the
quantities, magazines and munition stocks it changes are edited in that
column), so hundreds of packages cost one evaluation.

1. *Ceilings.* Balances never fall when blue gains units, rounds or shells
   (the engine's monotonicity, DESIGN.md). A critical shortfall that still
   falls short with every candidate at its supply limit (each system of a
   class at the whole class's limit: more than can be bought, so an upper
   bound) or at a hard cap of 10^6 units, 10^7 rounds, cannot be closed by any
   budget: it is reported in ``unreachable`` with its ``ceiling`` balance and
   the rest is solved without it.
2. *Greedy by marginal gain per dollar* over lots of 1, 2, 4, … of each
   candidate: the merit is the total shortfall ``Σ max(0, 1 − β_c / matched)``
   over the contests to close; each step buys the lot with the largest fall in
   shortfall per dollar, extended to larger lots of the same candidate while
   each increment's gain per dollar still beats every other candidate's best.
   If the budget runs out first, each line is cut to the fewest units that
   keep the fall in shortfall it bought (a lot can overshoot) and the freed
   money is spent again the same way.
3. *Trim*: each line, most expensive first, is cut to the fewest units that
   keep every contest closed (others fixed; feasibility is monotone, so a
   search over the integers is exact).
4. *Local improvement*: each line in turn is dropped and the package refilled
   greedily without it, then trimmed; a cheaper feasible package replaces the
   current one, until no drop improves it (at most three passes, and no new
   pass once 300,000 packages have been evaluated).
5. *Verification*: the package is applied as what-if edits
   (:func:`apply_package`, the same ``--set`` edits a user can run) and assessed
   with :func:`qdb.assess.assess`; that assessment is what is reported and it
   decides ``feasible``.

What is guaranteed
------------------
The reported package is within the budget and limits, and when ``feasible``
every critical contest holds in the exact engine assessment of the applied
edits. ``unreachable`` contests are proven out of reach (monotonicity at the
caps). The greedy package is a local optimum (no single line can be dropped and
re-bought more cheaply; no line can lose a unit) but is *not* proven the
cheapest: ``optimal`` is False, except when nothing needs buying or
``method="exhaustive"`` enumerated every package within the budget and limits
(small cases). If the budget cannot close every reachable shortfall, the
package is the greedy one within the budget (largest fall in total shortfall
per dollar) and ``feasible`` is False.

References
----------
Nemhauser, G. L., Wolsey, L. A. and Fisher, M. L., "An analysis of approximations
for maximizing submodular set functions", *Math. Programming* 14, 1978 (greedy
by marginal gain per unit cost).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from qdb.errors import OptimizeError
from qdb.models import Matchup
from qdb.models.inventory import System
from qdb.results import HOLDING, Assessment, round_sig

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from qdb.contests import Plan

    FloatArray = npt.NDArray[np.float64]

__all__ = [
    "HARD_CAP",
    "ROUNDS_CAP",
    "Candidate",
    "OptimizeResult",
    "PackageLine",
    "apply_package",
    "candidates",
    "optimize",
    "optimize_markdown",
    "package_edits",
]

HARD_CAP = 1_000_000
"""Most extra units of one system ever considered."""
ROUNDS_CAP = 10_000_000
"""Most rounds of one magazine or munition ever considered."""
OPT_SOURCE = "qdb_optimize"
BATCH = 512
"""Packages evaluated per engine call (columns of one value matrix)."""
MAX_STEPS = 400
"""Most greedy purchases in one fill."""
GROWTH = 1 / 8
"""Each purchase costs at least this share of what the fill has spent so far (or one unit):
spending grows geometrically, so a fill takes O(log(budget / cheapest unit)) steps; the trim
takes back any overshoot."""
MAX_EVALUATIONS = 300_000
"""Packages the local improvement may evaluate before it stops (the package stays verified)."""

METHOD_GREEDY = (
    "greedy by marginal fall in total shortfall per dollar over lots of 1, 2, 4, … (every "
    "package evaluated by the engine), trimmed and improved by drop-and-refill, verified by "
    "qdb assess"
)
METHOD_EXHAUSTIVE = "exhaustive enumeration of every package within the budget and limits"


# --- candidates -------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """Something the optimiser may buy: units of a system, rounds for a magazine, shells.

    ``kind`` is ``units``, ``rounds`` or ``munition``; ``system`` is the
    system id (for ``munition``, the munition class). ``unit_cost_musd`` is the
    price of one purchase unit (a unit with its load, one round).
    """

    kind: str
    class_: str
    system: str
    name: str
    new: bool
    unit_cost_musd: float
    load: float | None
    load_cost_musd: float
    limit: int | None
    contests: tuple[str, ...]

    @property
    def key(self) -> str:
        """``kind:system`` (unique among candidates)."""
        return f"{self.kind}:{self.system}"

    def rounds_for(self, quantity: int) -> int:
        """Rounds that come with ``quantity`` units (whole rounds), or bought as rounds."""
        if self.kind == "units":
            return 0 if self.load is None else math.floor(self.load * quantity + 0.5)
        return quantity


@dataclass(frozen=True)
class PackageLine:
    """A quantity of one candidate."""

    candidate: Candidate
    quantity: int

    @property
    def cost_musd(self) -> float:
        """quantity × unit cost (a unit's cost includes its load)."""
        return self.quantity * self.candidate.unit_cost_musd

    @property
    def rounds_added(self) -> int | None:
        """Rounds this line adds to a magazine or munition stock (None: none)."""
        c = self.candidate
        if c.kind == "units" and c.load is None:
            return None
        return c.rounds_for(self.quantity)

    def to_json(self) -> dict[str, Any]:
        c = self.candidate
        name = c.name if c.kind == "units" else f"{c.name} rounds"
        return {
            "kind": c.kind,
            "class": c.class_,
            "system": c.system,
            "name": name,
            "quantity": self.quantity,
            "unit_cost_musd": round_sig(c.unit_cost_musd),
            "cost_musd": round_sig(self.cost_musd),
            "new_system": c.new,
            "rounds_added": self.rounds_added,
        }


def _cost(x: float | Any) -> float:
    return float(x.value) if hasattr(x, "value") else float(x)


def _shortfall_classes(m: Matchup, contest_ids: Sequence[str]) -> dict[str, list[str]]:
    """Blue classes that can move each contest: counters, or layers engaging its threats."""
    cat = m.catalog
    layers = list(cat.iamd.layers) if cat.iamd is not None else []
    classes: dict[str, list[str]] = {}
    for cid in contest_ids:
        con = cat.contest(cid)
        if con is None:
            raise OptimizeError(f"no contest {cid!r}")
        if con.law == "iamd":
            mine = [
                L for L in layers if any(e.threat in con.threats for e in cat.classes[L].engages)
            ]
        else:
            mine = list(con.counters)
        for cls in mine:
            classes.setdefault(cls, []).append(cid)
    return classes


def candidates(
    m: Matchup,
    contest_ids: Sequence[str],
    limits: Mapping[str, int | None] | None = None,
    years: int = 1,
) -> list[Candidate]:
    """The candidate purchases for ``contest_ids`` (see the module docstring).

    Parameters
    ----------
    m : Matchup
        The matchup to add to (blue is changed).
    contest_ids : sequence of str
        Contests whose blue classes are candidates.
    limits : mapping class -> int or None, optional
        Most extra units (or rounds, for a munition class) per class; overrides
        the catalog's supply limits (``None`` lifts a limit).
    years : int
        Years of supply the catalog's ``supply_limit_per_year`` is multiplied by.

    Returns
    -------
    list of Candidate
        Units (class, then system id), then rounds, then munitions.
    """
    cat = m.catalog
    limits = dict(limits or {})
    classes = _shortfall_classes(m, contest_ids)

    def limit_of(cls: str) -> int | None:
        if cls in limits:
            return limits[cls]
        k = cat.classes[cls]
        if k.supply_limit_per_year is not None:
            return math.floor(k.supply_limit_per_year.value * years + 1e-9)
        return None

    taken = {s.id for s in m.blue.systems}
    units: list[Candidate] = []
    rounds: list[Candidate] = []
    for cls in sorted(classes):
        k = cat.classes[cls]
        rc = _cost(k.round_cost_musd) if k.round_cost_musd is not None else None
        fielded = sorted(
            (s for s in m.blue.systems if s.class_ == cls and s.quantity.value > 0),
            key=lambda s: s.id,
        )
        for s in fielded:
            load = None
            if s.stock is not None:
                load = s.stock.value / s.quantity.value
            price = _cost(k.unit_cost_musd) + (load or 0.0) * (rc or 0.0)
            units.append(
                Candidate(
                    "units",
                    cls,
                    s.id,
                    s.name,
                    False,
                    price,
                    load,
                    (load or 0.0) * (rc or 0.0),
                    limit_of(cls),
                    tuple(classes[cls]),
                )
            )
            if s.stock is not None and rc is not None and rc > 0:
                rounds.append(
                    Candidate(
                        "rounds", cls, s.id, s.name, False, rc, None, 0.0, None, tuple(classes[cls])
                    )
                )
        if not fielded and rc is None:  # with a magazine, a new system's load is unknown
            sid, n = f"new_{cls}", 2
            while sid in taken:
                sid, n = f"new_{cls}_{n}", n + 1
            taken.add(sid)
            units.append(
                Candidate(
                    "units",
                    cls,
                    sid,
                    f"{k.name or cls} (added by qdb optimize)",
                    True,
                    _cost(k.unit_cost_musd),
                    None,
                    0.0,
                    limit_of(cls),
                    tuple(classes[cls]),
                )
            )
    shells: list[Candidate] = []
    for mun, entry in sorted(m.blue.munitions.items()):
        if mun not in cat.classes:
            continue
        users = {
            s.class_
            for s in m.blue.systems
            if (f := cat.classes[s.class_].fires) is not None and f.munition == mun
        }
        served = sorted({cid for cls in users for cid in classes.get(cls, ())})
        price = _cost(cat.classes[mun].unit_cost_musd)
        if served and price > 0:
            shells.append(
                Candidate(
                    "munition",
                    mun,
                    mun,
                    cat.classes[mun].name or mun,
                    False,
                    price,
                    None,
                    0.0,
                    limit_of(mun),
                    tuple(served),
                )
            )
        del entry
    return units + rounds + shells


# --- applying a package -----------------------------------------------------------------


def package_edits(m: Matchup, package: Sequence[PackageLine]) -> list[str]:
    """What-if edits for the package (new systems are added by :func:`new_systems`).

    ``SIDE:SYSTEM.quantity+=N`` (and ``.stock+=R`` for the load), ``SIDE:SYSTEM.stock+=R``
    for rounds, ``SIDE:munitions.CLASS.stock+=R`` for shells.
    """
    side = m.blue.side
    edits = []
    for line in package:
        c = line.candidate
        if line.quantity == 0:
            continue
        if c.kind == "munition":
            edits.append(f"{side}:munitions.{c.system}.stock+={line.quantity}")
            continue
        if c.kind == "rounds":
            edits.append(f"{side}:{c.system}.stock+={line.quantity}")
            continue
        if c.new:
            continue
        edits.append(f"{side}:{c.system}.quantity+={line.quantity}")
        r = line.rounds_added
        if r:
            edits.append(f"{side}:{c.system}.stock+={r}")
    return edits


def new_systems(package: Sequence[PackageLine]) -> list[dict[str, Any]]:
    """The systems a package adds (classes with no fielded system), as data mappings."""
    return [
        {
            "id": ln.candidate.system,
            "name": ln.candidate.name,
            "class": ln.candidate.class_,
            "quantity": ln.quantity,
            "source": OPT_SOURCE,
        }
        for ln in package
        if ln.candidate.new and ln.quantity > 0
    ]


def _with_systems(m: Matchup, added: Sequence[Mapping[str, Any]]) -> Matchup:
    from qdb.models.base import Source

    if not added:
        return m
    inv = m.blue
    sources = dict(inv.sources)
    sources.setdefault(
        OPT_SOURCE,
        Source(
            title="Hypothetical addition proposed by qdb optimize",
            publisher="qdb",
            date=inv.as_of,
            url="urn:qdb:optimize",
        ),
    )
    systems = [*inv.systems, *(System.model_validate(dict(d)) for d in added)]
    return m.with_side("blue", inv.model_copy(update={"systems": systems, "sources": sources}))


def apply_package(m: Matchup, package: Sequence[PackageLine]) -> Matchup:
    """``m`` with the package added to blue: new systems, then :func:`package_edits`.

    The edits go through :func:`qdb.whatif.apply_edits`, so ``qdb assess
    --set EDIT ...`` on the same matchup reproduces the result.
    """
    from qdb.whatif import apply_edits

    m = _with_systems(m, new_systems(package))
    edits = package_edits(m, package)
    return apply_edits(m, edits) if edits else m


# --- batch evaluation through the engine ------------------------------------------------


class _Batch:
    """Balances of many packages at once: each package is a column of the value matrix.

    The plan is compiled from the matchup with every new candidate system
    present at quantity 0 (which changes no balance); blue magazines and munition
    stocks get slots of their own so that a column can change one without
    touching a constant another number shares.
    """

    def __init__(self, m: Matchup, cands: Sequence[Candidate]) -> None:
        import numpy as np

        from qdb.contests import compile_plan

        probe = _with_systems(
            m,
            [
                {"id": c.system, "name": c.name, "class": c.class_, "quantity": 0, "source": "x"}
                for c in cands
                if c.new
            ],
        )
        plan = compile_plan(probe)
        points = list(plan.points)

        def own(sl: int) -> int:
            points.append(points[sl])
            return len(points) - 1

        systems = tuple(
            replace(r, stock=own(r.stock)) if r.role == "blue" and r.stock is not None else r
            for r in plan.systems
        )
        munitions = tuple(
            replace(u, stock=own(u.stock)) if u.role == "blue" else u for u in plan.munitions
        )
        self.plan: Plan = replace(plan, points=points, systems=systems, munitions=munitions)
        self.base = self.plan.values()[:, 0]
        self.ids = list(self.plan.contest_ids)
        # per candidate: (slot of the quantity bought or None, slot of the rounds or None)
        self.slots: list[tuple[int | None, int | None]] = []
        for c in cands:
            if c.kind == "munition":
                mun = next(
                    u for u in self.plan.munitions if u.role == "blue" and u.munition == c.system
                )
                self.slots.append((None, mun.stock))
                continue
            row = self.plan.system("blue", c.system)
            assert row is not None
            if c.kind == "rounds":
                self.slots.append((None, row.stock))
            else:
                self.slots.append((row.qty, row.stock if c.load is not None else None))
        self.cands = list(cands)
        self.evaluations = 0
        self._np = np

    def balances(self, X: Any) -> FloatArray:
        """Balances (contests x packages) of packages ``X`` (candidates x packages, counts)."""
        np = self._np
        from qdb.contests import evaluate

        X = np.asarray(X, dtype=np.float64)
        n = X.shape[1]
        out: FloatArray = np.empty((len(self.ids), n))
        for start in range(0, n, BATCH):
            part = X[:, start : start + BATCH]
            V = np.repeat(self.base[:, None], part.shape[1], axis=1)
            for j, (c, (q_sl, r_sl)) in enumerate(zip(self.cands, self.slots, strict=True)):
                if not part[j].any():
                    continue
                if q_sl is not None:
                    V[q_sl] += part[j]
                if r_sl is not None:
                    if c.kind == "units":
                        V[r_sl] += np.floor((c.load or 0.0) * part[j] + 0.5)
                    else:
                        V[r_sl] += part[j]
            out[:, start : start + part.shape[1]] = evaluate(self.plan, V).balance
            self.evaluations += part.shape[1]
        return out


# --- the search -------------------------------------------------------------------------


class _Search:
    """Feasibility and shortfall of packages for a set of target contests."""

    def __init__(
        self,
        batch: _Batch,
        targets: Sequence[str],
        matched: float,
        cost: Any,
        groups: Sequence[tuple[list[int], int]] = (),
    ) -> None:
        import numpy as np

        self.groups = list(groups)  # (candidates, most units between them): class supply limits
        self.b = batch
        self.rows = [batch.ids.index(c) for c in targets]
        self.matched = matched
        self.cost = np.asarray(cost, dtype=np.float64)
        self._np = np

    def judge(self, X: Any) -> tuple[Any, Any]:
        """(feasible, shortfall) of each column of ``X``."""
        from qdb.verdicts import at_least

        np = self._np
        bal = self.b.balances(X)[self.rows]
        ok = at_least(bal, self.matched).all(axis=0)
        gap = np.where(np.isnan(bal), 0.0, np.maximum(0.0, 1.0 - bal / self.matched))
        return ok, gap.sum(axis=0)

    def feasible(self, x: Sequence[int]) -> bool:
        np = self._np
        ok, _ = self.judge(np.asarray(x, dtype=np.float64)[:, None])
        return bool(ok[0])

    def fill(self, x: list[int], caps: Sequence[int], budget: float, frozen: int = -1) -> list[int]:
        """Greedy purchases from ``x`` until feasible, out of budget, or nothing helps."""
        np = self._np
        x = list(x)
        start = self.total(x)
        for _ in range(MAX_STEPS):
            cols: list[tuple[int, int]] = []
            spent = self.total(x)
            left = budget - spent
            for j, cap in enumerate(caps):
                if j == frozen:
                    continue
                room = min(cap - x[j], self.group_room(x, j))
                if self.cost[j] > 0:
                    room = min(room, math.floor(left / self.cost[j] + 1e-9))
                    k = max(1, math.ceil(GROWTH * (spent - start) / self.cost[j] - 1e-9))
                else:
                    k = 1
                if k > room:
                    k = room  # the rest of the budget or the limit, if any
                while 1 <= k <= room:
                    cols.append((j, k))
                    k *= 2
                if room >= 1 and (not cols or cols[-1] != (j, room)):
                    cols.append((j, room))
            X = np.repeat(np.asarray(x, dtype=np.float64)[:, None], len(cols) + 1, axis=1)
            for c, (j, k) in enumerate(cols, start=1):
                X[j, c] += k
            ok, gap = self.judge(X)
            if ok[0] or not cols:
                return x
            gain = gap[0] - gap[1:]
            price = np.array([self.cost[j] * k for j, k in cols])
            ratio = np.where(gain > 1e-12, gain / np.maximum(price, 1e-12), 0.0)
            best = int(np.argmax(ratio))
            if ratio[best] <= 0:
                return x
            jb = cols[best][0]
            others = [ratio[i] for i, (j, _) in enumerate(cols) if j != jb]
            bar = max(others, default=0.0)
            take = cols[best][1]
            # extend while each further increment (between lots) still beats every other candidate
            lots = sorted((k, float(gap[i + 1])) for i, (j, k) in enumerate(cols) if j == jb)
            at = dict(lots)[take]
            for k, g in lots:
                if k <= take:
                    continue
                step = (at - g) / (self.cost[jb] * (k - take)) if self.cost[jb] > 0 else 0.0
                if step <= 0 or step < bar:
                    break
                take, at = k, g
            # a lot that closes everything: the smallest one of this candidate that does
            feas = [k for i, (j, k) in enumerate(cols) if j == jb and ok[i + 1]]
            if feas:
                take = min(feas)
            x[jb] += take
        return x

    def group_room(self, x: Sequence[int], j: int) -> int:
        """How many more of candidate ``j`` its class's supply limit allows."""
        room = ROUNDS_CAP
        for members, most in self.groups:
            if j in members:
                room = min(room, most - sum(x[i] for i in members))
        return room

    def within(self, x: Sequence[int]) -> bool:
        """``x`` keeps every class's supply limit."""
        return all(sum(x[i] for i in members) <= most for members, most in self.groups)

    def smallest(self, x: list[int], j: int, gap_at_most: float | None = None) -> int:
        """Fewest units of candidate ``j`` that keep ``x`` feasible (others fixed).

        With ``gap_at_most``: that keep the total shortfall at or below it instead.
        Both are monotone in the count, so the search over the integers is exact.
        """
        np = self._np
        lo, hi = -1, x[j]  # lo infeasible (or below 0), hi feasible
        while hi - lo > 1:
            pts = sorted({lo + max(1, (hi - lo) * i // 64) for i in range(1, 65)} - {hi})
            pts = [p for p in pts if lo < p < hi]
            if not pts:
                break
            X = np.repeat(np.asarray(x, dtype=np.float64)[:, None], len(pts), axis=1)
            X[j] = pts
            ok, gap = self.judge(X)
            if gap_at_most is not None:
                ok = gap <= gap_at_most + 1e-12
            good = [p for p, f in zip(pts, ok, strict=True) if f]
            bad = [p for p, f in zip(pts, ok, strict=True) if not f]
            if good:
                hi = min(good)
            lo = max([b for b in bad if b < hi], default=lo)
        return hi

    def trim(self, x: list[int]) -> list[int]:
        """Each line, most expensive first, cut to the fewest units that keep ``x`` feasible."""
        x = list(x)
        for j in sorted(range(len(x)), key=lambda j: -self.cost[j] * x[j]):
            if x[j] > 0:
                x[j] = self.smallest(x, j)
        return x

    def tighten(self, x: list[int]) -> list[int]:
        """Each line cut to the fewest units that lose none of the fall in shortfall."""
        np = self._np
        x = list(x)
        for j in sorted(range(len(x)), key=lambda j: -self.cost[j] * x[j]):
            if x[j] > 0:
                _, g = self.judge(np.asarray(x, dtype=np.float64)[:, None])
                x[j] = self.smallest(x, j, gap_at_most=float(g[0]))
        return x

    def total(self, x: Sequence[int]) -> float:
        return float(sum(self.cost[j] * v for j, v in enumerate(x)))


def _greedy(s: _Search, caps: Sequence[int], budget: float) -> tuple[list[int], bool, int]:
    """Fill, trim, then drop-and-refill until no drop makes it cheaper."""
    x = s.fill([0] * len(caps), caps, budget)
    for _ in range(10):  # out of budget: free what buys nothing (lots overshoot), refill
        if s.feasible(x):
            break
        y = s.fill(s.tighten(x), caps, budget)
        if y == x:
            break
        x = y
    if not s.feasible(x):
        return x, False, 0
    x = s.trim(x)
    rounds = 0
    improved = True
    while improved and rounds < 3:
        improved = False
        rounds += 1
        for j in [j for j in range(len(x)) if x[j] > 0]:
            if s.b.evaluations > MAX_EVALUATIONS:
                return x, True, rounds
            y = list(x)
            y[j] = 0
            y = s.fill(y, caps, budget, frozen=j)
            if not s.feasible(y):
                continue
            y = s.trim(y)
            if s.total(y) < s.total(x) - 1e-9:
                x, improved = y, True
    return x, True, rounds


def _exhaustive(
    s: _Search, caps: Sequence[int], budget: float, max_points: int
) -> tuple[list[int], bool]:
    """Every package within the caps and budget; the cheapest feasible (ties: fewest units)."""
    import numpy as np

    sizes = [c + 1 for c in caps]
    if math.prod(sizes) > max_points:
        raise OptimizeError(
            f"exhaustive search would try {math.prod(sizes):,} packages (most {max_points:,}); "
            "use the default method or a smaller --budget"
        )
    pts = [
        p
        for p in itertools.product(*(range(n) for n in sizes))
        if s.total(p) <= budget + 1e-9 and s.within(p)
    ]
    best: tuple[float, int, tuple[int, ...]] | None = None
    for start in range(0, len(pts), BATCH * 4):
        chunk = pts[start : start + BATCH * 4]
        ok, _ = s.judge(np.asarray(chunk, dtype=np.float64).T)
        for p, f in zip(chunk, ok, strict=True):
            if f:
                key = (round(s.total(p), 9), sum(p), p)
                if best is None or key < best:
                    best = key
    if best is None:
        return [0] * len(caps), False
    return list(best[2]), True


# --- the optimiser ----------------------------------------------------------------------


@dataclass(frozen=True)
class OptimizeResult:
    """The package, its cost, and the assessment with it applied."""

    package: tuple[PackageLine, ...]
    total_cost_musd: float
    feasible: bool
    optimal: bool
    method: str
    budget_musd: float
    by_year: int | None
    baseline: Assessment
    assessment: Assessment
    edits: tuple[str, ...]
    added_systems: tuple[dict[str, Any], ...]
    unreachable: tuple[str, ...] = ()
    ceilings: tuple[tuple[str, float | None], ...] = ()
    message: str = ""
    evaluations: int = 0
    predicted: dict[str, float | None] = field(default_factory=dict)

    @property
    def worst_critical(self) -> tuple[str, float] | None:
        """The critical contest with the lowest balance after the package, and that balance."""
        crit = [
            (r.balance, r.id)
            for r in self.assessment.contests
            if r.critical and r.balance is not None
        ]
        if not crit:
            return None
        b, cid = min(crit)
        return cid, b

    def to_json(self) -> dict[str, Any]:
        """``package``, ``total_cost_musd``, ``feasible``, ``method``, ``assessment`` and context."""
        worst = self.worst_critical
        return {
            "package": [ln.to_json() for ln in self.package],
            "total_cost_musd": round_sig(self.total_cost_musd),
            "feasible": self.feasible,
            "optimal": self.optimal,
            "method": self.method,
            "budget_musd": round_sig(self.budget_musd),
            "by_year": self.by_year,
            "message": self.message,
            "unreachable": list(self.unreachable),
            "ceilings": {cid: round_sig(b) for cid, b in self.ceilings},
            "worst_critical": None
            if worst is None
            else {"contest": worst[0], "balance": round_sig(worst[1])},
            "edits": list(self.edits),
            "added_systems": [dict(d) for d in self.added_systems],
            "evaluations": self.evaluations,
            "baseline": {
                "certified": self.baseline.certified,
                "contests": [
                    {"id": r.id, "balance": round_sig(r.balance), "verdict": r.verdict}
                    for r in self.baseline.contests
                    if r.critical
                ],
            },
            "assessment": self.assessment.to_json(),
        }


def _caps(cands: Sequence[Candidate], budget: float) -> list[int]:
    out = []
    for c in cands:
        cap = ROUNDS_CAP if c.kind != "units" else HARD_CAP
        if c.limit is not None:
            cap = min(cap, c.limit)
        if c.unit_cost_musd > 0 and math.isfinite(budget):
            cap = min(cap, math.floor(budget / c.unit_cost_musd + 1e-9))
        out.append(max(0, cap))
    return out


def _groups(cands: Sequence[Candidate]) -> list[tuple[list[int], int]]:
    """Candidates that share a class's supply limit (units of one class; shells of one munition)."""
    by: dict[tuple[str, str], list[int]] = {}
    for j, c in enumerate(cands):
        if c.limit is not None and c.kind != "rounds":
            by.setdefault((c.kind, c.class_), []).append(j)
    return [(js, cands[js[0]].limit or 0) for js in by.values()]


def optimize(
    m: Matchup,
    budget_musd: float,
    by_year: int | None = None,
    limits: Mapping[str, int | None] | None = None,
    *,
    method: str = "greedy",
    max_points: int = 200_000,
) -> OptimizeResult:
    """The cheapest package found that makes every critical contest hold (module docstring).

    Parameters
    ----------
    m : Matchup
        The matchup (with commitments, for ``by_year``).
    budget_musd : float
        Most the package may cost, million USD (≥ 0).
    by_year : int, optional
        Optimise on the projected matchup of this year (:func:`qdb.projection.project`).
    limits : mapping class -> int or None, optional
        Most extra units (rounds, for a munition class) per class; overrides
        the catalog's supply limits.
    method : {"greedy", "exhaustive"}
        ``greedy`` (default; not proven optimal) or ``exhaustive`` (every
        package within the budget and limits; proven optimal; small cases).
    max_points : int
        Most packages the exhaustive method may enumerate.

    Returns
    -------
    OptimizeResult

    Raises
    ------
    OptimizeError
        Negative or non-finite budget, negative limit, unknown class or method.

    Examples
    --------
    >>> # optimize(m, 38_000, by_year=2027).to_json()["total_cost_musd"]
    """
    import numpy as np

    from qdb.assess import assess

    if (
        isinstance(budget_musd, bool)
        or not isinstance(budget_musd, int | float)
        or not math.isfinite(budget_musd)
        or budget_musd < 0
    ):
        raise OptimizeError(f"--budget must be a number of million USD >= 0 (got {budget_musd})")
    if method not in ("greedy", "exhaustive"):
        raise OptimizeError(f"unknown method {method!r}; use greedy or exhaustive")
    for cls, lim in (limits or {}).items():
        if cls not in m.catalog.classes:
            raise OptimizeError(f"--limit {cls}: unknown class")
        if lim is not None and lim < 0:
            raise OptimizeError(f"--limit {cls}={lim}: a limit must be >= 0")
    base = m
    years = 1
    if by_year is not None:
        from qdb.projection import project

        base = project(m, by_year, by_year, reconcile=False).years[0].matchup
        years = max(1, by_year - m.blue.as_of.year)
    baseline = assess(base, with_critical=False)
    matched = m.catalog.thresholds.matched
    short = [r.id for r in baseline.contests if r.critical and r.verdict == "shortfall"]
    cands = candidates(base, short, limits, years) if short else []
    x: list[int] = [0] * len(cands)
    ceilings: dict[str, float | None] = {}
    feasible = True
    optimal = not short
    evaluations = 0
    predicted: dict[str, float | None] = {}
    if short:
        batch = _Batch(base, cands)
        # what every candidate at its supply limit (or cap) cannot close, no budget can
        most = np.asarray(_caps(cands, math.inf), dtype=np.float64)[:, None]
        top = batch.balances(most)[:, 0]
        from qdb.verdicts import at_least

        for cid in short:
            b = top[batch.ids.index(cid)]
            if not bool(at_least(np.array([b]), matched)[0]):
                ceilings[cid] = None if b != b else float(b)
        targets = [cid for cid in short if cid not in ceilings]
        if targets:
            s = _Search(batch, targets, matched, [c.unit_cost_musd for c in cands], _groups(cands))
            caps = _caps(cands, budget_musd)
            if method == "exhaustive":
                x, feasible = _exhaustive(s, caps, budget_musd, max_points)
                optimal = feasible
                if not feasible:
                    x = s.fill([0] * len(caps), caps, budget_musd)
            else:
                x, feasible, _ = _greedy(s, caps, budget_musd)
        bal = batch.balances(np.asarray(x, dtype=np.float64)[:, None])[:, 0]
        predicted = {
            cid: (None if b != b else float(b)) for cid, b in zip(batch.ids, bal, strict=True)
        }
        evaluations = batch.evaluations
    package = tuple(
        sorted(
            (PackageLine(c, n) for c, n in zip(cands, x, strict=True) if n > 0),
            key=lambda ln: (-ln.cost_musd, ln.candidate.key),
        )
    )
    after = assess(apply_package(base, package), with_critical=False)
    targets_set = set(short) - set(ceilings)
    if any(not r.holds for r in after.contests if r.id in targets_set):
        feasible = False  # the exact assessment is what counts
    unreachable = tuple(cid for cid in short if cid in ceilings)
    feasible = feasible and not unreachable
    total = sum(ln.cost_musd for ln in package)
    msg = _message(feasible, ceilings, short, total, budget_musd, after, by_year)
    return OptimizeResult(
        package=package,
        total_cost_musd=total,
        feasible=feasible,
        optimal=optimal and feasible,
        method=METHOD_EXHAUSTIVE if method == "exhaustive" else METHOD_GREEDY,
        budget_musd=float(budget_musd),
        by_year=by_year,
        baseline=baseline,
        assessment=after,
        edits=tuple(package_edits(base, package)),
        added_systems=tuple(new_systems(package)),
        unreachable=unreachable,
        ceilings=tuple((cid, ceilings[cid]) for cid in unreachable),
        message=msg,
        evaluations=evaluations,
        predicted=predicted,
    )


def _message(
    feasible: bool,
    ceilings: Mapping[str, float | None],
    short: Sequence[str],
    total: float,
    budget: float,
    after: Assessment,
    by_year: int | None,
) -> str:
    when = f" by {by_year}" if by_year is not None else ""
    if not short:
        return f"Every critical contest already holds{when}; nothing to buy."
    if feasible:
        return (
            f"The package brings every critical contest to matched or better{when} for "
            f"${total:,.0f}M, within the ${budget:,.0f}M budget."
        )
    parts = []
    for cid, b in ceilings.items():
        if b is None:
            parts.append(f"no blue purchase moves {cid}, so none can close it")
        else:
            parts.append(
                f"{cid} cannot be closed by any purchase within the supply limits "
                f"(its balance rises at most to {b:.3g})"
            )
    still = [r.id for r in after.contests if r.critical and r.verdict not in HOLDING]
    closable = [cid for cid in still if cid not in ceilings]
    if closable:
        parts.append(
            f"the ${budget:,.0f}M budget cannot close every other shortfall{when} "
            f"({', '.join(closable)}); this package cuts the total shortfall most per dollar"
        )
    elif still:
        parts.append(f"the package closes every other shortfall{when} for ${total:,.0f}M")
    return "Not certifiable: " + "; ".join(parts) + "." if parts else "Not certifiable."


def optimize_markdown(r: OptimizeResult) -> str:
    """ "What closing the gaps would cost": the package, its cost and the balances after it."""
    when = f" by {r.by_year}" if r.by_year is not None else ""
    out = [f"## What closing the gaps would cost{when}", "", r.message, ""]
    if r.package:
        out += [
            "| Buy | Class | System | Quantity | Unit cost $M | Cost $M |",
            "|---|---|---|---:|---:|---:|",
        ]
        for ln in r.package:
            c = ln.candidate
            out.append(
                f"| {c.kind} | {c.class_} | {c.system}{' (new)' if c.new else ''} "
                f"| {ln.quantity:,} | {c.unit_cost_musd:,.3g} | {ln.cost_musd:,.1f} |"
            )
        out.append(f"| **Total** | | | | | **{r.total_cost_musd:,.1f}** |")
        out.append("")
    before = {cr.id: cr for cr in r.baseline.contests}
    out += ["| Critical contest | Balance before | After | Verdict after |", "|---|---:|---:|---|"]
    for cr in r.assessment.contests:
        if not cr.critical:
            continue
        b0 = before[cr.id].balance
        out.append(
            f"| {cr.title} | {'—' if b0 is None else f'{b0:.2f}'} "
            f"| {'—' if cr.balance is None else f'{cr.balance:.2f}'} | {cr.verdict} |"
        )
    out += [
        "",
        f"Budget ${r.budget_musd:,.0f}M. Method: {r.method}"
        + ("; proven optimal." if r.optimal else "; not proven optimal (verified exactly)."),
    ]
    return "\n".join(out) + "\n"
