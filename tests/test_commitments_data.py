"""Partner commitments (issue #14): sources, years, totals and no double counting.

A delivery the 2025-07 snapshot already holds must never be added again by the
projection; pledges plus deliveries must not exceed what was promised; partner
totals are pinned to the public announcements (with the exchange rate range).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from ruamel.yaml import YAML

from qdb.models.commitments import Commitment, Delivery
from qdb.models.inventory import Inventory
from qdb.projection import arrival_year, deliveries_due

ROOT = Path(__file__).resolve().parents[1]
COM_DIR = ROOT / "data" / "commitments"
SNAPSHOT = ROOT / "data" / "force_inventories" / "ukraine-2025-07.yaml"


def _yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


COMS = {p.stem: Commitment.model_validate(_yaml(p)) for p in sorted(COM_DIR.glob("*.yaml"))}
UA = Inventory.model_validate(_yaml(SNAPSHOT))

# Oryx-listed Ukrainian losses of each system on 2025-07-19 (lower bounds; totals_by_system_wide).
ORYX_LOST = {
    "patriot": 0,  # 3 components listed, no whole battery
    "nasams": 0,  # 2 launchers listed, no whole fire unit
    "iris_t_slm": 0,  # 3 components listed
    "samp_t": 0,
    "f16": 4,
    "leopard2": 70,
    "challenger2": 3,
    "m1a1_abrams": 34,
    "bradley": 242,
    "marder_cv90": 97,
    "krab": 45,
    "caesar": 11,
    "pzh2000": 2,
    "himars": 7,
    "gepard": 0,
    "mig29_ua": 42,
    "pt91_t72m1": 146,
}


def _held(system: str) -> float:
    return sum(
        d.quantity.estimate
        for c in COMS.values()
        for d in c.deliveries
        if d.system == system and d.held_at(UA.as_of)
    )


def _pledged(system: str, partner: str | None = None) -> float:
    return sum(
        d.quantity.estimate
        for c in COMS.values()
        if partner is None or c.partner == partner
        for d in c.deliveries
        if d.system == system and not d.held_at(UA.as_of)
    )


def test_every_commitment_names_a_source_with_a_kind() -> None:
    assert len(COMS) >= 20
    for name, c in COMS.items():
        assert c.source.kind in ("primary", "secondary", "claim"), name


def test_partners_and_years_after_2024() -> None:
    partners = {c.partner for c in COMS.values()}
    for p in (
        "Sweden",
        "Canada",
        "Belgium",
        "Italy",
        "Finland",
        "Spain",
        "Estonia",
        "Latvia",
        "Lithuania",
        "Japan",
    ):
        assert p in partners, p
    later = {c.partner for c in COMS.values() if any(y > 2024 for y in c.funding_musd)}
    for p in ("United Kingdom", "Netherlands", "Germany", "Norway", "Sweden"):
        assert p in later, p


def test_no_partner_year_is_funded_twice() -> None:
    """Two instruments of one partner never both fund the same year (no double counting)."""
    seen: dict[tuple[str, int], str] = {}
    for name, c in COMS.items():
        for y in c.funding_musd:
            key = (c.partner, y)
            assert key not in seen, f"{c.partner} {y}: in {seen.get(key)} and {name}"
            seen[key] = name


@pytest.mark.parametrize("system", sorted(ORYX_LOST))
def test_deliveries_held_fit_the_snapshot(system: str) -> None:
    """What partners delivered before the snapshot cannot exceed what it holds plus losses."""
    s = UA.system(system)
    assert s is not None, system
    assert _held(system) <= s.quantity.high + ORYX_LOST[system]


def test_held_deliveries_are_never_added_again() -> None:
    base = UA.as_of.year
    for c in COMS.values():
        for d in c.deliveries:
            if d.held_at(UA.as_of):
                assert arrival_year(d, base, UA.as_of) is None, (c.partner, d.system)
    arriving = {
        d.system
        for y in range(base, base + 6)
        for _, d in deliveries_due(list(COMS.values()), y, base=base, as_of=UA.as_of)
    }
    held_only = {"nasams", "gepard", "krab", "challenger2"}
    assert held_only.isdisjoint(arriving)


def test_deliveries_in_the_snapshot_year_say_when() -> None:
    """A delivery dated the snapshot's year is ambiguous unless it gives delivered_by."""
    for c in COMS.values():
        for d in c.deliveries:
            if d.status == "delivered" and d.year == UA.as_of.year:
                assert d.delivered_by is not None, (c.partner, d.system)


def test_iris_t_held_and_pledged_match_the_promise() -> None:
    assert _held("iris_t_slm") == UA.system("iris_t_slm").quantity.estimate == 7  # type: ignore[union-attr]
    assert _held("iris_t_slm") + _pledged("iris_t_slm", "Germany") == 12  # 12 SLM promised


def test_nasams_counted_once_across_partners() -> None:
    assert _held("nasams") == UA.system("nasams").quantity.estimate == 9  # type: ignore[union-attr]


def test_german_patriots_after_the_snapshot_arrive_once() -> None:
    held = _held("patriot")
    assert held + 1 == UA.system("patriot").quantity.estimate  # + Romania's (no file)  # type: ignore[union-attr]
    due = [d for _, d in deliveries_due(list(COMS.values()), 2025, base=2025, as_of=UA.as_of)]
    assert sum(d.quantity.estimate for d in due if d.system == "patriot") == 2


def test_f16_pledges_within_announced_totals() -> None:
    dk = [
        d
        for c in COMS.values()
        if c.partner == "Denmark"
        for d in c.deliveries
        if d.system == "f16"
    ]
    assert sum(d.quantity.high for d in dk) <= 19  # 19 pledged by Denmark
    assert _pledged("f16", "Belgium") == 30  # 30 F-16s by 2028
    nl = sum(
        d.quantity.estimate
        for c in COMS.values()
        if c.partner == "Netherlands"
        for d in c.deliveries
        if d.system == "f16"
    )
    assert nl == 24


def test_patrol_boats_are_not_priced_as_frigates() -> None:
    boats = [d for d in COMS["netherlands-2024"].deliveries if d.system == "ua_patrol_boats"]
    assert boats and all(d.value_musd is not None for d in boats)
    assert all(d.value_musd.high <= 200 for d in boats if d.value_musd)  # frigate cost: 300 each


FUNDING = [
    # (file, year, amount in source currency (bn), USD per unit low-high)
    ("uk-2025-annual", 2027, 3.0, (1.2, 1.35)),  # GBP 3 bn a year to 2030-31
    ("uk-2024", 2024, 2.5, (1.2, 1.35)),
    ("sweden-2024", 2025, 25.0, (0.085, 0.10)),  # SEK 25 bn a year
    ("netherlands-2025", 2026, 3.5, (1.03, 1.15)),  # EUR 3.5 bn
    ("belgium-2024", 2024, 0.977, (1.03, 1.15)),  # EUR 977 m
    ("spain-2024", 2024, 1.0, (1.03, 1.15)),  # EUR 1 bn
    ("germany-2025", 2026, 8.5, (1.03, 1.15)),  # EUR 9 bn less 0.5 bn EU reimbursed
    ("latvia-2024", 2024, 0.112, (1.03, 1.15)),  # EUR 112 m
]


@pytest.mark.parametrize(("name", "year", "amount", "rate"), FUNDING)
def test_partner_totals_match_announcements(
    name: str, year: int, amount: float, rate: tuple[float, float]
) -> None:
    got = COMS[name].funding_musd[year].estimate
    assert amount * 1000 * rate[0] <= got <= amount * 1000 * rate[1]


def test_whole_package_bounds() -> None:
    assert COMS["canada-2024"].funding_musd[2024].high == pytest.approx(3020 * 0.73, rel=0.01)
    assert COMS["japan-2024"].funding_musd[2024].high == 4500
    assert sum(v.estimate for v in COMS["uk-2025-annual"].funding_musd.values()) == 6 * 3800


def test_delivered_by_rules_by_hand() -> None:
    d = Delivery.model_validate(
        {
            "class": "mr_sam",
            "system": "x",
            "quantity": 1,
            "year": 2025,
            "status": "delivered",
            "delivered_by": "2025-05-26",
        }
    )
    assert d.held_at(dt.date(2025, 7, 19))
    assert not d.held_at(dt.date(2025, 5, 25))
    assert arrival_year(d, 2025, dt.date(2025, 7, 19)) is None
    assert arrival_year(d, 2025) == 2025  # without the date, the year rule applies
    old = d.model_copy(update={"delivered_by": None, "year": 2024})
    assert old.held_at(dt.date(2025, 1, 1)) and not old.held_at(dt.date(2024, 12, 31))
    with pytest.raises(ValidationError, match="only for status delivered"):
        Delivery.model_validate(
            {
                "class": "mr_sam",
                "system": "x",
                "quantity": 1,
                "year": 2025,
                "status": "pledged",
                "delivered_by": "2025-01-01",
            }
        )
    with pytest.raises(ValidationError, match="after the delivery's year"):
        Delivery.model_validate(
            {
                "class": "mr_sam",
                "system": "x",
                "quantity": 1,
                "year": 2024,
                "status": "delivered",
                "delivered_by": "2025-01-01",
            }
        )
