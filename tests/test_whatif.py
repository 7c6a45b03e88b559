"""What-if edits: grammar, arithmetic, errors, scenarios and the ``qdb whatif`` command."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qdb.cli import app
from qdb.errors import DataError, EditError
from qdb.io.load import load_dataset
from qdb.io.scenario import parse_scenario
from qdb.models import Estimate, Matchup
from qdb.whatif import apply_cli_edits, apply_edits, parse_edit, plan_scenario

DATA = Path(__file__).parent / "data" / "whatif"


@pytest.fixture(autouse=True)
def _cache_in_tmp(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command cache of validated folders stays inside pytest's temporary folder."""
    monkeypatch.setenv("QDB_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "qdb-cache"))


@pytest.fixture(scope="module")
def m() -> Matchup:
    """Read-only baseline matchup of tests/data/whatif (models are frozen)."""
    return load_dataset(DATA).dataset.matchup()


def est(m: Matchup, side: str, sid: str, field: str) -> Estimate:
    s = m.side(side).system(sid)
    assert s is not None
    value: Estimate = getattr(s, field)
    return value


# --- grammar ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "op", "value"),
    [
        ("ukraine:patriot.quantity+=4", "+=", Estimate.point(4)),
        ("ukraine:patriot.quantity += -4", "+=", Estimate.point(-4)),
        ("russia:kh101.per_day*=2", "*=", Estimate.point(2)),
        ("russia:kh101.per_day*=0.5", "*=", Estimate.point(0.5)),
        ("ukraine:training.air=1.2", "=", Estimate.point(1.2)),
        ("ukraine:training.air.value=1.2", "=", Estimate.point(1.2)),
        (
            "ukraine:f16.quality={low: 1, estimate: 1.2, high: 1.4}",
            "=",
            Estimate(1, 1.2, 1.4, True),
        ),
    ],
)
def test_parse_edit(text: str, op: str, value: Estimate) -> None:
    e = parse_edit(text)
    assert e.op == op
    assert e.value == value
    assert e.text == text.strip()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ukraine:patriot.quantity", "expected SIDE:SYSTEM_ID.FIELD then =VALUE"),
        ("ukraine:patriot.quantity-=4", "unknown operator"),
        ("ukraine:patriot.quantity/=4", "unknown operator"),
        ("ukraine:patriot.qty=4", "unknown field 'qty'"),
        ("ukraine:patriot.quantity=four", "'four' is not a number"),
        ("ukraine:patriot.quantity=", "a value is missing after ="),
        ("ukraine:patriot.quantity+=", "a delta is missing after +="),
        ("ukraine:patriot.quantity=inf", "'inf' is not a number"),
        ("ukraine:patriot.quantity+={low: 1, estimate: 2, high: 3}", "can only be set with ="),
        ("ukraine:patriot.quantity={low: 3, estimate: 2, high: 1}", "low <= estimate <= high"),
        ("ukraine:patriot.quantity={low: 1, high: 3}", "missing estimate"),
        ("patriot.quantity=4", "expected SIDE:SYSTEM_ID.FIELD"),
        # v1 addressed pk on the class; v2 has it per engaged threat
        ("catalog:classes.lr_sam.pk=0.9", "or engages.THREAT.pk|shots"),
        ("ukraine:munitions.shell=1", "expected ukraine:munitions.CLASS.FIELD"),
        ("russia:raids.salvo=1", "or russia:raids.RAID.SYSTEM"),
    ],
)
def test_parse_edit_errors(text: str, problem: str) -> None:
    with pytest.raises(EditError) as exc:
        parse_edit(text)
    assert str(exc.value).startswith(f"--set {text.strip()}: ")
    assert problem in str(exc.value)
    assert "\n" not in str(exc.value)


# --- arithmetic ---------------------------------------------------------------------


def test_shift_and_scale(m: Matchup) -> None:
    m2 = apply_edits(m, ["ukraine:t64bv.quantity+=4", "ukraine:t64bv.readiness*=0.5"])
    assert est(m2, "ukraine", "t64bv", "quantity") == Estimate.point(804)
    assert est(m2, "ukraine", "t64bv", "readiness").value == 0.35
    assert est(m, "ukraine", "t64bv", "quantity") == Estimate.point(800)  # baseline untouched


def test_ranges_move_as_a_whole(m: Matchup) -> None:
    m2 = apply_edits(m, ["ukraine:f16.quantity*=2"])
    assert est(m2, "ukraine", "f16", "quantity") == Estimate(20, 40, 60, True)
    m3 = apply_edits(m, ["ukraine:f16.quantity+=5"])
    assert est(m3, "ukraine", "f16", "quantity") == Estimate(15, 25, 35, True)
    m4 = apply_edits(m, ["ukraine:f16.quantity=12"])
    assert est(m4, "ukraine", "f16", "quantity") == Estimate.point(12)
    m5 = apply_edits(m, ["ukraine:t64bv.quantity={low: 700, estimate: 800, high: 900}"])
    assert est(m5, "ukraine", "t64bv", "quantity") == Estimate(700, 800, 900, True)


def test_results_are_rounded_so_inverse_edits_cancel(m: Matchup) -> None:
    m2 = apply_edits(m, ["ukraine:training.air+=0.1", "ukraine:training.air+=-0.1"])
    assert m2.blue.training["air"].value == Estimate.point(0.8)
    m3 = apply_edits(m, ["ukraine:t64bv.readiness+=0.1"])
    assert est(m3, "ukraine", "t64bv", "readiness").value == 0.8  # not 0.7999999999999999


def test_absent_multiplier_starts_from_one(m: Matchup) -> None:
    m2 = apply_edits(m, ["ukraine:enablers.ew*=1.3", "ukraine:training.air_defence+=0.2"])
    assert m2.blue.enablers["ew"].value == Estimate.point(1.3)
    assert m2.blue.training["air_defence"].value == Estimate.point(1.2)
    assert m2.blue.enablers["ew"].rationale == "set by a what-if edit"


def test_absent_stock_can_only_be_set(m: Matchup) -> None:
    with pytest.raises(EditError) as exc:
        apply_edits(m, ["ukraine:t64bv.stock+=3"])
    assert str(exc.value) == (
        "--set ukraine:t64bv.stock+=3: t64bv has no stock to change; set it with ukraine:t64bv.stock=VALUE"
    )
    m2 = apply_edits(m, ["ukraine:t64bv.stock=30"])
    assert est(m2, "ukraine", "t64bv", "stock") == Estimate.point(30)


def test_blue_red_aliases_and_catalog_targets(m: Matchup) -> None:
    m2 = apply_edits(
        m,
        [
            "blue:t64bv.quantity+=1",
            "red:t72b3.quantity*=2",
            "catalog:classes.lr_sam.engages.cruise_missile.pk=0.9",
            "catalog:classes.lr_sam.engages.cruise_missile.shots+=1",
            "catalog:classes.lr_sam.coverage*=1.5",
            "catalog:classes.lr_sam.shots_per_raid=10",
            "catalog:classes.lr_sam.round_cost_musd+=1",
            "catalog:classes.howitzer.fires.rate*=2",
            "catalog:contests.missile_defence.acceptable_leakage=0.3",
        ],
    )
    assert est(m2, "ukraine", "t64bv", "quantity").value == 801
    assert est(m2, "russia", "t72b3", "quantity").value == 1800
    sam = m2.catalog.classes["lr_sam"]
    assert (sam.engages[0].pk, sam.engages[0].shots) == (Estimate.point(0.9), Estimate.point(3))
    assert sam.coverage == Estimate.point(0.75) and sam.shots_per_raid == Estimate.point(10)
    assert sam.round_cost_musd == Estimate.point(5)
    assert m2.catalog.classes["howitzer"].fires.rate == Estimate.point(40)  # type: ignore[union-attr]
    con = m2.catalog.contest("missile_defence")
    assert con is not None and con.acceptable_leakage == Estimate.point(0.3)
    assert m.catalog.classes["lr_sam"].engages[0].pk == Estimate.point(0.8)  # baseline untouched


def test_munitions_and_raid_targets(m: Matchup) -> None:
    m2 = apply_edits(
        m,
        [
            "ukraine:munitions.shell.stock+=5000",
            "ukraine:munitions.shell.per_day*=2",
            "russia:munitions.shell.per_day=0",
            "red:raids.salvo.kh101*=2",
            "russia:raids.salvo.kh101={low: 40, estimate: 60, high: 90}",
        ],
    )
    assert m2.blue.munitions["shell"].stock == Estimate.point(20000)
    assert m2.blue.munitions["shell"].per_day == Estimate.point(1000)
    assert m2.red.munitions["shell"].per_day == Estimate.point(0)
    assert m2.red.raids[0].size["kh101"] == Estimate(40, 60, 90, True)
    assert apply_edits(m, ["red:raids.salvo.kh101*=2"]).red.raids[0].size["kh101"] == (
        Estimate.point(60)
    )
    assert m.red.raids[0].size["kh101"] == Estimate.point(30)  # baseline untouched


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            "ukraine:patriot.quantity+=-10",
            "--set ukraine:patriot.quantity+=-10: quantity would be -4 (must be >= 0)",
        ),
        (
            "ukraine:t64bv.readiness+=0.5",
            "--set ukraine:t64bv.readiness+=0.5: readiness would be 1.2 (must be >= 0 and <= 1)",
        ),
        (
            "ukraine:f16.quantity+=-15",
            "--set ukraine:f16.quantity+=-15: quantity low would be -5 (must be >= 0)",
        ),
        (
            "ukraine:t64bv.quality=0",
            "--set ukraine:t64bv.quality=0: quality would be 0 (must be > 0)",
        ),
        (
            "ukraine:enablers.isr*=100",
            "--set ukraine:enablers.isr*=100: enablers.isr would be 120 (must be > 0 and <= 10)",
        ),
        (
            "poland:t64bv.quantity=1",
            "--set poland:t64bv.quantity=1: side 'poland' is neither 'ukraine' nor 'russia'",
        ),
        (
            "ukraine:t64.quantity=1",
            "--set ukraine:t64.quantity=1: ukraine has no system 't64'; did you mean 't64bv'?",
        ),
        (
            "ukraine:training.navy=1.1",
            "--set ukraine:training.navy=1.1: unknown training branch 'navy'; known: air, air_defence, ground, strike",
        ),
        (
            "ukraine:enablers.eww=1.1",
            "--set ukraine:enablers.eww=1.1: unknown enabler 'eww'; did you mean 'ew'?",
        ),
        (
            "catalog:classes.tank.coverage=0.5",
            "--set catalog:classes.tank.coverage=0.5: the catalog has no class 'tank'",
        ),
        (
            "catalog:classes.lr_sam.engages.cruise_missile.pk=1.5",
            "--set catalog:classes.lr_sam.engages.cruise_missile.pk=1.5: cruise_missile.pk would be "
            "1.5 (must be >= 0 and <= 1)",
        ),
        (
            "catalog:classes.lr_sam.coverage+=0.6",
            "--set catalog:classes.lr_sam.coverage+=0.6: coverage would be 1.1 "
            "(must be >= 0 and <= 1)",
        ),
        (
            "catalog:classes.lr_sam.engages.cruise_missile.shots=0",
            "--set catalog:classes.lr_sam.engages.cruise_missile.shots=0: cruise_missile.shots would "
            "be 0 (must be >= 1 and <= 8)",
        ),
        (
            "catalog:classes.lr_sam.engages.fighter.pk=0.5",
            "--set catalog:classes.lr_sam.engages.fighter.pk=0.5: class 'lr_sam' does not "
            "engage 'fighter'",
        ),
        (
            "catalog:classes.mbt.fires.rate=2",
            "--set catalog:classes.mbt.fires.rate=2: class 'mbt' has no `fires`",
        ),
        (
            "ukraine:munitions.shells.stock=1",
            "--set ukraine:munitions.shells.stock=1: ukraine has no munitions entry 'shells'",
        ),
        (
            "ukraine:munitions.shell.stock+=-20000",
            "--set ukraine:munitions.shell.stock+=-20000: stock would be -5000 (must be >= 0)",
        ),
        (
            "ukraine:munitions.shell.rate=1",
            "--set ukraine:munitions.shell.rate=1: unknown field 'rate'; a munition field is "
            "one of stock, per_day",
        ),
        (
            "russia:raids.nightly.kh101=1",
            "--set russia:raids.nightly.kh101=1: russia has no raid 'nightly'",
        ),
        (
            "russia:raids.salvo.su35=1",
            "--set russia:raids.salvo.su35=1: raid 'salvo' of russia launches no 'su35'",
        ),
        (
            "russia:raids.salvo.kh101+=-31",
            "--set russia:raids.salvo.kh101+=-31: kh101 would be -1 (must be >= 0)",
        ),
        (
            "ukraine:training.x=1",
            "--set ukraine:training.x=1: unknown training branch 'x'; known: air, air_defence, ground, strike",
        ),
    ],
)
def test_edit_errors(m: Matchup, edit: str, message: str) -> None:
    with pytest.raises(EditError) as exc:
        apply_edits(m, [edit])
    assert str(exc.value) == message


def _point(m: Matchup) -> dict[str, object]:
    from qdb.assess import assess

    return assess(m, with_critical=False).to_json()


def test_edits_reach_the_campaign_and_the_ammunition(m: Matchup) -> None:
    """Hand-computed on tests/data/whatif (campaign_days 30, one layer, one raid every 3 days).

    Baseline: 10 salvos of 30 Kh-101; Patriot (6 ready, 8 shots a raid, stock 300) reaches
    coverage 0.5 of them: 15 engaged with 2 shots, P = 1 - 0.2^2 = 0.96, 14.4 killed; leakage
    15.6/30 = 0.52 every raid; 30 rounds a raid exhaust the 300 on day 27.
    Salvos of 60: want 60 rounds, 48 fired (6 x 8): 24 engagements, 23.04 kills; six salvos
    use 288 rounds, the seventh (day 18) gets 12: 6 engagements, 5.76 kills; then 3 salvos
    leak whole. Leaked 6 x 36.96 + 54.24 + 180 = 456 of 600: 0.76, worst raid 1.
    Fires (linear): Ukraine's 100 M777 want 2000 shells a day and get 15000/30 + 500 = 1000
    (u = 0.5); 500 more a day gives u = 0.75; beta = (1.44/0.81) / (300/(100 u)).
    """
    base = _point(m)
    md = base["contests"][2]
    assert (md["id"], md["leakage"], md["worst_raid_leakage"]) == ("missile_defence", 0.52, 0.52)
    assert md["balance"] == pytest.approx(math.log(0.52) / math.log(0.2), rel=1e-9)
    assert base["iamd"]["systems"] == [
        {"system": "patriot", "fired": 300.0, "kills": 144.0, "exhausted_day": 27}
    ]
    fires = base["contests"][3]
    assert fires["balance"] == pytest.approx((1.44 / 0.81) / 6, rel=1e-9)
    assert fires["factors"]["sustainment"] == pytest.approx(-math.log(2), rel=1e-9)

    out = _point(
        apply_edits(m, ["russia:raids.salvo.kh101=60", "ukraine:munitions.shell.per_day+=500"])
    )
    md = out["contests"][2]
    assert md["leakage"] == pytest.approx(0.76, rel=1e-9)
    assert md["worst_raid_leakage"] == pytest.approx(1.0, rel=1e-9)
    assert md["red_units"] == 600
    assert md["balance"] == pytest.approx(math.log(0.76) / math.log(0.2), rel=1e-9)
    (patriot,) = out["iamd"]["systems"]
    assert patriot["fired"] == pytest.approx(300) and patriot["exhausted_day"] == 18
    assert patriot["kills"] == pytest.approx(6 * 23.04 + 5.76, rel=1e-9)
    fires = out["contests"][3]
    assert fires["balance"] == pytest.approx((1.44 / 0.81) / 4, rel=1e-9)
    assert fires["factors"]["sustainment"] == pytest.approx(math.log(0.75), rel=1e-9)
    # a better interceptor: pk 0.9 -> P = 0.99, leakage (30 - 14.85) / 30 = 0.505
    better = _point(apply_edits(m, ["catalog:classes.lr_sam.engages.cruise_missile.pk=0.9"]))
    assert better["contests"][2]["leakage"] == pytest.approx(0.505, rel=1e-9)


def test_reserved_ids_are_not_systems() -> None:
    with pytest.raises(EditError, match=r"expected ukraine:training\.NAME"):
        parse_edit("ukraine:training.Air=1")


# --- scenarios ----------------------------------------------------------------------

SCENARIO = """\
name: Four more IRIS-T batteries
description: Germany delivers; Russia doubles cruise-missile launches.
sources:
  bmvg: {title: Military support for Ukraine, publisher: BMVg, date: 2024-06-11, url: "https://www.bmvg.de/"}
remove: [ukraine:stugna]
add:
  - side: ukraine
    id: iris_t
    name: IRIS-T SLM
    class: lr_sam
    quantity: 4
    stock: {low: 100, estimate: 150, high: 200}
    source: bmvg
edits:
  - ukraine:training.air_defence=1.1
  - russia:kh101.per_day*=2
"""


def test_scenario_applies_remove_add_edits(m: Matchup) -> None:
    sf = parse_scenario(SCENARIO, "s.yaml")
    m2, changes = plan_scenario(m, sf, ["ukraine:iris_t.quantity+=1"])
    assert m2.blue.system("stugna") is None
    iris = m2.blue.system("iris_t")
    assert iris is not None and iris.quantity == Estimate.point(5)
    assert "bmvg" in m2.blue.sources
    assert m2.red.system("kh101").per_day == Estimate.point(24)  # type: ignore[union-attr]
    assert [type(c).__name__ for c in changes] == [
        "RemoveSystem",
        "AddSystem",
        "SetValue",
        "SetValue",
        "SetValue",
    ]


def test_apply_cli_edits_reads_the_scenario_file(m: Matchup, tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(SCENARIO)
    m2 = apply_cli_edits(m, ["ukraine:t64bv.quantity=1"], p)
    assert m2.blue.system("iris_t") is not None
    assert m2.blue.system("t64bv").quantity == Estimate.point(1)  # type: ignore[union-attr]
    assert apply_cli_edits(m, [], None) == m


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("  - russia:kh101.per_day*=2", "  - russia:kh101.per_day*=-2"),
            "s.yaml:16:5: edits[1]: russia:kh101.per_day*=-2: per_day would be -24 (must be >= 0)",
        ),
        (
            ("remove: [ukraine:stugna]", "remove: [ukraine:stugnaa]"),
            "s.yaml:5:10: remove[0]: ukraine:stugnaa: ukraine has no system 'stugnaa'; did you mean 'stugna'?",
        ),
        (
            ("    source: bmvg", "    source: nowhere"),
            "s.yaml:7:5: add[0]: ukraine:iris_t: unknown source 'nowhere'; name one of the inventory's or "
            "the scenario's sources (bmvg, iiss)",
        ),
        (
            ("    class: lr_sam", "    class: sam"),
            "s.yaml:7:5: add[0]: ukraine:iris_t: unknown class 'sam'; did you mean 'lr_sam'?",
        ),
        (
            ("    id: iris_t", "    id: patriot"),
            "s.yaml:7:5: add[0]: ukraine:patriot: ukraine already has a system 'patriot'; edit it instead",
        ),
    ],
)
def test_scenario_errors_are_located(m: Matchup, change: tuple[str, str], message: str) -> None:
    text = SCENARIO.replace(*change)
    assert text != SCENARIO
    with pytest.raises(EditError) as exc:
        plan_scenario(m, parse_scenario(text, "s.yaml"))
    assert str(exc.value) == message


def test_invalid_scenario_file_is_a_located_data_error() -> None:
    text = SCENARIO.replace("    quantity: 4", "    quantity: -4").replace(
        "description:", "descripton:"
    )
    with pytest.raises(DataError) as exc:
        parse_scenario(text, "s.yaml")
    lines = str(exc.value).splitlines()
    assert "s.yaml:2:1: descripton: unknown key 'descripton'; did you mean 'description'?" in lines
    assert any(ln.startswith("s.yaml:11:15: add[0].quantity: must be >= 0") for ln in lines)


# --- the command ---------------------------------------------------------------------

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_whatif_json_contract() -> None:
    code, out, _ = run(
        "whatif", "ukraine:t64bv.quantity+=200", "--data", str(DATA), "--format", "json"
    )
    assert code == 0
    doc = json.loads(out)
    assert list(doc) == [
        "edits",
        "baseline",
        "scenario",
        "changes",
        "certified_before",
        "certified_after",
        "determination_before",
        "determination_after",
        "p_certified_before",
        "p_certified_after",
    ]
    assert doc["edits"] == ["ukraine:t64bv.quantity+=200"]
    armour = doc["changes"][0]
    assert list(armour) == [
        "id",
        "balance_before",
        "balance_after",
        "delta",
        "verdict_before",
        "verdict_after",
        "judgement_before",
        "judgement_after",
        "p_holds_before",
        "p_holds_after",
        "flipped",
    ]
    # hand-computed (see test_whatif_table_and_markdown...): 0.883036 -> 1.274806
    assert armour["id"] == "armour"
    assert armour["balance_before"] == pytest.approx(0.883036122542, rel=1e-9)
    assert armour["balance_after"] == pytest.approx(1.27480566987, rel=1e-9)
    # armour has no ranged input: every sample is the point, so it holds in none, then in all
    assert (armour["p_holds_before"], armour["p_holds_after"]) == (0.0, 1.0)
    assert (armour["judgement_before"], armour["judgement_after"]) == ("shortfall", "offset")
    assert armour["flipped"] is True
    assert doc["baseline"]["inputs_sha256"] != doc["scenario"]["inputs_sha256"]
    assert [c["delta"] for c in doc["changes"][1:]] == [0, 0, 0]
    assert [c["flipped"] for c in doc["changes"][1:]] == [False, False, False]
    # the critical iamd contest is a shortfall in every sample: never certified
    assert (doc["determination_before"], doc["determination_after"]) == (
        "not_certified",
        "not_certified",
    )
    assert (doc["p_certified_before"], doc["p_certified_after"]) == (0.0, 0.0)


def test_whatif_table_and_markdown_show_flips_and_certification() -> None:
    code, out, _ = run("whatif", "ukraine:t64bv.quantity+=200", "--data", str(DATA))
    assert code == 0
    assert "What if: ukraine:t64bv.quantity+=200 - ukraine vs russia" in out
    assert "FLIP" in out
    assert "certification: NOT certified -> NOT certified" in out
    assert "\x1b[" not in out  # plain when not a terminal
    code, md, _ = run(
        "whatif", "ukraine:t64bv.quantity+=200", "--data", str(DATA), "--format", "markdown"
    )
    assert code == 0
    assert "| armour | yes | 0.883 | 1.275 | +0.392 | shortfall | **offset** (flip) |" in md


def test_whatif_scenario_title(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(SCENARIO)
    code, out, _ = run("whatif", "--scenario", str(p), "--data", str(DATA))
    assert code == 0
    assert out.startswith(
        "What if: Four more IRIS-T batteries (remove ukraine:stugna, add ukraine:iris_t, "
    )


@pytest.mark.parametrize(
    "args",
    [
        ["ukraine:t64bv.quantity+=-900"],
        ["ukraine:t64bv.quantity+=-900", "--write"],
        ["ukraine:nope.quantity=1", "--dry-run"],
    ],
)
def test_whatif_bad_edit_exits_1_with_one_line(args: list[str], tmp_path: Path) -> None:
    import subprocess
    import sys

    data = tmp_path / "d"
    shutil.copytree(DATA, data)
    before = {p: p.read_bytes() for p in data.rglob("*.yaml")}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from qdb.cli import main; main()",
            "whatif",
            *args,
            "--data",
            str(data),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith(f"--set {args[0]}: ")
    assert {p: p.read_bytes() for p in data.rglob("*.yaml")} == before


def test_whatif_needs_an_edit() -> None:
    code, _, err = run("whatif", "--data", str(DATA))
    assert code == 2
    assert "give at least one EDIT or --scenario FILE" in err


def test_assess_set_uses_the_same_edits() -> None:
    code, out, _ = run(
        "assess", "--data", str(DATA), "--set", "ukraine:t64bv.quantity+=200", "--format", "json"
    )
    if code == 2 and "No such command" in out:
        pytest.skip("qdb assess not available")
    assert code == 0
    armour = json.loads(out)["contests"][0]
    assert armour["verdict"] == "offset"
    res = runner.invoke(
        app, ["assess", "--data", str(DATA), "--set", "ukraine:t64bv.quantity+=-900"]
    )
    assert res.exit_code == 1


# --- a shared magazine and the "adding never lowers a balance" contract -------------------


def _shared_magazine(fire_units: int) -> Matchup:
    """One interceptor class engaging ballistic missiles first, then cruise missiles, from
    one magazine of 4 rounds; day 0 brings 4 ballistic missiles, day 1 brings 4 cruise."""
    from tests.conftest import make_matchup

    pat = {
        "domain": "air_defence",
        "branch": "air_defence",
        "unit": "fire unit",
        "unit_cost_musd": 100,
        "shots_per_raid": 2,
        "coverage": 1,
        "engages": [{"threat": "missile", "pk": 0.5}, {"threat": "drone", "pk": 0.5}],
    }

    def contest(cid: str, threat: str) -> dict[str, object]:
        return {
            "id": cid,
            "title": cid,
            "domain": "air_defence",
            "law": "iamd",
            "critical": True,
            "threats": [threat],
            "acceptable_leakage": 0.5,
            "rationale": "t",
        }

    return make_matchup(
        [contest("first", "missile"), contest("second", "drone")],
        blue=[{"id": "p", "class": "pat", "quantity": fire_units, "stock": 4}],
        red=[
            {"id": "m", "class": "missile", "quantity": 4},
            {"id": "d", "class": "drone", "quantity": 4},
        ],
        classes={"pat": pat},
        layers=["pat"],
        campaign_days=2,
        raids=[
            {"id": "a", "every_days": 2, "first_day": 0, "size": {"m": 4}},
            {"id": "b", "every_days": 2, "first_day": 1, "size": {"d": 4}},
        ],
    )


def test_shared_magazine_hand_computed() -> None:
    """DESIGN's algorithm by hand. One unit: 2 rounds at the 4 missiles (1 killed), 2 left for
    the drones next day (1 killed): leakage 3/4 each. Two units: all 4 rounds at the missiles
    (2 killed), none left for the drones: 2/4 and 4/4."""
    from qdb.assess import assess

    one = {c.id: c for c in assess(_shared_magazine(1), with_critical=False).contests}
    two = {c.id: c for c in assess(_shared_magazine(2), with_critical=False).contests}
    assert (one["first"].leakage, one["second"].leakage) == (0.75, 0.75)
    assert (two["first"].leakage, two["second"].leakage) == (0.5, 1.0)
    assert two["first"].balance == pytest.approx(1.0)  # ln 0.5 / ln 0.5
    assert two["second"].balance == pytest.approx(0.0)  # nothing stopped


def test_adding_a_fire_unit_can_lower_another_contest() -> None:
    """DESIGN.md claims adding a blue system never lowers any balance; its own greedy iamd
    algorithm does not guarantee it (docs/methodology.md, "Monotonicity, and where it
    fails"): a second fire unit spends the shared magazine on the first threat of its
    `engages` list, leaving none for a later raid of the other contest's threat. The first
    contest improves, the second falls (0.415 -> 0, hand-computed)."""
    from qdb.assess import assess

    one = {c.id: c.balance for c in assess(_shared_magazine(1), with_critical=False).contests}
    two = {c.id: c.balance for c in assess(_shared_magazine(2), with_critical=False).contests}
    rose = [k for k in one if two[k] > one[k] + 1e-12]
    fell = [k for k in one if two[k] < one[k] - 1e-12]
    assert rose and fell


def test_removing_a_red_system_that_raids_launch_is_refused(tmp_path: Path) -> None:
    """A raid naming a removed system would silently launch nothing: say so instead."""
    from qdb.io.load import load_dataset
    from qdb.io.scenario import load_scenario
    from qdb.whatif import plan_cli_edits

    m = load_dataset(None).dataset.matchup()
    sc = tmp_path / "s.yaml"
    sc.write_text("name: t\nremove: [russia:kh101]\n")
    with pytest.raises(EditError) as exc:
        plan_cli_edits(m, [], load_scenario(sc))
    assert "raids missile_night, combined_strike launch 'kh101'" in str(exc.value)
