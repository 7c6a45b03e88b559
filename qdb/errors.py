"""Exception hierarchy of qdb.

Every error a user can cause derives from :class:`QdbError`; the command line
maps it to exit code 1 and prints its message, never a traceback. Subclasses
also inherit the matching builtin so that library callers may catch
``ValueError`` as they would elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CalibrationError",
    "DataError",
    "EditError",
    "OptimizeError",
    "Problem",
    "QdbError",
    "SelectionError",
]


class QdbError(Exception):
    """Root of every error qdb raises for bad input."""


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem in a data file.

    Attributes
    ----------
    path : str
        The file as the user named it.
    line, column : int
        1-based position of the offending value (or of its parent mapping when a
        key is missing).
    field : str
        Dotted field path, list items as ``systems[3]``; empty for the file.
    message : str
        What is wrong and, where it helps, what would be right.
    severity : str
        ``"error"`` or ``"warning"``.
    """

    path: str
    line: int
    column: int
    field: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}"
        field = f" {self.field}:" if self.field else ""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}:{field} {prefix}{self.message}"


class DataError(QdbError, ValueError):
    """One or more data files are invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class EditError(QdbError, ValueError):
    """A what-if edit names nothing or would leave a value invalid.

    The message reads ``--set EDIT: problem``.
    """

    def __init__(self, edit: str, problem: str, option: str = "--set") -> None:
        self.edit = edit
        self.problem = problem
        super().__init__(f"{option} {edit}: {problem}")


class SelectionError(QdbError, LookupError):
    """A requested side, snapshot, contest or file does not exist."""


class OptimizeError(QdbError, ValueError):
    """The optimiser was given an impossible request (e.g. negative budget)."""


class CalibrationError(QdbError, ValueError):
    """A calibration input cannot be fitted (e.g. too few days, nothing observed)."""
