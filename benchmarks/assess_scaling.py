"""Assessment speed: growth with problem size (critical systems included), and big classes.

Prints, measured side by side in one run:

* ``assess`` time on synthetic engine-v2 matchups of growing size — systems per
  side and contests scale together (2,500 / 250, 5,000 / 500, 10,000 / 1,000),
  with Lanchester contests (square, linear and power with a ranged exponent,
  guns rationed by munitions) and one air campaign (interceptor layers with
  ``engages``, threat systems launched by recurring raids, magazines with
  resupply) — split into the assessment proper and the critical-system step,
  and the growth per doubling (about 2.0 = linear);
* ``assess`` with the default Monte Carlo on the bundled data with 1,500 extra
  blue systems in one class (target <= 3 s), for a Lanchester class, a gun
  class that shares a munition, and an interceptor class.

The synthetic matchups keep the threat and interceptor systems few (as in the
data: tens) and scale the land forces and contests. An interceptor class of
1,500 systems is the quadratic case: each needs its own re-run of the campaign
(which is not monotone, so no shortcut is exact), each in proportion to the layer.
Timings are CPU seconds of this process (``time.process_time``: the machine
is shared; both threads counted) and wall seconds. Tests never time.

Run: ``python benchmarks/assess_scaling.py [--samples N] [--sizes 2500,5000,10000]``.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from typing import Any

from qdb.models import Catalog, Inventory, Matchup

SRC = {"s": {"title": "t", "publisher": "p", "date": "2024-01-01", "url": "https://example.org"}}
THREATS = ("ballistic", "cruise", "drone", "decoy")
LAYERS = 6
INTERCEPTORS = 48


def _rng_range(rng: random.Random, x: float, width: float = 0.2) -> dict[str, float]:
    return {"low": x * (1 - width), "estimate": x, "high": x * (1 + width)}


def synthetic(n_systems: int, n_contests: int, seed: int = 0) -> Matchup:
    """A random v2 matchup: ``n_systems`` per side, ``n_contests`` contests.

    Land classes ``c0..`` (every fourth fires the munition ``shell``), four threat
    classes, six interceptor layers with :data:`INTERCEPTORS` systems in all (the
    data lists tens), red has three systems per threat class and four raids; one
    contest in ten is critical, three are ``iamd``; a third of qualities are ranged.
    """
    rng = random.Random(seed)
    n_land = max(8, n_contests // 2)
    classes: dict[str, dict[str, Any]] = {}
    for i in range(n_land):
        classes[f"c{i}"] = {
            "domain": f"d{i % 7}",
            "branch": f"b{i % 5}",
            "unit": "u",
            "unit_cost_musd": 1,
        }
        if i % 4 == 0:
            classes[f"c{i}"]["fires"] = {"munition": "shell", "rate": 5}
    classes["shell"] = {"domain": "d0", "branch": "b0", "unit": "round", "unit_cost_musd": 0.004}
    for t in THREATS:
        classes[t] = {"domain": "strike", "branch": "missile", "unit": "m", "unit_cost_musd": 1}
    for k in range(LAYERS):
        eng = rng.sample(THREATS, rng.randint(1, 3))
        classes[f"layer{k}"] = {
            "domain": "air_defence",
            "branch": "air_defence",
            "unit": "fire unit",
            "unit_cost_musd": 10,
            "shots_per_raid": rng.choice([2, 4, 8]),
            "coverage": _rng_range(rng, rng.uniform(0.2, 0.6)),
            "engages": [
                {"threat": t, "pk": _rng_range(rng, rng.uniform(0.3, 0.8)), "shots": 1} for t in eng
            ],
        }
    contests: list[dict[str, Any]] = []
    for t in THREATS[:3]:
        contests.append(
            {
                "id": f"air_{t}",
                "title": t,
                "domain": "air_defence",
                "law": "iamd",
                "critical": True,
                "threats": [t],
                "acceptable_leakage": 0.2,
                "rationale": "synthetic",
            }
        )
    land = sorted(c for c in classes if c.startswith("c"))
    for j in range(n_contests - len(contests)):
        cls = rng.sample(land, 6)
        law = rng.choice(["square", "linear", "power"])
        con: dict[str, Any] = {
            "id": f"k{j}",
            "title": f"contest {j}",
            "domain": "d0",
            "law": law,
            "rationale": "synthetic",
            "critical": j % 10 == 0,
            "threat": {c: round(rng.uniform(0.5, 2), 3) for c in cls[:3]},
            "counters": {c: round(rng.uniform(0.5, 2), 3) for c in cls[3:]},
        }
        if law == "power":
            con["exponent"] = {"low": 1.1, "estimate": 1.4, "high": 2.0}
        contests.append(con)
    cat = Catalog.model_validate(
        {
            "campaign_days": 90,
            "classes": classes,
            "contests": contests,
            "enablers_by_domain": {"d0": ["isr"]},
            "iamd": {"layers": [f"layer{k}" for k in range(LAYERS)]},
        }
    )

    def system(prefix: str, i: int, klass: str, **extra: Any) -> dict[str, Any]:
        q = round(rng.uniform(0.5, 1.5), 3)
        return {
            "id": f"{prefix}{i}",
            "name": "s",
            "class": klass,
            "quantity": rng.randint(1, 500),
            "quality": _rng_range(rng, q) if i % 3 == 0 else q,
            "source": "s",
            **extra,
        }

    blue = []
    for i in range(n_systems):
        if i < INTERCEPTORS:  # a fixed number of interceptor systems, magazines and resupply
            blue.append(
                system("u", i, f"layer{i % LAYERS}", stock=rng.randint(50, 2000), per_day=2)
            )
        else:
            blue.append(system("u", i, rng.choice(land)))
    red = [system("r", i, rng.choice(land)) for i in range(n_systems - 3 * len(THREATS))]
    threat_ids = []
    for t in THREATS:
        for k in range(3):
            sid = f"{t}{k}"
            threat_ids.append((t, sid))
            red.append(
                {
                    "id": sid,
                    "name": sid,
                    "class": t,
                    "quantity": 2000,
                    "per_day": 20,
                    "quality": 1.0,
                    "source": "s",
                }
            )

    def size(kinds: tuple[str, ...], n: float) -> dict[str, Any]:
        return {sid: _rng_range(rng, n) for t, sid in threat_ids if t in kinds}

    raids = [
        {"id": "drones", "every_days": 1, "size": size(("drone", "decoy"), 15)},
        {"id": "missiles", "every_days": 2, "size": size(("ballistic", "cruise"), 3)},
        {"id": "mass", "every_days": 6, "first_day": 5, "size": size(("drone", "decoy"), 80)},
        {"id": "combined", "every_days": 13, "first_day": 3, "size": size(THREATS, 10)},
    ]

    def inv(side: str, systems: list[dict[str, Any]], **extra: Any) -> Inventory:
        return Inventory.model_validate(
            {
                "side": side,
                "name": side,
                "as_of": "2025-01-01",
                "sources": SRC,
                "systems": systems,
                "munitions": {"shell": {"stock": 1e6, "per_day": 5000, "source": "s"}},
                **extra,
            }
        )

    return Matchup(cat, inv("ukraine", blue), inv("russia", red, raids=raids))


def big_class(m: Matchup, klass: str, n: int = 1500) -> Matchup:
    """``m`` with ``n`` extra blue systems of ``klass`` (copies of its first one, ids apart)."""
    from dataclasses import replace

    base = next(s for s in m.blue.systems if s.class_ == klass)
    extra = [
        base.model_copy(update={"id": f"{base.id}_x{i}", "name": f"{base.name} {i}"})
        for i in range(n)
    ]
    blue = m.blue.model_copy(update={"systems": [*m.blue.systems, *extra]})
    return replace(m, blue=blue)


def clock(fn: Any) -> tuple[float, float, Any]:
    """(CPU seconds, wall seconds, result) of ``fn()``."""
    c, t = time.process_time(), time.perf_counter()
    out = fn()
    return time.process_time() - c, time.perf_counter() - t, out


def timed_assess(m: Matchup, samples: int) -> tuple[float, float, float, float, int]:
    """CPU and wall of assess without and of the critical step; systems found."""
    from qdb.assess import CRITICAL_SAMPLES, assess
    from qdb.contests import compile_plan
    from qdb.critical import critical_systems

    c1, w1, a = clock(lambda: assess(m, samples=samples, with_critical=False))
    n_crit = min(samples, CRITICAL_SAMPLES) if samples else 0
    c2, w2, crit = clock(
        lambda: critical_systems(compile_plan(m), a, seed=0, samples=n_crit, confidence=0.8)
    )
    return c1, w1, c2, w2, len(crit)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=400, help="Monte Carlo samples at scale")
    ap.add_argument("--sizes", default="2500,5000,10000", help="systems per side")
    ap.add_argument("--no-big-class", action="store_true")
    ap.add_argument("--layer-extra", type=int, default=100, help="extra sr_sam systems (x1, x2)")
    args = ap.parse_args()

    print(
        f"assess scaling, synthetic v2 matchups, Monte Carlo {args.samples} samples "
        f"(critical step on the first {min(args.samples, 400)}): CPU s (wall s)"
    )
    prev: tuple[float, float, float] | None = None
    for n_sys in [int(x) for x in args.sizes.split(",") if x]:
        m = synthetic(n_sys, n_sys // 10)
        c1, w1, c2, w2, found = timed_assess(m, args.samples)
        tot = c1 + c2
        growth = ""
        if prev:
            growth = (
                f"  per doubling: assess {c1 / prev[0]:.2f}x, critical {c2 / prev[1]:.2f}x, "
                f"total {tot / prev[2]:.2f}x"
            )
        print(
            f"  {n_sys:>6,} systems/side, {n_sys // 10:>5,} contests: assess {c1:6.2f} "
            f"({w1:.2f}), critical {c2:6.2f} ({w2:.2f}; {found} found), total {tot:6.2f}{growth}"
        )
        prev = (c1, c2, tot)

    if not args.no_big_class:
        from qdb.assess import assess
        from qdb.io.load import load_dataset

        base = load_dataset(None).dataset.matchup()
        c, w, _ = clock(lambda: assess(base, samples=4000, seed=0))
        print(
            f"bundled data, qdb assess defaults (4,000 samples, critical): {c:.2f} CPU s ({w:.2f} wall)"
        )
        for klass in ("mbt", "tube_artillery"):
            m = big_class(base, klass)
            c, w, a = clock(lambda m=m: assess(m, samples=4000, seed=0))
            mark = "ok" if c <= 3.0 else "MISSED"
            print(
                f"  + 1,500 blue systems in class {klass}: {c:.2f} CPU s ({w:.2f} wall), "
                f"{len(a.critical_systems)} critical systems  [target <= 3 s: {mark} (CPU)]"
            )
        prev_c = None
        for extra in (args.layer_extra, 2 * args.layer_extra):  # an interceptor class: quadratic
            m = big_class(base, "sr_sam", extra)
            c, w, a = clock(lambda m=m: assess(m, samples=4000, seed=0))
            growth = f", {c / prev_c:.2f}x per doubling" if prev_c else ""
            print(
                f"  + {extra:,} blue systems in interceptor class sr_sam: {c:.2f} CPU s "
                f"({w:.2f} wall), {len(a.critical_systems)} critical systems{growth}"
            )
            prev_c = c
        assert prev_c is not None
        est = prev_c * (1500 / (2 * args.layer_extra)) ** 2
        print(f"    (+1,500 in sr_sam, extrapolated quadratically: ~{est:,.0f} s)")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
