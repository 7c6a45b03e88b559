"""Typed, frozen models of qdb's data files (no I/O here)."""

from qdb.models.base import Multiplier, Source
from qdb.models.catalog import LAWS, CapabilityClass, Catalog, Contest, Correlation, Thresholds
from qdb.models.commitments import Commitment, Delivery, YearSpan
from qdb.models.dataset import Dataset, Matchup
from qdb.models.estimate import Estimate, est
from qdb.models.inventory import ClassDynamics, Inventory, System

__all__ = [
    "LAWS",
    "CapabilityClass",
    "Catalog",
    "ClassDynamics",
    "Commitment",
    "Contest",
    "Correlation",
    "Dataset",
    "Delivery",
    "Estimate",
    "Inventory",
    "Matchup",
    "Multiplier",
    "Source",
    "System",
    "Thresholds",
    "YearSpan",
    "est",
]
