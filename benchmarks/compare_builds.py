"""Before/after throughput of two builds of ``tldse._core``, alternated in one run.

    python benchmarks/compare_builds.py OLD.so NEW.so [--dataflows ws,os,is,rs]
        [--configs 10000] [--threads 1] [--mapper heuristic] [--rounds 3]

Each measurement runs in its own subprocess (two builds of one pybind11 module cannot
share a process); old and new alternate ``--rounds`` times and the best rate of each is
kept, so both see the same machine load. The workload is ``tldse bench``'s: ResNet-50's
conv layers x random designs of one dataflow (``tldse.bench``). Build the old module
from an older commit with cmake (``-DTLDSE_PYTHON=ON``) and pass the two ``.so`` files.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

CHILD = r"""
import importlib.util, sys, time, types
import numpy as np
path, df, mapper = sys.argv[1], sys.argv[2], sys.argv[5]
n, threads = int(sys.argv[3]), int(sys.argv[4])
pkg = types.ModuleType("_under_test")
pkg.__path__ = []
sys.modules["_under_test"] = pkg
spec = importlib.util.spec_from_file_location("_under_test._core", path)
core = importlib.util.module_from_spec(spec)
spec.loader.exec_module(core)
sys.modules["tldse._core"] = core  # tldse.bench builds its tables with this build
from tldse.bench import bench_layers, random_configs
layers = bench_layers().astype(np.float64)
configs = random_configs(n, df)
table = core.EnergyTable("horowitz45")
core.evaluate(configs[:1], layers, table, threads, False, "edp", mapper)  # warm up
best = float("inf")
for _ in range(3):
    t0 = time.perf_counter()
    core.evaluate(configs, layers, table, threads, False, "edp", mapper)
    best = min(best, time.perf_counter() - t0)
print(n * len(layers) / best)
"""


def rate(so: str, dataflow: str, n: int, threads: int, mapper: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, so, dataflow, str(n), str(threads), mapper],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--dataflows", default="ws,os,is,rs")
    ap.add_argument("--configs", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--mapper", default="heuristic")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    for df in args.dataflows.split(","):
        best = {"old": 0.0, "new": 0.0}
        for _ in range(args.rounds):
            for name in ("old", "new"):
                so = getattr(args, name)
                r = rate(so, df, args.configs, args.threads, args.mapper)
                best[name] = max(best[name], r)
        print(
            f"{df:3s} {args.mapper:10s} threads={args.threads}: "
            f"old {best['old'] / 1e6:.3f} M/s  new {best['new'] / 1e6:.3f} M/s  "
            f"ratio {best['new'] / best['old']:.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
