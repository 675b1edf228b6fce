"""Where the time of ``evaluate`` goes, one benchmark per part, so that a regression
shows which part slowed down.

* per design: many designs x one small layer (the per-design context: feasibility,
  capacities, access energies, area; the output rows);
* per layer: few designs x ResNet-50's conv layers with a warm tiling cache (the mapper
  and the cost model);
* per layer, rs: the same with the row-stationary mapper;
* tilings: the GLB tiling candidates of new layer shapes (the cache cleared first);
* per network: the reduction of layers to network totals.

Run: ``pytest benchmarks/test_breakdown.py --benchmark-enable``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tldse import _core
from tldse.arch import energy_table
from tldse.bench import bench_layers, random_configs


def _rate(benchmark: Any, pairs: int) -> None:
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        benchmark.extra_info["evaluations_per_second"] = pairs / stats.stats.mean


def test_per_design(benchmark: Any) -> None:
    configs = random_configs(20_000, "ws", seed=3)
    layer = np.array([[0, 1, 8, 8, 4, 4, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1]], np.float64)
    table = energy_table()
    out = benchmark(_core.evaluate, configs, layer, table, 1, False)
    assert out["latency_cycles"].shape == (20_000, 1)
    _rate(benchmark, 20_000)


@pytest.mark.parametrize(("dataflow", "n"), [("ws", 2_000), ("rs", 200)])
def test_per_layer(benchmark: Any, dataflow: str, n: int) -> None:
    configs = random_configs(n, dataflow, seed=4)
    layers = bench_layers().astype(np.float64)
    table = energy_table()
    _core.evaluate(configs[:1], layers, table, 1, False)  # warm the tiling cache
    out = benchmark(_core.evaluate, configs, layers, table, 1, False)
    assert (out["status"] == 0).mean() > 0.5
    _rate(benchmark, n * len(layers))


def test_tilings_of_new_shapes(benchmark: Any) -> None:
    configs = random_configs(1, "ws", seed=5)
    base = bench_layers().astype(np.float64)
    table = energy_table()

    def cold() -> dict[str, Any]:
        _core.clear_tiling_cache()
        return _core.evaluate(configs, base, table, 1, False)

    out = benchmark(cold)
    assert out["latency_cycles"].shape == (1, len(base))
    assert _core.tiling_cache_stats()["entries"] == len({tuple(r) for r in base})


def test_per_network(benchmark: Any) -> None:
    configs = random_configs(2_000, "ws", seed=6)
    layers = bench_layers().astype(np.float64)
    table = energy_table()
    _core.evaluate(configs[:1], layers, table, 1, True)
    out = benchmark(_core.evaluate, configs, layers, table, 1, True)
    assert out["latency_cycles"].shape == (2_000,)
    _rate(benchmark, 2_000 * len(layers))
