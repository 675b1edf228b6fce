"""Multi-fidelity models (tldse.learn.fidelity, pretrain, transfer): features,
references, the zero-initialised log-ratio model, L2-SP, saving, the pretrained
cache and the choice among transfer candidates. Tiny, seeded, CPU."""

from __future__ import annotations

import json
import shutil
from typing import Any

import numpy as np
import pytest
import torch

import tldse
from tldse.learn.fidelity import (
    EVALUATOR_GROUPS,
    FeatureSet,
    FidelityError,
    FidelityModel,
    LinearMember,
    Pairs,
    log_ratio_targets,
    reference_values,
)
from tldse.learn.model import Surrogate
from tldse.learn.train import TrainConfig, fit
from tldse.learn.transfer import Candidate, candidates, fit_candidate, transfer

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def grid() -> Pairs:
    sp = tldse.DesignSpace.load("tiny")
    cfg = sp.configs(np.arange(0, len(sp), 11))
    lay = tldse.workloads.get("resnet18").table().astype(np.float64)
    lay[:, -1] = 1
    p = Pairs.grid(cfg, lay, threads=1)
    return p.take(np.flatnonzero(p.analytical["status"] == 0))


def test_pairs_analytical_matches_evaluate(grid: Pairs):
    # the grid path and the aligned-rows path (one grid per distinct design)
    # both equal tldse.evaluate's per-pair numbers
    aligned = Pairs(grid.configs[::7], grid.layers[::7], threads=1)
    for key in ("latency_cycles", "energy_pj", "dram_cycles", "row_tiles"):
        np.testing.assert_array_equal(
            aligned.analytical[key], grid.analytical[key][::7]
        )
    cfg, lay = grid.configs[:1], grid.layers[:3]
    ev = tldse.evaluate(
        cfg,
        [
            tldse.workloads.Layer(
                "x", ("conv", "dwconv", "gemm")[int(r[0])], *[int(v) for v in r[1:]]
            )
            for r in lay
        ],
        threads=1,
    )
    np.testing.assert_array_equal(
        grid.analytical["latency_cycles"][:3], ev["latency_cycles"][0]
    )


def test_feature_groups_names_and_values(grid: Pairs):
    fs = FeatureSet(EVALUATOR_GROUPS)
    x = fs.compute(grid)
    assert x.shape == (len(grid), len(fs.names)) and len(set(fs.names)) == len(fs.names)
    assert np.isfinite(x).all()
    names = list(fs.names)
    # log2(1 + latency) of the analytical model, column by name
    col = x[:, names.index("a_log2p1_latency_cycles")]
    np.testing.assert_allclose(
        col, np.log2(1 + grid.analytical["latency_cycles"]), rtol=1e-6
    )
    with pytest.raises(FidelityError, match="feature groups"):
        FeatureSet(("pair", "nope"))


def _zero_output_model(
    grid: Pairs, width: int
) -> tuple[FeatureSet, Surrogate, Any, Any]:
    """A zero-initialised model of log(tldse / prior) and its rows."""
    fs = FeatureSet(("pair", "prior"))
    m = Surrogate.create(
        fs.names,
        ("latency", "energy"),
        hidden=(width,),
        head_hidden=(),
        zero_output=True,
    )
    x = fs.compute(grid)
    y = log_ratio_targets(
        {
            "latency": grid.analytical["latency_cycles"],
            "energy": grid.analytical["energy_pj"],
        },
        reference_values(grid, "prior"),
        ("latency", "energy"),
    )
    return fs, m, x, y


def test_zero_output_model_is_its_reference(grid: Pairs):
    fs, m, x, y = _zero_output_model(grid, 16)
    # uncentred targets: a zero output is a zero log-ratio, whatever y's mean
    fit(
        m,
        x,
        y,
        TrainConfig(epochs=1, lr=1e-12, center_targets=False, weighting="fixed"),
    )
    model = FidelityModel(fs, "prior", ("latency", "energy"), [m])
    pred = model.predict(grid)
    np.testing.assert_allclose(
        pred.values["latency"], grid.prior["latency_cycles"], rtol=1e-5
    )


def test_l2sp_keeps_the_trunk_at_its_start(grid: Pairs):
    fs = FeatureSet(("pair",))
    x = fs.compute(grid)
    y = np.log(grid.analytical["latency_cycles"])[:, None]
    moved = []
    for l2sp in (0.0, 1e6):
        m = Surrogate.create(fs.names, ("latency",), hidden=(16, 16), seed=1)
        fit(m, x[:50], y[:50], TrainConfig(epochs=2, lr=1e-2, weighting="fixed"))
        before = [p.detach().clone() for p in m.net.trunk.parameters()]
        fit(
            m,
            x[:50],
            y[:50],
            TrainConfig(epochs=20, lr=1e-2, l2sp=l2sp, weighting="fixed"),
        )
        after = list(m.net.trunk.parameters())
        moved.append(
            sum(
                float((a.detach() - b).abs().max())
                for a, b in zip(after, before, strict=True)
            )
        )
    assert moved[1] < 0.05 * moved[0]


def test_linear_member_recovers_a_linear_law():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4))
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0]) + 3.0)[:, None]
    m = LinearMember.fit(["a", "b", "c", "d"], ("latency",), x, y, alpha=1e-9)
    np.testing.assert_allclose(m.predict(x), y, atol=1e-8)


def test_save_and_load_give_the_same_predictions(grid: Pairs, tmp_path):
    fs = FeatureSet(("pair", "prior"))
    x = fs.compute(grid)
    y = log_ratio_targets(
        {"latency": grid.analytical["latency_cycles"]},
        reference_values(grid, "prior"),
        ("latency",),
    )
    m = Surrogate.create(
        fs.names, ("latency",), hidden=(8,), head_hidden=(), zero_output=True
    )
    fit(m, x, y, TrainConfig(epochs=3, center_targets=False, weighting="fixed"))
    lin = LinearMember.fit(fs.names, ("latency",), x, y, alpha=1.0)
    model = FidelityModel(
        fs,
        "prior",
        ("latency",),
        [m, lin],
        offset={"latency": 0.1},
        sigma_scale={"latency": 2.0},
    )
    model.save(tmp_path / "f")
    back = FidelityModel.load(tmp_path / "f")
    a, b = model.predict(grid), back.predict(grid)
    np.testing.assert_allclose(a.values["latency"], b.values["latency"], rtol=1e-6)
    np.testing.assert_allclose(a.sigma["latency"], b.sigma["latency"], rtol=1e-6)
    with pytest.raises(FidelityError, match="not a saved fidelity model"):
        FidelityModel.load(tmp_path)
    # a damaged file names itself and what is missing, never a KeyError
    meta = (tmp_path / "f" / "fidelity.json").read_text()
    for key in ("feature_groups", "reference", "targets", "members"):
        d = json.loads(meta)
        del d[key]
        (tmp_path / "f" / "fidelity.json").write_text(json.dumps(d))
        with pytest.raises(FidelityError, match=f"fidelity.json: damaged .no '{key}'"):
            FidelityModel.load(tmp_path / "f")


def test_transfer_picks_the_reference_times_a_constant(grid: Pairs):
    # an "evaluator" that is exactly the analytical model x 1.3: the candidate
    # "analytical x const" is exact, and cross-validation must pick it
    truth = {"latency": 1.3 * grid.analytical["latency_cycles"]}
    idx = np.random.default_rng(0).choice(len(grid), 40, replace=False)
    cands = [
        c
        for c in candidates(False, ("analytical", "systolic"))
        if not c.name.startswith("correction")
    ]
    res = transfer(
        None,
        grid.take(idx),
        {"latency": truth["latency"][idx]},
        ("latency",),
        cands=cands,
        features=FeatureSet(("pair", "prior")),
    )
    assert res.chosen == "analytical x const"
    pred = res.model.predict(grid)
    np.testing.assert_allclose(pred.values["latency"], truth["latency"], rtol=1e-6)
    assert res.cv["analytical"] == pytest.approx(100 * (1 - 1 / 1.3), rel=1e-6)


def test_head_subset_keeps_the_pretrained_latency_head(grid: Pairs):
    fs, m, x, y = _zero_output_model(grid, 8)
    fit(m, x, y, TrainConfig(epochs=3, center_targets=False, weighting="fixed"))
    pre = FidelityModel(fs, "prior", ("latency", "energy"), [m])
    zs = fit_candidate(
        Candidate("zero-shot", "zero-shot"),
        pre,
        grid,
        {"latency": grid.analytical["latency_cycles"]},
        ("latency",),
    )
    assert zs.targets == ("latency",)
    np.testing.assert_allclose(
        zs.predict(grid).values["latency"],
        pre.predict(grid).values["latency"],
        rtol=1e-6,
    )


def test_pretrain_cache_builds_once_and_keys_on_features(tmp_path, monkeypatch):
    from tldse.learn import pretrain as pt

    monkeypatch.setenv("TLDSE_CACHE_DIR", str(tmp_path))
    said: list[str] = []
    model = pt.pretrained_model("tiny", say=said.append)
    assert any("building the pretrained model" in s for s in said)
    meta = model.metadata["pretraining"]
    assert meta["rows"] == pt.pretrain_config("tiny").rows
    # it learned something: held-out error below the prior's
    assert meta["validation_mape"]["energy"] < meta["prior_mape"]["energy"]

    def boom(*_a: object, **_k: object) -> None:
        raise AssertionError("rebuilt a cached model")

    monkeypatch.setattr(pt, "pretrain", boom)
    again = pt.pretrained_model("tiny", say=said.append)
    assert len(again.members) == len(model.members)
    other = pt.pretrain_config("tiny", groups=("pair", "prior"))
    assert pt.cache_key(other) != pt.cache_key(pt.pretrain_config("tiny"))
    with pytest.raises(FidelityError, match="size must be one of"):
        pt.pretrain_config("huge")


def test_transfer_prefers_the_simplest_of_tied_candidates(grid: Pairs):
    # an "evaluator" that is exactly the analytical model: the reference alone
    # and the reference x a constant (1.0) both have zero error; the one-
    # standard-error rule picks the one that fits nothing
    truth = grid.analytical["latency_cycles"]
    idx = np.random.default_rng(1).choice(len(grid), 40, replace=False)
    cands = [
        c
        for c in candidates(False, ("analytical", "systolic"))
        if c.kind in ("reference", "reference-const")
    ]
    res = transfer(
        None,
        grid.take(idx),
        {"latency": truth[idx]},
        ("latency",),
        cands=cands,
        features=FeatureSet(("pair", "prior")),
    )
    assert res.cv["analytical"] == pytest.approx(0.0, abs=1e-9)
    assert res.chosen == "analytical"


def test_grid_estimates_match_aligned_rows():
    # the grid path (per design x per layer, broadcast) and the aligned path
    # give the same prior, closed forms and unrolled cycles (a fresh grid: the
    # module's fixture went through take(), which computes row by row)
    sp = tldse.DesignSpace.load("tiny")
    lay = tldse.workloads.get("resnet18").table().astype(np.float64)
    lay[:, -1] = 1
    grid = Pairs.grid(sp.configs(np.arange(0, len(sp), 11)), lay, threads=1)
    assert grid.tables is not None
    aligned = Pairs(grid.configs, grid.layers)
    assert aligned.tables is None
    for group in ("prior", "systolic"):
        a, b = getattr(grid, group), getattr(aligned, group)
        for k in a:
            np.testing.assert_allclose(a[k], b[k], rtol=1e-12, err_msg=k)
    np.testing.assert_allclose(grid.unrolled, aligned.unrolled, rtol=1e-12)


def _two_member_pretrained(grid: Pairs) -> FidelityModel:
    """A pretrained model of log(tldse / prior) with two members that differ
    in their seed (so their spread is not zero)."""
    members = []
    for seed in (0, 1):
        fs, _, x, y = _zero_output_model(grid, 8)
        m = Surrogate.create(
            fs.names,
            ("latency", "energy"),
            hidden=(8,),
            head_hidden=(),
            seed=seed,
            zero_output=True,
        )
        fit(m, x, y, TrainConfig(epochs=3, center_targets=False, weighting="fixed"))
        members.append(m)
    return FidelityModel(fs, "prior", ("latency", "energy"), members)


def test_transfer_calibrates_sigma_of_a_multi_member_model(grid: Pairs):
    # an "evaluator" that is the pretrained model's own prediction times
    # exp(noise), noise ~ N(0, 0.3): the offset candidate is right up to the
    # noise, so its out-of-fold residuals have an RMS of about 0.3, and the
    # calibrated sigma of the two-member model must be about that (it was the
    # members' raw spread, ~100x smaller, when the folds fitted one member)
    pre = _two_member_pretrained(grid)
    noise = 0.3
    rng = np.random.default_rng(3)
    idx = rng.choice(len(grid), 60, replace=False)
    sub = grid.take(idx)
    clean = pre.predict(sub).values["latency"]
    truth = {"latency": clean * np.exp(rng.normal(0.0, noise, len(idx)))}
    res = transfer(
        pre,
        sub,
        truth,
        ("latency",),
        cands=[Candidate("offset", "offset")],
        members=2,
    )
    model = res.model
    assert res.chosen == "offset" and len(model.members) == 2
    # the out-of-fold residuals of "offset": the residual to the median of the
    # other folds' log-ratios (5 folds as transfer draws them)
    y = np.log(truth["latency"] / clean)
    oof = np.empty_like(y)
    for va in _folds_like_transfer(len(idx)):
        rest = np.setdiff1d(np.arange(len(idx)), va)
        oof[va] = y[va] - np.median(y[rest])
    rms = float(np.sqrt(np.mean(oof**2)))
    sigma = float(np.median(model.predict(sub).sigma["latency"]))
    assert rms / 1.5 < sigma < rms * 1.5
    assert noise / 1.5 < sigma < noise * 1.5
    # on designs it was not calibrated on, too
    assert rms / 1.5 < np.median(model.predict(grid).sigma["latency"]) < rms * 1.5
    assert "latency" in model.sigma_scale and model.sigma_floor["latency"] == 0.0


def _folds_like_transfer(n: int, k: int = 5, seed: int = 0) -> list[Any]:
    order = np.random.default_rng(seed).permutation(n)
    return [order[i::k] for i in range(k)]


def test_pretrain_cache_key_follows_the_models(monkeypatch):
    # the key is a function of its inputs, and changes with the prior's
    # formulas, the analytical model's outputs and the design spaces even when
    # the version, the config and the feature columns stay the same
    from tldse.learn import fidelity as fm
    from tldse.learn import pretrain as pt

    cfg = pt.pretrain_config("tiny")
    key = pt.cache_key(cfg)
    assert pt.cache_key(pt.pretrain_config("tiny")) == key
    prior = fm.prior_estimates

    def slower_prior(*a: Any, **k: Any) -> dict[str, Any]:
        out = dict(prior(*a, **k))
        out["latency_cycles"] = out["latency_cycles"] * 1.01
        return out

    monkeypatch.setattr(fm, "prior_estimates", slower_prior)
    assert pt.cache_key(cfg) != key
    monkeypatch.setattr(fm, "prior_estimates", prior)
    assert pt.cache_key(cfg) == key
    evaluate = fm.Pairs._evaluate

    def costlier(self: Pairs) -> dict[str, Any]:
        out = evaluate(self)
        return {**out, "energy_pj": out["energy_pj"] * 1.01}

    monkeypatch.setattr(fm.Pairs, "_evaluate", costlier)
    assert pt.cache_key(cfg) != key
    monkeypatch.undo()
    space = pt.small_buffer_space()
    params = {p.name: list(p.values) for p in space.params}
    params["dram_bw_bytes_per_cycle"] = [1, 2, 4]
    monkeypatch.setattr(
        pt,
        "small_buffer_space",
        lambda: tldse.DesignSpace(params, base=space.base, name=space.name),
    )
    assert pt.cache_key(cfg) != key


def test_pretrained_build_uses_a_concurrent_build_and_cleans_up(tmp_path, monkeypatch):
    # a second build that finishes after the first one has renamed its model
    # into place (the rename hits a non-empty folder) uses that model; no
    # temporary folder is left behind, also when the build fails
    from tldse.learn import pretrain as pt

    monkeypatch.setenv("TLDSE_CACHE_DIR", str(tmp_path))
    cfg = pt.pretrain_config("tiny")
    path = pt.pretrained_path(cfg)

    def model(who: str) -> FidelityModel:
        m = FidelityModel(FeatureSet(("pair",)), "prior", ("latency",))
        m.metadata["who"] = who
        return m

    def raced(*_a: object, **_k: object) -> FidelityModel:
        model("first").save(path)  # the other process wins meanwhile
        return model("second")

    monkeypatch.setattr(pt, "pretrain", raced)
    got = pt.pretrained_model(cfg)
    assert got.metadata["who"] == "first"
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]

    def broken(*_a: object, **_k: object) -> FidelityModel:
        path.mkdir()
        (path / "fidelity.json").write_text("{")  # the winner is unusable
        return model("third")

    monkeypatch.setattr(pt, "pretrain", broken)
    shutil.rmtree(path)
    with pytest.raises(FidelityError, match="cannot move the built model"):
        pt.pretrained_model(cfg)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]

    def interrupted(*_a: object, **_k: object) -> FidelityModel:
        raise KeyboardInterrupt

    monkeypatch.setattr(FidelityModel, "save", lambda *_a: interrupted())
    monkeypatch.setattr(pt, "pretrain", lambda *_a, **_k: model("fourth"))
    with pytest.raises(KeyboardInterrupt):
        pt.pretrained_model(cfg, rebuild=True)
    assert not list(path.parent.glob("*.tmp*"))
