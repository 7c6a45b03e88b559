"""Partner commitments: multi-year instruments, funding and deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StrictInt, model_validator

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
        default=None,
        description="Value of this delivery, million USD; give it when the class's unit cost "
        "does not fit the system (patrol boats are not frigates). Default: quantity x unit cost.",
    )
    delivered_by: dt.date | None = Field(
        default=None,
        description="status delivered: the date by which it had arrived. A snapshot dated on or "
        "after it holds it already, so it is never added again.",
    )
    notes: str | None = None

    @model_validator(mode="after")
    def _delivered_by_needs_delivered(self) -> Delivery:
        if self.delivered_by is not None:
            if self.status != "delivered":
                raise ValueError("`delivered_by` is only for status delivered")
            if self.delivered_by.year > self.year:
                raise ValueError(
                    f"delivered_by {self.delivered_by.isoformat()} is after the delivery's "
                    f"year {self.year}"
                )
        return self

    def held_at(self, as_of: dt.date) -> bool:
        """Whether a snapshot dated ``as_of`` already holds this delivery.

        Delivered with ``delivered_by`` on or before ``as_of``, or delivered in
        a year before ``as_of``'s year (no date given).

        Parameters
        ----------
        as_of : datetime.date
            The inventory snapshot's date.

        Returns
        -------
        bool
            True if adding the delivery to that snapshot would count it twice.
        """
        if self.status != "delivered":
            return False
        if self.delivered_by is not None:
            return self.delivered_by <= as_of
        return self.year < as_of.year


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
