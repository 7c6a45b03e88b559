"""Addresses of single numbers in a matchup, shared by edits and Monte Carlo.

Grammar (the left-hand side of a what-if EDIT)::

    SIDE:SYSTEM_ID.FIELD           ukraine:patriot.quantity   (quantity, readiness,
                                                               quality, stock, per_day)
    SIDE:training.BRANCH           russia:training.air
    SIDE:enablers.NAME             ukraine:enablers.isr
    catalog:classes.CLASS.FIELD    catalog:classes.lr_sam.pk  (pk, shots_per_day,
                                                               unit_cost_musd)
    catalog:contests.ID.threat.CLASS | .counters.CLASS | .weight | .exponent
                                   | .acceptable_leakage | .campaign_days

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
from qdb.models.inventory import Inventory, System

__all__ = [
    "SYSTEM_FIELDS",
    "Target",
    "bounds_of",
    "get_estimate",
    "parse_target",
    "set_estimate",
]

SYSTEM_FIELDS = ("quantity", "readiness", "quality", "stock", "per_day")
CLASS_FIELDS = ("pk", "shots_per_day", "unit_cost_musd")
CONTEST_FIELDS = ("weight", "exponent", "acceptable_leakage", "campaign_days")

Kind = Literal["system", "training", "enablers", "class", "threat", "counters", "contest"]

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
        if self.kind == "class":
            return f"catalog:classes.{self.key}.{self.field}"
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
        m = re.fullmatch(rf"classes\.({_SLUG})\.(\w+)", rest)
        if m:
            if m.group(2) not in CLASS_FIELDS:
                raise ValueError(f"class field must be one of {', '.join(CLASS_FIELDS)}")
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
        if t.kind == "class":
            if t.key not in m.catalog.classes:
                raise LookupError(f"the catalog has no class {t.key!r}")
            v: Any = getattr(m.catalog.classes[t.key], t.field)
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
    _, s = _system(inv, t.key)
    return getattr(s, t.field)  # type: ignore[no-any-return]


def bounds_of(t: Target) -> EstimateBounds:
    """The validation bounds of the field at ``t``."""
    from qdb.models.base import Multiplier
    from qdb.models.catalog import CapabilityClass

    if t.kind == "system":
        model: Any = System
        name = t.field
    elif t.kind in ("training", "enablers"):
        model, name = Multiplier, "value"
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
        if t.kind == "class":
            cls = cat.classes[t.key].model_copy(update={t.field: value})
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
    else:
        i, s = _system(inv, t.key)
        systems = list(inv.systems)
        systems[i] = s.model_copy(update={t.field: value})
        inv = inv.model_copy(update={"systems": systems})
    return m.with_side(t.scope, inv)
