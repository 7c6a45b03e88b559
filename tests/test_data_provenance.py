"""Provenance of the bundled figures (issue #14) and the pure helpers in qdb.provenance.

Data tests read the inventory files with the models only (no engine), so they stay
valid while the engine changes. Reference checks against ``../shared/data`` are
skipped with a reason when that folder is absent.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from qdb.models.catalog import Catalog
from qdb.models.checks import check_provenance
from qdb.models.inventory import Inventory
from qdb.provenance import (
    basis_counts,
    basis_shares,
    contest_figures,
    contest_sides,
    missing_provenance,
    quote_numbers,
    quote_states,
)

ROOT = Path(__file__).resolve().parents[1]
INV_DIR = ROOT / "data" / "force_inventories"
COM_DIR = ROOT / "data" / "commitments"
FIGURES = (
    ROOT / ".." / "shared" / "data" / "russia_ukraine" / "inventories" / "public_force_figures.csv"
)
ORYX = (
    ROOT / ".." / "shared" / "data" / "russia_ukraine" / "oryx_scarnecchia" / "totals_by_type.csv"
)

WEAK_OUTLETS = (
    "247newslive",
    "pirateswithoutborders",
    "westvu",
    "munichnp",
    "24hoursworlds",
    "kdrtv",
    "steelcitydaily",
    "pledgetimes",
    "headlinenavi",
    "millenniumpost",
)

# Every `claim` source in the inventories, and whose claim it is. A new claim source must be
# classified here, so that no belligerent's statement silently backs the other side's figures.
CLAIMANT = {
    "hur_shahed_2025": "ukraine",
    "syrskyi_sept_2025": "ukraine",
    "antikor_aug_2025": "ukraine",
    "uaf_neizhpapa_2024": "ukraine",
    "kyiv_independent_fpv_2025": "ukraine",
    "syrskyi_drones_2024": "ukraine",
    "bsf_drones_2024": "ukraine",
    "uaf_air_attacks": "ukraine",  # raid calibration (lead); counts of launches by the defender
}


def _yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def _inventories() -> dict[str, Inventory]:
    return {p.stem: Inventory.model_validate(_yaml(p)) for p in sorted(INV_DIR.glob("*.yaml"))}


INVS = _inventories()


def _values(e: Any) -> list[float]:
    return [e.low, e.estimate, e.high]


# ------------------------------------------------------------------ the bundled data


@pytest.mark.parametrize("name", sorted(INVS))
def test_every_figure_has_basis_and_every_source_a_kind(name: str) -> None:
    inv = INVS[name]
    assert [s.id for s in inv.systems if s.basis is None] == []
    assert [k for k, s in inv.sources.items() if s.kind is None] == []
    for key in ("training", "enablers"):
        assert [n for n, m in getattr(inv, key).items() if m.basis is None] == [], key
    assert missing_provenance(inv) == []


@pytest.mark.parametrize("name", sorted(INVS))
def test_quoted_figures_quote_their_number(name: str) -> None:
    quoted = [s for s in INVS[name].systems if s.basis == "quoted"]
    for s in quoted:
        assert s.quote is not None
        assert quote_states(s.quote, _values(s.quantity)), f"{s.id}: {s.quote!r}"


def test_some_figures_are_quoted() -> None:
    """The pre-war IISS anchors are quoted from the compiler's press sentences."""
    quoted = {(n, s.id) for n, inv in INVS.items() for s in inv.systems if s.basis == "quoted"}
    assert ("russia-2022-02", "mbt_available") in quoted
    assert ("ukraine-2022-02", "t64bv") in quoted


@pytest.mark.parametrize("name", sorted(INVS))
def test_derived_and_judgement_figures_say_how(name: str) -> None:
    for s in INVS[name].systems:
        if s.basis == "derived":
            assert s.derivation and any(ch.isdigit() for ch in s.derivation), s.id
        if s.basis == "judgement":
            assert s.notes and len(s.notes) >= 20, s.id


@pytest.mark.parametrize("name", sorted(INVS))
def test_no_claim_backs_the_other_side(name: str) -> None:
    inv = INVS[name]
    for s in inv.systems:
        src = inv.sources[s.source]
        if src.kind == "claim":
            assert s.source in CLAIMANT, f"classify claim source {s.source!r} in CLAIMANT"
            assert CLAIMANT[s.source] == inv.side, f"{name}: {s.id} rests on the other side's claim"
    for sid, src in inv.sources.items():
        if src.kind == "claim":
            assert sid in CLAIMANT, f"classify claim source {sid!r} in CLAIMANT"


def _weak(text: str) -> list[str]:
    low = text.lower()
    return [w for w in WEAK_OUTLETS if w in low]


@pytest.mark.parametrize("name", sorted(INVS))
def test_no_source_from_the_weak_outlets(name: str) -> None:
    for sid, src in INVS[name].sources.items():
        assert _weak(f"{src.url} {src.publisher} {src.title}") == [], sid


def test_no_commitment_source_from_the_weak_outlets() -> None:
    for p in sorted(COM_DIR.glob("*.yaml")):
        src = _yaml(p)["source"]
        assert _weak(f"{src['url']} {src['publisher']} {src['title']}") == [], p.name


@pytest.mark.parametrize("name", sorted(INVS))
def test_oryx_is_never_the_source_of_a_holding(name: str) -> None:
    inv = INVS[name]
    oryx = {k for k, s in inv.sources.items() if "oryx" in s.publisher.lower()}
    assert [s.id for s in inv.systems if s.source in oryx] == []


def test_audit_corrections_stay_fixed() -> None:
    ua, ua22 = INVS["ukraine-2025-07"], INVS["ukraine-2022-02"]
    # Su-27 / Su-24M cannot exceed pre-war (upper bound) + returns from storage - confirmed losses.
    for sid22, sid25, lost in (("su27", "su27_ua", 24), ("su24m", "su24m_ua", 22)):
        prewar = ua22.system(sid22)
        now = ua.system(sid25)
        assert prewar is not None and now is not None
        assert now.quantity.estimate <= prewar.quantity.estimate + 8 - lost
    iris = ua.system("iris_t_slm")
    assert iris is not None and iris.quantity.estimate < 9  # 9 was the number promised
    krab = ua.system("krab")
    assert (
        krab is not None and krab.quantity.high <= 72 - 36 + 4
    )  # delivered - destroyed, some slack
    manpads = ua.system("manpads_ua")
    assert manpads is not None and manpads.basis == "judgement"
    assert manpads.quantity.high >= 2 * manpads.quantity.estimate


def _class_total(inv: Inventory, classes: tuple[str, ...]) -> float:
    return sum(s.quantity.estimate for s in inv.systems if s.class_ in classes)


def test_russian_combat_aircraft_keep_the_2022_scope() -> None:
    """2025 = 2022 - confirmed losses x undercount + production, not a change of scope."""
    air = ("fighter", "strike_aircraft", "bomber")
    before = _class_total(INVS["russia-2022-02"], air)
    after = _class_total(INVS["russia-2025-07"], air)
    assert before == 1391
    lost = 160  # Oryx, Russian fixed-wing combat types, 2025-07-19
    assert before - 1.5 * lost <= after <= before + 150


def test_tank_losses_counted_the_same_way_on_both_sides() -> None:
    """Each side's 2025 tank derivation names its Oryx undercount factor."""
    ru, ua = INVS["russia-2025-07"], INVS["ukraine-2025-07"]
    ru_t = ru.system("t72b3")
    ua_t = ua.system("t64")
    assert ru_t is not None and ua_t is not None
    assert ru_t.derivation is not None and "x 1.05-1.2" in ru_t.derivation
    assert ua_t.derivation is not None and "x 1.0-1.5" in ua_t.derivation


needs_shared = pytest.mark.skipif(
    not FIGURES.is_file(), reason=f"shared reference data not found at {FIGURES}"
)


@needs_shared
def test_prewar_anchors_match_the_quoted_iiss_figures() -> None:
    rows = list(csv.DictReader(FIGURES.open(encoding="utf-8")))
    value = {
        (r["country"], r["metric"]): float(r["value"])
        for r in rows
        if r["original_compiler"].startswith("IISS")
    }
    ru = INVS["russia-2022-02"].system("mbt_available")
    ua = INVS["ukraine-2022-02"].system("t64bv")
    assert ru is not None and ua is not None
    assert ru.quantity.estimate == value[("Russia", "tanks_available_prewar")]
    assert ua.quantity.estimate == value[("Ukraine", "tanks_available_prewar")]
    air = ("fighter", "strike_aircraft", "bomber")
    assert _class_total(INVS["russia-2022-02"], air) == value[("Russia", "aircraft")]
    assert _class_total(INVS["ukraine-2022-02"], air) == value[("Ukraine", "aircraft")]


@pytest.mark.skipif(not ORYX.is_file(), reason=f"Oryx totals not found at {ORYX}")
def test_ukrainian_tanks_net_of_undercounted_losses() -> None:
    """Held 2025 tanks <= pre-war + deliveries + captures - Oryx losses x 1.25."""
    rows = list(csv.reader(ORYX.open(encoding="utf-8")))
    tanks = next(int(r[-1]) for r in rows if r[:2] == ["Ukraine", "Tanks"])
    assert tanks == 1220
    total = _class_total(INVS["ukraine-2025-07"], ("mbt",))
    upper = 987 + 471 + 350 + 545 + 400 - 1.25 * tanks  # see the t64 derivation
    assert total <= upper


# ------------------------------------------------------------------ pure helpers


def test_quote_numbers_reads_separators_words_and_multipliers() -> None:
    assert 1750.0 in quote_numbers("Russia has 1,750 main battle tanks")
    assert 2.0 in quote_numbers("compared with Ukraine's two warships")
    assert 4_500_000.0 in quote_numbers("buy 4.5 million FPV drones")
    assert 15857.0 in quote_numbers("more than 15 857 vehicles")
    assert quote_states("has 987 tanks", [900, 987, 1000])
    assert not quote_states("has 987 tanks", [986, 988])


@given(st.integers(min_value=1000, max_value=10**9))
def test_quote_states_any_separated_integer(n: int) -> None:
    assert quote_states(f"a force of {n:,} units", [n])
    assert not quote_states(f"a force of {n:,} units", [n + 1])


def _catalog() -> Catalog:
    cls = {"domain": "land", "branch": "ground", "unit": "u", "unit_cost_musd": 1}
    return Catalog.model_validate(
        {
            "classes": {"tank": dict(cls), "atgm": dict(cls), "gun": dict(cls)},
            "contests": [
                {
                    "id": "armour",
                    "title": "Armour",
                    "domain": "land",
                    "law": "linear",
                    "critical": True,
                    "threat": {"tank": 1},
                    "counters": {"tank": 1, "atgm": 0.5},
                    "rationale": "test",
                },
                {
                    "id": "guns",
                    "title": "Guns",
                    "domain": "land",
                    "law": "linear",
                    "threat": {"gun": 1},
                    "counters": {"gun": 1},
                    "rationale": "test",
                },
            ],
        }
    )


SRC = {
    "a": {"title": "t", "publisher": "IISS", "date": "2024-01-01", "url": "u", "kind": "primary"},
    "b": {"title": "t", "publisher": "x", "date": "2024-02-01", "url": "u", "kind": "claim"},
}


def _inv(side: str, systems: list[dict[str, Any]]) -> Inventory:
    return Inventory.model_validate(
        {"side": side, "name": side, "as_of": "2025-01-01", "sources": SRC, "systems": systems}
    )


def _sys(sid: str, cls: str, q: float, basis: str | None, **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"id": sid, "name": sid, "class": cls, "quantity": q, "source": "a", **kw}
    if basis == "quoted":
        d.update(basis="quoted", quote=f"it has {q:g} of them")
    elif basis == "derived":
        d.update(basis="derived", derivation="1 + 2")
    elif basis == "judgement":
        d.update(basis="judgement", notes="a guess")
    return d


def test_contest_figures_shares_and_flags_by_hand() -> None:
    cat = _catalog()
    red = _inv("red", [_sys("t1", "tank", 300, "quoted"), _sys("t2", "tank", 100, "judgement")])
    blue = _inv(
        "blue",
        [
            _sys("b1", "tank", 100, "derived", readiness=0.5, quality=2.0),  # 100
            _sys("b2", "atgm", 600, "judgement"),  # 600 x 0.5 = 300
            _sys("g", "gun", 10, None),
        ],
    )
    rows = contest_figures(cat, blue, red, "armour")
    got = {(f.side, f.system): (round(f.share, 6), f.flagged) for f in rows}
    assert got == {
        ("red", "t1"): (0.75, False),
        ("red", "t2"): (0.25, True),
        ("blue", "b2"): (0.75, True),
        ("blue", "b1"): (0.25, False),
    }
    shares = basis_shares(rows)
    assert shares[("armour", "red")]["quoted"] == pytest.approx(0.75)
    assert shares[("armour", "blue")]["judgement"] == pytest.approx(0.75)
    # a non-critical contest flags nothing, and a missing basis shows as "none"
    guns = contest_figures(cat, blue, red, "guns")
    assert [f.flagged for f in guns] == [False]
    assert basis_shares(guns)[("guns", "blue")]["none"] == 1.0
    assert rows[0].to_json()["date"] == "2024-01-01"
    json.dumps([f.to_json() for f in rows])


def test_contest_sides_and_unknown_contest() -> None:
    cat = _catalog()
    red, blue = contest_sides(cat, cat.contests[0])
    assert red == {"tank": 1.0} and blue == {"tank": 1.0, "atgm": 0.5}
    from qdb.errors import QdbError

    with pytest.raises(QdbError, match="no contest 'nope'"):
        contest_figures(cat, _inv("b", []), _inv("r", []), "nope")


def test_missing_provenance_and_validate_warning() -> None:
    inv = _inv("red", [_sys("t1", "tank", 3, None), _sys("t2", "tank", 3, "derived")])
    gaps = missing_provenance(inv)
    assert [g.loc for g in gaps] == [("systems", 0)]
    findings = check_provenance(inv)
    assert [(f.loc, f.severity) for f in findings] == [(("systems", 0), "warning")]
    assert basis_counts([inv]) == {"quoted": 0, "derived": 1, "judgement": 0, "none": 1}


def test_sources_command_lists_and_flags(capsys: pytest.CaptureFixture[str]) -> None:
    from qdb.cli import main

    try:
        main(["sources", "armour", "--format", "json", "-q"])
    except SystemExit as exc:  # typer exits 0 after a command
        if exc.code:  # pragma: no cover - only when the bundled data does not load
            pytest.skip(f"bundled data did not load (exit {exc.code})")
    out = json.loads(capsys.readouterr().out)
    assert {f["contest"] for f in out["figures"]} == {"armour"}
    assert all(f["basis"] in ("quoted", "derived", "judgement") for f in out["figures"])
    assert any(f["flagged"] for f in out["figures"])
    sides = {b["side"]: b for b in out["basis_shares"]}
    for b in sides.values():
        assert b["quoted"] + b["derived"] + b["judgement"] + b["none"] == pytest.approx(1, abs=1e-3)
    assert dt.date.fromisoformat(out["figures"][0]["date"])
