"""Raids from the published air-attack records: de-duplication, grouping, statistics.

Pure functions over :class:`~qdb.models.weapons.AttackRecord` (read them with
:mod:`qdb.io.attack_records`) and the weapon-class file
(:class:`~qdb.models.weapons.WeaponClasses`).

**"Destroyed" is the defender's claim.** Launched and destroyed counts are
what the Ukrainian Air Force reports; ``destroyed`` counts weapons shot down
(and, in the 2025 rows, not the "locationally lost" ones, which are in
``not_reach_goal``). *Reported leakage* here is ``1 - destroyed / launched``;
*net* leakage also counts ``not_reach_goal`` as stopped
(``1 - (destroyed + not_reach_goal) / launched``).

De-duplication (:func:`deduplicate`), in order:

1. Rows equal in every published column are one report copied twice: keep the first.
2. A row from a regional account (anything but the Air Force command
   ``kpszsu``, the Commander-in-Chief or the General Staff; see
   :data:`~qdb.models.weapons.NATIONAL_ACCOUNTS`) is dropped when a national row
   of the same attack night reports the same weapon (the same threat class and
   red system, after the name mapping: ``Iskander-M`` in a regional post and
   ``Iskander-M/KN-23`` in the national one are the same weapon; Iskander-M and
   Kinzhal are not): the national overnight total already counts what the
   regional command saw in its sector. A regional row of a weapon no national
   row reports that night is kept (it is then the only report of that attack).

Attack night (:attr:`~qdb.models.weapons.AttackRecord.night`): the date of
``time_start`` minus 12 hours, so an attack from 19:30 with missiles at 02:00
is one night; a date-only regional post counts as the night before it.

A *raid* is one weapon group on one attack night (:data:`GROUPS`: ``drones``
= one-way attack drones and decoys, ``missiles`` = cruise and ballistic
missiles), summed over the de-duplicated rows of that night.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qdb.models.weapons import AttackRecord, WeaponClasses, split_model_name

__all__ = [
    "DEFAULT_AS_OF",
    "DEFAULT_WINDOW_DAYS",
    "GROUPS",
    "KINDS",
    "ClassCount",
    "Dedup",
    "Launch",
    "Raid",
    "RaidSchedule",
    "Resolution",
    "SizeStats",
    "WindowStats",
    "deduplicate",
    "derive_schedule",
    "group_raids",
    "percentile",
    "raids_in_window",
    "recorded_raids_as_inventory",
    "resolve",
    "threat_classes_of",
    "threat_keys_of",
    "window_stats",
]

DEFAULT_AS_OF = dt.date(2025, 7, 19)
"""The Russian 2025-07 snapshot date."""
DEFAULT_WINDOW_DAYS = 90

GROUPS: dict[str, frozenset[str]] = {
    "drones": frozenset({"owa_drone", "decoy_drone"}),
    "missiles": frozenset({"cruise_missile", "ballistic_missile"}),
}
"""Weapon groups: a raid is one group on one attack night."""

Key = tuple[str, str | None]
"""(threat class, red system id or None)."""


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation (numpy's default).

    Examples
    --------
    >>> percentile([1, 2, 3, 4], 50)
    2.5
    >>> percentile([10, 20, 30, 40, 50], 90)
    46.0
    """
    if not values:
        raise ValueError("percentile of no values")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


# --------------------------------------------------------------------------- names -> classes


def threat_classes_of(record: AttackRecord, weapons: WeaponClasses) -> frozenset[str]:
    """Threat classes a record's weapon name counts (empty if ignored or unknown)."""
    return frozenset(cls for cls, _ in threat_keys_of(record, weapons))


def threat_keys_of(record: AttackRecord, weapons: WeaponClasses) -> frozenset[Key]:
    """(class, system) pairs a record's weapon name counts (empty if ignored or unknown)."""
    out: set[Key] = set()
    for name in split_model_name(record.model):
        w = weapons.lookup(name)
        if w is not None:
            out.update((p.class_, p.system) for p in w.parts_on(record.night))
    return frozenset(out)


@dataclass(frozen=True)
class Launch:
    """One record's count that goes to one threat class and system.

    ``destroyed`` and ``neutralised`` are None when the record leaves
    ``destroyed`` blank; ``neutralised`` = destroyed + not_reach_goal, at most launched.
    """

    record: AttackRecord
    class_: str
    system: str | None
    launched: float
    destroyed: float | None
    neutralised: float | None


@dataclass(frozen=True)
class Resolution:
    """Records resolved into launches, with what could not be (rows, launched) by name."""

    launches: tuple[Launch, ...]
    ignored: Mapping[str, tuple[int, int]]
    unknown: Mapping[str, tuple[int, int]]
    no_count: int
    """Rows whose ``launched`` is blank (nothing to count)."""


def resolve(records: Iterable[AttackRecord], weapons: WeaponClasses) -> Resolution:
    """Split each record's counts over the threat classes and systems its name denotes.

    A combined name (``A and B``) is split equally between the names it lists,
    then each by its weapon's ``parts`` for the record's night. Counts stay
    fractional (0.52 of 57 Shahed-type drones is 29.64 Geran-2).

    Examples
    --------
    See ``tests/test_calibrate_raids.py``.
    """
    launches: list[Launch] = []
    ignored: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    unknown: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    no_count = 0
    for rec in records:
        if rec.launched is None:
            no_count += 1
            continue
        names = split_model_name(rec.model)
        share_name = 1.0 / len(names)
        neutral = None
        if rec.destroyed is not None:
            neutral = min(rec.launched, rec.destroyed + (rec.not_reach_goal or 0))
        for name in names:
            w = weapons.lookup(name)
            if w is None:
                unknown[name][0] += 1
                unknown[name][1] += rec.launched
                continue
            parts = w.parts_on(rec.night)
            if not parts:
                ignored[name][0] += 1
                ignored[name][1] += rec.launched
                continue
            for p in parts:
                s = share_name * p.share
                launches.append(
                    Launch(
                        record=rec,
                        class_=p.class_,
                        system=p.system,
                        launched=rec.launched * s,
                        destroyed=None if rec.destroyed is None else rec.destroyed * s,
                        neutralised=None if neutral is None else neutral * s,
                    )
                )
    return Resolution(
        tuple(launches),
        {k: (v[0], v[1]) for k, v in sorted(ignored.items())},
        {k: (v[0], v[1]) for k, v in sorted(unknown.items())},
        no_count,
    )


# --------------------------------------------------------------------------- de-duplication


@dataclass(frozen=True)
class Dedup:
    """Rows kept and rows dropped (with the reason and the line of the row that covers them)."""

    kept: tuple[AttackRecord, ...]
    dropped: tuple[tuple[AttackRecord, str], ...]


def _same_report(a: AttackRecord, b: AttackRecord) -> bool:
    return (
        a.time_start,
        a.time_end,
        a.model,
        a.launched,
        a.destroyed,
        a.not_reach_goal,
        a.still_attacking,
        a.target,
        a.source,
    ) == (
        b.time_start,
        b.time_end,
        b.model,
        b.launched,
        b.destroyed,
        b.not_reach_goal,
        b.still_attacking,
        b.target,
        b.source,
    )


def deduplicate(records: Sequence[AttackRecord], weapons: WeaponClasses) -> Dedup:
    """Drop copied rows and regional rows that a national total covers (module docstring).

    Parameters
    ----------
    records : sequence of AttackRecord
        As read, in any order.
    weapons : WeaponClasses
        Gives each row's threat classes.

    Returns
    -------
    Dedup
        ``kept`` in the input order; ``dropped`` with a one-line reason each.
    """
    dropped: list[tuple[AttackRecord, str]] = []
    first: dict[tuple[Any, ...], AttackRecord] = {}
    unique: list[AttackRecord] = []
    for rec in records:
        key = (rec.time_start, rec.model, rec.launched, rec.source, rec.target)
        prior = first.get(key)
        if prior is not None and _same_report(prior, rec):
            dropped.append((rec, f"copy of line {prior.line}"))
            continue
        first.setdefault(key, rec)
        unique.append(rec)
    national: dict[tuple[dt.date, Key], AttackRecord] = {}
    for rec in unique:
        if rec.national:
            for weapon in threat_keys_of(rec, weapons):
                national.setdefault((rec.night, weapon), rec)
    kept: list[AttackRecord] = []
    for rec in unique:
        if not rec.national:
            cover = next(
                (
                    national[(rec.night, k)]
                    for k in sorted(threat_keys_of(rec, weapons), key=lambda k: (k[0], k[1] or ""))
                    if (rec.night, k) in national
                ),
                None,
            )
            if cover is not None:
                dropped.append(
                    (
                        rec,
                        f"regional ({rec.account}) row of night {rec.night} covered by the "
                        f"national row on line {cover.line}",
                    )
                )
                continue
        kept.append(rec)
    return Dedup(tuple(kept), tuple(dropped))


# --------------------------------------------------------------------------- raids


@dataclass(frozen=True)
class ClassCount:
    """Launched and reported outcomes of one (class, system) in one raid or window.

    ``judged`` is the launched count of rows with a ``destroyed`` figure, the
    denominator of the shares.
    """

    launched: float = 0.0
    judged: float = 0.0
    destroyed: float = 0.0
    neutralised: float = 0.0

    def __add__(self, other: ClassCount) -> ClassCount:
        return ClassCount(
            self.launched + other.launched,
            self.judged + other.judged,
            self.destroyed + other.destroyed,
            self.neutralised + other.neutralised,
        )

    @property
    def destroyed_share(self) -> float | None:
        """Reported destroyed / launched (the defender's claim); None if nothing judged."""
        return self.destroyed / self.judged if self.judged > 0 else None

    @property
    def reported_leakage(self) -> float | None:
        """``1 - destroyed / launched`` as reported."""
        s = self.destroyed_share
        return None if s is None else 1.0 - s

    @property
    def net_leakage(self) -> float | None:
        """``1 - (destroyed + not_reach_goal) / launched``: what the report says got through."""
        return 1.0 - self.neutralised / self.judged if self.judged > 0 else None


def _count(launch: Launch) -> ClassCount:
    if launch.destroyed is None:
        return ClassCount(launched=launch.launched)
    return ClassCount(launch.launched, launch.launched, launch.destroyed, launch.neutralised or 0.0)


@dataclass(frozen=True)
class Raid:
    """One weapon group on one attack night: counts by (class, system)."""

    night: dt.date
    group: str
    counts: Mapping[Key, ClassCount]
    lines: tuple[int, ...]

    @property
    def id(self) -> str:
        """``2025-07-08-drones``."""
        return f"{self.night.isoformat()}-{self.group}"

    @property
    def launched(self) -> float:
        """All weapons of the raid."""
        return sum(c.launched for c in self.counts.values())

    def by_class(self) -> dict[str, ClassCount]:
        """Counts summed over systems, by threat class."""
        out: dict[str, ClassCount] = {}
        for (cls, _), c in self.counts.items():
            out[cls] = out.get(cls, ClassCount()) + c
        return out

    def size(self, system: str) -> float:
        """Rounds of ``system`` launched in the raid."""
        return sum(c.launched for (_, s), c in self.counts.items() if s == system)


def group_raids(launches: Iterable[Launch]) -> list[Raid]:
    """Sum launches into raids: one per (attack night, weapon group), sorted by night, group.

    Launches of a class in no group of :data:`GROUPS` are left out.
    """
    group_of = {cls: g for g, classes in GROUPS.items() for cls in classes}
    acc: dict[tuple[dt.date, str], dict[Key, ClassCount]] = defaultdict(dict)
    lines: dict[tuple[dt.date, str], set[int]] = defaultdict(set)
    for ln in launches:
        g = group_of.get(ln.class_)
        if g is None:
            continue
        k = (ln.record.night, g)
        key: Key = (ln.class_, ln.system)
        acc[k][key] = acc[k].get(key, ClassCount()) + _count(ln)
        lines[k].add(ln.record.line)
    return [
        Raid(
            night,
            g,
            dict(sorted(acc[(night, g)].items(), key=_key_order)),
            tuple(sorted(lines[(night, g)])),
        )
        for night, g in sorted(acc)
    ]


def _key_order(item: tuple[Key, ClassCount]) -> tuple[str, str]:
    (cls, system), _ = item
    return (cls, system or "")


def raids_in_window(raids: Iterable[Raid], start: dt.date, end: dt.date) -> list[Raid]:
    """Raids of nights ``start <= night < end``."""
    return [r for r in raids if start <= r.night < end]


# --------------------------------------------------------------------------- window statistics


@dataclass(frozen=True)
class SizeStats:
    """Raid statistics of one threat system (or class) over a window.

    Sizes are per raid in which it was launched (``raids`` of them).
    """

    raids: int
    raids_per_week: float
    every_days: float | None
    mean: float | None
    median: float | None
    p90: float | None
    launches_per_day: float
    total: ClassCount

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, rounded to 4 significant decimals."""

        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "raids": self.raids,
            "raids_per_week": r(self.raids_per_week),
            "every_days": r(self.every_days),
            "mean_size": r(self.mean),
            "median_size": r(self.median),
            "p90_size": r(self.p90),
            "launches_per_day": r(self.launches_per_day),
            "launched": r(self.total.launched),
            "destroyed_share_reported": r(self.total.destroyed_share),
            "reported_leakage": r(self.total.reported_leakage),
            "net_leakage": r(self.total.net_leakage),
        }


def _size_stats(sizes: list[float], total: ClassCount, days: int) -> SizeStats:
    n = len(sizes)
    return SizeStats(
        raids=n,
        raids_per_week=7.0 * n / days,
        every_days=days / n if n else None,
        mean=sum(sizes) / n if n else None,
        median=percentile(sizes, 50) if n else None,
        p90=percentile(sizes, 90) if n else None,
        launches_per_day=total.launched / days,
        total=total,
    )


@dataclass(frozen=True)
class WindowStats:
    """Per threat system and per class statistics of the raids in ``[start, end)``."""

    start: dt.date
    end: dt.date
    by_system: Mapping[str, SizeStats]
    by_class: Mapping[str, SizeStats]
    unmodelled: Mapping[str, float]
    """Class -> rounds launched of weapons with no system id in the inventory."""

    @property
    def days(self) -> int:
        """Length of the window in days."""
        return (self.end - self.start).days

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "start": self.start.isoformat(),
            "end_exclusive": self.end.isoformat(),
            "days": self.days,
            "note": "destroyed is the defender's claim; reported_leakage = 1 - destroyed/launched; "
            "net_leakage also counts not_reach_goal (locationally lost) as stopped",
            "by_system": {k: v.as_dict() for k, v in self.by_system.items()},
            "by_class": {k: v.as_dict() for k, v in self.by_class.items()},
            "unmodelled_launched": {k: round(v, 4) for k, v in self.unmodelled.items()},
        }


def window_stats(
    raids: Iterable[Raid],
    as_of: dt.date = DEFAULT_AS_OF,
    days: int = DEFAULT_WINDOW_DAYS,
) -> WindowStats:
    """Raid statistics per threat system and class over the ``days`` nights before ``as_of``.

    Parameters
    ----------
    raids : iterable of Raid
        From :func:`group_raids` (de-duplicated records).
    as_of : datetime.date
        The window ends the night before this date (default 2025-07-19).
    days : int
        Window length (default 90): nights ``as_of - days`` to ``as_of - 1``.

    Returns
    -------
    WindowStats
        ``raids_per_week`` and ``every_days`` count the raids in which the system
        was launched; sizes are per such raid; ``launches_per_day`` is the total
        over ``days``; shares are reported (the defender's claim).

    Raises
    ------
    ValueError
        If ``days < 1``.
    """
    if days < 1:
        raise ValueError("the window needs at least one day")
    start = as_of - dt.timedelta(days=days)
    sys_sizes: dict[str, list[float]] = defaultdict(list)
    sys_total: dict[str, ClassCount] = defaultdict(ClassCount)
    cls_sizes: dict[str, list[float]] = defaultdict(list)
    cls_total: dict[str, ClassCount] = defaultdict(ClassCount)
    unmodelled: dict[str, float] = defaultdict(float)
    for raid in raids_in_window(raids, start, as_of):
        per_sys: dict[str, ClassCount] = defaultdict(ClassCount)
        for (cls, system), c in raid.counts.items():
            if system is None:
                unmodelled[cls] += c.launched
            else:
                per_sys[system] = per_sys[system] + c
        for system, c in per_sys.items():
            if c.launched > 0:
                sys_sizes[system].append(c.launched)
            sys_total[system] = sys_total[system] + c
        for cls, c in raid.by_class().items():
            if c.launched > 0:
                cls_sizes[cls].append(c.launched)
            cls_total[cls] = cls_total[cls] + c
    return WindowStats(
        start,
        as_of,
        {s: _size_stats(sys_sizes[s], sys_total[s], days) for s in sorted(sys_total)},
        {c: _size_stats(cls_sizes[c], cls_total[c], days) for c in sorted(cls_total)},
        dict(sorted(unmodelled.items())),
    )


# --------------------------------------------------------------------------- raid schedules


@dataclass(frozen=True)
class RaidSchedule:
    """One recurring raid for an inventory's ``raids:``, with how it was derived."""

    id: str
    every_days: int
    first_day: int
    size: Mapping[str, tuple[float, float, float]]
    """System id -> (low, estimate, high) rounds per raid."""
    raids: int
    derivation: str

    def as_dict(self) -> dict[str, Any]:
        """The inventory form: ``{id, every_days, first_day, size: {sys: {low, estimate, high}}}``."""
        return {
            "id": self.id,
            "every_days": self.every_days,
            "first_day": self.first_day,
            "size": {
                s: {"low": lo, "estimate": est, "high": hi}
                for s, (lo, est, hi) in self.size.items()
            },
        }


def _kind(raid: Raid, massed_drones: float, massed_missiles: float) -> str:
    if raid.group == "drones":
        return "drones_massed" if raid.launched >= massed_drones else "drones"
    return "missiles_massed" if raid.launched >= massed_missiles else "missiles"


_KIND_TEXT = {
    "drones": "drone nights below the massed threshold",
    "drones_massed": "drone nights at or above the massed threshold",
    "missiles": "missile nights below the massed threshold",
    "missiles_massed": "missile nights at or above the massed threshold (combined strikes)",
}
KINDS = tuple(_KIND_TEXT)
"""The kinds of raid :func:`derive_schedule` derives, in schedule order."""


def derive_schedule(
    raids: Iterable[Raid],
    as_of: dt.date = DEFAULT_AS_OF,
    days: int = DEFAULT_WINDOW_DAYS,
    massed_drones: float = 300.0,
    massed_missiles: float = 20.0,
    digits: int = 1,
) -> list[RaidSchedule]:
    """A recurring-raid schedule that reproduces the window's launch rates.

    Raids of the window are sorted into four kinds (:data:`KINDS`): drone nights
    below and at or above ``massed_drones`` weapons, missile nights below and at
    or above ``massed_missiles`` missiles. For each kind with ``n`` raids:
    ``every_days = max(1, round(days / n))``; ``first_day`` = the window day of
    its first raid, reduced below ``every_days``; per system, ``low`` and ``high``
    are the 10th and 90th percentiles of its size over the kind's raids (zeros
    included: a combined strike without Kalibr launches 0 Kalibr), and
    ``estimate`` is its total divided by the number of raids the schedule fires
    in ``days`` days, so that the schedule launches what the window launched
    (clipped into ``[low, high]``, which then loses the difference).

    Parameters
    ----------
    raids : iterable of Raid
        From :func:`group_raids`.
    as_of, days : datetime.date, int
        The window (as :func:`window_stats`).
    massed_drones, massed_missiles : float
        Weapons in a night from which its drone or missile raid counts as massed
        (defaults 300 and 20: judgement; in the 90 days before 2025-07-19 they
        separate the top fifth of drone nights and the seven combined strikes
        with strategic-bomber and ship-launched cruise missiles).
    digits : int
        Decimals of the sizes.

    Returns
    -------
    list of RaidSchedule
        Only systems with an inventory id; kinds with no raid are left out.
    """
    start = as_of - dt.timedelta(days=days)
    kinds: dict[str, list[Raid]] = defaultdict(list)
    for r in raids_in_window(raids, start, as_of):
        kinds[_kind(r, massed_drones, massed_missiles)].append(r)
    out: list[RaidSchedule] = []
    for kind in KINDS:
        rs = kinds.get(kind, [])
        if not rs:
            continue
        n = len(rs)
        every = max(1, round(days / n))
        first = (rs[0].night - start).days % every
        fired = len(range(first, days, every))
        systems = sorted({s for r in rs for (_, s) in r.counts if s is not None})
        size: dict[str, tuple[float, float, float]] = {}
        for s in systems:
            xs = [r.size(s) for r in rs]
            lo, hi = percentile(xs, 10), percentile(xs, 90)
            est = sum(xs) / fired
            est = min(max(est, lo), hi)
            size[s] = (round(lo, digits), round(est, digits), round(hi, digits))
            if size[s][2] == 0:
                del size[s]
        total = sum(r.launched for r in rs)
        derivation = (
            f"{n} {_KIND_TEXT[kind]} in the {days} nights {start} to "
            f"{as_of - dt.timedelta(days=1)} (every {days / n:.1f} days -> every_days {every}); "
            f"{total:.0f} weapons in all; per system low/high = 10th/90th percentile of its size "
            f"in these raids, estimate = its total / {fired} scheduled raids"
        )
        out.append(RaidSchedule(kind, every, first, size, n, derivation))
    return out


def recorded_raids_as_inventory(
    raids: Sequence[Raid],
    start: dt.date,
    horizon: int,
    merge_night: bool = True,
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Turn recorded raids into an inventory's ``raids:`` list, one raid per recorded attack.

    Parameters
    ----------
    raids : sequence of Raid
        Recorded raids (e.g. those of a window).
    start : datetime.date
        Night of campaign day 0.
    horizon : int
        Campaign days; every raid gets ``every_days = horizon + 1`` so it happens once.
    merge_night : bool
        One raid per attack night (drones and missiles of one night together, as they
        were flown) when true; one per (night, group) when false.

    Returns
    -------
    (list of dict, dict)
        The ``raids:`` entries (``id`` = ``r`` + night [+ group], ``first_day`` = day
        offset, ``size`` = launched per system id, rounded to 3 decimals), in night
        order; and class -> rounds left out because they have no system id
        or fall outside ``[0, horizon)``.

    Raises
    ------
    ValueError
        If ``horizon`` is not between 1 and 3649.
    """
    if not 1 <= horizon <= 3649:
        raise ValueError("horizon must be 1 to 3649 days")
    left_out: dict[str, float] = defaultdict(float)
    entries: dict[str, dict[str, Any]] = {}
    for r in raids:
        day = (r.night - start).days
        rid = f"r{r.night:%Y%m%d}" if merge_night else f"r{r.night:%Y%m%d}-{r.group}"
        for (cls, system), c in r.counts.items():
            if system is None or not 0 <= day < horizon:
                left_out[cls] += c.launched
                continue
            e = entries.setdefault(
                rid, {"id": rid, "every_days": horizon + 1, "first_day": day, "size": {}}
            )
            e["size"][system] = e["size"].get(system, 0.0) + c.launched
    out = sorted(entries.values(), key=lambda e: (e["first_day"], e["id"]))
    for e in out:
        e["size"] = {s: round(v, 3) for s, v in sorted(e["size"].items()) if v > 0}
    return [e for e in out if e["size"]], dict(sorted(left_out.items()))
