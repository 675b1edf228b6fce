"""Datasets: feature encoding, generation, resume, per-network rows, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import tldse
from tldse.learn import dataset as data
from tldse.learn.dataset import DatasetSpec, Fidelity, generate, load
from tldse.learn.features import (
    CONFIG_FEATURES,
    LAYER_FEATURES,
    PAIR_FEATURES,
    DatasetError,
    config_features,
    configs_from_features,
    layer_features,
    layers_from_features,
    pair_features,
    pair_features_grid,
)
from tldse.space import DesignSpace

SPEC = DatasetSpec(
    space="tiny", workloads=("alexnet",), n_configs=12, shard_size=4, seed=3
)


def test_config_features_round_trip() -> None:
    space = DesignSpace.builtin("edge")
    cfg = space.configs(space.sample(200, seed=1))
    cfg[:5, 11] = [0.5, 1.5, 3.25, 7, 100]  # fractional DRAM bandwidths
    cfg[5:10, 13] = 1  # multicast on
    f = config_features(cfg)
    assert f.shape == (200, len(CONFIG_FEATURES))
    back = configs_from_features(f)
    np.testing.assert_allclose(back, cfg, rtol=1e-12)
    # one-hot dataflow
    assert (f[:, :4].sum(axis=1) == 1).all()
    assert (np.argmax(f[:, :4], axis=1) == cfg[:, 0]).all()


def test_layer_features_round_trip() -> None:
    for name in ("mobilenet_v2", "bert_base", "alexnet"):
        wl = tldse.workloads.get(name, batch=2)
        table = wl.table()
        f = layer_features(wl)
        assert f.shape == (len(wl), len(LAYER_FEATURES))
        back = layers_from_features(f)
        expect = table.copy()
        expect[:, -1] = 1  # count is not a feature
        np.testing.assert_array_equal(back, expect)


def test_pair_features_shapes_and_broadcast() -> None:
    wl = tldse.workloads.get("resnet18")
    cfg = tldse.Accelerator().row()[None, :]
    f = pair_features(cfg, wl)
    assert f.shape == (len(wl), len(PAIR_FEATURES))
    assert np.isfinite(f).all()
    two = np.repeat(cfg, 2, axis=0)
    with pytest.raises(DatasetError, match="same number of rows"):
        pair_features(two, wl.table()[:3])
    # log2 MACs feature matches the layer's MACs
    j = PAIR_FEATURES.index("log2_macs")
    np.testing.assert_allclose(f[:, j], np.log2([layer.macs for layer in wl.layers]))


def test_pair_features_grid_equals_the_aligned_tables() -> None:
    # MobileNetV2: depthwise groups, strides, padding; edge designs of all dataflows
    wl = tldse.workloads.get("mobilenet_v2")
    lay = wl.table()
    cfg = DesignSpace.builtin("edge").sample(37, "random", 3)
    cfg = DesignSpace.builtin("edge").configs(cfg)
    k, m = len(cfg), len(lay)
    want = pair_features(np.repeat(cfg, m, axis=0), np.tile(lay, (k, 1)))
    got = pair_features_grid(cfg, wl)
    assert got.shape == (k * m, len(PAIR_FEATURES))
    np.testing.assert_array_equal(got, want)
    with pytest.raises(DatasetError, match="configs"):
        pair_features_grid(cfg[:, :5], wl)


def test_feature_bad_input() -> None:
    with pytest.raises(DatasetError, match=r"expected shape \(n, 18\)"):
        config_features(np.zeros((2, 17)))
    bad = tldse.Accelerator().row()[None, :].copy()
    bad[0, 3] = np.nan
    with pytest.raises(DatasetError, match="NaN"):
        config_features(bad)
    bad = tldse.Accelerator().row()[None, :].copy()
    bad[0, 0] = 7
    with pytest.raises(DatasetError, match="dataflow"):
        config_features(bad)
    with pytest.raises(DatasetError, match=r"expected shape"):
        layers_from_features(np.zeros((1, 3)))


def test_generate_and_load(tmp_path: Path) -> None:
    out = generate(SPEC, tmp_path / "ds")
    ds = load(out)
    m = ds.manifest
    assert m["complete"] and m["n_shards"] == 3 and len(m["shards"]) == 3
    assert m["spec"]["seed"] == 3 and m["spec"]["workloads"] == ["alexnet"]
    assert m["spec"]["space"]["name"] == "tiny"
    assert m["tldse_version"] == tldse.__version__
    n_layers = len(tldse.workloads.fold(tldse.workloads.get("alexnet"))[0])
    assert len(ds) == 12 * n_layers == m["rows"]
    assert ds.feature_names == PAIR_FEATURES
    x, y = ds.arrays(("latency", "energy", "area", "utilization"))
    assert x.shape[1] == len(PAIR_FEATURES) and y.shape[1] == 4
    assert np.isfinite(y).all()
    # labels agree with tldse.evaluate
    f = ds.frame
    row = f[(f["status"] == 0)].iloc[5]
    cfg = f.loc[row.name, [f"cfg_{c}" for c in tldse.CONFIG_COLUMNS]].to_numpy(float)
    folded = tldse.workloads.fold(tldse.workloads.get("alexnet"))[0]
    ev = tldse.evaluate(cfg[None, :], folded)
    assert ev["latency_cycles"][0, row["layer_index"]] == row["latency_cycles"]
    assert np.isclose(np.log(row["energy_pj"]), row["log_energy_pj"])
    # design indices are the space's
    space = DesignSpace.builtin("tiny")
    np.testing.assert_array_equal(space.configs([row["design"]])[0], cfg)


def test_resume_after_interruption(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = load(generate(SPEC, tmp_path / "ref"))

    calls = {"n": 0}
    real = data.label_layers

    def flaky(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(data, "label_layers", flaky)
    out = tmp_path / "ds"
    with pytest.raises(KeyboardInterrupt):
        generate(SPEC, out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert list(manifest["shards"]) == ["shard-00000.parquet"]
    assert not manifest["complete"]
    assert not list(out.glob(".*.tmp-*"))  # no partial files left
    with pytest.raises(DatasetError, match="incomplete"):
        load(out)
    first = (out / "shard-00000.parquet").stat().st_mtime_ns

    monkeypatch.setattr(data, "label_layers", real)
    calls["n"] = 0
    resumed = load(generate(SPEC, out))
    assert (out / "shard-00000.parquet").stat().st_mtime_ns == first  # kept
    assert resumed.frame.equals(full.frame)


def test_different_spec_needs_overwrite(tmp_path: Path) -> None:
    out = generate(SPEC, tmp_path / "ds")
    other = DatasetSpec(**{**SPEC.__dict__, "seed": 4})
    with pytest.raises(DatasetError, match="differs in: seed"):
        generate(other, out)
    ds = load(generate(other, out, overwrite=True))
    assert ds.manifest["spec"]["seed"] == 4


def test_per_network_dataset(tmp_path: Path) -> None:
    spec = DatasetSpec(
        space="tiny",
        workloads=("alexnet", "resnet18"),
        n_configs=10,
        kind="network",
        shard_size=8,
    )
    ds = load(generate(spec, tmp_path / "net"))
    assert len(ds) == 20
    f = ds.frame
    assert set(f["workload"]) == {"alexnet", "resnet18"}
    row = f[f["workload"] == "resnet18"].iloc[0]
    cfg = row[[f"cfg_{c}" for c in tldse.CONFIG_COLUMNS]].to_numpy(float)
    ev = tldse.evaluate(cfg[None, :], tldse.workloads.get("resnet18"), per_network=True)
    assert np.isclose(ev["latency_cycles"][0], row["latency_cycles"])
    assert ds.feature_names == data.NETWORK_FEATURES


def test_fidelity_changes_labels_not_features(tmp_path: Path) -> None:
    base = load(generate(SPEC, tmp_path / "a")).feasible().frame
    fid = Fidelity(energy_overrides={"dram_pj": 500.0}, dram_bw_scale=0.25)
    spec = DatasetSpec(**{**SPEC.__dict__, "fidelity": fid})
    ds = load(generate(spec, tmp_path / "b"))
    other = ds.feasible().frame
    xcols = [c for c in base.columns if c.startswith("x_")]
    np.testing.assert_array_equal(base[xcols].to_numpy(), other[xcols].to_numpy())
    assert (other["energy_pj"].to_numpy() > base["energy_pj"].to_numpy()).all()
    assert (
        other["latency_cycles"].to_numpy() >= base["latency_cycles"].to_numpy()
    ).all()
    assert ds.manifest["spec"]["fidelity"]["dram_bw_scale"] == 0.25


def test_dataflow_restriction(tmp_path: Path) -> None:
    spec = DatasetSpec(**{**SPEC.__dict__, "dataflows": ("rs",)})
    ds = load(generate(spec, tmp_path / "rs"))
    assert set(ds.frame["cfg_dataflow"]) == {3.0}


def test_bad_specs(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="n_configs"):
        generate(DatasetSpec(n_configs=0), tmp_path / "x")
    with pytest.raises(DatasetError, match="workloads"):
        generate(DatasetSpec(workloads=()), tmp_path / "x")
    with pytest.raises(DatasetError, match="unknown field"):
        Fidelity(energy_overrides={"dram_joules": 1.0})
    with pytest.raises(DatasetError, match="dram_bw_scale"):
        Fidelity(dram_bw_scale=0)
    with pytest.raises(DatasetError, match="dataflows"):
        generate(DatasetSpec(space="tiny", dataflows=("xx",)), tmp_path / "x")
    with pytest.raises(DatasetError, match="nosuchnet"):
        generate(DatasetSpec(space="tiny", workloads=("nosuchnet",)), tmp_path / "x")
    with pytest.raises(DatasetError, match="no manifest"):
        load(tmp_path)


def test_dataset_columns_checked(tmp_path: Path) -> None:
    ds = load(generate(SPEC, tmp_path / "ds"))
    with pytest.raises(DatasetError, match="lacks feature"):
        ds.x(["no_such_feature"])
    with pytest.raises(DatasetError, match="unknown target"):
        ds.y(["throughput"])
    parts = ds.split_designs((0.5, 0.25, 0.25), seed=0)
    sets = [set(p.designs()) for p in parts]
    assert sum(len(p) for p in parts) == len(ds)
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2])
