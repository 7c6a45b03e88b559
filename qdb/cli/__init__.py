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
        try:
            app(args=argv, prog_name="qdb")
        finally:
            sys.stdout.flush()  # a full disk or closed pipe fails here, not at exit
    except QdbError as exc:
        _quiet_stdout()
        from qdb.explain import escape_controls

        for line in escape_controls(str(exc)).splitlines() or [type(exc).__name__]:
            print(line if _located(line) else f"qdb: {line}", file=sys.stderr)
        sys.exit(1)
    except OSError as exc:  # any other OS error (e.g. stdout on /dev/full): one line
        _quiet_stdout()
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"qdb: {where}{exc.strerror or exc}", file=sys.stderr)
        sys.exit(1)


def _quiet_stdout() -> None:
    """Drop stdout's unwritable buffer so the interpreter does not fail again at exit."""
    import os

    try:
        sys.stdout.flush()
    except OSError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass


def _located(line: str) -> bool:
    head = line.split(": ", 1)[0]
    return head.count(":") >= 2 or line.startswith("--")
