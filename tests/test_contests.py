"""Known answers computed by hand for the Lanchester laws, ammunition and verdicts."""

from __future__ import annotations

import math

import pytest
from numpy.testing import assert_allclose

from qdb.assess import assess, index_of
from qdb.explain import fmt_balance
from qdb.verdicts import determination, judgement, verdict
from tests.engine_fixtures import catalog, inventory, lanchester_contest, matchup

THR = {"matched": 0.9, "offset": 1.1}


def contest(a, cid):  # type: ignore[no-untyped-def]
    r = a.contest(cid)
    assert r is not None
    return r


def square_matchup():  # type: ignore[no-untyped-def]
    # blue: 100 tanks quality 1.2; 40 ATGM teams x 0.5 = 20 units quality 1 (branch "special",
    # training 1.0); ground training 1.25; enabler isr 1.1 on land
    # red: 300 tanks readiness 0.8 = 240 units, training 0.9
    cat = catalog(
        [lanchester_contest("armour", "square", {"tank": 1}, {"tank": 1, "atgm": 0.5})],
        enablers_by_domain={"land": ["isr"]},
    )
    blue = inventory(
        "ukraine",
        [
            {"id": "leo", "class": "tank", "quantity": 100, "quality": 1.2},
            {"id": "javelin", "class": "atgm", "quantity": 40},
        ],
        training={"ground": 1.25},
        enablers={"isr": 1.1},
    )
    red = inventory(
        "russia",
        [{"id": "t72", "class": "tank", "quantity": 300, "readiness": 0.8}],
        training={"ground": 0.9},
    )
    return matchup(cat, blue, red)


def test_square_known_answer_with_interaction() -> None:
    r = contest(assess(square_matchup(), with_critical=False), "armour")
    nb, nr = 120.0, 240.0
    q_leo, q_jav = 1.2 * 1.25 * 1.1, 1.0 * 1.0 * 1.1
    qb = (100 * q_leo + 20 * q_jav) / nb
    qr = 0.9
    assert_allclose([r.blue_units, r.red_units], [nb, nr])
    assert_allclose(r.numbers_ratio, 2.0)
    assert_allclose(r.quality_ratio, qb / qr)
    assert_allclose(r.required_quality_ratio, 4.0)
    assert_allclose(r.balance, qb / qr / 4.0)
    assert_allclose(r.exponent, 2.0)
    # factors: unit-weighted means of each part, blue over red
    mean_quality = (100 * 1.2 + 20 * 1.0) / 120
    mean_training = (100 * 1.25 + 20 * 1.0) / 120
    f = r.factors
    assert_allclose(f["numbers"], -2 * math.log(2))
    assert_allclose(f["sustainment"], 0.0, atol=1e-15)
    assert_allclose(f["equipment"], math.log(mean_quality))
    assert_allclose(f["training"], math.log(mean_training / 0.9))
    assert_allclose(f["technology"], math.log(1.1))
    # quality and training are correlated across blue's systems: the mean of the product
    # exceeds the product of the means, and the interaction term says by how much
    inter = math.log(((100 * 1.2 * 1.25 + 20 * 1.0 * 1.0) / 120) / (mean_quality * mean_training))
    assert inter > 0.001
    assert_allclose(f["interaction"], inter, rtol=1e-10)
    assert_allclose(sum(f.values()), math.log(r.balance), atol=1e-12)
    assert r.verdict == "shortfall"
    assert [c.system for c in r.contributors_blue] == ["leo", "javelin"]
    assert_allclose(r.contributors_blue[0].share, 100 * q_leo / (100 * q_leo + 20 * q_jav))


@pytest.mark.parametrize(
    ("law", "extra", "p"),
    [
        ("linear", {}, 1.0),
        ("power", {"exponent": 1.5}, 1.5),
        ("square", {"exponent": {"low": 1.2, "estimate": 1.6, "high": 2}}, 1.6),
        ("linear", {"exponent": 1.3}, 1.3),
    ],
)
def test_laws_and_exponent_as_data(law: str, extra: dict, p: float) -> None:
    cat = catalog([lanchester_contest("c", law, {"tank": 1}, {"tank": 1}, **extra)])
    blue = inventory("ukraine", [{"id": "b", "class": "tank", "quantity": 50, "quality": 2.0}])
    red = inventory("russia", [{"id": "r", "class": "tank", "quantity": 100}])
    a = assess(matchup(cat, blue, red), with_critical=False)
    r = contest(a, "c")
    assert_allclose(r.balance, 2.0 / 2.0**p)
    assert_allclose(r.required_quality_ratio, 2.0**p)
    assert_allclose(r.factors["numbers"], -p * math.log(2))
    assert a.to_json()["contests"][0]["exponent"] == p


def ammo_matchup(stock: float = 90, per_day: float = 1):  # type: ignore[no-untyped-def]
    # supply = 90 / 90 days + 1 = 2 shells a day; each gun fires 1.5 a day
    # g_hi (quality 2, 1 gun) is filled first: 1.5 -> u = 1; g_lo (2 guns, demand 3) gets 0.5
    cat = catalog(
        [lanchester_contest("fires", "linear", {"tank": 1}, {"gun": 1})], campaign_days=90
    )
    blue = inventory(
        "ukraine",
        [
            {"id": "g_lo", "class": "gun", "quantity": 2},
            {"id": "g_hi", "class": "gun", "quantity": 1, "quality": 2},
        ],
        munitions={"shell": {"stock": stock, "per_day": per_day}},
    )
    red = inventory("russia", [{"id": "r", "class": "tank", "quantity": 2}])
    return matchup(cat, blue, red)


def test_ammunition_goes_to_the_best_guns_first() -> None:
    r = contest(assess(ammo_matchup(), with_critical=False), "fires")
    nb = 1 + 2 * (0.5 / 3)  # g_hi whole, g_lo a sixth
    q = (1 * 2 + (1 / 3) * 1) / nb
    assert_allclose(r.blue_units, nb)
    assert_allclose(r.numbers_ratio, 2 / nb)
    assert_allclose(r.balance, q / (2 / nb))
    f = r.factors
    assert_allclose(f["numbers"], -math.log(2 / 3))  # every gun supplied: 3 guns vs 2
    assert_allclose(f["sustainment"], -(math.log(2 / nb) - math.log(2 / 3)))
    assert f["sustainment"] < 0
    assert_allclose(sum(f.values()), math.log(r.balance), atol=1e-12)
    assert [c.system for c in r.contributors_blue] == ["g_hi", "g_lo"]


def test_plentiful_ammunition_changes_nothing() -> None:
    r = contest(assess(ammo_matchup(stock=9000, per_day=100), with_critical=False), "fires")
    assert_allclose(r.blue_units, 3)
    assert_allclose(r.factors["sustainment"], 0.0, atol=1e-15)


def test_no_munitions_entry_is_unlimited() -> None:
    m = ammo_matchup()
    blue = m.blue.model_copy(update={"munitions": {}})
    from dataclasses import replace

    r = contest(assess(replace(m, blue=blue), with_critical=False), "fires")
    assert_allclose(r.blue_units, 3)


def test_empty_sides() -> None:
    cat = catalog([lanchester_contest("c", "square", {"tank": 1}, {"tank": 1})])
    none = inventory("ukraine", [{"id": "b", "class": "atgm", "quantity": 5}])
    some = inventory("russia", [{"id": "r", "class": "tank", "quantity": 5}])
    r = contest(assess(matchup(cat, none, some), with_critical=False), "c")
    assert r.balance == 0 and r.verdict == "shortfall"
    assert r.quality_ratio is None and r.factors is None
    blue = inventory("ukraine", [{"id": "b", "class": "tank", "quantity": 5}])
    red = inventory("russia", [{"id": "r", "class": "atgm", "quantity": 5}])
    r = contest(assess(matchup(cat, blue, red), with_critical=False), "c")
    assert r.verdict == "uncontested" and r.balance is None


# ---------------------------------------------------------------------------
# Verdicts at the thresholds, by one rounding error either side
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("beta", "expected"),
    [
        (1.1, "offset"),
        (1.1 - 1e-15, "offset"),  # float noise below the threshold: rounding lifts it
        (1.1 + 1e-15, "offset"),
        (1.1 - 1e-11, "matched"),  # a real difference at the 11th digit stays below
        (0.9, "matched"),
        (0.9 - 1e-15, "matched"),
        (0.9 - 1e-11, "shortfall"),
        (0.0, "shortfall"),
    ],
)
def test_verdict_rounding_at_thresholds(beta: float, expected: str) -> None:
    assert verdict(beta, 0.9, 1.1) == expected


def test_balance_from_the_engine_rounds_like_the_verdict() -> None:
    # quality 1.1 / numbers 1 under the linear law: 1.1 * 3 / 3 carries float noise
    cat = catalog([lanchester_contest("c", "linear", {"tank": 1}, {"tank": 1})])
    blue = inventory("ukraine", [{"id": "b", "class": "tank", "quantity": 3, "quality": 1.1}])
    red = inventory("russia", [{"id": "r", "class": "tank", "quantity": 3}])
    r = contest(assess(matchup(cat, blue, red), with_critical=False), "c")
    assert r.verdict == "offset"


@pytest.mark.parametrize(
    ("beta", "text"),
    [(1.0994, "1.099"), (1.1, "1.10"), (0.8999, "0.8999"), (0.901, "0.90"), (2.5, "2.50")],
)
def test_printed_balance_never_contradicts_its_verdict(beta: float, text: str) -> None:
    assert fmt_balance(beta, THR) == text
    assert verdict(float(text), 0.9, 1.1) == verdict(beta, 0.9, 1.1)


@pytest.mark.parametrize(
    ("p_off", "p_hold", "c", "expected"),
    [
        (0.8, 0.9, 0.8, "offset"),
        (0.79, 0.8, 0.8, "matched"),
        (0.0, 0.79, 0.8, "indeterminate"),
        (0.0, 0.21, 0.8, "indeterminate"),
        (0.0, 0.2, 0.8, "shortfall"),
        (0.0, 0.1, 0.95, "indeterminate"),
        (0.0, 0.05, 0.95, "shortfall"),
    ],
)
def test_judgement_at_confidence(p_off: float, p_hold: float, c: float, expected: str) -> None:
    assert judgement(p_off, p_hold, c) == expected


@pytest.mark.parametrize(
    ("p", "c", "expected"),
    [
        (0.8, 0.8, "certified"),
        (0.79, 0.8, "indeterminate"),
        (0.21, 0.8, "indeterminate"),
        (0.2, 0.8, "not_certified"),
        (0.0, 0.8, "not_certified"),
    ],
)
def test_determination_at_c_and_one_minus_c(p: float, c: float, expected: str) -> None:
    assert determination(p, c) == expected


def test_index_caps_each_contest_at_one() -> None:
    a = assess(square_matchup(), with_critical=False)
    r = a.contests[0]
    assert_allclose(index_of([r]), min(r.balance, 1.0))
    from dataclasses import replace

    big = replace(r, id="x", balance=3.0, verdict="offset", weight=1.0)
    small = replace(r, id="y", balance=0.2, verdict="shortfall", weight=3.0)
    assert_allclose(index_of([big, small]), (1.0 + 3 * 0.2) / 4)


def test_point_only_determination() -> None:
    a = assess(square_matchup(), with_critical=False)
    assert a.p_certified is None and a.determination == "not_certified"
    assert a.contests[0].judgement == "shortfall"
    js = a.to_json()
    assert js["p_certified"] is None and js["contests"][0]["p_holds"] is None
    assert "samples" not in js
