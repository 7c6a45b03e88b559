"""The ``qdb`` command line: parse, call one core function, render.

Every command lives in a module of this package and registers itself on
:data:`app`. :func:`main` maps :class:`~qdb.errors.QdbError` to exit code 1
with its message on stderr, never a traceback.
"""

from __future__ import annotations

import sys

# command modules register themselves on import (keep this list sorted)
from qdb.cli import backtest_cmds as _backtest_cmds  # noqa: F401
from qdb.cli import calibrate_cmds as _calibrate_cmds  # noqa: F401
from qdb.cli import data_cmds as _data_cmds  # noqa: F401
from qdb.cli import provenance_cmds as _provenance_cmds  # noqa: F401
from qdb.cli.app import app
from qdb.errors import QdbError

__all__ = ["app", "main"]

for _mod in ("assess_cmds", "whatif_cmds", "report_cmds", "uncertainty_cmds", "project_cmds"):
    try:
        __import__(f"qdb.cli.{_mod}")
    except ModuleNotFoundError as _exc:  # a command module not written yet
        if _exc.name != f"qdb.cli.{_mod}":
            raise


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``qdb`` console script."""
    try:
        app(args=argv, prog_name="qdb")
    except QdbError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(line if _located(line) else f"qdb: {line}", file=sys.stderr)
        sys.exit(1)


def _located(line: str) -> bool:
    head = line.split(": ", 1)[0]
    return head.count(":") >= 2 or line.startswith("--")
