"""The balance year by year under partner commitments (pure).

For each year ``Y`` of the horizon each side is stepped forward from its
snapshot:

* **Year 0** is the snapshot's ``as_of`` year. Deliveries *delivered* before
  that year, or with ``delivered_by`` on or before ``as_of``, are in the
  snapshot already and are not added again;
  deliveries still *pledged* from earlier years are late and are assumed to
  arrive in year 0 (unless ``only_delivered``); deliveries dated in the
  snapshot year itself and not held by the snapshot are added at year 0. Year 0
  therefore equals ``qdb assess`` on the same data exactly unless such
  deliveries arrive in it (or the other side's snapshot is older and is
  stepped forward): :attr:`Projection.reconciliation` lists each cause and
  every balance it moves.
* **Each later year** applies, in this order: attrition (every system of a class
  with ``dynamics`` loses ``attrition_per_year`` of its quantity *and* of its
  stock), production (``production_per_year`` new or reactivated units shared
  among the class's systems pro rata to their quantities — so the class's mean
  quality is unchanged; a class with no systems gets a new system
  ``<class>_production`` of quality 1 and readiness 1), stock production
  (``stock_production_per_year`` rounds shared among the class's systems that
  hold a stock, pro rata to it; a net figure — consumption is the data's to net
  out), then the deliveries due that year (blue only). Red threat systems
  (missiles, drones on hand) grow the same way through their class's
  ``dynamics``; ``per_day`` (production, resupply within the campaign) and
  ``munitions`` supply per day carry over unchanged from the snapshot: the
  year-to-year change of rounds on hand is what ``dynamics`` says, net of use.
* **A delivery** goes where its class says:

  - a *munition* class (one that a ``fires`` names, e.g. ``artillery_shell``):
    ``quantity`` rounds are added to the recipient's ``munitions.CLASS.stock``
    (with no such entry the side's supply is unlimited, so nothing is added and
    an assumption says so);
  - a system class: ``quantity`` units are added to the blue system ``system``;
    if that system holds a stock (an interceptor magazine), the stock grows in
    proportion (units arrive with the load the system already carries per
    unit). A ``system`` id not in the inventory creates a system of the
    delivery's class with quality 1 and readiness 1. A delivery that also
    states interceptor ``rounds`` (when the commitments model carries them)
    adds those rounds to the system's ``stock`` instead of the proportional
    load.

  ``only_delivered`` counts only deliveries whose status is ``delivered``.

Point values are used for rates (``Estimate.value``); ranges on quantities are
carried along (scaled and shifted), so a projected year can still be sampled
(``samples``: each year's probabilities from the same Monte Carlo as ``qdb
assess``).

Examples
--------
>>> # p = project(matchup, 2025, 2030); p.closing_year("air_defence")
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from qdb.errors import QdbError, SelectionError
from qdb.models import Catalog, Matchup
from qdb.models.commitments import Commitment, Delivery
from qdb.models.estimate import Estimate
from qdb.models.inventory import Inventory, System
from qdb.results import Assessment, round_sig

__all__ = [
    "MAX_HORIZON",
    "Projection",
    "ProjectionError",
    "Trigger",
    "YearState",
    "apply_deliveries",
    "arrival_year",
    "deliveries_due",
    "project",
    "project_side",
    "projection_markdown",
    "step_year",
]

MAX_HORIZON = 100
"""Most years one projection may span."""

ASSUMPTIONS = (
    "Year 0 is each snapshot's as_of year; deliveries delivered before it are assumed to be "
    "in the snapshot already; pledges dated before it and not delivered arrive in year 0.",
    "Each later year applies attrition (quantity and stock), then production (pro rata to the "
    "class's quantities), then stock production (pro rata to stocks), then that year's deliveries.",
    "A delivery to an existing system raises its stock in proportion to its quantity; a delivery "
    "to a new system id creates it with quality 1 and readiness 1.",
    "A delivery of a munition class (rounds) adds to the recipient's munitions stock; a side with "
    "no entry for that munition is unlimited in it, so nothing is added.",
    "Red production within the campaign (`per_day`) and munition supply per day carry over "
    "unchanged; rounds on hand change from year to year only as `dynamics` say (net of use).",
    "Rates are point estimates (the `estimate` of each range).",
)


class ProjectionError(QdbError, ValueError):
    """A projection request that cannot be met (years, inconsistent deliveries)."""


# --- stepping one inventory ------------------------------------------------------------


def _add(e: Estimate, delta: float) -> Estimate:
    return e.shifted(delta) if delta else e


def _scale(e: Estimate, factor: float) -> Estimate:
    return e.scaled(factor) if factor != 1 else e


def step_year(inv: Inventory, catalog: Catalog) -> Inventory:
    """One year of ``inv.dynamics``: attrition, then production, then stock production.

    Parameters
    ----------
    inv : Inventory
        A side's holdings at the start of the year.
    catalog : Catalog
        For the display names of classes that gain a new production system.

    Returns
    -------
    Inventory
        The holdings at the end of the year (``as_of`` is not changed).

    Examples
    --------
    >>> # step_year(russia, catalog).system("t72").quantity
    """
    if not inv.dynamics:
        return inv
    systems = list(inv.systems)
    for cls, dyn in inv.dynamics.items():
        keep = 1.0 - dyn.attrition_per_year.value
        idx = [i for i, s in enumerate(systems) if s.class_ == cls]
        for i in idx:
            s = systems[i]
            upd: dict[str, Any] = {"quantity": _scale(s.quantity, keep)}
            if s.stock is not None:
                upd["stock"] = _scale(s.stock, keep)
            systems[i] = s.model_copy(update=upd)
        made = dyn.production_per_year.value
        if made > 0:
            if idx:
                total = sum(systems[i].quantity.value for i in idx)
                for i in idx:
                    share = systems[i].quantity.value / total if total > 0 else 1 / len(idx)
                    systems[i] = systems[i].model_copy(
                        update={"quantity": _add(systems[i].quantity, made * share)}
                    )
            else:
                sid = _free_id(f"{cls}_production", systems)
                name = (catalog.classes[cls].name or cls) if cls in catalog.classes else cls
                systems.append(
                    System.model_validate(
                        {
                            "id": sid,
                            "name": f"{name} (projected production)",
                            "class": cls,
                            "quantity": made,
                            "source": dyn.source,
                        }
                    )
                )
                idx = [len(systems) - 1]
        rounds = dyn.stock_production_per_year.value if dyn.stock_production_per_year else 0.0
        holders = [i for i in idx if systems[i].stock is not None]
        if rounds > 0 and holders:
            total = sum(s.stock.value for i in holders if (s := systems[i]).stock is not None)
            for i in holders:
                st = systems[i].stock
                assert st is not None
                share = st.value / total if total > 0 else 1 / len(holders)
                systems[i] = systems[i].model_copy(update={"stock": _add(st, rounds * share)})
    return inv.model_copy(update={"systems": systems})


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _free_id(base: str, systems: Iterable[System]) -> str:
    taken = {s.id for s in systems}
    sid, n = base, 2
    while sid in taken:
        sid, n = f"{base}_{n}", n + 1
    return sid


def arrival_year(d: Delivery, base: int, as_of: dt.date | None = None) -> int | None:
    """The projection year a delivery arrives in, or None if the snapshot holds it already.

    Delivered before the snapshot year, or with ``delivered_by`` on or before
    the snapshot date ``as_of``: in the snapshot (None). Pledged and dated
    before it: late — assumed to arrive in the snapshot year.
    """
    if as_of is not None and d.held_at(as_of):
        return None
    if d.year >= base:
        return d.year
    return None if d.status == "delivered" else base


def deliveries_due(
    commitments: Sequence[Commitment],
    year: int,
    only_delivered: bool = False,
    base: int | None = None,
    as_of: dt.date | None = None,
) -> list[tuple[int, Delivery]]:
    """The deliveries arriving in ``year`` as ``(commitment index, delivery)``, in data order.

    With ``base`` (the snapshot year), deliveries dated earlier follow
    :func:`arrival_year`; without it, deliveries dated ``year``.
    """
    return [
        (ci, d)
        for ci, com in enumerate(commitments)
        for d in com.deliveries
        if (d.status == "delivered" or not only_delivered)
        and (d.year if base is None else arrival_year(d, base, as_of)) == year
    ]


def commitment_source_id(index: int) -> str:
    """Source id under which the projection files commitment ``index``'s source."""
    return f"commitment_{index + 1}"


def apply_deliveries(
    inv: Inventory,
    deliveries: Sequence[tuple[int, Delivery]],
    commitments: Sequence[Commitment],
    catalog: Catalog,
) -> Inventory:
    """Add deliveries to an inventory (see the module docstring for the rules).

    Raises
    ------
    ProjectionError
        A delivery names an existing system of another class.
    """
    if not deliveries:
        return inv
    systems = list(inv.systems)
    sources = dict(inv.sources)
    munitions = dict(inv.munitions)
    shells = munition_classes(catalog)
    where = {s.id: i for i, s in enumerate(systems)}
    for ci, d in deliveries:
        com = commitments[ci]
        q = d.quantity.value
        if d.class_ in shells:  # rounds of a munition class: into the side's supply
            entry = munitions.get(d.class_)
            if entry is not None:
                munitions[d.class_] = entry.model_copy(update={"stock": _add(entry.stock, q)})
            continue
        rounds = delivered_rounds(d)
        if d.system in where:
            i = where[d.system]
            s = systems[i]
            if s.class_ != d.class_:
                raise ProjectionError(
                    f"{com.partner} ({com.instrument}): delivery of {d.system!r} is class "
                    f"{d.class_!r} but {inv.side}'s {d.system!r} is class {s.class_!r}"
                )
            upd: dict[str, Any] = {"quantity": _add(s.quantity, q)}
            if s.stock is not None and rounds is not None:
                upd["stock"] = _add(s.stock, rounds)
            elif s.stock is not None and s.quantity.value > 0:
                upd["stock"] = _add(s.stock, s.stock.value / s.quantity.value * q)
            systems[i] = s.model_copy(update=upd)
        else:
            src = commitment_source_id(ci)
            sources.setdefault(src, com.source)
            cls = catalog.classes.get(d.class_)
            named = (
                x.name for c in commitments for x in c.deliveries if x.system == d.system and x.name
            )
            name = (
                d.name or next(named, None) or (cls.name if cls is not None else None) or d.class_
            )
            systems.append(
                System.model_validate(
                    {
                        "id": d.system,
                        "name": name,
                        "class": d.class_,
                        "quantity": q,
                        "source": src,
                        "origin": com.partner,
                    }
                )
            )
            if rounds is not None:
                systems[-1] = systems[-1].model_copy(update={"stock": Estimate.point(rounds)})
            where[d.system] = len(systems) - 1
    return inv.model_copy(update={"systems": systems, "sources": sources, "munitions": munitions})


def munition_classes(catalog: Catalog) -> frozenset[str]:
    """Classes that some class ``fires`` (their deliveries are rounds, not systems)."""
    return frozenset(k.fires.munition for k in catalog.classes.values() if k.fires is not None)


def delivered_rounds(d: Delivery) -> float | None:
    """Interceptor rounds a delivery states for its system's magazine, if the model has them.

    The commitments model may carry ``rounds`` (an estimate) on a delivery;
    without it a delivery of units brings the load its system already carries
    per unit (see the module docstring).
    """
    r = getattr(d, "rounds", None)
    if r is None:
        return None
    return float(r.value) if isinstance(r, Estimate) else float(r)


def _dated(inv: Inventory, year: int) -> Inventory:
    a = inv.as_of
    day = min(a.day, 28) if a.month == 2 else a.day
    return inv.model_copy(update={"as_of": dt.date(year, a.month, day)})


def project_side(
    inv: Inventory,
    catalog: Catalog,
    end: int,
    commitments: Sequence[Commitment] = (),
    only_delivered: bool = False,
) -> dict[int, Inventory]:
    """One side's holdings for every year from its snapshot year to ``end``."""
    base = inv.as_of.year
    cur = apply_deliveries(
        inv,
        deliveries_due(commitments, base, only_delivered, base, inv.as_of),
        commitments,
        catalog,
    )
    out = {base: cur}
    for y in range(base + 1, end + 1):
        cur = step_year(cur, catalog)
        cur = apply_deliveries(
            cur,
            deliveries_due(commitments, y, only_delivered, base, inv.as_of),
            commitments,
            catalog,
        )
        out[y] = _dated(cur, y)
    return out


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    """A year in which a critical contest falls below the consultation threshold."""

    year: int
    contest: str
    title: str
    balance: float | None
    verdict: str

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "contest": self.contest,
            "balance": round_sig(self.balance),
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class YearState:
    """One projected year: the matchup and its assessment."""

    year: int
    matchup: Matchup
    assessment: Assessment
    arrivals: int = 0


@dataclass(frozen=True)
class Projection:
    """The balance year by year (see :func:`project`)."""

    start: int
    end: int
    only_delivered: bool
    years: tuple[YearState, ...]
    base_year: dict[str, int]
    trigger_threshold: float
    assumptions: tuple[str, ...] = ASSUMPTIONS
    excluded: dict[str, int] = field(default_factory=dict)
    late: dict[str, int] = field(default_factory=dict)
    samples: int = 0
    seed: int = 0
    reconciliation: dict[str, Any] | None = None
    """The first year vs ``qdb assess`` on the snapshots: ``equal``, ``differences``
    (contest, both balances and verdicts) and ``causes`` (arrivals in that year,
    snapshots stepped forward); None when not computed."""

    def year(self, year: int) -> YearState:
        """The state of ``year``."""
        for ys in self.years:
            if ys.year == year:
                return ys
        raise SelectionError(f"year {year} is outside the projection ({self.start}-{self.end})")

    @property
    def contest_ids(self) -> list[str]:
        """Contest ids in catalog order."""
        return [c.id for c in self.years[0].assessment.contests] if self.years else []

    def closing_year(self, contest_id: str) -> int | None:
        """First year from which ``contest_id`` holds through the end of the horizon.

        ``None`` when it is in shortfall in the last year ("not within the
        horizon"); the first year when it never falls short.

        Raises
        ------
        SelectionError
            Unknown contest id.
        """
        if contest_id not in self.contest_ids:
            raise SelectionError(f"no contest {contest_id!r}; known: {', '.join(self.contest_ids)}")
        closes: int | None = None
        for ys in reversed(self.years):
            r = ys.assessment.contest(contest_id)
            assert r is not None
            if not r.holds:
                break
            closes = ys.year
        return closes

    @property
    def closes(self) -> dict[str, int | None]:
        """Every contest's closing year (see :meth:`closing_year`)."""
        return {cid: self.closing_year(cid) for cid in self.contest_ids}

    def ever_short(self, contest_id: str) -> bool:
        """True when the contest is in shortfall in some year of the horizon."""
        return any(
            (r := ys.assessment.contest(contest_id)) is not None and r.verdict == "shortfall"
            for ys in self.years
        )

    @property
    def consultation_triggers(self) -> list[Trigger]:
        """Critical contests whose balance is below the threshold, year by year."""
        out = []
        for ys in self.years:
            for r in ys.assessment.contests:
                if not r.critical or r.balance is None:
                    continue
                if float(f"{r.balance:.12g}") < self.trigger_threshold:
                    out.append(Trigger(ys.year, r.id, r.title, r.balance, r.verdict))
        return out

    @property
    def first_certified(self) -> int | None:
        """First year from which the balance is certified through the end of the horizon."""
        first: int | None = None
        for ys in reversed(self.years):
            if not ys.assessment.certified:
                break
            first = ys.year
        return first

    def to_json(self) -> dict[str, Any]:
        """The JSON form: ``years``, ``closes``, ``triggers``, ``assumptions`` and context."""
        a0 = self.years[0].assessment
        return {
            "blue": a0.blue,
            "red": a0.red,
            "from": self.start,
            "to": self.end,
            "only_delivered": self.only_delivered,
            "base_year": dict(self.base_year),
            "trigger_threshold": self.trigger_threshold,
            "first_certified": self.first_certified,
            "samples": self.samples,
            "seed": self.seed if self.samples else None,
            "years": [_year_json(ys, bool(self.samples)) for ys in self.years],
            "reconciliation": self.reconciliation,
            "closes": self.closes,
            "triggers": [t.to_json() for t in self.consultation_triggers],
            "assumptions": list(self.assumptions)
            + [
                f"{n} {_plural(n, 'delivery', 'deliveries')} to {side} delivered before "
                f"{self.base_year[side]} {_plural(n, 'is', 'are')} assumed to be in the snapshot already."
                for side, n in sorted(self.excluded.items())
                if n
            ]
            + [
                f"{n} pledged {_plural(n, 'delivery', 'deliveries')} to {side} dated before "
                f"{self.base_year[side]} {_plural(n, 'is', 'are')} late; assumed to arrive in "
                f"{self.base_year[side]}."
                for side, n in sorted(self.late.items())
                if n
            ],
        }


def _year_json(ys: YearState, sampled: bool) -> dict[str, Any]:
    a = ys.assessment
    out: dict[str, Any] = {
        "year": ys.year,
        "certified": a.certified,
        "determination": a.determination,
        "index": round_sig(a.index),
        "arrivals": ys.arrivals,
    }
    if sampled:
        out["p_certified"] = round_sig(a.p_certified)
    rows = []
    for r in a.contests:
        row: dict[str, Any] = {"id": r.id, "balance": round_sig(r.balance), "verdict": r.verdict}
        if sampled:
            row.update(
                judgement=r.judgement, p_holds=round_sig(r.p_holds), p_offset=round_sig(r.p_offset)
            )
        rows.append(row)
    out["contests"] = rows
    return out


def project(
    m: Matchup,
    start: int | None = None,
    end: int | None = None,
    only_delivered: bool = False,
    trigger_threshold: float | None = None,
    *,
    samples: int = 0,
    seed: int = 0,
    reconcile: bool = True,
) -> Projection:
    """Project the balance year by year under the commitments in ``m``.

    Parameters
    ----------
    m : Matchup
        Catalog, the blue and red snapshots (with ``dynamics``), and the
        commitments whose recipient is blue.
    start, end : int, optional
        First and last year, inclusive. Default: from the later snapshot year
        to the last year of any commitment (at least five years on).
    only_delivered : bool
        Count only deliveries whose status is ``delivered``.
    trigger_threshold : float, optional
        Balance below which a critical contest triggers consultations
        (default: the ``matched`` threshold).
    samples, seed : int
        Monte Carlo samples of each year's assessment (0: point estimates)
        and their seed, as in ``qdb assess``.
    reconcile : bool
        Also assess the snapshots as they are and explain how the first
        year differs (:attr:`Projection.reconciliation`).

    Returns
    -------
    Projection

    Raises
    ------
    ProjectionError
        ``start`` before a snapshot year, ``end`` before ``start``, or a
        horizon longer than :data:`MAX_HORIZON` years.

    Examples
    --------
    >>> # project(m, 2025, 2030).to_json()["closes"]["air_defence"]
    """
    from qdb.assess import assess

    base_b, base_r = m.blue.as_of.year, m.red.as_of.year
    first = max(base_b, base_r)
    if start is None:
        start = first
    if end is None:
        lasts = [c.years.last for c in m.commitments]
        end = max([start + 5, *lasts])
    for side, base in ((m.blue.side, base_b), (m.red.side, base_r)):
        if start < base:
            raise ProjectionError(
                f"--from {start} is before the {side} snapshot year {base}; "
                f"use --from {first} or later (or --as-of an earlier snapshot)"
            )
    if end < start:
        raise ProjectionError(f"--to {end} is before --from {start}")
    if end - start + 1 > MAX_HORIZON:
        raise ProjectionError(f"--from {start} --to {end} spans more than {MAX_HORIZON} years")
    blue = project_side(m.blue, m.catalog, end, m.commitments, only_delivered)
    red = project_side(m.red, m.catalog, end)
    threshold = trigger_threshold if trigger_threshold is not None else m.catalog.thresholds.matched
    if not math.isfinite(threshold) or threshold <= 0:
        raise ProjectionError(
            f"the consultation threshold must be a positive number (got {threshold})"
        )
    if samples < 0:
        raise ProjectionError(f"--samples must be >= 0 (got {samples})")
    states = []
    for y in range(start, end + 1):
        my = replace(m, blue=blue[y], red=red[y])
        arrivals = len(deliveries_due(m.commitments, y, only_delivered, base_b, m.blue.as_of))
        a = assess(my, samples=samples, seed=seed, with_critical=False)
        states.append(YearState(y, my, a, arrivals))
    recon = None
    if reconcile:
        snap = assess(m, samples=samples, seed=seed, with_critical=False)
        recon = _reconcile(m, snap, states[0], only_delivered)
    excluded = sum(
        1
        for c in m.commitments
        for d in c.deliveries
        if arrival_year(d, base_b, m.blue.as_of) is None
    )
    late = sum(
        1
        for c in m.commitments
        for d in c.deliveries
        if d.year < base_b and d.status == "pledged" and not only_delivered
    )
    return Projection(
        start=start,
        end=end,
        only_delivered=only_delivered,
        years=tuple(states),
        base_year={m.blue.side: base_b, m.red.side: base_r},
        trigger_threshold=threshold,
        excluded={m.blue.side: excluded},
        late={m.blue.side: late},
        samples=samples,
        seed=seed,
        reconciliation=recon,
    )


def _reconcile(
    m: Matchup, snap: Assessment, first: YearState, only_delivered: bool
) -> dict[str, Any]:
    """How the first projected year differs from ``qdb assess`` on the snapshots, and why."""
    causes: list[dict[str, Any]] = []
    for side, inv in (("blue", m.blue), ("red", m.red)):
        if first.year > inv.as_of.year:
            causes.append(
                {
                    "kind": "stepped",
                    "side": inv.side,
                    "text": f"{inv.side}'s snapshot ({inv.as_of.isoformat()}) is stepped "
                    f"{first.year - inv.as_of.year} year(s) forward to {first.year} (dynamics"
                    + (" and deliveries)" if side == "blue" else ")"),
                }
            )
    base = m.blue.as_of.year
    if first.year == base:
        for ci, d in deliveries_due(m.commitments, base, only_delivered, base, m.blue.as_of):
            com = m.commitments[ci]
            why = (
                f"pledged for {d.year}, not delivered: late, assumed to arrive in {base}"
                if d.year < base
                else f"due in {base} and not in the snapshot dated {m.blue.as_of.isoformat()}"
            )
            causes.append(
                {
                    "kind": "arrival",
                    "side": m.blue.side,
                    "partner": com.partner,
                    "class": d.class_,
                    "system": d.system,
                    "quantity": round_sig(d.quantity.value),
                    "year": d.year,
                    "status": d.status,
                    "text": f"{com.partner}: {d.quantity.value:g} x {d.system} ({d.class_}), {why}",
                }
            )
    diffs = []
    for r0, r1 in zip(snap.contests, first.assessment.contests, strict=True):
        if r0.balance != r1.balance or r0.verdict != r1.verdict:
            diffs.append(
                {
                    "contest": r0.id,
                    "assess": round_sig(r0.balance),
                    "projected": round_sig(r1.balance),
                    "verdict_assess": r0.verdict,
                    "verdict_projected": r1.verdict,
                }
            )
    return {
        "year": first.year,
        "equal": not diffs,
        "assess_index": round_sig(snap.index),
        "projected_index": round_sig(first.assessment.index),
        "assess_certified": snap.certified,
        "differences": diffs,
        "causes": causes,
    }


# --- rendering (pure text) -------------------------------------------------------------


def _cell(balance: float | None, verdict: str) -> str:
    if verdict == "uncontested":
        return "—"
    mark = {"offset": "O", "matched": "M", "shortfall": "S"}[verdict]
    return f"{balance:.2f} {mark}" if balance is not None else mark


def closes_text(p: Projection, contest_id: str) -> str:
    """``2027``, ``holds throughout`` or ``not within the horizon``."""
    y = p.closing_year(contest_id)
    if y is None:
        return f"not within the horizon (to {p.end})"
    if y == p.start and not p.ever_short(contest_id):
        return "holds throughout"
    return str(y)


def projection_markdown(p: Projection) -> str:
    """The projection as Markdown: balances by year and contest, closing years, triggers."""
    a0 = p.years[0].assessment
    ids = p.contest_ids
    titles = {r.id: r.title + (" *" if r.critical else "") for r in a0.contests}
    years = [ys.year for ys in p.years]
    out = [
        f"## Balance year by year, {p.start}–{p.end}"
        + (" (delivered systems only)" if p.only_delivered else " (pledged and delivered)"),
        "",
        "| Contest | " + " | ".join(str(y) for y in years) + " | Closes |",
        "|---|" + "---:|" * len(years) + "---|",
    ]
    for cid in ids:
        cells = []
        for ys in p.years:
            r = ys.assessment.contest(cid)
            assert r is not None
            cells.append(_cell(r.balance, r.verdict))
        out.append(f"| {titles[cid]} | " + " | ".join(cells) + f" | {closes_text(p, cid)} |")
    cert = ["yes" if ys.assessment.certified else "**no**" for ys in p.years]
    out.append("| **Certified** | " + " | ".join(cert) + " | |")
    out += [
        "",
        "Balance and verdict (O offset, M matched, S shortfall); `*` critical. "
        + (
            f"Certified from {p.first_certified} on."
            if p.first_certified is not None
            else "Not certified by the end of the horizon."
        ),
        "",
    ]
    trig = p.consultation_triggers
    if trig:
        out += [
            f"**Consultation triggers** (critical contest below {p.trigger_threshold:g}):",
            "",
        ]
        out += [
            f"- {t.year}: {t.title} — balance {t.balance:.2f} ({t.verdict})"
            for t in trig
            if t.balance is not None
        ]
    else:
        out.append(
            f"No consultation trigger: every critical contest stays at or above {p.trigger_threshold:g}."
        )
    rec = p.reconciliation
    if rec is not None:
        out += ["", reconciliation_text(rec)]
        out += [f"- {c['text']}" for c in rec["causes"]]
    out += ["", "Assumptions:", ""]
    out += [f"- {a}" for a in p.to_json()["assumptions"]]
    return "\n".join(out) + "\n"


def reconciliation_text(rec: dict[str, Any]) -> str:
    """One sentence: does the first year equal ``qdb assess``, and if not, what differs."""
    y = rec["year"]
    if rec["equal"] and not rec["causes"]:
        return f"{y} equals `qdb assess` on the same data (nothing arrives or is stepped in {y})."
    if rec["equal"]:
        return f"{y} equals `qdb assess` on the same data; these changes move no balance:"
    moved = ", ".join(
        f"{d['contest']} {_num(d['assess'])} -> {_num(d['projected'])}" for d in rec["differences"]
    )
    return f"{y} differs from `qdb assess` on the same data ({moved}) because:"


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.3g}"
