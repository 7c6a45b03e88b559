"""Contest laws behind one interface: a new law is one new module plus one entry in LAWS."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from qdb.contests.base import ContestModel, contributors, verdict
from qdb.contests.lanchester import exponent_of, lanchester
from qdb.contests.layered import layered_defence
from qdb.graph import Participant
from qdb.models import CapabilityClass, Contest, Thresholds
from qdb.results import ContestResult

__all__ = ["LAW_MODELS", "ContestModel", "contributors", "evaluate", "exponent_of", "verdict"]

LAW_MODELS: dict[str, Callable[..., ContestResult]] = {
    "square": lanchester,
    "linear": lanchester,
    "power": lanchester,
    "layered_defence": layered_defence,
}


def evaluate(
    contest: Contest,
    blue: Sequence[Participant],
    red: Sequence[Participant],
    thresholds: Thresholds,
    classes: dict[str, CapabilityClass],
) -> ContestResult:
    """Evaluate one contest with the model of its law."""
    model: Any = LAW_MODELS[contest.law]
    if contest.law == "layered_defence":
        model = partial(model, classes=classes)
    result: ContestResult = model(contest, blue, red, thresholds)
    return result
