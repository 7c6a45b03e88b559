"""Verdicts, judgements and the determination (pure).

* ``verdict`` — of a point balance: ``offset`` if β ≥ thresholds.offset,
  ``matched`` if β ≥ thresholds.matched, else ``shortfall``; β is rounded to
  12 significant digits first, so float noise never decides a verdict.
* ``judgement`` — under uncertainty, at confidence c: ``offset`` if P(β ≥
  offset) ≥ c, else ``matched`` if P(β ≥ matched) ≥ c, else ``shortfall`` if
  P(β < matched) ≥ c, else ``indeterminate``.
* ``determination`` — ``certified`` if P(every critical contest holds) ≥ c,
  ``not_certified`` if it is ≤ 1 − c, else ``indeterminate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    BoolArray = npt.NDArray[np.bool_]

__all__ = [
    "at_least",
    "determination",
    "judgement",
    "rounded",
    "verdict",
]


def rounded(x: float) -> float:
    """``x`` rounded to 12 significant digits (the precision verdicts are decided at)."""
    return float(f"{x:.12g}")


def verdict(balance: float | None, matched: float, offset: float) -> str:
    """The point verdict; ``uncontested`` when ``balance`` is None.

    Examples
    --------
    >>> verdict(1.1000000000000001, 0.9, 1.1)
    'offset'
    >>> verdict(1.0999999999, 0.9, 1.1)
    'matched'
    >>> verdict(None, 0.9, 1.1)
    'uncontested'
    """
    if balance is None:
        return "uncontested"
    b = rounded(balance)
    if b >= offset:
        return "offset"
    if b >= matched:
        return "matched"
    return "shortfall"


def at_least(balances: FloatArray, threshold: float) -> BoolArray:
    """Element-wise ``rounded(β) ≥ threshold``; NaN (uncontested) counts as True.

    Only values within 1e-10 of the threshold are rounded one by one; the rest
    compare directly (rounding cannot move them across).
    """
    import numpy as np

    ok: Any = np.isnan(balances) | (balances >= threshold)
    near = np.nonzero(np.abs(balances - threshold) <= 1e-10 * abs(threshold))
    for idx in zip(*near, strict=True):
        ok[idx] = rounded(float(balances[idx])) >= threshold
    out: BoolArray = ok
    return out


def judgement(p_offset: float, p_holds: float, confidence: float) -> str:
    """The judgement of one contest at ``confidence`` (see module docstring).

    Examples
    --------
    >>> judgement(0.85, 0.99, 0.8)
    'offset'
    >>> judgement(0.5, 0.9, 0.8)
    'matched'
    >>> judgement(0.0, 0.1, 0.8)
    'shortfall'
    >>> judgement(0.1, 0.5, 0.8)
    'indeterminate'
    """
    if p_offset >= confidence:
        return "offset"
    if p_holds >= confidence:
        return "matched"
    if rounded(1.0 - p_holds) >= confidence:
        return "shortfall"
    return "indeterminate"


def determination(p_certified: float, confidence: float) -> str:
    """``certified`` / ``not_certified`` / ``indeterminate`` (see module docstring).

    Examples
    --------
    >>> determination(0.8, 0.8), determination(0.2, 0.8), determination(0.5, 0.8)
    ('certified', 'not_certified', 'indeterminate')
    """
    if p_certified >= confidence:
        return "certified"
    if p_certified <= rounded(1.0 - confidence):
        return "not_certified"
    return "indeterminate"
