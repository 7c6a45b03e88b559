"""Typed results of an assessment (pure data; the JSON contract lives here).

``Assessment.to_json()`` produces exactly the keys of DESIGN.md, in its order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Assessment",
    "CampaignSystem",
    "ContestResult",
    "Contributor",
    "CriticalSystem",
    "RaidRecord",
    "round_sig",
]

VERDICTS = ("offset", "matched", "shortfall", "uncontested")
JUDGEMENTS = ("offset", "matched", "shortfall", "indeterminate", "uncontested")
DETERMINATIONS = ("certified", "not_certified", "indeterminate")
HOLDING = frozenset({"offset", "matched", "uncontested"})
FACTOR_NAMES = ("numbers", "sustainment", "equipment", "training", "technology", "interaction")
LANCHESTER = ("square", "linear", "power")


def round_sig(x: float | None, digits: int = 12) -> float | None:
    """Round to ``digits`` significant digits (stable bytes across machines)."""
    if x is None:
        return None
    if x == 0 or not math.isfinite(x):
        return 0.0 if x == 0 else x
    return float(f"{x:.{digits}g}")


@dataclass(frozen=True)
class Contributor:
    """One system's share of its side's strength in a contest."""

    system: str
    share: float
    name: str = ""
    class_: str = ""
    units: float = 0.0
    quality: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"system": self.system, "share": round_sig(self.share)}


@dataclass(frozen=True)
class ContestResult:
    """One contest's numbers, verdict and explanation."""

    id: str
    title: str
    law: str
    domain: str
    critical: bool
    weight: float
    exponent: float | None
    blue_units: float
    red_units: float
    numbers_ratio: float | None
    quality_ratio: float | None
    required_quality_ratio: float | None
    balance: float | None
    verdict: str
    factors: dict[str, float] | None
    contributors_blue: tuple[Contributor, ...] = ()
    contributors_red: tuple[Contributor, ...] = ()
    leakage: float | None = None
    worst_raid_leakage: float | None = None
    rationale: str = ""
    judgement: str = ""
    p_holds: float | None = None
    p_offset: float | None = None
    uncertainty: dict[str, float | None] | None = None
    acceptable_leakage: float | None = None

    @property
    def holds(self) -> bool:
        """True when the verdict is offset, matched or uncontested."""
        return self.verdict in HOLDING

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "law": self.law,
            "critical": self.critical,
            "blue_units": round_sig(self.blue_units),
            "red_units": round_sig(self.red_units),
            "numbers_ratio": round_sig(self.numbers_ratio),
            "quality_ratio": round_sig(self.quality_ratio),
            "required_quality_ratio": round_sig(self.required_quality_ratio),
            "balance": round_sig(self.balance),
            "verdict": self.verdict,
            "factors": None
            if self.factors is None
            else {k: round_sig(self.factors[k]) for k in FACTOR_NAMES},
            "contributors": {
                "blue": [c.to_json() for c in self.contributors_blue],
                "red": [c.to_json() for c in self.contributors_red],
            },
            "judgement": self.judgement or self.verdict,
            "p_holds": round_sig(self.p_holds),
            "p_offset": round_sig(self.p_offset),
        }
        if self.law in LANCHESTER:
            out["exponent"] = round_sig(self.exponent)
        else:
            out["leakage"] = round_sig(self.leakage)
            out["worst_raid_leakage"] = round_sig(self.worst_raid_leakage)
        if self.uncertainty is not None:
            out["uncertainty"] = {k: round_sig(v) for k, v in self.uncertainty.items()}
        return out


@dataclass(frozen=True)
class CriticalSystem:
    """A blue system (or class) whose loss changes a critical contest's judgement.

    ``flips`` maps contest id -> the judgement without it; ``p_certified_drop``
    is how much the probability that every critical contest holds falls.
    """

    kind: str  # "system" or "class"
    id: str
    name: str
    flips: tuple[str, ...]
    index_without: float | None
    judgements_without: tuple[tuple[str, str], ...] = ()
    p_certified_without: float | None = None
    p_certified_drop: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "flips": list(self.flips),
            "judgements_without": dict(self.judgements_without),
            "p_certified_without": round_sig(self.p_certified_without),
            "p_certified_drop": round_sig(self.p_certified_drop),
            "index_without": round_sig(self.index_without),
        }


@dataclass(frozen=True)
class CampaignSystem:
    """One interceptor system over the air campaign (first sample: the point estimate)."""

    system: str
    name: str
    class_: str
    layer: int
    fired: float
    kills: float
    exhausted_day: int | None
    kills_by_class: tuple[tuple[str, float], ...] = ()
    stock: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "fired": round_sig(self.fired),
            "kills": round_sig(self.kills),
            "exhausted_day": self.exhausted_day,
        }


@dataclass(frozen=True)
class RaidRecord:
    """One raid of the campaign (point estimate): launched and leaked per threat class."""

    day: int
    raid: str
    launched: tuple[tuple[str, float], ...]
    leaked: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Assessment:
    """The whole answer: per-contest results, certification and index."""

    blue: str
    red: str
    as_of: dict[str, str]
    inputs_sha256: str
    engine_version: str
    certified: bool
    index: float | None
    contests: tuple[ContestResult, ...]
    thresholds: dict[str, float] = field(default_factory=dict)
    critical_systems: tuple[CriticalSystem, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    determination: str = ""
    p_certified: float | None = None
    samples: int = 0
    seed: int = 0
    confidence: float = 0.8
    campaign: tuple[CampaignSystem, ...] = ()
    raids: tuple[RaidRecord, ...] = ()
    campaign_days: int = 0
    critical_samples: int = 0
    warnings: tuple[str, ...] = ()

    def contest(self, contest_id: str) -> ContestResult | None:
        for c in self.contests:
            if c.id == contest_id:
                return c
        return None

    @property
    def shortfalls(self) -> list[ContestResult]:
        """Contests in shortfall, critical ones first."""
        return sorted(
            (c for c in self.contests if c.verdict == "shortfall"),
            key=lambda c: (not c.critical, c.id),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "blue": self.blue,
            "red": self.red,
            "as_of": dict(self.as_of),
            "inputs_sha256": self.inputs_sha256,
            "engine_version": self.engine_version,
            "certified": self.certified,
            "determination": self.determination,
            "p_certified": round_sig(self.p_certified),
            "index": round_sig(self.index),
            "contests": [c.to_json() for c in self.contests],
            "iamd": {"systems": [s.to_json() for s in self.campaign]},
        }
        if self.samples:
            out["samples"] = self.samples
            out["seed"] = self.seed
            out["confidence"] = self.confidence
        if self.critical_systems is not None:
            out["critical_systems"] = [c.to_json() for c in self.critical_systems]
        out.update(self.extra)
        return out
