"""Before/after throughput of two builds of ``tldse._core``, alternated in one run,
or (``--check``) whether they give bit-identical results.

    python benchmarks/compare_builds.py OLD.so NEW.so [--dataflows ws,os,is,rs]
        [--configs 10000] [--threads 1] [--mapper heuristic] [--rounds 3]
    python benchmarks/compare_builds.py OLD.so NEW.so --check [--configs 3000]

Each measurement runs in its own subprocess (two builds of one pybind11 module cannot
share a process); old and new alternate ``--rounds`` times and the best rate of each is
kept, so both see the same machine load. Rates are given per second of wall-clock time
and per second of CPU time (all threads): on a machine shared with other work the second
is the steadier measure of the code. The workload is ``tldse bench``'s: ResNet-50's
conv layers x random designs of one dataflow (``tldse.bench``). Build the old module
from an older commit with cmake (``-DTLDSE_PYTHON=ON``) and pass the two ``.so`` files.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

# Loads the build given as argv[1] as tldse._core (tldse builds its tables with it).
PRELUDE = r"""
import hashlib, importlib.util, sys, time, types
import numpy as np
pkg = types.ModuleType("_under_test")
pkg.__path__ = []
sys.modules["_under_test"] = pkg
spec = importlib.util.spec_from_file_location("_under_test._core", sys.argv[1])
core = importlib.util.module_from_spec(spec)
spec.loader.exec_module(core)
sys.modules["tldse._core"] = core
"""

CHILD = (
    PRELUDE
    + r"""
df, mapper = sys.argv[2], sys.argv[5]
n, threads = int(sys.argv[3]), int(sys.argv[4])
from tldse.bench import bench_layers, random_configs
layers = bench_layers().astype(np.float64)
configs = random_configs(n, df)
table = core.EnergyTable("horowitz45")
core.evaluate(configs[:1], layers, table, threads, False, "edp", mapper)  # warm up
best, best_cpu = float("inf"), float("inf")
for _ in range(3):
    t0, c0 = time.perf_counter(), time.process_time()
    core.evaluate(configs, layers, table, threads, False, "edp", mapper)
    best = min(best, time.perf_counter() - t0)
    best_cpu = min(best_cpu, time.process_time() - c0)
print(n * len(layers) / best, n * len(layers) / best_cpu)
"""
)


CHECK = (
    PRELUDE
    + r"""
n = int(sys.argv[2])
import tldse
from tldse.bench import random_configs
table = core.EnergyTable("horowitz45")
for wl in ("mobilenet_v2", "resnet50"):
    layers = np.asarray(tldse.workloads.get(wl).table(), dtype=np.float64)
    for df in ("ws", "os", "is", "rs"):
        for objective in ("latency", "energy", "edp"):
            for mapper in ("heuristic", "exhaustive"):
                if mapper == "exhaustive" and df != "rs":
                    continue
                m = n if mapper == "heuristic" else max(1, n // 100)
                configs = random_configs(m, df, seed=17)
                out = core.evaluate(configs, layers, table, 2, False, objective, mapper)
                h = hashlib.sha256()
                for key in ("latency_cycles", "energy_pj", "status", "dram_bytes"):
                    h.update(np.ascontiguousarray(out[key]).tobytes())
                print(wl, df, objective, mapper, m, h.hexdigest()[:16])
"""
)


def digests(so: str, n: int) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", CHECK, so, str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.splitlines()


def rate(so: str, dataflow: str, n: int, threads: int, mapper: str) -> list[float]:
    """Evaluations per second of wall-clock time and per second of CPU time."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, so, dataflow, str(n), str(threads), mapper],
        capture_output=True,
        text=True,
        check=True,
    )
    return [float(x) for x in out.stdout.split()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--dataflows", default="ws,os,is,rs")
    ap.add_argument("--configs", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--mapper", default="heuristic")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--check", action="store_true", help="compare results, not speed")
    args = ap.parse_args()
    if args.check:
        old, new = digests(args.old, args.configs), digests(args.new, args.configs)
        for a, b in zip(old, new, strict=True):
            print(("same  " if a == b else "DIFF  ") + b)
        return 0 if old == new else 1
    for df in args.dataflows.split(","):
        best = {"old": [0.0, 0.0], "new": [0.0, 0.0]}
        for _ in range(args.rounds):
            for name in ("old", "new"):
                so = getattr(args, name)
                r = rate(so, df, args.configs, args.threads, args.mapper)
                best[name] = [max(a, b) for a, b in zip(best[name], r, strict=True)]
        (old, old_cpu), (new, new_cpu) = best["old"], best["new"]
        print(
            f"{df:3s} {args.mapper:10s} threads={args.threads}: "
            f"old {old / 1e3:,.1f} k/s  new {new / 1e3:,.1f} k/s  ratio {new / old:.2f}"
            f" | per CPU-second: old {old_cpu / 1e3:,.1f} k  new {new_cpu / 1e3:,.1f} k"
            f"  ratio {new_cpu / old_cpu:.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
