"""The search experiment's measurements (hypervolume curves, simulations to
reach a level, the NSGA-II ratio), its resume, and pretraining for transfer."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from tldse.experiments.search import (
    _hv,
    _match_nsga2,
    first_reaching,
    hv_curve,
    run_experiment,
)
from tldse.exploration.problem import Problem, SearchError
from tldse.exploration.surrogate import PrunedConfig, pretrain
from tldse.search.pareto import pareto_mask

pytestmark = pytest.mark.slow  # torch training, Dask or experiments


def test_hv_of_a_hand_computed_front() -> None:
    # normalised box [1, e] -> [0, 1] in log space; reference 1.1
    lo, hi = np.zeros(2), np.ones(2)
    one = np.array([[1.0, 1.0]])  # the ideal point: (1.1)^2
    assert _hv(one, lo, hi) == pytest.approx(1.21)
    # two corners: 2 * 1.1 * 0.1 - 0.01 (the overlap)
    two = np.exp(np.array([[0.0, 1.0], [1.0, 0.0]]))
    assert _hv(two, lo, hi) == pytest.approx(0.21)
    outside = np.exp(np.array([[1.2, 0.0]]))  # beyond the reference: no volume
    assert _hv(outside, lo, hi) == 0.0


def test_hv_curve_matches_recomputing_each_prefix() -> None:
    rng = np.random.default_rng(7)
    vals = np.exp(rng.uniform(0, 1, size=(300, 3)))
    ok = rng.uniform(size=300) > 0.2
    tf = vals[ok][pareto_mask(vals[ok])]
    lo, hi = np.log(tf).min(axis=0), np.log(tf).max(axis=0)
    grid = [1, 7, 50, 51, 180, 300]
    got = hv_curve(vals, ok, grid, lo, hi)
    want = [_hv(vals[:k][ok[:k]], lo, hi) for k in grid]
    assert got == pytest.approx(want, rel=1e-12)
    assert all(b >= a for a, b in itertools.pairwise(got))  # never drops
    assert got[-1] == pytest.approx(_hv(tf, lo, hi))


def test_first_reaching() -> None:
    curve = [[10, 20, 30], [0.5, 0.9, 0.99]]
    assert first_reaching(curve, 0.9) == 20
    assert first_reaching(curve, 0.91) == 30
    assert first_reaching(curve, 0.1) == 10
    assert first_reaching(curve, 0.995) is None


def _run(method: str, grid: list[list[float]], seed: int = 0) -> dict[str, object]:
    return {
        "workload": "w",
        "seed": seed,
        "scenario": "front",
        "method": method,
        "hv_grid": grid,
    }


def test_nsga2_ratio_by_hand() -> None:
    runs = [
        _run("surrogate", [[10, 20, 30], [0.5, 0.9, 0.99]]),
        _run("nsga2-long", [[40, 80, 120, 160], [0.5, 0.95, 0.99, 1.0]]),
        # a second seed where NSGA-II never reaches the surrogate's final HV
        _run("surrogate", [[10, 20], [0.96, 0.999]], seed=1),
        _run("nsga2-long", [[40, 80], [0.9, 0.97]], seed=1),
    ]
    rows = {r["hv_level"]: r for r in _match_nsga2(runs, (0.95, 0.99))}
    # seed 0: final 0.99 -> 120 / 30 = 4; seed 1: never -> inf; median of the two
    assert rows["final"]["median_ratio"] == math.inf
    assert rows["final"]["nsga2_never_matched"] == 1
    # 0.95: seed 0 80 / 30, seed 1 80 / 10 -> median (2.667 + 8) / 2
    assert rows[0.95]["median_ratio"] == pytest.approx((80 / 30 + 8) / 2)
    # 0.99: seed 0 4.0, seed 1 inf
    assert rows[0.99]["runs_reaching"] == 2
    only_seed0 = _match_nsga2(runs[:2], (0.95,))
    assert only_seed0[0]["median_ratio"] == pytest.approx(4.0)
    assert only_seed0[1]["median_ratio"] == pytest.approx(80 / 30)


def test_experiment_resumes_without_rerunning(tmp_path) -> None:
    kw = {"seeds": [0], "workloads": ["alexnet"], "plots": False}
    first = run_experiment("tiny", tmp_path, methods=["random"], **kw)
    lines = (tmp_path / "runs.jsonl").read_text().splitlines()
    assert len(lines) == 3  # three scenarios
    # a torn last line (a kill mid-write) is dropped
    with (tmp_path / "runs.jsonl").open("a") as f:
        f.write('{"workload": "alexnet", "scen')
    second = run_experiment("tiny", tmp_path, methods=["random", "surrogate"], **kw)
    by_key = {(r["scenario"], r["method"]): r for r in second["runs"]}
    for r in first["runs"]:
        # the finished run was read back, not run again (wall time identical)
        assert by_key[(r["scenario"], "random")]["seconds"] == r["seconds"]
    assert {m for _, m in by_key} == {"random", "surrogate"}
    assert len(second["runs"]) == 6


def test_experiment_refuses_another_experiments_runs(tmp_path) -> None:
    (tmp_path / "runs.jsonl").write_text(
        json.dumps({"budget": 1, "space": "edge", "workload": "a"}) + "\n"
    )
    with pytest.raises(SearchError, match="another experiment"):
        run_experiment("tiny", tmp_path, seeds=[0], workloads=["alexnet"])


def test_experiment_rejects_unknown_methods(tmp_path) -> None:
    valid = "valid: surrogate, surrogate-network, surrogate-transfer"
    with pytest.raises(SearchError, match=valid):
        run_experiment("tiny", tmp_path, methods=["annealing"])


def test_transfer_runs_record_their_pretraining(tmp_path) -> None:
    data = run_experiment(
        "tiny",
        tmp_path,
        seeds=[0],
        workloads=["alexnet"],
        methods=["surrogate-transfer"],
        plots=False,
    )
    for r in data["runs"]:
        assert r["pretrain_sources"] == ["resnet18"]  # the size's other workload
        assert 0 < r["pretrain_simulations"] <= 100
        assert r["simulations"] <= data["budget"]


@pytest.mark.parametrize("per_layer", [True, False])
def test_pretrain_predicts_its_sources(per_layer: bool) -> None:
    from tldse.exploration.surrogate import _predict_network
    from tldse.search.metrics import METRIC_INDEX as MI

    src = Problem.create("tiny", ["resnet18", "vgg16"])
    cfg = PrunedConfig(epochs=150, hidden=(32, 32))
    model, sims = pretrain(src, 150, seed=0, config=cfg, per_layer=per_layer)
    n_designs = sims // 2
    assert sims == 2 * n_designs and 100 <= n_designs <= 150
    # every design of the space (mostly unseen), network totals from the
    # simulator's per-network path vs the model's (per-layer: count-weighted
    # sums of predicted layers)
    idx = np.arange(len(src.space))
    configs = src.space.configs(idx)
    for wl, m in zip(src.folded, src.simulate_parts(idx), strict=True):
        ok = ~np.isnan(m).any(axis=1)
        pred = _predict_network(configs[ok], wl, model, per_layer)
        truth = np.stack(
            [m[ok, MI["latency_cycles"]], m[ok, MI["energy_uj"]] * 1e6], axis=1
        )
        mape = np.mean(np.abs(pred / truth - 1), axis=0)
        assert (mape < 0.12).all(), (wl.name, mape)  # measured 3-9%
    with pytest.raises(SearchError, match="designs"):
        pretrain(src, 1)


def test_granularity_choice() -> None:
    from tldse.exploration.surrogate import _per_layer

    p = Problem.create("tiny", ["resnet18", "vgg16"])
    n, f = len(p.space), p.folded
    rows = n * (12 + 12)  # designs x distinct layer shapes
    assert _per_layer(PrunedConfig(), None, n, f)
    assert not _per_layer(PrunedConfig(auto_layer_rows=rows - 1), None, n, f)
    assert _per_layer(PrunedConfig(auto_layer_rows=rows), None, n, f)
    assert not _per_layer(PrunedConfig(granularity="network"), None, n, f)
    with pytest.raises(SearchError, match="auto, layer, network"):
        _per_layer(PrunedConfig(granularity="pairs"), None, n, f)


def test_per_layer_prediction_of_weighted_workloads() -> None:
    """_predict_all (grid features, chunks, einsum, combine) against a plain loop
    over designs and layers with pair_features."""
    from tldse.exploration.surrogate import _predict_all
    from tldse.learn.features import pair_features
    from tldse.search.metrics import METRIC_INDEX as MI
    from tldse.search.results import design_areas_um2

    p = Problem.create("tiny", ["alexnet", "resnet18"], weights=[1.0, 2.0])
    model, _ = pretrain(p, 40, seed=1, config=PrunedConfig(epochs=5))
    area = design_areas_um2(p.space, p.energy)
    pred, raw = _predict_all(p, p.folded, model, area, 100, True)  # small chunks
    idx = np.array([0, 7, 123, len(p.space) - 1])
    configs = p.space.configs(idx)
    want_lat = np.zeros(len(idx))
    want_en = np.zeros(len(idx))
    for w, wl in zip(p.weights, p.folded, strict=True):
        lay = wl.table()
        for j, cfg in enumerate(configs):
            y = np.exp(model.predict(pair_features(cfg, lay))[:, :2])
            want_lat[j] += w * (y[:, 0] * lay[:, -1]).sum()
            want_en[j] += w * (y[:, 1] * lay[:, -1]).sum()
    np.testing.assert_allclose(pred[idx, MI["latency_cycles"]], want_lat, rtol=1e-9)
    np.testing.assert_allclose(pred[idx, MI["energy_uj"]] * 1e6, want_en, rtol=1e-9)
    np.testing.assert_allclose(pred[idx, MI["area_mm2"]], area[idx] * 1e-6)
    assert raw.shape == (len(p.space), 4)


def test_finetune_batches_grow_with_the_data() -> None:
    from tldse.exploration.surrogate import _train_config

    cfg = PrunedConfig()  # batch 512, at most 8 fine-tuning steps per epoch
    assert _train_config(cfg, True, 0, rows=100_000).batch_size == 512
    assert _train_config(cfg, False, 0, rows=1_000).batch_size == 512
    assert _train_config(cfg, False, 0, rows=100_000).batch_size == 12_500
    off = PrunedConfig(finetune_steps=0)
    assert _train_config(off, False, 0, rows=100_000).batch_size == 512
