"""Assessment speed: growth with problem size, and CLI wall time vs the import floor.

Prints, measured side by side in one run:

* ``assess`` time on synthetic matchups of growing size (systems and contests
  scale together, up to 10,000 systems and 1,000 contests) and the growth ratio
  per doubling — about 2.0 means linear cost;
* ``qdb assess`` wall time on the bundled data next to the import floor
  ``python -c "import typer, pydantic, networkx, numpy"`` (target: ≤ 1.5×).

Run: ``python benchmarks/assess_scaling.py``.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time

from qdb.assess import assess
from qdb.models import Catalog, Inventory, Matchup

SRC = {"s": {"title": "t", "publisher": "p", "date": "2024-01-01", "url": "https://example.org"}}


def synthetic(n_systems: int, n_contests: int, seed: int = 0) -> Matchup:
    """A random matchup: n_systems per side over n_contests/2 classes, each contest 3+3 classes."""
    rng = random.Random(seed)
    n_classes = max(4, n_contests // 2)
    classes = {
        f"c{i}": {
            "domain": f"d{i % 7}",
            "branch": f"b{i % 5}",
            "unit": "u",
            "unit_cost_musd": 1,
            "pk": 0.5,
            "shots_per_day": 4,
        }
        for i in range(n_classes)
    }
    contests = []
    for j in range(n_contests):
        cls = rng.sample(sorted(classes), 6)
        base = {
            "id": f"k{j}",
            "title": f"contest {j}",
            "domain": "d0",
            "rationale": "synthetic",
            "critical": j % 10 == 0,
            "threat": {c: rng.uniform(0.5, 2) for c in cls[:3]},
        }
        if j % 5 == 0:
            contests.append(
                {
                    **base,
                    "law": "layered_defence",
                    "layers": cls[3:],
                    "acceptable_leakage": 0.1,
                    "campaign_days": 30,
                }
            )
        else:
            contests.append(
                {
                    **base,
                    "law": rng.choice(["square", "linear"]),
                    "counters": {c: rng.uniform(0.5, 2) for c in cls[3:]},
                }
            )
    cat = Catalog.model_validate(
        {"classes": classes, "contests": contests, "enablers_by_domain": {"d0": ["isr"]}}
    )

    def inv(side: str) -> Inventory:
        systems = [
            {
                "id": f"{side[0]}{i}",
                "name": "s",
                "class": f"c{rng.randrange(n_classes)}",
                "quantity": rng.randint(1, 500),
                "quality": rng.uniform(0.5, 1.5),
                "source": "s",
                "per_day": rng.randint(1, 50),
                "stock": rng.randint(10, 5000),
            }
            for i in range(n_systems)
        ]
        return Inventory.model_validate(
            {"side": side, "name": side, "as_of": "2025-01-01", "sources": SRC, "systems": systems}
        )

    return Matchup(cat, inv("ukraine"), inv("russia"))


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def wall(cmd: list[str], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    print("assess scaling (systems per side, contests): time, ratio to previous size")
    prev = None
    for n_sys, n_con in ((2500, 250), (5000, 500), (10000, 1000)):
        m = synthetic(n_sys, n_con)
        t = best_of(lambda m=m: assess(m, with_critical=False))
        ratio = f"{t / prev:.2f}x for 2x size" if prev else ""
        print(f"  {n_sys:>6} systems, {n_con:>5} contests: {t * 1000:8.1f} ms  {ratio}")
        prev = t
    floor = wall([sys.executable, "-c", "import typer, pydantic, networkx, numpy"])
    cli = wall([sys.executable, "-m", "qdb", "assess", "--format", "json"])
    helpcmd = wall([sys.executable, "-m", "qdb", "--help"])
    tp = wall([sys.executable, "-c", "import typer, pydantic"])
    print(f"import floor (typer, pydantic, networkx, numpy): {floor * 1000:.0f} ms")
    print(
        f"qdb assess --format json (bundled data):          {cli * 1000:.0f} ms  = {cli / floor:.2f}x floor"
    )
    print(f"import floor (typer, pydantic):                   {tp * 1000:.0f} ms")
    print(
        f"qdb --help:                                       {helpcmd * 1000:.0f} ms  = {helpcmd / tp:.2f}x"
    )


if __name__ == "__main__":
    main()
