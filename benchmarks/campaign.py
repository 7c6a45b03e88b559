"""Air-campaign speed: samples per second, and the share of time spent outside numpy.

Prints, measured side by side in one run on the bundled data (or ``--data DIR``):

* CPU seconds and samples per second of the ``iamd`` campaign (the Monte
  Carlo's hot loop) at 1e4, 1e5 and 1e6 samples, drawn and evaluated in the
  Monte Carlo's chunks (``qdb.uncertainty``: same sampler, same chunk size),
  next to the whole engine (:func:`qdb.contests.evaluate`) and the drawing;
* the per-call overhead: the campaign's CPU time per call is fitted as
  ``t(n) = a + b·n`` over several chunk sizes ``n`` (least squares). ``a`` is
  what a call costs whatever the number of samples — Python bytecode and the
  dispatch of some 10^4 numpy calls (157 raids x layers x engagements) — and
  ``b`` the per-sample array work inside numpy. ``a / t(chunk)`` is the share
  spent outside numpy at the Monte Carlo's chunk.

CPU time (``time.process_time``, one thread) is used, not wall time: the
machine is shared, and the load average is printed. The Monte Carlo itself
runs two such threads. Tests never time.

Usage: ``python benchmarks/campaign.py [--data DIR] [--sizes 1e4,1e5,1e6]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any


def _fit(ns: list[int], ts: list[float]) -> tuple[float, float]:
    """Least-squares ``t = a + b·n``."""
    k = len(ns)
    mn, mt = sum(ns) / k, sum(ts) / k
    b = sum((n - mn) * (t - mt) for n, t in zip(ns, ts, strict=True)) / sum(
        (n - mn) ** 2 for n in ns
    )
    return mt - b * mn, b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="", help="data folder (default: bundled)")
    ap.add_argument("--sizes", default="1e4,1e5,1e6", help="sample counts, comma-separated")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    sizes = [int(float(x)) for x in args.sizes.split(",")]

    import numpy as np

    from qdb.contests import compile_plan
    from qdb.io.load import load_dataset
    from qdb.uncertainty import ELEMENT_BUDGET, _copula, _Sampler

    ev_mod: Any = sys.modules["qdb.contests.evaluate"]
    m = load_dataset(args.data or None).dataset.matchup()
    plan = compile_plan(m)
    cop, _ = _copula(m, plan.inputs)
    P = max(1, len(plan.inputs))
    chunk = max(1, min(20_000, max(1024, ELEMENT_BUDGET // P)))  # as monte_carlo() does
    events = sum(len(range(r.first_day, plan.campaign_days, r.every_days)) for r in plan.raids)
    interceptors = sum(len(layer.systems) for layer in plan.layers)
    print(
        f"campaign benchmark, {args.data or 'bundled data'}: {len(plan.layers)} layers, "
        f"{interceptors} interceptor systems, {len(plan.threats)} threat systems, "
        f"{len(plan.raids)} raids = {events} raid events over {plan.campaign_days} days; "
        f"{len(plan.inputs)} ranged inputs; chunk {chunk:,} samples (as the Monte Carlo)"
    )

    # time the campaign inside evaluate() without changing it
    spent = [0.0]
    inner = ev_mod.campaign

    def timed(*a: Any) -> None:
        t = time.process_time()
        inner(*a)
        spent[0] += time.process_time() - t

    ev_mod.campaign = timed
    try:
        # warm up (imports, first allocations)
        ev_mod.evaluate(plan, plan.values(_Sampler(plan.inputs, args.seed, cop).draw(1024)))
        rows = []
        for S in sizes:
            sampler = _Sampler(plan.inputs, args.seed, cop)
            spent[0] = draw_s = eval_s = 0.0
            for start in range(0, S, chunk):
                n = min(chunk, S - start)
                t = time.process_time()
                X = sampler.draw(n)
                t1 = time.process_time()
                ev_mod.evaluate(plan, plan.values(X))
                t2 = time.process_time()
                draw_s += t1 - t
                eval_s += t2 - t1
            rows.append((S, spent[0], eval_s, draw_s))

        # per-call overhead: t(n) = a + b n over several chunk sizes (best of 3 each)
        ns = [1, 64, 256, 1024, 4096, chunk]
        ts = []
        for n in ns:
            V = plan.values(_Sampler(plan.inputs, args.seed, cop).draw(n).copy())
            best = float("inf")
            for _ in range(3):
                spent[0] = 0.0
                ev_mod.evaluate(plan, V)
                best = min(best, spent[0])
            ts.append(best)
    finally:
        ev_mod.campaign = inner
    small = [k for k, n in enumerate(ns) if n <= 1024]  # cache-resident sizes: linear
    a, b = _fit([ns[k] for k in small], [ts[k] for k in small])
    t_chunk = ts[-1]
    from qdb.contests.iamd import BLOCK

    calls = -(-chunk // BLOCK) if chunk > 2 * BLOCK else 1  # the campaign runs cache-sized blocks

    print(
        f"{'samples':>10}  {'campaign CPU s':>14}  {'campaign samples/s':>18}  "
        f"{'engine samples/s':>16}  {'campaign share':>14}  {'drawing samples/s':>17}"
    )
    for S, camp, ev_s, dr in rows:
        print(
            f"{S:>10,}  {camp:>14.2f}  {S / camp:>18,.0f}  {S / ev_s:>16,.0f}  "
            f"{camp / ev_s:>14.0%}  {S / dr:>17,.0f}"
        )
    print(
        "campaign CPU time per call t(n), best of 3: "
        + ", ".join(f"{n:,}: {t * 1e3:.1f} ms" for n, t in zip(ns, ts, strict=True))
    )
    print(
        f"fit t(n) = a + b*n over n <= 1,024: a = {a * 1e3:.1f} ms per call (Python and numpy "
        f"dispatch), b = {b * 1e6:.1f} us/sample (array work in numpy; "
        f"{(t_chunk - calls * a) / chunk * 1e6:.1f} us/sample at the chunk)"
    )
    print(
        f"share outside numpy: {calls * a / t_chunk:.1%} at the Monte Carlo chunk of {chunk:,} "
        f"({calls} blocks x a / t(chunk)); {a / ts[ns.index(1024)]:.1%} at 1,024 samples; a call with one "
        f"sample (the point assessment) is {a / ts[0]:.0%} overhead"
    )
    print(
        f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; "
        f"numpy {np.__version__}"
    )


if __name__ == "__main__":
    main()
