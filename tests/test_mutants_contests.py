"""Known answers that kill the mutants of qdb/contests/ (issue #17, tools/mutation.py).

Each value here is computed by hand in the comment beside it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from qdb.contests import compile_plan, evaluate
from qdb.contests.plan import UncertainInput
from tests.engine_fixtures import (
    assert_matches_reference,
    catalog,
    iamd_contest,
    inventory,
    lanchester_contest,
    matchup,
    reference_campaign,
    sam,
)

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


# ---------------------------------------------------------------------------
# Lanchester: empty, fractional and absent sides; several contests at once
# ---------------------------------------------------------------------------


def _duel(blue_qty: float, blue_rdy: float, red_qty: float, red_rdy: float):  # type: ignore[no-untyped-def]
    """Linear law, quality 1 both sides: beta = N_blue / N_red."""
    cat = catalog([lanchester_contest("c", "linear", {"tank": 1}, {"tank": 1})])
    blue = inventory(
        "ukraine", [{"id": "b", "class": "tank", "quantity": blue_qty, "readiness": blue_rdy}]
    )
    red = inventory(
        "russia", [{"id": "r", "class": "tank", "quantity": red_qty, "readiness": red_rdy}]
    )
    return matchup(cat, blue, red)


@pytest.mark.parametrize(
    ("sides", "balance", "verdict", "numbers_ratio", "required"),
    [
        # N_blue = 1 * 0.5 = 0.5, N_red = 1: r = 2, beta = 1 / 2
        ((1, 0.5, 1, 1.0), 0.5, "shortfall", 2.0, 2.0),
        # N_red = 0.5, N_blue = 1: r = 0.5, beta = 2
        ((1, 1.0, 1, 0.5), 2.0, "offset", 0.5, 0.5),
        # no red: uncontested, blue outnumbers nothing: ratio 0
        ((1, 1.0, 0, 1.0), None, "uncontested", 0.0, None),
        ((1, 0.5, 0, 1.0), None, "uncontested", 0.0, None),
        # neither side: uncontested, no ratio at all
        ((0, 1.0, 0, 1.0), None, "uncontested", None, None),
        # no blue against red: balance 0, ratio undefined
        ((0, 1.0, 1, 1.0), 0.0, "shortfall", None, None),
    ],
)
def test_lanchester_edges_known_answers(
    sides: tuple[float, float, float, float],
    balance: float | None,
    verdict: str,
    numbers_ratio: float | None,
    required: float | None,
) -> None:
    from qdb.assess import assess

    r = assess(_duel(*sides), with_critical=False).contests[0]
    assert r.verdict == verdict
    assert r.balance == (None if balance is None else pytest.approx(balance, rel=1e-12))
    assert r.numbers_ratio == (
        None if numbers_ratio is None else pytest.approx(numbers_ratio, rel=1e-12)
    )
    assert r.required_quality_ratio == (
        None if required is None else pytest.approx(required, rel=1e-12)
    )
    contested = balance is not None and balance > 0
    assert (r.quality_ratio is not None) == contested
    assert (r.factors is not None) == contested
    if contested:
        assert r.quality_ratio == pytest.approx(1.0)
        assert r.factors is not None
        assert sum(r.factors.values()) == pytest.approx(math.log(balance), abs=1e-12)


def test_two_lanchester_contests_keep_their_own_rows() -> None:
    from qdb.assess import assess

    # square: tanks 100 vs 200 -> (1/2)^2 = 0.25; linear: atgm teams 30 vs tanks 10,
    # counters weight 1, threat weight 1: N_blue 30, N_red 10 -> beta = 3
    cat = catalog(
        [
            lanchester_contest("sq", "square", {"tank": 1}, {"tank": 1}),
            lanchester_contest("lin", "linear", {"tank": 1}, {"atgm": 1}),
        ]
    )
    blue = inventory(
        "ukraine",
        [
            {"id": "t", "class": "tank", "quantity": 100},
            {"id": "a", "class": "atgm", "quantity": 30},
        ],
    )
    red = inventory("russia", [{"id": "r", "class": "tank", "quantity": 200}])
    a = assess(matchup(cat, blue, red), with_critical=False)
    got = {r.id: (r.balance, r.numbers_ratio, r.exponent) for r in a.contests}
    assert got["sq"] == (pytest.approx(0.25), pytest.approx(2.0), 2.0)
    # linear: N_red = 200 tanks, N_blue = 30 teams: r = 200/30, beta = 30/200
    assert got["lin"] == (pytest.approx(0.15), pytest.approx(200 / 30), 1.0)


def test_detail_factors_per_column_equal_one_column_runs() -> None:
    """Factors of many samples at once equal each sample's own (not pooled over samples)."""
    from tests.test_contests import square_matchup

    plan = compile_plan(square_matchup())
    V = np.repeat(plan.values(), 3, axis=1)
    for j, r in enumerate(plan.systems):
        V[r.qty] *= [1.0, 0.3, 2.5] if j % 2 == 0 else [1.0, 1.7, 0.4]
    many = evaluate(plan, V, detail=True)
    assert many.factors is not None
    for j in range(3):
        one = evaluate(plan, V[:, j : j + 1], detail=True)
        assert one.factors is not None
        for k, f in many.factors.items():
            assert_allclose(f[:, j], one.factors[k][:, 0], rtol=1e-12, atol=1e-15)
    # the columns differ, so pooling them would show
    assert not np.allclose(many.factors["equipment"][0, 1], many.factors["equipment"][0, 2])


# ---------------------------------------------------------------------------
# The air campaign: several threat systems of one class, raids launching a subset,
# several fire units per layer, and many samples at once (blocks)
# ---------------------------------------------------------------------------


@st.composite
def shared_class_campaigns(draw):  # type: ignore[no-untyped-def]
    """Two missile systems of different quality (one engagement covers both), a drone."""
    classes = {
        "outer": sam(
            draw(st.floats(0.2, 1.0)),
            draw(st.floats(0.5, 4.0)),
            [
                {"threat": "missile", "pk": draw(st.floats(0.1, 0.9)), "shots": 2},
                {"threat": "drone", "pk": draw(st.floats(0.1, 0.9)), "shots": 1},
            ],
        ),
        "inner": sam(
            draw(st.floats(0.2, 1.0)),
            draw(st.floats(0.5, 4.0)),
            [{"threat": "missile", "pk": draw(st.floats(0.1, 0.9)), "shots": 1}],
        ),
    }
    blue = [
        {
            "id": f"{lid}{k}",
            "class": lid,
            "quantity": draw(st.integers(1, 5)),
            "quality": draw(st.sampled_from([0.8, 1.0, 1.3])),
            "stock": draw(st.integers(0, 30)),
            "per_day": draw(st.sampled_from([0, 1.5])),
        }
        for lid in ("outer", "inner")
        for k in range(draw(st.integers(1, 3)))
    ]
    red = [
        {"id": "m1", "class": "missile", "quantity": draw(st.integers(0, 60)), "quality": 1.0},
        {"id": "m2", "class": "missile", "quantity": draw(st.integers(0, 60)), "quality": 1.4},
        {"id": "d", "class": "drone", "quantity": draw(st.integers(0, 200)), "per_day": 5},
    ]
    raids = [
        {
            "id": f"r{i}",
            "every_days": draw(st.integers(1, 3)),
            "first_day": draw(st.integers(0, 2)),
            "size": {
                sid: draw(st.integers(1, 25))
                for sid in draw(st.sets(st.sampled_from(["m1", "m2", "d"]), min_size=1))
            },
        }
        for i in range(draw(st.integers(1, 3)))
    ]
    cat = catalog(
        [iamd_contest("missiles", ["missile"], 0.2), iamd_contest("drones", ["drone"])],
        classes=classes,
        layers=draw(st.permutations(["outer", "inner"])),
        campaign_days=draw(st.integers(1, 8)),
    )
    return matchup(cat, inventory("ukraine", blue), inventory("russia", red, raids=raids))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shared_class_campaigns())
def test_shared_threat_class_equals_literal_algorithm(m) -> None:  # type: ignore[no-untyped-def]

    assert_matches_reference(m)


def _two_missile_systems():  # type: ignore[no-untyped-def]
    """One SAM unit (4 rounds a raid, coverage 1, pk 0.5) against 6 + 2 missiles in one raid."""
    cat = catalog(
        [iamd_contest("bmd", ["missile"], 0.1)],
        classes={"sam": sam(1.0, 4, [{"threat": "missile", "pk": 0.5, "shots": 1}])},
        layers=["sam"],
        campaign_days=1,
    )
    blue = inventory("ukraine", [{"id": "s", "class": "sam", "quantity": 1}])
    red = inventory(
        "russia",
        [
            {"id": "m1", "class": "missile", "quantity": 6},
            {"id": "m2", "class": "missile", "quantity": 2},
        ],
        raids=[{"id": "r", "every_days": 1, "size": {"m1": 6, "m2": 2}}],
    )
    return cat, blue, red


def test_two_missile_systems_in_one_raid_by_hand() -> None:
    from qdb.assess import assess

    # one SAM unit, 4 rounds a raid, stock unlimited, coverage 1, pk 0.5, one shot each:
    # 6 + 2 missiles fly, 8 wanted, 4 fired = half of each system engaged:
    # kills m1 = 6 * 0.5 * 0.5 = 1.5, m2 = 2 * 0.5 * 0.5 = 0.5 -> leak 6 of 8 = 0.75
    cat, blue, red = _two_missile_systems()
    r = assess(matchup(cat, blue, red), with_critical=False).contest("bmd")
    assert r is not None
    assert_allclose(r.leakage, 0.75)
    assert_allclose(r.balance, math.log(0.75) / math.log(0.1))


def _fixed_campaign(  # type: ignore[no-untyped-def]
    outer: bool = True, per_unit: bool = False, layers: tuple[str, ...] = ("outer", "inner")
):
    """Two layers (two outer fire units), two missile systems of one class, three raids."""
    inner = sam(0.9, 3, [{"threat": "missile", "pk": 0.5, "shots": 1}])
    if per_unit:  # coverage grows with the ready units
        del inner["coverage"]
        inner["coverage_per_unit"] = 0.4
    cat = catalog(
        [iamd_contest("missiles", ["missile"], 0.2), iamd_contest("drones", ["drone"])],
        classes={
            "outer": sam(
                0.7,
                2,
                [
                    {"threat": "missile", "pk": 0.6, "shots": 2},
                    {"threat": "drone", "pk": 0.4, "shots": 1},
                ],
            ),
            "inner": inner,
        },
        layers=list(layers),
        campaign_days=6,
    )
    blue = inventory(
        "ukraine",
        [
            {"id": "o1", "class": "outer", "quantity": 3, "stock": 20, "per_day": 1},
            {"id": "o2", "class": "outer", "quantity": 2, "quality": 1.3, "stock": 8},
            {"id": "i1", "class": "inner", "quantity": 2, "stock": 12},
        ][0 if outer else 2 :],
    )
    red = inventory(
        "russia",
        [
            {"id": "m1", "class": "missile", "quantity": 60},
            {"id": "m2", "class": "missile", "quantity": 30, "quality": 1.4},
            {"id": "d", "class": "drone", "quantity": 100, "per_day": 5},
        ],
        raids=[
            {"id": "big", "every_days": 3, "size": {"m1": 12, "m2": 6, "d": 30}},
            {"id": "drones", "every_days": 1, "first_day": 1, "size": {"d": 10}},
            {"id": "one", "every_days": 2, "first_day": 1, "size": {"m2": 4}},
        ],
    )
    return matchup(cat, blue, red)


def test_many_samples_in_blocks_equal_one_pass() -> None:
    """Beyond two blocks of samples the campaign runs block by block: same numbers."""
    import qdb.contests.iamd as iamd_mod

    plan = compile_plan(_fixed_campaign())
    block = getattr(iamd_mod, "BLOCK", 4096)
    n = 2 * block + 37
    rng = np.random.default_rng(3)
    V = np.repeat(plan.values(), n, axis=1)
    for r in plan.systems:
        V[r.qty] = V[r.qty, 0] * rng.uniform(0.0, 2.0, n)
    fast = evaluate(plan, V).balance
    whole = evaluate(plan, V, detail=True).balance  # detail: one pass, never split
    assert_allclose(fast, whole, rtol=1e-12, atol=0)
    for j in (0, block - 1, block, n - 1):
        assert_allclose(fast[:, j], evaluate(plan, V[:, j : j + 1]).balance[:, 0], rtol=1e-12)


DETAIL = ("balance", "leakage", "worst_raid_leakage", "red_units", "blue_units", "fired", "kills")


def test_detail_of_many_columns_equals_one_column_runs() -> None:
    """The critical-system analysis evaluates samples with detail: each column on its own."""
    plan = compile_plan(_fixed_campaign())
    rng = np.random.default_rng(5)
    V = np.repeat(plan.values(), 4, axis=1)
    for r in plan.systems:
        V[r.qty] = V[r.qty, 0] * rng.uniform(0.2, 2.0, 4)
    many = evaluate(plan, V, detail=True)
    for j in range(4):
        one = evaluate(plan, V[:, j : j + 1], detail=True)
        for name in DETAIL:
            assert_allclose(getattr(many, name)[:, j], getattr(one, name)[:, 0], rtol=1e-12)
        assert (many.exhausted_day[:, j] == one.exhausted_day[:, 0]).all()
        for t, k in many.kills_by_class.items():
            assert_allclose(k[:, j], one.kills_by_class[t][:, 0], rtol=1e-12)


def test_a_layer_without_systems_does_not_stop_the_next() -> None:
    from qdb.assess import assess

    with_empty = assess(_fixed_campaign(outer=False), with_critical=False)
    ref = reference_campaign(_fixed_campaign(outer=False))
    for cid, (leak, worst) in ref["contests"].items():
        r = with_empty.contest(cid)
        assert r is not None and leak is not None
        assert_allclose([r.leakage, r.worst_raid_leakage], [leak, worst], rtol=1e-9)
    assert [s.system for s in with_empty.campaign] == ["i1"]
    assert with_empty.campaign[0].fired > 0


def _one_sam(red_qty: float, stock: float | None = None, first_day: int = 0):  # type: ignore[no-untyped-def]
    cat = catalog(
        [iamd_contest("bmd", ["missile"], 0.1)],
        classes={"sam": sam(1.0, 4, [{"threat": "missile", "pk": 0.5, "shots": 1}])},
        layers=["sam"],
        campaign_days=4,
    )
    s: dict[str, object] = {"id": "s", "class": "sam", "quantity": 1}
    if stock is not None:
        s["stock"] = stock
    blue = inventory("ukraine", [s])
    red = inventory(
        "russia",
        [{"id": "m", "class": "missile", "quantity": red_qty}],
        raids=[{"id": "r", "every_days": 2, "first_day": first_day, "size": {"m": 10}}],
    )
    return matchup(cat, blue, red)


def test_raid_log_known_answer() -> None:
    from qdb.assess import assess

    # 10 missiles a raid on days 0 and 2 (20 in stock); 4 rounds, pk 0.5: 2 kills, 8 leak
    a = assess(_one_sam(20), with_critical=False)
    assert [(r.day, r.raid, r.launched, r.leaked) for r in a.raids] == [
        (0, "r", (("missile", 10.0),), (("missile", 8.0),)),
        (2, "r", (("missile", 10.0),), (("missile", 8.0),)),
    ]


def test_a_fraction_of_a_missile_leaks_in_proportion() -> None:
    from qdb.assess import assess

    # half a missile in stock: launched 0.5, all engaged, kills 0.25: leakage 0.5
    r = assess(_one_sam(0.5), with_critical=False).contest("bmd")
    assert r is not None
    assert_allclose([r.leakage, r.worst_raid_leakage], [0.5, 0.5])


def test_a_raid_that_launches_nothing_has_no_worst_leakage() -> None:
    from qdb.assess import assess

    r = assess(_one_sam(0), with_critical=False).contest("bmd")
    assert r is not None
    assert r.verdict == "uncontested" and r.balance is None
    assert r.leakage is None and r.worst_raid_leakage is None


def test_an_empty_magazine_is_exhausted_on_day_zero() -> None:
    from qdb.assess import assess

    # no rounds at all and the first raid on day 1: the magazine is empty from the start
    a = assess(_one_sam(20, stock=0, first_day=1), with_critical=False)
    assert [(s.system, s.fired, s.exhausted_day) for s in a.campaign] == [("s", 0.0, 0)]
    b = assess(_one_sam(20, stock=6, first_day=1), with_critical=False)
    # day 1: 4 fired (stock 2); day 3: 2 fired (stock 0) -> exhausted on day 3
    assert [(s.system, s.fired, s.exhausted_day) for s in b.campaign] == [("s", 6.0, 3)]


def test_every_uncertain_input_is_named_by_its_what_if_target() -> None:
    """Each ranged input's name is the target that edits it: setting it moves its slot only."""
    from pathlib import Path

    from qdb.io.load import load_dataset
    from qdb.models.estimate import Estimate
    from qdb.targets import parse_target, set_estimate

    m = load_dataset(Path(__file__).parent / "data" / "mc").dataset.matchup()
    plan = compile_plan(m)
    kinds = {x.target.split(":")[0] + ":" + x.target.rsplit(".", 1)[-1] for x in plan.inputs}
    assert {"ukraine:quantity", "russia:quantity", "ukraine:per_day"} <= kinds
    assert len(plan.inputs) >= 10
    for x, sl in zip(plan.inputs, plan.input_slot, strict=True):
        assert plan.points[sl] == x.estimate
        m2 = set_estimate(m, parse_target(x.target), Estimate.point(x.high + 1.0))
        p2 = compile_plan(m2)
        # the edited input is now a point: the slot holding high + 1 is its own
        assert x.target not in {y.target for y in p2.inputs}
        assert x.high + 1.0 in p2.points


# ---------------------------------------------------------------------------
# Ammunition: a munition without users, a gun without demand, demand below one round
# ---------------------------------------------------------------------------

ROCKET = {"rocket": {"domain": "land", "branch": "ground", "unit": "round", "unit_cost_musd": 0.01}}


def _fires(blue_guns, blue_mun, red_guns, red_mun):  # type: ignore[no-untyped-def]
    cat = catalog(
        [lanchester_contest("fires", "linear", {"gun": 1}, {"gun": 1})], classes=dict(ROCKET)
    )
    blue = inventory("ukraine", blue_guns, munitions=blue_mun)
    red = inventory("russia", red_guns, munitions=red_mun)
    from qdb.assess import assess

    r = assess(matchup(cat, blue, red), with_critical=False).contest("fires")
    assert r is not None
    return r


def test_a_munition_nobody_fires_does_not_stop_rationing_the_others() -> None:
    # gun rate 1.5. blue: 10 guns want 15 rounds/day, get 15 -> 10 units (rocket: no users,
    # listed first). red: 20 guns want 30, get 15 -> half fire -> 10 units. linear: 10/10 = 1
    r = _fires(
        [{"id": "bg", "class": "gun", "quantity": 10}],
        {"rocket": {"stock": 10, "per_day": 1}, "shell": {"stock": 0, "per_day": 15}},
        [{"id": "rg", "class": "gun", "quantity": 20}],
        {"shell": {"stock": 0, "per_day": 15}},
    )
    assert r.balance == pytest.approx(1.0)
    assert (r.blue_units, r.red_units) == (pytest.approx(10.0), pytest.approx(10.0))


def test_a_gun_with_no_demand_does_not_spoil_its_group() -> None:
    # bg0 has no guns: demand 0, share 1 by convention, 0 units either way
    r = _fires(
        [
            {"id": "bg", "class": "gun", "quantity": 10},
            {"id": "bg0", "class": "gun", "quantity": 0},
        ],
        {"shell": {"stock": 0, "per_day": 15}},
        [{"id": "rg", "class": "gun", "quantity": 20}],
        {"shell": {"stock": 0, "per_day": 15}},
    )
    assert r.balance == pytest.approx(1.0)


def test_demand_below_one_round_is_rationed_in_proportion() -> None:
    # blue: 1 gun at readiness 0.5 wants 0.75 rounds/day, gets 0.375: share 0.5, 0.25 units;
    # red: 1 gun, no munition entry (unlimited): 1 unit. linear: 0.25 / 1
    r = _fires(
        [{"id": "bg", "class": "gun", "quantity": 1, "readiness": 0.5}],
        {"shell": {"stock": 0, "per_day": 0.375}},
        [{"id": "rg", "class": "gun", "quantity": 1}],
        {},
    )
    assert r.balance == pytest.approx(0.25)
    assert r.factors is not None
    assert r.factors["sustainment"] == pytest.approx(math.log(0.5))


# ---------------------------------------------------------------------------
# evaluate(): "not applicable" is a float NaN; float warnings stay silent
# ---------------------------------------------------------------------------


def test_detail_arrays_are_float_nan_where_a_field_does_not_apply() -> None:
    tank = {"id": "t", "class": "tank", "quantity": 10, "quality": 1.2}
    cat = catalog(
        [
            lanchester_contest("land", "square", {"tank": 1}, {"tank": 1}),
            iamd_contest("missiles", ["missile"], 0.2),
        ],
        classes={
            "outer": sam(0.7, 2, [{"threat": "missile", "pk": 0.6, "shots": 2}]),
        },
        layers=["outer"],
        campaign_days=3,
    )
    blue = inventory("ukraine", [tank, {"id": "o1", "class": "outer", "quantity": 2}])
    red = inventory(
        "russia",
        [
            {"id": "rt", "class": "tank", "quantity": 20},
            {"id": "m1", "class": "missile", "quantity": 9},
        ],
        raids=[{"id": "r", "every_days": 1, "size": {"m1": 3}}],
    )
    plan = compile_plan(matchup(cat, blue, red))
    V = plan.values()
    ev = evaluate(plan, V, detail=True)
    land, air = plan.contest_ids.index("land"), plan.contest_ids.index("missiles")
    for arr in (ev.leakage, ev.worst_raid_leakage):
        assert arr is not None and arr.dtype == np.float64
        assert np.isnan(arr[land, 0]) and 0 < arr[air, 0] < 1
    for k, f in ev.factors.items():
        assert f.dtype == np.float64 and np.isnan(f[air, 0]), k
        assert np.isfinite(f[land, 0]), k
    t = plan.system("blue", "t")
    assert t is not None
    assert ev.q is not None and ev.q[t.index, 0] == 1.2  # quality 1.2, training and enablers 1


@pytest.mark.parametrize(("blue_qty", "red_qty"), [(10, 0), (0, 10), (0, 0), (1, 1e200)], ids=str)
def test_evaluate_raises_no_floating_point_warnings(blue_qty: float, red_qty: float) -> None:
    """0/0, x/0 and overflow (1e200 squared, set past the loader's bounds) stay silent."""
    import warnings

    for law in ("linear", "square"):
        cat = catalog([lanchester_contest("c", law, {"tank": 1}, {"tank": 1})])
        plan = compile_plan(
            matchup(
                cat,
                inventory("ukraine", [{"id": "b", "class": "tank", "quantity": 7}]),
                inventory("russia", [{"id": "r", "class": "tank", "quantity": 9}]),
            )
        )
        V = plan.values()
        for role, sid, qty in (("blue", "b", blue_qty), ("red", "r", red_qty)):
            row = plan.system(role, sid)
            assert row is not None
            V[row.qty] = qty
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            evaluate(plan, V, detail=True)
            bal = evaluate(plan, V).balance[0, 0]
        assert (bal != bal) == (red_qty == 0)


@pytest.mark.parametrize("per_unit", [False, True])
@pytest.mark.parametrize("layers", [("outer", "inner"), ("inner", "outer")])
def test_campaign_slots_are_every_row_the_campaign_reads(
    per_unit: bool, layers: tuple[str, ...]
) -> None:
    """Rows outside campaign_slots (and q/avail's own rows) can be garbage: same campaign."""
    from qdb.contests.iamd import campaign_slots

    plan = compile_plan(_fixed_campaign(per_unit=per_unit, layers=layers))
    keep = set(campaign_slots(plan)) | {plan.one}
    for r in plan.systems:  # what q and avail are made of
        keep |= {r.qty, r.rdy, r.quality, r.training, *r.enablers}
    V = plan.values()
    V2 = V.copy()
    V2[[i for i in range(len(V)) if i not in keep]] = np.nan
    want, got = evaluate(plan, V).balance, evaluate(plan, V2).balance
    assert np.isfinite(want).all()
    assert_allclose(got, want, rtol=0, atol=0)
    # and every slot listed is read: garbage in any one of them changes something
    for sl in campaign_slots(plan):
        V3 = V.copy()
        V3[sl] = np.nan
        assert np.isnan(evaluate(plan, V3).balance).any(), sl


def test_no_systems_at_all() -> None:
    cat = catalog([lanchester_contest("c", "linear", {"tank": 1}, {"tank": 1})])
    plan = compile_plan(matchup(cat, inventory("ukraine", []), inventory("russia", [])))
    ev = evaluate(plan, plan.values(), detail=True)
    assert np.isnan(ev.balance).all()
    assert ev.q is not None and ev.q.shape == (0, 1)
    assert ev.units is not None and ev.units.shape == (0, 1)


def test_plan_rows_carry_their_names() -> None:
    """Fields the report and the critical-system analysis read off the compiled plan."""
    cat = catalog(
        [
            lanchester_contest("fires", "linear", {"gun": 1}, {"gun": 1}),
            {**iamd_contest("bmd", ["missile"], 0.2), "critical": False, "weight": 2.0},
        ],
        classes={"sam": sam(0.5, 2, [{"threat": "missile", "pk": 0.5, "shots": 1}])},
        layers=["sam"],
    )
    blue = inventory(
        "ukraine",
        [
            {"id": "g2", "class": "gun", "quantity": {"low": 2, "estimate": 3, "high": 7}},
            {"id": "g1", "class": "gun", "quantity": 4, "name": "Gun one"},
            {"id": "s", "class": "sam", "quantity": 1},
        ],
        munitions={"shell": {"stock": 10, "per_day": 1}},
    )
    red = inventory(
        "russia",
        [
            {"id": "rg", "class": "gun", "quantity": 5},
            {"id": "m", "class": "missile", "quantity": 9},
        ],
        raids=[{"id": "r", "every_days": 1, "size": {"m": 3}}],
    )
    plan = compile_plan(matchup(cat, blue, red))
    g1, g2 = plan.system("blue", "g1"), plan.system("blue", "g2")
    assert g1 is not None and g2 is not None
    assert (g1.side, g1.role, g1.name, g1.class_) == ("ukraine", "blue", "Gun one", "gun")
    [mun] = plan.munitions
    assert (mun.role, mun.munition, mun.users) == ("blue", "shell", (g1.index, g2.index))
    assert [(lay.position, lay.class_) for lay in plan.layers] == [(0, "sam")]
    assert plan.critical == (True, False)
    [x] = plan.inputs
    assert (x.target, x.low, x.estimate, x.high) == ("ukraine:g2.quantity", 2, 3, 7)
    assert plan.contest_inputs == {"fires": (0,), "bmd": ()}
    assert plan.point_values().dtype == np.float64 and plan.values().dtype == np.float64


def test_contest_inputs_hold_every_input_that_moves_the_contest() -> None:
    """Sensitivity samples only a contest's inputs: any input that moves it must be listed."""
    from pathlib import Path

    from qdb.io.load import load_dataset

    plan = compile_plan(load_dataset(Path(__file__).parent / "data" / "mc").dataset.matchup())
    V = plan.values()
    base = evaluate(plan, V).balance[:, 0]
    moved: dict[str, set[int]] = {cid: set() for cid in plan.contest_ids}
    for j, (x, sl) in enumerate(zip(plan.inputs, plan.input_slot, strict=True)):
        for v in (x.low, x.high):
            W = V.copy()
            W[sl] = v
            b = evaluate(plan, W).balance[:, 0]
            for c, cid in enumerate(plan.contest_ids):
                if not (b[c] == base[c] or (b[c] != b[c] and base[c] != base[c])):
                    moved[cid].add(j)
    assert any(moved.values())
    for cid in plan.contest_ids:
        assert moved[cid] <= set(plan.contest_inputs[cid]), cid


def test_a_raid_naming_an_absent_system_still_launches_the_others() -> None:
    from qdb.assess import assess

    cat = catalog(
        [iamd_contest("bmd", ["missile"], 0.1)],
        classes={"sam": sam(1.0, 4, [{"threat": "missile", "pk": 0.5, "shots": 1}])},
        layers=["sam"],
        campaign_days=1,
    )
    blue = inventory("ukraine", [{"id": "s", "class": "sam", "quantity": 1}])
    red = inventory(
        "russia",
        [{"id": "m", "class": "missile", "quantity": 10}],
        raids=[{"id": "r", "every_days": 1, "size": {"gone": 5, "m": 10}}],
    )
    r = assess(matchup(cat, blue, red), with_critical=False).contest("bmd")
    assert r is not None
    # 10 launched, 4 rounds at pk 0.5: 2 kills, 8 leak
    assert r.leakage == pytest.approx(0.8)


def test_raid_log_sums_threat_systems_of_one_class() -> None:
    from qdb.assess import assess

    # m1 6 + m2 2 = 8 missiles launched, 4 rounds at pk 0.5 kill 2: 6 leak (as by hand above)
    cat, blue, red = _two_missile_systems()
    a = assess(matchup(cat, blue, red), with_critical=False)
    assert [(r.launched, r.leaked) for r in a.raids] == [((("missile", 8.0),), (("missile", 6.0),))]
    r = a.contest("bmd")
    assert r is not None and (r.blue_units, r.red_units) == (1.0, 8.0)


def test_a_full_leak_scores_plus_zero_and_fractions_score() -> None:
    import math as _m

    from qdb.assess import assess

    # no interceptor rounds at all: everything leaks, beta = ln 1 / ln 0.1 = 0, printed "0"
    r = assess(_one_sam(20, stock=0), with_critical=False).contest("bmd")
    assert r is not None and r.leakage == 1.0
    assert r.balance == 0.0 and _m.copysign(1.0, r.balance) == 1.0
    # half a missile launched, leakage 0.5: beta = ln 0.5 / ln 0.1
    h = assess(_one_sam(0.5), with_critical=False).contest("bmd")
    assert h is not None and h.balance == pytest.approx(_m.log(0.5) / _m.log(0.1))
