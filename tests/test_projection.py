"""Projection over the MOU years: known answers, delivery rules, closing years, triggers, CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qdb.assess import assess
from qdb.cli import app, main
from qdb.io.load import load_dataset
from qdb.models import Matchup
from qdb.models.commitments import Commitment
from qdb.projection import ProjectionError, project, project_side, step_year
from qdb.results import round_sig
from qdb.whatif import apply_edits
from tests.conftest import make_inventory

DATA = Path(__file__).parent / "data" / "projection"


def fixture_matchup() -> Matchup:
    return load_dataset(DATA).dataset.matchup()


def test_step_year_known_answer() -> None:
    m = fixture_matchup()
    red = m.red
    nxt = step_year(red, m.catalog)
    t72, t90 = nxt.system("t72"), nxt.system("t90")
    assert t72 is not None and t90 is not None
    # attrition 20 %, then 150 new tanks shared pro rata (800 : 120 after attrition)
    assert t72.quantity.value == pytest.approx(1000 * 0.8 + 150 * 800 / 920)
    assert t90.quantity.value == pytest.approx(150 * 0.8 + 150 * 120 / 920)
    geran = nxt.system("geran2")
    assert geran is not None and geran.quantity.value == pytest.approx(3000 * 0.9 + 1000)
    assert geran.per_day is not None and geran.per_day.value == 60  # production rate carries over
    blue = step_year(m.blue, m.catalog)
    patriot = blue.system("patriot")
    assert patriot is not None and patriot.stock is not None
    assert patriot.quantity.value == pytest.approx(6 * 0.95)
    assert patriot.stock.value == pytest.approx(60 * 0.95 + 300)  # attrition, then production
    assert blue.munitions == m.blue.munitions  # no dynamics for shells: unchanged


def test_production_of_a_class_without_systems_creates_one() -> None:
    m = fixture_matchup()
    inv = m.red.model_copy(
        update={"systems": [s for s in m.red.systems if s.class_ != "cruise_missile"]}
    )
    nxt = step_year(inv, m.catalog)
    made = nxt.system("cruise_missile_production")
    assert made is not None and made.quantity.value == 60 and made.quality.value == 1


def test_deliveries_year_zero_late_pledges_and_stock() -> None:
    m = fixture_matchup()
    years = project_side(m.blue, m.catalog, 2027, m.commitments)
    y0 = years[2025]
    # Patriot +2 in 2025 (delivered, no date: not in a 2025-06-01 snapshot? it is dated 2025,
    # the snapshot's own year, so it is added): the magazine grows with the units (60/6 each)
    patriot = y0.system("patriot")
    assert patriot is not None and patriot.quantity.value == 8 and patriot.stock is not None
    assert patriot.stock.value == 80
    # IRIS-T pledged for 2024, not delivered: late, arrives in 2025 with 800/8 rounds a unit
    iris = y0.system("iris_t")
    assert iris is not None and iris.quantity.value == 12 and iris.stock is not None
    assert iris.stock.value == 1200
    assert y0.system("abrams") is None  # 2024 Abrams delivered: in the snapshot
    # new system in 2026 with quality 1, readiness 1, sourced from the commitment
    leo1 = years[2026].system("leopard1")
    assert leo1 is not None and leo1.quantity.value == 80 and leo1.quality.value == 1
    assert leo1.source in years[2026].sources
    abrams = years[2027].system("abrams")
    assert abrams is not None and abrams.quantity.value == 100 and abrams.name == "M1A1 Abrams"
    only = project_side(m.blue, m.catalog, 2027, m.commitments, only_delivered=True)
    assert only[2025].system("iris_t").quantity.value == 8  # type: ignore[union-attr]
    assert only[2027].system("abrams") is None


def _commitment(m: Matchup, deliveries: list[dict[str, Any]]) -> Commitment:
    return Commitment.model_validate(
        {
            "partner": "X",
            "instrument": "test",
            "signed": "2025-01-01",
            "years": {"first": 2025, "last": 2028},
            "source": m.commitments[0].source.model_dump(),
            "deliveries": deliveries,
        }
    )


def test_delivered_shells_go_to_the_munition_supply() -> None:
    m = fixture_matchup()
    com = _commitment(
        m,
        [
            {
                "class": "artillery_shell",
                "system": "shells",
                "quantity": 20000,
                "year": 2026,
                "status": "pledged",
            },
        ],
    )
    years = project_side(m.blue, m.catalog, 2027, (com,))
    assert years[2025].munitions["artillery_shell"].stock.value == 60000
    assert years[2026].munitions["artillery_shell"].stock.value == 80000
    assert years[2026].system("shells") is None  # rounds, not a system
    # a side with no entry for the munition is unlimited in it: nothing to add
    bare = m.blue.model_copy(update={"munitions": {}})
    assert project_side(bare, m.catalog, 2026, (com,))[2026].munitions == {}
    # more shells never lower the artillery balance, and here they raise it
    # (60,000 / 30 days + 4,000 a day feeds 6,000 of the 7,200 rounds 360 ready guns fire)
    p0 = project(replace(m, commitments=()), 2026, 2026)
    p1 = project(replace(m, commitments=(com,)), 2026, 2026)
    b0 = p0.years[0].assessment.contest("artillery")
    b1 = p1.years[0].assessment.contest("artillery")
    assert b0 is not None and b1 is not None and b0.balance is not None and b1.balance is not None
    assert b1.balance > b0.balance


def test_year_zero_equals_assess_without_arrivals() -> None:
    m = replace(fixture_matchup(), commitments=())
    p = project(m, 2025, 2026)
    a = assess(m, with_critical=False)
    y0 = p.years[0].assessment
    assert [r.balance for r in y0.contests] == [r.balance for r in a.contests]
    rec = p.reconciliation
    assert rec is not None and rec["equal"] is True and rec["causes"] == []
    assert rec["differences"] == []


def test_year_zero_reconciles_to_assess_with_the_late_and_due_deliveries() -> None:
    m = fixture_matchup()
    p = project(m, 2025, 2026)
    rec = p.to_json()["reconciliation"]
    assert rec["year"] == 2025 and rec["equal"] is False
    arrivals = {(c["partner"], c["system"], c["quantity"]) for c in rec["causes"]}
    assert arrivals == {
        ("Germany", "iris_t", 4),
        ("Germany", "leopard2", 40),
        ("United States", "patriot", 2),
    }
    assert {d["contest"] for d in rec["differences"]} == {"armour", "air_defence"}
    # by hand: the same arrivals as what-if edits on the snapshot give the projected year 0
    edits = [
        "ukraine:iris_t.quantity+=4",
        "ukraine:iris_t.stock+=400",  # 800 / 8 a unit
        "ukraine:leopard2.quantity+=40",
        "ukraine:patriot.quantity+=2",
        "ukraine:patriot.stock+=20",  # 60 / 6 a unit
    ]
    by_hand = assess(apply_edits(replace(m, commitments=()), edits), with_critical=False)
    assert [r.balance for r in p.years[0].assessment.contests] == [
        r.balance for r in by_hand.contests
    ]
    for d in rec["differences"]:
        assert d["assess"] == round_sig(
            assess(m, with_critical=False).contest(d["contest"]).balance
        )  # type: ignore[union-attr]


def test_a_later_year_equals_the_hand_stepped_inventories() -> None:
    m = fixture_matchup()
    p = project(m, 2025, 2026)
    # 2026 by hand: Patriot (6+2)·0.95 + 2 = 9.6 units, stock (80·0.95 + 300) = 376 then
    # + 376/7.6·2 with the 2026 pair; IRIS-T 12 + 4 units, stock 1200 + 500 then + 1700/12·4;
    # Kh-101 300 + 60 made; Geran 3000·0.9 + 1000; tanks: 15 % attrition then 20 made pro rata
    t64, leo = 500 * 0.85, 100 * 0.85
    edits = [
        "ukraine:patriot.quantity=9.6",
        f"ukraine:patriot.stock={376 + 376 / 7.6 * 2!r}",
        "ukraine:iris_t.quantity=16",
        f"ukraine:iris_t.stock={1700 + 1700 / 12 * 4!r}",
        f"ukraine:t64.quantity={t64 + 20 * t64 / (t64 + leo)!r}",
        f"ukraine:leopard2.quantity={leo + 20 * leo / (t64 + leo)!r}",
        "russia:kh101.quantity=360",
        "russia:geran2.quantity=3700",
        f"russia:t72.quantity={800 + 150 * 800 / 920!r}",
        f"russia:t90.quantity={120 + 150 * 120 / 920!r}",
    ]
    hand = apply_edits(replace(m, commitments=()), edits)
    leo1 = p.year(2026).matchup.blue.system("leopard1")
    assert leo1 is not None
    hand = hand.with_side(
        "blue", hand.blue.model_copy(update={"systems": [*hand.blue.systems, leo1]})
    )
    got = p.year(2026).assessment
    want = assess(hand, with_critical=False)
    for r, w in zip(got.contests, want.contests, strict=True):
        assert r.balance == pytest.approx(w.balance, rel=1e-9), r.id


def test_a_later_first_year_states_that_the_snapshots_were_stepped() -> None:
    m = replace(fixture_matchup(), commitments=())
    rec = project(m, 2026, 2026).reconciliation
    assert rec is not None and rec["equal"] is False
    assert [(c["kind"], c["side"]) for c in rec["causes"]] == [
        ("stepped", "ukraine"),
        ("stepped", "russia"),
    ]


def test_samples_give_probabilities_per_year() -> None:
    m = fixture_matchup()
    p = project(m, 2025, 2026, samples=100, seed=3)
    out = p.to_json()
    assert out["samples"] == 100 and out["seed"] == 3
    y0 = out["years"][0]
    assert 0.0 <= y0["p_certified"] <= 1.0
    assert {"judgement", "p_holds", "p_offset"} <= set(y0["contests"][0])
    same = assess(p.years[0].matchup, samples=100, seed=3, with_critical=False)
    assert y0["p_certified"] == round_sig(same.p_certified)
    with pytest.raises(ProjectionError, match="--samples"):
        project(m, 2025, 2026, samples=-1)


def test_projection_closing_years_triggers_and_json() -> None:
    p = project(fixture_matchup(), 2025, 2030)
    out = p.to_json()
    assert {"years", "closes", "triggers", "assumptions", "reconciliation"} <= set(out)
    assert [y["year"] for y in out["years"]] == list(range(2025, 2031))
    assert set(out["years"][0]) >= {"year", "certified", "index", "contests"}
    # interceptor stock production (300 + 500 rounds a year) fills the magazines by 2028
    assert out["closes"]["air_defence"] == 2028
    assert out["closes"]["armour"] is None
    assert out["closes"]["artillery"] == 2025
    assert p.closing_year("air_defence") == 2028
    trig = {(t["year"], t["contest"]) for t in out["triggers"]}
    assert (2027, "air_defence") in trig and (2028, "air_defence") not in trig
    assert all(t["verdict"] == "shortfall" for t in out["triggers"])
    assert any("late" in a for a in out["assumptions"])
    # a stricter consultation threshold triggers more
    assert len(
        project(fixture_matchup(), 2025, 2030, trigger_threshold=1.2).consultation_triggers
    ) > len(p.consultation_triggers)
    # counting only what has arrived can only be worse here
    d = project(fixture_matchup(), 2025, 2030, only_delivered=True)
    for a, b in zip(p.years, d.years, strict=True):
        for ra, rb in zip(a.assessment.contests, b.assessment.contests, strict=True):
            assert (ra.balance or 0) >= (rb.balance or 0) - 1e-12


def test_year_errors() -> None:
    m = fixture_matchup()
    with pytest.raises(ProjectionError, match="before the ukraine snapshot year 2025"):
        project(m, 2020, 2030)
    with pytest.raises(ProjectionError, match="--to 2024 is before --from 2025"):
        project(m, 2025, 2024)
    with pytest.raises(ProjectionError, match="more than 100 years"):
        project(m, 2025, 2200)
    with pytest.raises(Exception, match="no contest"):
        project(m, 2025, 2026).closing_year("nope")


def test_delivery_of_wrong_class_to_existing_system() -> None:
    m = fixture_matchup()
    com = next(c for c in m.commitments if c.partner == "United States")
    bad = com.model_copy(
        update={
            "deliveries": [com.deliveries[0].model_copy(update={"class_": "mbt", "year": 2026})]
        }
    )
    with pytest.raises(
        ProjectionError, match="'patriot' is class 'mbt' but ukraine's 'patriot' is class 'lr_sam'"
    ):
        project(replace(m, commitments=(bad,)), 2025, 2027)


_CLASSES = st.sampled_from(["mbt", "ifv", "atgm"])


@settings(max_examples=20, deadline=None)
@given(
    st.lists(
        st.tuples(
            _CLASSES,
            st.sampled_from(["t64", "bmp2", "javelin", "new1", "new2"]),
            st.integers(0, 200),
            st.integers(2025, 2028),
        ),
        max_size=5,
    )
)
def test_more_deliveries_never_lower_the_armour_balance(
    lines: list[tuple[str, str, int, int]],
) -> None:
    m = fixture_matchup()
    own = {"t64": "mbt", "bmp2": "ifv", "javelin": "atgm"}
    dels: list[dict[str, Any]] = []
    for cls, sid, q, y in lines:
        cls = own.get(sid, cls)
        sid = f"{sid}_{cls}" if sid.startswith("new") else sid
        dels.append({"class": cls, "system": sid, "quantity": q, "year": y, "status": "pledged"})
    com = Commitment.model_validate(
        {
            "partner": "X",
            "instrument": "test",
            "signed": "2025-01-01",
            "years": {"first": 2025, "last": 2028},
            "source": m.commitments[0].source.model_dump(),
            "deliveries": dels,
        }
    )
    base = project(replace(m, commitments=()), 2025, 2028)
    more = project(replace(m, commitments=(com,)), 2025, 2028)
    for a, b in zip(base.years, more.years, strict=True):
        ra, rb = a.assessment.contest("armour"), b.assessment.contest("armour")
        assert (
            ra is not None and rb is not None and ra.balance is not None and rb.balance is not None
        )
        assert rb.balance >= ra.balance * (1 - 1e-12)


def test_inventory_without_dynamics_is_unchanged() -> None:
    m = fixture_matchup()
    inv = make_inventory("ukraine", [{"id": "t", "class": "mbt", "quantity": 3}])
    assert step_year(inv, m.catalog) is inv


def test_cli_project(capsys: pytest.CaptureFixture[str]) -> None:
    runner = CliRunner()
    r = runner.invoke(
        app, ["project", "--data", str(DATA), "--from", "2025", "--to", "2028", "-f", "json"]
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["from"] == 2025 and out["to"] == 2028 and out["closes"]["air_defence"] == 2028
    r = runner.invoke(app, ["project", "--data", str(DATA), "--to", "2028", "-f", "markdown"])
    assert (
        r.exit_code == 0 and "| Air and missile defence * |" in r.stdout and "| 2028 |" in r.stdout
    )
    assert "2025 differs from `qdb assess`" in r.stdout and "late, assumed to arrive" in r.stdout
    r = runner.invoke(app, ["project", "--data", str(DATA), "--to", "2028", "--samples", "50"])
    assert r.exit_code == 0 and "Consultation triggers" in r.stdout and "P(certified)" in r.stdout
    r = runner.invoke(app, ["project", "--data", str(DATA), "--samples", "-1"])
    assert r.exit_code == 2
    with pytest.raises(SystemExit) as exc:
        main(["project", "--data", str(DATA), "--from", "2019"])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith("--from 2019 is before the ukraine snapshot year 2025")
    )
    assert "Traceback" not in err
    r = runner.invoke(app, ["project", "--data", str(DATA), "--only-delivered", "-f", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["only_delivered"] is True
