"""The iamd campaign: hand-computed known answers and agreement with the literal algorithm."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from qdb.assess import assess
from tests.engine_fixtures import (
    assert_matches_reference,
    catalog,
    iamd_contest,
    inventory,
    matchup,
    sam,
)


def _one_layer(stock: float = 6, per_day: float = 1, days: int = 4):
    cat = catalog(
        [iamd_contest("bmd", ["missile"])],
        classes={"sam": sam(0.5, 2, [{"threat": "missile", "pk": 0.5, "shots": 1}])},
        layers=["sam"],
        campaign_days=days,
    )
    blue = inventory(
        "ukraine",
        [
            {
                "id": "s1",
                "class": "sam",
                "quantity": 4,
                "readiness": 0.5,
                "stock": stock,
                "per_day": per_day,
            }
        ],
    )
    red = inventory(
        "russia",
        [{"id": "m", "class": "missile", "quantity": 100}],
        raids=[{"id": "r", "every_days": 2, "size": {"m": 10}}],
    )
    return matchup(cat, blue, red)


def test_one_layer_by_hand() -> None:
    # day 0: 10 launched, reach 5, 2 ready units x 2 = 4 rounds (stock 6): 4 engagements at
    # P = 1 - 0.5^(1·1/1) = 0.5 -> 2 kills, 8 leak; stock 2. Day 1: +1 -> 3. Day 2: +1 -> 4;
    # 10 launched, 4 rounds fired, 2 kills, 8 leak, stock 0 -> exhausted on day 2. Day 3: +1.
    a = assess(_one_layer(), with_critical=False)
    r = a.contest("bmd")
    assert r is not None
    assert_allclose(r.leakage, 16 / 20)
    assert_allclose(r.worst_raid_leakage, 0.8)
    assert_allclose(r.balance, math.log(0.8) / math.log(0.1))
    assert_allclose(r.red_units, 20)
    assert r.verdict == "shortfall"
    (s,) = a.campaign
    assert (s.system, s.exhausted_day) == ("s1", 2)
    assert_allclose([s.fired, s.kills], [8, 4])
    js = a.to_json()
    assert js["iamd"]["systems"] == [{"system": "s1", "fired": 8, "kills": 4, "exhausted_day": 2}]
    assert [c["leakage"] for c in js["contests"]] == [0.8]
    assert js["contests"][0]["quality_ratio"] is None
    assert js["contests"][0]["factors"] is None


def test_unlimited_stock_never_runs_out() -> None:
    cat = catalog(
        [iamd_contest("bmd", ["missile"])],
        classes={"sam": sam(0.5, 2, [{"threat": "missile", "pk": 0.5, "shots": 1}])},
        layers=["sam"],
        campaign_days=4,
    )
    blue = inventory("ukraine", [{"id": "s1", "class": "sam", "quantity": 4, "readiness": 0.5}])
    red = inventory(
        "russia",
        [{"id": "m", "class": "missile", "quantity": 100}],
        raids=[{"id": "r", "every_days": 2, "size": {"m": 10}}],
    )
    a = assess(matchup(cat, blue, red), with_critical=False)
    assert a.campaign[0].exhausted_day is None
    assert_allclose(a.contest("bmd").leakage, 0.8)  # type: ignore[union-attr]


def two_layers():
    # outer "ew": coverage 1, 10 rounds a raid, drones only (pk 0.2)
    # inner "gun": coverage 0.5, 1 round a ready unit a raid; missiles first (pk 0.6, 2 shots)
    # then drones (pk 0.5, 1 shot); g_hi (quality 2, 3 units, stock 100) fires before g_lo
    cat = catalog(
        [iamd_contest("drones", ["drone"]), iamd_contest("missiles", ["missile"], 0.2)],
        classes={
            "ew": sam(1.0, 10, [{"threat": "drone", "pk": 0.2, "shots": 1}]),
            "gun": sam(
                0.5,
                1,
                [
                    {"threat": "missile", "pk": 0.6, "shots": 2},
                    {"threat": "drone", "pk": 0.5, "shots": 1},
                ],
            ),
        },
        layers=["ew", "gun"],
        campaign_days=2,
    )
    blue = inventory(
        "ukraine",
        [
            {"id": "g_lo", "class": "gun", "quantity": 10},
            {"id": "jam", "class": "ew", "quantity": 1},
            {"id": "g_hi", "class": "gun", "quantity": 3, "quality": 2, "stock": 100},
        ],
    )
    red = inventory(
        "russia",
        [
            {"id": "d", "class": "drone", "quantity": 50},
            {"id": "m", "class": "missile", "quantity": 3, "quality": 1.5},
        ],
        raids=[{"id": "r1", "every_days": 1, "size": {"d": 20, "m": 2}}],
    )
    return matchup(cat, blue, red)


def test_two_layers_priorities_and_quality_by_hand() -> None:
    a = assess(two_layers(), with_critical=False)
    p_m = 1 - 0.4 ** (2 * 2 / 1.5)  # g_hi (q 2) on a missile of quality 1.5, 2 shots
    # day 0: ew engages 10 of 20 drones, kills 2 -> 18. gun: reach missiles 1, drones 9.
    #   g_hi 3 rounds: 2 at the missile (1 engagement, p_m), 1 at a drone (P 0.75);
    #   g_lo 10 rounds: 8 drones left in reach, P 0.5 -> 4 kills.
    #   leak: drones 18 - 0.75 - 4 = 13.25, missiles 2 - p_m.
    # day 1: missiles: only 1 round left (3 - 2), so 1 launched; reach 0.5 -> g_hi fires 1
    #   (0.5 engagements); 2 rounds at drones (1.5 kills); g_lo 7 drones (3.5 kills).
    #   leak: drones 18 - 1.5 - 3.5 = 13, missiles 1 - 0.5 p_m.
    drones = a.contest("drones")
    missiles = a.contest("missiles")
    assert drones is not None and missiles is not None
    assert_allclose(drones.leakage, (13.25 + 13) / 40)
    assert_allclose(drones.worst_raid_leakage, 13.25 / 20)
    assert_allclose(missiles.red_units, 3)
    assert_allclose(missiles.leakage, (2 - p_m + 1 - 0.5 * p_m) / 3)
    assert_allclose(missiles.worst_raid_leakage, (2 - p_m) / 2)
    assert_allclose(missiles.balance, math.log(missiles.leakage) / math.log(0.2))
    by = {s.system: s for s in a.campaign}
    assert_allclose([by["g_hi"].fired, by["g_lo"].fired, by["jam"].fired], [6, 15, 20])
    assert_allclose(by["g_hi"].kills, p_m + 0.75 + 0.5 * p_m + 1.5)
    assert_allclose([by["g_lo"].kills, by["jam"].kills], [7.5, 4])
    assert [c.system for c in drones.contributors_blue] == ["g_lo", "jam", "g_hi"]
    assert_allclose(drones.contributors_blue[0].share, 7.5 / (7.5 + 4 + 2.25))
    # the raid log tells the first raid's numbers
    day0 = a.raids[0]
    assert (day0.day, day0.raid) == (0, "r1")
    assert_allclose(dict(day0.leaked)["drone"], 13.25)


def test_agrees_with_reference_on_hand_case() -> None:
    assert_matches_reference(two_layers())


def test_coverage_per_unit_grows_with_ready_units() -> None:
    # 2 ready units at 0.25 each cover 1 - 0.75^2 = 0.4375 of the raid
    m = _one_layer()
    k = m.catalog.classes["sam"].model_copy(update={"coverage": None})
    k = type(k).model_validate(
        {**k.model_dump(by_alias=True, exclude_none=True), "coverage_per_unit": 0.25}
    )
    from dataclasses import replace

    cat = m.catalog.model_copy(update={"classes": {**m.catalog.classes, "sam": k}})
    a = assess(replace(m, catalog=cat), with_critical=False)
    reach = 10 * (1 - 0.75**2)  # 4.375 within reach; 4 rounds -> 4 engagements, 2 kills
    assert_allclose(a.contest("bmd").leakage, (10 - 2) / 10)  # type: ignore[union-attr]
    one = replace(
        m,
        blue=m.blue.model_copy(
            update={
                "systems": [
                    m.blue.systems[0].model_copy(
                        update={"readiness": type(m.blue.systems[0].readiness).point(0.25)}
                    )
                ]
            }
        ),
        catalog=cat,
    )
    b = assess(one, with_critical=False)  # 1 ready unit: reach 2.5, 2 rounds, 1 kill a raid
    assert reach > 4
    assert_allclose(b.contest("bmd").leakage, (10 - 1) / 10)  # type: ignore[union-attr]


def test_no_launch_is_uncontested() -> None:
    m = _one_layer()
    red = inventory("russia", [{"id": "m", "class": "missile", "quantity": 100}])
    from dataclasses import replace

    a = assess(replace(m, red=red), with_critical=False)
    r = a.contest("bmd")
    assert r is not None
    assert r.verdict == "uncontested" and r.balance is None and r.leakage is None


def test_red_launches_never_exceed_rounds() -> None:
    # 5 rounds + 1 produced a day; raids of 4 every day for 3 days: 4, then 2, then 1
    cat = catalog(
        [iamd_contest("bmd", ["missile"])],
        classes={"sam": sam(1, 1, [{"threat": "missile", "pk": 0.5}])},
        layers=["sam"],
        campaign_days=3,
    )
    blue = inventory("ukraine", [{"id": "s", "class": "sam", "quantity": 0}])
    red = inventory(
        "russia",
        [{"id": "m", "class": "missile", "quantity": 99, "stock": 5, "per_day": 1}],
        raids=[{"id": "r", "every_days": 1, "size": {"m": 4}}],
    )
    a = assess(matchup(cat, blue, red), with_critical=False)
    assert_allclose(a.contest("bmd").red_units, 4 + 2 + 1)  # type: ignore[union-attr]
    assert_allclose(a.contest("bmd").leakage, 1.0)  # type: ignore[union-attr]
    assert_allclose(a.contest("bmd").balance, math.log(1.0) / math.log(0.1) + 0.0)  # type: ignore[union-attr]


# ---------------------------------------------------------------------------
# The vectorised engine equals the literal algorithm on generated campaigns
# ---------------------------------------------------------------------------

pk = st.floats(0.05, 0.95)
pos = st.floats(0.1, 3.0)


@st.composite
def campaigns(draw):  # type: ignore[no-untyped-def]
    """Two or three layers, up to three systems each, drones/missiles/decoys, 1-3 raids."""
    threats = ["drone", "missile", "decoy"]
    classes = {
        "decoy": {**{"domain": "strike", "branch": "missile"}, "unit": "d", "unit_cost_musd": 0}
    }
    layer_ids = [f"layer{i}" for i in range(draw(st.integers(1, 3)))]
    for lid in layer_ids:
        n = draw(st.integers(1, 3))
        eng = draw(st.permutations(threats))[:n]
        classes[lid] = sam(
            draw(st.floats(0.05, 1.0)),
            draw(st.floats(0.5, 6.0)),
            [{"threat": t, "pk": draw(pk), "shots": draw(st.sampled_from([1, 2]))} for t in eng],
        )
        if draw(st.booleans()):  # coverage grows with the ready units instead
            del classes[lid]["coverage"]
            classes[lid]["coverage_per_unit"] = draw(st.floats(0.01, 0.5))
    blue = []
    for lid in layer_ids:
        for k in range(draw(st.integers(0, 3))):
            s = {
                "id": f"{lid}s{k}",
                "class": lid,
                "quantity": draw(st.integers(0, 6)),
                "readiness": draw(st.floats(0.2, 1.0)),
                "quality": draw(st.sampled_from([0.8, 1.0, 1.0, 1.3])),
            }
            if draw(st.booleans()):
                s["stock"] = draw(st.integers(0, 40))
                s["per_day"] = draw(st.sampled_from([0, 0.5, 2]))
            blue.append(s)
    red = [
        {
            "id": "rd",
            "class": "drone",
            "quantity": draw(st.integers(0, 300)),
            "per_day": draw(st.sampled_from([0, 5])),
        },
        {
            "id": "rm",
            "class": "missile",
            "quantity": draw(st.integers(0, 40)),
            "quality": draw(pos),
        },
        {"id": "rx", "class": "decoy", "quantity": draw(st.integers(0, 200))},
    ]
    raids = []
    for i in range(draw(st.integers(1, 3))):
        size = {
            sid: draw(st.integers(0, 30))
            for sid in draw(st.sets(st.sampled_from(["rd", "rm", "rx"]), min_size=1))
        }
        raids.append(
            {
                "id": f"r{i}",
                "every_days": draw(st.integers(1, 4)),
                "first_day": draw(st.integers(0, 3)),
                "size": size,
            }
        )
    cat = catalog(
        [
            iamd_contest("drones", ["drone"]),
            iamd_contest("missiles", ["missile"], 0.2),
            iamd_contest("all", threats, 0.3),
        ],
        classes=classes,
        layers=layer_ids,
        campaign_days=draw(st.integers(1, 12)),
    )
    return matchup(
        cat,
        inventory(
            "ukraine", blue, training={"air_defence": draw(st.sampled_from([0.9, 1.0, 1.2]))}
        ),
        inventory("russia", red, raids=raids),
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(campaigns())
def test_engine_equals_literal_algorithm(m) -> None:  # type: ignore[no-untyped-def]
    assert_matches_reference(m)
