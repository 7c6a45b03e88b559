"""Known answers that kill the mutants of qdb/contests/ (issue #17, tools/mutation.py).

Each value here is computed by hand in the comment beside it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from qdb.contests import compile_plan
from qdb.contests.plan import UncertainInput
from tests.engine_fixtures import catalog, inventory, lanchester_contest, matchup

# ---------------------------------------------------------------------------
# The triangular draws: inverse CDF and the two-uniform construction
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("u", "x"),
    [
        # low 40, mode 60, high 100: F(mode) = (60-40)/(100-40) = 1/3
        (0.0, 40.0),
        (1 / 12, 50.0),  # left: 40 + sqrt(1/12 * 60 * 20) = 40 + 10
        (1 / 3, 60.0),  # the mode
        (0.5, 100 - math.sqrt(0.5 * 60 * 40)),  # right: 100 - sqrt(1200)
        (0.9, 100 - math.sqrt(0.1 * 60 * 40)),  # 100 - sqrt(240)
        (1.0, 100.0),
    ],
)
def test_triangular_ppf_known_values(u: float, x: float) -> None:
    got = UncertainInput("x", 40, 60, 100).ppf(np.array([u]))
    assert_allclose(got, [x], rtol=1e-12)


def test_two_uniform_draws_known_values() -> None:
    # low 10, mode 20, high 50: f = 10/40 = 0.25, width 40
    # halves (x, y) = (2^31, 3*2^30): min 0.5, max 0.75 in units of 2^32
    # 10 + 0.5*40*(1-0.25) + 0.75*40*0.25 = 10 + 15 + 7.5 = 32.5, whichever half is larger
    x = UncertainInput("x", 10, 20, 50)
    lo, hi = np.uint64(2**31), np.uint64(3 * 2**30)
    words = np.array([lo | (hi << np.uint64(32)), hi | (lo << np.uint64(32)), 0], dtype=np.uint64)
    out, tmp = np.empty(3), np.empty(3)
    x._from_words(words, out, tmp)
    assert_allclose(out, [32.5, 32.5, 10.0], rtol=1e-12)


# ---------------------------------------------------------------------------
# Plan helpers
# ---------------------------------------------------------------------------


def _ranged():  # type: ignore[no-untyped-def]
    cat = catalog([lanchester_contest("c", "linear", {"tank": 1}, {"tank": 1})])
    blue = inventory(
        "ukraine",
        [
            {
                "id": "b",
                "class": "tank",
                "quantity": {"low": 10, "estimate": 20, "high": 40},
                "quality": 1.5,
            }
        ],
    )
    red = inventory("russia", [{"id": "r", "class": "tank", "quantity": 30}])
    return matchup(cat, blue, red)


def test_plan_helpers_known_answers() -> None:
    plan = compile_plan(_ranged())
    assert [x.target for x in plan.inputs] == ["ukraine:b.quantity"]
    assert plan.point_values().tolist() == [20.0]
    row = plan.system("blue", "b")
    assert row is not None and row.id == "b" and row.role == "blue"
    assert plan.system("red", "b") is None and plan.system("blue", "zz") is None
    assert plan.system("red", "r") is not None
    # linear: beta = 1.5 / (30 / n_b): 20 -> 1.0, 10 -> 0.5, 40 -> 2.0
    assert_allclose(plan.balances(), [[1.0]])
    assert_allclose(plan.balances(np.array([[10.0, 40.0]])), [[0.5, 2.0]])
