"""Monte Carlo speed and memory, measured side by side in one run.

Prints, for the bundled data (or ``--data DIR``):

* samples per second of the vectorised Monte Carlo (in process);
* wall time of ``qdb assess --samples 1000000 --format json`` including
  start-up (a fresh subprocess), against the 3 s target;
* samples per second of a loop that feeds each sample through
  ``qdb.targets.set_estimate`` into the one-sample engine ``qdb.assess.assess``,
  and the speed-up of the vectorised path over it (target: at least 100x);
* peak resident memory of a 10-million-sample run, measured in a fresh
  subprocess with ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (target: at
  most 600 MB), next to the peak of the same process before sampling.

Usage: ``python benchmarks/monte_carlo.py [--data DIR] [--samples N] [--big N]``.
Timings are machine-dependent (and inflated when other processes share the
CPUs: the load average is printed); tests never time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
from qdb.io.load import load_dataset
from qdb.uncertainty import monte_carlo
data = sys.argv[1] or None
n = int(sys.argv[2])
m = load_dataset(data).dataset.matchup()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
res = monte_carlo(m, n, seed=0)
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"before_kb": before, "peak_kb": peak, "hwm_kb": hwm, "seconds": dt}))
"""


def loop_rate(m, n: int) -> float:
    """Samples per second of the per-sample loop through the one-sample engine."""
    from qdb.assess import assess
    from qdb.models.estimate import Estimate
    from qdb.targets import parse_target, set_estimate
    from qdb.uncertainty import sample_inputs

    inputs, X = sample_inputs(m, n, seed=0)
    targets = [parse_target(x.target) for x in inputs]
    t = time.perf_counter()
    for i in range(n):
        mi = m
        for tg, v in zip(targets, X[i], strict=True):
            mi = set_estimate(mi, tg, Estimate.point(float(v)))
        assess(mi, with_critical=False)
    return n / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="", help="data folder (default: bundled)")
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--loop", type=int, default=200, help="samples for the per-sample loop")
    ap.add_argument("--big", type=int, default=10_000_000, help="samples of the memory run")
    args = ap.parse_args()

    from qdb.io.load import load_dataset
    from qdb.uncertainty import monte_carlo, uncertain_inputs

    m = load_dataset(args.data or None).dataset.matchup()
    n_inputs = len(uncertain_inputs(m))
    print(
        f"data: {args.data or 'bundled'}; {len(m.catalog.contests)} contests, "
        f"{len(m.blue.systems)} blue and {len(m.red.systems)} red systems, "
        f"{n_inputs} ranged inputs; {os.cpu_count()} CPUs"
    )

    # first, while this process is small: Linux carries a parent's peak RSS into
    # a child's ru_maxrss across fork and exec, so measure before the big runs here
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, args.data, str(args.big)],
        capture_output=True,
        text=True,
        check=True,
    )
    mem = json.loads(proc.stdout)

    monte_carlo(m, 10_000, seed=0)  # warm imports
    t = time.perf_counter()
    monte_carlo(m, args.samples, seed=0)
    vec_s = time.perf_counter() - t
    vec_rate = args.samples / vec_s

    qdb_exe = Path(sys.executable).with_name("qdb")
    launcher = [str(qdb_exe)] if qdb_exe.exists() else [sys.executable, str(ROOT / "cli.py")]
    cmd = [*launcher, "assess", "--samples", str(args.samples), "--format", "json"]
    if args.data:
        cmd += ["--data", args.data]
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    cli_s = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cli_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    cli_ok = proc.returncode == 0 and "p_certified" in json.loads(proc.stdout or "{}")

    rate_loop = loop_rate(m, args.loop)
    speedup = vec_rate / rate_loop

    peak_mb = mem["peak_kb"] / 1024
    base_mb = mem["before_kb"] / 1024

    def mark(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    rows = [
        (
            "vectorised Monte Carlo",
            f"{vec_rate:,.0f} samples/s ({args.samples:,} in {vec_s:.2f} s)",
            "",
        ),
        (
            f"qdb assess --samples {args.samples:,} (wall, fresh process)",
            f"{cli_s:.2f} s (CPU {cli_cpu:.2f} s over 2 threads)"
            + ("" if cli_ok else " (command failed)"),
            f"target <= 3 s: {mark(cli_ok and cli_s <= 3.0)}" if args.samples == 1_000_000 else "",
        ),
        (
            "per-sample loop (set_estimate + assess)",
            f"{rate_loop:,.0f} samples/s ({args.loop} samples)",
            "",
        ),
        (
            "speed-up vectorised / loop",
            f"{speedup:,.0f}x",
            f"target >= 100x: {mark(speedup >= 100)}",
        ),
        (
            f"peak memory, {args.big:,} samples (ru_maxrss)",
            f"{peak_mb:,.0f} MB (VmHWM {mem['hwm_kb'] / 1024:,.0f} MB; before sampling "
            f"{base_mb:,.0f} MB; run {mem['seconds']:.1f} s)",
            f"target <= 600 MB: {mark(peak_mb <= 600)}" if args.big == 10_000_000 else "",
        ),
    ]
    load = os.getloadavg()[0]
    rows.append(("load average (1 min) at the end", f"{load:.2f} on {os.cpu_count()} CPUs", ""))
    w = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"{name:<{w}}  {value}" + (f"  [{target}]" if target else ""))


if __name__ == "__main__":
    main()
