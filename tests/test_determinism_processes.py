"""Determinism across processes (issue #17 item 5): same inputs, same bytes.

Two calls in one process share hash seeds, caches and import state; these run
``qdb assess`` in separate interpreters with different ``PYTHONHASHSEED``
values (set iteration order differs between them) and the cache disabled, and
require byte-identical JSON.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _assess(hash_seed: str, *args: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "QDB_NO_CACHE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "qdb", "assess", "--format", "json", *args],
        env=env,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


@pytest.mark.parametrize("args", [(), ("--samples", "500", "--seed", "3")], ids=["default", "s500"])
def test_assess_json_is_byte_identical_across_processes(args: tuple[str, ...]) -> None:
    a = _assess("1", *args)
    b = _assess("4242", *args)
    assert a.startswith(b"{") and len(a) > 1000
    assert a == b


def test_the_seed_reaches_the_output() -> None:
    # the comparison above could pass on output that ignores its inputs
    assert _assess("7", "--samples", "500", "--seed", "3") != _assess(
        "7", "--samples", "500", "--seed", "4"
    )
