"""``explore``: search a design space within a simulation budget.

:func:`explore` builds the :class:`~tldse.exploration.problem.Problem`, runs one
method (:data:`METHODS`) and, with ``out``, keeps every simulation in
``out/simulations.jsonl`` as it is made (a killed run re-run with the same ``out``
simulates nothing twice) and writes the data files of the answer
(:func:`write_outputs`: ``front.csv``, ``simulated.csv``, ``best.json``,
``layers.csv``, ``model/``). The report (``report.md`` and its plots) is written by
:func:`tldse.reporting.explore.write_explore_report`; ``tldse.explore`` does both.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tldse._util.io import write_atomic, write_json_atomic
from tldse._util.progress import note
from tldse._util.table import plural
from tldse.arch import EnergyTable, energy_from_spec
from tldse.exploration.baselines import exhaustive_search, nsga2_search, random_search
from tldse.exploration.problem import (
    Lookup,
    Problem,
    SearchError,
    SearchResult,
    SimulationCache,
)
from tldse.exploration.surrogate import PrunedConfig, surrogate_search
from tldse.search.metrics import METRIC_INDEX
from tldse.search.results import results_frame
from tldse.sim import evaluate, per_layer_breakdown
from tldse.space import DesignSpace
from tldse.workloads.fold import fold, unfold
from tldse.workloads.layer import Workload
from tldse.workloads.resolve import parse_workload_list

if TYPE_CHECKING:
    import pandas as pd

    from tldse.evaluators.base import Evaluator
    from tldse.learn.model import Surrogate

METHODS = ("auto", "surrogate", "exhaustive", "random", "nsga2")
DEFAULT_BUDGET = 2000
#: Model rows the surrogate predicts per CPU-second, and its training cost in
#: CPU-seconds, in the estimate ``auto`` compares a sweep with (measured on the
#: 2-core machine, one torch thread). CPU time, not wall time: both sides of the
#: comparison stay in one currency however loaded the machine is.
_PREDICT_ROWS_PER_CPU_S = 5e5
_TRAIN_CPU_S = 10.0


def run_method(
    method: str,
    problem: Problem,
    budget: int,
    *,
    seed: int = 0,
    model: Surrogate | None = None,
    config: PrunedConfig | None = None,
    lookup: Lookup = None,
    progress: bool = False,
) -> SearchResult:
    """One search with one method (see :data:`METHODS`; ``auto`` is resolved by
    :func:`choose_method` first)."""
    if method == "auto":
        method, reason = choose_method(problem, budget)
        note(progress, f"method auto: {method}, {reason}")
        res = run_method(
            method,
            problem,
            budget,
            seed=seed,
            model=model,
            config=config,
            lookup=lookup,
            progress=progress,
        )
        res.method_reason = f"auto: {reason}"
        return res
    if method == "surrogate":
        return surrogate_search(
            problem,
            budget,
            seed=seed,
            model=model,
            config=config,
            lookup=lookup,
            progress=progress,
        )
    if method == "exhaustive":
        return exhaustive_search(problem, lookup=lookup)
    if method == "random":
        return random_search(problem, budget, seed=seed, lookup=lookup)
    if method == "nsga2":
        return nsga2_search(problem, budget, seed=seed, lookup=lookup)
    raise SearchError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")


def choose_method(problem: Problem, budget: int) -> tuple[str, str]:
    """``exhaustive`` where simulating every design is estimated to cost no more
    than the surrogate search (the analytical model, ~microseconds per layer),
    ``surrogate`` otherwise (always for an expensive evaluator); with why."""
    n = len(problem.space)
    if problem.evaluator is not None:
        return "surrogate", (
            f"{problem.evaluator_name} is an expensive evaluator: a surrogate "
            f"chooses which of the {n:,} designs to evaluate"
        )
    if budget >= n:
        return "exhaustive", f"the budget covers all {n:,} designs"
    sweep_s = estimate_sweep_seconds(problem)
    layers = sum(len(w.layers) for w in problem.folded)
    per_layer = n * layers <= PrunedConfig().auto_layer_rows
    rounds = PrunedConfig().rounds if per_layer else PrunedConfig().rounds_network
    rows = n * (layers if per_layer else 1)
    surrogate_s = (
        _TRAIN_CPU_S + rounds * rows / _PREDICT_ROWS_PER_CPU_S + budget * sweep_s / n
    )
    costs = (
        f"simulating all {n:,} designs costs ~{sweep_s:.3g} CPU-s, the surrogate "
        f"search ~{surrogate_s:.3g} CPU-s"
    )
    if sweep_s <= surrogate_s:
        return "exhaustive", f"the exact front is cheapest: {costs}"
    return "surrogate", costs


def estimate_sweep_seconds(problem: Problem, sample: int = 2048) -> float:
    """CPU-seconds to simulate every design of the space, from timing a random
    sample of ``sample`` designs (its dataflow mix is the space's)."""
    n = len(problem.space)
    k = min(n, sample)
    idx = problem.space.sample(k, "random", seed=0)
    t0 = time.process_time()
    problem._simulate_parts(idx)
    return (time.process_time() - t0) * n / max(k, 1)


def _evaluator(
    evaluator: str | Evaluator | None, settings: Mapping[str, Any] | None
) -> Evaluator | None:
    """The evaluator object (``None``: the analytical model)."""
    if evaluator is None:
        if settings:
            raise SearchError("evaluator_settings need an evaluator")
        return None
    from tldse.evaluators import get_evaluator

    if isinstance(evaluator, str):
        return get_evaluator(evaluator, **dict(settings or {}))
    if settings:
        raise SearchError("evaluator_settings go with an evaluator name, not object")
    return evaluator


def _workloads(
    workloads: str | Workload | Sequence[str | Workload],
    weights: Sequence[float] | None,
) -> tuple[list[str | Workload], list[float] | None]:
    """Workload arguments -> (specs, weights): strings may be comma lists and
    carry weights as ``NAME*WEIGHT`` (:func:`tldse.workloads.parse_workload_list`)."""
    items = [workloads] if isinstance(workloads, (str, Workload)) else list(workloads)
    specs: list[str | Workload] = []
    found: list[float] = []
    for item in items:
        if isinstance(item, Workload):
            specs.append(item)
            found.append(1.0)
            continue
        for spec, w in parse_workload_list(item):
            specs.append(spec)
            found.append(w)
    if weights is not None:
        if any(w != 1.0 for w in found):
            raise SearchError(
                "weights: give them as NAME*WEIGHT or as weights=, not both"
            )
        return specs, [float(w) for w in weights]
    return specs, found if any(w != 1.0 for w in found) else None


def explore(
    space: DesignSpace | str | Path = "edge",
    workloads: str | Workload | Sequence[str | Workload] = "resnet18",
    *,
    weights: Sequence[float] | None = None,
    objectives: str | Sequence[str] = "latency,energy,area",
    constraints: Sequence[str] | str | None = None,
    budget: int | None = None,
    method: str = "auto",
    model: str | Path | Surrogate | None = None,
    out: str | Path | None = None,
    seed: int = 0,
    granularity: str = "auto",
    device: str = "cpu",
    fresh: bool = False,
    energy: str | Path | EnergyTable | None = None,
    mapper: str = "heuristic",
    mapper_objective: str = "edp",
    threads: int | None = None,
    evaluator: str | Evaluator | None = None,
    evaluator_settings: Mapping[str, Any] | None = None,
    jobs: int = 1,
    timeout_s: float | None = None,
    scheduler: Any = None,
    store: str | Path | None = None,
    progress: bool = False,
    pretrained: str = "quick",
) -> SearchResult:
    """Searches ``space`` for ``workloads`` within ``budget`` evaluations (default
    ``min(2000, designs)``) and returns the evaluated Pareto front.

    ``evaluator``: who evaluates a design: tldse's analytical model (default), or an
    expensive one (``scalesim``, ``zigzag``, ``command:PATH``, an
    :class:`~tldse.evaluators.Evaluator`; ``evaluator_settings`` are its options),
    run ``jobs`` processes at a time (or on the Dask ``scheduler``) with
    ``timeout_s`` per layer; the budget then counts designs the evaluator runs on
    (each on every distinct layer), and its results are kept in ``store``
    (default ``out/evaluations.sqlite``) as they finish; the surrogate is then
    the fidelity model pretrained on the analytical model (size ``pretrained``:
    ``quick`` or ``full``, built and cached on first use) and transferred to the
    evaluator's samples every round (:mod:`tldse.exploration.fidelity`).
    ``method``: ``auto``
    (default) simulates every design where that is cheaper than the surrogate
    search (the analytical model on spaces up to millions of designs: the exact
    front) and runs the surrogate search otherwise (see :func:`choose_method`).

    ``workloads``: one or several workload arguments (zoo name with
    ``:key=value`` options, or a file; see :mod:`tldse.workloads.resolve`), each
    weighted by ``NAME*WEIGHT`` or by ``weights``. ``energy``, ``mapper``,
    ``mapper_objective`` and ``threads`` are as in :func:`tldse.sweep`. ``model``: a
    trained surrogate (or its folder) to start from. With ``out``, simulations are
    kept in ``out/simulations.jsonl`` as they finish (a killed run re-run with the
    same ``out``, space, workloads, energy table and mapper simulates nothing
    twice; ``fresh=True`` discards them first) and the answer's data files are
    written (:func:`write_outputs`). ``progress`` prints what each round does on
    stderr."""
    if method not in METHODS:
        raise SearchError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    specs, w = _workloads(workloads, weights)
    ev = _evaluator(evaluator, evaluator_settings)
    if ev is not None and store is None and out is not None:
        store = Path(out) / "evaluations.sqlite"
    if store is not None:
        Path(store).parent.mkdir(parents=True, exist_ok=True)
    problem = Problem.create(
        space,
        specs,
        weights=w,
        objectives=objectives,
        constraints=constraints,
        energy=energy,
        mapper=mapper,
        mapper_objective=mapper_objective,
        threads=threads,
        evaluator=ev,
        store=store if ev is not None else None,
        jobs=jobs,
        timeout_s=timeout_s,
        scheduler=scheduler,
        progress=progress,
    )
    n = len(problem.space)
    b = min(DEFAULT_BUDGET, n) if budget is None else int(budget)
    if b < 1:
        raise SearchError(f"budget must be >= 1, got {b}")
    if method in ("surrogate", "auto"):
        from tldse.learn.model import resolve_device

        resolve_device(device)  # before anything is written or simulated
    surrogate: Surrogate | None = None
    if model is not None:
        from tldse.learn.model import Surrogate

        surrogate = model if isinstance(model, Surrogate) else Surrogate.load(model)
    reason = ""
    if method == "auto":
        method, why = (
            ("surrogate", "a trained model was given")
            if surrogate is not None
            else choose_method(problem, b)
        )
        reason = f"auto: {why}"
        note(progress, f"method {method} ({why})")
    if out is not None and method != "exhaustive":
        path = Path(out) / "simulations.jsonl"
        if fresh:
            path.unlink(missing_ok=True)
        problem.cache = SimulationCache(path, problem)
        if len(problem.cache):
            n_kept = plural(len(problem.cache), "simulation")
            note(progress, f"reusing {n_kept} from {path}")
    cfg = PrunedConfig(granularity=granularity, device=device, pretrained=pretrained)
    res = run_method(
        method, problem, b, seed=seed, model=surrogate, config=cfg, progress=progress
    )
    res.method_reason = reason or res.method_reason
    if out is not None:
        res.outputs = write_outputs(res, Path(out))
    return res


# ---------------------------------------------------------------- what is written


def per_layer(res: SearchResult, index: int) -> pd.DataFrame:
    """One design layer by layer on each workload (``layers.csv``): the design
    ``index`` and ``workload`` in front of the report schema
    (:data:`tldse.sim.REPORT_COLUMNS`; shares are of each workload's total)."""
    import pandas as pd

    p = res.problem
    if p.evaluator is not None:
        return _per_layer_evaluator(res, index)
    configs = p.space.configs(np.array([index], dtype=np.int64))
    frames = [
        per_layer_breakdown(
            configs,
            wl,
            index=[index],
            energy=energy_from_spec(p.energy) if p.energy else None,
            mapper_objective=p.mapper_objective,  # type: ignore[arg-type]
            mapper=p.mapper,  # type: ignore[arg-type]
        )
        for wl in p.workloads
    ]
    return pd.concat(frames, ignore_index=True)


def _with_shares(df: pd.DataFrame) -> pd.DataFrame:
    """Adds each layer's share (count included) of the latency and energy."""
    for name in ("latency", "energy"):
        part = df[f"{name}_cycles" if name == "latency" else "energy_pj"] * df["count"]
        total = float(np.nansum(part))
        df[f"{name}_share"] = part / total if total else np.nan
    return df


def _per_layer_evaluator(res: SearchResult, index: int) -> pd.DataFrame:
    """:func:`per_layer` from an expensive evaluator (its store holds the
    results), with tldse's analytical latency beside it."""
    import pandas as pd

    from tldse.evaluators.base import STATUSES

    p = res.problem
    idx = np.array([index], dtype=np.int64)
    configs = p.space.configs(idx)
    frames = []
    for wl, batch in zip(p.workloads, p._evaluate(idx), strict=True):
        folded, where = fold(wl)
        ev = evaluate(
            configs,
            folded,
            energy=energy_from_spec(p.energy),
            mapper_objective=p.mapper_objective,  # type: ignore[arg-type]
            mapper=p.mapper,  # type: ignore[arg-type]
        )
        lat = np.where(batch.ok, batch.latency_cycles, np.nan)[0][where]
        en = np.where(batch.ok, batch.energy_pj, np.nan)[0][where]
        counts = np.array([layer.count for layer in wl.layers], dtype=np.int64)
        df = pd.DataFrame(
            {
                "workload": wl.name,
                "layer": list(wl.names),
                "count": counts,
                "latency_cycles": lat,
                "energy_pj": en,
                "tldse_latency_cycles": unfold(ev["latency_cycles"], where)[0],
                "status": np.array(STATUSES, dtype=object)[batch.status[0][where]],
                "message": batch.message[0][where],
            }
        )
        frames.append(_with_shares(df))
    return pd.concat(frames, ignore_index=True)


def parity(res: SearchResult) -> dict[str, Any] | None:
    """Out-of-sample errors of the surrogate: each design's prediction made
    before it was evaluated vs its evaluated latency / energy (weighted sums
    over workloads; energy only where the evaluator reports it)."""
    if res.predictions is None or not len(res.predictions):
        return None
    from tldse.learn.metrics import kendall_tau

    pred = res.predictions
    w = np.asarray(res.problem.weights)
    lat_p = pred[:, 1::2] @ w
    en_p = pred[:, 2::2] @ w
    pos = {int(k): i for i, k in enumerate(res.indices.tolist())}
    rows = np.array([pos[int(k)] for k in pred[:, 0]])
    lat_t = res.metrics[rows, METRIC_INDEX["latency_cycles"]]
    en_t = res.metrics[rows, METRIC_INDEX["energy_uj"]] * 1e6
    targets = [("latency", lat_p, lat_t)]
    if "energy_uj" in res.problem.available_metrics():
        targets.append(("energy", en_p, en_t))
    ok = np.isfinite(lat_t)
    for _, _, t_ in targets:
        ok &= np.isfinite(t_)
    out: dict[str, Any] = {"n": int(ok.sum())}
    for name, p_, t_ in targets:
        pp, tt = p_[ok], t_[ok]
        ape = np.abs(pp - tt) / tt
        out[name] = {
            "mape_pct": float(100 * ape.mean()) if len(ape) else math.nan,
            "p90_ape_pct": float(100 * np.quantile(ape, 0.9)) if len(ape) else math.nan,
            "kendall_tau": kendall_tau(tt, pp) if len(pp) > 1 else math.nan,
            "pred": pp,
            "true": tt,
        }
    return out


@dataclass
class ExploreOutputs:
    """What :func:`write_outputs` computed for the files (the report reuses it)."""

    summary: dict[str, Any]
    layers: pd.DataFrame | None
    parity: dict[str, Any] | None
    recheck: float | None


def write_outputs(res: SearchResult, out: Path) -> ExploreOutputs:
    """Writes ``front.csv``, ``best.json``, ``simulated.csv`` (every evaluated
    design, in order; not for the exhaustive method), ``layers.csv`` (the per-layer
    breakdown of the best design for the first objective) and the trained
    surrogate (``model/``) in ``out``. Every reported design is simulated
    again to check that it meets the constraints."""
    out.mkdir(parents=True, exist_ok=True)
    p = res.problem
    if res.method != "exhaustive":  # every design: the front is what matters
        sim = results_frame(p.space, res.indices, res.metrics)
        sim.insert(1, "order", np.arange(len(sim)))
        sim["valid"] = res.valid
        write_atomic(out / "simulated.csv", sim.to_csv(index=False))
    write_atomic(out / "front.csv", res.front.to_csv(index=False))
    summary = res.summary()
    par = parity(res)
    if par is not None:
        summary["surrogate_errors"] = {
            k: {kk: vv for kk, vv in v.items() if kk not in ("pred", "true")}
            if isinstance(v, dict)
            else v
            for k, v in par.items()
        }
    if res.surrogate is not None:
        res.surrogate.save(out / "model")
    chosen = res.best.get(p.objectives[0])
    layers = None
    if chosen is not None:
        layers = per_layer(res, int(chosen["index"]))
        write_atomic(out / "layers.csv", layers.to_csv(index=False))
    # re-simulate what is reported: every reported design meets the constraints
    recheck = None
    if len(res.front):
        again = p.simulate(res.front_indices())
        recheck = float(p.valid(again).mean())
    summary["reported_meet_constraints_resimulated"] = recheck
    write_json_atomic(out / "best.json", summary, sort_keys=False, default=str)
    return ExploreOutputs(summary, layers, par, recheck)
