"""Throughput measurement of the batch API (``tldse bench`` and benchmarks/)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tldse import _core
from tldse.arch import DATAFLOWS, Accelerator, energy_table
from tldse.workloads.zoo import resnet50


def random_configs(n: int, dataflow: str, seed: int = 0) -> npt.NDArray[np.float64]:
    """``n`` random but buildable designs of one dataflow (fixed seed)."""
    if dataflow not in DATAFLOWS:
        raise ValueError(f"dataflow must be one of {', '.join(DATAFLOWS)}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    rng = np.random.default_rng(seed)
    base = Accelerator(dataflow=dataflow).row()
    t = np.repeat(base[None, :], n, axis=0)
    cols = {name: i for i, name in enumerate(_core.config_columns)}
    t[:, cols["pe_rows"]] = 2 ** rng.integers(2, 8, n)
    t[:, cols["pe_cols"]] = 2 ** rng.integers(2, 8, n)
    t[:, cols["rf_bytes"]] = 2 ** rng.integers(4, 10, n)
    t[:, cols["glb_bytes"]] = 2 ** rng.integers(14, 23, n)
    t[:, cols["dram_bw_bytes_per_cycle"]] = 2 ** rng.integers(2, 8, n)
    t[:, cols["glb_bw_bytes_per_cycle"]] = 2 ** rng.integers(6, 11, n)
    t[:, cols["weight_bits"]] = rng.choice([8, 16], n)
    t[:, cols["act_bits"]] = rng.choice([8, 16], n)
    return t


def bench_layers() -> npt.NDArray[np.int64]:
    """ResNet-50's conv layers (224x224, batch 1): the fixed bench layer set."""
    wl = resnet50()
    return np.array(
        [layer.row() for layer in wl.layers if layer.kind == "conv"], dtype=np.int64
    )


@dataclass
class BenchResult:
    dataflow: str
    configs: int
    layers: int
    threads: int
    seconds: float

    @property
    def evaluations(self) -> int:
        return self.configs * self.layers

    @property
    def evaluations_per_second(self) -> float:
        return self.evaluations / self.seconds


def run_bench(
    dataflow: str,
    n_configs: int = 10_000,
    threads: int = 0,
    repeat: int = 3,
    mapper: str = "heuristic",
) -> BenchResult:
    """Best of ``repeat`` timed ``evaluate`` calls (tiling cache warmed first)."""
    configs = random_configs(n_configs, dataflow)
    layers = bench_layers().astype(np.float64)
    table = energy_table()
    # warm the tiling cache
    _core.evaluate(configs[:1], layers, table, threads, False, "edp", mapper)
    best = float("inf")
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        _core.evaluate(configs, layers, table, threads, False, "edp", mapper)
        best = min(best, time.perf_counter() - t0)
    used = threads or int(_core.default_threads())
    return BenchResult(dataflow, n_configs, len(layers), used, best)


@dataclass
class MapperDistance:
    """Heuristic / exhaustive objective ratio over (design, layer) pairs."""

    objective: str
    pairs: int
    mean: float
    median: float
    p90: float
    p99: float
    worst: float
    equal_fraction: float
    heuristic_rate: float  # evaluations per second
    exhaustive_rate: float


def _objective(d: dict[str, npt.NDArray[Any]], objective: str) -> npt.NDArray[Any]:
    if objective == "latency":
        return d["latency_cycles"]
    if objective == "energy":
        return d["energy_pj"]
    return np.asarray(d["latency_cycles"] * d["energy_pj"])


def compare_mappers(
    n_configs: int = 200, seed: int = 0, threads: int = 0
) -> list[MapperDistance]:
    """Measures how far the rs heuristic mapper is from the exhaustive one.

    Random ``rs`` designs (:func:`random_configs`) x ResNet-50's conv layers, for each
    objective; ratios > 1 mean the heuristic's mapping is worse.
    """
    configs = random_configs(n_configs, "rs", seed=seed)
    layers = bench_layers().astype(np.float64)
    table = energy_table()
    out = []
    for objective in ("latency", "energy", "edp"):
        t0 = time.perf_counter()
        h = _core.evaluate(
            configs, layers, table, threads, False, objective, "heuristic"
        )
        th = time.perf_counter() - t0
        t0 = time.perf_counter()
        e = _core.evaluate(
            configs, layers, table, threads, False, objective, "exhaustive"
        )
        te = time.perf_counter() - t0
        ok = (h["status"] == 0) & (e["status"] == 0)
        ratio = _objective(h, objective)[ok] / _objective(e, objective)[ok]
        n = configs.shape[0] * layers.shape[0]
        out.append(
            MapperDistance(
                objective,
                int(ok.sum()),
                float(ratio.mean()),
                float(np.median(ratio)),
                float(np.percentile(ratio, 90)),
                float(np.percentile(ratio, 99)),
                float(ratio.max()),
                float(np.mean(ratio <= 1 + 1e-12)),
                n / th,
                n / te,
            )
        )
    return out
