"""Addresses of single numbers in a matchup, shared by edits and Monte Carlo.

Grammar (the left-hand side of a what-if EDIT)::

    SIDE:SYSTEM_ID.FIELD           ukraine:patriot.quantity   (quantity, readiness,
                                                               quality, stock, per_day)
    SIDE:training.BRANCH           russia:training.air
    SIDE:enablers.NAME             ukraine:enablers.isr
    SIDE:munitions.CLASS.FIELD     ukraine:munitions.artillery_shell.per_day (stock, per_day)
    SIDE:raids.RAID.SYSTEM         russia:raids.drone_mass.geran2   (rounds per raid)
    catalog:classes.CLASS.FIELD    catalog:classes.mr_sam.coverage  (unit_cost_musd,
                                   shots_per_raid, coverage, round_cost_musd, fires.rate)
    catalog:classes.CLASS.engages.THREAT.FIELD
                                   catalog:classes.bmd_sam.engages.ballistic_missile.pk
                                   (pk, shots)
    catalog:contests.ID.threat.CLASS | .counters.CLASS | .weight | .exponent
                                   | .acceptable_leakage

``SIDE`` is a side slug or ``blue``/``red``. A trailing ``.value`` after a
training branch or enabler is accepted. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from qdb.models.catalog import Catalog, Contest
from qdb.models.dataset import Matchup
from qdb.models.estimate import Estimate, EstimateBounds
from qdb.models.inventory import Inventory, Munition, Raid, System

__all__ = [
    "SYSTEM_FIELDS",
    "Target",
    "bounds_of",
    "get_estimate",
    "parse_target",
    "set_estimate",
]

SYSTEM_FIELDS = ("quantity", "readiness", "quality", "stock", "per_day")
MUNITION_FIELDS = ("stock", "per_day")
CLASS_FIELDS = (
    "unit_cost_musd",
    "shots_per_raid",
    "coverage",
    "coverage_per_unit",
    "round_cost_musd",
    "fires.rate",
)
ENGAGE_FIELDS = ("pk", "shots")
CONTEST_FIELDS = ("weight", "exponent", "acceptable_leakage")

Kind = Literal[
    "system",
    "training",
    "enablers",
    "munitions",
    "raids",
    "class",
    "engages",
    "threat",
    "counters",
    "contest",
]

_SLUG = r"[a-z][a-z0-9_]*"
_ID = r"[A-Za-z0-9][A-Za-z0-9_\-]*"


@dataclass(frozen=True)
class Target:
    """One addressable number. ``scope`` is a side (or blue/red) or ``catalog``."""

    scope: str
    kind: Kind
    key: str
    field: str

    def __str__(self) -> str:
        if self.kind == "system":
            return f"{self.scope}:{self.key}.{self.field}"
        if self.kind in ("training", "enablers"):
            return f"{self.scope}:{self.kind}.{self.key}"
        if self.kind in ("munitions", "raids"):
            return f"{self.scope}:{self.kind}.{self.key}.{self.field}"
        if self.kind == "class":
            return f"catalog:classes.{self.key}.{self.field}"
        if self.kind == "engages":
            return f"catalog:classes.{self.key}.engages.{self.field}"
        if self.kind == "contest":
            return f"catalog:contests.{self.key}.{self.field}"
        return f"catalog:contests.{self.key}.{self.kind}.{self.field}"


def parse_target(text: str) -> Target:
    """Parse a target address.

    Raises
    ------
    ValueError
        With a message saying what form was expected.

    Examples
    --------
    >>> parse_target("ukraine:patriot.quantity")
    Target(scope='ukraine', kind='system', key='patriot', field='quantity')
    >>> str(parse_target("russia:training.air.value"))
    'russia:training.air'
    """
    text = text.strip()
    scope, sep, rest = text.partition(":")
    if not sep or not re.fullmatch(_SLUG, scope):
        raise ValueError("expected SIDE:SYSTEM_ID.FIELD (e.g. ukraine:patriot.quantity)")
    if scope == "catalog":
        m = re.fullmatch(rf"classes\.({_SLUG})\.engages\.({_SLUG})\.(\w+)", rest)
        if m:
            if m.group(3) not in ENGAGE_FIELDS:
                raise ValueError(f"engagement field must be one of {', '.join(ENGAGE_FIELDS)}")
            return Target("catalog", "engages", m.group(1), f"{m.group(2)}.{m.group(3)}")
        m = re.fullmatch(rf"classes\.({_SLUG})\.([\w.]+)", rest)
        if m:
            if m.group(2) not in CLASS_FIELDS:
                raise ValueError(
                    f"class field must be one of {', '.join(CLASS_FIELDS)} or "
                    "engages.THREAT.pk|shots"
                )
            return Target("catalog", "class", m.group(1), m.group(2))
        m = re.fullmatch(rf"contests\.({_SLUG})\.(threat|counters)\.({_SLUG})", rest)
        if m:
            kind: Kind = "threat" if m.group(2) == "threat" else "counters"
            return Target("catalog", kind, m.group(1), m.group(3))
        m = re.fullmatch(rf"contests\.({_SLUG})\.(\w+)", rest)
        if m:
            if m.group(2) not in CONTEST_FIELDS:
                raise ValueError(
                    f"contest field must be threat.CLASS, counters.CLASS or one of {', '.join(CONTEST_FIELDS)}"
                )
            return Target("catalog", "contest", m.group(1), m.group(2))
        raise ValueError("expected catalog:classes.CLASS.FIELD or catalog:contests.ID.FIELD")
    m = re.fullmatch(rf"munitions\.({_SLUG})\.(\w+)", rest)
    if m:
        if m.group(2) not in MUNITION_FIELDS:
            raise ValueError(
                f"unknown field {m.group(2)!r}; a munition field is one of "
                f"{', '.join(MUNITION_FIELDS)}"
            )
        return Target(scope, "munitions", m.group(1), m.group(2))
    m = re.fullmatch(rf"raids\.({_ID})\.({_ID})", rest)
    if m:
        return Target(scope, "raids", m.group(1), m.group(2))
    if rest.split(".", 1)[0] in ("munitions", "raids"):
        raise ValueError(f"expected {scope}:munitions.CLASS.FIELD or {scope}:raids.RAID.SYSTEM")
    m = re.fullmatch(rf"(training|enablers)\.({_SLUG})(?:\.value)?", rest)
    if m:
        tkind: Kind = "training" if m.group(1) == "training" else "enablers"
        return Target(scope, tkind, m.group(2), "value")
    m = re.fullmatch(rf"({_ID})\.(\w+)", rest)
    if not m:
        raise ValueError("expected SIDE:SYSTEM_ID.FIELD (e.g. ukraine:patriot.quantity)")
    if m.group(1) in ("training", "enablers"):
        raise ValueError(f"expected {scope}:{m.group(1)}.NAME")
    if m.group(2) not in SYSTEM_FIELDS:
        raise ValueError(
            f"unknown field {m.group(2)!r}; a system field is one of {', '.join(SYSTEM_FIELDS)}"
        )
    return Target(scope, "system", m.group(1), m.group(2))


def _system(inv: Inventory, sid: str) -> tuple[int, System]:
    for i, s in enumerate(inv.systems):
        if s.id == sid:
            return i, s
    raise LookupError(f"{inv.side} has no system {sid!r}")


def _raid(inv: Inventory, rid: str) -> tuple[int, Raid]:
    for i, r in enumerate(inv.raids):
        if r.id == rid:
            return i, r
    raise LookupError(f"{inv.side} has no raid {rid!r}")


def _contest(cat: Catalog, cid: str) -> tuple[int, Contest]:
    for i, c in enumerate(cat.contests):
        if c.id == cid:
            return i, c
    raise LookupError(f"the catalog has no contest {cid!r}")


def get_estimate(m: Matchup, t: Target) -> Estimate | None:
    """The current value at ``t``; None when the field is absent (e.g. no stock).

    A missing training branch or enabler returns None (the engine counts it as 1.0).

    Raises
    ------
    LookupError
        The side, system, class or contest does not exist.
    """
    if t.scope == "catalog":
        if t.kind in ("class", "engages"):
            if t.key not in m.catalog.classes:
                raise LookupError(f"the catalog has no class {t.key!r}")
            cls = m.catalog.classes[t.key]
            if t.kind == "engages":
                threat, fld = t.field.split(".")
                for e in cls.engages:
                    if e.threat == threat:
                        return getattr(e, fld)  # type: ignore[no-any-return]
                raise LookupError(f"class {t.key!r} does not engage {threat!r}")
            if t.field == "fires.rate":
                if cls.fires is None:
                    raise LookupError(f"class {t.key!r} has no `fires`")
                return cls.fires.rate
            v: Any = getattr(cls, t.field)
            return v  # type: ignore[no-any-return]
        _, con = _contest(m.catalog, t.key)
        if t.kind in ("threat", "counters"):
            table: dict[str, Estimate] = getattr(con, t.kind)
            if t.field not in table:
                raise LookupError(f"contest {t.key!r} has no {t.kind} class {t.field!r}")
            return table[t.field]
        return getattr(con, t.field)  # type: ignore[no-any-return]
    inv = m.side(t.scope)
    if t.kind in ("training", "enablers"):
        mult = getattr(inv, t.kind).get(t.key)
        return None if mult is None else mult.value  # type: ignore[no-any-return]
    if t.kind == "munitions":
        mun = inv.munitions.get(t.key)
        if mun is None:
            raise LookupError(f"{inv.side} has no munitions entry {t.key!r}")
        return getattr(mun, t.field)  # type: ignore[no-any-return]
    if t.kind == "raids":
        _, raid = _raid(inv, t.key)
        if t.field not in raid.size:
            raise LookupError(f"raid {t.key!r} of {inv.side} launches no {t.field!r}")
        return raid.size[t.field]
    _, s = _system(inv, t.key)
    return getattr(s, t.field)  # type: ignore[no-any-return]


def bounds_of(t: Target) -> EstimateBounds:
    """The validation bounds of the field at ``t``."""
    from qdb.models.base import Multiplier
    from qdb.models.catalog import CapabilityClass, Engagement, Fires

    if t.kind == "system":
        model: Any = System
        name = t.field
    elif t.kind in ("training", "enablers"):
        model, name = Multiplier, "value"
    elif t.kind == "munitions":
        model, name = Munition, t.field
    elif t.kind == "raids":
        return EstimateBounds(ge=0)
    elif t.kind == "engages":
        model, name = Engagement, t.field.split(".")[1]
    elif t.kind == "class" and t.field == "fires.rate":
        model, name = Fires, "rate"
    elif t.kind == "class":
        model, name = CapabilityClass, t.field
    elif t.kind == "contest":
        model, name = Contest, t.field
    else:
        return EstimateBounds(gt=0)
    for meta in model.model_fields[name].metadata:
        if isinstance(meta, EstimateBounds):
            return meta
    ann = model.model_fields[name].annotation
    for arg in getattr(ann, "__args__", ()):
        for meta in getattr(arg, "__metadata__", ()):
            if isinstance(meta, EstimateBounds):
                return meta
    return EstimateBounds()


def set_estimate(
    m: Matchup, t: Target, value: Estimate, rationale: str = "set by a what-if edit"
) -> Matchup:
    """A copy of ``m`` with ``value`` at ``t`` (no bounds check: see :func:`bounds_of`).

    An absent training branch or enabler is created with ``rationale``.
    """
    from qdb.models.base import Multiplier

    if t.scope == "catalog":
        cat = m.catalog
        if t.kind in ("class", "engages"):
            cls = cat.classes[t.key]
            if t.kind == "engages":
                threat, fld = t.field.split(".")
                engages = [
                    e.model_copy(update={fld: value}) if e.threat == threat else e
                    for e in cls.engages
                ]
                cls = cls.model_copy(update={"engages": engages})
            elif t.field == "fires.rate":
                assert cls.fires is not None
                cls = cls.model_copy(update={"fires": cls.fires.model_copy(update={"rate": value})})
            else:
                cls = cls.model_copy(update={t.field: value})
            cat = cat.model_copy(update={"classes": {**cat.classes, t.key: cls}})
        else:
            i, con = _contest(cat, t.key)
            if t.kind in ("threat", "counters"):
                table = dict(getattr(con, t.kind))
                table[t.field] = value
                con = con.model_copy(update={t.kind: table})
            else:
                con = con.model_copy(update={t.field: value})
            contests = list(cat.contests)
            contests[i] = con
            cat = cat.model_copy(update={"contests": contests})
        from dataclasses import replace

        return replace(m, catalog=cat)
    inv = m.side(t.scope)
    if t.kind in ("training", "enablers"):
        table2 = dict(getattr(inv, t.kind))
        old = table2.get(t.key)
        table2[t.key] = (
            old.model_copy(update={"value": value})
            if old is not None
            else Multiplier(value=value, rationale=rationale)
        )
        inv = inv.model_copy(update={t.kind: table2})
    elif t.kind == "munitions":
        mun = inv.munitions[t.key].model_copy(update={t.field: value})
        inv = inv.model_copy(update={"munitions": {**inv.munitions, t.key: mun}})
    elif t.kind == "raids":
        i, raid = _raid(inv, t.key)
        raids = list(inv.raids)
        raids[i] = raid.model_copy(update={"size": {**raid.size, t.field: value}})
        inv = inv.model_copy(update={"raids": raids})
    else:
        i, s = _system(inv, t.key)
        systems = list(inv.systems)
        systems[i] = s.model_copy(update={t.field: value})
        inv = inv.model_copy(update={"systems": systems})
    return m.with_side(t.scope, inv)
