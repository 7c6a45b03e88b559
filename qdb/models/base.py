"""Shared pieces of the data-file models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from qdb.models.estimate import Estimate, est

__all__ = [
    "FrozenModel",
    "Id",
    "Multiplier",
    "NonEmptyStr",
    "NonNegative",
    "Positive",
    "Probability",
    "Slug",
    "Source",
]


class FrozenModel(BaseModel):
    """Base of every data model: immutable, unknown keys forbidden, no NaN/inf."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
        populate_by_name=True,
        str_strip_whitespace=True,
    )


Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
"""Lower-case identifier: letters, digits, underscores; starts with a letter."""

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$", max_length=80)]
"""A system or source identifier: letters, digits, ``_`` and ``-``."""

NonEmptyStr = Annotated[str, StringConstraints(min_length=1, max_length=4000)]

NonNegative = Annotated[Estimate, est(ge=0)]
Positive = Annotated[Estimate, est(gt=0)]
Probability = Annotated[Estimate, est(ge=0, le=1)]


class Source(FrozenModel):
    """A public source: every figure in the data names one."""

    title: NonEmptyStr
    publisher: NonEmptyStr
    date: dt.date = Field(description="Publication or access date (YYYY-MM-DD).")
    url: NonEmptyStr = Field(description="Address of the document.")
    notes: str | None = None


class Multiplier(FrozenModel):
    """A quality multiplier (Dupuy convention: 1.0 = NATO-standard baseline)."""

    value: Annotated[Estimate, est(gt=0, le=10)]
    rationale: NonEmptyStr = Field(description="Why this value: the public assessment it rests on.")
    source: str | None = Field(default=None, description="Optional id of a source in `sources`.")
