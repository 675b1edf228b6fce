"""``tldse experiment fidelity`` and ``tldse pretrain``: the experiment's pure
parts by hand, its accuracy part on an "evaluator" with a known relation to the
analytical model, the messages when SCALE-Sim / ZigZag are not installed, and
the quick experiment with the real tools when their venvs are given."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tldse.cli import main
from tldse.experiments import fidelity as fx


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_layer_pool_is_tiny_varied_and_deterministic() -> None:
    pool = fx.layer_pool(64, seed=3)
    assert len(pool) == 64 and all(la.macs <= 2**17 for la in pool)
    kinds = {la.name.rstrip("0123456789") for la in pool}
    assert kinds == {"conv", "dw", "gemm"}
    dw = [la for la in pool if la.name.startswith("dw")]
    assert all(la.groups == la.c == la.k for la in dw)
    again = fx.layer_pool(64, seed=3)
    assert [la.row() for la in pool] == [la.row() for la in again]


def test_task_pairs_respect_the_cycle_bound() -> None:
    task = fx.PeerTask("scalesim", 12, 5, pool_layers=24, max_ideal_cycles=300)
    configs, per_design = fx.task_pairs(task)
    assert configs.shape == (12, 18) and len(per_design) == 12
    pes = configs[:, 1] * configs[:, 2]
    for d, layers in enumerate(per_design):
        assert 0 < len(layers) <= 5
        assert all(la.macs / pes[d] <= 300 for la in layers)
    again, per2 = fx.task_pairs(task)
    np.testing.assert_array_equal(configs, again)
    assert [[la.name for la in ls] for ls in per_design] == [
        [la.name for la in ls] for ls in per2
    ]


def test_search_spaces_have_the_stated_sizes() -> None:
    # scalesim full: 3 dataflows x 4 rows x 4 columns x 3 buffers x 2 bandwidths
    assert len(fx.search_space("scalesim", "full")) == 3 * 4 * 4 * 3 * 2
    # zigzag full: 4 dataflows x 2 x 2 x 2 RF x 3 GLB x 2 bandwidths
    assert len(fx.search_space("zigzag", "full")) == 4 * 2 * 2 * 2 * 3 * 2
    for name in fx.PEERS:
        assert len(fx.search_space(name, "quick")) == 16
    with pytest.raises(ValueError, match="evaluator must be one of"):
        fx.search_space("timeloop")


def test_summaries_are_mean_and_population_std_over_seeds() -> None:
    runs = [
        {"seed": s, "n": 25, "method": "transfer", "chosen": c, "seconds": t,
         "metrics": {"mape_latency": m}}
        for s, (m, t, c) in enumerate([(10.0, 1.0, "a"), (20.0, 3.0, "a"),
                                       (30.0, 2.0, "b")])
    ]  # fmt: skip
    (row,) = fx.summarise_accuracy(runs)
    assert row["mape_latency"] == pytest.approx(20.0)
    assert row["mape_latency_std"] == pytest.approx(np.sqrt(200 / 3))
    assert row["seconds"] == pytest.approx(2.0)
    assert row["chosen"] == {"a": 2, "b": 1}


def test_missing_evaluators_stop_with_the_install_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "f"
    missing = str(tmp_path / "no-such-venv" / "bin" / "python")
    rc, stdout, err = _run(
        capsys, "experiment", "fidelity", "--out", str(out),
        "--scalesim-python", missing, "--zigzag-python", missing, "--quiet",
    )  # fmt: skip
    assert rc == 2
    line = err.strip().splitlines()[-1]
    assert line.startswith("tldse: error: no evaluator is installed: scalesim:")
    assert "TLDSE_SCALESIM_PYTHON" in line and "TLDSE_ZIGZAG_PYTHON" in line
    assert stdout == "" and not out.exists()


def test_bad_arguments_name_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "f")
    rc, _, err = _run(
        capsys, "experiment", "fidelity", "--out", out, "--evaluators", "timeloop"
    )
    assert rc == 2 and "--evaluators: unknown timeloop" in err
    rc, _, err = _run(capsys, "experiment", "fidelity", "--out", out, "--jobs", "0")
    assert rc == 2 and "--jobs must be >= 1, got 0" in err
    # checked before any evaluator is looked for or run
    for bad in ("1", "-1", "25,1"):
        rc, _, err = _run(capsys, "experiment", "fidelity", "--out", out, f"--ns={bad}")
        assert rc == 2 and f"--ns: each sample count must be >= 2, got {bad}" in err
    rc, _, err = _run(capsys, "experiment", "fidelity", "--out", out, "--seeds=0,-2")
    assert rc == 2 and "--seeds: each seed must be >= 0, got 0,-2" in err
    assert not Path(out).exists()


def test_pretrain_where_prints_the_cache_folder(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc, stdout, _ = _run(capsys, "pretrain", "--where")
    path = Path(stdout.strip())
    assert rc == 0 and path.parent.name == "pretrained"
    assert path.is_relative_to(Path(os.environ["TLDSE_CACHE_DIR"]))
    assert path.name.split("-")[1] == "quick"


@pytest.mark.slow
def test_pretrain_builds_once_then_uses_the_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TLDSE_CACHE_DIR", str(tmp_path))
    rc, stdout, err = _run(capsys, "pretrain", "--size", "tiny")
    assert rc == 0 and "building the pretrained model" in err
    assert stdout.startswith("built pretrained model (tiny: 3,000 rows, 2 members")
    rc, stdout, err = _run(capsys, "pretrain", "--size", "tiny", "--quiet")
    assert rc == 0 and err == "" and stdout.startswith("cached pretrained model")


def test_pretrain_says_when_the_cached_model_was_unusable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from tldse.learn import pretrain as pt
    from tldse.learn.fidelity import FeatureSet, FidelityModel

    monkeypatch.setenv("TLDSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(
        pt,
        "pretrain",
        lambda *_a, **_k: FidelityModel(FeatureSet(("pair",)), "prior", ("latency",)),
    )
    path = pt.pretrained_path(pt.pretrain_config("tiny"))
    FidelityModel(FeatureSet(("pair",)), "prior", ("latency",)).save(path)
    meta = json.loads((path / "fidelity.json").read_text())
    del meta["feature_groups"]  # a damaged cache: a key is missing
    (path / "fidelity.json").write_text(json.dumps(meta))
    rc, stdout, _ = _run(capsys, "pretrain", "--size", "tiny", "--quiet")
    assert rc == 0 and stdout.startswith(
        f"rebuilt (the cached one was unusable: {path / 'fidelity.json'}: damaged "
        "(no 'feature_groups'"
    )
    rc, stdout, _ = _run(capsys, "pretrain", "--size", "tiny", "--quiet")
    assert rc == 0 and stdout.startswith("cached pretrained model (tiny")


def _rows_like(scale_lat: float, scale_en: float) -> fx.PeerRows:
    """Rows of an "evaluator" that is the analytical model times constants."""
    from tldse.learn.fidelity import Pairs

    task = fx.PeerTask("zigzag", 40, 4, pool_layers=24)
    configs, per_design = fx.task_pairs(task)
    cfg = np.concatenate([np.repeat(configs[d : d + 1], len(ls), axis=0)
                          for d, ls in enumerate(per_design)])  # fmt: skip
    lay = np.stack([np.asarray(la.row(), float) for ls in per_design for la in ls])
    lay[:, -1] = 1
    des = np.concatenate([np.full(len(ls), d) for d, ls in enumerate(per_design)])
    a = Pairs(cfg, lay).analytical
    n = len(cfg)
    return fx.PeerRows(
        cfg, lay, des.astype(np.int64), scale_lat * a["latency_cycles"],
        scale_en * a["energy_pj"], np.ones(n, bool), np.ones(n), {"ok": n},
    )  # fmt: skip


@pytest.mark.slow
def test_accuracy_part_recovers_a_known_correction() -> None:
    import tldse.learn.transfer as lt
    from tldse.learn.pretrain import pretrained_model

    rows = _rows_like(1.3, 0.8)
    sampled: list[Any] = []

    def spy(*a: Any, **k: Any) -> Any:
        sampled.append(k["groups"])  # the sample rows' designs
        return transfer(*a, **k)

    transfer = lt.transfer
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lt, "transfer", spy)
        runs = fx.accuracy_runs(
            rows, ("latency", "energy"), pretrained_model("tiny"),
            ns=(40,), seeds=(0,), test_fraction=0.4,
        )  # fmt: skip
    # the samples come from designs disjoint from the held-out ones
    held = np.unique(rows.design[fx.held_out_rows(rows.design, 0, 0.4)])
    assert len(sampled) == 1 and len(sampled[0]) == 40 and len(held) >= 2
    assert not set(sampled[0]) & set(held)
    assert len(np.unique(sampled[0])) > 1
    by = {r["method"]: r["metrics"] for r in runs}
    # the analytical model alone is off by exactly 1/1.3 and 1/0.8
    assert by["analytical"]["mape_latency"] == pytest.approx(100 * (1 - 1 / 1.3))
    assert by["analytical"]["mape_energy"] == pytest.approx(100 * (1 / 0.8 - 1))
    assert by["analytical"]["tau_latency"] == pytest.approx(1.0)
    # transfer finds the constant: (almost) exact on held-out designs
    assert by["transfer"]["mape_latency"] < 1.0
    assert by["transfer"]["mape_energy"] < 1.0
    assert {"scratch-mt", "mlp", "systolic", "unrolled"} <= set(by)


PYTHONS = {
    "scalesim": os.environ.get("TLDSE_SCALESIM_PYTHON", ""),
    "zigzag": os.environ.get("TLDSE_ZIGZAG_PYTHON", ""),
}


@pytest.mark.slow
@pytest.mark.skipif(not PYTHONS["scalesim"], reason="TLDSE_SCALESIM_PYTHON is not set")
def test_quick_experiment_with_scalesim(tmp_path: Path) -> None:
    cfg = replace(fx.sizes()["quick"], evaluators=("scalesim",))
    res = fx.run_experiment(
        cfg, tmp_path, pythons={"scalesim": PYTHONS["scalesim"]},
        pretrained="tiny", progress=False,
    )  # fmt: skip
    e = res["evaluators"]["scalesim"]
    assert e["pairs"] == 16 * 4 and e["statuses"] == {"ok": 64}
    methods = {(r["n"], r["method"]) for r in e["accuracy"]}
    for n in (10, 20):
        assert {(n, "transfer"), (n, "scratch-mt"), (n, "mlp")} <= methods
    s = e["search"]
    assert s["designs"] == 16 and s["budget"] == 4
    for r in s["runs"]:
        assert r["simulations"] <= r["budget"]
        if r["scenario"] == "front":
            assert 0 < r["hv_fraction"] <= 1.0 + 1e-9
        else:  # single objective: the regret against the exhaustive optimum
            assert r["regret_pct"] >= 0
    md = (tmp_path / "results.md").read_text()
    assert "## scalesim 3.0.0" in md and "### Search: 16 designs" in md
    # the command, rerun: the store makes it evaluate nothing
    db = tmp_path / "evaluations.sqlite"
    before = _finished(db)
    assert len(before) == 64 + 16 * 2  # accuracy pairs + search designs x layers
    rc = main(
        ["experiment", "fidelity", "--size", "quick", "--evaluators", "scalesim",
         "--scalesim-python", PYTHONS["scalesim"], "--pretrained", "tiny",
         "--no-search", "--quiet", "--out", str(tmp_path)]
    )  # fmt: skip
    assert rc == 0
    again = json.loads((tmp_path / "results.json").read_text())
    assert again["evaluators"]["scalesim"]["pairs"] == 64
    assert "search" not in again["evaluators"]["scalesim"]
    assert _finished(db) == before


def _finished(db: Path) -> list[tuple[str, str, float]]:
    import sqlite3

    with sqlite3.connect(db) as con:
        return sorted(con.execute("select design, layer, finished from results"))


@pytest.mark.slow
@pytest.mark.skipif(not PYTHONS["zigzag"], reason="TLDSE_ZIGZAG_PYTHON is not set")
def test_quick_experiment_with_zigzag(tmp_path: Path) -> None:
    cfg = replace(fx.sizes()["quick"], evaluators=("zigzag",))
    res = fx.run_experiment(
        cfg, tmp_path, pythons={"zigzag": PYTHONS["zigzag"]},
        pretrained="tiny", progress=False,
    )  # fmt: skip
    e = res["evaluators"]["zigzag"]
    assert e["targets"] == ["latency", "energy"] and e["pairs"] == 10 * 3
    by = {(r["n"], r["method"]): r["metrics"] for r in e["accuracy"]}
    # ZigZag reports energy: every method is scored on it
    for key in ((0, "analytical"), (10, "transfer"), (10, "scratch-mt"), (10, "mlp")):
        assert by[key]["mape_energy"] > 0 and -1 <= by[key]["tau_energy"] <= 1
    scenarios = {r["scenario"] for r in e["search"]["runs"]}
    assert scenarios == {"edp", "latency@area", "front"}
    assert "## zigzag 3.9.1" in (tmp_path / "results.md").read_text()
