"""``qdb diff``: systems added, removed and changed, and the effect on every contest."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qdb.cli import app
from qdb.diff import diff_catalogs, diff_inventories, diff_matchups
from qdb.io.load import load_dataset
from qdb.models import Estimate, Matchup
from qdb.whatif import apply_edits

DATA = Path(__file__).parent / "data" / "whatif"
INV = DATA / "force_inventories"


@pytest.fixture(autouse=True)
def _cache_in_tmp(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command cache of validated folders stays inside pytest's temporary folder."""
    monkeypatch.setenv("QDB_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "qdb-cache"))


@pytest.fixture(scope="module")
def m() -> Matchup:
    """Read-only baseline (models are frozen)."""
    return load_dataset(DATA).dataset.matchup()


def test_identical_inventories_have_no_diff(m: Matchup) -> None:
    d = diff_inventories(m.blue, m.blue)
    assert d.empty
    assert diff_catalogs(m.catalog, m.catalog).empty
    md = diff_matchups(m, m)
    assert all(not c.flipped and c.delta == 0 for c in md.comparison.changes)


def test_field_by_field_changes(m: Matchup) -> None:
    m2 = apply_edits(
        m,
        [
            "ukraine:t64bv.quantity+=200",
            "ukraine:f16.readiness=0.5",
            "ukraine:training.air=1.0",
            "ukraine:enablers.ew=1.1",
            "catalog:classes.lr_sam.engages.cruise_missile.pk=0.9",
        ],
    )
    d = diff_inventories(m.blue, m2.blue)
    assert [(c.id, [(f.field, f.before, f.after) for f in c.fields]) for c in d.changed] == [
        ("t64bv", [("quantity", Estimate.point(800), Estimate.point(1000))]),
        ("f16", [("readiness", Estimate.point(0.75), Estimate.point(0.5))]),
    ]
    assert [(f.field, f.before, f.after) for f in d.training] == [
        ("air", Estimate.point(0.8), Estimate.point(1.0))
    ]
    assert [(f.field, f.before, f.after) for f in d.enablers] == [("ew", None, Estimate.point(1.1))]
    assert diff_catalogs(m.catalog, m2.catalog).classes_changed == ("lr_sam",)
    md = diff_matchups(m, m2)
    armour = md.comparison.changes[0]
    assert armour.id == "armour" and armour.flipped and armour.verdict_after == "offset"
    doc = md.to_json()
    assert list(doc) == [
        "before",
        "after",
        "sides",
        "catalog",
        "changes",
        "certified_before",
        "certified_after",
        "determination_before",
        "determination_after",
        "p_certified_before",
        "p_certified_after",
        "index_before",
        "index_after",
    ]
    # diff_matchups without samples: point determinations, no probabilities
    assert (doc["determination_before"], doc["p_certified_before"]) == ("not_certified", None)
    # index = sum w min(beta, 1) / sum w, weights 1, 2, 1, 1 (betas hand-computed in
    # test_whatif). After: armour 1.27 capped at 1; air: 10 F-16 of quality 1.2 x 1.1 (ew)
    # x 1.0 (air training) vs 24 Su-35, 1.32 / 2.4^2; pk 0.9 kills 0.99 of the 15 engaged:
    # leakage 0.505
    b_fires = 1.44 / 0.81 / 6
    assert doc["index_before"] == pytest.approx(
        (0.883036122542 + 2 * 0.375 + math.log(0.52) / math.log(0.2) + b_fires) / 5, rel=1e-9
    )
    assert doc["index_after"] == pytest.approx(
        (1 + 2 * 1.32 / 2.4**2 + math.log(0.505) / math.log(0.2) + b_fires) / 5, rel=1e-9
    )
    assert doc["sides"][0]["changed"][0] == {
        "id": "t64bv",
        "name": "T-64BV",
        "fields": [{"field": "quantity", "before": 800, "after": 1000}],
    }
    assert doc["index_before"] != doc["index_after"]


def _edited_copy(tmp_path: Path) -> Path:
    d = tmp_path / "after"
    shutil.copytree(DATA, d)
    res = CliRunner().invoke(
        app,
        [
            "whatif",
            "ukraine:t64bv.quantity+=200",
            "ukraine:stugna.quality=1.5",
            "russia:kh101.per_day*=2",
            "--data",
            str(d),
            "--write",
        ],
    )
    assert res.exit_code == 0, res.output
    inv = d / "force_inventories" / "ukraine.yaml"
    text = inv.read_text().replace(
        "  - id: f16\n",
        "  - id: bradley\n    name: M2A2 Bradley\n    class: atgm_team\n    quantity: 100\n    source: iiss\n"
        "  - id: f16\n",
    )
    inv.write_text(text)
    return d


def test_diff_two_files(tmp_path: Path) -> None:
    after = _edited_copy(tmp_path)
    res = CliRunner().invoke(
        app, ["diff", str(INV / "ukraine.yaml"), str(after / "force_inventories" / "ukraine.yaml")]
    )
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "  + bradley (M2A2 Bradley, atgm_team): quantity 100" in out
    assert "  ~ t64bv: quantity 800 -> 1000" in out
    assert "  ~ stugna: quality 1.25 -> 1.5" in out
    assert "russia (as of 2024-01-01): no change" in out  # a file diff changes one side only
    assert "FLIP" in out and "certification:" in out


def test_diff_two_folders_json(tmp_path: Path) -> None:
    after = _edited_copy(tmp_path)
    res = CliRunner().invoke(app, ["diff", str(DATA), str(after), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    blue, red = doc["sides"]
    assert [s["id"] for s in blue["added"]] == ["bradley"]
    assert red["changed"] == [
        {
            "id": "kh101",
            "name": "Kh-101",
            "fields": [{"field": "per_day", "before": 12, "after": 24}],
        }
    ]
    md = CliRunner().invoke(app, ["diff", str(DATA), str(after), "--format", "markdown"])
    assert md.exit_code == 0
    assert "| armour | yes |" in md.stdout and "(flip)" in md.stdout


def test_diff_refuses_different_sides_and_mixed_arguments(tmp_path: Path) -> None:
    from qdb.errors import SelectionError

    res = CliRunner().invoke(app, ["diff", str(INV / "ukraine.yaml"), str(INV / "russia.yaml")])
    assert res.exit_code == 1
    assert isinstance(res.exception, SelectionError)
    assert "diff compares two snapshots of one side" in str(res.exception)
    res = CliRunner().invoke(app, ["diff", str(DATA), str(INV / "russia.yaml")])
    assert res.exit_code == 2
    assert "compare two inventory files or two data folders" in res.stderr


def test_engagement_and_contest_edits_change_the_catalog(m: Matchup) -> None:
    m2 = apply_edits(
        m,
        [
            "catalog:classes.lr_sam.coverage=0.6",
            "catalog:classes.howitzer.fires.rate=30",
            "catalog:contests.missile_defence.acceptable_leakage=0.3",
        ],
    )
    d = diff_catalogs(m.catalog, m2.catalog)
    assert d.classes_changed == ("howitzer", "lr_sam")
    assert d.contests_changed == ("missile_defence",)
    # more coverage: more of each salvo engaged, less leaks (0.5 -> 0.6: 14.4 -> 17.28 killed)
    change = next(c for c in diff_matchups(m, m2).comparison.changes if c.id == "missile_defence")
    assert change.delta > 0


def test_munitions_and_raids_are_part_of_an_inventory_diff(m: Matchup) -> None:
    m2 = apply_edits(m, ["russia:munitions.shell.per_day=9000", "russia:raids.salvo.kh101=40"])
    assert not diff_inventories(m.red, m2.red).empty


def test_campaign_days_and_layers_are_part_of_a_catalog_diff(m: Matchup) -> None:
    cat = m.catalog.model_copy(update={"campaign_days": 60})
    assert not diff_catalogs(m.catalog, cat).empty
