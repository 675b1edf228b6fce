"""Transfer: freezing, fine-tuning, the CLI commands and a tiny experiment."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tldse.cli.learn import register
from tldse.experiments.transfer import (
    experiment_config,
    merge,
    replot,
    run_experiment,
)
from tldse.learn import Surrogate, SurrogateError, TrainConfig, fit
from tldse.learn.dataset import DatasetSpec, Fidelity, generate, load
from tldse.learn.transfer import fine_tune, finetune_config, freeze, score

pytestmark = pytest.mark.slow  # torch training, Dask or experiments

TARGETS = ("latency", "energy")


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("transfer")
    src = DatasetSpec(
        space="tiny",
        workloads=("alexnet",),
        n_configs=40,
        dataflows=("ws", "os"),
        seed=1,
    )
    tgt = DatasetSpec(
        space="tiny",
        workloads=("alexnet",),
        n_configs=20,
        dataflows=("ws", "os"),
        fidelity=Fidelity(energy_overrides={"dram_pj": 400.0}, dram_bw_scale=0.5),
        seed=2,
    )
    src_ds = load(generate(src, root / "src"))
    tgt_ds = load(generate(tgt, root / "tgt"))
    x, y = src_ds.arrays(TARGETS)
    pre = Surrogate.create(
        src_ds.feature_names, TARGETS, hidden=(32, 32, 32), head_hidden=(16,)
    )
    fit(pre, x, y, TrainConfig(epochs=15, batch_size=128, threads=1))
    return {"root": root, "pre": pre, "tgt": tgt_ds, "src": src_ds}


def _state(model: Surrogate) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.net.state_dict().items()}


@pytest.mark.parametrize(
    ("strategy", "frozen_blocks"), [("head", 3), ("last-k", 2), ("full", 0)]
)
def test_freezing_really_freezes(
    setup: dict[str, object], strategy: str, frozen_blocks: int
) -> None:
    pre = setup["pre"]
    assert isinstance(pre, Surrogate)
    tgt = setup["tgt"]
    x, y = tgt.arrays(TARGETS)  # type: ignore[attr-defined]
    before = _state(pre)
    cfg = finetune_config(strategy, epochs=5, patience=5, threads=1)
    model, _ = fine_tune(pre, x[:50], y[:50], strategy, k=1, config=cfg)
    after = model.net.state_dict()
    for name, v in before.items():
        block = int(name.split(".")[1]) if name.startswith("trunk.") else None
        if block is not None and block < frozen_blocks:
            assert torch.equal(after[name], v), f"{name} changed"
        elif name != "log_vars":
            assert not torch.equal(after[name], v), f"{name} did not train"
    # the pretrained model itself is untouched
    for name, v in pre.net.state_dict().items():
        assert torch.equal(v, before[name])
    assert model.metadata["transfer"]["strategy"] == strategy
    assert model.normalizer is not None and pre.normalizer is not None
    np.testing.assert_array_equal(model.normalizer.x_mean, pre.normalizer.x_mean)
    assert all(p.requires_grad for p in model.net.parameters())


def test_freeze_errors(setup: dict[str, object]) -> None:
    pre = setup["pre"]
    assert isinstance(pre, Surrogate)
    with pytest.raises(SurrogateError, match="strategy"):
        freeze(pre.copy(), "bottom")
    with pytest.raises(SurrogateError, match="k must be"):
        freeze(pre.copy(), "last-k", k=4)
    fresh = Surrogate.create(pre.feature_names, TARGETS, hidden=(8,))
    with pytest.raises(SurrogateError, match="trained"):
        fine_tune(fresh, np.zeros((4, len(pre.feature_names))), np.zeros((4, 2)))


def test_fine_tuning_helps(setup: dict[str, object]) -> None:
    pre = setup["pre"]
    assert isinstance(pre, Surrogate)
    tgt = setup["tgt"]
    train, test = tgt.split_designs((0.5, 0.5), seed=0)  # type: ignore[attr-defined]
    x, y = train.arrays(TARGETS)
    cfg = finetune_config("full", epochs=60, patience=60, lr=2e-3, threads=1)
    model, _ = fine_tune(pre, x, y, "full", config=cfg)
    before, after = score(pre, test), score(model, test)
    assert after["mape_energy"] < before["mape_energy"]
    assert {"tau_latency", "top10_latency", "layer_tau_energy"} <= set(after)


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tldse")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_dataset_train_transfer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--space", "tiny", "--workloads", "alexnet", "--no-progress"]
    assert _cli(["dataset", str(tmp_path / "src"), "--configs", "30", *common]) == 0
    assert _cli(
        ["dataset", str(tmp_path / "tgt"), "--configs", "20", "--energy-set",
         "dram_pj=400", "--dram-bw-scale", "0.5", *common]
    ) == 0  # fmt: skip
    assert load(tmp_path / "tgt").manifest["spec"]["fidelity"]["dram_bw_scale"] == 0.5
    train = ["train", str(tmp_path / "src"), "--out", str(tmp_path / "m"),
             "--hidden", "16,16", "--head-hidden", "8", "--epochs", "3",
             "--no-progress", "--threads", "1"]  # fmt: skip
    assert _cli(train) == 0
    assert (tmp_path / "m" / "model.pt").is_file()
    assert _cli([*train[:3], str(tmp_path / "st"), *train[4:], "--single-task"]) == 0
    assert (tmp_path / "st" / "energy" / "model.json").is_file()
    assert _cli(
        ["transfer", "--model", str(tmp_path / "m"), "--data", str(tmp_path / "tgt"),
         "--out", str(tmp_path / "ft"), "--n", "40", "--strategy", "head",
         "--epochs", "3", "--no-progress", "--threads", "1"]
    ) == 0  # fmt: skip
    meta = json.loads((tmp_path / "ft" / "model.json").read_text())
    assert meta["metadata"]["transfer"]["strategy"] == "head"
    out = capsys.readouterr().out
    assert "mape_latency" in out and "fine-tuned (head)" in out
    with pytest.raises(ValueError, match="--n"):
        _cli(
            ["transfer", "--model", str(tmp_path / "m"), "--data",
             str(tmp_path / "tgt"), "--out", str(tmp_path / "x"), "--n", "99999"]
        )  # fmt: skip


def test_cli_choices_match_the_library() -> None:
    import subprocess
    import sys

    from tldse.cli import experiment as cli_experiment
    from tldse.cli import learn as cli_learn
    from tldse.experiments import fidelity
    from tldse.experiments import transfer as experiment
    from tldse.learn import pretrain, train, transfer

    assert cli_learn.STRATEGIES == transfer.STRATEGIES
    assert cli_experiment._STRATEGIES == transfer.STRATEGIES
    assert cli_experiment._TARGET_KINDS == experiment.TARGET_KINDS
    assert set(cli_experiment._TRANSFER_SIZES) == set(experiment.sizes())
    assert cli_learn.LOSSES == train.LOSSES
    assert cli_learn.SCHEDULES == train.SCHEDULES
    assert cli_learn.WEIGHTINGS == train.WEIGHTINGS
    assert set(cli_learn.PRETRAIN_SIZES) <= set(pretrain.PRETRAIN_SIZES)
    assert set(cli_experiment._PEERS) == set(fidelity.PEERS)
    # building the parser does not import torch
    code = (
        "import sys; from tldse.cli import build_parser; build_parser(); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_tiny_experiment(tmp_path: Path) -> None:
    """The experiment end to end at a smoke-test size."""
    cfg = experiment_config("tiny", ns=(50,), threads=1)
    res = run_experiment(cfg, tmp_path, progress=False)
    for name in ("results.json", "results.md", "error_vs_n.png", "time_vs_n.png",
                 "parity.png"):  # fmt: skip
        assert (tmp_path / name).is_file(), name
    data = json.loads((tmp_path / "results.json").read_text())
    methods = {(r["kind"], r["method"]) for r in data["runs"]}
    for kind in ("workload", "dataflow", "fidelity", "outside"):
        for method in ("transfer", "scratch-mt", "mlp", "zero-shot", "fidelity"):
            assert (kind, method) in methods
        assert (kind, "fidelity-zero-shot") in methods
    fid = next(r for r in data["runs"] if r["method"] == "fidelity")
    assert fid["chosen"] in fid["cv"] and fid["metrics"]["mape_latency"] > 0
    run = next(r for r in data["runs"] if r["method"] == "transfer")
    assert set(run["strategies"]) == {"head", "last-k", "full"}
    assert run["seconds"] > 0 and run["epochs"] >= 1
    assert "mape_latency" in run["metrics"] and "tau_energy" in run["metrics"]
    assert data["pretrain"][0]["in_distribution"]["mape_latency"] > 0
    assert "transfer_at_n" in res["targets_check"]
    md = (tmp_path / "results.md").read_text()
    assert "| new fidelity | 50 |" in md
    assert "## Multi-fidelity transfer" in md and "K = " in md
    (tmp_path / "parity.png").unlink()
    assert "parity.png" in replot(tmp_path)
    assert (tmp_path / "parity.png").is_file()
    merged = merge([tmp_path, tmp_path], tmp_path / "merged")
    assert len(merged["runs"]) == len(data["runs"])
    assert (tmp_path / "merged" / "results.md").is_file()
    # data is cached: a second run reuses the shards
    shard = next((tmp_path / "data" / "source").glob("shard-*.parquet"))
    mtime = shard.stat().st_mtime_ns
    run_experiment(cfg, tmp_path, progress=False, plots=False)
    assert shard.stat().st_mtime_ns == mtime


def test_convnext_style_is_the_published_layout() -> None:
    from tldse.experiments.transfer import convnext_style

    wl = convnext_style()
    # stem + 3 downsamplings + (3 + 3 + 9 + 3) blocks x 3 layers + classifier
    assert len(wl.layers) == 1 + 3 + 18 * 3 + 1
    dw = [la for la in wl.layers if la.name.endswith(".dw")]
    assert len(dw) == 18
    assert all(la.groups == la.c == la.k and la.r == 7 for la in dw)
    # the last stage runs at 7 x 7 with 768 channels
    last = wl.layers[-2]
    assert (last.name, last.k, last.p, last.q) == ("s3b2.pw2", 768, 7, 7)
