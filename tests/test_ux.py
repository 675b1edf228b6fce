"""What a user of the ``tldse`` command sees: arguments checked before any
work, plurals, default output folders, warnings as one line, the sweep's and
explore's files when nothing is feasible, the slow-prediction warning, the
explore report's charts and readable log axes."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import tldse
from tldse.cli.main import main

BAD_SPACE = """
name = "nothing_fits"
[params]
pe_rows = [4, 8]
glb_bytes = [16, 32]
"""

ONE_DESIGN = """
name = "one"
[params]
pe_rows = [8]
"""


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_explore_checks_the_budget_before_saying_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "e"
    rc, stdout, err = _run(capsys, "explore", "--budget", "0", "--out", str(out))
    assert rc == 2
    assert err.strip() == "tldse: error: --budget must be >= 1, got 0"
    assert stdout == "" and not out.exists()


def test_one_design_is_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    space = tmp_path / "one.toml"
    space.write_text(ONE_DESIGN)
    rc, out, _ = _run(capsys, "sweep", "--space", str(space), "--out",
                      str(tmp_path / "s"), "--quiet")  # fmt: skip
    assert rc == 0
    assert "1 design evaluated" in out and "Pareto front over" in out
    assert ": 1 design" in out and "(1 design, 1 parameter)" in out
    assert "1 designs" not in out and "1 parameters" not in out


def test_nothing_feasible_writes_files_without_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # pytest turns every warning into an error here (filterwarnings = error)
    space = tmp_path / "bad.toml"
    space.write_text(BAD_SPACE)
    rc, out, _ = _run(capsys, "sweep", "--space", str(space), "--out",
                      str(tmp_path / "s"), "--quiet")  # fmt: skip
    assert rc == 0 and "0 feasible" in out and "no design meets" in out
    assert (tmp_path / "s" / "pareto.png").stat().st_size > 0
    rc, out, _ = _run(capsys, "sweep", "--space", str(space), "--out",
                      str(tmp_path / "s"), "--quiet", "--format", "csv")  # fmt: skip
    header = (tmp_path / "s" / "front.csv").read_text().splitlines()
    assert rc == 0 and out.splitlines() == header  # the columns, no rows
    rc, _, _ = _run(capsys, "explore", "--space", str(space), "--budget", "3",
                    "--out", str(tmp_path / "e"), "--quiet")  # fmt: skip
    assert rc == 0
    report = (tmp_path / "e" / "report.md").read_text()
    assert "Pareto front: 0 designs" in report
    assert (tmp_path / "e" / "pareto.png").stat().st_size > 0


def test_a_warning_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tldse.cli import simulate as cli_simulate

    real = cli_simulate.simulate

    def warns(*args: object, **kwargs: object) -> object:
        warnings.warn("something to know", UserWarning, stacklevel=2)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli_simulate, "simulate", warns)
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # shown, not raised (pytest: error)
        rc, _, err = _run(capsys, "simulate", "--workload", "alexnet")
    assert rc == 0
    assert err == "tldse: warning: something to know\n"


def test_torch_threads_argument_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _run(capsys, "train", "no-such-dataset", "--threads", "-1")
    assert rc == 2 and "--threads must be >= 0" in err


def test_default_output_folders(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    rc, _, err = _run(capsys, "dataset", "--space", "tiny", "--workloads",
                      "alexnet", "--configs", "24", "--no-progress")  # fmt: skip
    assert rc == 0 and "-> dataset-alexnet-tiny" in err
    assert (tmp_path / "dataset-alexnet-tiny" / "manifest.json").exists()
    rc, out, _ = _run(capsys, "train", "dataset-alexnet-tiny", "--epochs", "2",
                      "--no-progress", "--hidden", "8")  # fmt: skip
    assert rc == 0 and "saved to train-alexnet-tiny" in out
    assert (tmp_path / "train-alexnet-tiny" / "model.json").exists()


def test_train_says_how_many_torch_threads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import torch

    from tldse.learn.features import PAIR_FEATURES
    from tldse.learn.model import Surrogate
    from tldse.learn.train import TrainConfig, fit

    assert TrainConfig().threads == 1
    before = torch.get_num_threads()
    x = np.random.default_rng(0).normal(size=(64, len(PAIR_FEATURES)))
    y = np.random.default_rng(1).normal(size=(64, 2))
    model = Surrogate.create(PAIR_FEATURES, ("latency", "energy"), hidden=(8,))
    fit(model, x, y, TrainConfig(epochs=1, progress=True))
    assert "(cpu, 1 torch thread)" in capsys.readouterr().err
    assert torch.get_num_threads() == before  # restored


# ---------------------------------------------------------------- the sweep ETA


def test_chunk_costs_follow_the_dataflow_mix() -> None:
    from tldse.search.sweep import DATAFLOW_COST, RS_EXHAUSTIVE_COST, chunk_costs
    from tldse.space import DesignSpace

    rs = DATAFLOW_COST["rs"]
    space = DesignSpace({"dataflow": ["ws", "rs"], "pe_rows": [4, 8, 16, 32]})
    # index order: dataflow changes slowest, so designs 0-3 are ws, 4-7 rs
    np.testing.assert_allclose(chunk_costs(space, 4), [4.0, 4 * rs])
    np.testing.assert_allclose(chunk_costs(space, 3), [3.0, 1.0 + 2 * rs, 2 * rs])
    np.testing.assert_allclose(
        chunk_costs(space, 8, "exhaustive"), [4.0 + 4 * RS_EXHAUSTIVE_COST]
    )
    fixed = DesignSpace({"pe_rows": [4, 8, 16]}, base=tldse.Accelerator(dataflow="rs"))
    np.testing.assert_allclose(chunk_costs(fixed, 2), [2 * rs, rs])


# ---------------------------------------------------------------- explore


def test_slow_per_layer_prediction_is_warned_with_an_estimate() -> None:
    from tldse.exploration.problem import Problem
    from tldse.exploration.surrogate import (
        PrunedConfig,
        SlowPredictionWarning,
        _new_model,
        _warn_slow,
    )

    problem = Problem.create("tiny", "resnet18")
    cfg = PrunedConfig(chunk_size=4096)
    model = _new_model(cfg, 0, True)
    rows = 576 * 12  # designs x ResNet-18's distinct layer shapes
    with pytest.warns(SlowPredictionWarning) as got:
        _warn_slow(problem, problem.folded, model, cfg, rows, 12, True)
    text = str(got[0].message)
    assert "6,912 model rows per round (576 designs x 12 layer shapes)" in text
    assert "up to 12 rounds take about" in text and "rows/s" in text
    assert "--model" in text


def test_explore_report_breaks_down_the_chosen_design(tmp_path: Path) -> None:
    from tldse.reporting.explore import LEVELS, energy_by_level

    res = tldse.explore("tiny", ["resnet18", "alexnet"], budget=40,
                        method="random", out=tmp_path)  # fmt: skip
    report = (tmp_path / "report.md").read_text()
    assert "![energy by level](energy_by_level.png)" in report
    assert "![latency split](latency_split.png)" in report
    for name in ("energy_by_level.png", "latency_split.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    best = json.loads((tmp_path / "best.json").read_text())["best"]["latency"]
    assert f"index {best['index']})" in report
    assert len(res.front)
    # the levels add up to the C++ core's total of every layer and dataflow
    for flow in ("ws", "os", "is", "rs"):
        rep = tldse.simulate(tldse.Accelerator(dataflow=flow), "resnet18")
        for layer in rep.layers:
            parts = energy_by_level(layer)
            assert list(parts) == list(LEVELS)
            assert sum(parts.values()) == pytest.approx(
                layer.metrics["energy_pj"], rel=1e-9
            )


# ---------------------------------------------------------------- plots


def _labels(axis: object) -> list[str]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    ax = axis.axes  # type: ignore[attr-defined]
    FigureCanvasAgg(ax.figure).draw()
    lo, hi = sorted(axis.get_view_interval())  # type: ignore[attr-defined]
    major = [t for t in axis.get_major_ticks() if lo <= t.get_loc() <= hi]  # type: ignore[attr-defined]
    minor = [t.label1.get_text() for t in axis.get_minor_ticks()]  # type: ignore[attr-defined]
    assert not any(minor), minor  # minor ticks never carry a label
    return [t.label1.get_text() for t in major]


def test_log_axes_have_plain_labels_that_do_not_crowd() -> None:
    from tldse.reporting.plots import figure, log_axes

    fig = figure()
    ax = fig.subplots()
    ax.plot([50, 5000], [2.5, 60])  # x: 2 decades, y: 1.4 decades
    log_axes(ax)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert _labels(ax.yaxis) == ["5", "10", "20", "50"]
    assert _labels(ax.xaxis) == ["100", "1000"]
    ax2 = figure().subplots()
    ax2.plot([1, 2], [1e3, 1e8])
    log_axes(ax2, x=False)
    assert ax2.get_xscale() == "linear"
    assert _labels(ax2.yaxis)[-1] == "$10^{8}$" and "1000" in _labels(ax2.yaxis)
    ax3 = figure().subplots()
    ax3.plot([1, 2], [np.nan, np.nan])
    log_axes(ax3)  # no positive data: the axes stay linear, nothing raised
    assert ax3.get_yscale() == "linear"


@pytest.mark.parametrize(
    "argv",
    [
        ["sweep"],
        ["explore"],
        ["dataset", "d"],
        ["train", "d"],
        ["compare", "--evaluator", "zigzag"],
        ["pretrain"],
        ["experiment", "transfer"],
        ["experiment", "search"],
        ["experiment", "fidelity"],
    ],
)
def test_quiet_and_no_progress_mean_the_same(argv: list[str]) -> None:
    """One vocabulary: every long command takes --quiet and --no-progress alike."""
    from tldse.cli.main import build_parser

    parser = build_parser()
    for flag in ("--quiet", "--no-progress"):
        assert parser.parse_args([*argv, flag]).quiet is True
    assert parser.parse_args(argv).quiet is False
