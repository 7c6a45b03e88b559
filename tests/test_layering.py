"""Imports flow one way: the core never reaches up into io, cli, report or heavy libraries.

Each core module is imported in a fresh interpreter and the modules it pulled in are
inspected (issue 11, "The house this leaves").
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CORE = [
    "qdb.models",
    "qdb.models.checks",
    "qdb.graph",
    "qdb.contests",
    "qdb.contests.plan",
    "qdb.contests.evaluate",
    "qdb.verdicts",
    "qdb.assess",
    "qdb.critical",
    "qdb.uncertainty",
    "qdb.normal",
    "qdb.targets",
    "qdb.whatif",
    "qdb.calibrate",
]
FORBIDDEN_PREFIXES = ("qdb.io", "qdb.cli", "qdb.report", "typer", "matplotlib", "typst", "scipy")


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_io_cli_report_or_heavy_libraries(module: str) -> None:
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    bad = [m for m in loaded if m.startswith(FORBIDDEN_PREFIXES)]
    assert bad == [], f"{module} pulls in {bad}"
