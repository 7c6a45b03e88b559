"""The engine: a matchup compiled into slots (:mod:`~qdb.contests.plan`) and every law
written once over arrays of samples (:mod:`~qdb.contests.evaluate`).

The point assessment, the Monte Carlo, sensitivity, critical-system analysis,
projection and the optimiser all evaluate through :func:`evaluate`.
"""

from qdb.contests.evaluate import evaluate
from qdb.contests.plan import Plan, UncertainInput, compile_plan
from qdb.contests.result import FACTOR_NAMES, LEAK_FLOOR, Evaluation, RaidOutcome

__all__ = [
    "FACTOR_NAMES",
    "LEAK_FLOOR",
    "Evaluation",
    "Plan",
    "RaidOutcome",
    "UncertainInput",
    "compile_plan",
    "evaluate",
]
