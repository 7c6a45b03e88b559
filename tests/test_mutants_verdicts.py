"""Known answers that kill the mutants of the verdicts (issue #17, tools/mutation.py).

The vectorised ``at_least`` (used by the Monte Carlo and critical-system analysis)
must agree, element by element, with the point ``verdict``, including within one
rounding error of a threshold, where only the 12-digit rounding decides.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qdb.assess import assess
from qdb.verdicts import at_least, determination, judgement, rounded, verdict
from tests.engine_fixtures import catalog, inventory, lanchester_contest, matchup

# (threshold, balance, rounded(balance) >= threshold), values checked by hand:
# t*(1 - 1e-13) rounds to t at 12 significant digits; t*(1 - 1e-11) does not.
AT = [
    (t, b, ok)
    for t in (0.9, 1.1, 100.0, 1e6)
    for b, ok in (
        (t, True),
        (t * (1 - 1e-13), True),
        (math.nextafter(t, 0.0), True),
        (t * (1 + 1e-13), True),
        (t * (1 - 1e-11), False),
        (t * 0.5, False),
        (t * 2.0, True),
    )
]


@pytest.mark.parametrize(("t", "b", "ok"), AT)
def test_at_least_rounds_within_one_error_of_the_threshold(t: float, b: float, ok: bool) -> None:
    # a 100 and 1e6 threshold: the band rounded one by one scales with the threshold
    # (1e-10 * t), so it still holds the values rounding can lift
    got = at_least(np.array([[b, b], [t * 3, np.nan]]), t)
    assert got.shape == (2, 2)
    assert got.tolist() == [[ok, ok], [True, True]]
    if b < t and ok:  # the direct compare is what rounding must overrule
        assert rounded(b) == t


def test_at_least_exactly_at_the_threshold_holds() -> None:
    assert at_least(np.array([0.9, 1.1]), 0.9).tolist() == [True, True]
    assert at_least(np.array([0.9, 1.1]), 1.1).tolist() == [False, True]
    assert at_least(np.array([math.nan]), 1.1).tolist() == [True]


@st.composite
def near_threshold(draw):  # type: ignore[no-untyped-def]
    t = draw(st.sampled_from([0.9, 1.1, 0.5, 3.0, 100.0, 12345.678]))
    k = draw(st.integers(-2000, 2000))
    b = t * (1 + k * 1e-15) if draw(st.booleans()) else draw(st.floats(0, 4 * t))
    return t, b


@given(near_threshold())
@settings(max_examples=300, deadline=None)
def test_vectorised_verdict_equals_the_point_verdict(tb) -> None:  # type: ignore[no-untyped-def]
    t, b = tb
    lo = t * 0.8
    v = verdict(b, lo, t)
    assert bool(at_least(np.array([b]), t)[0]) == (v == "offset")
    assert bool(at_least(np.array([b]), lo)[0]) == (v != "shortfall")


def _linear(nb: int, q: float, nr: int):  # type: ignore[no-untyped-def]
    cat = catalog([lanchester_contest("c", "linear", {"tank": 1}, {"tank": 1})])
    blue = inventory("ukraine", [{"id": "b", "class": "tank", "quantity": nb, "quality": q}])
    red = inventory("russia", [{"id": "r", "class": "tank", "quantity": nr}])
    return matchup(cat, blue, red)


@pytest.mark.parametrize(
    ("nb", "q", "nr", "verdict_", "threshold"),
    [
        # linear law: beta = q / (nr/nb); 1.98 / (9/5) = 1.1 in exact arithmetic, and the
        # engine's float gives 1.0999999999999999: rounding makes it offset
        (5, 1.98, 9, "offset", 1.1),
        # 0.9 * 9 / 9 = 0.8999999999999999 in floats: matched, not shortfall
        (9, 0.9, 9, "matched", 0.9),
    ],
)
def test_monte_carlo_verdicts_round_like_the_point_verdict(
    nb: int, q: float, nr: int, verdict_: str, threshold: float
) -> None:
    m = _linear(nb, q, nr)
    point = assess(m, with_critical=False).contests[0]
    assert point.balance is not None
    assert point.balance < threshold  # the float lies below: only rounding lifts it
    assert point.verdict == verdict_
    mc = assess(m, samples=64, seed=1, with_critical=False).contests[0]
    assert mc.p_holds == 1.0
    assert mc.p_offset == (1.0 if verdict_ == "offset" else 0.0)
    assert mc.judgement == verdict_
    crit = assess(m, samples=64, seed=1).critical_systems
    assert [(c.id, c.judgements_without) for c in crit] == [("b", (("c", "shortfall"),))]
    assert crit[0].flips == ("c",) and crit[0].index_without == 0.0
    # nothing is ranged: the samples are all the point, so no probability is reported
    assert crit[0].p_certified_without is None and crit[0].p_certified_drop is None


@pytest.mark.parametrize(
    ("p_off", "p_hold", "c", "expected"),
    [
        (0.8, 0.8, 0.8, "offset"),  # both at c exactly
        (0.7999999, 0.8, 0.8, "matched"),
        (0.0, 0.7999999, 0.8, "indeterminate"),
        (0.0, 1 - 0.8, 0.8, "shortfall"),  # 1 - 0.2 = 0.8 only after rounding
        (0.0, 0.2000001, 0.8, "indeterminate"),
        (0.0, 0.0, 0.6, "shortfall"),
        (0.0, 0.3, 0.7, "shortfall"),  # 1 - 0.3 = 0.7000000000000001 in floats
    ],
)
def test_judgement_bands(p_off: float, p_hold: float, c: float, expected: str) -> None:
    assert judgement(p_off, p_hold, c) == expected


@pytest.mark.parametrize(
    ("p", "c", "expected"),
    [
        (0.7, 0.7, "certified"),
        (0.6999999, 0.7, "indeterminate"),
        (0.3, 0.7, "not_certified"),  # 1 - 0.7 = 0.30000000000000004 in floats
        (0.3000001, 0.7, "indeterminate"),
        (0.1, 0.9, "not_certified"),  # 1 - 0.9 = 0.09999999999999998 in floats
        (1.0, 0.9, "certified"),
    ],
)
def test_determination_bands(p: float, c: float, expected: str) -> None:
    assert determination(p, c) == expected


def test_rounded_keeps_twelve_significant_digits() -> None:
    assert rounded(1.0999999999999999) == 1.1
    assert rounded(123456.78901234567) == 123456.789012
    assert rounded(1.09999999999) == 1.09999999999
    assert verdict(None, 0.9, 1.1) == "uncontested"
