"""Reading the published air-attack records and the weapon-class file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from qdb.errors import DataError
from qdb.io import attack_records as ar
from qdb.io.attack_records import (
    load_attack_records,
    load_weapon_classes,
    parse_attack_records,
    parse_weapon_classes,
)
from qdb.io.yamlread import parse_yaml
from qdb.models.weapons import split_model_name

REPO = Path(__file__).resolve().parents[1]
REAL = Path("/work/shared/data/russia_ukraine/air_attacks/missile_attacks_daily.csv")
HEAD = "time_start,time_end,model,launched,destroyed,not_reach_goal,target,source\n"


def problems(text: str | bytes, name: str = "f.csv") -> list[str]:
    with pytest.raises(DataError) as exc:
        parse_attack_records(text, name)
    return str(exc.value).splitlines()


def test_parses_published_spelling() -> None:
    rows = parse_attack_records(
        HEAD + "2025-07-18 19:30,2025-07-19 10:00,Shahed-136/131,344.0,185.0,129.0,Ukraine,"
        "kpszsu/posts/x\n"
        '2025-07-19,2025-07-19,Молнія,4.0,4.0,,south,"PvKPivden/posts/y"\n'
        "2023-05-16 3:30,2023-05-16 07:00,Kalibr,6.0,,,Ukraine,https://t.me/kpszsu/1\n"
    )
    a, b, c = rows
    assert (a.line, a.launched, a.destroyed, a.not_reach_goal) == (2, 344, 185, 129)
    assert a.time_start == dt.datetime(2025, 7, 18, 19, 30) and not a.dated_only
    assert a.night == dt.date(2025, 7, 18) and a.national and a.account == "kpszsu"
    assert b.dated_only and b.night == dt.date(2025, 7, 18)  # a morning post: the night before
    assert not b.national and b.account == "pvkpivden" and b.not_reach_goal is None
    assert c.time_start == dt.datetime(2023, 5, 16, 3, 30) and c.destroyed is None
    assert c.national  # https://t.me/kpszsu/... is the Air Force account


def test_missiles_at_two_share_the_night_of_drones_at_nineteen_thirty() -> None:
    rows = parse_attack_records(
        HEAD + "2025-07-18 19:30,2025-07-19 10:00,Shahed-136/131,3,1,,Ukraine,kpszsu/p\n"
        "2025-07-19 02:00,2025-07-19 05:30,Kalibr,2,2,,Ukraine,kpszsu/p\n"
        "2025-07-19 14:00,2025-07-19 18:00,Kalibr,2,2,,Ukraine,kpszsu/p\n"
    )
    assert [r.night.day for r in rows] == [18, 18, 19]


def test_bad_cells_are_each_located_with_the_column_name() -> None:
    out = problems(
        HEAD + "2025-07-18 19:30,2025-07-19 10:00,Shahed-136/131,abc,1,,Ukraine,kpszsu/p\n"
        "2025-13-01,2025-07-19,Kalibr,2,2,,Ukraine,kpszsu/p\n"
        "2025-07-19 02:00,2025-07-19 05:30,Kalibr,2.5,3,,Ukraine,kpszsu/p\n"
        "2025-07-19 02:00,2025-07-19 05:30,Kalibr,2,3,,Ukraine,kpszsu/p\n"
        "2025-07-19 02:00,2025-07-19 01:30,,-1,0,,Ukraine,kpszsu/p\n"
        "2025-07-19 02:00,2025-07-19 05:30,Kalibr\n"
    )
    assert out == [
        "f.csv:2:4: launched: not a number (got 'abc'); expected a whole number >= 0",
        "f.csv:3:1: time_start: not a valid date or time ('2025-13-01': month must be in 1..12)",
        "f.csv:4:4: launched: must be a whole number >= 0 (got '2.5')",
        "f.csv:5:5: destroyed: 3 destroyed is more than the 2 launched",
        "f.csv:6:2: time_end: 2025-07-19 01:30 is before time_start 2025-07-19 02:00",
        "f.csv:6:3: model: is blank; every row names the weapon",
        "f.csv:6:4: launched: must be a whole number >= 0 (got '-1')",
        "f.csv:7:1: row has 3 cells; the header has 8 (a comma inside a value needs double quotes)",
    ]


def test_a_quoted_multiline_cell_keeps_later_line_numbers_right() -> None:
    out = problems(
        HEAD + '2025-07-18 19:30,2025-07-19 10:00,"Shahed-136/131",3,1,,"Ukraine\nsouth",kpszsu/p\n'
        "2025-07-19 02:00,2025-07-19 05:30,Kalibr,x,2,,Ukraine,kpszsu/p\n"
    )
    assert out == ["f.csv:4:4: launched: not a number (got 'x'); expected a whole number >= 0"]


def test_header_and_content_problems() -> None:
    assert problems("time_start,model,launched\n1,2,3\n") == [
        "f.csv:1:1: header lacks columns time_end, destroyed (the published format has "
        "time_start, time_end, model, launched, destroyed, ...)"
    ]
    assert problems("") == [
        "f.csv:1:1: file is empty; expected a header line "
        "time_start,time_end,model,launched,destroyed,..."
    ]
    assert problems(b"time_start\x00") == [
        "f.csv:1:1: binary file (NUL bytes); expected UTF-8 CSV text"
    ]
    assert problems(HEAD.encode() + b"\xff\n") == [
        "f.csv:2:1: not UTF-8 text (byte 0xff); save the file as UTF-8"
    ]


def test_blank_counts_are_none_and_a_bom_is_skipped() -> None:
    rows = parse_attack_records(
        "\ufeff" + HEAD + "2025-02-11,2025-02-11,Unknown Missile,19.0,,,Ukraine,kpszsu/p\n"
        "2024-02-28,2024-02-28,C-300,,0.0,,Ukraine,kpszsu/p\n"
    )
    assert (rows[0].launched, rows[0].destroyed) == (19, None)
    assert (rows[1].launched, rows[1].destroyed) == (None, 0)


def test_size_is_capped_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "big.csv"
    p.write_text(HEAD + "2025-07-19,2025-07-19,Kalibr,1,1,,Ukraine,kpszsu/p\n" * 20)
    monkeypatch.setattr(ar, "MAX_BYTES", 100)
    read: list[Path] = []
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self) or b"")
    with pytest.raises(DataError) as exc:
        load_attack_records(p)
    assert "the limit is 0 MiB" in str(exc.value) and str(exc.value).startswith(str(p))
    assert read == []  # refused on its size, never read


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        load_attack_records(tmp_path / "nope.csv")
    assert str(exc.value).endswith("nope.csv:1:1: cannot read: No such file or directory")


def test_split_model_name() -> None:
    assert split_model_name("X-101/X-555 and Kalibr and Iskander-M/KN-23") == [
        "X-101/X-555",
        "Kalibr",
        "Iskander-M/KN-23",
    ]


# ------------------------------------------------------------------ weapon classes


def test_bundled_weapon_classes_name_real_classes_and_systems() -> None:
    wc = load_weapon_classes()
    catalog = parse_yaml((REPO / "data" / "catalog.yaml").read_text(), "catalog.yaml").data
    inv = parse_yaml(
        (REPO / "data" / "force_inventories" / "russia-2025-07.yaml").read_text(), "russia"
    ).data
    classes = set(catalog["classes"])
    systems = {s["id"]: s["class"] for s in inv["systems"]}
    for w in wc.weapons:
        for part in [*w.parts, *(p for e in w.earlier for p in e.parts)]:
            assert part.class_ in classes, w.model
            if part.system is not None:
                assert systems.get(part.system) == part.class_, (w.model, part.system)
        assert w.ignore or w.parts


def test_shahed_split_changes_when_decoys_enter_the_count() -> None:
    w = load_weapon_classes().lookup("shahed-136/131")
    assert w is not None
    before = {(p.class_, p.system): p.share for p in w.parts_on(dt.date(2024, 8, 31))}
    after = {(p.class_, p.system): p.share for p in w.parts_on(dt.date(2024, 9, 1))}
    assert before == {("owa_drone", "geran2"): 1.0}
    assert after == {("owa_drone", "geran2"): 0.52, ("decoy_drone", "gerbera_decoy"): 0.48}


@pytest.mark.skipif(not REAL.is_file(), reason="shared reference data not present")
def test_every_weapon_name_in_the_real_records_is_mapped() -> None:
    wc = load_weapon_classes()
    rows = load_attack_records(REAL)
    names = {n for r in rows for n in split_model_name(r.model)}
    assert sorted(n for n in names if wc.lookup(n) is None) == []


BAD_WC = """\
red: russia
weapons:
  - model: Kalibr
    parts:
      - {class: cruise_missile, system: kalibr, share: 0.5}
      - {class: cruise_missile, system: kh101, share: 0.4}
  - model: Orlan-10
    ignore: reconnaissance
    parts: [{class: isr_drone}]
  - model: kalibr
    parts: [{class: cruise_missile}]
"""


def test_bad_weapon_classes_are_located() -> None:
    with pytest.raises(DataError) as exc:
        parse_weapon_classes(BAD_WC, "w.yaml")
    assert str(exc.value).splitlines() == [
        "w.yaml:3:5: weapons[0]: shares of `parts` sum to 0.9; they must sum to 1",
        "w.yaml:7:5: weapons[1]: an ignored weapon has no `parts` or `earlier`",
    ]


def test_a_name_listed_twice_is_refused() -> None:
    text = "red: russia\nweapons:\n  - {model: Kalibr, ignore: x}\n  - {model: X, aliases: [KALIBR], ignore: y}\n"
    with pytest.raises(DataError) as exc:
        parse_weapon_classes(text, "w.yaml")
    assert str(exc.value) == "w.yaml:1:1: weapon name 'KALIBR' is listed twice"
