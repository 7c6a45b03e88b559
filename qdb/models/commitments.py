"""Partner commitments: multi-year instruments, funding and deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StrictInt

from qdb.models.base import FrozenModel, Id, NonEmptyStr, NonNegative, Slug, Source

__all__ = ["Commitment", "Delivery", "YearSpan"]

Year = Annotated[StrictInt, Field(ge=1990, le=2100)]


class YearSpan(FrozenModel):
    """Years an instrument covers, inclusive."""

    first: Year
    last: Year


class Delivery(FrozenModel):
    """Units of a class (and named system) due or delivered in a year."""

    class_: Slug = Field(alias="class")
    system: Id = Field(
        description="System id in the recipient's inventory; a new id adds a new system."
    )
    name: str | None = Field(default=None, description="Display name (new systems).")
    quantity: NonNegative
    year: Year
    status: Literal["pledged", "delivered"]
    value_musd: NonNegative | None = Field(
        default=None, description="Value of this delivery; default: quantity x unit cost."
    )
    notes: str | None = None


class Commitment(FrozenModel):
    """One partner instrument (MOU, bilateral security agreement, pledge)."""

    partner: NonEmptyStr
    bloc: Literal["us", "europe", "other"] = Field(
        default="europe", description="For the burden-share view."
    )
    recipient: Slug = "ukraine"
    instrument: NonEmptyStr
    signed: dt.date
    years: YearSpan
    funding_musd: dict[Year, NonNegative] = Field(
        default_factory=dict, description="Year -> funding, million USD."
    )
    deliveries: list[Delivery] = Field(default_factory=list)
    source: Source
    notes: str | None = None
