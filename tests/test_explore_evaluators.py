"""``explore`` with an evaluator: the budget counts evaluated designs, results go
to the evaluation store and resume, failures are recorded and the run goes on, the
report says where the time went; ``method="auto"`` picks exhaustive only where the
analytical model can sweep the space cheaply."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

import tldse
from tldse.evaluators import CommandEvaluator
from tldse.exploration.api import choose_method
from tldse.exploration.problem import Problem, SearchError
from tldse.workloads import Layer, Workload

FAKE = Path(__file__).parent / "fake_evaluator.py"
NET = Workload(
    "fakenet",
    [
        Layer.conv("a", c=8, k=16, h=16, r=3),
        Layer.conv("b", c=4, k=8, h=8, r=1, count=3),
        Layer.gemm("g", 20, 12, 6),
    ],
)


def fake(**settings: object) -> CommandEvaluator:
    return CommandEvaluator(f"{sys.executable} {FAKE}", settings=settings)


def fake_latency(acc: tldse.Accelerator) -> float:
    """The fake tool's network latency, by hand: ceil(MACs / PEs) + 10 per layer
    occurrence."""
    pes = acc.pe_rows * acc.pe_cols
    return float(
        sum((math.ceil(layer.macs / pes) + 10) * layer.count for layer in NET.layers)
    )


@pytest.mark.slow
def test_explore_with_an_expensive_evaluator(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    out = tmp_path / "ex"
    kw = {"objectives": "latency,area", "budget": 30, "out": out, "jobs": 2,
          "pretrained": "tiny"}  # fmt: skip
    res = tldse.explore("tiny", NET, evaluator=fake(log=str(log)), **kw)  # type: ignore[arg-type]
    assert res.method == "surrogate" and "expensive evaluator" in res.method_reason
    assert res.n_simulations <= 30
    # rs designs fail in the fake tool: recorded, never on the front, run goes on
    configs = res.problem.space.configs(res.indices)
    rs = configs[:, tldse.CONFIG_COLUMNS.index("dataflow")] == 3
    assert rs.any() and np.isnan(res.metrics[rs, 0]).all()
    front = res.front
    assert len(front) and (front["dataflow"] != "rs").all()
    for _, row in front.iterrows():  # the evaluator's numbers, checked by hand
        acc = tldse.Accelerator(
            **{c: row[c] for c in tldse.CONFIG_COLUMNS if c != "dataflow"},
            dataflow=row["dataflow"],
        )
        assert row["latency_cycles"] == fake_latency(acc)
    summary = res.evaluator_summary()
    assert summary["name"].startswith("command:") and summary["failed_pairs"] > 0
    text = (out / "report.md").read_text()
    assert "waiting for the evaluator" in text and "tldse's own work" in text
    assert (out / "evaluations.sqlite").is_file()
    # a rerun evaluates nothing twice: the tool is not called again
    calls = log.read_text().count("start")
    again = tldse.explore("tiny", NET, evaluator=fake(log=str(log)), **kw)  # type: ignore[arg-type]
    assert log.read_text().count("start") == calls
    assert again.front_indices().tolist() == res.front_indices().tolist()


def test_metrics_the_evaluator_does_not_report_are_refused() -> None:
    with pytest.raises(SearchError, match=r"does not report what energy needs"):
        Problem.create("tiny", "alexnet", objectives="latency,energy",
                       evaluator="scalesim")  # fmt: skip
    with pytest.raises(SearchError, match="power_mw<=5"):
        Problem.create("tiny", "alexnet", objectives="latency",
                       constraints="power_mw<=5", evaluator="scalesim")  # fmt: skip
    p = Problem.create("tiny", "alexnet", objectives="latency,area",
                       evaluator="scalesim")  # fmt: skip
    assert "energy_uj" not in p.available_metrics()
    # the analytical model needs no evaluator object (the direct C++ path)
    assert Problem.create("tiny", "alexnet", evaluator="analytical").evaluator is None


def test_auto_picks_exhaustive_only_where_a_sweep_is_cheaper(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = Problem.create("tiny", "alexnet")
    assert choose_method(p, 10_000)[0] == "exhaustive"  # the budget covers it
    method, why = choose_method(p, 50)
    assert method == "exhaustive" and "exact front is cheapest" in why
    from tldse.exploration import api

    monkeypatch.setattr(api, "estimate_sweep_seconds", lambda _p: 1e6)
    method, why = choose_method(p, 50)
    assert method == "surrogate" and "~1e+06 CPU-s" in why
    ev = Problem.create("tiny", "alexnet", evaluator=fake())
    assert choose_method(ev, 50)[0] == "surrogate"


def test_estimate_of_a_sweep_scales_with_the_space() -> None:
    from tldse.exploration.api import estimate_sweep_seconds

    small = Problem.create("tiny", "alexnet")
    t = estimate_sweep_seconds(small)
    assert 0 < t < 60  # 576 designs x 5 layers: milliseconds, with slack for load


@pytest.mark.slow
def test_default_explore_is_the_exact_front_of_the_sweep(tmp_path: Path) -> None:
    """``tldse explore`` with no arguments: exhaustive, the sweep's front."""
    res = tldse.explore(out=tmp_path / "ex")
    assert res.method == "exhaustive" and res.method_reason.startswith("auto:")
    sweep = tldse.sweep("edge", "resnet18")
    cols = ["latency_ms", "energy_uj", "area_mm2"]
    a = res.front.sort_values(cols)[cols].to_numpy()
    b = sweep.front.sort_values(cols)[cols].to_numpy()
    np.testing.assert_array_equal(a, b)
    assert not (tmp_path / "ex" / "simulated.csv").exists()  # no 387k-row file
    assert "exhaustive" in (tmp_path / "ex" / "report.md").read_text()


@pytest.mark.slow
def test_search_against_an_evaluator_uses_the_transferred_model(
    tmp_path: Path,
) -> None:
    """The surrogate of an expensive evaluator is the pretrained model
    transferred to its samples: it starts from the references' fronts, chooses
    a candidate by cross-validation, and finds the evaluator's optimum (checked
    by hand over the whole space) evaluating under a fifth of the designs."""
    space = tldse.DesignSpace(
        {"dataflow": ["ws", "os"], "pe_rows": [4, 8, 16, 32],
         "pe_cols": [4, 8, 16, 32], "glb_bytes": [65536]}
    )  # fmt: skip
    from tldse.search.results import design_areas_um2

    configs = space.configs(np.arange(len(space)))
    accs = [tldse.Accelerator.from_row(r) for r in configs]
    area = design_areas_um2(space) * 1e-6
    bound = float(np.median(area))
    lat = np.array([fake_latency(a) for a in accs])
    best = float(lat[area <= bound].min())
    res = tldse.explore(
        space, NET, evaluator=fake(), objectives="latency",
        constraints=[f"area_mm2<={bound}"], budget=6, method="surrogate",
        pretrained="tiny", out=tmp_path / "ex",
    )  # fmt: skip
    assert res.n_simulations <= 6
    fid = res.fidelity
    assert fid is not None and fid["model"] == "fidelity" and fid["chosen"]
    assert fid["fits"] and fid["samples"] >= 3 * len(NET.layers)
    assert float(res.best["latency"]["latency_cycles"]) == best
    assert "fidelity" in res.summary()


def test_fidelity_search_starts_depend_on_the_seed() -> None:
    # each reference's front gives its first design whatever the seed; the rest
    # of the starting designs are drawn by the seed (the same seed, the same)
    from tldse.exploration.baselines import front_layers
    from tldse.exploration.fidelity import EVALUATOR_REFERENCES, FidelityLearner
    from tldse.learn.fidelity import FeatureSet, FidelityModel
    from tldse.search.results import design_areas_um2

    space = tldse.DesignSpace(
        {"dataflow": ["ws", "os", "is"], "pe_rows": [2, 4, 8, 16, 32],
         "pe_cols": [2, 4, 8, 16, 32], "glb_bytes": [16384, 65536]}
    )  # fmt: skip
    problem = Problem.create(space, NET, objectives="latency,area", evaluator=fake())
    pre = FidelityModel(FeatureSet(("pair",)), "prior", ("latency",))
    area = design_areas_um2(space)

    def starts(seed: int) -> list[int]:
        learner = FidelityLearner(problem, pretrained=pre, seed=seed)
        got = learner.seed_designs(12, area, 4096)
        assert len(got) == 12 and len(set(got.tolist())) == 12
        return sorted(got.tolist())

    runs = [starts(s) for s in (0, 1, 2)]
    assert runs[0] == starts(0)
    assert runs[0] != runs[1] and runs[1] != runs[2] and runs[0] != runs[2]
    # the analytical model's front's first design is in every start
    learner = FidelityLearner(problem, pretrained=pre)
    learner.model = FidelityModel(
        learner.features, EVALUATOR_REFERENCES[0], learner.targets
    )
    pred, _, _ = learner.predict_all(area, 4096)
    first = int(front_layers(problem, pred, 1)[0])
    assert all(first in r for r in runs)
