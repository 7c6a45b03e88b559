"""Typed results of an assessment (pure data; the JSON contract lives here).

``Assessment.to_json()`` produces exactly the keys of DESIGN.md, in its order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Assessment", "ContestResult", "Contributor", "CriticalSystem", "round_sig"]

VERDICTS = ("offset", "matched", "shortfall", "uncontested")
HOLDING = frozenset({"offset", "matched", "uncontested"})
FACTOR_NAMES = ("numbers", "equipment", "training", "technology", "interaction")


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
    days_of_interceptors: float | None = None
    layers: tuple[dict[str, Any], ...] = ()
    rationale: str = ""

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
        }
        if self.law == "layered_defence":
            out["leakage"] = round_sig(self.leakage)
            out["days_of_interceptors"] = round_sig(self.days_of_interceptors)
        return out


@dataclass(frozen=True)
class CriticalSystem:
    """A blue system (or class) whose loss flips critical contests into shortfall."""

    kind: str  # "system" or "class"
    id: str
    name: str
    flips: tuple[str, ...]
    index_without: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "flips": list(self.flips),
            "index_without": round_sig(self.index_without),
        }


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
            "index": round_sig(self.index),
            "contests": [c.to_json() for c in self.contests],
        }
        if self.critical_systems is not None:
            out["critical_systems"] = [c.to_json() for c in self.critical_systems]
        out.update(self.extra)
        return out
