"""Calibration: fit attrition laws to history and score the balance out of sample.

Pure functions (no file or terminal I/O): :mod:`qdb.calibrate.series` fits a
two-sided daily attrition series (Lanchester ``a``, ``b`` and, optionally, the
exponent of the generalised law); :mod:`qdb.calibrate.battles` fits the
exponent relating loss-exchange ratio to force ratio on CDB90 battles and
scores the balance as a predictor of the winner on battles it was not fitted
on. Reading the CSV files is :mod:`qdb.io.calibration_csv`.
"""

from __future__ import annotations

from qdb.calibrate.battles import Battle, BattlesReport, calibrate_battles
from qdb.calibrate.series import Series, SeriesFit, fit_series

__all__ = [
    "Battle",
    "BattlesReport",
    "Series",
    "SeriesFit",
    "calibrate_battles",
    "fit_series",
]
