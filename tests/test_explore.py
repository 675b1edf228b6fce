"""tldse explore: surrogate-pruned search, baselines, report, experiment, CLI."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from tldse.exploration.baselines import exhaustive_search
from tldse.exploration.problem import Problem, SearchError
from tldse.exploration.surrogate import PrunedConfig, surrogate_search

pytestmark = pytest.mark.slow  # torch training, Dask or experiments

FAST = PrunedConfig(epochs=30, finetune_epochs=10, rounds=3, hidden=(32, 32))
FAST_NET = dataclasses.replace(FAST, granularity="network", rounds_network=3)
CONS = "area_mm2<=1.5"


@pytest.fixture(scope="module")
def problem() -> Problem:
    return Problem.create(
        "tiny", "alexnet", objectives="latency,energy", constraints=CONS
    )


@pytest.fixture(scope="module")
def runs(problem: Problem) -> dict[str, object]:
    from tldse.exploration.baselines import nsga2_search, random_search

    return {
        "surrogate": surrogate_search(problem, 60, seed=3, config=FAST),
        "surrogate-network": surrogate_search(problem, 60, seed=3, config=FAST_NET),
        "random": random_search(problem, 60, seed=3),
        "nsga2": nsga2_search(problem, 60, seed=3),
    }


def test_answer_is_only_simulated_designs(problem, runs):
    for res in runs.values():
        idx = res.front_indices()
        assert len(idx) > 0
        assert np.isin(idx, res.indices).all()
        again = problem.simulate(idx)  # the reported metrics are simulated ones
        cols = ["latency_ms", "energy_uj", "area_mm2"]
        np.testing.assert_allclose(
            res.front[cols].to_numpy(),
            again[:, [1, 2, 4]],
            rtol=1e-12,
        )


def test_constraints_always_hold_on_the_answer(problem, runs):
    for res in runs.values():
        again = problem.simulate(res.front_indices())
        assert problem.valid(again).all()
        assert (res.front["area_mm2"] <= 1.5).all()


def test_budget_respected_by_every_method(problem, runs, monkeypatch):
    for res in runs.values():
        assert res.n_simulations <= 60
        assert len(set(res.indices.tolist())) == res.n_simulations
    # count what really reaches the simulator
    from tldse.exploration.baselines import nsga2_search, random_search

    calls: list[int] = []
    real = Problem.simulate_parts

    def counting(self, indices):
        calls.append(len(np.asarray(indices)))
        return real(self, indices)

    monkeypatch.setattr(Problem, "simulate_parts", counting)
    for search in (nsga2_search, random_search):
        calls.clear()
        res = search(problem, 37, seed=1)
        assert sum(calls) == res.n_simulations <= 37
    calls.clear()
    res = surrogate_search(problem, 45, seed=1, config=FAST)
    assert sum(calls) == res.n_simulations <= 45


def test_budget_equal_to_space_gives_the_exhaustive_front(problem):
    from tldse.search.sweep import sweep

    ref = sweep("tiny", "alexnet", objectives="latency,energy", constraints=CONS)
    res = surrogate_search(problem, len(problem.space), seed=0, config=FAST)
    assert res.n_simulations == len(problem.space)
    assert res.front_indices().tolist() == ref.front["index"].tolist()
    ex = exhaustive_search(problem)
    assert ex.front_indices().tolist() == ref.front["index"].tolist()


def test_equal_seeds_equal_results(problem, runs):
    from tldse.exploration.baselines import nsga2_search, random_search

    again = {
        "surrogate": surrogate_search(problem, 60, seed=3, config=FAST),
        "surrogate-network": surrogate_search(problem, 60, seed=3, config=FAST_NET),
        "random": random_search(problem, 60, seed=3),
        "nsga2": nsga2_search(problem, 60, seed=3),
    }
    for name, res in again.items():
        assert res.indices.tolist() == runs[name].indices.tolist(), name
        assert res.front_indices().tolist() == runs[name].front_indices().tolist()


def test_surrogate_finds_the_edp_optimum_on_tiny():
    p = Problem.create("tiny", "resnet18", objectives="edp")
    best = exhaustive_search(p).best["edp"]["edp_uj_ms"]
    res = surrogate_search(p, 60, seed=0, config=FAST)
    assert res.best["edp"]["edp_uj_ms"] <= best * 1.05


def test_bad_strings_are_rejected_with_valid_names():
    from tldse import explore

    with pytest.raises(ValueError, match=r"valid: latency, energy, area"):
        explore("tiny", "alexnet", objectives="latency,speed", budget=10)
    with pytest.raises(ValueError, match=r"valid metrics: .*area_mm2"):
        explore("tiny", "alexnet", constraints=["areaa<=3"], budget=10)
    with pytest.raises(ValueError, match="valid: auto, surrogate, exhaustive"):
        explore("tiny", "alexnet", method="annealing", budget=10)
    with pytest.raises(SearchError, match="cannot predict dram_bytes"):
        surrogate_search(Problem.create("tiny", "alexnet", objectives="dram_bytes"), 10)


def test_cli_rejects_bad_strings(capsys):
    from tldse.cli import main

    assert main(["explore", "--space", "tiny", "--objectives", "speed"]) == 2
    assert "valid: latency" in capsys.readouterr().err
    assert main(["explore", "--space", "tiny", "--constraint", "x<1"]) == 2
    assert "valid metrics" in capsys.readouterr().err


def test_explore_writes_the_report(tmp_path):
    from tldse.cli import main

    out = tmp_path / "ex"
    argv = ["explore", "--space", "tiny", "--workload", "alexnet,resnet18*2"]
    argv += ["--budget", "50", "--constraint", CONS, "--out", str(out), "--quiet"]
    argv += ["--method", "surrogate"]
    assert main(argv) == 0
    names = ["report.md", "front.csv", "simulated.csv", "best.json"]
    names += ["layers.csv", "pareto.png", "parity.png", "model/model.json"]
    for name in names:
        assert (out / name).exists(), name
    text = (out / "report.md").read_text()
    assert "tldse explore --space tiny --workload 'alexnet,resnet18*2'" in text
    assert "Per-layer breakdown" in text and "parity.png" in text
    best = json.loads((out / "best.json").read_text())
    assert best["simulations"] <= 50
    assert best["reported_meet_constraints_resimulated"] == 1.0
    assert best["weights"] == [1.0, 2.0]


def test_model_reuse(tmp_path):
    from tldse import explore
    from tldse.learn import Surrogate

    explore("tiny", "alexnet", budget=40, out=tmp_path / "a", method="surrogate")
    model = Surrogate.load(tmp_path / "a" / "model")
    p = Problem.create("tiny", "resnet18", objectives="edp")
    res = surrogate_search(p, 30, model=model, config=FAST)
    assert res.n_simulations <= 30 and len(res.front) == 1
    assert res.granularity == "layer"
    # a per-network model is used as one, whatever the configured granularity
    explore(
        "tiny", "alexnet", budget=40, out=tmp_path / "b", granularity="network",
        method="surrogate",
    )  # fmt: skip
    net = Surrogate.load(tmp_path / "b" / "model")
    assert len(net.feature_names) < len(model.feature_names)
    res = surrogate_search(p, 30, model=net, config=FAST)
    assert res.n_simulations <= 30 and len(res.front) == 1
    assert res.granularity == "network"


def test_experiment_tiny(tmp_path):
    from tldse.experiments.search import run_experiment

    data = run_experiment(
        "tiny", tmp_path, seeds=[0], workloads=["alexnet"], plots=True
    )
    assert (tmp_path / "results.md").exists()
    assert (tmp_path / "best_so_far.png").exists()
    assert json.loads((tmp_path / "results.json").read_text())["budget"] == 58
    for r in data["runs"]:
        assert r["simulations"] <= (58 if r["method"] != "nsga2-long" else 580)
        assert r["all_reported_valid"]


def test_one_parser_holds_every_command():
    from tldse.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["experiment", "search", "--size", "tiny"])
    assert args.size == "tiny"
    assert parser.parse_args(["experiment", "transfer"]).out is None  # per --size
    assert parser.parse_args(["explore"]).method == "auto"


def test_old_weight_syntax_is_explained(capsys):
    from tldse.cli import main

    assert main(["explore", "--space", "tiny", "--workload", "resnet18:2"]) == 2
    assert "a weight is written resnet18*2" in capsys.readouterr().err


@pytest.mark.parametrize("granularity", ["layer", "network"])
def test_killed_explore_resumes_without_simulating_twice(
    tmp_path, monkeypatch, granularity
):
    from tldse import _core, explore, sim

    kw = {"objectives": "latency,energy", "constraints": [CONS], "budget": 60}
    kw["method"] = "surrogate"
    kw["granularity"] = granularity
    whole = explore("tiny", "alexnet", out=tmp_path / "whole", **kw)
    lines = (tmp_path / "whole" / "simulations.jsonl").read_text().splitlines()
    kinds = [next(k for k in ("m", "l") if k in json.loads(x)) for x in lines[1:]]
    # a header, one network record per design, and per-layer ones in layer mode
    n_m, n_l = kinds.count("m"), kinds.count("l")
    assert n_m == whole.n_simulations <= 60
    assert (n_l > 30) if granularity == "layer" else (n_l == 0)
    # a run killed after 44 records, mid-way through writing the 45th line
    out = tmp_path / "killed"
    out.mkdir()
    torn = "\n".join(lines[:45]) + "\n" + lines[45][:9]
    (out / "simulations.jsonl").write_text(torn)
    kept = {
        k: {
            int(json.loads(x)["i"])
            for x, kk in zip(lines[1:45], kinds, strict=False)
            if kk == k
        }
        for k in ("m", "l")
    }
    # every design that reaches the simulator, whichever path it takes
    simulated: list[int] = []
    real = _core.evaluate

    def counting(configs, *args, **kwargs):
        simulated.append(len(configs))
        return real(configs, *args, **kwargs)

    monkeypatch.setattr(sim._core, "evaluate", counting)
    reported: list[int] = []
    breakdown = _core.report_breakdown

    def counting_report(configs, *args, **kwargs):
        reported.append(len(configs))
        return breakdown(configs, *args, **kwargs)

    monkeypatch.setattr(sim._core, "report_breakdown", counting_report)
    again = explore("tiny", "alexnet", out=out, **kw)
    assert sum(simulated) == n_m - len(kept["m"]) + n_l - len(kept["l"])
    assert reported == [1]  # the report's per-layer breakdown of its chosen design
    assert again.indices.tolist() == whole.indices.tolist()
    np.testing.assert_array_equal(again.metrics, whole.metrics)
    assert again.front_indices().tolist() == whole.front_indices().tolist()
    # a third run simulates nothing; --fresh simulates everything again
    simulated.clear()
    reported.clear()
    explore("tiny", "alexnet", out=out, **kw)
    assert simulated == [] and reported == [1]
    simulated.clear()
    explore("tiny", "alexnet", out=out, fresh=True, **kw)
    assert sum(simulated) == n_m + n_l


def test_simulation_file_ending_without_newline(tmp_path) -> None:
    from tldse.exploration.problem import SimulationCache

    p = Problem.create("tiny", "alexnet")
    path = tmp_path / "sims.jsonl"
    c = SimulationCache(path, p)
    first = np.arange(5, dtype=np.int64)
    c.put(first, p.simulate_parts(first))
    # killed after the last record but before its newline
    path.write_text(path.read_text()[:-1])
    c = SimulationCache(path, p)
    assert len(c) == 5
    more = np.arange(5, 10, dtype=np.int64)
    c.put(more, p.simulate_parts(more))
    again = SimulationCache(path, p)
    assert len(again) == 10
    np.testing.assert_array_equal(
        np.concatenate(again.get(np.arange(10))),
        np.concatenate(p.simulate_parts(np.arange(10))),
    )
    # killed while writing the header: an empty file starts afresh
    path.write_text("")
    assert len(SimulationCache(path, p)) == 0


def test_no_feasible_design_in_the_first_sample(monkeypatch):
    p = Problem.create("tiny", "alexnet", objectives="edp")
    real = Problem._simulate_parts
    calls = []

    def first_all_infeasible(self, idx):
        out = real(self, idx)
        if not calls:
            out = [np.full_like(m, np.nan) for m in out]
        calls.append(len(idx))
        return out

    monkeypatch.setattr(Problem, "_simulate_parts", first_all_infeasible)
    cfg = dataclasses.replace(FAST_NET, min_init=8)
    res = surrogate_search(p, 40, seed=0, config=cfg)
    assert res.n_simulations <= 40 and len(res.front) == 1
    assert res.rounds[0]["near_front"] == "-"  # a sampling round came first


def test_device_and_granularity_errors(tmp_path, capsys):
    from tldse.cli import main

    argv = ["explore", "--space", "tiny", "--budget", "20", "--quiet"]
    argv += ["--method", "surrogate"]
    assert main([*argv, "--device", "gpu", "--out", str(tmp_path / "a")]) == 2
    assert "expected cpu, cuda, cuda:N or auto" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()  # nothing written before the check
    assert main([*argv, "--out", str(tmp_path / "m")]) == 0  # a per-layer model
    bad = [*argv, "--model", str(tmp_path / "m" / "model"), "--granularity"]
    assert main([*bad, "network", "--out", str(tmp_path / "b")]) == 2
    assert "disagrees with the --model" in capsys.readouterr().err


def test_simulation_file_of_another_problem_is_refused(tmp_path):
    from tldse import explore

    kw = {"budget": 20, "out": tmp_path, "method": "random"}
    explore("tiny", "alexnet", **kw)
    with pytest.raises(SearchError, match=r"differs in: workloads"):
        explore("tiny", "resnet18", **kw)
    # objectives and constraints may change: the simulations are reused
    explore("tiny", "alexnet", objectives="edp", **kw)
    (tmp_path / "simulations.jsonl").write_text("latency,energy\n1,2\n")
    with pytest.raises(SearchError, match="not a tldse simulation file"):
        explore("tiny", "alexnet", **kw)


def test_cuda_without_a_gpu_fails_before_simulating(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    from tldse.cli import main

    out = tmp_path / "ex"
    argv = ["explore", "--space", "tiny", "--budget", "20", "--device", "cuda"]
    assert main([*argv, "--out", str(out), "--quiet"]) == 2
    assert "no CUDA device" in capsys.readouterr().err
    assert not out.exists()  # the device is checked before anything is written
