"""Shared fixtures. ``tiny`` builders return fresh models (never shared mutable state)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from qdb.models import Catalog, Inventory, Matchup

SRC = {"s": {"title": "t", "publisher": "p", "date": "2024-01-01", "url": "https://example.org"}}


def make_catalog(
    contests: list[dict[str, Any]],
    classes: dict[str, dict[str, Any]] | None = None,
    enablers_by_domain: dict[str, list[str]] | None = None,
    thresholds: dict[str, float] | None = None,
) -> Catalog:
    base_classes: dict[str, dict[str, Any]] = {
        "tank": {"domain": "land", "branch": "ground", "unit": "tank", "unit_cost_musd": 5},
        "atgm": {"domain": "land", "branch": "ground", "unit": "team", "unit_cost_musd": 1},
        "gun": {"domain": "fires", "branch": "ground", "unit": "gun", "unit_cost_musd": 3},
        "missile": {
            "domain": "strike",
            "branch": "strike",
            "unit": "launcher",
            "unit_cost_musd": 2,
        },
        "drone": {"domain": "strike", "branch": "strike", "unit": "drone", "unit_cost_musd": 0.05},
        "lr_sam": {
            "domain": "air_defence",
            "branch": "air_defence",
            "unit": "battery",
            "unit_cost_musd": 1000,
            "pk": 0.8,
            "shots_per_day": 10,
        },
        "sr_sam": {
            "domain": "air_defence",
            "branch": "air_defence",
            "unit": "system",
            "unit_cost_musd": 20,
            "pk": 0.5,
            "shots_per_day": 20,
        },
    }
    base_classes.update(classes or {})
    return Catalog.model_validate(
        {
            "classes": base_classes,
            "enablers_by_domain": enablers_by_domain
            if enablers_by_domain is not None
            else {"land": ["isr"]},
            "contests": contests,
            "thresholds": thresholds or {"matched": 0.9, "offset": 1.1},
        }
    )


def make_inventory(
    side: str,
    systems: list[dict[str, Any]],
    training: dict[str, float] | None = None,
    enablers: dict[str, float] | None = None,
) -> Inventory:
    return Inventory.model_validate(
        {
            "side": side,
            "name": side,
            "as_of": "2025-01-01",
            "sources": SRC,
            "training": {k: {"value": v, "rationale": "test"} for k, v in (training or {}).items()},
            "enablers": {k: {"value": v, "rationale": "test"} for k, v in (enablers or {}).items()},
            "systems": [{"source": "s", "name": s["id"], **s} for s in systems],
        }
    )


def make_matchup(
    contests: list[dict[str, Any]], blue: list[dict[str, Any]], red: list[dict[str, Any]], **kw: Any
) -> Matchup:
    cat_kw = {k: kw.pop(k) for k in ("classes", "enablers_by_domain", "thresholds") if k in kw}
    return Matchup(
        make_catalog(contests, **cat_kw),
        make_inventory("ukraine", blue, kw.get("blue_training"), kw.get("blue_enablers")),
        make_inventory("russia", red, kw.get("red_training"), kw.get("red_enablers")),
    )


SQUARE = {
    "id": "armour",
    "title": "Armour",
    "domain": "land",
    "law": "square",
    "critical": True,
    "threat": {"tank": 1},
    "counters": {"tank": 1, "atgm": 0.5},
    "rationale": "test",
}


@pytest.fixture
def today() -> dt.date:
    return dt.date(2025, 1, 1)
