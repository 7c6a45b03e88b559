"""The catalog: capability classes, enablers by domain, contests and thresholds."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from qdb.models.base import (
    FrozenModel,
    Id,
    NonEmptyStr,
    NonNegative,
    Positive,
    Probability,
    Slug,
    Source,
)
from qdb.models.estimate import Estimate, est

__all__ = ["LAWS", "CapabilityClass", "Catalog", "Contest", "Correlation", "Thresholds"]

Law = Literal["square", "linear", "power", "layered_defence"]
LAWS: tuple[str, ...] = ("square", "linear", "power", "layered_defence")


class CapabilityClass(FrozenModel):
    """A class of systems with one baseline (e.g. `mbt`, `lr_sam`)."""

    domain: Slug = Field(description="land, air, air_defence, maritime, strike, ew, ...")
    branch: Slug = Field(description="Service branch whose `training` multiplier applies.")
    unit: NonEmptyStr = Field(description="What one unit is: tank, battery, aircraft, ...")
    unit_cost_musd: NonNegative = Field(description="Cost of one unit, million USD.")
    name: str | None = None
    description: str | None = None
    pk: Probability | None = Field(
        default=None, description="Layer classes: single-shot kill probability."
    )
    shots_per_day: NonNegative | None = Field(
        default=None, description="Layer classes: engagements a unit can fire a day."
    )
    source: Id | None = Field(default=None, description="Id in the catalog `sources`.")
    rationale: str | None = None
    supply_limit_per_year: NonNegative | None = Field(
        default=None, description="Most extra units partners could supply a year (optimiser)."
    )


class Contest(FrozenModel):
    """A red advantage and the blue capabilities that counter it."""

    id: Slug
    title: NonEmptyStr
    domain: Slug
    law: Law
    critical: bool = False
    weight: Annotated[Estimate, est(gt=0)] = Field(default=Estimate.point(1))
    threat: dict[Slug, Positive] = Field(
        min_length=1, description="Red classes -> weight (threat units per system unit)."
    )
    counters: dict[Slug, Positive] = Field(
        default_factory=dict,
        description="Blue classes -> offset coefficient (threat units one counter unit is worth).",
    )
    exponent: Annotated[Estimate, est(ge=1, le=4)] | None = Field(
        default=None,
        description="`power` law only: the exponent p (1 = linear, 2 = square). Below 1, adding "
        "units of low quality would lower the balance, so p >= 1 is required.",
    )
    layers: list[Slug] = Field(
        default_factory=list, description="`layered_defence`: blue classes, outer to inner."
    )
    acceptable_leakage: Annotated[Estimate, est(gt=0, lt=1)] | None = None
    campaign_days: Annotated[Estimate, est(gt=0)] | None = None
    rationale: NonEmptyStr
    sources: list[Id] = Field(default_factory=list, description="Ids in the catalog `sources`.")


class Thresholds(FrozenModel):
    """Balance thresholds of the verdicts."""

    matched: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 0.9
    offset: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.1


class Correlation(FrozenModel):
    """A declared rank correlation between two uncertain inputs (Monte Carlo).

    Inputs are named like what-if edit targets, e.g. ``russia:geran2.per_day``,
    ``ukraine:training.air`` or ``catalog:contests.strike.threat.cruise_missile``.
    """

    between: Annotated[list[NonEmptyStr], Field(min_length=2, max_length=2)]
    rho: Annotated[float, Field(ge=-0.99, le=0.99, allow_inf_nan=False)]
    rationale: NonEmptyStr


class Catalog(FrozenModel):
    """The shared definitions every inventory is read against."""

    sources: dict[Id, Source] = Field(default_factory=dict)
    classes: dict[Slug, CapabilityClass] = Field(min_length=1)
    enablers_by_domain: dict[Slug, list[Slug]] = Field(default_factory=dict)
    contests: list[Contest] = Field(min_length=1)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    correlations: list[Correlation] = Field(default_factory=list)

    def contest(self, contest_id: str) -> Contest | None:
        """The contest with this id, or None."""
        for c in self.contests:
            if c.id == contest_id:
                return c
        return None
