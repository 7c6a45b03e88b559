"""Invariants of the engine (hypothesis)."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from qdb.assess import assess
from tests.conftest import SQUARE, make_matchup

qty = st.integers(min_value=1, max_value=5000)
qual = st.floats(min_value=0.2, max_value=3.0)
ready = st.floats(min_value=0.05, max_value=1.0)
law = st.sampled_from(
    [("square", None), ("linear", None), ("power", 1.5), ("power", 1.0), ("power", 3.0)]
)


def lanchester_matchup(l, blue, red, tb=1.0, tr=1.0):
    name, exp = l
    c = {**SQUARE, "law": name}
    if exp is not None:
        c["exponent"] = exp
    return make_matchup(
        [c],
        blue=[
            {"id": f"b{i}", "class": cls, "quantity": q, "quality": k, "readiness": r}
            for i, (cls, q, k, r) in enumerate(blue)
        ],
        red=[
            {"id": f"r{i}", "class": "tank", "quantity": q, "quality": k, "readiness": r}
            for i, (q, k, r) in enumerate(red)
        ],
        blue_training={"ground": tb},
        red_training={"ground": tr},
    )


blue_sys = st.lists(
    st.tuples(st.sampled_from(["tank", "atgm"]), qty, qual, ready), min_size=1, max_size=4
)
red_sys = st.lists(st.tuples(qty, qual, ready), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(
    law,
    blue_sys,
    red_sys,
    st.integers(0, 3),
    st.sampled_from(["quantity", "quality", "readiness"]),
    st.floats(1.0, 3.0),
)
def test_more_blue_capability_never_lowers_balance(l, blue, red, which, field, factor) -> None:
    which %= len(blue)
    base = assess(lanchester_matchup(l, blue, red), with_critical=False).contests[0].balance
    cls, q, k, r = blue[which]
    if field == "quantity":
        q = q * factor
    elif field == "quality":
        k = k * factor
    else:
        r = min(1.0, r * factor)
    more = list(blue)
    more[which] = (cls, q, k, r)
    after = assess(lanchester_matchup(l, more, red), with_critical=False).contests[0].balance
    assert after >= base * (1 - 1e-12)
    # adding a whole new system, of any quality, never lowers it either (p >= 1)
    added = assess(lanchester_matchup(l, [*blue, ("atgm", 10, 0.2, 0.5)], red), with_critical=False)
    assert added.contests[0].balance >= base * (1 - 1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([("square", None), ("linear", None)]), blue_sys, red_sys, st.floats(0.01, 100.0)
)
def test_scaling_both_sides_leaves_square_and_linear_unchanged(l, blue, red, s) -> None:
    b1 = assess(lanchester_matchup(l, blue, red), with_critical=False).contests[0].balance
    blue2 = [(c, q * s, k, r) for c, q, k, r in blue]
    red2 = [(q * s, k, r) for q, k, r in red]
    b2 = assess(lanchester_matchup(l, blue2, red2), with_critical=False).contests[0].balance
    assert_allclose(b2, b1, rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(law, blue_sys, red_sys, st.floats(0.5, 2.0), st.floats(0.5, 2.0))
def test_factors_sum_to_log_balance(l, blue, red, tb, tr) -> None:
    r = assess(lanchester_matchup(l, blue, red, tb, tr), with_critical=False).contests[0]
    assert_allclose(sum(r.factors.values()), math.log(r.balance), atol=1e-9)
    assert_allclose(r.factors["training"], math.log(tb / tr), atol=1e-12)


LAYERED = {
    "id": "strikes",
    "title": "Strikes",
    "domain": "air_defence",
    "law": "layered_defence",
    "threat": {"missile": 1},
    "layers": [],
    "acceptable_leakage": 0.1,
    "campaign_days": 10,
    "rationale": "test",
}


@settings(max_examples=60, deadline=None)
@given(st.permutations(["l1", "l2", "l3"]), st.lists(st.floats(0.05, 0.95), min_size=3, max_size=3))
def test_layered_leakage_is_product_in_any_order(order, pks) -> None:
    classes = {
        f"l{i + 1}": {
            "domain": "air_defence",
            "branch": "air_defence",
            "unit": "x",
            "unit_cost_musd": 1,
            "pk": pk,
            "shots_per_day": 1000,
        }
        for i, pk in enumerate(pks)
    }
    m = make_matchup(
        [{**LAYERED, "layers": list(order)}],
        blue=[{"id": c, "class": c, "quantity": 5} for c in order],
        red=[{"id": "k", "class": "missile", "quantity": 10000, "per_day": 50}],
        classes=classes,
    )
    r = assess(m, with_critical=False).contests[0]
    assert_allclose(r.leakage, math.prod(1 - p for p in pks), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 50), st.integers(0, 500), st.integers(1, 200), st.integers(0, 20))
def test_layered_more_interceptors_never_lower_balance(n, stock, per_day, extra) -> None:
    def bal(q: int, s: int) -> float:
        classes = {
            "l1": {
                "domain": "air_defence",
                "branch": "air_defence",
                "unit": "x",
                "unit_cost_musd": 1,
                "pk": 0.7,
                "shots_per_day": 4,
            }
        }
        m = make_matchup(
            [{**LAYERED, "layers": ["l1"]}],
            blue=[{"id": "p", "class": "l1", "quantity": q, "stock": s}],
            red=[{"id": "k", "class": "missile", "quantity": 100000, "per_day": per_day}],
            classes=classes,
        )
        b = assess(m, with_critical=False).contests[0].balance
        assert b is not None
        return b

    assert bal(n + extra, stock) >= bal(n, stock) - 1e-12
    assert bal(n, stock + 10 * extra) >= bal(n, stock) - 1e-12


@settings(max_examples=20, deadline=None)
@given(law, blue_sys, red_sys)
def test_same_inputs_same_json_bytes(l, blue, red) -> None:
    a = json.dumps(assess(lanchester_matchup(l, blue, red)).to_json())
    b = json.dumps(assess(lanchester_matchup(l, blue, red)).to_json())
    assert a == b
