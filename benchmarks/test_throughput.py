"""Throughput of the batch API (issue: simulator core, 'Speed').

Run: ``pytest benchmarks/ --benchmark-enable`` (CI runs them once with
--benchmark-disable as a smoke test). The figure that matters is
evaluations per second = 10,000 configs x 53 ResNet-50 conv layers / mean time,
printed in ``extra_info``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tldse import _core
from tldse.arch import energy_table
from tldse.bench import bench_layers, random_configs

N_CONFIGS = 10_000


@pytest.mark.parametrize("dataflow", ["ws", "os", "is"])
def test_evaluate_resnet50_convs(benchmark: Any, dataflow: str) -> None:
    configs = random_configs(N_CONFIGS, dataflow)
    layers = bench_layers().astype(np.float64)
    table = energy_table()
    _core.evaluate(configs[:1], layers, table, 0, False)  # warm the tiling cache
    out = benchmark(_core.evaluate, configs, layers, table, 0, False)
    assert out["latency_cycles"].shape == (N_CONFIGS, len(layers))
    assert (out["status"] == 0).mean() > 0.5
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        mean = stats.stats.mean
        benchmark.extra_info["evaluations_per_second"] = N_CONFIGS * len(layers) / mean


def test_evaluate_per_network(benchmark: Any) -> None:
    configs = random_configs(N_CONFIGS, "ws", seed=1)
    layers = bench_layers().astype(np.float64)
    table = energy_table()
    out = benchmark(_core.evaluate, configs, layers, table, 0, True)
    assert out["latency_cycles"].shape == (N_CONFIGS,)


@pytest.mark.parametrize(("mapper", "n"), [("heuristic", 2_000), ("exhaustive", 20)])
def test_evaluate_rs(benchmark: Any, mapper: str, n: int) -> None:
    """Row stationary with the heuristic (issue target >= 250,000/s) and exhaustive
    mapper over ResNet-50's conv layers."""
    configs = random_configs(n, "rs")
    layers = bench_layers().astype(np.float64)
    table = energy_table()
    _core.evaluate(configs[:1], layers, table, 0, False, "edp", mapper)
    out = benchmark(_core.evaluate, configs, layers, table, 0, False, "edp", mapper)
    assert (out["status"] == 0).mean() > 0.5
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        benchmark.extra_info["evaluations_per_second"] = (
            n * len(layers) / stats.stats.mean
        )
