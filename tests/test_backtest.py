"""Back-tests: recorded raids through the iamd campaign, land losses against Oryx."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from qdb.backtest import (
    backtest_losses,
    backtest_raids,
    compare_raids,
    period_losses,
    replay_matchup,
    size_bucket,
)
from qdb.calibrate.raids import deduplicate, group_raids, resolve
from qdb.cli import main
from qdb.io.attack_records import parse_attack_records, parse_weapon_classes
from qdb.io.load import load_dataset
from qdb.io.loss_records import parse_claims, parse_oryx_tallies

SHARED = Path("/work/shared/data/russia_ukraine")
HEAD = "time_start,time_end,model,launched,destroyed,not_reach_goal,target,source\n"
SRC = """\
sources:
  s: {title: t, publisher: p, date: 2025-01-01, url: https://example.org, kind: primary}
"""

CATALOG = (
    """\
campaign_days: 30
"""
    + SRC
    + """\
classes:
  sam:
    name: SAM
    domain: air_defence
    branch: air_defence
    unit: battery
    unit_cost_musd: 100
    shots_per_raid: 4
    coverage: 1
    engages:
      - {threat: cruise_missile, pk: 0.5, shots: 1}
  cruise_missile:
    name: Cruise missile
    domain: strike
    branch: missile
    unit: missile
    unit_cost_musd: 1
  mbt:
    name: Tank
    domain: land
    branch: ground
    unit: tank
    unit_cost_musd: 5
iamd:
  layers: [sam]
enablers_by_domain:
  land: []
contests:
  - id: cmd
    title: Cruise missile defence
    domain: air_defence
    law: iamd
    critical: true
    weight: 1
    threats: [cruise_missile]
    acceptable_leakage: 0.1
    rationale: r
  - id: armour
    title: Armour
    domain: land
    law: square
    critical: true
    weight: 1
    threat: {mbt: 1}
    counters: {mbt: 1}
    rationale: r
thresholds: {matched: 0.9, offset: 1.1}
"""
)

BLUE = (
    """\
side: ukraine
name: Blue
as_of: 2025-07-31
"""
    + SRC
    + """\
training: {air_defence: {value: 1, rationale: r}, ground: {value: 1, rationale: r}}
systems:
  - {id: sam1, name: SAM, class: sam, quantity: 1, stock: 10, source: s, basis: judgement, notes: n}
  - {id: tank_b, name: Tank, class: mbt, quantity: 100, source: s, basis: judgement, notes: n}
"""
)

RED = (
    """\
side: russia
name: Red
as_of: 2025-07-31
"""
    + SRC
    + """\
training: {missile: {value: 1, rationale: r}, ground: {value: 1, rationale: r}}
systems:
  - {id: kalibr, name: Kalibr, class: cruise_missile, quantity: 1, source: s, basis: judgement, notes: n}
  - {id: tank_r, name: Tank, class: mbt, quantity: 200, source: s, basis: judgement, notes: n}
raids:
  - {id: schedule, every_days: 1, size: {kalibr: 1}}
"""
)

WC = parse_weapon_classes(
    "red: russia\nweapons:\n"
    "  - {model: Kalibr, parts: [{class: cruise_missile, system: kalibr}]}\n"
    "  - {model: Oniks, parts: [{class: cruise_missile}]}\n"
)

# Night 1 (Jul 1, day 0): 10 Kalibr, 5 destroyed. Night 2 (Jul 2, day 1): 2 Kalibr, both
# destroyed, and 3 Oniks (no red system: left out).
RECORDS = HEAD + (
    "2025-07-02 02:00,2025-07-02 05:00,Kalibr,10,5,,Ukraine,kpszsu/a\n"
    "2025-07-03 02:00,2025-07-03 05:00,Kalibr,2,2,,Ukraine,kpszsu/b\n"
    "2025-07-03 02:00,2025-07-03 05:00,Oniks,3,0,,Ukraine,kpszsu/b\n"
)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    (tmp_path / "force_inventories").mkdir()
    (tmp_path / "catalog.yaml").write_text(CATALOG)
    (tmp_path / "force_inventories" / "ukraine.yaml").write_text(BLUE)
    (tmp_path / "force_inventories" / "russia.yaml").write_text(RED)
    return tmp_path


def recorded_raids():
    recs = parse_attack_records(RECORDS, "r.csv")
    return group_raids(resolve(deduplicate(recs, WC).kept, WC).launches)


def test_size_buckets() -> None:
    assert [size_bucket("drones", x) for x in (0, 99, 100, 299.5, 300, 500, 728)] == [
        "0-99",
        "0-99",
        "100-299",
        "100-299",
        "300-499",
        "500+",
        "500+",
    ]
    assert [size_bucket("missiles", x) for x in (9, 10, 19, 20)] == ["0-9", "10-19", "10-19", "20+"]


def test_replay_matchup_puts_recorded_raids_in_the_red_snapshot(tiny: Path) -> None:
    m = load_dataset(tiny).dataset.matchup()
    m2, left = replay_matchup(m, recorded_raids(), dt.date(2025, 7, 1), 5)
    assert [
        (r.id, r.every_days, r.first_day, {k: v.estimate for k, v in r.size.items()})
        for r in m2.red.raids
    ] == [
        ("r20250701", 6, 0, {"kalibr": 10.0}),
        ("r20250702", 6, 1, {"kalibr": 2.0}),
    ]
    kalibr = m2.red.system("kalibr")
    assert kalibr is not None and kalibr.per_day is not None
    assert kalibr.stock is not None and kalibr.stock.estimate == pytest.approx(12.0)
    assert kalibr.per_day.estimate == 0
    assert m2.catalog.campaign_days == 5 and left == {"cruise_missile": 3.0}
    assert m.red.raids[0].id == "schedule"  # the input is not changed


def test_backtest_raids_known_answer(tiny: Path) -> None:
    """Hand-computed campaign: one SAM unit, 4 rounds a raid, pk 0.5, stock 10.

    Night 1: 10 flying, want 10, fire 4: each missile engaged 0.4 times, kills
    0.4 x 10 x 0.5 = 2, leaks 8 (0.8; reported 0.5). Night 2: 2 flying, fire 2,
    kills 1, leaks 1 (0.5; reported 0). Pooled 9/12 predicted, 5/12 reported;
    mean absolute error (0.3 + 0.5) / 2 = 0.4.
    """
    m = load_dataset(tiny).dataset.matchup()
    bt = backtest_raids(m, recorded_raids(), dt.date(2025, 7, 1), 5)
    c = bt.by_class["cruise_missile"]
    assert c.raids == 2 and c.launched == 12.0
    assert c.predicted_leakage == pytest.approx(9 / 12)
    assert c.reported_leakage == pytest.approx(5 / 12)
    assert c.mean_abs_error == pytest.approx(0.4)
    assert [rc.predicted_leakage("cruise_missile") for rc in bt.raids] == pytest.approx([0.8, 0.5])
    assert list(bt.by_size["cruise_missile"]) == ["0-9", "10-19"]
    assert bt.by_size["cruise_missile"]["10-19"].mean_abs_error == pytest.approx(0.3)
    assert bt.left_out == {"cruise_missile": 3.0}
    out = bt.as_dict(per_raid=True)
    assert out["by_class"]["cruise_missile"]["predicted_leakage"] == 0.75
    assert "defender's claim" in out["note"]
    assert out["per_raid"][1]["classes"]["cruise_missile"]["reported_leakage"] == 0.0


def test_compare_ignores_unknown_ids_and_nights_outside_the_window() -> None:
    raids = recorded_raids()
    rcs, by_class, _ = compare_raids(
        raids,
        [
            (0, "r20250701", {"cruise_missile": 10.0}, {"cruise_missile": 1.0}),
            (3, "schedule", {}, {}),
        ],
        dt.date(2025, 7, 1),
        1,
    )
    assert [rc.id for rc in rcs] == ["r20250701"]
    assert by_class["cruise_missile"].mean_abs_error == pytest.approx(0.4)  # |0.1 - 0.5|


def test_period_losses() -> None:
    s = [(dt.date(2025, 3, 21), 10.0), (dt.date(2025, 4, 1), 12.0), (dt.date(2025, 5, 1), 20.0)]
    assert period_losses(s, dt.date(2025, 3, 21), dt.date(2025, 4, 30)) == 2.0
    assert period_losses(s, dt.date(2025, 4, 1), dt.date(2026, 1, 1)) == 8.0
    assert period_losses(s, dt.date(2025, 3, 1), dt.date(2025, 5, 1)) is None  # not covered
    assert period_losses([], dt.date(2025, 3, 1), dt.date(2025, 5, 1)) is None


ORYX = """\
country,equipment_type,destroyed,type_total,date_recorded
Russia,Tanks,0,100,2025-07-01
Russia,Tanks,0,130,2025-07-06
Ukraine,Tanks,0,50,2025-07-01
Ukraine,Tanks,0,60,2025-07-06
"""
CLAIMS = '[{"date": "2025-07-01", "day": 1, "tank": 1000}, {"date": "2025-07-06", "day": 6, "tank": 1080}]'


def test_backtest_losses_known_answer(tiny: Path) -> None:
    from qdb.assess import assess

    m = load_dataset(tiny).dataset.matchup()
    a = assess(m, samples=0, with_critical=False)
    (row,) = backtest_losses(
        a,
        m,
        parse_oryx_tallies(ORYX),
        dt.date(2025, 7, 1),
        dt.date(2025, 7, 6),
        parse_claims(CLAIMS),
    )
    # 200 red tanks vs 100 blue, equal quality: r = 2, q = 1, square law: LER = q / r = 0.5
    assert (row.contest, row.numbers_ratio, row.quality_ratio) == ("armour", 2.0, 1.0)
    assert row.implied_ler == pytest.approx(0.5)
    assert (row.red_losses, row.blue_losses, row.observed_ler) == (30.0, 10.0, 3.0)
    assert row.claims_ler_upper == pytest.approx(8.0)  # 80 claimed / 10 confirmed
    assert row.balance_from_losses == pytest.approx(1.5)  # 3 / r
    assert row.balance == pytest.approx(0.25)  # q / r^2


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else (0 if code is None else 1)), out, err


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDB_CACHE_DIR", str(tmp_path / "cache"))


def test_cli_backtest_raids_json(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "records.csv"
    rec.write_text(RECORDS.replace("Oniks", "Kalibr"))
    code, out, _ = run(
        capsys,
        *["backtest", "raids", str(rec), "--data", str(tiny), "--from", "2025-07-01"],
        *["--to", "2025-07-06", "-q", "-f", "json"],
    )
    assert code == 0, out
    data = json.loads(out)
    assert data["window"] == {"from": "2025-07-01", "to_exclusive": "2025-07-06", "days": 5}
    assert data["by_class"]["cruise_missile"]["raids"] == 2
    assert data["records"]["rows"] == 3


def test_cli_backtest_raids_bad_csv_is_one_located_line(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "bad.csv"
    rec.write_text(HEAD + "2025-07-02 02:00,2025-07-02 05:00,Kalibr,ten,5,,Ukraine,kpszsu/a\n")
    code, out, err = run(capsys, "backtest", "raids", str(rec), "--data", str(tiny), "-q")
    assert (code, out) == (1, "")
    assert err == f"{rec}:2:4: launched: not a number (got 'ten'); expected a whole number >= 0\n"


def test_cli_backtest_losses_markdown(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "daily_count.csv").write_text(ORYX)
    code, out, _ = run(
        capsys,
        *["backtest", "losses", str(tmp_path), "--data", str(tiny), "-q", "-f", "markdown"],
        *["--from", "2025-07-01", "--to", "2025-07-06"],
    )
    assert code == 0
    assert "| armour | square | 2.00 | 1.00 | 0.50 | 3.00 | - | 0.250 | 1.500 |" in out


@pytest.mark.skipif(
    not (SHARED / "air_attacks").is_dir(), reason="shared reference data not present"
)
def test_real_raid_backtest_runs_on_the_bundled_snapshot() -> None:
    from qdb.io.attack_records import load_attack_records, load_weapon_classes

    wc = load_weapon_classes()
    recs = load_attack_records(SHARED / "air_attacks" / "missile_attacks_daily.csv")
    raids = group_raids(resolve(deduplicate(recs, wc).kept, wc).launches)
    m = load_dataset().dataset.matchup(as_of=dt.date(2025, 7, 19))
    bt = backtest_raids(m, raids, dt.date(2025, 4, 20), 90)
    assert len(bt.raids) == 88
    assert set(bt.by_class) == {"ballistic_missile", "cruise_missile", "decoy_drone", "owa_drone"}
    # reported figures are the records' own, whatever the engine predicts
    assert bt.by_class["owa_drone"].reported_leakage == pytest.approx(0.5208, abs=1e-4)
    assert bt.by_class["cruise_missile"].launched == pytest.approx(370.0)
    for s in bt.by_class.values():
        assert s.predicted_leakage is not None and 0.0 <= s.predicted_leakage <= 1.0
