"""Uncertain numbers: a plain number or ``{low, estimate, high}``.

Every figure in the data may be given as a point (``quantity: 120``) or as a
range (``quantity: {low: 90, estimate: 120, high: 160}``). Both validate into
an :class:`Estimate`; the point value used by the deterministic engine is
``estimate``, and Monte Carlo draws from the triangular distribution
``(low, estimate, high)``.

Bounds are attached per field with :func:`est`::

    quantity: Annotated[Estimate, est(ge=0)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

__all__ = ["Estimate", "EstimateBounds", "est"]

_RANGE_KEYS = ("low", "estimate", "high")

MAX_MAGNITUDE = 1e12
"""No figure in qdb's data is larger (keeps every computation finite)."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point value with an optional range.

    Parameters
    ----------
    low, estimate, high : float
        ``low <= estimate <= high``. A point has all three equal.
    ranged : bool
        True when the data gave ``{low, estimate, high}`` (even if equal).

    Examples
    --------
    >>> Estimate.point(3).value
    3
    >>> Estimate(1, 2, 4, True).scaled(2)
    Estimate(low=2, estimate=4, high=8, ranged=True)
    """

    low: float
    estimate: float
    high: float
    ranged: bool = False

    @classmethod
    def point(cls, value: float) -> Estimate:
        """A point estimate (no range)."""
        return cls(value, value, value, False)

    @property
    def value(self) -> float:
        """The point value (``estimate``)."""
        return self.estimate

    @property
    def uncertain(self) -> bool:
        """True when ``low < high`` (Monte Carlo draws this input)."""
        return self.low < self.high

    def scaled(self, factor: float) -> Estimate:
        """Multiply low, estimate and high by ``factor`` (ranges scale as a whole)."""
        vals = [_tidy(v * factor) for v in (self.low, self.estimate, self.high)]
        if factor < 0:
            vals.reverse()
        return Estimate(vals[0], vals[1], vals[2], self.ranged)

    def shifted(self, delta: float) -> Estimate:
        """Add ``delta`` to low, estimate and high."""
        return Estimate(
            _tidy(self.low + delta),
            _tidy(self.estimate + delta),
            _tidy(self.high + delta),
            self.ranged,
        )

    def to_data(self) -> float | dict[str, float]:
        """The YAML/JSON form: a number for a point, a mapping for a range."""
        if self.ranged:
            return {"low": self.low, "estimate": self.estimate, "high": self.high}
        return self.estimate


def _tidy(x: float) -> float:
    """Keep integral results integral (``4 + 2`` stays ``6``, not ``6.0``)."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


@dataclass(frozen=True)
class EstimateBounds:
    """Pydantic annotation validating an :class:`Estimate` field within bounds."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    def describe(self) -> str:
        parts = []
        if self.ge is not None:
            parts.append(f">= {self.ge:g}")
        if self.gt is not None:
            parts.append(f"> {self.gt:g}")
        if self.le is not None:
            parts.append(f"<= {self.le:g}")
        if self.lt is not None:
            parts.append(f"< {self.lt:g}")
        return " and ".join(parts)

    def check(self, x: float) -> bool:
        return not (
            (self.ge is not None and x < self.ge)
            or (self.gt is not None and x <= self.gt)
            or (self.le is not None and x > self.le)
            or (self.lt is not None and x >= self.lt)
        )

    # -- pydantic hooks -------------------------------------------------
    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda e: e.to_data() if isinstance(e, Estimate) else e
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        num: dict[str, Any] = {"type": "number"}
        if self.ge is not None:
            num["minimum"] = self.ge
        if self.gt is not None:
            num["exclusiveMinimum"] = self.gt
        if self.le is not None:
            num["maximum"] = self.le
        if self.lt is not None:
            num["exclusiveMaximum"] = self.lt
        return {
            "oneOf": [
                num,
                {
                    "type": "object",
                    "description": "A range; low <= estimate <= high. Monte Carlo draws "
                    "from the triangular distribution (low, estimate, high).",
                    "properties": {k: dict(num) for k in _RANGE_KEYS},
                    "required": list(_RANGE_KEYS),
                    "additionalProperties": False,
                },
            ]
        }

    def _number(self, x: Any, where: str) -> float:
        if isinstance(x, bool) or not isinstance(x, int | float):
            raise PydanticCustomError(
                "estimate_type",
                "{where}must be a number{or_range}, not {got}{hint}",
                {
                    "where": where,
                    "or_range": "" if where else " or a range {low, estimate, high}",
                    "got": _describe(x),
                    "hint": _number_hint(x),
                },
            )
        if isinstance(x, float) and not math.isfinite(x):
            raise PydanticCustomError(
                "estimate_finite",
                "{where}must be a finite number, not {got}",
                {"where": where, "got": repr(x)},
            )
        if abs(x) > MAX_MAGNITUDE:
            got = f"a {len(str(abs(x)))}-digit number" if isinstance(x, int) else f"{x:g}"
            raise PydanticCustomError(
                "estimate_magnitude",
                "{where}is implausibly large ({got}); qdb figures stay below 1e12",
                {"where": where, "got": got},
            )
        if not self.check(x):
            raise PydanticCustomError(
                "estimate_bounds",
                "{where}must be {bounds} (got {got})",
                {"where": where, "bounds": self.describe(), "got": f"{x:g}"},
            )
        # ruamel returns int/float subclasses; keep plain builtins
        return int(x) if isinstance(x, int) else float(x)

    def _validate(self, v: Any) -> Estimate:
        if isinstance(v, Estimate):
            for k in _RANGE_KEYS:
                self._number(getattr(v, k), f"{k} " if v.ranged else "")
            return v
        if isinstance(v, dict):
            unknown = [str(k) for k in v if k not in _RANGE_KEYS]
            if unknown:
                raise PydanticCustomError(
                    "estimate_keys",
                    "unknown key {keys} in a range; a range has exactly low, estimate, high",
                    {"keys": ", ".join(repr(k) for k in unknown)},
                )
            missing = [k for k in _RANGE_KEYS if k not in v]
            if missing:
                raise PydanticCustomError(
                    "estimate_keys",
                    "a range needs low, estimate and high; missing {keys}",
                    {"keys": ", ".join(missing)},
                )
            lo, mid, hi = (self._number(v[k], f"{k} ") for k in _RANGE_KEYS)
            if not lo <= mid <= hi:
                raise PydanticCustomError(
                    "estimate_order",
                    "range must satisfy low <= estimate <= high (got {got})",
                    {"got": f"{lo:g}, {mid:g}, {hi:g}"},
                )
            return Estimate(lo, mid, hi, True)
        return Estimate.point(self._number(v, ""))


def _describe(x: Any) -> str:
    """A value as a user would name it in a message."""
    if x is None:
        return "empty (null)"
    if isinstance(x, bool):
        return f"{str(x).lower()} (true/false)"
    if isinstance(x, str):
        return f"text {x[:40]!r}"
    if isinstance(x, list | tuple):
        return "a list"
    if isinstance(x, dict):
        return "a mapping"
    return f"{type(x).__name__} {repr(x)[:40]}"


def _number_hint(x: Any) -> str:
    """``; write 600 without quotes`` for quoted numbers, else nothing."""
    if isinstance(x, str):
        try:
            float(x.replace("_", ""))
        except ValueError:
            return ""
        return f"; write {x.strip()} without quotes"
    return ""


def est(
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
) -> EstimateBounds:
    """Bounds for an :class:`Estimate` field, used inside ``Annotated``."""
    return EstimateBounds(ge=ge, gt=gt, le=le, lt=lt)
