"""The multi-task surrogate: training, determinism, save/load, metrics, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tldse.learn import (
    Surrogate,
    SurrogateError,
    TrainConfig,
    fit,
    kendall_tau,
    mape,
    resolve_device,
    top_k_recall,
)
from tldse.learn.dataset import DatasetSpec, generate, load

pytestmark = pytest.mark.slow  # torch training, Dask or experiments

TARGETS = ("latency", "energy")
SMALL = {"hidden": (32, 32), "head_hidden": (16,)}


@pytest.fixture(scope="module")
def arrays(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, np.ndarray]:
    spec = DatasetSpec(
        space="tiny", workloads=("alexnet", "resnet18"), n_configs=40, seed=1
    )
    ds = load(generate(spec, tmp_path_factory.mktemp("data") / "ds"))
    x, y = ds.arrays(TARGETS)
    return x, y


def _model(
    x: np.ndarray, seed: int = 0, targets: tuple[str, ...] = TARGETS
) -> Surrogate:
    names = [f"f{i}" for i in range(x.shape[1])]
    return Surrogate.create(names, targets, seed=seed, **SMALL)  # type: ignore[arg-type]


FAST = TrainConfig(epochs=25, batch_size=256, patience=25, threads=1)


def test_training_lowers_loss(arrays: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = arrays
    model = _model(x)
    r = fit(model, x, y, FAST)
    losses = [h["train_loss"] for h in r.history]
    vals = [h["val_mae"] for h in r.history]
    assert losses[-1] < losses[0]
    assert min(vals) < 0.5 * vals[0]
    assert r.epochs == 25 and r.n_train + r.n_val == len(x)
    pred = model.predict_values(x[:10])
    assert set(pred) == set(TARGETS) and (pred["latency"] > 0).all()


@pytest.mark.parametrize("weighting", ["fixed", "uncertainty"])
def test_loss_weighting(arrays: tuple[np.ndarray, np.ndarray], weighting: str) -> None:
    x, y = arrays
    model = _model(x)
    cfg = TrainConfig(
        epochs=5, batch_size=256, weighting=weighting, weights=(2.0, 1.0), threads=1
    )
    fit(model, x, y, cfg)
    moved = not torch.equal(model.net.log_vars, torch.zeros(2))
    assert moved == (weighting == "uncertainty")


def test_fixed_seed_is_deterministic(arrays: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = arrays
    cfg = TrainConfig(epochs=6, batch_size=128, threads=1, seed=5)
    a, b, c = _model(x, seed=1), _model(x, seed=1), _model(x, seed=2)
    ra, rb = fit(a, x, y, cfg), fit(b, x, y, cfg)
    fit(c, x, y, cfg)
    assert ra.history == rb.history
    pa, pb, pc = a.predict(x), b.predict(x), c.predict(x)
    np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(pa, pc)
    for (ka, va), (kb, vb) in zip(
        a.net.state_dict().items(), b.net.state_dict().items(), strict=True
    ):
        assert ka == kb and torch.equal(va, vb)


def test_save_load_identical(
    tmp_path: Path, arrays: tuple[np.ndarray, np.ndarray]
) -> None:
    x, y = arrays
    model = _model(x)
    fit(model, x, y, TrainConfig(epochs=3, threads=1))
    model.metadata["note"] = "hello"
    model.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["architecture"]["hidden"] == [32, 32]
    assert meta["targets"]["latency"]["transform"] == "log"
    assert len(meta["normalizer"]["x_mean"]) == x.shape[1]
    assert meta["feature_names"] == list(model.feature_names)
    # only tensors inside model.pt: the safe loader reads it
    blob = torch.load(tmp_path / "m" / "model.pt", weights_only=True)
    assert set(blob) == {"state_dict", "meta"}
    back = Surrogate.load(tmp_path / "m")
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    assert back.metadata["note"] == "hello"
    assert back.targets == TARGETS


def test_load_errors(tmp_path: Path, arrays: tuple[np.ndarray, np.ndarray]) -> None:
    with pytest.raises(SurrogateError, match=r"no model\.json"):
        Surrogate.load(tmp_path)
    x, _ = arrays
    m = _model(x)
    m.save(tmp_path / "m")
    other = _model(x, targets=("latency",))
    torch.save({"state_dict": other.net.state_dict()}, tmp_path / "m" / "model.pt")
    with pytest.raises(SurrogateError, match="do not fit"):
        Surrogate.load(tmp_path / "m")


def test_bad_inputs(arrays: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = arrays
    model = _model(x)
    with pytest.raises(SurrogateError, match="empty dataset"):
        fit(model, x[:0], y[:0], FAST)
    with pytest.raises(SurrogateError, match="model expects"):
        fit(model, x[:, :-1], y, FAST)
    with pytest.raises(SurrogateError, match="targets"):
        fit(model, x, y[:, :1], FAST)
    with pytest.raises(SurrogateError, match=r"shape"):
        fit(model, x, y[:-1], FAST)
    y_nan = y.copy()
    y_nan[3, 1] = np.nan
    with pytest.raises(SurrogateError, match="NaN"):
        fit(model, x, y_nan, FAST)
    x_nan = x.copy()
    x_nan[0, 2] = np.inf
    with pytest.raises(SurrogateError, match="column 2"):
        fit(model, x_nan, y, FAST)
    with pytest.raises(SurrogateError, match="not been trained"):
        model.predict(x)
    with pytest.raises(SurrogateError, match="unknown target"):
        Surrogate.create(["a"], ["throughput"])
    with pytest.raises(SurrogateError, match="epochs"):
        fit(model, x, y, TrainConfig(epochs=0))
    with pytest.raises(SurrogateError, match="weighting"):
        fit(model, x, y, TrainConfig(weighting="magic"))


def test_devices() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda")
    if not torch.cuda.is_available():
        with pytest.raises(SurrogateError, match="CUDA"):
            resolve_device("cuda")


def test_metrics() -> None:
    assert mape([100, 200], [110, 180]) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="y_true == 0"):
        mape([0, 1], [1, 1])
    with pytest.raises(ValueError, match="differ"):
        mape([1, 2], [1])
    assert kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert top_k_recall([5, 1, 2, 9], [5, 2, 1, 0], k=2) == pytest.approx(0.5)
    assert top_k_recall([5, 1, 2, 9], [6, 2, 1, 9], k=2) == pytest.approx(1.0)


def test_kendall_tau_hand_computed() -> None:
    # one swapped pair of six: (5 concordant - 1 discordant) / 6
    assert kendall_tau([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(4 / 6)
    # ties on both sides (tau-b): 4 concordant, 0 discordant, one tie in each
    # variable: 4 / sqrt((6 - 1) * (6 - 1))
    assert kendall_tau([1, 1, 2, 3], [1, 2, 2, 3]) == pytest.approx(0.8)
    assert kendall_tau([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert np.isnan(kendall_tau([1.0], [2.0]))
    assert np.isnan(kendall_tau([1, 2, 3], [5, 5, 5]))  # constant: undefined
    with pytest.raises(ValueError, match="finite"):
        kendall_tau([1, 2, np.inf], [1, 2, 3])
