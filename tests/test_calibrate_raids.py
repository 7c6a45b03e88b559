"""Raids from air-attack records: de-duplication, grouping, window statistics, schedules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qdb.calibrate.raids import (
    deduplicate,
    derive_schedule,
    group_raids,
    percentile,
    raids_in_window,
    recorded_raids_as_inventory,
    resolve,
    window_stats,
)
from qdb.io.attack_records import load_attack_records, load_weapon_classes, parse_attack_records
from qdb.io.attack_records import parse_weapon_classes as pwc

REAL = Path("/work/shared/data/russia_ukraine/air_attacks/missile_attacks_daily.csv")
HEAD = "time_start,time_end,model,launched,destroyed,not_reach_goal,target,source\n"

WC = pwc(
    """\
red: russia
weapons:
  - model: Shahed-136/131
    parts:
      - {class: owa_drone, system: geran2, share: 0.5}
      - {class: decoy_drone, system: gerbera_decoy, share: 0.5}
    earlier:
      - until: 2024-09-01
        parts: [{class: owa_drone, system: geran2}]
        rationale: no decoys counted before
  - model: Kalibr
    parts: [{class: cruise_missile, system: kalibr}]
  - model: X-101/X-555
    parts: [{class: cruise_missile, system: kh101}]
  - model: Iskander-M
    parts: [{class: ballistic_missile, system: iskander_m_missile}]
  - model: C-300
    parts: [{class: ballistic_missile}]
  - model: Orlan-10
    ignore: reconnaissance
""",
    "wc.yaml",
)

# Three nights. Night 1 (Jul 1): 100 drones nationally + the southern command's 6 of them
# (a duplicate), a copied row, 10 Kalibr and 4 Iskander-M at 02:00 the next morning.
# Night 2 (Jul 2): 40 drones; the southern command's 2 Iskander-M with no national report
# of ballistic missiles that night (kept). Night 3 (Jul 4): 300 drones, 20 Kh-101 + 2 S-300.
CSV = HEAD + (
    "2025-07-01 20:00,2025-07-02 08:00,Shahed-136/131,100,50,40,Ukraine,kpszsu/a\n"
    "2025-07-02,2025-07-02,Shahed-136/131,6,6,,south,PvKPivden/b\n"
    "2025-07-02 02:00,2025-07-02 05:00,Kalibr,10,8,,Ukraine,kpszsu/a\n"
    "2025-07-02 02:00,2025-07-02 05:00,Iskander-M,4,1,,Ukraine,kpszsu/a\n"
    "2025-07-02 02:00,2025-07-02 05:00,Iskander-M,4,1,,Ukraine,kpszsu/a\n"
    "2025-07-02 21:00,2025-07-03 08:00,Shahed-136/131,40,30,5,Ukraine,kpszsu/c\n"
    "2025-07-03,2025-07-03,Iskander-M,2,0,,Odesa oblast,PvKPivden/d\n"
    "2025-07-03,2025-07-03,Orlan-10,3,3,,south,PvKPivden/d\n"
    "2025-07-04 20:00,2025-07-05 08:00,Shahed-136/131,300,200,90,Ukraine,kpszsu/e\n"
    "2025-07-05 03:00,2025-07-05 06:00,X-101/X-555 and C-300,22,15,,Ukraine,kpszsu/e\n"
)


def tiny():
    recs = parse_attack_records(CSV, "t.csv")
    d = deduplicate(recs, WC)
    return recs, d, resolve(d.kept, WC)


def test_dedup_drops_the_copy_and_the_covered_regional_row_only() -> None:
    _, d, _ = tiny()
    assert [(r.line, why) for r, why in d.dropped] == [
        (6, "copy of line 5"),
        (3, "regional (pvkpivden) row of night 2025-07-01 covered by the national row on line 2"),
    ]
    # the southern Iskander-M of night 2 stays: no national ballistic report that night
    assert 8 in [r.line for r in d.kept] and 9 in [r.line for r in d.kept]


def test_a_regional_row_is_covered_only_by_the_same_weapon() -> None:
    wc = pwc(
        "red: russia\nweapons:\n"
        "  - {model: Iskander-M, parts: [{class: ballistic_missile, system: iskander_m_missile}]}\n"
        "  - {model: Iskander-M/KN-23, parts: [{class: ballistic_missile, system: iskander_m_missile, share: 0.5}, {class: ballistic_missile, system: kn23, share: 0.5}]}\n"
        "  - {model: X-47 Kinzhal, parts: [{class: ballistic_missile, system: kinzhal}]}\n"
    )
    recs = parse_attack_records(
        HEAD + "2025-07-08 20:00,2025-07-09 08:00,X-47 Kinzhal,6,0,,Ukraine,kpszsu/a\n"
        "2025-07-09,2025-07-09,Iskander-M,1,0,,Odesa oblast,PvKPivden/b\n"
        "2025-07-09 20:00,2025-07-10 08:00,Iskander-M/KN-23,8,8,,Ukraine,kpszsu/c\n"
        "2025-07-10,2025-07-10,Iskander-M,2,0,,Odesa oblast,PvKPivden/d\n"
    )
    d = deduplicate(recs, wc)
    # Kinzhal nationally does not cover an Iskander-M regionally; Iskander-M/KN-23 does
    assert [r.line for r in d.kept] == [2, 3, 4]
    assert [r.line for r, _ in d.dropped] == [5]


def test_resolve_splits_combined_names_equally_and_drones_by_share() -> None:
    _, _, res = tiny()
    by_line: dict[int, list[tuple[str, str | None, float, float | None]]] = {}
    for ln in res.launches:
        by_line.setdefault(ln.record.line, []).append(
            (ln.class_, ln.system, ln.launched, ln.destroyed)
        )
    assert by_line[2] == [
        ("owa_drone", "geran2", 50.0, 25.0),
        ("decoy_drone", "gerbera_decoy", 50.0, 25.0),
    ]
    assert by_line[11] == [
        ("cruise_missile", "kh101", 11.0, 7.5),
        ("ballistic_missile", None, 11.0, 7.5),
    ]
    assert res.ignored == {"Orlan-10": (1, 3)} and res.unknown == {} and res.no_count == 0


def test_before_the_decoy_date_all_shahed_type_drones_are_shaheds() -> None:
    recs = parse_attack_records(
        HEAD + "2024-08-30 20:00,2024-08-31 08:00,Shahed-136/131,10,9,,Ukraine,kpszsu/a\n"
    )
    (ln,) = resolve(recs, WC).launches
    assert (ln.class_, ln.system, ln.launched) == ("owa_drone", "geran2", 10.0)


def test_raids_are_one_per_night_and_group() -> None:
    _, _, res = tiny()
    raids = group_raids(res.launches)
    assert [(r.id, r.launched) for r in raids] == [
        ("2025-07-01-drones", 100.0),
        ("2025-07-01-missiles", 14.0),
        ("2025-07-02-drones", 40.0),
        ("2025-07-02-missiles", 2.0),
        ("2025-07-04-drones", 300.0),
        ("2025-07-04-missiles", 22.0),
    ]
    c = raids[0].by_class()["owa_drone"]
    assert (c.destroyed_share, c.reported_leakage) == (0.5, 0.5)
    assert c.net_leakage == pytest.approx(0.1)  # 50 destroyed + 40 locationally lost of 100


def test_window_stats_known_answers() -> None:
    _, _, res = tiny()
    ws = window_stats(group_raids(res.launches), as_of=dt.date(2025, 7, 8), days=7)
    assert (ws.start, ws.days) == (dt.date(2025, 7, 1), 7)
    g = ws.by_system["geran2"]
    # geran2 sizes 50, 20, 150 over 7 days
    assert g.raids == 3 and g.raids_per_week == 3.0
    assert g.every_days == pytest.approx(7 / 3)
    assert g.mean == pytest.approx(220 / 3) and g.median == 50.0
    assert g.p90 == pytest.approx(130.0)  # 50 + 0.8 * (150 - 50)
    assert g.launches_per_day == pytest.approx(220 / 7)
    # destroyed 25 + 15 + 100 of 220; neutralised also counts not_reach_goal 20 + 2.5 + 45
    assert g.total.destroyed_share == pytest.approx(140 / 220)
    assert g.total.net_leakage == pytest.approx(1 - (140 + 67.5) / 220)
    b = ws.by_class["ballistic_missile"]
    # Iskander-M 4 (1 destroyed), 2 (0); S-300 11 (7.5 destroyed)
    assert (b.raids, b.total.launched, b.total.destroyed) == (3, 17.0, 8.5)
    assert ws.by_system["iskander_m_missile"].total.reported_leakage == pytest.approx(5 / 6)
    assert ws.unmodelled == {"ballistic_missile": 11.0}


def test_window_excludes_the_as_of_night() -> None:
    _, _, res = tiny()
    ws = window_stats(group_raids(res.launches), as_of=dt.date(2025, 7, 4), days=3)
    assert ws.by_system["geran2"].raids == 2


def test_schedule_reproduces_the_window_launches() -> None:
    _, _, res = tiny()
    raids = group_raids(res.launches)
    sched = derive_schedule(
        raids, as_of=dt.date(2025, 7, 7), days=6, massed_drones=250, massed_missiles=20
    )
    assert [(s.id, s.every_days, s.first_day, s.raids) for s in sched] == [
        ("drones", 3, 0, 2),  # nights 0 and 1 of 6: every 3 days from day 0
        ("drones_massed", 6, 3, 1),
        ("missiles", 3, 0, 2),
        ("missiles_massed", 6, 3, 1),
    ]
    d = sched[0].size["geran2"]
    # sizes 50 and 20: p10 23, p90 47; estimate = 70 / 2 scheduled raids = 35
    assert d == (23.0, 35.0, 47.0)
    assert sched[3].as_dict()["size"] == {"kh101": {"low": 11.0, "estimate": 11.0, "high": 11.0}}


def test_recorded_raids_become_one_off_inventory_raids() -> None:
    _, _, res = tiny()
    raids = group_raids(res.launches)
    entries, left = recorded_raids_as_inventory(raids, dt.date(2025, 7, 1), horizon=5)
    assert entries == [
        {
            "id": "r20250701",
            "every_days": 6,
            "first_day": 0,
            "size": {
                "geran2": 50.0,
                "gerbera_decoy": 50.0,
                "iskander_m_missile": 4.0,
                "kalibr": 10.0,
            },
        },
        {
            "id": "r20250702",
            "every_days": 6,
            "first_day": 1,
            "size": {"geran2": 20.0, "gerbera_decoy": 20.0, "iskander_m_missile": 2.0},
        },
        {
            "id": "r20250704",
            "every_days": 6,
            "first_day": 3,
            "size": {"geran2": 150.0, "gerbera_decoy": 150.0, "kh101": 11.0},
        },
    ]
    assert left == {"ballistic_missile": 11.0}
    split, _ = recorded_raids_as_inventory(raids, dt.date(2025, 7, 1), horizon=5, merge_night=False)
    assert [e["id"] for e in split][:2] == ["r20250701-drones", "r20250701-missiles"]
    with pytest.raises(ValueError):
        recorded_raids_as_inventory(raids, dt.date(2025, 7, 1), horizon=0)


def test_percentile_known_answers() -> None:
    assert percentile([3.0], 90) == 3.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10, 20, 30, 40, 50], 90) == pytest.approx(46.0)
    with pytest.raises(ValueError):
        percentile([], 50)


@given(
    st.lists(st.floats(0, 1e6), min_size=1, max_size=30),
    st.floats(0, 100),
    st.floats(0, 100),
)
def test_percentile_is_bounded_and_monotone(xs: list[float], q1: float, q2: float) -> None:
    lo, hi = sorted((q1, q2))
    a, b = percentile(xs, lo), percentile(xs, hi)
    assert min(xs) <= a <= b + 1e-9 * max(1.0, abs(b)) and b <= max(xs)


# ------------------------------------------------------------------ regression on the real file


@pytest.mark.skipif(not REAL.is_file(), reason="shared reference data not present")
def test_real_records_window_before_2025_07_19() -> None:
    wc = load_weapon_classes()
    recs = load_attack_records(REAL)
    assert len(recs) == 2698
    d = deduplicate(recs, wc)
    assert len(d.dropped) == 47
    res = resolve(d.kept, wc)
    assert res.unknown == {} and res.no_count == 3
    raids = group_raids(res.launches)
    ws = window_stats(raids)  # the 90 nights 2025-04-20 .. 2025-07-18
    cls = {k: (v.raids, round(v.total.launched, 3)) for k, v in ws.by_class.items()}
    assert cls == {
        "ballistic_missile": (45, 195.0),
        "cruise_missile": (28, 374.0),
        "decoy_drone": (88, 7288.8),
        "owa_drone": (88, 7896.2),
    }
    assert ws.by_class["owa_drone"].total.destroyed_share == pytest.approx(0.4792, abs=1e-4)
    night = next(
        r
        for r in raids_in_window(raids, ws.start, ws.end)
        if r.night == dt.date(2025, 7, 8) and r.group == "drones"
    )
    assert night.launched == 728.0  # the record night of 9 July 2025
    sched = {s.id: s for s in derive_schedule(raids)}
    assert {k: (s.every_days, s.raids) for k, s in sched.items()} == {
        "drones": (1, 72),
        "drones_massed": (6, 16),
        "missiles": (2, 44),
        "missiles_massed": (13, 7),
    }


_ROW = st.tuples(
    st.integers(1, 4),  # day of July
    st.sampled_from(["02:00", "20:00", ""]),
    st.sampled_from(
        ["Kalibr", "Iskander-M", "Shahed-136/131", "Orlan-10", "X-101/X-555 and C-300"]
    ),
    st.integers(0, 50),
    st.sampled_from(["kpszsu/a", "PvKPivden/b", "pvkshid/c"]),
)


@given(st.lists(_ROW, max_size=12))
def test_dedup_is_idempotent_and_never_drops_national_rows(rows: list[tuple]) -> None:
    text = HEAD + "".join(
        f"2025-07-0{d}{' ' + t if t else ''},,{m},{n},{n // 2},,Ukraine,{s}\n"
        for d, t, m, n, s in rows
    )
    recs = parse_attack_records(text)
    d = deduplicate(recs, WC)
    assert deduplicate(d.kept, WC).dropped == ()
    assert len(d.kept) + len(d.dropped) == len(recs)
    copies = {r.line for r, why in d.dropped if why.startswith("copy")}
    assert all(not r.national for r, _ in d.dropped if r.line not in copies)
