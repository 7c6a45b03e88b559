"""Shared pieces of the data-file models."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from qdb.models.estimate import Estimate, est

__all__ = [
    "Basis",
    "FrozenModel",
    "Id",
    "Multiplier",
    "NonEmptyStr",
    "NonNegative",
    "Positive",
    "Probability",
    "Provenance",
    "Slug",
    "Source",
    "SourceKind",
]

Basis = Literal["quoted", "derived", "judgement"]
"""How a figure was obtained: stated by its source, computed from sourced figures, or judged."""

SourceKind = Literal["primary", "secondary", "claim"]
"""The compiler or government itself; press reporting a primary; a belligerent's own statement."""


class FrozenModel(BaseModel):
    """Base of every data model: immutable, unknown keys forbidden, no NaN/inf."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
        populate_by_name=True,
        str_strip_whitespace=True,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_controls_no_numeric_dates(cls, v: Any, info: ValidationInfo) -> Any:
        """Refuse control characters in text (after YAML escapes) and numbers as dates."""
        if isinstance(v, int | float) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            if field is not None and _is_date(field.annotation):
                raise PydanticCustomError(
                    "date_type", "must be a date YYYY-MM-DD, not a number (got {got})", {"got": v}
                )
        _check_text(v)
        return v


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 and C1 control characters and DEL; tab and newline are allowed (long text)."""


def _check_text(v: Any) -> None:
    """Raise for a control character in ``v`` or in the strings directly inside it."""
    items: list[Any]
    if isinstance(v, str):
        items = [v]
    elif isinstance(v, dict):
        items = [*v, *(x for x in v.values() if isinstance(x, str))]
    elif isinstance(v, list | tuple):
        items = [x for x in v if isinstance(x, str)]
    else:
        return
    for s in items:
        if isinstance(s, str):
            m = _CONTROL.search(s)
            if m:
                raise PydanticCustomError(
                    "control_character",
                    "contains the control character U+{code} (at character {pos}); "
                    "text may not hold terminal escapes or other control characters",
                    {"code": f"{ord(m.group()):04X}", "pos": m.start() + 1},
                )


def _is_date(annotation: Any) -> bool:
    """True for ``date`` and ``date | None`` (datetime is a date too)."""
    if isinstance(annotation, type):
        return issubclass(annotation, dt.date)
    return any(isinstance(a, type) and issubclass(a, dt.date) for a in get_args(annotation))


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
    kind: SourceKind | None = Field(
        default=None,
        description="primary (the compiler or government itself), secondary (press reporting a "
        "primary: name it in notes) or claim (a belligerent's own statement).",
    )
    notes: str | None = None


class Provenance(FrozenModel):
    """How a figure was obtained (mixed into systems, munitions and multipliers).

    ``basis: quoted`` needs ``quote`` (the source's own sentence with the number);
    ``derived`` needs ``derivation`` (the arithmetic from sourced figures);
    ``judgement`` rests on the record's ``rationale`` or ``notes``.
    """

    basis: Basis | None = Field(
        default=None, description="quoted, derived or judgement (`qdb validate` warns if absent)."
    )
    quote: str | None = Field(
        default=None, description="basis quoted: the source's own sentence containing the number."
    )
    derivation: str | None = Field(
        default=None,
        description="basis derived: how the figure was computed from sourced figures.",
    )

    @model_validator(mode="after")
    def _basis_has_its_evidence(self) -> Provenance:
        if self.basis == "quoted" and not self.quote:
            raise ValueError("basis quoted needs `quote`: the source's sentence with the number")
        if self.basis == "derived" and not self.derivation:
            raise ValueError("basis derived needs `derivation`: how the figure was computed")
        if self.basis == "judgement" and not (
            getattr(self, "rationale", None) or getattr(self, "notes", None)
        ):
            raise ValueError("basis judgement needs a `rationale` or `notes` saying on what")
        return self


class Multiplier(Provenance):
    """A quality multiplier (Dupuy convention: 1.0 = NATO-standard baseline)."""

    value: Annotated[Estimate, est(gt=0, le=10)]
    rationale: NonEmptyStr = Field(description="Why this value: the public assessment it rests on.")
    source: str | None = Field(default=None, description="Optional id of a source in `sources`.")
