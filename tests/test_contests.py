"""Known answers computed by hand for every law, plus edge cases."""

from __future__ import annotations

import math

import pytest
from numpy.testing import assert_allclose

from qdb.assess import assess
from tests.conftest import SQUARE, make_matchup


def contest(a, cid):
    r = a.contest(cid)
    assert r is not None
    return r


def test_square_known_answer() -> None:
    # blue: 100 tanks q=1.2 (quality) · training 1.25 · isr 1.1 ; 40 atgm teams ×0.5 weight = 20 units q=1·1.25·1.1
    # red: 300 tanks readiness 0.8 = 240 units, q = 1.0 · 0.9 · 1.0
    m = make_matchup(
        [SQUARE],
        blue=[
            {"id": "leo", "class": "tank", "quantity": 100, "quality": 1.2},
            {"id": "javelin", "class": "atgm", "quantity": 40},
        ],
        red=[{"id": "t72", "class": "tank", "quantity": 300, "readiness": 0.8}],
        blue_training={"ground": 1.25},
        blue_enablers={"isr": 1.1},
        red_training={"ground": 0.9},
    )
    r = contest(assess(m), "armour")
    nb, nr = 120.0, 240.0
    qb = (100 * 1.2 * 1.25 * 1.1 + 20 * 1.0 * 1.25 * 1.1) / nb
    qr = 0.9
    assert_allclose([r.blue_units, r.red_units], [nb, nr])
    assert_allclose(r.numbers_ratio, 2.0)
    assert_allclose(r.quality_ratio, qb / qr)
    assert_allclose(r.required_quality_ratio, 4.0)
    assert_allclose(r.balance, qb / qr / 4.0)
    # factors: equipment = ln(mean quality_b / mean quality_r) = ln((100*1.2+20)/120 / 1)
    assert_allclose(r.factors["numbers"], -2 * math.log(2))
    assert_allclose(r.factors["equipment"], math.log((120 + 20) / 120))
    assert_allclose(r.factors["training"], math.log(1.25 / 0.9))
    assert_allclose(r.factors["technology"], math.log(1.1))
    assert_allclose(sum(r.factors.values()), math.log(r.balance), atol=1e-12)
    assert r.verdict == "shortfall"
    # contributors: leo 100*1.2 vs javelin 20*1 (common factors cancel)
    assert [c.system for c in r.contributors_blue] == ["leo", "javelin"]
    assert_allclose(r.contributors_blue[0].share, 120 / 140)


@pytest.mark.parametrize(
    ("law", "extra", "p"), [("linear", {}, 1.0), ("power", {"exponent": 1.5}, 1.5)]
)
def test_linear_and_power(law: str, extra: dict, p: float) -> None:
    c = {**SQUARE, "law": law, "counters": {"tank": 1}, **extra}
    m = make_matchup(
        [c],
        blue=[{"id": "b", "class": "tank", "quantity": 50, "quality": 2.0}],
        red=[{"id": "r", "class": "tank", "quantity": 100}],
    )
    r = contest(assess(m), "armour")
    assert_allclose(r.balance, 2.0 / 2.0**p)
    assert_allclose(r.required_quality_ratio, 2.0**p)
    assert_allclose(r.factors["numbers"], -p * math.log(2))
    assert r.verdict == ("matched" if law == "linear" else "shortfall")


def test_threshold_boundary_rounding() -> None:
    # β exactly at offset (1.1) up to floating noise counts as offset
    c = {**SQUARE, "law": "linear", "counters": {"tank": 1}}
    m = make_matchup(
        [c],
        blue=[{"id": "b", "class": "tank", "quantity": 10, "quality": 1.1}],
        red=[{"id": "r", "class": "tank", "quantity": 10}],
    )
    assert contest(assess(m), "armour").verdict == "offset"


def test_uncontested_and_empty_blue() -> None:
    m = make_matchup([SQUARE], blue=[{"id": "b", "class": "tank", "quantity": 10}], red=[])
    a = assess(m)
    r = contest(a, "armour")
    assert r.verdict == "uncontested" and r.balance is None and r.factors is None
    assert a.certified and a.index is None
    m = make_matchup([SQUARE], blue=[], red=[{"id": "r", "class": "tank", "quantity": 10}])
    r = contest(assess(m), "armour")
    assert r.balance == 0 and r.verdict == "shortfall"
    assert r.numbers_ratio is None and r.quality_ratio is None and r.factors is None
    j = assess(m).to_json()
    assert j["contests"][0]["balance"] == 0.0 and j["certified"] is False


LAYERED = {
    "id": "strikes",
    "title": "Strikes",
    "domain": "air_defence",
    "law": "layered_defence",
    "critical": True,
    "threat": {"missile": 1, "drone": 0.5},
    "layers": ["lr_sam", "sr_sam"],
    "acceptable_leakage": 0.1,
    "campaign_days": 10,
    "rationale": "test",
}


def test_layered_ample_capacity() -> None:
    # threats: missiles per_day 10 (quantity 1000 -> 100/day cap not binding) → 10;
    # drones per_day 40, weight 0.5, quantity 100 → min(40, 10)=10 → 5.  T = 15
    # lr: 2 batteries × 10 shots = 20/day ≥ 15; Pk 0.8 → 3 leak; sr: 1×20 = 20 ≥ 3; Pk 0.5 → 1.5 leak
    m = make_matchup(
        [LAYERED],
        blue=[
            {"id": "patriot", "class": "lr_sam", "quantity": 2},
            {"id": "gepard", "class": "sr_sam", "quantity": 1},
        ],
        red=[
            {"id": "kh101", "class": "missile", "quantity": 1000, "per_day": 10},
            {"id": "shahed", "class": "drone", "quantity": 100, "per_day": 40},
        ],
    )
    r = contest(assess(m), "strikes")
    assert_allclose(r.red_units, 15.0)
    assert_allclose(r.leakage, 0.2 * 0.5)
    assert_allclose(r.balance, 1.0)
    assert r.verdict == "matched"
    assert r.days_of_interceptors is None  # no stocks declared
    assert_allclose(r.blue_units, 40.0)
    assert_allclose(r.numbers_ratio, 15 / 40)
    assert r.quality_ratio is None and r.factors is None
    assert [c.system for c in r.contributors_red] == ["kh101", "shahed"]
    assert_allclose([c.share for c in r.contributors_red], [10 / 15, 5 / 15])
    # expected kills: patriot 12, gepard 1.5
    assert_allclose([c.share for c in r.contributors_blue], [12 / 13.5, 1.5 / 13.5])


def test_layered_saturation_and_exhaustion() -> None:
    # T = 100/day; lr capacity 20, stock 50 over 10 days → rationed 5/day; Pk 0.8 → 4 kills
    # sr capacity 20 (unlimited) → 20 shots at 96 flying, Pk 0.5 → 10 kills → 86 leak
    m = make_matchup(
        [LAYERED],
        blue=[
            {"id": "patriot", "class": "lr_sam", "quantity": 2, "stock": 50},
            {"id": "gepard", "class": "sr_sam", "quantity": 1},
        ],
        red=[{"id": "kh101", "class": "missile", "quantity": 10000, "per_day": 100}],
    )
    r = contest(assess(m), "strikes")
    assert_allclose(r.leakage, 0.86)
    assert_allclose(r.balance, math.log(0.86) / math.log(0.1))
    assert_allclose(r.blue_units, 25.0)
    # unrationed: lr fires 20/day → 50 interceptors last 2.5 days
    assert_allclose(r.days_of_interceptors, 2.5)
    assert r.verdict == "shortfall"


def test_layered_quality_scales_pk_and_caps() -> None:
    m = make_matchup(
        [LAYERED],
        blue=[{"id": "patriot", "class": "lr_sam", "quantity": 10, "quality": 1.5}],
        red=[{"id": "kh101", "class": "missile", "quantity": 1000, "per_day": 10}],
        blue_training={"air_defence": 1.0},
    )
    r = contest(assess(m), "strikes")
    assert_allclose(r.leakage, 0.01)  # Pk = min(0.99, 0.8*1.5)
    assert_allclose(r.balance, 2.0)


def test_layered_threat_without_per_day_sends_nothing() -> None:
    m = make_matchup(
        [LAYERED],
        blue=[{"id": "p", "class": "lr_sam", "quantity": 1}],
        red=[{"id": "kh101", "class": "missile", "quantity": 1000}],
    )
    assert contest(assess(m), "strikes").verdict == "uncontested"


def test_layered_no_defence_gives_zero() -> None:
    m = make_matchup(
        [LAYERED], blue=[], red=[{"id": "k", "class": "missile", "quantity": 100, "per_day": 5}]
    )
    r = contest(assess(m), "strikes")
    assert r.balance == 0 and r.leakage == 1.0 and r.verdict == "shortfall"


def test_certified_and_index() -> None:
    other = {
        **SQUARE,
        "id": "fires",
        "title": "Fires",
        "law": "linear",
        "critical": False,
        "weight": 3,
        "threat": {"gun": 1},
        "counters": {"gun": 1},
    }
    m = make_matchup(
        [SQUARE, other],
        blue=[
            {"id": "b", "class": "tank", "quantity": 100},
            {"id": "g", "class": "gun", "quantity": 10},
        ],
        red=[
            {"id": "r", "class": "tank", "quantity": 100},
            {"id": "rg", "class": "gun", "quantity": 40},
        ],
    )
    a = assess(m)
    assert a.certified  # armour balance 1.0 matched; fires is not critical
    assert_allclose(a.index, math.exp((1 * math.log(1.0) + 3 * math.log(0.25)) / 4))


def test_index_floor_and_critical_systems() -> None:
    m = make_matchup(
        [SQUARE],
        blue=[
            {"id": "leo", "class": "tank", "quantity": 100},
            {"id": "jav", "class": "atgm", "quantity": 10},
        ],
        red=[{"id": "r", "class": "tank", "quantity": 100}],
    )
    a = assess(m)
    assert a.certified
    ids = [(c.kind, c.id) for c in a.critical_systems]
    assert ("system", "leo") in ids and ("system", "jav") not in ids
    m0 = make_matchup([SQUARE], blue=[], red=[{"id": "r", "class": "tank", "quantity": 1}])
    assert_allclose(assess(m0).index, 1e-3)


def test_critical_system_loss_takes_its_stock_with_it() -> None:
    # patriot holds all the interceptors; losing it must not leave its stock to the other battery
    m = make_matchup(
        [LAYERED],
        blue=[
            {"id": "patriot", "class": "lr_sam", "quantity": 2, "stock": 3000, "quality": 1.2},
            {"id": "samp", "class": "lr_sam", "quantity": 2, "stock": 0, "quality": 1.2},
        ],
        red=[{"id": "k", "class": "missile", "quantity": 10000, "per_day": 10}],
    )
    a = assess(m)
    assert contest(a, "strikes").holds
    lost = {c.id: c.flips for c in a.critical_systems}
    assert lost.get("patriot") == ("strikes",)
    assert "samp" not in lost
