"""What changed between two inventories (or two data folders), and what it did (pure).

:func:`diff_inventories` lists systems added, removed and changed field by
field, plus training and enabler changes; :func:`diff_catalogs` lists the
catalog's classes and contests added, removed or changed;
:func:`diff_matchups` puts them together with the contest-by-contest effect on
the balance and on certification (a :class:`~qdb.whatif.Comparison`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qdb.models.catalog import Catalog
from qdb.models.dataset import Matchup
from qdb.models.estimate import Estimate
from qdb.models.inventory import Inventory, System
from qdb.whatif import Comparison, compare

__all__ = [
    "CatalogDiff",
    "FieldChange",
    "InventoryDiff",
    "MatchupDiff",
    "SystemChange",
    "diff_catalogs",
    "diff_inventories",
    "diff_matchups",
]


def _data(v: Any) -> Any:
    """JSON-able form of a field value."""
    if isinstance(v, Estimate):
        return v.to_data()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "model_dump"):
        return v.model_dump(mode="json", by_alias=True, exclude_none=True)
    return v


@dataclass(frozen=True)
class FieldChange:
    """One field (or table entry) before and after; None means absent."""

    field: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "before": _data(self.before), "after": _data(self.after)}


@dataclass(frozen=True)
class SystemChange:
    """A system present in both, with the fields that differ."""

    id: str
    name: str
    fields: tuple[FieldChange, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "fields": [f.to_json() for f in self.fields]}


def _system_json(s: System) -> dict[str, Any]:
    out: dict[str, Any] = s.model_dump(mode="json", by_alias=True, exclude_none=True)
    return out


@dataclass(frozen=True)
class InventoryDiff:
    """Two snapshots of one side compared."""

    side: str
    as_of_before: str
    as_of_after: str
    added: tuple[System, ...] = ()
    removed: tuple[System, ...] = ()
    changed: tuple[SystemChange, ...] = ()
    training: tuple[FieldChange, ...] = ()
    enablers: tuple[FieldChange, ...] = ()
    munitions: tuple[FieldChange, ...] = ()
    raids: tuple[FieldChange, ...] = ()

    @property
    def empty(self) -> bool:
        """True when nothing that the engine reads differs."""
        return not (
            self.added
            or self.removed
            or self.changed
            or self.training
            or self.enablers
            or self.munitions
            or self.raids
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "as_of_before": self.as_of_before,
            "as_of_after": self.as_of_after,
            "added": [_system_json(s) for s in self.added],
            "removed": [_system_json(s) for s in self.removed],
            "changed": [c.to_json() for c in self.changed],
            "training": [c.to_json() for c in self.training],
            "enablers": [c.to_json() for c in self.enablers],
            "munitions": [c.to_json() for c in self.munitions],
            "raids": [c.to_json() for c in self.raids],
        }


_SYSTEM_FIELDS = (
    "name",
    "class_",
    "quantity",
    "readiness",
    "quality",
    "stock",
    "per_day",
    "origin",
    "source",
)


def _table_diff(a: dict[str, Any], b: dict[str, Any]) -> tuple[FieldChange, ...]:
    out = []
    for key in sorted({*a, *b}):
        va = a[key].value if key in a else None
        vb = b[key].value if key in b else None
        if va != vb:
            out.append(FieldChange(key, va, vb))
    return tuple(out)


def _munitions_diff(a: Inventory, b: Inventory) -> tuple[FieldChange, ...]:
    out = []
    for key in sorted({*a.munitions, *b.munitions}):
        ma, mb = a.munitions.get(key), b.munitions.get(key)
        for f in ("stock", "per_day"):
            va = getattr(ma, f) if ma else None
            vb = getattr(mb, f) if mb else None
            if va != vb:
                out.append(FieldChange(f"{key}.{f}", va, vb))
    return tuple(out)


def _raids_diff(a: Inventory, b: Inventory) -> tuple[FieldChange, ...]:
    """Raid timing and sizes, field by field (``RAID.every_days``, ``RAID.SYSTEM``)."""
    ra = {r.id: r for r in a.raids}
    rb = {r.id: r for r in b.raids}
    out = []
    for rid in [*ra, *(k for k in rb if k not in ra)]:
        x, y = ra.get(rid), rb.get(rid)
        if x is None or y is None:
            out.append(FieldChange(rid, x, y))
            continue
        for f in ("every_days", "first_day"):
            if getattr(x, f) != getattr(y, f):
                out.append(FieldChange(f"{rid}.{f}", getattr(x, f), getattr(y, f)))
        for sid in sorted({*x.size, *y.size}):
            if x.size.get(sid) != y.size.get(sid):
                out.append(FieldChange(f"{rid}.{sid}", x.size.get(sid), y.size.get(sid)))
    return tuple(out)


def diff_inventories(a: Inventory, b: Inventory) -> InventoryDiff:
    """Systems added, removed and changed from ``a`` to ``b``; training and enablers.

    Systems are matched by id. Training branches and enablers compare their
    ``value`` (an absent one reads None; the engine counts it 1.0).

    Examples
    --------
    >>> d = diff_inventories(inv, inv)  # doctest: +SKIP
    >>> d.empty  # doctest: +SKIP
    True
    """
    ids_a = {s.id: s for s in a.systems}
    ids_b = {s.id: s for s in b.systems}
    added = tuple(s for s in b.systems if s.id not in ids_a)
    removed = tuple(s for s in a.systems if s.id not in ids_b)
    changed = []
    for s in a.systems:
        t = ids_b.get(s.id)
        if t is None:
            continue
        fields = tuple(
            FieldChange("class" if f == "class_" else f, getattr(s, f), getattr(t, f))
            for f in _SYSTEM_FIELDS
            if getattr(s, f) != getattr(t, f)
        )
        if fields:
            changed.append(SystemChange(s.id, t.name, fields))
    return InventoryDiff(
        side=b.side,
        as_of_before=a.as_of.isoformat(),
        as_of_after=b.as_of.isoformat(),
        added=added,
        removed=removed,
        changed=tuple(changed),
        training=_table_diff(a.training, b.training),
        enablers=_table_diff(a.enablers, b.enablers),
        munitions=_munitions_diff(a, b),
        raids=_raids_diff(a, b),
    )


@dataclass(frozen=True)
class CatalogDiff:
    """Catalog classes and contests added, removed or changed (by id)."""

    classes_added: tuple[str, ...] = ()
    classes_removed: tuple[str, ...] = ()
    classes_changed: tuple[str, ...] = ()
    contests_added: tuple[str, ...] = ()
    contests_removed: tuple[str, ...] = ()
    contests_changed: tuple[str, ...] = ()
    other_changed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when the catalogs are the same."""
        return not any(getattr(self, f) for f in self.__dataclass_fields__)

    def to_json(self) -> dict[str, Any]:
        return {f: list(getattr(self, f)) for f in self.__dataclass_fields__}


def diff_catalogs(a: Catalog, b: Catalog) -> CatalogDiff:
    """Which classes, contests and other parts of the catalog differ."""
    ca, cb = a.classes, b.classes
    ka = {c.id: c for c in a.contests}
    kb = {c.id: c for c in b.contests}
    other = tuple(
        f
        for f in (
            "campaign_days",
            "iamd",
            "enablers_by_domain",
            "thresholds",
            "correlations",
            "sources",
        )
        if getattr(a, f) != getattr(b, f)
    )
    return CatalogDiff(
        classes_added=tuple(sorted(set(cb) - set(ca))),
        classes_removed=tuple(sorted(set(ca) - set(cb))),
        classes_changed=tuple(sorted(k for k in set(ca) & set(cb) if ca[k] != cb[k])),
        contests_added=tuple(k for k in kb if k not in ka),
        contests_removed=tuple(k for k in ka if k not in kb),
        contests_changed=tuple(k for k in ka if k in kb and ka[k] != kb[k]),
        other_changed=other,
    )


@dataclass(frozen=True)
class MatchupDiff:
    """Two matchups compared: inventories, catalog, and the effect on every contest."""

    sides: tuple[InventoryDiff, ...]
    catalog: CatalogDiff
    comparison: Comparison
    before: str = "A"
    after: str = "B"

    def to_json(self) -> dict[str, Any]:
        """The ``qdb diff --format json`` document."""
        from qdb.results import round_sig

        cmp = self.comparison
        return {
            "before": self.before,
            "after": self.after,
            "sides": [d.to_json() for d in self.sides],
            "catalog": self.catalog.to_json(),
            "changes": [c.to_json() for c in cmp.changes],
            "certified_before": cmp.baseline.certified,
            "certified_after": cmp.scenario.certified,
            "determination_before": cmp.baseline.determination,
            "determination_after": cmp.scenario.determination,
            "p_certified_before": cmp.baseline.p_certified,
            "p_certified_after": cmp.scenario.p_certified,
            "index_before": round_sig(cmp.baseline.index),
            "index_after": round_sig(cmp.scenario.index),
        }


def diff_matchups(
    a: Matchup,
    b: Matchup,
    before: str = "A",
    after: str = "B",
    samples: int = 0,
    seed: int = 0,
) -> MatchupDiff:
    """Compare two matchups: what changed in the data and in every contest.

    Parameters
    ----------
    a, b : Matchup
        The "before" and "after" matchups (same sides).
    before, after : str
        Labels (file or folder names) for the output.
    samples, seed : int
        Monte Carlo on both, same draws (common random numbers): judgements and
        P(holds) before and after. 0: point verdicts only.

    Returns
    -------
    MatchupDiff
    """
    from qdb.assess import assess

    sides = (diff_inventories(a.blue, b.blue), diff_inventories(a.red, b.red))
    cmp = compare(
        assess(a, samples=samples, seed=seed, with_critical=False),
        assess(b, samples=samples, seed=seed, with_critical=False),
    )
    return MatchupDiff(sides, diff_catalogs(a.catalog, b.catalog), cmp, before, after)
