"""Builders of small engine-v2 matchups, and an independent reference of the iamd campaign.

Everything here returns fresh models. :func:`reference_campaign` is written
from the words of DESIGN.md ("Contest models", ``iamd``), system by system and
threat by threat in plain Python, sharing no code with :mod:`qdb.contests`:
the engine's vectorised closed form must agree with it.
"""

from __future__ import annotations

import math
from typing import Any

from qdb.models import Catalog, Inventory, Matchup
from tests.conftest import make_inventory

inventory = make_inventory
"""One side: the shared builder of ``tests/conftest.py``."""

CLASSES: dict[str, dict[str, Any]] = {
    "tank": {"domain": "land", "branch": "ground", "unit": "tank", "unit_cost_musd": 5},
    "atgm": {"domain": "land", "branch": "special", "unit": "team", "unit_cost_musd": 1},
    "gun": {
        "domain": "land",
        "branch": "ground",
        "unit": "gun",
        "unit_cost_musd": 3,
        "fires": {"munition": "shell", "rate": 1.5},
    },
    "shell": {"domain": "land", "branch": "ground", "unit": "round", "unit_cost_musd": 0.004},
    "missile": {"domain": "strike", "branch": "missile", "unit": "missile", "unit_cost_musd": 2},
    "drone": {"domain": "strike", "branch": "missile", "unit": "drone", "unit_cost_musd": 0.05},
}


def sam(coverage: Any, shots_per_raid: Any, engages: list[dict[str, Any]]) -> dict[str, Any]:
    """An interceptor class."""
    return {
        "domain": "air_defence",
        "branch": "air_defence",
        "unit": "fire unit",
        "unit_cost_musd": 100,
        "coverage": coverage,
        "shots_per_raid": shots_per_raid,
        "engages": engages,
    }


def catalog(
    contests: list[dict[str, Any]],
    classes: dict[str, dict[str, Any]] | None = None,
    layers: list[str] | None = None,
    campaign_days: int = 90,
    enablers_by_domain: dict[str, list[str]] | None = None,
) -> Catalog:
    data: dict[str, Any] = {
        "campaign_days": campaign_days,
        "classes": {**CLASSES, **(classes or {})},
        "enablers_by_domain": enablers_by_domain or {},
        "contests": contests,
    }
    if layers:
        data["iamd"] = {"layers": layers}
    return Catalog.model_validate(data)


def matchup(cat: Catalog, blue: Inventory, red: Inventory) -> Matchup:
    return Matchup(cat, blue, red)


def iamd_contest(cid: str, threats: list[str], acceptable: float = 0.1) -> dict[str, Any]:
    return {
        "id": cid,
        "title": cid,
        "domain": "air_defence",
        "law": "iamd",
        "critical": True,
        "threats": threats,
        "acceptable_leakage": acceptable,
        "rationale": "t",
    }


def lanchester_contest(
    cid: str, law: str, threat: dict[str, Any], counters: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {
        "id": cid,
        "title": cid,
        "domain": "land",
        "law": law,
        "critical": True,
        "threat": threat,
        "counters": counters,
        "rationale": "t",
        **extra,
    }


# ---------------------------------------------------------------------------
# Reference campaign: DESIGN.md's algorithm, literally (point values only)
# ---------------------------------------------------------------------------


def _q(m: Matchup, inv: Inventory, s: Any) -> float:
    cls = m.catalog.classes[s.class_]
    tr = inv.training.get(cls.branch)
    q = s.quality.value * (tr.value.value if tr else 1.0)
    for e in m.catalog.enablers_by_domain.get(cls.domain, ()):
        if e in inv.enablers:
            q *= inv.enablers[e].value.value
    return float(q)


def reference_campaign(m: Matchup) -> dict[str, Any]:
    """Run the campaign of ``m`` as DESIGN.md words it; point estimates.

    Returns leakage and worst-raid leakage per iamd contest, and per blue
    interceptor system the rounds fired, kills and exhaustion day.
    """
    cat = m.catalog
    days = cat.campaign_days
    layers = cat.iamd.layers if cat.iamd else []
    red = {s.id: s for s in m.red.systems}
    rounds = {sid: float((s.stock or s.quantity).value) for sid, s in red.items()}
    qj = {sid: _q(m, m.red, s) for sid, s in red.items()}
    blue = [s for s in m.blue.systems if s.class_ in layers]
    stock = {s.id: (math.inf if s.stock is None else float(s.stock.value)) for s in blue}
    fired = {s.id: 0.0 for s in blue}
    kills = {s.id: 0.0 for s in blue}
    exhausted: dict[str, int | None] = {s.id: None for s in blue}
    qs = {s.id: _q(m, m.blue, s) for s in blue}
    launched_tot: dict[str, float] = {}
    leaked_tot: dict[str, float] = {}
    per_raid: list[tuple[dict[str, float], dict[str, float]]] = []
    for day in range(days):
        if day >= 1:
            for sid, s in red.items():
                if s.per_day is not None:
                    rounds[sid] += s.per_day.value
            for s in blue:
                if s.stock is not None and s.per_day is not None:
                    stock[s.id] += s.per_day.value
        for raid in m.red.raids:
            if day < raid.first_day or (day - raid.first_day) % raid.every_days:
                continue
            flying: dict[str, float] = {}
            launched: dict[str, float] = {}
            for sid, size in raid.size.items():
                if sid not in red:
                    continue
                n = min(size.value, rounds[sid])
                rounds[sid] -= n
                flying[sid] = flying.get(sid, 0.0) + n
                launched[sid] = launched.get(sid, 0.0) + n
            for L in layers:
                klass = cat.classes[L]
                cov = klass.coverage.value if klass.coverage else 1.0
                if klass.coverage_per_unit is not None:
                    units = sum(s.quantity.value * s.readiness.value for s in blue if s.class_ == L)
                    cov = 1 - (1 - klass.coverage_per_unit.value) ** units
                reach = {j: cov * f for j, f in flying.items()}
                members = sorted(
                    (s for s in blue if s.class_ == L), key=lambda s: (-qs[s.id], s.id)
                )
                for s in members:
                    spr = klass.shots_per_raid.value if klass.shots_per_raid else 0.0
                    have = min(s.quantity.value * s.readiness.value * spr, stock[s.id])
                    for e in klass.engages:
                        js = [j for j in flying if red[j].class_ == e.threat]
                        want = e.shots.value * sum(reach[j] for j in js)
                        if want <= 0:
                            continue
                        shot = min(have, want)
                        for j in js:
                            times = shot / want * reach[j]
                            reach[j] -= times
                            p = 1 - (1 - e.pk.value) ** (e.shots.value * qs[s.id] / qj[j])
                            k = times * p
                            flying[j] -= k
                            kills[s.id] += k
                        have -= shot
                        stock[s.id] -= shot
                        fired[s.id] += shot
            for j in launched:
                launched_tot[j] = launched_tot.get(j, 0.0) + launched[j]
                leaked_tot[j] = leaked_tot.get(j, 0.0) + flying[j]
            per_raid.append((launched, dict(flying)))
        for s in blue:
            if exhausted[s.id] is None and stock[s.id] <= 1e-9:
                exhausted[s.id] = day
    out: dict[str, Any] = {"systems": {}, "contests": {}}
    for s in blue:
        out["systems"][s.id] = (fired[s.id], kills[s.id], exhausted[s.id])
    for con in cat.contests:
        if con.law != "iamd":
            continue
        mine = [j for j in red if red[j].class_ in con.threats]
        lau = sum(launched_tot.get(j, 0.0) for j in mine)
        lea = sum(leaked_tot.get(j, 0.0) for j in mine)
        worst = None
        for la, le in per_raid:
            a = sum(la.get(j, 0.0) for j in mine)
            if a > 0:
                r = sum(le.get(j, 0.0) for j in mine) / a
                worst = r if worst is None else max(worst, r)
        out["contests"][con.id] = (lea / lau if lau > 0 else None, worst)
    return out


def assert_matches_reference(m: Matchup) -> None:
    """The engine's campaign equals :func:`reference_campaign` on ``m`` (1e-9)."""
    from numpy.testing import assert_allclose

    from qdb.assess import assess

    ref = reference_campaign(m)
    a = assess(m, with_critical=False)
    for cid, (leak, worst) in ref["contests"].items():
        r = a.contest(cid)
        assert r is not None
        if leak is None:
            assert r.verdict == "uncontested"
            continue
        assert_allclose(r.leakage, leak, rtol=1e-9, atol=1e-12)
        assert_allclose(r.worst_raid_leakage, worst, rtol=1e-9, atol=1e-12)
    by = {s.system: s for s in a.campaign}
    for sid, (fired, kills, exhausted) in ref["systems"].items():
        assert_allclose([by[sid].fired, by[sid].kills], [fired, kills], rtol=1e-9, atol=1e-9)
        assert by[sid].exhausted_day == exhausted
