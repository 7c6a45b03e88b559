"""Invariants of the engine on generated data (hypothesis).

* adding or improving any blue system never lowers any balance; removing never raises —
  always for the Lanchester laws with ammunition; for the air campaign when magazines do
  not bind across raids and no layer splits its rounds between threat classes (see
  ``test_greedy_firing_can_lower_a_balance`` for why DESIGN.md's stronger claim fails);
* leakage stays in [0, 1]; magazines never go negative; red never launches more than it has;
* results do not depend on the order systems are listed in a file;
* factors sum to ln balance.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from qdb.assess import assess
from qdb.whatif import apply_edits
from tests.engine_fixtures import (
    catalog,
    iamd_contest,
    inventory,
    lanchester_contest,
    matchup,
    sam,
)

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def worlds(draw, magazines: bool = True, shared: bool = True):  # type: ignore[no-untyped-def]
    """A matchup with an ammunition-limited Lanchester contest and an air campaign.

    ``magazines``: interceptors may hold finite stocks; ``shared``: a layer may
    engage both missiles and drones (splitting its rounds between them).
    """
    law = draw(st.sampled_from(["square", "linear", "power"]))
    extra = {"exponent": draw(st.sampled_from([1.0, 1.3, 2.5]))} if law == "power" else {}
    classes = {
        "sam_a": sam(
            draw(st.floats(0.1, 1.0)),
            draw(st.floats(0.5, 5.0)),
            [
                {
                    "threat": "missile",
                    "pk": draw(st.floats(0.1, 0.9)),
                    "shots": draw(st.sampled_from([1, 2])),
                },
                {"threat": "drone", "pk": draw(st.floats(0.1, 0.9)), "shots": 1},
            ][: 2 if shared else 1],
        ),
        "sam_b": sam(
            draw(st.floats(0.1, 1.0)),
            draw(st.floats(0.5, 5.0)),
            [{"threat": "drone", "pk": draw(st.floats(0.1, 0.9)), "shots": 1}],
        ),
    }
    if draw(st.booleans()):  # coverage that grows with ready units
        del classes["sam_b"]["coverage"]
        classes["sam_b"]["coverage_per_unit"] = draw(st.floats(0.01, 0.6))
    cat = catalog(
        [
            lanchester_contest(
                "land", law, {"tank": 1, "gun": 1}, {"tank": 1, "gun": 2, "atgm": 0.5}, **extra
            ),
            iamd_contest("missiles", ["missile"], 0.2),
            iamd_contest("drones", ["drone"]),
        ],
        classes=classes,
        layers=draw(st.permutations(["sam_a", "sam_b"])),
        campaign_days=draw(st.integers(1, 10)),
        enablers_by_domain={"land": ["isr"]},
    )
    blue_systems = []
    for i in range(draw(st.integers(1, 3))):
        blue_systems.append(
            {
                "id": f"g{i}",
                "class": "gun",
                "quantity": draw(st.integers(0, 50)),
                "quality": draw(st.floats(0.5, 2.0)),
                "readiness": draw(st.floats(0.3, 1.0)),
            }
        )
    blue_systems += [
        {
            "id": "t",
            "class": "tank",
            "quantity": draw(st.integers(0, 80)),
            "quality": draw(st.floats(0.5, 2.0)),
        },
        {"id": "a", "class": "atgm", "quantity": draw(st.integers(0, 80))},
    ]
    for cls in ("sam_a", "sam_b"):
        for i in range(draw(st.integers(1, 2))):
            s = {
                "id": f"{cls}_{i}",
                "class": cls,
                "quantity": draw(st.integers(0, 6)),
                "quality": draw(st.floats(0.6, 1.6)),
                "readiness": draw(st.floats(0.3, 1.0)),
            }
            if magazines and draw(st.booleans()):
                s["stock"] = draw(st.integers(0, 30))
                s["per_day"] = draw(st.sampled_from([0, 1, 3]))
            blue_systems.append(s)
    blue = inventory(
        "ukraine",
        blue_systems,
        training={"ground": draw(st.floats(0.7, 1.5)), "air_defence": draw(st.floats(0.7, 1.5))},
        enablers={"isr": draw(st.floats(0.8, 1.3))},
        munitions={
            "shell": {"stock": draw(st.integers(0, 2000)), "per_day": draw(st.integers(0, 40))}
        },
    )
    red = inventory(
        "russia",
        [
            {"id": "rt", "class": "tank", "quantity": draw(st.integers(1, 100))},
            {"id": "rg", "class": "gun", "quantity": draw(st.integers(0, 60))},
            {
                "id": "rm",
                "class": "missile",
                "quantity": draw(st.integers(1, 60)),
                "per_day": draw(st.sampled_from([0, 2])),
            },
            {
                "id": "rd",
                "class": "drone",
                "quantity": draw(st.integers(1, 300)),
                "quality": draw(st.floats(0.5, 1.5)),
            },
        ],
        munitions={
            "shell": {"stock": draw(st.integers(0, 4000)), "per_day": draw(st.integers(0, 80))}
        },
        raids=[
            {"id": "night", "every_days": 1, "size": {"rd": draw(st.integers(0, 40))}},
            {
                "id": "strike",
                "every_days": draw(st.integers(1, 4)),
                "first_day": draw(st.integers(0, 2)),
                "size": {"rm": draw(st.integers(0, 12)), "rd": draw(st.integers(0, 60))},
            },
        ],
    )
    return matchup(cat, blue, red)


def _improvements(m):  # type: ignore[no-untyped-def]
    """Edits that add or improve blue capability (each alone)."""
    out = []
    for s in m.blue.systems:
        out += [f"ukraine:{s.id}.quantity+=3", f"ukraine:{s.id}.quality*=1.3"]
        if s.readiness.value < 1:
            out.append(f"ukraine:{s.id}.readiness=1")
        if s.stock is not None:
            out += [f"ukraine:{s.id}.stock+=10", f"ukraine:{s.id}.per_day+=2"]
    out += ["ukraine:munitions.shell.stock+=500", "ukraine:munitions.shell.per_day+=10"]
    for cls in ("sam_a", "sam_b"):
        k = m.catalog.classes[cls]
        out.append(f"catalog:classes.{cls}.shots_per_raid+=1")
        if k.coverage is not None and k.coverage.value < 1:
            out.append(f"catalog:classes.{cls}.coverage=1")
        if k.coverage_per_unit is not None:
            out.append(f"catalog:classes.{cls}.coverage_per_unit*=1.5")
        for e in k.engages:
            if e.pk.value < 0.95:
                out.append(f"catalog:classes.{cls}.engages.{e.threat}.pk+=0.05")
    out += [
        "ukraine:training.ground*=1.2",
        "ukraine:training.air_defence*=1.2",
        "ukraine:enablers.isr*=1.2",
    ]
    return out


def _balances(m):  # type: ignore[no-untyped-def]
    return {r.id: r.balance for r in assess(m, with_critical=False).contests}


def _no_lower(before, after, edit):  # type: ignore[no-untyped-def]
    for cid, b in before.items():
        a = after[cid]
        if b is None:
            continue  # uncontested stays uncontested: red did not change
        assert a is not None
        assert a >= b - 1e-9 * max(1.0, abs(b)), f"{edit} lowered {cid}: {b} -> {a}"


@SETTINGS
@given(worlds(), st.data())
def test_more_land_capability_never_lowers_any_balance(m, data) -> None:  # type: ignore[no-untyped-def]
    """Guns, tanks, ATGMs, shells, training and enablers: always monotone (best-first shells)."""
    edit = data.draw(st.sampled_from([e for e in _improvements(m) if _land_only(e)]))
    _no_lower(_balances(m), _balances(apply_edits(m, [edit])), edit)


@SETTINGS
@given(worlds(magazines=False, shared=False), st.data())
def test_more_air_defence_never_lowers_any_balance(m, data) -> None:  # type: ignore[no-untyped-def]
    """Every improvement, air defence included, where magazines do not carry across raids
    and no layer splits its rounds between threat classes (1,500 examples passed locally)."""
    edit = data.draw(st.sampled_from(_improvements(m)))
    _no_lower(_balances(m), _balances(apply_edits(m, [edit])), edit)


@SETTINGS
@given(worlds(magazines=False, shared=False), st.data())
def test_removing_a_blue_system_never_raises_any_balance(m, data) -> None:  # type: ignore[no-untyped-def]
    s = data.draw(st.sampled_from(m.blue.systems))
    fewer = replace(
        m, blue=m.blue.model_copy(update={"systems": [x for x in m.blue.systems if x.id != s.id]})
    )
    _no_lower(_balances(fewer), _balances(m), f"removing {s.id}")


def _land_only(edit: str) -> bool:
    keys = ("ukraine:g", "ukraine:t.", "ukraine:a.", "munitions", "training.ground", "enablers")
    return any(k in edit for k in keys)


def test_greedy_firing_can_lower_a_balance() -> None:
    """DESIGN.md claims more capability never lowers an iamd balance; with finite magazines
    it can. Found by hypothesis and kept as a known answer.

    One day, two raids (1 drone, then 2). Outer layer: 1 round in its magazine, 0.5 rounds a
    ready unit a raid; inner layer: unlimited, 1 round a raid; Pk 0.5 everywhere.
    With 1 outer unit it fires 0.5 in each raid. With 4 units it spends its 1 round on the
    first raid, where the inner layer had rounds to spare, and has none for the second: 0.5
    kills fewer in all. Greedy firing (each raid at full capacity, as DESIGN.md specifies)
    is not the optimal rationing of a magazine. A layer that splits its rounds between
    threat classes shows the same across contests: more coverage against the first threat
    in its `engages` list leaves fewer rounds for the second.
    """
    cat = catalog(
        [iamd_contest("drones", ["drone"])],
        classes={
            "outer": sam(1.0, 0.5, [{"threat": "drone", "pk": 0.5}]),
            "inner": sam(1.0, 1.0, [{"threat": "drone", "pk": 0.5}]),
        },
        layers=["outer", "inner"],
        campaign_days=1,
    )
    red = inventory(
        "russia",
        [{"id": "rd", "class": "drone", "quantity": 3}],
        raids=[
            {"id": "night", "every_days": 1, "size": {"rd": 1}},
            {"id": "strike", "every_days": 1, "size": {"rd": 2}},
        ],
    )

    def leak(n: int) -> float:
        blue = inventory(
            "ukraine",
            [
                {"id": "o", "class": "outer", "quantity": n, "stock": 1},
                {"id": "i", "class": "inner", "quantity": 1},
            ],
        )
        r = assess(matchup(cat, blue, red), with_critical=False).contest("drones")
        assert r is not None and r.leakage is not None
        return r.leakage

    # 1 unit: raid 1: outer kills 0.25, inner 0.375 -> 0.375 leak; raid 2: outer 0.25, inner
    #   1 round at 1.75 in reach -> 0.5 -> 1.25 leak. Total 1.625 of 3.
    # 4 units: raid 1: outer 0.5, inner 0.25 -> 0.25 leak; raid 2: inner 0.5 -> 1.5 leak.
    assert_allclose(leak(1), 1.625 / 3)
    assert_allclose(leak(4), 1.75 / 3)
    assert leak(4) > leak(1)


@SETTINGS
@given(worlds())
def test_leakage_magazines_and_launches_stay_in_bounds(m) -> None:  # type: ignore[no-untyped-def]
    from qdb.contests import compile_plan, evaluate

    a = assess(m, with_critical=False)
    for r in a.contests:
        if r.leakage is not None:
            assert 0.0 <= r.leakage <= 1.0
            assert 0.0 <= r.worst_raid_leakage <= 1.0
    days = m.catalog.campaign_days
    for s in a.campaign:
        sys = next(x for x in m.blue.systems if x.id == s.system)
        assert s.fired >= 0 and s.kills >= 0 and s.kills <= s.fired + 1e-9
        if sys.stock is not None:
            cap = sys.stock.value + (sys.per_day.value if sys.per_day else 0) * (days - 1)
            assert s.fired <= cap + 1e-9
    plan = compile_plan(m)
    ev = evaluate(plan, plan.values(), detail=True)
    for k, j in enumerate(plan.threats):
        sys = next(x for x in m.red.systems if x.id == plan.systems[j].id)
        have = (sys.stock or sys.quantity).value + (sys.per_day.value if sys.per_day else 0) * (
            days - 1
        )
        assert ev.launched[k, 0] <= have + 1e-9
        assert 0 <= ev.leaked[k, 0] <= ev.launched[k, 0] + 1e-9


@SETTINGS
@given(worlds(), st.randoms(use_true_random=False))
def test_order_of_systems_in_a_file_does_not_matter(m, rnd) -> None:  # type: ignore[no-untyped-def]
    b = list(m.blue.systems)
    r = list(m.red.systems)
    rnd.shuffle(b)
    rnd.shuffle(r)
    shuffled = replace(
        m,
        blue=m.blue.model_copy(update={"systems": b}),
        red=m.red.model_copy(update={"systems": r}),
    )
    one, two = _balances(m), _balances(shuffled)
    for cid in one:
        if one[cid] is None:
            assert two[cid] is None
        else:
            assert_allclose(two[cid], one[cid], rtol=1e-12, atol=1e-15)


@SETTINGS
@given(worlds())
def test_factors_sum_to_log_balance(m) -> None:  # type: ignore[no-untyped-def]
    for r in assess(m, with_critical=False).contests:
        if r.factors is not None and r.balance:
            assert_allclose(sum(r.factors.values()), math.log(r.balance), atol=1e-9)


@SETTINGS
@given(worlds())
def test_vectorised_samples_equal_one_sample_runs(m) -> None:  # type: ignore[no-untyped-def]
    """Evaluating many columns at once gives each column's one-column result, verdicts too."""
    from qdb.contests import compile_plan, evaluate
    from qdb.verdicts import at_least, verdict

    plan = compile_plan(m)
    V = plan.values()
    rng = np.random.default_rng(0)
    cols = np.repeat(V, 5, axis=1)
    for i, r in enumerate(plan.systems):  # vary quantities column by column
        cols[r.qty] = V[r.qty, 0] * rng.uniform(0.0, 2.0, 5)
    many = evaluate(plan, cols).balance
    for j in range(5):
        one = evaluate(plan, cols[:, j : j + 1]).balance[:, 0]
        assert_allclose(many[:, j], one, rtol=1e-13, equal_nan=True)
        holds = at_least(many[:, j : j + 1], plan.matched)[:, 0]
        for c in range(len(plan.contest_ids)):
            b = one[c]
            v = verdict(None if b != b else float(b), plan.matched, plan.offset)
            assert bool(holds[c]) == (v != "shortfall")
