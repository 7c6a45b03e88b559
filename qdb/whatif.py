"""What-if edits: parse, plan and apply them to a matchup (pure: no file I/O).

An EDIT names one number and changes it::

    ukraine:patriot.quantity+=4        add 4 (a range shifts as a whole)
    russia:geran2.per_day*=2           double (a range scales as a whole)
    ukraine:training.air=1.2           set (a range becomes a point)
    ukraine:patriot.quality={low: 1, estimate: 1.2, high: 1.4}   set a range

The left-hand side is a :mod:`qdb.targets` address (``SIDE:SYSTEM_ID.FIELD``,
``SIDE:training.BRANCH``, ``SIDE:enablers.NAME``, ``catalog:...``). An absent
training branch or enabler starts from 1.0; an absent ``stock`` or
``per_day`` can only be set with ``=``. Results are rounded to 12 significant
digits so that an edit followed by its inverse gives back the same numbers.

Edits are planned before they are applied: :func:`plan_edits` returns the
edited matchup together with the list of :class:`Change` records that
:mod:`qdb.io.write` turns into file edits. :func:`apply_edits` is the same
without the records.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from qdb.errors import EditError, SelectionError
from qdb.models.dataset import Matchup
from qdb.models.estimate import MAX_MAGNITUDE, Estimate
from qdb.targets import Target, bounds_of, get_estimate, parse_target, set_estimate

if TYPE_CHECKING:
    from qdb.models.base import Source
    from qdb.models.inventory import System
    from qdb.results import Assessment
    from qdb.scenario import ScenarioFile

__all__ = [
    "AddSystem",
    "Change",
    "Comparison",
    "ContestChange",
    "Edit",
    "RemoveSystem",
    "SetValue",
    "apply_cli_edits",
    "apply_edits",
    "compare",
    "format_number",
    "parse_edit",
    "plan_edits",
    "plan_scenario",
]

Op = Literal["=", "+=", "*="]

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_EDIT = re.compile(r"^(?P<target>[^=+*]+?)\s*(?P<op>\+=|\*=|=)\s*(?P<value>.*?)\s*$", re.S)
_RANGE_ITEM = re.compile(rf"\s*(low|estimate|high)\s*:\s*({_NUMBER})\s*")
RATIONALE = "set by a what-if edit"


@dataclass(frozen=True)
class Edit:
    """One parsed EDIT.

    Attributes
    ----------
    text : str
        The edit as the user wrote it (used in error messages).
    target : Target
        What it changes.
    op : {"=", "+=", "*="}
        Set, shift or scale.
    value : Estimate
        For ``=`` the new value (a point or a range); for ``+=`` and ``*=`` a
        point: the delta or the factor.
    """

    text: str
    target: Target
    op: Op
    value: Estimate

    def __str__(self) -> str:
        return self.text


def _number(text: str) -> float:
    if not re.fullmatch(_NUMBER, text):
        raise ValueError(f"{text!r} is not a number")
    if re.fullmatch(r"[-+]?\d+", text):
        if len(text.lstrip("+-")) > 13:  # |x| > 1e12; never build a huge int
            raise ValueError(f"{text[:20]}... is implausibly large; qdb figures stay below 1e12")
        return int(text)
    x = float(text)
    if not math.isfinite(x):
        raise ValueError(f"{text!r} is not a finite number")
    if abs(x) > MAX_MAGNITUDE:
        raise ValueError(f"{text} is implausibly large; qdb figures stay below 1e12")
    return x


def _parse_value(text: str, op: Op) -> Estimate:
    if text.startswith("{"):
        if op != "=":
            raise ValueError(f"a range {{low, estimate, high}} can only be set with =, not {op}")
        if not text.endswith("}"):
            raise ValueError("a range reads {low: 1, estimate: 2, high: 3}")
        items: dict[str, float] = {}
        for part in text[1:-1].split(","):
            m = _RANGE_ITEM.fullmatch(part)
            if not m:
                raise ValueError("a range reads {low: 1, estimate: 2, high: 3}")
            if m.group(1) in items:
                raise ValueError(f"{m.group(1)} is given twice in the range")
            items[m.group(1)] = _number(m.group(2))
        missing = [k for k in ("low", "estimate", "high") if k not in items]
        if missing:
            raise ValueError(f"a range needs low, estimate and high; missing {', '.join(missing)}")
        lo, mid, hi = items["low"], items["estimate"], items["high"]
        if not lo <= mid <= hi:
            raise ValueError(f"a range needs low <= estimate <= high (got {lo:g}, {mid:g}, {hi:g})")
        return Estimate(lo, mid, hi, True)
    if not text:
        what = {"=": "a value", "+=": "a delta", "*=": "a factor"}[op]
        raise ValueError(f"{what} is missing after {op}")
    return Estimate.point(_number(text))


def parse_edit(text: str) -> Edit:
    """Parse ``SIDE:SYSTEM_ID.FIELD`` then ``=VALUE``, ``+=DELTA`` or ``*=FACTOR``.

    Parameters
    ----------
    text : str
        The edit, e.g. ``ukraine:patriot.quantity+=4``.

    Returns
    -------
    Edit

    Raises
    ------
    EditError
        ``--set EDIT: problem`` when the edit is malformed (unknown field or
        operator, a value that is not a number). Whether the target exists is
        checked when the edit is applied.

    Examples
    --------
    >>> e = parse_edit("ukraine:patriot.quantity+=4")
    >>> e.op, e.value.value, str(e.target)
    ('+=', 4, 'ukraine:patriot.quantity')
    >>> parse_edit("russia:training.air*=1.5").target.kind
    'training'
    """
    src = text.strip()
    if any(c in src for c in "\r\n\x0b\x0c\x85\u2028\u2029"):
        raise EditError(
            src.encode("unicode_escape").decode("ascii"),
            "an edit is one line (it holds a line break)",
        )
    m = _EDIT.match(src)
    if not m:
        if re.search(r"(-=|/=)", src):
            raise EditError(
                src, "unknown operator; use =VALUE, +=DELTA (may be negative) or *=FACTOR"
            )
        raise EditError(
            src,
            "expected SIDE:SYSTEM_ID.FIELD then =VALUE, +=DELTA or *=FACTOR "
            "(e.g. ukraine:patriot.quantity+=4)",
        )
    lhs, op_text, rhs = m.group("target"), m.group("op"), m.group("value")
    if lhs.endswith(("-", "/")):
        raise EditError(src, "unknown operator; use =VALUE, +=DELTA (may be negative) or *=FACTOR")
    op: Op = "+=" if op_text == "+=" else "*=" if op_text == "*=" else "="
    try:
        target = parse_target(lhs)
    except ValueError as exc:
        raise EditError(src, str(exc)) from None
    try:
        value = _parse_value(rhs, op)
    except ValueError as exc:
        raise EditError(src, str(exc)) from None
    return Edit(src, target, op, value)


# --- arithmetic -----------------------------------------------------------------------


def _clean(x: float) -> float:
    """Round to 12 significant digits; integral values become ints."""
    if isinstance(x, int) and not isinstance(x, bool):
        return x
    r = float(f"{x:.12g}")
    if r.is_integer() and abs(r) < 2**53:
        return int(r)
    return r


def _cleaned(e: Estimate) -> Estimate:
    return Estimate(_clean(e.low), _clean(e.estimate), _clean(e.high), e.ranged)


def new_value(edit: Edit, old: Estimate | None) -> Estimate:
    """The value ``edit`` leaves at its target, given the ``old`` one (None if absent).

    Raises
    ------
    EditError
        The field is absent and the edit is not ``=``, or the result would be
        out of the field's bounds.
    """
    t = edit.target
    if old is None:
        if t.kind in ("training", "enablers"):
            old = Estimate.point(1)
        elif edit.op != "=":
            raise EditError(
                edit.text,
                f"{t.key} has no {t.field} to change; set it with {t}=VALUE",
            )
    if edit.op == "=":
        out = edit.value
    elif edit.op == "+=":
        assert old is not None
        out = old.shifted(edit.value.value)
    else:
        assert old is not None
        out = old.scaled(edit.value.value)
    for v in (out.low, out.estimate, out.high):
        if not math.isfinite(v) or abs(v) > MAX_MAGNITUDE:
            raise EditError(
                edit.text,
                f"the result would be {v:g}; qdb figures stay finite and below 1e12",
            )
    out = _cleaned(out)
    bounds = bounds_of(t)
    name = t.field if t.kind not in ("training", "enablers") else f"{t.kind}.{t.key}"
    for part in ("low", "estimate", "high") if out.ranged else ("estimate",):
        x = getattr(out, part)
        if not bounds.check(x):
            what = f"{name} {part}" if out.ranged else name
            raise EditError(
                edit.text, f"{what} would be {format_number(x)} (must be {bounds.describe()})"
            )
    return out


def format_number(x: float) -> str:
    """Plain decimal text of a number, never in exponent form.

    Examples
    --------
    >>> format_number(4), format_number(0.1 + 0.2), format_number(1e-7)
    ('4', '0.3', '0.0000001')
    """
    from decimal import Decimal

    if isinstance(x, int) and not isinstance(x, bool):
        return str(x)
    x = _clean(x)
    if isinstance(x, int):
        return str(x)
    text = format(Decimal(repr(x)), "f")
    return text


# --- planning ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SetValue:
    """One number changed: ``target`` (scope normalised to a side slug or ``catalog``)."""

    target: Target
    old: Estimate | None
    new: Estimate
    edit: str


@dataclass(frozen=True)
class AddSystem:
    """A system added to ``side``; ``data`` is its mapping as written in the scenario.

    ``sources`` are scenario sources the side did not have, added with it.
    """

    side: str
    system: System
    data: dict[str, Any]
    sources: tuple[tuple[str, Source], ...] = ()


@dataclass(frozen=True)
class RemoveSystem:
    """A system removed from ``side``."""

    side: str
    system_id: str


Change = SetValue | AddSystem | RemoveSystem


def _lookup_problem(m: Matchup, t: Target, exc: Exception) -> str:
    msg = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    if t.kind == "system" and t.scope != "catalog":
        try:
            inv = m.side(t.scope)
        except SelectionError:
            return msg
        close = difflib.get_close_matches(t.key, [s.id for s in inv.systems], n=1, cutoff=0.6)
        if close:
            msg += f"; did you mean {close[0]!r}?"
    return msg


def _normalise(m: Matchup, t: Target) -> Target:
    if t.scope == "catalog":
        return t
    return replace(t, scope=m.side(t.scope).side)


def _check_known_name(m: Matchup, t: Target, edit: Edit) -> None:
    """A new training branch or enabler must be one the catalog uses."""
    if t.kind == "training":
        known = {c.branch for c in m.catalog.classes.values()}
        what = "training branch"
    else:
        known = {e for names in m.catalog.enablers_by_domain.values() for e in names}
        what = "enabler"
    known |= set(getattr(m.side(t.scope), t.kind))
    if t.key not in known:
        close = difflib.get_close_matches(t.key, sorted(known), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(known))}"
        raise EditError(edit.text, f"unknown {what} {t.key!r}{hint}")


def _apply_one(m: Matchup, edit: Edit) -> tuple[Matchup, SetValue]:
    t = edit.target
    try:
        t = _normalise(m, t)
        old = get_estimate(m, t)
    except (LookupError, KeyError) as exc:
        raise EditError(edit.text, _lookup_problem(m, t, exc)) from None
    if old is None and t.kind in ("training", "enablers"):
        _check_known_name(m, t, edit)
    new = new_value(edit, old)
    return set_estimate(m, t, new, RATIONALE), SetValue(t, old, new, edit.text)


def plan_edits(m: Matchup, edits: Sequence[Edit | str]) -> tuple[Matchup, list[Change]]:
    """Apply ``edits`` in order, returning the edited matchup and what changed.

    Parameters
    ----------
    m : Matchup
        The baseline.
    edits : sequence of Edit or str
        Parsed edits or their text.

    Returns
    -------
    (Matchup, list of Change)
        The edited matchup and one :class:`SetValue` per edit, in order.

    Raises
    ------
    EditError
        The first edit that names nothing or leaves a value invalid.
    """
    changes: list[Change] = []
    for e in edits:
        edit = parse_edit(e) if isinstance(e, str) else e
        m, ch = _apply_one(m, edit)
        changes.append(ch)
    return m, changes


def apply_edits(m: Matchup, edits: Sequence[Edit | str]) -> Matchup:
    """A copy of ``m`` with ``edits`` applied in order.

    Raises
    ------
    EditError
        ``--set EDIT: problem`` for an edit that names nothing (unknown side,
        system, field) or leaves a value invalid (negative quantity,
        readiness above 1, ...).

    Examples
    --------
    >>> from qdb.models import Catalog, Inventory, Matchup  # doctest: +SKIP
    >>> apply_edits(m, ["ukraine:patriot.quantity+=4"])   # doctest: +SKIP
    """
    return plan_edits(m, edits)[0]


def plan_scenario(
    m: Matchup, scenario: ScenarioFile, sets: Sequence[str] = ()
) -> tuple[Matchup, list[Change]]:
    """Apply a scenario (removals, then additions, then its edits), then ``sets``.

    Errors in the scenario are located at their line in the scenario file.

    Raises
    ------
    EditError
        A removal or addition that names nothing or clashes, or a bad edit.
    """
    from qdb.models.checks import check_inventory

    sc = scenario.scenario
    changes: list[Change] = []

    def fail(loc: str, what: str, problem: str) -> EditError:
        return EditError(what, problem, option=f"{scenario.where(loc)}: {loc}:")

    for i, ref in enumerate(sc.remove):
        loc = f"remove[{i}]"
        side, sep, sid = ref.partition(":")
        if not sep or not sid:
            raise fail(loc, ref, "expected SIDE:SYSTEM_ID")
        try:
            inv = m.side(side)
        except SelectionError as exc:
            raise fail(loc, ref, str(exc)) from None
        if inv.system(sid) is None:
            close = difflib.get_close_matches(sid, [s.id for s in inv.systems], n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise fail(loc, ref, f"{inv.side} has no system {sid!r}{hint}")
        raiders = [r.id for r in inv.raids if sid in r.size]
        if raiders:
            raise fail(
                loc,
                ref,
                f"raids {', '.join(raiders)} launch {sid!r}; set its sizes to 0 "
                f"(edits {side}:raids.RAID.{sid}=0) instead of removing it",
            )
        inv = inv.model_copy(update={"systems": [s for s in inv.systems if s.id != sid]})
        m = m.with_side(side, inv)
        changes.append(RemoveSystem(inv.side, sid))
    for i, add in enumerate(sc.add):
        loc = f"add[{i}]"
        what = f"{add.side}:{add.id}"
        try:
            inv = m.side(add.side)
        except SelectionError as exc:
            raise fail(loc, what, str(exc)) from None
        if inv.system(add.id) is not None:
            raise fail(loc, what, f"{inv.side} already has a system {add.id!r}; edit it instead")
        system = add.to_system()
        new_sources: list[tuple[str, Source]] = []
        if system.source not in inv.sources:
            if system.source not in sc.sources:
                known = sorted({*inv.sources, *sc.sources})
                raise fail(
                    loc,
                    what,
                    f"unknown source {system.source!r}; name one of the inventory's or the "
                    f"scenario's sources ({', '.join(known)})",
                )
            new_sources.append((system.source, sc.sources[system.source]))
        inv = inv.model_copy(
            update={
                "systems": [*inv.systems, system],
                "sources": {**inv.sources, **dict(new_sources)},
            }
        )
        errors = [f for f in check_inventory(inv, m.catalog) if f.severity == "error"]
        if errors:
            raise fail(loc, what, errors[0].message)
        m = m.with_side(add.side, inv)
        changes.append(AddSystem(inv.side, system, add.data(), tuple(new_sources)))
    for i, text in enumerate(sc.edits):
        loc = f"edits[{i}]"
        try:
            edit = parse_edit(text)
            m, ch = _apply_one(m, edit)
        except EditError as exc:
            raise fail(loc, exc.edit, exc.problem) from None
        changes.append(ch)
    m, more = plan_edits(m, list(sets))
    return m, changes + more


def apply_cli_edits(m: Matchup, sets: list[str], scenario: Path | None) -> Matchup:
    """Apply ``--scenario FILE`` (if any) then each ``--set EDIT`` (for ``qdb assess``).

    Raises
    ------
    EditError
        A bad edit; ``DataError`` for an invalid scenario file.
    """
    return plan_cli_edits(m, sets, scenario)[0]


def plan_cli_edits(
    m: Matchup, sets: Sequence[str], scenario: Path | ScenarioFile | None
) -> tuple[Matchup, list[Change]]:
    """Like :func:`apply_cli_edits`, also returning the changes (for ``--write``).

    ``scenario`` may be a scenario already read (a stream such as ``/dev/stdin``
    can be read only once).
    """
    if scenario is None:
        return plan_edits(m, list(sets))
    if isinstance(scenario, Path | str):
        from qdb.io.scenario import load_scenario

        scenario = load_scenario(scenario)
    return plan_scenario(m, scenario, sets)


# --- comparing assessments ------------------------------------------------------------------


@dataclass(frozen=True)
class ContestChange:
    """One contest before and after."""

    id: str
    title: str
    critical: bool
    balance_before: float | None
    balance_after: float | None
    verdict_before: str
    verdict_after: str
    judgement_before: str = ""
    judgement_after: str = ""
    p_holds_before: float | None = None
    p_holds_after: float | None = None

    @property
    def delta(self) -> float | None:
        """``balance_after - balance_before`` (None if either is None)."""
        from qdb.results import round_sig

        a, b = round_sig(self.balance_after), round_sig(self.balance_before)
        if a is None or b is None:
            return None
        return a - b  # of the 12-digit values: an unchanged contest reads exactly 0

    @property
    def flipped(self) -> bool:
        """True when the verdict or (under uncertainty) the judgement changed."""
        return (
            self.verdict_before != self.verdict_after
            or self.judgement_before != self.judgement_after
        )

    def to_json(self) -> dict[str, Any]:
        from qdb.results import round_sig

        return {
            "id": self.id,
            "balance_before": round_sig(self.balance_before),
            "balance_after": round_sig(self.balance_after),
            "delta": round_sig(self.delta),
            "verdict_before": self.verdict_before,
            "verdict_after": self.verdict_after,
            "judgement_before": self.judgement_before,
            "judgement_after": self.judgement_after,
            "p_holds_before": round_sig(self.p_holds_before),
            "p_holds_after": round_sig(self.p_holds_after),
            "flipped": self.flipped,
        }


@dataclass(frozen=True)
class Comparison:
    """Baseline vs scenario assessments, contest by contest."""

    baseline: Assessment
    scenario: Assessment
    changes: tuple[ContestChange, ...]
    edits: tuple[str, ...] = field(default=())

    @property
    def flips(self) -> list[ContestChange]:
        """Contests whose verdict changed."""
        return [c for c in self.changes if c.flipped]

    def to_json(self) -> dict[str, Any]:
        """The ``qdb whatif --format json`` document."""
        return {
            "edits": list(self.edits),
            "baseline": self.baseline.to_json(),
            "scenario": self.scenario.to_json(),
            "changes": [c.to_json() for c in self.changes],
            "certified_before": self.baseline.certified,
            "certified_after": self.scenario.certified,
            "determination_before": self.baseline.determination,
            "determination_after": self.scenario.determination,
            "p_certified_before": self.baseline.p_certified,
            "p_certified_after": self.scenario.p_certified,
        }


def compare(before: Assessment, after: Assessment, edits: Sequence[str] = ()) -> Comparison:
    """Pair the contests of two assessments by id (contests of either, ``before``'s order first).

    A contest present on one side only reads verdict ``absent`` on the other.
    """
    ids = [c.id for c in before.contests] + [
        c.id for c in after.contests if before.contest(c.id) is None
    ]
    out = []
    for cid in ids:
        b, a = before.contest(cid), after.contest(cid)
        ref = b or a
        assert ref is not None
        out.append(
            ContestChange(
                cid,
                ref.title,
                ref.critical,
                b.balance if b else None,
                a.balance if a else None,
                b.verdict if b else "absent",
                a.verdict if a else "absent",
                (b.judgement or b.verdict) if b else "absent",
                (a.judgement or a.verdict) if a else "absent",
                b.p_holds if b else None,
                a.p_holds if a else None,
            )
        )
    return Comparison(before, after, tuple(out), tuple(edits))
