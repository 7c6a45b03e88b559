"""Weapon names of the air-attack records, and the records themselves (no I/O here).

The Ukrainian Air Force reports, as compiled in the public "Massive Missile
Attacks on Ukraine" data set, name weapons by the defender's spelling
(``Shahed-136/131``, ``X-101/X-555``, ``Iskander-M/KN-23``). The weapon-class
file (``data/weapon_classes.yaml``, model :class:`WeaponClasses`) maps every such
name to the threat classes of the catalog and, where the red inventory has one,
to its system id, with the share of the reported count that goes to each. A
name that is no threat of the air campaign is ``ignore`` with the reason.

:class:`AttackRecord` is one row of the records, typed; reading the CSV is
:mod:`qdb.io.attack_records`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, model_validator

from qdb.models.base import FrozenModel, Id, NonEmptyStr, Slug, Source

__all__ = [
    "NATIONAL_ACCOUNTS",
    "AttackRecord",
    "Weapon",
    "WeaponClasses",
    "WeaponPart",
    "WeaponPeriod",
    "split_model_name",
]

NATIONAL_ACCOUNTS = frozenset({"kpszsu", "cincafu", "generalstaff.ua"})
"""Source accounts whose posts give national totals: the Air Force command, the
Commander-in-Chief and the General Staff. Every other account (``PvKPivden``,
``pvkshid``, ``PvkCenter``, oblast administrations, monitoring channels) reports
one sector."""

SHARE_TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class AttackRecord:
    """One row of the published air-attack records.

    Attributes
    ----------
    line : int
        1-based line of the row in its file (for messages).
    time_start, time_end : datetime.datetime, datetime.datetime or None
        As reported; a date without a time is midnight and ``dated_only`` is true.
    dated_only : bool
        ``time_start`` had a date but no time of day.
    model : str
        The weapon name as published (``Shahed-136/131``, ``X-101/X-555 and Kalibr``).
    launched : int or None
        Weapons the defender counted launched (None: the cell is blank).
    destroyed : int or None
        Weapons the defender *claims* destroyed (None: blank).
    not_reach_goal : int or None
        Weapons reported lost without being shot down ("locationally lost",
        mostly to electronic warfare, and decoys that fell short).
    still_attacking : int or None
        Weapons still in the air when the report was written.
    target : str
        Area attacked as published (``Ukraine`` for national totals, ``south``, an oblast).
    source : str
        The post the row was taken from (``kpszsu/posts/...``).
    """

    line: int
    time_start: dt.datetime
    time_end: dt.datetime | None
    dated_only: bool
    model: str
    launched: int | None
    destroyed: int | None
    not_reach_goal: int | None
    still_attacking: int | None
    target: str
    source: str

    @property
    def account(self) -> str:
        """The posting account, lower-case (``kpszsu``, ``pvkpivden``; ``t.me/X`` gives X)."""
        s = self.source.strip()
        for prefix in ("https://", "http://"):
            if s.lower().startswith(prefix):
                s = s[len(prefix) :]
                host, _, rest = s.partition("/")
                s = rest if host.lower() in {"t.me", "www.facebook.com", "facebook.com"} else host
                break
        return s.split("/", 1)[0].lower()

    @property
    def national(self) -> bool:
        """True when the row comes from a national account (:data:`NATIONAL_ACCOUNTS`)."""
        return self.account in NATIONAL_ACCOUNTS

    @property
    def night(self) -> dt.date:
        """The attack night: the date of ``time_start`` minus 12 hours.

        An overnight attack starting at 19:30 on the 18th and the missiles
        launched at 02:00 on the 19th share night 18; a date without a time (a
        morning post of a regional command) counts as the night before it.
        """
        return (self.time_start - dt.timedelta(hours=12)).date()


def split_model_name(model: str) -> list[str]:
    """The weapon names a published ``model`` combines (``"A and B"`` -> ``["A", "B"]``).

    Examples
    --------
    >>> split_model_name("X-101/X-555 and Kalibr")
    ['X-101/X-555', 'Kalibr']
    >>> split_model_name("Shahed-136/131")
    ['Shahed-136/131']
    """
    return [p.strip() for p in model.split(" and ") if p.strip()]


class WeaponPart(FrozenModel):
    """The share of a reported weapon count that goes to one threat class and system."""

    class_: Slug = Field(alias="class", description="A threat class of the catalog.")
    system: Id | None = Field(
        default=None,
        description="The red inventory's system id (none: the inventory has no such system).",
    )
    share: Annotated[float, Field(gt=0, le=1)] = Field(
        default=1.0, description="Share of the reported count (the parts of a weapon sum to 1)."
    )


def _check_shares(parts: list[WeaponPart]) -> None:
    total = sum(p.share for p in parts)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"shares of `parts` sum to {total:g}; they must sum to 1")
    keys = [(p.class_, p.system) for p in parts]
    if len(set(keys)) != len(keys):
        raise ValueError("a class and system appear twice in `parts`; merge their shares")


class WeaponPeriod(FrozenModel):
    """Parts that apply to records of attack nights before ``until``."""

    until: dt.date = Field(description="First attack night the weapon's own `parts` apply to.")
    parts: list[WeaponPart] = Field(min_length=1)
    rationale: NonEmptyStr

    @model_validator(mode="after")
    def _shares(self) -> WeaponPeriod:
        _check_shares(self.parts)
        return self


class Weapon(FrozenModel):
    """One published weapon name and what it counts."""

    model: NonEmptyStr = Field(description="The name exactly as published.")
    aliases: list[NonEmptyStr] = Field(
        default_factory=list, description="Other spellings of the same weapon in the records."
    )
    parts: list[WeaponPart] = Field(
        default_factory=list, description="Threat class, system and share (empty if ignored)."
    )
    ignore: NonEmptyStr | None = Field(
        default=None, description="Why the name is no threat of the air campaign (then no parts)."
    )
    earlier: list[WeaponPeriod] = Field(
        default_factory=list,
        description="Parts for earlier nights (e.g. before decoys were counted with Shaheds).",
    )
    basis: str | None = Field(default=None, description="quoted, derived or judgement.")
    source: Id | None = Field(default=None, description="Id in this file's `sources`.")
    rationale: NonEmptyStr | None = None

    @model_validator(mode="after")
    def _parts_or_ignore(self) -> Weapon:
        if self.ignore is None and not self.parts:
            raise ValueError("give `parts` (threat class, system, share) or `ignore` with a reason")
        if self.ignore is not None and (self.parts or self.earlier):
            raise ValueError("an ignored weapon has no `parts` or `earlier`")
        if self.parts:
            _check_shares(self.parts)
        untils = [p.until for p in self.earlier]
        if untils != sorted(set(untils)):
            raise ValueError("`earlier` periods must have increasing, distinct `until` dates")
        return self

    def parts_on(self, night: dt.date) -> list[WeaponPart]:
        """The parts that apply to an attack on ``night`` (empty if ignored)."""
        for period in self.earlier:
            if night < period.until:
                return period.parts
        return self.parts


class WeaponClasses(FrozenModel):
    """The weapon-class file: published weapon names -> threat classes and systems."""

    red: Slug = Field(description="The side whose weapons these are (`russia`).")
    sources: dict[Id, Source] = Field(default_factory=dict)
    weapons: list[Weapon] = Field(min_length=1)
    notes: str | None = None

    @model_validator(mode="after")
    def _unique_names(self) -> WeaponClasses:
        seen: set[str] = set()
        for w in self.weapons:
            for name in (w.model, *w.aliases):
                key = name.casefold()
                if key in seen:
                    raise ValueError(f"weapon name {name!r} is listed twice")
                seen.add(key)
            if w.source is not None and w.source not in self.sources:
                raise ValueError(f"weapon {w.model!r}: source {w.source!r} is not in `sources`")
        return self

    def lookup(self, name: str) -> Weapon | None:
        """The weapon a published name (or alias) denotes, case-insensitively."""
        key = name.strip().casefold()
        for w in self.weapons:
            if w.model.casefold() == key or any(a.casefold() == key for a in w.aliases):
                return w
        return None
