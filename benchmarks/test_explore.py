"""Speed of the per-layer surrogate's hot paths in ``tldse explore``.

Run: ``pytest benchmarks/test_explore.py --benchmark-enable`` (CI runs it once with
--benchmark-disable as a smoke test).

* features of every (design, layer) pair of 2,048 edge designs x MobileNetV2's 31
  layer shapes (63,488 rows, one prediction chunk): ``pair_features_grid`` against
  ``pair_features`` of the repeated / tiled tables (the same numbers, checked);
* one prediction of a whole space by the per-layer surrogate (``_predict_all``:
  features, torch inference, count-weighted sums) on the 576-design ``tiny`` space
  x ResNet-18's 12 layer shapes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tldse.learn.features import pair_features, pair_features_grid
from tldse.space import DesignSpace
from tldse.workloads import get
from tldse.workloads.fold import fold


@pytest.fixture(scope="module")
def grid() -> tuple[np.ndarray, np.ndarray]:
    space = DesignSpace.builtin("edge")
    configs = space.configs(space.sample(2048, "random", 0))
    layers = fold(get("mobilenet_v2"))[0].table()
    return configs, layers


def _rows_per_second(benchmark: Any, rows: int) -> None:
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        benchmark.extra_info["rows_per_second"] = rows / stats.stats.mean


def test_pair_features_repeated_tables(benchmark: Any, grid: Any) -> None:
    configs, layers = grid
    k, m = len(configs), len(layers)
    out = benchmark(
        lambda: pair_features(np.repeat(configs, m, axis=0), np.tile(layers, (k, 1)))
    )
    assert out.shape[0] == k * m
    _rows_per_second(benchmark, k * m)


def test_pair_features_grid(benchmark: Any, grid: Any) -> None:
    configs, layers = grid
    k, m = len(configs), len(layers)
    out = benchmark(pair_features_grid, configs, layers)
    want = pair_features(np.repeat(configs, m, axis=0), np.tile(layers, (k, 1)))
    np.testing.assert_array_equal(out, want)
    _rows_per_second(benchmark, k * m)


def test_predict_space_per_layer(benchmark: Any) -> None:
    from tldse.exploration.problem import Problem
    from tldse.exploration.surrogate import (
        PrunedConfig,
        TrainingSet,
        _new_model,
        _predict_all,
    )
    from tldse.learn import TrainConfig, fit
    from tldse.search.results import design_areas_um2

    problem = Problem.create("tiny", "resnet18")
    folded = problem.folded
    rows = TrainingSet(problem, folded, per_layer=True)
    idx = np.arange(0, len(problem.space), 4, dtype=np.int64)
    rows.add(idx, [])
    model = _new_model(PrunedConfig(), 0, per_layer=True)
    fit(model, *rows.arrays(), TrainConfig(epochs=2, seed=0))
    area = design_areas_um2(problem.space, problem.energy)
    pred, raw = benchmark(_predict_all, problem, folded, model, area, 65536, True)
    assert pred.shape[0] == len(problem.space) and np.isfinite(raw).all()
    _rows_per_second(benchmark, len(problem.space) * len(folded[0].layers))
