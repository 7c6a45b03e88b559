"""Force inventory: one side's systems, training and enablers at one date."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from qdb.models.base import (
    FrozenModel,
    Id,
    Multiplier,
    NonEmptyStr,
    NonNegative,
    Positive,
    Probability,
    Provenance,
    Slug,
    Source,
)
from qdb.models.estimate import Estimate, est

__all__ = ["ClassDynamics", "Inventory", "Munition", "Raid", "System"]

RESERVED_SYSTEM_IDS = frozenset({"training", "enablers"})


class System(Provenance):
    """One line of an inventory: a named weapon system in a catalog class."""

    id: Id = Field(description="Unique in the file; `training` and `enablers` are reserved.")
    name: NonEmptyStr
    class_: Slug = Field(alias="class", description="A class id from the catalog.")
    quantity: NonNegative = Field(description="Units held (launchers, airframes, hulls, ...).")
    readiness: Probability = Field(
        default=Estimate.point(1), description="Share of `quantity` available (0-1)."
    )
    quality: Positive = Field(
        default=Estimate.point(1),
        description="Per-unit effectiveness multiplier vs the class baseline (1.0).",
    )
    source: Id = Field(description="Id of an entry in this file's `sources`.")
    origin: str | None = Field(default=None, description="Supplier country or producer.")
    stock: NonNegative | None = Field(
        default=None,
        description="Interceptor systems: rounds held (none = unlimited). Red threat systems: "
        "rounds on hand at day 0 (none = `quantity`).",
    )
    per_day: NonNegative | None = Field(
        default=None,
        description="Interceptor systems: rounds resupplied a day. Red threat systems: rounds "
        "produced a day. Added each morning from day 1 of the air campaign.",
    )
    notes: str | None = None


class Munition(Provenance):
    """Rounds of one munition class a side holds and receives (ammunition-limited fires)."""

    stock: NonNegative = Field(description="Rounds on hand at the snapshot date.")
    per_day: NonNegative = Field(
        default=Estimate.point(0),
        description="Rounds a day from production and deliveries.",
    )
    source: Id = Field(description="Id of an entry in this file's `sources`.")
    notes: str | None = None


class Raid(FrozenModel):
    """A recurring strike package of the red side (the air campaign)."""

    id: Id
    every_days: Annotated[int, Field(ge=1, le=3650, strict=True)] = Field(
        description="Days between raids (1 = every day)."
    )
    first_day: Annotated[int, Field(ge=0, le=3650, strict=True)] = Field(
        default=0, description="Campaign day of the first raid (day 0 is the first day)."
    )
    size: dict[Id, NonNegative] = Field(
        min_length=1, description="Threat system id -> rounds launched per raid."
    )
    source: Id | None = Field(default=None, description="Id in this file's `sources`.")
    notes: str | None = None


class ClassDynamics(FrozenModel):
    """How a class's holdings change over time (used by projection)."""

    production_per_year: NonNegative = Field(
        default=Estimate.point(0), description="New or reactivated units a year."
    )
    attrition_per_year: Annotated[Estimate, est(ge=0, le=1)] = Field(
        default=Estimate.point(0), description="Share of holdings lost a year (0-1)."
    )
    stock_production_per_year: NonNegative | None = Field(
        default=None, description="Rounds or interceptors produced a year."
    )
    source: Id
    rationale: NonEmptyStr


class Inventory(FrozenModel):
    """One side at one date (a snapshot)."""

    side: Slug = Field(description="`ukraine`, `russia`, ...")
    name: NonEmptyStr
    as_of: dt.date
    description: str | None = None
    sources: dict[Id, Source] = Field(min_length=1)
    training: dict[Slug, Multiplier] = Field(default_factory=dict)
    enablers: dict[Slug, Multiplier] = Field(default_factory=dict)
    systems: list[System] = Field(default_factory=list)
    dynamics: dict[Slug, ClassDynamics] = Field(
        default_factory=dict, description="Per catalog class: production and attrition rates."
    )
    munitions: dict[Slug, Munition] = Field(
        default_factory=dict,
        description="Munition class -> rounds on hand and a day (classes with `fires` use them).",
    )
    raids: list[Raid] = Field(
        default_factory=list, description="Red side: the recurring raids of the air campaign."
    )
    notes: str | None = None

    def system(self, system_id: str) -> System | None:
        """The system with this id, or None."""
        for s in self.systems:
            if s.id == system_id:
                return s
        return None
