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

from qdb.cli import app, main
from qdb.io.load import load_dataset
from qdb.models import Matchup
from qdb.models.commitments import Commitment
from qdb.projection import ProjectionError, project, project_side, step_year
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
    blue = step_year(m.blue, m.catalog)
    patriot = blue.system("patriot")
    assert patriot is not None and patriot.stock is not None
    assert patriot.quantity.value == pytest.approx(6 * 0.95)
    assert patriot.stock.value == pytest.approx(600 * 0.95 + 300)  # attrition, then production


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
    # Patriot +2 in 2025 (delivered): stock grows with the units (600/6 per battery)
    patriot = y0.system("patriot")
    assert patriot is not None and patriot.quantity.value == 8 and patriot.stock is not None
    assert patriot.stock.value == 800
    # IRIS-T pledged for 2024, not delivered: late, arrives in 2025; 2024 Abrams delivered: in the snapshot
    iris = y0.system("iris_t")
    assert iris is not None and iris.quantity.value == 12
    assert y0.system("abrams") is None
    # new system in 2026 with quality 1, readiness 1, sourced from the commitment
    leo1 = years[2026].system("leopard1")
    assert leo1 is not None and leo1.quantity.value == 80 and leo1.quality.value == 1
    assert leo1.source in years[2026].sources
    abrams = years[2027].system("abrams")
    assert abrams is not None and abrams.quantity.value == 100 and abrams.name == "M1A1 Abrams"
    only = project_side(m.blue, m.catalog, 2027, m.commitments, only_delivered=True)
    assert only[2025].system("iris_t").quantity.value == 8  # type: ignore[union-attr]
    assert only[2027].system("abrams") is None


def test_projection_closing_years_triggers_and_json() -> None:
    p = project(fixture_matchup(), 2025, 2030)
    out = p.to_json()
    assert {"years", "closes", "triggers", "assumptions"} <= set(out)
    assert [y["year"] for y in out["years"]] == list(range(2025, 2031))
    assert set(out["years"][0]) >= {"year", "certified", "index", "contests"}
    assert out["closes"]["air_defence"] == 2027
    assert out["closes"]["armour"] is None
    assert out["closes"]["artillery"] == 2025
    assert p.closing_year("air_defence") == 2027
    trig = {(t["year"], t["contest"]) for t in out["triggers"]}
    assert (2026, "air_defence") in trig and (2027, "air_defence") not in trig
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
    assert out["from"] == 2025 and out["to"] == 2028 and out["closes"]["air_defence"] == 2027
    r = runner.invoke(app, ["project", "--data", str(DATA), "--to", "2028", "-f", "markdown"])
    assert (
        r.exit_code == 0 and "| Air and missile defence * |" in r.stdout and "| 2027 |" in r.stdout
    )
    r = runner.invoke(app, ["project", "--data", str(DATA), "--to", "2028"])
    assert r.exit_code == 0 and "Consultation triggers" in r.stdout
    with pytest.raises(SystemExit) as exc:
        main(["project", "--data", str(DATA), "--from", "2019"])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("--from 2019 is before the ukraine snapshot year 2025")
    assert "Traceback" not in err
    r = runner.invoke(app, ["project", "--data", str(DATA), "--only-delivered", "-f", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["only_delivered"] is True
