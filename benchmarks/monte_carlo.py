"""Monte Carlo speed and memory against floors, measured side by side in one run.

Prints, for the bundled data (or ``--data DIR``):

* CPU time (user + system, both worker threads) of ``monte_carlo`` over
  ``--samples`` (default 1e6) samples, next to numpy drawing the same number of
  triangular variates — ``len(plan.inputs) x samples`` draws of
  ``numpy.random.Generator.triangular`` — in the same fresh process, and the
  ratio (target <= 2x);
* peak resident memory of that run (``VmHWM``), and before it;
* ``qdb assess --format json`` end to end with the default samples (a fresh
  process; median of ``--repeat`` runs) next to the import floor ``python -c
  "import typer, pydantic, networkx, numpy, ruamel.yaml"`` (target <= 2x),
  in wall time and in CPU time (the machine is shared: wall time waits for
  the CPUs, so both are printed with the load average);
* that a seed gives bit-identical results whatever the chunk size: the raw
  balances of every sample evaluated in chunks of several sizes, and the
  ``MonteCarloResult`` of ``monte_carlo`` with several ``chunk_size``.

Usage: ``python benchmarks/monte_carlo.py [--data DIR] [--samples N] [--repeat K]``.
Timings are machine-dependent; tests never time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = "import typer, pydantic, networkx, numpy, ruamel.yaml"

CHILD = r"""
import json, resource, sys, time
from qdb.io.load import load_dataset
from qdb.contests import compile_plan
from qdb.uncertainty import monte_carlo
import numpy as np
data = sys.argv[1] or None
n = int(sys.argv[2])
m = load_dataset(data).dataset.matchup()
plan = compile_plan(m)
monte_carlo(m, 2000, seed=0, plan=plan)  # warm: imports, first allocations

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime

def hwm():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))

before_kb = hwm()
u0, s0 = cpu(); t = time.perf_counter()
monte_carlo(m, n, seed=0, plan=plan)
wall = time.perf_counter() - t; u1, s1 = cpu()
peak_kb = hwm()
# the floor: numpy drawing as many triangular variates, one input at a time
rng = np.random.Generator(np.random.PCG64DXSM(0))
u2, s2 = cpu(); t = time.perf_counter()
for x in plan.inputs:
    rng.triangular(x.low, x.estimate, x.high, size=n)
tri_wall = time.perf_counter() - t; u3, s3 = cpu()
print(json.dumps({
    "inputs": len(plan.inputs), "wall": wall, "user": u1 - u0, "sys": s1 - s0,
    "tri_wall": tri_wall, "tri_cpu": (u3 - u2) + (s3 - s2),
    "before_kb": before_kb, "peak_kb": peak_kb,
}))
"""


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str], repeat: int) -> tuple[float, float, bool]:
    """Median wall and median CPU (user + system) of ``cmd``; whether every run exited 0."""
    walls, cpus, ok = [], [], True
    for _ in range(repeat):
        c0, t0 = _children_cpu(), time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
        cpus.append(_children_cpu() - c0)
        ok = ok and proc.returncode == 0
    return statistics.median(walls), statistics.median(cpus), ok


def chunk_check(m, seed: int = 1, n: int = 30_000) -> tuple[bool, bool, float]:  # type: ignore[no-untyped-def]
    """Raw balances identical across chunkings (>= 2 samples); MonteCarloResult identical
    across ``chunk_size``; largest relative difference of one-sample chunks (first 50)."""
    import numpy as np

    from qdb.contests import compile_plan, evaluate
    from qdb.uncertainty import _copula, _Sampler, monte_carlo

    plan = compile_plan(m)
    cop, _ = _copula(m, plan.inputs)

    def run(size: int, upto: int) -> np.ndarray:  # type: ignore[type-arg]
        sampler = _Sampler(plan.inputs, seed, cop)
        parts = [
            evaluate(plan, plan.values(sampler.draw(min(size, upto - lo)))).balance
            for lo in range(0, upto, size)
        ]
        return np.concatenate(parts, axis=1)

    ref = run(n, n)

    def same(r: np.ndarray) -> bool:  # type: ignore[type-arg]
        w = ref[:, : r.shape[1]]
        return bool(
            np.array_equal(r, w, equal_nan=True) and np.array_equal(np.signbit(r), np.signbit(w))
        )

    raw = same(run(2, 50)) and all(same(run(size, n)) for size in (997, 4096, 12_738))
    one = run(1, 50)
    with np.errstate(invalid="ignore"):
        rel = float(np.nanmax(np.abs(one - ref[:, :50]) / np.abs(ref[:, :50])))
    res = [monte_carlo(m, n, seed, chunk_size=c, plan=plan) for c in (1024, 5000, 20_000)]
    return raw, all(r == res[0] for r in res), rel


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="", help="data folder (default: bundled)")
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each command (median)")
    args = ap.parse_args()

    from qdb.io.load import load_dataset

    m = load_dataset(args.data or None).dataset.matchup()

    # first, while this process is small (a parent's peak RSS carries into a child's)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, args.data, str(args.samples)],
        capture_output=True,
        text=True,
        check=True,
    )
    mc = json.loads(proc.stdout)

    qdb_exe = Path(sys.executable).with_name("qdb")
    launcher = [str(qdb_exe)] if qdb_exe.exists() else [sys.executable, "-m", "qdb"]
    cmd = [*launcher, "assess", "--format", "json"] + (["--data", args.data] if args.data else [])
    floor_w, floor_c, _ = timed([sys.executable, "-c", FLOOR], args.repeat)
    cli_w, cli_c, cli_ok = timed(cmd, args.repeat)

    raw_ok, mc_ok, one_rel = chunk_check(m)

    mc_cpu = mc["user"] + mc["sys"]
    ratio = mc_cpu / mc["tri_cpu"]
    draws = mc["inputs"] * args.samples
    S = args.samples

    def mark(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    rows = [
        (
            f"Monte Carlo, {S:,} samples (2 threads)",
            f"CPU {mc_cpu:.2f} s (user {mc['user']:.2f}, system {mc['sys']:.2f}); wall "
            f"{mc['wall']:.2f} s; {S / mc_cpu:,.0f} samples per CPU-second",
            "",
        ),
        (
            f"numpy triangular, {mc['inputs']} inputs x {S:,} = {draws:,} draws",
            f"CPU {mc['tri_cpu']:.2f} s (wall {mc['tri_wall']:.2f} s)",
            "",
        ),
        (
            "Monte Carlo / numpy triangular (CPU)",
            f"{ratio:.2f}x",
            f"target <= 2x: {mark(ratio <= 2)}",
        ),
        (
            f"peak memory of the {S:,}-sample run (VmHWM)",
            f"{mc['peak_kb'] / 1024:,.0f} MB (before sampling {mc['before_kb'] / 1024:,.0f} MB)",
            "",
        ),
        (f"import floor ({FLOOR[7:]})", f"wall {floor_w:.2f} s, CPU {floor_c:.2f} s", ""),
        (
            "qdb assess --format json (default samples, critical systems)",
            f"wall {cli_w:.2f} s = {cli_w / floor_w:.2f}x floor; CPU {cli_c:.2f} s = "
            f"{cli_c / floor_c:.2f}x floor" + ("" if cli_ok else " (command FAILED)"),
            f"target <= 2x: {mark(cli_ok and cli_c / floor_c <= 2)} (CPU)",
        ),
        (
            "same seed, different chunk sizes",
            f"raw balances of 30,000 samples in chunks of 2-30,000: "
            f"{'bit-identical' if raw_ok else 'DIFFERENT'}; monte_carlo chunk_size "
            f"1,024/5,000/20,000: {'identical' if mc_ok else 'DIFFERENT'}",
            mark(raw_ok and mc_ok),
        ),
    ]
    rows.append(
        (
            "a chunk of ONE sample (as the point assessment)",
            f"differs by up to {one_rel:.1e} relative (numpy sums a (k, 1) array pairwise, "
            "a (k, n>=2) one row at a time)",
            "",
        )
    )
    load = os.getloadavg()[0]
    rows.append(("load average (1 min) at the end", f"{load:.2f} on {os.cpu_count()} CPUs", ""))
    w = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"{name:<{w}}  {value}" + (f"  [{target}]" if target else ""))


if __name__ == "__main__":
    main()
