"""Where each figure comes from, and how much of a contest rests on judgement (pure).

Every system figure of an inventory carries a ``basis`` (``quoted``,
``derived`` or ``judgement``) and names a source with a ``kind``
(``primary``, ``secondary``, ``claim``). This module lists the figures of
a contest with that provenance and ranks them by the system's **share of its
side's strength in the contest**, computed from the models alone:

* square / linear / power contests: ``quantity x readiness x quality`` times
  the class's threat weight (red) or counter coefficient (blue);
* ``iamd`` contests: red threats by ``per_day`` (launches a day; ``quantity``
  when absent) times quality; blue interceptor classes (the catalog's IAMD
  layers that engage one of the contest's threats) by ``quantity x readiness x
  quality x shots_per_raid x coverage`` (rounds a raid can meet).

A figure is *flagged* when it rests on judgement (or has no basis) in a
critical contest: those are the numbers an analyst should check first.

Examples
--------
>>> # rows = contest_figures(catalog, blue, red, "armour"); basis_shares(rows)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from qdb.errors import SelectionError
from qdb.models.catalog import Catalog, Contest
from qdb.models.estimate import Estimate
from qdb.models.inventory import Inventory, System

__all__ = [
    "BASES",
    "Figure",
    "Gap",
    "basis_counts",
    "basis_shares",
    "contest_figures",
    "contest_sides",
    "missing_provenance",
    "quote_numbers",
    "quote_states",
]

BASES = ("quoted", "derived", "judgement")
"""The bases a figure may rest on, strongest first."""

UNSTATED = "none"
"""Label of a figure without ``basis`` in counts and shares."""


@dataclass(frozen=True)
class Figure:
    """One system figure of one side in one contest, with its provenance.

    ``share`` is the system's share (0-1) of its side's strength in the
    contest; ``flagged`` marks judgement (or missing basis) in a critical one.
    """

    contest: str
    critical: bool
    side: str
    role: str
    system: str
    name: str
    class_: str
    quantity: Estimate
    basis: str | None
    source: str
    publisher: str
    date: dt.date | None
    kind: str | None
    share: float
    flagged: bool

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (quantity as its data form, date as ISO text)."""
        return {
            "contest": self.contest,
            "critical": self.critical,
            "side": self.side,
            "role": self.role,
            "system": self.system,
            "name": self.name,
            "class": self.class_,
            "quantity": self.quantity.to_data(),
            "basis": self.basis,
            "source": self.source,
            "publisher": self.publisher,
            "date": self.date.isoformat() if self.date else None,
            "kind": self.kind,
            "share": round(self.share, 4),
            "flagged": self.flagged,
        }


@dataclass(frozen=True)
class Gap:
    """A provenance field missing at ``loc`` (a path into the inventory's data)."""

    loc: tuple[str | int, ...]
    message: str


def contest_sides(catalog: Catalog, contest: Contest) -> tuple[dict[str, float], dict[str, float]]:
    """The classes each side fields in a contest, with their weights.

    Parameters
    ----------
    catalog : Catalog
        The catalog holding the contest and its classes.
    contest : Contest
        The contest.

    Returns
    -------
    tuple of dict
        ``(red, blue)``: class id -> threat weight (red) or counter
        coefficient (blue). In an ``iamd`` contest every weight is 1 and blue
        holds the IAMD layers that engage one of the contest's threats (all
        layers when none declares ``engages``).
    """
    if contest.law == "iamd":
        threats = list(contest.threats) or list(contest.threat)
        red = {t: 1.0 for t in threats}
        layers = list(catalog.iamd.layers) if catalog.iamd is not None else []
        engaging = [
            c
            for c in layers
            if c in catalog.classes and any(e.threat in red for e in catalog.classes[c].engages)
        ]
        if not engaging and not any(
            catalog.classes[c].engages for c in layers if c in catalog.classes
        ):
            engaging = layers
        return red, {c: 1.0 for c in engaging}
    red = {c: w.value for c, w in contest.threat.items()}
    blue = {c: w.value for c, w in contest.counters.items()}
    return red, blue


def _strength(s: System, weight: float, iamd: bool, red: bool, catalog: Catalog) -> float:
    if iamd and red:
        rate = s.per_day.value if s.per_day is not None else s.quantity.value
        return rate * s.quality.value
    base = s.quantity.value * s.readiness.value * s.quality.value * weight
    if iamd:
        k = catalog.classes.get(s.class_)
        if k is not None:
            base *= (k.shots_per_raid.value if k.shots_per_raid is not None else 1.0) * (
                k.coverage.value if k.coverage is not None else 1.0
            )
    return base


def _side_figures(
    catalog: Catalog, contest: Contest, inv: Inventory, classes: dict[str, float], role: str
) -> list[Figure]:
    iamd = contest.law == "iamd"
    members = [s for s in inv.systems if s.class_ in classes]
    strengths = [_strength(s, classes[s.class_], iamd, role == "threat", catalog) for s in members]
    total = sum(strengths)
    out = []
    for s, x in zip(members, strengths, strict=True):
        src = inv.sources.get(s.source)
        weak = s.basis is None or s.basis == "judgement"
        out.append(
            Figure(
                contest=contest.id,
                critical=contest.critical,
                side=inv.side,
                role=role,
                system=s.id,
                name=s.name,
                class_=s.class_,
                quantity=s.quantity,
                basis=s.basis,
                source=s.source,
                publisher=src.publisher if src else "",
                date=src.date if src else None,
                kind=src.kind if src else None,
                share=x / total if total > 0 else 0.0,
                flagged=contest.critical and weak,
            )
        )
    out.sort(key=lambda f: -f.share)
    return out


def contest_figures(
    catalog: Catalog, blue: Inventory, red: Inventory, contest_id: str | None = None
) -> list[Figure]:
    """Every system figure of each contest (or of one), with provenance and share.

    Parameters
    ----------
    catalog : Catalog
        The catalog.
    blue, red : Inventory
        The two snapshots (blue counters, red threatens).
    contest_id : str, optional
        One contest; default every contest in catalog order.

    Returns
    -------
    list of Figure
        Per contest: red's figures, then blue's, each by share, largest first.

    Raises
    ------
    SelectionError
        ``contest_id`` names no contest.
    """
    contests = list(catalog.contests)
    if contest_id is not None:
        contests = [c for c in contests if c.id == contest_id]
        if not contests:
            known = ", ".join(c.id for c in catalog.contests)
            raise SelectionError(f"no contest {contest_id!r}; known: {known}")
    out: list[Figure] = []
    for con in contests:
        r, b = contest_sides(catalog, con)
        out += _side_figures(catalog, con, red, r, "threat")
        out += _side_figures(catalog, con, blue, b, "counter")
    return out


def basis_shares(figures: Iterable[Figure]) -> dict[tuple[str, str], dict[str, float]]:
    """Per ``(contest, side)``: share of the side's strength on each basis.

    Parameters
    ----------
    figures : iterable of Figure
        From :func:`contest_figures`.

    Returns
    -------
    dict
        ``(contest, side)`` -> basis (``quoted``, ``derived``, ``judgement``,
        ``none``) -> share (summing to 1 when the side has strength there).
    """
    out: dict[tuple[str, str], dict[str, float]] = {}
    for f in figures:
        d = out.setdefault((f.contest, f.side), dict.fromkeys((*BASES, UNSTATED), 0.0))
        d[f.basis or UNSTATED] += f.share
    return out


def basis_counts(inventories: Iterable[Inventory]) -> dict[str, int]:
    """How many system figures rest on each basis (``none`` = no basis given)."""
    out = dict.fromkeys((*BASES, UNSTATED), 0)
    for inv in inventories:
        for s in inv.systems:
            out[s.basis or UNSTATED] += 1
    return out


def missing_provenance(inv: Inventory) -> list[Gap]:
    """Figures without ``basis`` and sources without ``kind`` in one inventory."""
    out: list[Gap] = []
    for sid, src in inv.sources.items():
        if src.kind is None:
            out.append(
                Gap(("sources", sid), f"source {sid!r} has no kind (primary|secondary|claim)")
            )
    for i, s in enumerate(inv.systems):
        if s.basis is None:
            out.append(Gap(("systems", i), f"{s.id!r} has no basis (quoted|derived|judgement)"))
    for key in ("training", "enablers"):
        for name, m in getattr(inv, key).items():
            if m.basis is None:
                out.append(Gap((key, name), f"{key} {name!r} has no basis"))
    for name, mu in inv.munitions.items():
        if mu.basis is None:
            out.append(Gap(("munitions", name), f"munition {name!r} has no basis"))
    return out


_MULT = {"thousand": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9}
_NUMBER = re.compile(
    r"(?<![\d.])(\d{1,3}(?:[,\u2009\u202f\u00a0 ]\d{3})+|\d+(?:\.\d+)?)"
    r"(?:\s*(thousand|million|billion|bn|m)\b)?",
    re.IGNORECASE,
)


_WORDS = {
    w: float(i)
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ]
    )
}


def quote_numbers(quote: str) -> list[float]:
    """The numbers a sentence states (separators, ``thousand/million/bn`` and one-twelve in words)."""
    out = [_WORDS[w] for w in re.findall(r"[a-z]+", quote.lower()) if w in _WORDS]
    for m in _NUMBER.finditer(quote):
        digits = re.sub(r"[,\u2009\u202f\u00a0 ]", "", m.group(1))
        x = float(digits)
        out.append(x)
        if m.group(2):
            out.append(x * _MULT[m.group(2).lower()])
    return out


def quote_states(quote: str, values: Sequence[float]) -> bool:
    """Whether ``quote`` states one of ``values`` (e.g. a range's estimate or a bound).

    Examples
    --------
    >>> quote_states("Russia had 1,750 tanks in active service", [1750])
    True
    >>> quote_states("about 4.5 million drones", [4_500_000])
    True
    >>> quote_states("more than 300 delivered", [250])
    False
    """
    nums = quote_numbers(quote)
    return any(abs(n - v) <= 1e-6 + 1e-12 * abs(v) for n in nums for v in values)
