"""Known answers and an independent oracle for qdb/assess.py and qdb/critical.py (issue #17).

The critical-system analysis re-scores each blue system's loss by running sums and
batched campaigns; the oracle here removes the system through the public what-if
path (its quantity set to 0) and runs the whole assessment again on the same draws.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from qdb.assess import assess, certify, index_of, inputs_digest
from qdb.models.estimate import Estimate
from qdb.targets import parse_target, set_estimate
from tests.engine_fixtures import (
    catalog,
    iamd_contest,
    inventory,
    lanchester_contest,
    matchup,
    sam,
)

HOLDS = ("offset", "matched", "uncontested")


def _without(m, side: str, sid: str):  # type: ignore[no-untyped-def]
    return set_estimate(m, parse_target(f"{side}:{sid}.quantity"), Estimate.point(0))


def _oracle(m, samples: int, seed: int, confidence: float = 0.8):  # type: ignore[no-untyped-def]
    """{system: (flips, judgements without, p_certified without)} by re-assessing."""
    kw = {"samples": samples, "seed": seed, "confidence": confidence, "with_critical": False}
    base = assess(m, **kw)
    crit = {c.id for c in base.contests if c.critical and c.judgement in HOLDS}
    out = {}
    for s in m.blue.systems:
        a = assess(_without(m, m.blue.side, s.id), **kw)
        changed = tuple(
            (c.id, c.judgement) for c in a.contests if c.id in crit and c.judgement not in HOLDS
        )
        if changed:
            out[s.id] = (changed, a.p_certified if samples else None, a)
    return base, out


def _fires(ranged: bool, rich: bool = False):  # type: ignore[no-untyped-def]
    """Linear fires contest; blue's two gun systems ration one shell supply best first.

    ``rich``: red of quality 1.3 at readiness 0.8, a blue gun at readiness 0.7, a
    critical contest that already fails and one nobody contests.
    """
    contests = [
        lanchester_contest("fires", "linear", {"gun": 1}, {"gun": 1}),
        lanchester_contest("armour", "square", {"tank": 1}, {"tank": 1, "atgm": 0.5}),
    ]
    if rich:
        contests += [
            lanchester_contest("atgm_only", "square", {"tank": 1}, {"atgm": 1}),
            lanchester_contest("drones", "linear", {"drone": 1}, {"atgm": 1}),
        ]
    cat = catalog(contests)
    red_guns = {"low": 9, "estimate": 12, "high": 16} if ranged else 12
    blue = inventory(
        "ukraine",
        [
            {"id": "g1", "class": "gun", "quantity": 8, "quality": 1.5},
            {"id": "g2", "class": "gun", "quantity": 10, "quality": 1.0}
            | ({"readiness": 0.7, "quality": 1.3} if rich else {}),
            {"id": "t", "class": "tank", "quantity": 30, "quality": 1.6},
            {"id": "j", "class": "atgm", "quantity": 12},
        ],
        munitions={"shell": {"stock": 0, "per_day": 21}},
    )
    red = inventory(
        "russia",
        [
            {"id": "rg", "class": "gun", "quantity": red_guns}
            | ({"quality": 1.3, "readiness": 0.8} if rich else {}),
            {"id": "rt", "class": "tank", "quantity": 34},
        ],
    )
    return matchup(cat, blue, red)


def _air():  # type: ignore[no-untyped-def]
    cat = catalog(
        [iamd_contest("missiles", ["missile"], 0.3), iamd_contest("drones", ["drone"], 0.5)],
        classes={
            "outer": sam(
                0.8,
                2,
                [
                    {"threat": "missile", "pk": 0.7, "shots": 1},
                    {"threat": "drone", "pk": 0.6, "shots": 1},
                ],
            ),
            "inner": sam(0.9, 3, [{"threat": "missile", "pk": 0.6, "shots": 1}]),
        },
        layers=["outer", "inner"],
        campaign_days=4,
    )
    blue = inventory(
        "ukraine",
        [
            {"id": "o1", "class": "outer", "quantity": 3, "stock": 30},
            {"id": "o2", "class": "outer", "quantity": 2, "quality": 1.2, "stock": 10},
            {"id": "i1", "class": "inner", "quantity": {"low": 1, "estimate": 2, "high": 4}},
        ],
    )
    red = inventory(
        "russia",
        [
            {"id": "m", "class": "missile", "quantity": 40},
            {"id": "d", "class": "drone", "quantity": 60},
        ],
        raids=[{"id": "r", "every_days": 1, "size": {"m": 6, "d": 10}}],
    )
    return matchup(cat, blue, red)


@pytest.mark.parametrize(
    ("build", "samples", "confidence"),
    [
        (lambda: _fires(False), 0, 0.8),
        (lambda: _fires(True), 120, 0.8),
        (lambda: _fires(False, rich=True), 0, 0.8),
        (lambda: _fires(True, rich=True), 120, 0.7),
        (_air, 0, 0.8),
        (_air, 120, 0.8),
        (_air, 120, 0.6),
    ],
    ids=["fires-point", "fires-sampled", "rich-point", "rich-0.7", "air-point", "air", "air-0.6"],
)
def test_critical_systems_equal_re_assessing_without_each_system(  # type: ignore[no-untyped-def]
    build, samples: int, confidence: float
) -> None:
    m = build()
    seed = 3
    base, want = _oracle(m, samples, seed, confidence)
    import warnings

    with warnings.catch_warnings():  # 0/0 of a side left empty is handled, not warned about
        warnings.simplefilter("error")
        got = assess(
            m, samples=samples, seed=seed, confidence=confidence, critical_samples=samples
        ).critical_systems
    assert want, "the data must have a single point of failure to find"
    assert len(want) < len(m.blue.systems), "and a system that is not one"
    assert {c.id: c.judgements_without for c in got} == {k: v[0] for k, v in want.items()}
    for c in got:
        assert c.kind == "system" and c.name == c.id
        assert c.flips == tuple(cid for cid, _ in c.judgements_without)
        a = want[c.id][2]
        if samples:
            assert c.p_certified_without == pytest.approx(a.p_certified, abs=1e-9)
            assert c.p_certified_drop == pytest.approx(base.p_certified - a.p_certified, abs=1e-9)
        else:
            assert c.p_certified_without is None and c.p_certified_drop is None
            # the index without it, from point balances (each contest capped at 1)
            assert c.index_without == pytest.approx(index_of(a.contests), rel=1e-12)
    keys = [(-(c.p_certified_drop or 0.0), -len(c.flips), c.id) for c in got]
    assert keys == sorted(keys)


def test_no_critical_contest_no_critical_system() -> None:
    m = _fires(False)
    cat = m.catalog.model_copy(
        update={"contests": [c.model_copy(update={"critical": False}) for c in m.catalog.contests]}
    )
    assert assess(replace(m, catalog=cat)).critical_systems == ()


# ---------------------------------------------------------------------------
# assess.py helpers
# ---------------------------------------------------------------------------


def test_index_certify_and_contributors_known_answers() -> None:
    a = assess(_fires(False), with_critical=False)
    by = {r.id: r for r in a.contests}
    fires, armour = by["fires"], by["armour"]
    assert fires.balance is not None and armour.balance is not None
    w = (fires.weight * min(fires.balance, 1.0) + armour.weight * min(armour.balance, 1.0)) / (
        fires.weight + armour.weight
    )
    assert a.index == pytest.approx(w)
    assert index_of([replace(fires, weight=0.0)]) is None  # no weight at all: no index
    assert index_of([replace(fires, verdict="uncontested", balance=None)]) is None
    assert certify([replace(fires, critical=False, verdict="shortfall")])
    # contributors: shares of n·q, largest first; g1 takes its shells first (q 1.5):
    # supply 21 a day, g1 wants 8 x 1.5 = 12, g2 gets 9 of 15 -> 6 units
    shares = {c.system: c.share for c in fires.contributors_blue}
    assert list(shares) == ["g1", "g2"]
    assert shares["g1"] == pytest.approx(8 * 1.5 / (8 * 1.5 + 6 * 1.0))
    assert [c.class_ for c in fires.contributors_blue] == ["gun", "gun"]
    assert [(c.system, c.share) for c in fires.contributors_red] == [("rg", 1.0)]


def test_contributors_of_an_empty_side_have_zero_shares() -> None:
    m = _fires(False)
    for sid in ("g1", "g2"):
        m = _without(m, "ukraine", sid)
    r = assess(m, with_critical=False).contest("fires")
    assert r is not None and r.balance == 0.0
    assert [(c.system, c.share) for c in r.contributors_blue] == [("g1", 0.0), ("g2", 0.0)]


def test_inputs_digest_reads_values_not_spelling() -> None:
    m = _fires(False)
    d = inputs_digest(m)
    assert len(d) == 64 and d == inputs_digest(m)
    # 8 and 8.0 guns are the same input; 9 is not
    same = set_estimate(m, parse_target("ukraine:g1.quantity"), Estimate.point(8.0))
    assert inputs_digest(same) == d
    other = set_estimate(m, parse_target("ukraine:g1.quantity"), Estimate.point(9))
    assert inputs_digest(other) != d
    # options enter the digest, in any order
    o = [("samples", 10), ("seed", 1)]
    assert inputs_digest(m, o) == inputs_digest(m, list(reversed(o))) != d
    assert inputs_digest(m, [("samples", 10.0), ("seed", 1)]) == inputs_digest(m, o)


def test_assess_records_its_run() -> None:
    m = _fires(True)
    a = assess(m, samples=50, seed=9, confidence=0.7, with_critical=False)
    assert (a.samples, a.seed, a.confidence) == (50, 9, 0.7)
    assert a.inputs_sha256 == inputs_digest(m, [("samples", 50), ("seed", 9), ("confidence", 0.7)])
    assert a.thresholds == {"matched": 0.9, "offset": 1.1}
    assert a.blue == "ukraine" and a.red == "russia"
    assert a.as_of == {"ukraine": "2025-01-01", "russia": "2025-01-01"}
    with pytest.raises(ValueError, match=r"between 0\.5 and 1"):
        assess(m, confidence=0.5)
    with pytest.raises(ValueError, match=r"between 0\.5 and 1"):
        assess(m, confidence=1.0)


def test_sampled_assessment_fields() -> None:
    from qdb.verdicts import determination
    from qdb.version import ENGINE_VERSION

    m = _fires(True, rich=True)
    seen: list[int] = []
    a = assess(m, samples=80, critical_samples=40, options=[("x", 1)], progress=seen.append)
    assert sum(seen) == 80
    assert a.seed == 0 and a.critical_samples == 40
    assert a.inputs_sha256 == inputs_digest(
        m, [("x", 1), ("samples", 80), ("seed", 0), ("confidence", 0.8)]
    )
    assert a.determination == determination(a.p_certified, 0.8)
    assert a.certified == (a.determination == "certified")
    assert a.engine_version == ENGINE_VERSION
    assert a.campaign_days == 90 and a.warnings == ()
    by = {r.id: r for r in a.contests}
    assert by["drones"].judgement == "uncontested" and by["drones"].p_holds == 1.0
    for r in a.contests:
        assert r.uncertainty is not None
        assert r.p_holds == r.uncertainty["p_matched_or_offset"]
    assert assess(m, engine_version="test-1", with_critical=False).engine_version == "test-1"


def test_point_determination_certified_and_not() -> None:
    cat = catalog([lanchester_contest("c", "linear", {"tank": 1}, {"tank": 1})])
    red = inventory("russia", [{"id": "r", "class": "tank", "quantity": 5}])
    for qty, det in ((10, "certified"), (3, "not_certified")):
        blue = inventory("ukraine", [{"id": "b", "class": "tank", "quantity": qty}])
        a = assess(matchup(cat, blue, red))
        assert (a.determination, a.certified, a.p_certified) == (det, det == "certified", None)
        assert a.critical_samples == 0


def test_index_skips_uncontested_contests_wherever_they_are() -> None:
    a = assess(_fires(False, rich=True), with_critical=False)
    by = {r.id: r for r in a.contests}
    contested = [by["fires"], by["armour"], by["atgm_only"]]
    want = sum(r.weight * min(r.balance or 0.0, 1.0) for r in contested) / sum(
        r.weight for r in contested
    )
    assert index_of([by["drones"], *contested]) == pytest.approx(want)
    assert a.index == pytest.approx(want)


def test_campaign_and_air_contributors_known_fields() -> None:
    a = assess(_air(), with_critical=False)
    rows = {s.system: s for s in a.campaign}
    assert [(s.system, s.name, s.class_, s.layer, s.stock) for s in a.campaign] == [
        ("o1", "o1", "outer", 0, 30.0),
        ("o2", "o2", "outer", 0, 10.0),
        ("i1", "i1", "inner", 1, None),
    ]
    o1 = dict(rows["o1"].kills_by_class)
    assert set(o1) == {"missile", "drone"} and o1["missile"] > 0 and o1["drone"] > 0
    assert dict(rows["i1"].kills_by_class)["drone"] == 0.0
    assert rows["o1"].kills == pytest.approx(sum(o1.values()))
    m, d = a.contest("missiles"), a.contest("drones")
    assert m is not None and d is not None
    assert [c.system for c in m.contributors_red] == ["m"]
    assert [c.system for c in d.contributors_red] == ["d"]
    assert {c.system for c in m.contributors_blue} == {"o1", "o2", "i1"}
    assert {c.system for c in d.contributors_blue} == {"o1", "o2"}
    assert (m.title, m.domain, m.rationale) == ("missiles", "air_defence", "t")
    assert [r.launched for r in a.raids][:1] == [(("drone", 10.0), ("missile", 6.0))]


def test_inputs_digest_sees_every_part() -> None:
    m = _fires(False)
    d = inputs_digest(m)
    cat = m.catalog.model_copy(
        update={"thresholds": m.catalog.thresholds.model_copy(update={"offset": 1.2})}
    )
    assert inputs_digest(replace(m, catalog=cat)) != d
    assert inputs_digest(_without(m, "ukraine", "g1")) != d
    assert inputs_digest(_without(m, "russia", "rg")) != d
    assert inputs_digest(replace(m, options=(("samples", 3),))) != d


def test_inputs_digest_option_values_key_order_and_non_ascii() -> None:
    m = _fires(False)
    assert inputs_digest(m, [("samples", 10)]) != inputs_digest(m, [("samples", 20)])
    # the same catalog with its classes listed in another order is the same input
    data = m.catalog.model_dump(mode="python", by_alias=True)
    data["classes"] = dict(reversed(list(data["classes"].items())))
    other = type(m.catalog).model_validate(data)
    assert list(other.classes) != list(m.catalog.classes)
    assert inputs_digest(replace(m, catalog=other)) == inputs_digest(m)
    # names outside ASCII are hashed, not refused
    cyr = inventory("ukraine", [{"id": "g", "class": "gun", "quantity": 1, "name": "Гармата"}])
    assert len(inputs_digest(replace(m, blue=cyr))) == 64
