"""The interface every contest law implements, and shared helpers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from qdb.graph import Participant
from qdb.models import Contest, Thresholds
from qdb.results import ContestResult, Contributor

__all__ = ["ContestModel", "contributors", "result", "verdict"]


class ContestModel(Protocol):
    """A law: evaluates one contest from its blue and red participants."""

    def __call__(
        self,
        contest: Contest,
        blue: Sequence[Participant],
        red: Sequence[Participant],
        thresholds: Thresholds,
    ) -> ContestResult: ...


def verdict(balance: float | None, thresholds: Thresholds) -> str:
    """``offset`` / ``matched`` / ``shortfall``; ``uncontested`` when balance is None.

    β is rounded to 12 significant digits before the comparison, so that a
    balance equal to a threshold up to floating-point noise counts as reaching it.

    Examples
    --------
    >>> from qdb.models import Thresholds
    >>> verdict(1.1000000000000001, Thresholds())
    'offset'
    >>> verdict(0.8, Thresholds())
    'shortfall'
    """
    if balance is None:
        return "uncontested"
    b = float(f"{balance:.12g}")
    if b >= thresholds.offset:
        return "offset"
    if b >= thresholds.matched:
        return "matched"
    return "shortfall"


def contributors(
    parts: Sequence[Participant], strength: Callable[[Participant], float]
) -> tuple[Contributor, ...]:
    """Each system's share of its side's total ``strength``, largest first (ties by id)."""
    vals = [(p, strength(p)) for p in parts]
    total = sum(v for _, v in vals)
    out = [
        Contributor(
            system=p.system.id,
            share=(v / total) if total > 0 else 0.0,
            name=p.system.name,
            class_=p.class_,
            units=p.units,
            quality=p.q,
        )
        for p, v in vals
    ]
    out.sort(key=lambda c: (-c.share, c.system))
    return tuple(out)


def result(
    contest: Contest, balance: float | None, thresholds: Thresholds, **numbers: Any
) -> ContestResult:
    """A :class:`ContestResult` with the contest's own fields and the verdict filled in.

    ``numbers`` are the law's results (units, ratios, factors, contributors, ...).
    """
    return ContestResult(
        id=contest.id,
        title=contest.title,
        law=contest.law,
        domain=contest.domain,
        critical=contest.critical,
        weight=contest.weight.value,
        balance=balance,
        verdict=verdict(balance, thresholds),
        rationale=contest.rationale,
        **numbers,
    )
