"""Shared fixtures. ``tiny`` builders return fresh models (never shared mutable state).

Engine-v2 matchups with an air campaign are also built by ``tests/engine_fixtures.py``.
"""

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
    layers: list[str] | None = None,
    campaign_days: int = 90,
) -> Catalog:
    """A catalog of the base classes (``lr_sam``/``sr_sam`` are interceptors of ``missile``
    and ``drone``); ``layers`` adds ``iamd: {layers}`` for iamd contests."""
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
            "shots_per_raid": 10,
            "coverage": 0.5,
            "engages": [{"threat": "missile", "pk": 0.8}, {"threat": "drone", "pk": 0.9}],
        },
        "sr_sam": {
            "domain": "air_defence",
            "branch": "air_defence",
            "unit": "system",
            "unit_cost_musd": 20,
            "shots_per_raid": 20,
            "coverage": 0.3,
            "engages": [{"threat": "drone", "pk": 0.5}, {"threat": "missile", "pk": 0.3}],
        },
    }
    base_classes.update(classes or {})
    data: dict[str, Any] = {
        "campaign_days": campaign_days,
        "classes": base_classes,
        "enablers_by_domain": enablers_by_domain
        if enablers_by_domain is not None
        else {"land": ["isr"]},
        "contests": contests,
        "thresholds": thresholds or {"matched": 0.9, "offset": 1.1},
    }
    if layers:
        data["iamd"] = {"layers": layers}
    return Catalog.model_validate(data)


def make_inventory(
    side: str,
    systems: list[dict[str, Any]],
    training: dict[str, float] | None = None,
    enablers: dict[str, float] | None = None,
    munitions: dict[str, dict[str, Any]] | None = None,
    raids: list[dict[str, Any]] | None = None,
) -> Inventory:
    """One side; ``munitions`` entries and ``raids`` default their ``source`` to ``s``."""
    return Inventory.model_validate(
        {
            "side": side,
            "name": side,
            "as_of": "2025-01-01",
            "sources": SRC,
            "training": {k: {"value": v, "rationale": "test"} for k, v in (training or {}).items()},
            "enablers": {k: {"value": v, "rationale": "test"} for k, v in (enablers or {}).items()},
            "systems": [{"source": "s", "name": s["id"], **s} for s in systems],
            "munitions": {k: {"source": "s", **v} for k, v in (munitions or {}).items()},
            "raids": raids or [],
        }
    )


def make_matchup(
    contests: list[dict[str, Any]], blue: list[dict[str, Any]], red: list[dict[str, Any]], **kw: Any
) -> Matchup:
    cat_keys = ("classes", "enablers_by_domain", "thresholds", "layers", "campaign_days")
    cat_kw = {k: kw.pop(k) for k in cat_keys if k in kw}
    return Matchup(
        make_catalog(contests, **cat_kw),
        make_inventory(
            "ukraine",
            blue,
            kw.get("blue_training"),
            kw.get("blue_enablers"),
            kw.get("blue_munitions"),
        ),
        make_inventory(
            "russia",
            red,
            kw.get("red_training"),
            kw.get("red_enablers"),
            kw.get("red_munitions"),
            kw.get("raids"),
        ),
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


IAMD = {
    "id": "air_defence",
    "title": "Air defence",
    "domain": "air_defence",
    "law": "iamd",
    "critical": True,
    "threats": ["missile", "drone"],
    "acceptable_leakage": 0.1,
    "rationale": "test",
}
