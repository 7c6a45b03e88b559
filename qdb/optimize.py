"""Cheapest package of extra blue systems that makes the balance certifiable (pure).

Problem
-------
Choose integer numbers ``x_j ≥ 0`` of extra units of candidate blue systems to
minimise the cost ``Σ c_j x_j`` such that every critical contest reaches
``matched`` (β ≥ thresholds.matched), within the budget ``Σ c_j x_j ≤ B`` and
the supply limits ``x_j ≤ u_j``.

* A critical contest that still falls short when every candidate is at its
  supply limit (or at a hard cap of a million units) cannot be closed by any
  budget — e.g. a layered defence where one shot per layer caps the kills. It
  is reported in ``unreachable`` with its ``ceiling`` balance, and the rest of
  the problem is solved without it (``feasible = False``).
* If the budget cannot close every closable contest, the package maximises the
  worst balance among them (then, with what is left, the next worst — a
  leximin order — and finally the cheapest package keeping those levels), and
  says so (``feasible = False``).

Candidates
----------
One per blue class that counters a critical contest in shortfall (or is one of
its layers): extra units of the class's *highest-quality* system (ties: higher
readiness, then id), held with that system's readiness, quality and stock per
unit (``stock / quantity``; an added Patriot battery comes with the
interceptors the existing ones carry on average). Choosing the best system of a
class means an added unit never lowers a layer's or a class's mean quality, so
each balance is non-decreasing in every ``x_j``. A class with no fielded system
is added as a new system ``new_<class>`` of quality 1 and readiness 1 (no stock:
its layer is then not stock-limited). Unit costs are the catalog's
``unit_cost_musd`` (point value); supply limits are ``supply_limit_per_year``
times the years until ``by_year`` (one year without it), or given explicitly.

Method
------
Outer approximation (Kelley's cutting planes; Duran & Grossmann 1986) with a
mixed-integer linear master problem solved by HiGHS through
``scipy.optimize.milp``. Each critical contest's constraint is linearised at
the packages tried so far — the tangent of ``ln β`` (Lanchester laws) or of the
leakage (layered defence, which must stay under ``acceptable_leakage ** θ``) —
the master gives the cheapest package satisfying every cut, and that package is
re-evaluated exactly with the qdb contest models; the loop stops when it holds.
The cuts are valid (never cut off a feasible package), hence the answer is the
global optimum, when each constraint is convex in ``x``: always for the
Lanchester laws (``ln β = ln S + (p−1) ln N`` with ``S`` and ``N`` affine in
``x`` and ``p ≥ 1``), and for layered defence when the added units leave each
layer's mean quality unchanged (leakage is then a composition of ``max`` of
convex functions). Otherwise the package is still verified exactly, repaired
greedily if the cuts stall, trimmed by a descent that drops units while it
holds, and ``optimal`` is False. The max-min problem is solved by bisection on
the level, each step a min-cost problem as above (monotone: a higher level
never costs less). Finally the package is applied as what-if edits and
assessed with :func:`qdb.assess.assess`; that assessment is what is reported.
``tests/test_optimize.py`` checks the answers against brute-force enumeration
through the full engine on random small cases.

References
----------
Kelley, J. E., "The cutting-plane method for solving convex programs",
*J. SIAM* 8(4), 1960.
Duran, M. A. and Grossmann, I. E., "An outer-approximation algorithm for a
class of mixed-integer nonlinear programs", *Math. Programming* 36, 1986.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from qdb.errors import OptimizeError
from qdb.models import Matchup
from qdb.models.estimate import Estimate
from qdb.models.inventory import System
from qdb.results import HOLDING, Assessment, round_sig

if TYPE_CHECKING:
    from qdb.graph import Participant

__all__ = [
    "Candidate",
    "OptimizeResult",
    "PackageLine",
    "apply_package",
    "candidates",
    "optimize",
    "optimize_markdown",
]

HARD_CAP = 1_000_000
"""Most extra units of one candidate ever considered."""
MAX_ITER = 300
LEAK_FLOOR = 1e-6
BETA_FLOOR = 1e-6
OPT_SOURCE = "qdb_optimize"

METHOD_OA = (
    "outer-approximation MILP: tangent cuts of each critical contest's balance, master "
    "problem solved by HiGHS (scipy.optimize.milp), every package re-evaluated exactly "
    "with the qdb contest models"
)
METHOD_EXHAUSTIVE = "exhaustive enumeration of every package within the bounds"


# --- candidates -------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A blue system the optimiser may add units of."""

    class_: str
    system: str
    name: str
    new: bool
    unit_cost_musd: float
    stock_per_unit: float | None
    limit: int | None
    contests: tuple[str, ...]


@dataclass(frozen=True)
class PackageLine:
    """Extra units of one candidate."""

    candidate: Candidate
    quantity: int

    @property
    def cost_musd(self) -> float:
        """quantity × unit cost."""
        return self.quantity * self.candidate.unit_cost_musd

    @property
    def stock_added(self) -> float | None:
        """Interceptors or rounds that come with the units (None without stock)."""
        spu = self.candidate.stock_per_unit
        return None if spu is None else spu * self.quantity

    def to_json(self) -> dict[str, Any]:
        c = self.candidate
        return {
            "class": c.class_,
            "system": c.system,
            "quantity": self.quantity,
            "unit_cost_musd": round_sig(c.unit_cost_musd),
            "cost_musd": round_sig(self.cost_musd),
            "new_system": c.new,
            "stock_added": round_sig(self.stock_added),
        }


def _best_system(systems: Sequence[System]) -> System | None:
    fielded = [s for s in systems if s.quantity.value > 0 and s.readiness.value > 0]
    if not fielded:
        return None
    return min(fielded, key=lambda s: (-s.quality.value, -s.readiness.value, s.id))


def candidates(
    m: Matchup,
    contest_ids: Sequence[str],
    limits: Mapping[str, int | None] | None = None,
    years: int = 1,
) -> list[Candidate]:
    """The candidate additions for ``contest_ids`` (see the module docstring).

    Parameters
    ----------
    m : Matchup
        The matchup to add to (blue is changed).
    contest_ids : sequence of str
        Contests whose blue classes are candidates.
    limits : mapping class -> int or None, optional
        Most extra units per class; overrides the catalog's supply limits
        (``None`` lifts a limit).
    years : int
        Years of supply the catalog's ``supply_limit_per_year`` is multiplied by.

    Returns
    -------
    list of Candidate
        In class-id order.
    """
    limits = dict(limits or {})
    classes: dict[str, list[str]] = {}
    for cid in contest_ids:
        con = m.catalog.contest(cid)
        if con is None:
            raise OptimizeError(f"no contest {cid!r}")
        for cls in [*con.counters, *con.layers]:
            classes.setdefault(cls, []).append(cid)
    taken = {s.id for s in m.blue.systems}
    out = []
    for cls in sorted(classes):
        k = m.catalog.classes[cls]
        rep = _best_system([s for s in m.blue.systems if s.class_ == cls])
        if cls in limits:
            limit = limits[cls]
        elif k.supply_limit_per_year is not None:
            limit = math.floor(k.supply_limit_per_year.value * years + 1e-9)
        else:
            limit = None
        if rep is not None:
            spu = rep.stock.value / rep.quantity.value if rep.stock is not None else None
            out.append(
                Candidate(
                    cls,
                    rep.id,
                    rep.name,
                    False,
                    k.unit_cost_musd.value,
                    spu,
                    limit,
                    tuple(classes[cls]),
                )
            )
        else:
            sid, n = f"new_{cls}", 2
            while sid in taken:
                sid, n = f"new_{cls}_{n}", n + 1
            taken.add(sid)
            out.append(
                Candidate(
                    cls,
                    sid,
                    f"{k.name or cls} (added by qdb optimize)",
                    True,
                    k.unit_cost_musd.value,
                    None,
                    limit,
                    tuple(classes[cls]),
                )
            )
    return out


# --- applying a package -----------------------------------------------------------------


def package_edits(m: Matchup, package: Sequence[PackageLine]) -> list[str]:
    """What-if edits (``SIDE:SYSTEM.quantity+=N``, ``.stock+=S``) for the existing systems."""
    from qdb.whatif import format_number

    side = m.blue.side
    edits = []
    for line in package:
        c = line.candidate
        if c.new or line.quantity == 0:
            continue
        edits.append(f"{side}:{c.system}.quantity+={line.quantity}")
        if line.stock_added:
            edits.append(f"{side}:{c.system}.stock+={format_number(line.stock_added)}")
    return edits


def new_systems(package: Sequence[PackageLine]) -> list[dict[str, Any]]:
    """The systems a package adds (candidates with no fielded system), as data mappings."""
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


def apply_package(m: Matchup, package: Sequence[PackageLine]) -> Matchup:
    """``m`` with the package added to blue: new systems, then :func:`package_edits`.

    The edits go through :func:`qdb.whatif.apply_edits`, so ``qdb assess
    --set EDIT ...`` on the same matchup reproduces the result.
    """
    from qdb.models.base import Source
    from qdb.whatif import apply_edits

    added = new_systems(package)
    if added:
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
        systems = [*inv.systems, *(System.model_validate(d) for d in added)]
        m = m.with_side("blue", inv.model_copy(update={"systems": systems, "sources": sources}))
    edits = package_edits(m, package)
    return apply_edits(m, edits) if edits else m


# --- fast exact evaluation of the critical contests --------------------------------------


class _Evaluator:
    """Exact balances of a few contests as functions of the candidate counts."""

    def __init__(self, m: Matchup, contest_ids: Sequence[str], cands: Sequence[Candidate]) -> None:
        from qdb.graph import Participant, build_graph, participants, quality_parts

        self.m = m
        self.cands = list(cands)
        G = build_graph(m)
        self.contests = {cid: m.catalog.contest(cid) for cid in contest_ids}
        self.blue: dict[str, list[Participant]] = {}
        self.red: dict[str, list[Participant]] = {}
        # per contest: (candidate index, index in blue list or -1, participant template)
        self.slots: dict[str, list[tuple[int, int, Participant]]] = {}
        for cid, con in self.contests.items():
            assert con is not None
            blue = participants(G, cid, "blue")
            self.blue[cid] = blue
            self.red[cid] = participants(G, cid, "red")
            slots = []
            for j, c in enumerate(self.cands):
                if cid not in c.contests:
                    continue
                if not c.new:
                    i = next(i for i, p in enumerate(blue) if p.system.id == c.system)
                    slots.append((j, i, blue[i]))
                else:
                    sys = System.model_validate(
                        {
                            "id": c.system,
                            "name": c.name,
                            "class": c.class_,
                            "quantity": 0,
                            "source": OPT_SOURCE,
                        }
                    )
                    qual, tr, tech = quality_parts(m, m.blue, sys)
                    if con.law == "layered_defence":
                        w, layer = 1.0, con.layers.index(c.class_)
                    else:
                        w, layer = con.counters[c.class_].value, None
                    p = Participant(
                        f"{m.blue.side}:{c.system}", sys, c.class_, w, qual, tr, tech, layer
                    )
                    slots.append((j, -1, p))
            self.slots[cid] = slots
        self.cache: dict[tuple[str, tuple[float, ...]], Any] = {}
        self.lin_cache: dict[
            tuple[str, tuple[int, ...]], tuple[dict[int, float], float] | None
        ] = {}
        self.lin_points: dict[str, list[tuple[int, ...]]] = {}
        self.evaluations = 0

    def key(self, cid: str, x: Sequence[float]) -> tuple[float, ...]:
        return tuple(float(x[j]) for j, _, _ in self.slots[cid])

    def result(self, cid: str, x: Sequence[float]) -> Any:
        from qdb.contests import evaluate

        k = (cid, self.key(cid, x))
        hit = self.cache.get(k)
        if hit is not None:
            return hit
        blue = list(self.blue[cid])
        for j, i, p in self.slots[cid]:
            n = float(x[j])
            if n == 0:
                continue
            s = p.system
            upd: dict[str, Any] = {"quantity": Estimate.point(s.quantity.value + n)}
            spu = self.cands[j].stock_per_unit
            if spu is not None and s.stock is not None:
                upd["stock"] = Estimate.point(s.stock.value + spu * n)
            q = replace(p, system=s.model_copy(update=upd))
            if i >= 0:
                blue[i] = q
            else:
                blue.append(q)
        con = self.contests[cid]
        assert con is not None
        r = evaluate(con, blue, self.red[cid], self.m.catalog.thresholds, self.m.catalog.classes)
        self.evaluations += 1
        if len(self.cache) > 200_000:
            self.cache.clear()
        self.cache[k] = r
        return r

    def balance(self, cid: str, x: Sequence[float]) -> float | None:
        b: float | None = self.result(cid, x).balance
        return b

    def reaches(self, cid: str, x: Sequence[float], target: float) -> bool:
        """β rounded to 12 significant digits ≥ target (None: uncontested, holds)."""
        b = self.balance(cid, x)
        return b is None or b >= target or float(f"{b:.12g}") >= target

    def law(self, cid: str) -> str:
        con = self.contests[cid]
        assert con is not None
        return con.law

    # cut functions: f(x) >= tau  <=>  beta >= target
    def cut_value(self, cid: str, x: Sequence[float]) -> float:
        r = self.result(cid, x)
        if r.law == "layered_defence":
            leak = r.leakage if r.leakage is not None else 0.0
            return -max(float(leak), LEAK_FLOOR)
        b = r.balance
        return math.log(b) if b is not None and b > 0 else -math.inf

    def cut_target(self, cid: str, target: float) -> float:
        con = self.contests[cid]
        assert con is not None
        if con.law == "layered_defence":
            assert con.acceptable_leakage is not None
            return -float(con.acceptable_leakage.value**target)
        return math.log(target)

    def log_balance(self, cid: str, x: Sequence[float]) -> float:
        b = self.balance(cid, x)
        if b is None:
            return math.inf
        return math.log(max(b, BETA_FLOOR))

    def gradient(
        self, f: Callable[[str, Sequence[float]], float], cid: str, x: Sequence[float]
    ) -> dict[int, float]:
        """Forward differences of ``f`` in each candidate of the contest."""
        f0 = f(cid, x)
        out = {}
        for j, _, _ in self.slots[cid]:
            h = 1e-4 * max(1.0, abs(float(x[j])))
            y = list(map(float, x))
            y[j] += h
            out[j] = (f(cid, y) - f0) / h
        return out

    def linearise(self, cid: str, x: Sequence[int]) -> tuple[dict[int, float], float] | None:
        """Tangent of the cut function at ``x``: ``f(y) ≈ g·y + c0``; None where f = -inf."""
        key = (cid, tuple(x))
        if key in self.lin_cache:
            return self.lin_cache[key]
        f0 = self.cut_value(cid, x)
        out: tuple[dict[int, float], float] | None = None
        if math.isfinite(f0):
            g = self.gradient(self.cut_value, cid, x)
            out = (g, f0 - sum(g[j] * x[j] for j in g))
        self.lin_cache[key] = out
        self.lin_points.setdefault(cid, []).append(tuple(x))
        return out

    def convex(self, cid: str) -> bool:
        """True when the cut function is provably concave (see the module docstring)."""
        con = self.contests[cid]
        assert con is not None
        if con.law != "layered_defence":
            return True
        for _, _, p in self.slots[cid]:
            layer = [q for q in self.blue[cid] if q.layer == p.layer]
            units = sum(q.system.quantity.value * q.system.readiness.value for q in layer)
            if units <= 0:
                continue
            mean = (
                sum(q.system.quantity.value * q.system.readiness.value * q.q for q in layer) / units
            )
            if abs(p.q - mean) > 1e-12 * max(1.0, mean):
                return False
        return True


# --- the master problem -----------------------------------------------------------------


@dataclass
class _Master:
    """Cuts ``a·x (+ t) ≥ b`` of the outer approximation."""

    n: int
    rows: list[list[float]] = field(default_factory=list)
    lo: list[float] = field(default_factory=list)
    exact: bool = True

    def add(
        self,
        coef: Mapping[int, float],
        rhs: float,
        t_coef: float = 0.0,
        at: Sequence[int] | None = None,
    ) -> None:
        """Add ``coef·x + t_coef·t >= rhs``, scaled; ``at``: a point it must cut off clearly.

        HiGHS accepts rows violated by up to ~1e-7, so a package that misses its
        target by a hair would come back again and again; the row is scaled up
        (at most 1e4 times) so that it is violated at ``at`` by at least 1e-5.
        """
        row = [0.0] * (self.n + 1)
        for j, a in coef.items():
            row[j] = a
        row[self.n] = t_coef
        scale = max(abs(v) for v in row)
        if scale <= 0 or not math.isfinite(scale) or not math.isfinite(rhs):
            return
        if at is not None:
            viol = (rhs - sum(row[j] * at[j] for j in range(self.n))) / scale
            if 0 < viol < 1e-5:
                scale /= min(1e4, 1e-5 / viol)
        self.rows.append([v / scale for v in row])
        self.lo.append(rhs / scale)

    def solve(
        self,
        cost: Sequence[float],
        upper: Sequence[int],
        budget: float,
        maximise_t: bool = False,
        t_bounds: tuple[float, float] = (0.0, 0.0),
    ) -> tuple[list[int], float] | None:
        import numpy as np
        from scipy.optimize import Bounds, LinearConstraint, milp

        n = self.n
        c = np.zeros(n + 1)
        if maximise_t:
            c[n] = -1.0
        else:
            c[:n] = cost
        A = [[*cost, 0.0]]
        lo = [-np.inf]
        hi = [budget + 1e-9 * max(1.0, budget)]
        A += self.rows
        lo += self.lo
        hi += [np.inf] * len(self.rows)
        integrality = np.array([1] * n + [0])
        lb = np.array([0.0] * n + [t_bounds[0]])
        ub = np.array([float(u) for u in upper] + [t_bounds[1]])
        res = milp(
            c,
            integrality=integrality,
            bounds=Bounds(lb, ub),
            constraints=LinearConstraint(np.array(A), np.array(lo), np.array(hi)),
            options={"mip_rel_gap": 1e-9, "time_limit": 60.0},
        )
        if res.x is None or res.status not in (0, 1):
            if res.status not in (0, 2):
                self.exact = False
            return None
        if res.status != 0:
            self.exact = False  # time limit: the best package found, not proven optimal
        x = [round(v) for v in res.x[:n]]
        return x, float(res.x[n])


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
    iterations: int = 0
    evaluations: int = 0

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


def _upper_bounds(
    ev: _Evaluator, cands: Sequence[Candidate], targets: Mapping[str, float], budget: float
) -> list[int]:
    """Per candidate: no more units than the budget, the limit, or what its contests need alone."""
    out = []
    for j, c in enumerate(cands):
        cap = HARD_CAP
        if c.limit is not None:
            cap = min(cap, c.limit)
        if c.unit_cost_musd > 0:
            cap = (
                min(cap, math.floor(budget / c.unit_cost_musd + 1e-9))
                if math.isfinite(budget)
                else cap
            )
        need = 0
        for cid in c.contests:
            if cid not in targets:
                continue

            def ok(n: int, cid: str = cid, j: int = j) -> bool:
                x = [0] * len(cands)
                x[j] = n
                return ev.reaches(cid, x, targets[cid])

            if not ok(cap):
                need = cap
                break
            lo, hi = 0, 1
            while not ok(hi):
                lo, hi = hi, min(cap, hi * 2)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if ok(mid):
                    hi = mid
                else:
                    lo = mid
            need = max(need, hi if not ok(lo) else lo)
        out.append(min(cap, need))
    return out


def _cost(x: Sequence[int], cost: Sequence[float]) -> float:
    return sum(a * b for a, b in zip(x, cost, strict=True))


def _descend(
    x: list[int], cost: Sequence[float], holds: Callable[[Sequence[int]], bool]
) -> list[int]:
    """Drop units (dearest candidates first) while the package still holds."""
    order = sorted(range(len(x)), key=lambda j: -cost[j])
    changed = True
    while changed:
        changed = False
        for j in order:
            if x[j] == 0:
                continue
            lo, hi = -1, x[j]  # hi holds
            while hi - lo > 1:
                mid = (lo + hi) // 2
                y = list(x)
                y[j] = mid
                if holds(y):
                    hi = mid
                else:
                    lo = mid
            if hi < x[j]:
                x = list(x)
                x[j] = hi
                changed = True
    return x


def _repair(
    x: list[int],
    ev: _Evaluator,
    targets: Mapping[str, float],
    cost: Sequence[float],
    upper: Sequence[int],
    budget: float,
) -> list[int] | None:
    """Greedy: add the unit with the best gain in the worst shortfall per dollar until it holds."""
    x = list(x)
    while True:
        short = [cid for cid in targets if not ev.reaches(cid, x, targets[cid])]
        if not short:
            return x

        def gap(y: Sequence[int]) -> float:
            return sum(min(0.0, ev.log_balance(cid, y) - math.log(targets[cid])) for cid in targets)

        g0 = gap(x)
        spent = _cost(x, cost)
        best, best_step, best_score = -1, 0, 0.0
        for j in range(len(x)):
            # steps grow with the holding (the final descent trims any excess)
            step = min(max(1, x[j] // 8), upper[j] - x[j])
            if step <= 0 or spent + step * cost[j] > budget + 1e-9 * max(1.0, budget):
                step = 1
                if x[j] >= upper[j] or spent + cost[j] > budget + 1e-9 * max(1.0, budget):
                    continue
            if not any(cid in ev.cands[j].contests for cid in short):
                continue
            y = list(x)
            y[j] += step
            score = (gap(y) - g0) / max(step * cost[j], 1e-9)
            if best < 0 or score > best_score:
                best, best_step, best_score = j, step, score
        if best < 0 or best_score <= 0:
            return None
        x[best] += best_step


def _min_cost(
    ev: _Evaluator,
    cands: Sequence[Candidate],
    targets: Mapping[str, float],
    upper: Sequence[int],
    budget: float,
    repair: bool = True,
) -> tuple[list[int] | None, bool, int]:
    """Outer approximation for the cheapest package reaching ``targets``.

    When the cuts may be invalid (a non-convex contest) and the master finds
    nothing or stalls, a greedy package is tried (``repair``) before giving up.
    Returns (package or None, proven optimal, iterations).
    """
    n = len(cands)
    cost = [c.unit_cost_musd for c in cands]
    convex = all(ev.convex(cid) for cid in targets)
    master = _Master(n)

    def cut_at(cid: str, x: Sequence[int], sharp: bool = False) -> None:
        lin = ev.linearise(cid, x)
        if lin is None:
            # no blue units at all: any package that holds adds at least one
            master.add({j: 1.0 for j, _, _ in ev.slots[cid]}, 1.0)
            return
        g, c0 = lin
        master.add(g, ev.cut_target(cid, targets[cid]) - c0, at=x if sharp else None)

    for cid in targets:
        # every tangent taken so far is valid whatever the target: reuse them
        for pt in [(0,) * n, tuple(upper), *ev.lin_points.get(cid, ())]:
            cut_at(cid, pt)
    seen: set[tuple[int, ...]] = set()
    x: list[int] | None = None
    for it in range(1, MAX_ITER + 1):
        sol = master.solve(cost, upper, budget)
        if sol is None:
            if convex and master.exact:
                return None, True, it
            # the cuts may be invalid here: try a greedy package before giving up
            if not repair:
                return None, False, it
            rep = _repair([0] * n, ev, targets, cost, upper, budget)
            return (
                (None if rep is None else _descend(rep, cost, lambda y: _holds(ev, targets, y))),
                False,
                it,
            )
        x = sol[0]
        if tuple(x) in seen:
            break
        seen.add(tuple(x))
        short = [cid for cid in targets if not ev.reaches(cid, x, targets[cid])]
        if not short:
            if convex and master.exact:
                return x, True, it
            return _descend(x, cost, lambda y: _holds(ev, targets, y)), False, it
        for cid in short:
            cut_at(cid, x, sharp=True)
    if not repair:
        return None, False, MAX_ITER
    rep = _repair(x or [0] * n, ev, targets, cost, upper, budget)
    if rep is None:
        return None, False, MAX_ITER
    return _descend(rep, cost, lambda y: _holds(ev, targets, y)), False, MAX_ITER


def _holds(ev: _Evaluator, targets: Mapping[str, float], x: Sequence[int]) -> bool:
    return all(ev.reaches(cid, x, targets[cid]) for cid in targets)


def _worst(ev: _Evaluator, targets: Mapping[str, float], x: Sequence[int]) -> float:
    """The worst log balance over ``targets``, each capped at its target."""
    return min(min(ev.log_balance(cid, x), math.log(targets[cid])) for cid in targets)


def _max_min(
    ev: _Evaluator,
    cands: Sequence[Candidate],
    free: Mapping[str, float],
    floors: Mapping[str, float],
    start: list[int],
    upper: Sequence[int],
    budget: float,
) -> tuple[list[int], float, bool, int]:
    """Maximise the worst balance of the ``free`` contests (each capped at its target).

    Bisection on the level ``v``: the cheapest package lifting every free
    contest to ``v`` and keeping every ``floors`` contest at its floor
    (:func:`_min_cost`) fits the budget or not — a monotone test, exact when
    the min-cost problems are. ``start`` must keep the floors. Returns
    (package, worst capped balance, proven, iterations).
    """
    cap = min(free.values())

    def worst(x: Sequence[int]) -> float:
        return min(min(ev.balance(cid, x) or math.inf, free[cid]) for cid in free)

    best, lo = list(start), worst(start)
    hi = cap
    proven, iterations = True, 0
    level = cap
    for _ in range(80):
        if lo >= hi * (1 - 1e-7):
            break
        targets = {**dict.fromkeys(free, level), **floors}
        x, ok, it = _min_cost(ev, cands, targets, upper, budget, repair=False)
        proven, iterations = proven and ok, iterations + it
        if x is None:
            hi = level
        else:
            best, lo = x, max(worst(x), level)
        level = math.sqrt(max(lo, BETA_FLOOR) * hi)
    return best, lo, proven, iterations


def _leximin(
    ev: _Evaluator,
    cands: Sequence[Candidate],
    targets: Mapping[str, float],
    upper: Sequence[int],
    budget: float,
) -> tuple[list[int], bool, int]:
    """Maximise the worst critical balance; then, with what is left, the next worst; ...

    Sequential max-min (leximin): each round maximises the worst balance of the
    contests not yet fixed (:func:`_max_min`), fixes those that bind at that
    level, and goes on until every contest is fixed. Finally the cheapest
    package keeping every contest at its level is taken. The first round —
    the worst critical balance the contract promises — is exact when the
    min-cost problems are; later rounds fix binding contests heuristically.
    """
    cost = [c.unit_cost_musd for c in cands]
    free = dict(targets)
    floors: dict[str, float] = {}
    x = [0] * len(cands)
    proven: bool | None = None
    iterations = 0
    while free:
        x, val, ok, it = _max_min(ev, cands, free, floors, x, upper, budget)
        iterations += it
        if proven is None:
            proven = ok
        binding = [
            cid
            for cid in free
            if min(ev.balance(cid, x) or math.inf, free[cid]) <= val * (1 + 1e-9)
        ]
        if not binding:
            break
        for cid in binding:
            floors[cid] = min(free.pop(cid), val * (1 - 1e-12))
    if floors:
        cheaper, _, it = _min_cost(ev, cands, floors, upper, budget)
        iterations += it
        if (
            cheaper is not None
            and _holds(ev, floors, cheaper)
            and _cost(cheaper, cost) <= _cost(x, cost)
        ):
            x = cheaper
        x = _descend(x, cost, lambda y: _holds(ev, floors, y))
    return x, bool(proven), iterations


def _exhaustive(
    ev: _Evaluator,
    cands: Sequence[Candidate],
    targets: Mapping[str, float],
    upper: Sequence[int],
    budget: float,
    max_points: int,
) -> tuple[list[int], bool]:
    """Enumerate every package: the cheapest that holds, else the best worst balance."""
    n = len(cands)
    cost = [c.unit_cost_musd for c in cands]
    tol = 1e-9 * max(1.0, budget)

    def within(j: int, left: float) -> Iterator[tuple[int, ...]]:
        if j == n:
            yield ()
            return
        for k in range(upper[j] + 1):
            spent = k * cost[j]
            if spent > left + tol:
                break
            for rest in within(j + 1, left - spent):
                yield (k, *rest)

    best_feasible: tuple[float, list[int]] | None = None
    best_worst: tuple[float, float, list[int]] | None = None
    for tried, x in enumerate(within(0, budget), start=1):
        if tried > max_points:
            raise OptimizeError(
                f"exhaustive search would try more than {max_points} packages; use the MILP method"
            )
        c = _cost(x, cost)
        if _holds(ev, targets, x):
            if best_feasible is None or c < best_feasible[0] - 1e-12:
                best_feasible = (c, list(x))
        elif best_feasible is None:
            w = _worst(ev, targets, x)
            if (
                best_worst is None
                or w > best_worst[0] + 1e-12
                or (abs(w - best_worst[0]) <= 1e-12 and c < best_worst[1] - 1e-12)
            ):
                best_worst = (w, c, list(x))
    if best_feasible is not None:
        return best_feasible[1], True
    assert best_worst is not None or n == 0
    return (best_worst[2] if best_worst is not None else []), False


def optimize(
    m: Matchup,
    budget_musd: float,
    by_year: int | None = None,
    limits: Mapping[str, int | None] | None = None,
    *,
    method: str = "milp",
    max_points: int = 2_000_000,
) -> OptimizeResult:
    """The least-cost package of extra blue systems that makes every critical contest hold.

    Parameters
    ----------
    m : Matchup
        The matchup (with commitments, for ``by_year``).
    budget_musd : float
        Most the package may cost, million USD (≥ 0).
    by_year : int, optional
        Optimise on the projected matchup of this year (:func:`qdb.projection.project`).
    limits : mapping class -> int or None, optional
        Most extra units per class (overrides the catalog's supply limits).
    method : {"milp", "exhaustive"}
        ``milp``: outer approximation (see the module docstring);
        ``exhaustive``: enumerate every package within the bounds (small cases).
    max_points : int
        Most packages the exhaustive method may enumerate.

    Returns
    -------
    OptimizeResult
        ``feasible`` is False when no package within the budget and limits
        makes every critical contest hold; the package then maximises the
        worst critical balance.

    Raises
    ------
    OptimizeError
        Negative or non-finite budget, negative limit, unknown method.

    Examples
    --------
    >>> # optimize(m, 38_000, by_year=2027).to_json()["total_cost_musd"]
    """
    from qdb.assess import assess

    if (
        not isinstance(budget_musd, int | float)
        or not math.isfinite(budget_musd)
        or budget_musd < 0
    ):
        raise OptimizeError(f"--budget must be a number of million USD >= 0 (got {budget_musd})")
    if method not in ("milp", "exhaustive"):
        raise OptimizeError(f"unknown method {method!r}; use milp or exhaustive")
    for cls, lim in (limits or {}).items():
        if cls not in m.catalog.classes:
            raise OptimizeError(f"--limit {cls}: unknown class")
        if lim is not None and lim < 0:
            raise OptimizeError(f"--limit {cls}={lim}: a limit must be >= 0")
    base = m
    years = 1
    if by_year is not None:
        from qdb.projection import project

        base = project(m, by_year, by_year).years[0].matchup
        years = max(1, by_year - m.blue.as_of.year)
    baseline = assess(base, with_critical=False)
    matched = m.catalog.thresholds.matched
    short = [r.id for r in baseline.contests if r.critical and r.verdict == "shortfall"]
    cands = candidates(base, short, limits, years) if short else []
    reachable = [cid for cid in short if any(cid in c.contests for c in cands)]
    ceilings: dict[str, float | None] = {cid: None for cid in short if cid not in reachable}
    x: list[int] = [0] * len(cands)
    feasible = optimal = True
    iterations = evaluations = 0
    how = METHOD_OA if method == "milp" else METHOD_EXHAUSTIVE
    ev = _Evaluator(base, reachable, cands) if reachable else None
    if ev is not None:
        # balances only rise with additions: what the most units the limits allow cannot
        # close, no budget can (e.g. one shot per layer caps what a layered defence kills)
        most = _upper_bounds(ev, cands, dict.fromkeys(reachable, matched), math.inf)
        for cid in reachable:
            if not ev.reaches(cid, most, matched):
                ceilings[cid] = ev.balance(cid, most)
    targets = {cid: matched for cid in reachable if cid not in ceilings}
    unreachable = tuple(cid for cid in short if cid in ceilings)
    if targets and ev is not None:
        upper = _upper_bounds(ev, cands, targets, budget_musd)
        if method == "exhaustive":
            x, feasible = _exhaustive(ev, cands, targets, upper, budget_musd, max_points)
        else:
            found, optimal, iterations = _min_cost(ev, cands, targets, upper, budget_musd)
            if found is not None:
                x = found
            else:
                feasible = False
                x, optimal, it2 = _leximin(ev, cands, targets, upper, budget_musd)
                iterations += it2
    if ev is not None:
        evaluations = ev.evaluations
    package = tuple(PackageLine(c, n) for c, n in zip(cands, x, strict=True) if n > 0)
    package = tuple(sorted(package, key=lambda ln: (-ln.cost_musd, ln.candidate.class_)))
    after_m = apply_package(base, package)
    after = assess(after_m, with_critical=False)
    if (
        targets and feasible and any(not r.holds for r in after.contests if r.id in targets)
    ):  # a rounding hair at the threshold: the exact assessment is what counts
        feasible = False
    total = sum(ln.cost_musd for ln in package)
    feasible = feasible and not unreachable
    msg = _message(feasible, ceilings, short, total, budget_musd, after, by_year)
    return OptimizeResult(
        package=package,
        total_cost_musd=total,
        feasible=feasible,
        optimal=(optimal and method == "milp") or method == "exhaustive",
        method=how,
        budget_musd=float(budget_musd),
        by_year=by_year,
        baseline=baseline,
        assessment=after,
        edits=tuple(package_edits(base, package)),
        added_systems=tuple(new_systems(package)),
        unreachable=unreachable,
        ceilings=tuple((cid, ceilings[cid]) for cid in unreachable),
        message=msg,
        iterations=iterations,
        evaluations=evaluations,
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
            parts.append(f"no blue class counters {cid}, so no addition can close it")
        else:
            parts.append(
                f"{cid} cannot be closed by adding systems within the supply limits "
                f"(its balance rises at most to {b:.2f})"
            )
    still = [r.id for r in after.contests if r.critical and r.verdict not in HOLDING]
    closable = [cid for cid in still if cid not in ceilings]
    if closable:
        parts.append(
            f"the ${budget:,.0f}M budget cannot close every other shortfall{when}; this package "
            "maximises the worst balance among the contests additions can close"
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
            "| Class | System | Extra units | Unit cost $M | Cost $M |",
            "|---|---|---:|---:|---:|",
        ]
        for ln in r.package:
            c = ln.candidate
            out.append(
                f"| {c.class_} | {c.system}{' (new)' if c.new else ''} | {ln.quantity:,} "
                f"| {c.unit_cost_musd:,.2f} | {ln.cost_musd:,.1f} |"
            )
        out.append(f"| **Total** | | | | **{r.total_cost_musd:,.1f}** |")
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
