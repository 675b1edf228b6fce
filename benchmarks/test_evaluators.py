"""Per-layer time of tldse's model vs SCALE-Sim vs ZigZag, measured in one run.

Each peer benchmark times the peer on a set of layers (its processes' CPU seconds,
start-up included, from the kernel) and tldse's model on the same design and
layers in the same run, and records both and their ratio in ``extra_info``. The
peers run from their own venvs (``TLDSE_SCALESIM_PYTHON`` / ``TLDSE_ZIGZAG_PYTHON``,
else /tmp/venv-scalesim and /tmp/venv-zigzag) and are skipped when missing.

By default (and in CI) the layers are three small ones on an 8x8 array (seconds).
The figures in docs/evaluators.md are::

    TLDSE_BENCH_PEERS=resnet18 python -m pytest benchmarks/test_evaluators.py \\
        --benchmark-enable -s

(ResNet-18's distinct conv layers on a 32x32 ws array: minutes of SCALE-Sim.)
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

import tldse
from tldse import Accelerator, Layer, Workload
from tldse.evaluators import (
    Evaluator,
    ScaleSimEvaluator,
    ZigZagEvaluator,
    evaluate_designs,
)

FULL = os.environ.get("TLDSE_BENCH_PEERS", "") == "resnet18"


def bench_case() -> tuple[Accelerator, Workload]:
    if FULL:
        acc = Accelerator(
            dataflow="ws", pe_rows=32, pe_cols=32, glb_bytes=196608,
            dram_bw_bytes_per_cycle=10,
        )  # fmt: skip
        wl = tldse.workloads.get("resnet18")
        convs = [x for x in tldse.workloads.fold(wl)[0] if x.kind == "conv"]
        return acc, Workload("resnet18-convs", convs)
    acc = Accelerator(dataflow="ws", pe_rows=8, pe_cols=8, glb_bytes=3 * 16384)
    layers = [
        Layer.conv("a", c=8, k=16, h=16, r=3),
        Layer.conv("b", c=16, k=16, h=8, r=3, pad=1),
        Layer.gemm("g", 64, 32, 48),
    ]
    return acc, Workload("small", layers)


def tldse_seconds_per_layer(acc: Accelerator, wl: Workload) -> float:
    """CPU seconds per layer evaluation of tldse's model, one thread."""
    reps, cpu = 0, 0.0
    while cpu < 0.2:
        c0 = time.process_time()
        tldse.evaluate([acc], wl, threads=1)
        cpu += time.process_time() - c0
        reps += 1
    return cpu / (reps * len(wl))


def _python(var: str, venv: str) -> str:
    path = os.environ.get(var) or f"/tmp/{venv}/bin/python"
    if not Path(path).exists():
        pytest.skip(f"no {venv} (set {var})")
    return path


def _peer(benchmark: Any, evaluator: Evaluator, label: str) -> None:
    acc, wl = bench_case()
    timing: dict[str, Any] = {}

    def run() -> None:
        batch = evaluate_designs(evaluator, [acc], wl, timeout_s=3600)
        timing["batch"] = batch

    benchmark.pedantic(run, rounds=1, iterations=1)
    batch = timing["batch"]
    assert batch.ok.all(), batch.message
    peer = batch.stats.evaluator_cpu_s / len(batch.layers)
    ours = tldse_seconds_per_layer(acc, batch.layers)
    benchmark.extra_info.update(
        layers=len(batch.layers),
        peer_cpu_s_per_layer=peer,
        peer_wall_s_per_layer=batch.stats.evaluator_wall_s / len(batch.layers),
        tldse_cpu_s_per_layer=ours,
        ratio=peer / ours,
    )
    print(
        f"\n{label} on {wl.name} ({len(batch.layers)} layers): "
        f"{peer:.3g} CPU-s per layer; tldse {ours * 1e6:.3g} us per layer: "
        f"{peer / ours:,.0f}x"
    )


def test_tldse_per_layer(benchmark: Any) -> None:
    acc, wl = bench_case()
    seconds = benchmark.pedantic(
        tldse_seconds_per_layer, args=(acc, wl), rounds=1, iterations=1
    )
    benchmark.extra_info["cpu_s_per_layer"] = seconds
    assert seconds < 1e-3


def test_scalesim_per_layer(benchmark: Any) -> None:
    python = _python("TLDSE_SCALESIM_PYTHON", "venv-scalesim")
    _peer(benchmark, ScaleSimEvaluator(python=python), "SCALE-Sim")


def test_zigzag_per_layer(benchmark: Any) -> None:
    python = _python("TLDSE_ZIGZAG_PYTHON", "venv-zigzag")
    _peer(benchmark, ZigZagEvaluator(python=python), "ZigZag")


def test_analytical_evaluator_overhead(benchmark: Any) -> None:
    """The analytical evaluator through evaluate_designs vs tldse.evaluate on the
    same 40,000 designs x ResNet-18's distinct layers, alternated in one run:
    reaching the cheap model through the interface must cost little."""
    import numpy as np

    from tldse import DesignSpace
    from tldse.evaluators import AnalyticalEvaluator

    space = DesignSpace.builtin("edge")
    table = space.configs(np.arange(40_000))
    wl = tldse.workloads.get("resnet18")
    folded, _ = tldse.workloads.fold(wl)
    ev = AnalyticalEvaluator(threads=1)
    direct, wrapped = [], []

    def run() -> None:
        for _ in range(3):
            t0 = time.perf_counter()
            tldse.evaluate(table, folded, threads=1)
            direct.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            evaluate_designs(ev, table, wl)
            wrapped.append(time.perf_counter() - t0)

    benchmark.pedantic(run, rounds=1, iterations=1)
    ratio = min(wrapped) / min(direct)
    benchmark.extra_info.update(
        direct_s=min(direct), evaluate_designs_s=min(wrapped), ratio=ratio
    )
    print(f"\nanalytical: evaluate_designs / tldse.evaluate = {ratio:.2f}")
    assert ratio < 3
