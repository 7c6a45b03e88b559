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

__all__ = [
    "LAWS",
    "CapabilityClass",
    "Catalog",
    "Contest",
    "Correlation",
    "Engagement",
    "Fires",
    "Iamd",
    "Thresholds",
]

Law = Literal["square", "linear", "power", "iamd"]
LAWS: tuple[str, ...] = ("square", "linear", "power", "iamd")
LANCHESTER_LAWS: tuple[str, ...] = ("square", "linear", "power")


class Fires(FrozenModel):
    """A gun or launcher limited by ammunition: what it fires and how fast."""

    munition: Slug = Field(description="A munition class (a catalog class priced per round).")
    rate: Annotated[Estimate, est(gt=0)] = Field(
        description="Rounds one unit fires a day at the assessed intensity."
    )
    rationale: str | None = None


class Engagement(FrozenModel):
    """One line of an interceptor class's `engages` list (in engagement priority order)."""

    threat: Slug = Field(description="A threat class.")
    pk: Probability = Field(description="Single-shot kill probability vs a threat of quality 1.")
    shots: Annotated[Estimate, est(ge=1, le=8)] = Field(
        default=Estimate.point(1), description="Rounds fired per target (shoot-look-shoot: 1-2)."
    )
    rationale: str | None = None


class CapabilityClass(FrozenModel):
    """A class of systems with one baseline (e.g. `mbt`, `lr_sam`)."""

    domain: Slug = Field(description="land, air, air_defence, maritime, strike, ew, ...")
    branch: Slug = Field(description="Service branch whose `training` multiplier applies.")
    unit: NonEmptyStr = Field(description="What one unit is: tank, battery, aircraft, ...")
    unit_cost_musd: NonNegative = Field(description="Cost of one unit, million USD.")
    name: str | None = None
    description: str | None = None
    fires: Fires | None = Field(
        default=None, description="Guns and launchers limited by ammunition."
    )
    shots_per_raid: NonNegative | None = Field(
        default=None,
        description="Interceptor classes: rounds one ready unit can fire in one raid "
        "(ready launchers and fire channels).",
    )
    coverage: Probability | None = Field(
        default=None,
        description="Interceptor classes: share of a raid's threats that pass within reach of "
        "this class's units (0-1).",
    )
    coverage_per_unit: Probability | None = Field(
        default=None,
        description="Interceptor classes, instead of `coverage`: share of a raid's threats within "
        "reach of ONE ready unit; the class covers 1 - (1 - coverage_per_unit)^(ready units), so "
        "more fire units defend more of the country (independent placement).",
    )
    engages: list[Engagement] = Field(
        default_factory=list,
        description="Interceptor classes: threats engaged, in priority order.",
    )
    round_cost_musd: NonNegative | None = Field(
        default=None,
        description="Interceptor classes: cost of one interceptor round (optimiser buys rounds).",
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
        default_factory=dict,
        description="Lanchester laws: red classes -> weight (threat units per system unit).",
    )
    counters: dict[Slug, Positive] = Field(
        default_factory=dict,
        description="Blue classes -> offset coefficient (threat units one counter unit is worth).",
    )
    exponent: Annotated[Estimate, est(ge=1, le=4)] | None = Field(
        default=None,
        description="Lanchester exponent p (number or range): `square` defaults it to 2, "
        "`linear` to 1, `power` requires it. Below 1, adding units of low quality would lower "
        "the balance, so p >= 1 is required.",
    )
    threats: list[Slug] = Field(
        default_factory=list, description="`iamd`: threat classes whose leakage it scores."
    )
    acceptable_leakage: Annotated[Estimate, est(gt=0, lt=1)] | None = Field(
        default=None, description="`iamd`: leakage (0-1) at which the balance is 1."
    )
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


class Iamd(FrozenModel):
    """Integrated air and missile defence: the interceptor classes, outer to inner."""

    layers: list[Slug] = Field(min_length=1, description="Interceptor classes, outer to inner.")
    rationale: str | None = None


class Catalog(FrozenModel):
    """The shared definitions every inventory is read against."""

    sources: dict[Id, Source] = Field(default_factory=dict)
    campaign_days: Annotated[int, Field(ge=1, le=3650, strict=True)] = Field(
        default=90, description="Horizon (days) of the air campaign and of ammunition supply."
    )
    classes: dict[Slug, CapabilityClass] = Field(min_length=1)
    iamd: Iamd | None = Field(default=None, description="Layers of the air campaign.")
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
