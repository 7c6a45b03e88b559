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
    Slug,
    Source,
)
from qdb.models.estimate import Estimate, est

__all__ = ["ClassDynamics", "Inventory", "System"]

RESERVED_SYSTEM_IDS = frozenset({"training", "enablers"})


class System(FrozenModel):
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
        default=None, description="Rounds or interceptors held (layered defence rations them)."
    )
    per_day: NonNegative | None = Field(
        default=None, description="Launches or sorties a day (threats in layered defence)."
    )
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
    notes: str | None = None

    def system(self, system_id: str) -> System | None:
        """The system with this id, or None."""
        for s in self.systems:
            if s.id == system_id:
                return s
        return None
