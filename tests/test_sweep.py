"""Exhaustive sweeps: the front is the exact constrained Pareto set, independent of
chunking; metrics; checkpoints, resume after kill -9, refusal of a different
sweep; outputs; the ``tldse sweep`` command."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tldse
from tldse.cli import main
from tldse.search import (
    METRICS,
    Constraint,
    SweepError,
    evaluate_designs,
    parse_constraint,
    parse_constraints,
    parse_objectives,
)
from tldse.search.sweep import sweep
from tldse.space import DesignSpace
from tldse.workloads import fold

from .test_pareto import brute_force

M = {name: i for i, name in enumerate(METRICS)}

# 43,008 designs; ~0.5 s on ResNet-18 here: the kill / resume test space.
SPACE_TOML = """
name = "killtest"
[params]
dataflow = ["ws", "os", "is", "rs"]
pe_rows = { pow2 = [4, 32] }
pe_cols = { pow2 = [4, 32] }
rf_bytes = [16, 64, 256]
glb_bytes = { pow2 = ["16KiB", "1MiB"] }
dram_bw_bytes_per_cycle = [4, 8, 16, 32]
precision = ["8", "16"]
"""


@pytest.fixture(scope="module")
def tiny_all() -> tuple[DesignSpace, np.ndarray, np.ndarray]:
    """Every design of ``tiny`` on ResNet-18, evaluated directly."""
    space = DesignSpace.builtin("tiny")
    folded, _ = fold(tldse.workloads.get("resnet18"))
    metrics, status = evaluate_designs(space, np.arange(len(space)), folded)
    return space, metrics, status


def test_metrics_are_the_network_totals() -> None:
    space = DesignSpace.builtin("tiny")
    wl = tldse.workloads.get("resnet18")
    folded, _ = fold(wl)
    idx = np.array([0, 100, 333, 575])
    metrics, status = evaluate_designs(space, idx, folded)
    for row, i in zip(metrics, idx, strict=True):
        acc = tldse.Accelerator.from_row(space.configs([i])[0])
        rep = tldse.simulate(acc, wl)
        assert rep.ok
        assert row[M["latency_cycles"]] == pytest.approx(rep.latency_cycles, rel=1e-12)
        assert row[M["latency_ms"]] == pytest.approx(rep.latency_s * 1e3, rel=1e-12)
        assert row[M["energy_uj"]] == pytest.approx(rep.energy_pj * 1e-6, rel=1e-12)
        assert row[M["area_mm2"]] == pytest.approx(rep.area_um2 * 1e-6, rel=1e-12)
        assert row[M["power_mw"]] == pytest.approx(
            row[M["energy_uj"]] / row[M["latency_ms"]]
        )
        assert row[M["edp_uj_ms"]] == pytest.approx(
            row[M["energy_uj"]] * row[M["latency_ms"]]
        )
    assert (status == 0).all()


@pytest.mark.parametrize("objectives", ["latency,energy", "latency,energy,area"])
def test_front_is_the_brute_force_pareto_set(
    tiny_all: tuple[DesignSpace, np.ndarray, np.ndarray], objectives: str
) -> None:
    space, metrics, status = tiny_all
    cols = [M[c] for c in ("latency_ms", "energy_uj", "area_mm2")][
        : len(objectives.split(","))
    ]
    r = sweep(space, "resnet18", objectives=objectives, ties="all", chunk_size=100)
    expect = np.flatnonzero(brute_force(metrics[:, cols]))
    np.testing.assert_array_equal(r.front["index"].to_numpy(), expect)
    assert r.n_feasible == int((status == 0).sum())
    first = sweep(space, "resnet18", objectives=objectives, chunk_size=100)
    assert first.front["ties"].sum() == len(expect)
    assert set(first.front["index"]) <= set(expect)
    for obj, best in first.best.items():
        col = {"latency": "latency_ms", "energy": "energy_uj", "area": "area_mm2"}[obj]
        assert best[col] == np.nanmin(metrics[:, M[col]])


def test_constraints_filter_before_the_front(
    tiny_all: tuple[DesignSpace, np.ndarray, np.ndarray],
) -> None:
    space, metrics, _ = tiny_all
    cons = ["area_mm2<=1", "power_mw < 2500", "latency_ms<=20"]
    r = sweep(space, "resnet18", constraints=cons, ties="all", chunk_size=64)
    ok = (
        (metrics[:, M["area_mm2"]] <= 1)
        & (metrics[:, M["power_mw"]] < 2500)
        & (metrics[:, M["latency_ms"]] <= 20)
    )
    assert 0 < r.n_valid == int(ok.sum()) < r.n_feasible
    pts = metrics[:, [M["latency_ms"], M["energy_uj"], M["area_mm2"]]].copy()
    pts[~ok] = np.nan
    np.testing.assert_array_equal(
        r.front["index"].to_numpy(), np.flatnonzero(brute_force(pts))
    )
    assert (r.front["area_mm2"] <= 1).all() and (r.front["latency_ms"] <= 20).all()
    none = sweep(space, "resnet18", constraints="area_mm2<=0.0001")
    assert none.front.empty and none.best == {} and none.n_valid == 0


def test_constraint_and_objective_parsing() -> None:
    assert parse_constraint("area_mm2<=4") == Constraint("area_mm2", "<=", 4.0)
    assert parse_constraint(" power_w => 0.5 ") == Constraint("power_w", ">=", 0.5)
    assert [str(c) for c in parse_constraints("latency_ms<10, area_um2<=4e6")] == [
        "latency_ms<10",
        "area_um2<=4e+06",
    ]
    m = np.zeros((2, len(METRICS)))
    m[:, M["latency_ms"]] = [5, 20]
    assert parse_constraint("latency_s<=0.01").mask(m).tolist() == [True, False]
    for bad, msg in [
        ("area<=4", "unknown metric 'area'.*valid metrics: latency_cycles"),
        ("area_mm2=4", "expected METRIC OP NUMBER.*operators: <=, <, >=, >"),
        ("area_mm2<=four", "'four' is not a number"),
        ("area_mm2<=inf", "finite"),
    ]:
        with pytest.raises(ValueError, match=msg):
            parse_constraint(bad)
    assert parse_objectives("edp, area") == ["edp", "area"]
    for bad, msg in [
        ("latency,speed", "unknown 'speed'; valid: latency, energy, area, edp"),
        ("latency,latency", "once"),
        ("", "1 to 4"),
    ]:
        with pytest.raises(ValueError, match=msg):
            parse_objectives(bad)


def _tree(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in ("front.csv", "best.json")}


def test_chunked_equals_unchunked(tmp_path: Path) -> None:
    results = {}
    for size in (7, 37, 576, 5000):
        out = tmp_path / f"c{size}"
        r = sweep("tiny", "resnet18", chunk_size=size, out=out)
        results[size] = (r, _tree(out))
    ref, ref_files = results[576]
    for size, (r, files) in results.items():
        pd.testing.assert_frame_equal(r.front, ref.front)
        assert files["front.csv"] == ref_files["front.csv"], size
        assert files["best.json"] == ref_files["best.json"], size
        assert (r.n_feasible, r.n_valid, r.chunks) == (
            ref.n_feasible,
            ref.n_valid,
            -(-576 // size),
        )


def test_resume_after_stopping_equals_uninterrupted(tmp_path: Path) -> None:
    ref = sweep("tiny", "resnet50", chunk_size=50, out=tmp_path / "ref")
    out = tmp_path / "run"
    part = sweep("tiny", "resnet50", chunk_size=50, out=out, stop_after=4)
    assert not (out / "front.csv").exists()  # unfinished: no output yet
    assert len(list((out / "chunks").glob("chunk-*.npz"))) == 4
    assert part.n_feasible < ref.n_feasible
    # a stray temp file from a killed writer, and a damaged chunk file
    (out / "chunks" / ".chunk-00000005.npz.tmp-999").write_bytes(b"half")
    (out / "chunks" / "chunk-00000002.npz").write_bytes(b"not an npz")
    done = sweep("tiny", "resnet50", chunk_size=50, out=out)
    assert done.chunks_resumed == 3
    pd.testing.assert_frame_equal(done.front, ref.front)
    assert _tree(out)["front.csv"] == _tree(tmp_path / "ref")["front.csv"]
    assert not list((out / "chunks").glob(".*tmp*"))
    again = sweep("tiny", "resnet50", chunk_size=50, out=out)
    assert again.chunks_resumed == again.chunks and again.n_evaluated == 0
    pd.testing.assert_frame_equal(again.front, ref.front)


@pytest.mark.slow
def test_kill_9_then_rerun_equals_uninterrupted(tmp_path: Path) -> None:
    space = tmp_path / "killtest.toml"
    space.write_text(SPACE_TOML)
    args = ["sweep", "--space", str(space), "--workload", "resnet18"]
    args += ["--chunk-size", "1024", "--quiet"]
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tldse.cli", *args, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    chunks = out / "chunks"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if chunks.is_dir() and len(list(chunks.glob("chunk-*.npz"))) >= 3:
            break
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)  # kill -9 (no-op if it already ended)
    _, err = proc.communicate()  # reads and closes the stderr pipe
    assert proc.returncode == -signal.SIGKILL, err
    finished = list(chunks.glob("chunk-*.npz"))
    assert 3 <= len(finished) < 42  # killed part-way through
    assert not (out / "front.csv").exists() and not (out / "best.json").exists()
    for path in finished:  # every file that looks finished is whole
        with np.load(path) as data:
            assert "front_index" in data
    assert main([*args, "--out", str(out)]) == 0
    assert main([*args, "--out", str(tmp_path / "ref")]) == 0
    assert (out / "front.csv").read_bytes() == (
        tmp_path / "ref" / "front.csv"
    ).read_bytes()
    assert (out / "best.json").read_bytes() == (
        tmp_path / "ref" / "best.json"
    ).read_bytes()


def test_a_different_sweep_in_the_same_dir_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "s"
    sweep("tiny", "resnet18", out=out, stop_after=1, chunk_size=100)
    with pytest.raises(SweepError, match=r"differs in: constraints, objectives"):
        sweep(
            "tiny",
            "resnet18",
            out=out,
            chunk_size=100,
            objectives="edp,area",
            constraints="area_mm2<=1",
        )
    with pytest.raises(SweepError, match=r"differs in: chunk_size"):
        sweep("tiny", "resnet18", out=out, chunk_size=10)
    with pytest.raises(SweepError, match=r"differs in: workload"):
        sweep("tiny", "alexnet", out=out, chunk_size=100)
    r = sweep("tiny", "alexnet", out=out, chunk_size=100, overwrite=True)
    assert r.chunks_resumed == 0 and (out / "front.csv").exists()
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "front.csv").write_text("mine\n")
    with pytest.raises(SweepError, match=r"no manifest\.json"):
        sweep("tiny", "resnet18", out=stray, chunk_size=100)
    assert (stray / "front.csv").read_text() == "mine\n"


def test_outputs_save_all_and_per_layer(tmp_path: Path) -> None:
    out = tmp_path / "o"
    r = tldse.sweep("tiny", "resnet18", out=out, save_all=True, chunk_size=200)
    parts = sorted((out / "all").glob("part-*.parquet"))
    assert len(parts) == 3
    every = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    assert every["index"].tolist() == list(range(576))
    assert set(every["status"]) <= set(tldse.STATUS_NAMES)
    on_front = every.set_index("index").loc[r.front["index"]]
    np.testing.assert_allclose(on_front["energy_uj"], r.front["energy_uj"])
    front = pd.read_csv(out / "front.csv")
    assert list(front["index"]) == sorted(front["index"])
    for col in (*tldse.CONFIG_COLUMNS, *METRICS, "ties"):
        assert col in front.columns
    best = json.loads((out / "best.json").read_text())
    assert set(best["best"]) == {"latency", "energy", "area"}
    assert best["designs"] == 576 and best["front_size"] == len(front)
    assert (out / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    layers = r.per_layer()
    wl = tldse.workloads.get("resnet18")
    assert len(layers) == len(r.front) * len(wl)
    total = (layers["latency_cycles"] * layers["count"]).groupby(layers["index"]).sum()
    np.testing.assert_allclose(total.to_numpy(), r.front["latency_cycles"].to_numpy())


@pytest.mark.slow  # the whole edge space (387,072 designs)
def test_cli_default_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Its speed (a few seconds here) is measured by benchmarks/test_sweep.py, not here.
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "resnet18" in out and "edge" in out and "Pareto front" in out
    assert "best latency:" in out and "best area:" in out
    assert (tmp_path / "sweep-resnet18-edge" / "front.csv").exists()


def test_cli_options_and_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli"
    args = ["sweep", "--space", "tiny", "--out", str(out), "--quiet"]
    assert main([*args, "--objectives", "edp,area", "--per-layer", "--top", "3"]) == 0
    text = capsys.readouterr().out
    assert "3 of" in text or "Pareto front" in text
    assert (out / "front_layers.csv").exists()
    assert main(["sweep", "--list-spaces"]) == 0
    assert "cloud" in capsys.readouterr().out
    for bad, msg in [
        (["--constraint", "area<=1"], "unknown metric 'area'"),
        (["--objectives", "speed"], "unknown 'speed'"),
        (["--space", "nope"], "unknown space 'nope'"),
        (["--workload", "resnet7"], "resnet7"),
        (["--objectives", "latency,energy"], "differs in: objectives"),
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
    ]:
        assert main([*args, *bad]) == 2
        assert msg in capsys.readouterr().err
