"""The optimiser: verified against brute force, its package reproduces its assessment."""

from __future__ import annotations

import itertools
import json
import math
import random
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qdb.assess import assess
from qdb.cli import app
from qdb.errors import OptimizeError
from qdb.io.load import load_dataset
from qdb.models import Matchup
from qdb.optimize import HARD_CAP, PackageLine, apply_package, candidates, optimize
from qdb.projection import project
from qdb.whatif import apply_edits
from tests.conftest import make_matchup

DATA = Path(__file__).parent / "data" / "projection"

ARMOUR = {
    "id": "armour",
    "title": "Armour",
    "domain": "land",
    "law": "square",
    "critical": True,
    "threat": {"tank": 1},
    "counters": {"tank": 1, "atgm": 0.5},
    "rationale": "t",
}
ARTY = {
    "id": "arty",
    "title": "Artillery",
    "domain": "fires",
    "law": "linear",
    "critical": True,
    "threat": {"gun": 1},
    "counters": {"gun": 1, "drone": 0.2},
    "rationale": "t",
}
AIR = {
    "id": "air",
    "title": "Air defence",
    "domain": "air_defence",
    "law": "layered_defence",
    "critical": True,
    "threat": {"missile": 1},
    "layers": ["lr_sam", "sr_sam"],
    "acceptable_leakage": 0.1,
    "campaign_days": 10,
    "rationale": "t",
}
CLASSES = {
    "tank": {"domain": "land", "branch": "ground", "unit": "tank", "unit_cost_musd": 5},
    "atgm": {"domain": "land", "branch": "ground", "unit": "team", "unit_cost_musd": 2},
    "gun": {"domain": "fires", "branch": "ground", "unit": "gun", "unit_cost_musd": 3},
    "drone": {"domain": "fires", "branch": "ground", "unit": "drone", "unit_cost_musd": 1},
    "missile": {"domain": "strike", "branch": "strike", "unit": "missile", "unit_cost_musd": 1},
    "lr_sam": {
        "domain": "air_defence",
        "branch": "air_defence",
        "unit": "battery",
        "unit_cost_musd": 7,
        "pk": 0.7,
        "shots_per_day": 2,
    },
    "sr_sam": {
        "domain": "air_defence",
        "branch": "air_defence",
        "unit": "system",
        "unit_cost_musd": 4,
        "pk": 0.5,
        "shots_per_day": 3,
    },
}


def fixture_matchup() -> Matchup:
    return load_dataset(DATA).dataset.matchup()


def random_instance(seed: int, most: int = 3) -> tuple[Matchup, float]:
    """A small random matchup over 1 to ``most`` critical contests, and a budget."""
    rnd = random.Random(seed)
    contests = rnd.sample([ARMOUR, ARTY, AIR], rnd.randint(1, most))
    ids = {c["id"] for c in contests}
    blue: list[dict[str, Any]] = []
    red: list[dict[str, Any]] = []
    if "armour" in ids:
        blue += [
            {
                "id": "t1",
                "class": "tank",
                "quantity": rnd.randint(5, 15),
                "quality": round(rnd.uniform(0.8, 1.5), 2),
                "readiness": round(rnd.uniform(0.6, 1), 2),
            }
        ]
        if rnd.random() < 0.7:
            blue += [
                {
                    "id": "a1",
                    "class": "atgm",
                    "quantity": rnd.randint(0, 10),
                    "quality": round(rnd.uniform(0.8, 1.5), 2),
                }
            ]
        red += [{"id": "rt", "class": "tank", "quantity": rnd.randint(10, 18)}]
    if "arty" in ids:
        blue += [
            {
                "id": "g1",
                "class": "gun",
                "quantity": rnd.randint(5, 20),
                "quality": round(rnd.uniform(0.8, 1.5), 2),
            }
        ]
        red += [{"id": "rg", "class": "gun", "quantity": rnd.randint(10, 25)}]
    if "air" in ids:
        blue += [
            {
                "id": "p1",
                "class": "lr_sam",
                "quantity": rnd.randint(1, 3),
                "stock": rnd.choice([None, rnd.randint(20, 60)]),
            }
        ]
        if rnd.random() < 0.7:
            blue += [
                {
                    "id": "s1",
                    "class": "sr_sam",
                    "quantity": rnd.randint(1, 4),
                    "quality": round(rnd.uniform(0.9, 1.3), 2),
                }
            ]
        red += [{"id": "rm", "class": "missile", "quantity": 200, "per_day": rnd.randint(3, 9)}]
    blue = [{k: v for k, v in s.items() if v is not None} for s in blue]
    m = make_matchup(contests, blue, red, classes=CLASSES, enablers_by_domain={})
    return m, float(rnd.choice([10, 20, 40, 60]))


def brute_force(m: Matchup, budget: float) -> tuple[float, float, bool, set[str]]:
    """Independent brute force through the public engine.

    Returns (cost, worst balance over the closable contests, all closable hold,
    contests no quantity can close).
    """
    base = assess(m, with_critical=False)
    short = [r.id for r in base.contests if r.critical and r.verdict == "shortfall"]
    cands = candidates(m, short)
    most = assess(apply_package(m, [PackageLine(c, HARD_CAP) for c in cands]), with_critical=False)
    never = {r.id for r in most.contests if r.critical and not r.holds}
    ranges = [range(int(budget // c.unit_cost_musd) + 1) for c in cands]
    best: tuple[bool, float, float] | None = None
    for x in itertools.product(*ranges):
        cost = sum(n * c.unit_cost_musd for n, c in zip(x, cands, strict=True))
        if cost > budget:
            continue
        pkg = [PackageLine(c, n) for c, n in zip(cands, x, strict=True) if n]
        a = assess(apply_package(m, pkg), with_critical=False)
        crit = [r for r in a.contests if r.critical and r.id not in never]
        worst = min(
            [min(r.balance if r.balance is not None else math.inf, 0.9) for r in crit] or [0.9]
        )
        key = (all(r.holds for r in crit), worst, -cost)
        if best is None or key > best:
            best = key
    assert best is not None
    return -best[2], best[1], best[0], never


def _worst(res: Any) -> float:
    crit = [r for r in res.assessment.contests if r.critical and r.id not in res.unreachable]
    return min([min(r.balance if r.balance is not None else math.inf, 0.9) for r in crit] or [0.9])


@pytest.mark.parametrize("seed", range(8))
def test_matches_independent_brute_force(seed: int) -> None:
    m, budget = random_instance(seed, most=2)
    budget = min(budget, 25.0)  # keep the enumeration through the full engine small
    res = optimize(m, budget)
    cost, worst, certified, never = brute_force(m, budget)
    assert set(res.unreachable) == never
    assert res.feasible == (certified and not never)
    if certified:
        assert res.total_cost_musd == pytest.approx(cost, abs=1e-9)
    else:
        assert _worst(res) == pytest.approx(worst, rel=1e-6)
    assert res.total_cost_musd <= budget + 1e-9


@pytest.mark.parametrize("seed", range(8, 36))
def test_matches_exhaustive_enumeration(seed: int) -> None:
    m, budget = random_instance(seed)
    res = optimize(m, budget)
    ex = optimize(m, budget, method="exhaustive")
    assert res.feasible == ex.feasible and res.unreachable == ex.unreachable
    if ex.feasible or all(r.holds for r in ex.assessment.contests if r.id not in ex.unreachable):
        assert res.total_cost_musd == pytest.approx(ex.total_cost_musd, abs=1e-9)
        if res.optimal:
            assert res.total_cost_musd <= ex.total_cost_musd + 1e-9
    else:
        assert _worst(res) == pytest.approx(_worst(ex), rel=1e-6)


def test_package_as_edits_reproduces_the_assessment() -> None:
    m = fixture_matchup()
    res = optimize(m, 20_000, limits={"lr_sam": None})
    assert res.feasible and res.optimal
    assert any(e.endswith(".stock+=1000") for e in res.edits)  # Patriots come with interceptors
    edited = apply_edits(m, list(res.edits))
    assert assess(edited, with_critical=False).to_json() == res.assessment.to_json()
    assert res.assessment.certified
    out = res.to_json()
    assert list(out)[:3] == ["package", "total_cost_musd", "feasible"]
    assert out["total_cost_musd"] == pytest.approx(sum(p["cost_musd"] for p in out["package"]))
    assert {"class", "system", "quantity", "unit_cost_musd", "cost_musd"} <= set(out["package"][0])


def test_by_year_optimises_the_projected_matchup() -> None:
    m = fixture_matchup()
    res = optimize(m, 20_000, by_year=2027)
    assert res.feasible and res.by_year == 2027
    projected = project(m, 2027, 2027).years[0].matchup
    edited = apply_edits(projected, list(res.edits))
    assert assess(edited, with_critical=False).to_json() == res.assessment.to_json()
    assert res.assessment.as_of["ukraine"].startswith("2027")


def test_new_system_for_a_class_blue_lacks() -> None:
    m = make_matchup(
        [ARMOUR],
        [{"id": "t1", "class": "tank", "quantity": 10}],
        [{"id": "rt", "class": "tank", "quantity": 20}],
        classes=CLASSES,
        enablers_by_domain={},
    )
    res = optimize(m, 1000)
    assert res.feasible
    new = [ln for ln in res.package if ln.candidate.new]
    assert [ln.candidate.system for ln in new] == [
        "new_atgm"
    ]  # atgm is cheaper per unit of strength
    assert res.added_systems[0]["class"] == "atgm"
    again = assess(apply_package(m, list(res.package)), with_critical=False)
    assert again.to_json() == res.assessment.to_json()


def test_budget_too_small_maximises_the_worst_balance() -> None:
    m = fixture_matchup()
    res = optimize(m, 500, limits={"lr_sam": None})
    assert not res.feasible and not res.unreachable
    assert "maximises the worst balance" in res.message
    assert res.total_cost_musd <= 500
    assert _worst(res) >= _worst(optimize(m, 0, limits={"lr_sam": None})) - 1e-12


def test_zero_budget_and_nothing_to_do() -> None:
    m = fixture_matchup()
    res = optimize(m, 0)
    assert res.package == () and not res.feasible
    done = optimize(m, 20_000, limits={"lr_sam": None})
    certified = apply_edits(m, list(done.edits))
    again = optimize(certified, 100)
    assert again.feasible and again.package == () and "already holds" in again.message


def test_supply_limits_make_a_gap_unclosable() -> None:
    m = fixture_matchup()
    res = optimize(m, 10**9)  # Patriots limited to 3 a year by the catalog
    assert not res.feasible and res.unreachable == ("air_defence",)
    ((cid, ceiling),) = res.ceilings
    three = apply_edits(m, ["ukraine:patriot.quantity+=3", "ukraine:patriot.stock+=300"])
    r3 = assess(three, with_critical=False).contest("air_defence")
    assert r3 is not None and ceiling == pytest.approx(r3.balance)
    assert "air_defence cannot be closed by adding systems within the supply limits" in res.message
    assert "closes every other shortfall" in res.message
    armour = res.assessment.contest("armour")
    assert armour is not None and armour.holds
    assert optimize(m, 10**9, limits={"lr_sam": 10}).feasible


def test_layer_that_cannot_kill_enough_is_unclosable() -> None:
    one_layer = {**AIR, "layers": ["sr_sam"]}  # one shot at Pk 0.5: at least half leaks
    m = make_matchup(
        [one_layer],
        [{"id": "s1", "class": "sr_sam", "quantity": 2}],
        [{"id": "rm", "class": "missile", "quantity": 200, "per_day": 5}],
        classes=CLASSES,
        enablers_by_domain={},
    )
    res = optimize(m, 10**6)
    assert res.unreachable == ("air",) and res.package == ()
    assert res.ceilings[0][1] == pytest.approx(math.log(0.5) / math.log(0.1))


@pytest.mark.parametrize("budget", [-1, math.inf, math.nan])
def test_bad_budget(budget: float) -> None:
    with pytest.raises(OptimizeError, match="--budget"):
        optimize(fixture_matchup(), budget)


def test_bad_limit() -> None:
    with pytest.raises(OptimizeError, match="unknown class"):
        optimize(fixture_matchup(), 10, limits={"nope": 1})
    with pytest.raises(OptimizeError, match=">= 0"):
        optimize(fixture_matchup(), 10, limits={"mbt": -1})


def test_cli_optimize_json_and_errors() -> None:
    runner = CliRunner()
    r = runner.invoke(
        app,
        ["optimize", "--data", str(DATA), "--budget", "20000", "--by", "2027", "--format", "json"],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["feasible"] is True and out["by_year"] == 2027
    assert {"package", "total_cost_musd", "assessment", "method"} <= set(out)
    r = runner.invoke(app, ["optimize", "--data", str(DATA), "--budget", "-5"])
    assert r.exit_code == 1
    r = runner.invoke(app, ["optimize", "--data", str(DATA), "--budget", "5", "--limit", "mbt"])
    assert r.exit_code == 2
    r = runner.invoke(
        app,
        [
            "optimize",
            "--data",
            str(DATA),
            "--budget",
            "20000",
            "--limit",
            "lr_sam=none",
            "--format",
            "markdown",
        ],
    )
    assert r.exit_code == 0 and "What closing the gaps would cost" in r.stdout
