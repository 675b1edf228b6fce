"""``tldse experiment fidelity``: the analytical model as prior and features for a
slower, trusted evaluator (SCALE-Sim, ZigZag).

Two parts, per evaluator:

1. **accuracy**: random designs of the evaluator's space, each with a few tiny
   layers (:func:`task_pairs`), evaluated once through the evaluation store
   (resumable); the designs are split into a sample pool and held-out designs.
   For N = 25, 50, 100, 200 evaluator samples and several seeds: MAPE and
   Kendall tau of latency (and energy where the tool has it) on the held-out
   designs for the analytical model alone, transfer
   (:func:`tldse.learn.fidelity.transfer`: candidates chosen by cross-validation),
   the multi-task model from scratch and single-task MLPs (the paper's baseline);
2. **search**: a space small enough to evaluate exhaustively with the evaluator
   once (the ground truth, kept in the evaluation store), searched at equal
   evaluator budgets by the surrogate with transfer, by "the analytical model's
   front, re-evaluated by the evaluator", by NSGA-II on the evaluator and by
   random sampling: regret, share of the true front's hypervolume, evaluator
   calls and wall time to reach 99% of it.

Everything the tools compute is kept in ``OUT/evaluations.sqlite`` (or
``--store``), so a killed run re-run with the same arguments evaluates nothing
twice; the tables are ``OUT/results.md`` and ``OUT/results.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tldse.arch import CONFIG_INDEX
from tldse.experiments import mean_std
from tldse.learn.metrics import mape
from tldse.space import DesignSpace
from tldse.workloads.layer import Layer, Workload

#: Evaluators the experiment knows how to set up.
PEERS: tuple[str, ...] = ("scalesim", "zigzag")


def peer_space(evaluator: str) -> DesignSpace:
    """The designs the accuracy part samples for ``evaluator``: for SCALE-Sim
    :func:`tldse.learn.pretrain.small_buffer_space` (systolic arrays of 4..32 x
    4..32 PEs with three 1..64 KiB SRAMs and 1..16 bytes/cycle of DRAM bandwidth
    per port: the memory-bound regime where it and tldse differ most); for
    ZigZag the built-in ``edge`` space."""
    from tldse.learn.pretrain import small_buffer_space

    if evaluator == "scalesim":
        return small_buffer_space()
    if evaluator == "zigzag":
        return DesignSpace.builtin("edge")
    raise ValueError(f"evaluator must be one of {', '.join(PEERS)}, got {evaluator!r}")


def search_space(evaluator: str, size: str = "full") -> DesignSpace:
    """The space the search part evaluates exhaustively (``size`` quick: 16
    designs)."""
    if evaluator == "scalesim":
        from tldse.learn.pretrain import small_buffer_space

        base = small_buffer_space().base.replace(
            glb_input_bytes=0, glb_weight_bytes=0, glb_output_bytes=0
        )
        params: dict[str, Any] = {
            "dataflow": ["ws", "os", "is"],
            "pe_rows": [4, 8, 16, 32],
            "pe_cols": [4, 8, 16, 32],
            # a third of the buffer per SRAM: 2, 8, 32 KiB
            "glb_bytes": [6 * 1024, 24 * 1024, 96 * 1024],
            "glb_split": ["1:1:1"],
            "dram_bw_bytes_per_cycle": [2, 8],
        }
        if size == "quick":
            params.update(
                dataflow=["ws", "os"],
                pe_rows=[8, 16],
                pe_cols=[8, 16],
                glb_bytes=[6 * 1024, 24 * 1024],
                dram_bw_bytes_per_cycle=[4],
            )
        return DesignSpace(params, base=base, name=f"scalesim-search-{size}")
    if evaluator == "zigzag":
        params = {
            "dataflow": ["ws", "os", "is", "rs"],
            "pe_rows": [8, 16],
            "pe_cols": [8, 16],
            "rf_bytes": [32, 128],
            "glb_bytes": [16 * 1024, 64 * 1024, 256 * 1024],
            "dram_bw_bytes_per_cycle": [4, 16],
            "precision": ["8/8/32"],
        }
        if size == "quick":
            params.update(
                dataflow=["ws", "os"],
                rf_bytes=[64],
                glb_bytes=[16 * 1024, 64 * 1024],
                dram_bw_bytes_per_cycle=[8],
            )
        return DesignSpace(params, name=f"zigzag-search-{size}")
    raise ValueError(f"evaluator must be one of {', '.join(PEERS)}, got {evaluator!r}")


def search_workload(size: str = "full") -> Workload:
    """A small network of tiny layers (a conv, a depthwise conv, a GEMM) that
    every evaluator finishes in seconds on every design of the search spaces."""
    layers = [
        Layer.conv("conv", c=8, k=16, h=8, r=3, pad=1),
        Layer.conv("dw", c=32, k=32, h=8, r=3, pad=1, groups=32),
        Layer.gemm("fc", m=16, n=32, k=64),
    ]
    if size == "quick":
        layers = [Layer.conv("conv", c=4, k=8, h=6, r=3, pad=1), layers[2]]
    return Workload(f"tiny-{size}", layers)


def layer_pool(n: int, seed: int) -> list[Layer]:
    """``n`` random tiny layers: convolutions (1x1, 3x3, 5x5, strided, some
    grouped), depthwise convolutions and GEMMs, at most 2^17 MACs each."""
    rng = np.random.default_rng(seed)
    out: list[Layer] = []
    while len(out) < n:
        u = rng.random()
        i = len(out)
        try:
            if u < 0.5:
                c, k = int(2 ** rng.integers(0, 7)), int(2 ** rng.integers(2, 7))
                r = int(rng.choice([1, 3, 3, 5]))
                stride = int(rng.choice([1, 1, 1, 2]))
                g = 1
                if rng.random() < 0.15 and c >= 4:
                    g = int(rng.choice([2, 4]))
                    k = max(k // g, 1) * g
                h = int(rng.integers(max(r, 2), 17))
                layer = Layer.conv(
                    f"conv{i}", c=c, k=k, h=h, r=r, stride=stride, pad=r // 2, groups=g
                )
            elif u < 0.65:
                c = int(2 ** rng.integers(3, 7))
                r = int(rng.choice([3, 3, 5]))
                h = int(rng.integers(4, 17))
                layer = Layer.conv(f"dw{i}", c=c, k=c, h=h, r=r, pad=r // 2, groups=c)
            else:
                m, nn, kk = (
                    int(2 ** rng.uniform(lo, hi)) for lo, hi in ((0, 8), (2, 8), (2, 9))
                )
                layer = Layer.gemm(f"gemm{i}", m=max(m, 1), n=nn, k=kk)
        except ValueError:
            continue
        if layer.macs <= 2**17:
            out.append(layer)
    return out


@dataclass
class PeerTask:
    """How the accuracy part's (design, layer) pairs of one evaluator are drawn."""

    evaluator: str
    designs: int
    layers_per_design: int
    pool_layers: int = 64
    #: a layer is given to a design only when its ideal compute cycles (MACs /
    #: PEs) are at most this (SCALE-Sim's run time grows with the cycles it
    #: traces); 0: no limit
    max_ideal_cycles: float = 0.0
    timeout_s: float = 120.0
    seed: int = 7


def task_pairs(task: PeerTask) -> tuple[npt.NDArray[np.float64], list[list[Layer]]]:
    """The designs (a config table) and, per design, its layers; a pure
    function of ``task``."""
    space = peer_space(task.evaluator)
    pool = layer_pool(task.pool_layers, task.seed)
    idx = space.sample(task.designs, "random", task.seed)
    configs = space.configs(idx)
    rng = np.random.default_rng(task.seed + 1)
    pes = configs[:, CONFIG_INDEX["pe_rows"]] * configs[:, CONFIG_INDEX["pe_cols"]]
    macs = np.array([layer.macs for layer in pool], dtype=np.float64)
    per_design: list[list[Layer]] = []
    for d in range(len(configs)):
        ok = np.arange(len(pool))
        if task.max_ideal_cycles > 0:
            ok = ok[macs / pes[d] <= task.max_ideal_cycles]
        pick = rng.choice(ok, min(task.layers_per_design, len(ok)), replace=False)
        per_design.append([pool[int(j)] for j in np.sort(pick)])
    return configs, per_design


@dataclass
class FidelityConfig:
    """Everything the experiment does; :func:`sizes` holds the presets."""

    size: str = "full"
    evaluators: tuple[str, ...] = PEERS
    tasks: dict[str, PeerTask] = field(
        default_factory=lambda: {
            "scalesim": PeerTask(
                "scalesim", 240, 12, max_ideal_cycles=4000, timeout_s=60
            ),
            "zigzag": PeerTask("zigzag", 120, 8, timeout_s=300),
        }
    )
    test_fraction: float = 0.4
    ns: tuple[int, ...] = (25, 50, 100, 200)
    seeds: tuple[int, ...] = (0, 1, 2)
    search: bool = True
    search_seeds: tuple[int, ...] = (0, 1, 2)
    jobs: int = 2


def sizes() -> dict[str, FidelityConfig]:
    """``full`` (the README's tables) and ``quick`` (a fresh install, minutes)."""
    full = FidelityConfig()
    quick = replace(
        full,
        size="quick",
        tasks={
            "scalesim": PeerTask(
                "scalesim", 16, 4, pool_layers=16, max_ideal_cycles=1000, timeout_s=60
            ),
            "zigzag": PeerTask("zigzag", 10, 3, pool_layers=12, timeout_s=120),
        },
        ns=(10, 20),
        seeds=(0,),
        search_seeds=(0,),
    )
    return {c.size: c for c in (full, quick)}


@dataclass
class PeerRows:
    """The accuracy part's (design, layer) rows of one evaluator, aligned:
    ``configs`` (n, 18), ``layers`` (n, 16) layer table rows, ``design`` (the
    design's number in the task), the evaluator's ``latency_cycles`` and
    ``energy_pj`` (NaN without an energy model), ``ok`` and the tool's
    ``seconds`` per evaluation (NaN when unknown)."""

    configs: npt.NDArray[np.float64]
    layers: npt.NDArray[np.float64]
    design: npt.NDArray[np.int64]
    latency_cycles: npt.NDArray[np.float64]
    energy_pj: npt.NDArray[np.float64]
    ok: npt.NDArray[np.bool_]
    seconds: npt.NDArray[np.float64]
    statuses: dict[str, int]

    def take(self, idx: npt.ArrayLike) -> PeerRows:
        i = np.asarray(idx)
        return PeerRows(
            self.configs[i],
            self.layers[i],
            self.design[i],
            self.latency_cycles[i],
            self.energy_pj[i],
            self.ok[i],
            self.seconds[i],
            dict(self.statuses),
        )

    def __len__(self) -> int:
        return len(self.configs)


def evaluate_task(
    evaluator: Any,
    task: PeerTask,
    store: str | Path,
    *,
    jobs: int = 1,
    progress: bool = False,
) -> PeerRows:
    """Evaluates (or reads from ``store``) every pair of ``task``: ``jobs``
    designs at a time, one tool process each; failures are kept as not ok."""
    from concurrent.futures import ThreadPoolExecutor

    from tldse._util.progress import Progress
    from tldse.evaluators import STATUSES, evaluate_designs
    from tldse.evaluators.store import EvaluationStore

    configs, per_design = task_pairs(task)
    # created once here: threads that open a new store at the same moment race
    # on its schema and journal mode
    EvaluationStore(store).close()

    def one(d: int) -> Any:
        return evaluate_designs(
            evaluator,
            configs[d : d + 1],
            Workload(f"d{d}", per_design[d]),
            store=store,
            jobs=1,
            timeout_s=task.timeout_s,
        )

    batches: list[Any] = []
    label = f"{task.evaluator} designs"
    with (
        Progress(progress, len(configs), label, "designs") as bar,
        ThreadPoolExecutor(max_workers=max(1, jobs)) as pool,
    ):
        for batch in pool.map(one, range(len(configs))):
            batches.append(batch)
            bar.advance()
    rows_c, rows_l, des, lat, en, ok, sec = [], [], [], [], [], [], []
    statuses: dict[str, int] = {}
    for d, batch in enumerate(batches):
        for j, layer in enumerate(batch.layers):
            rows_c.append(configs[d])
            rows_l.append(np.asarray(layer.row(), dtype=np.float64))
            des.append(d)
            lat.append(batch.latency_cycles[0, j])
            en.append(batch.energy_pj[0, j])
            ok.append(bool(batch.ok[0, j]))
            sec.append(batch.wall_s[0, j])
            name = STATUSES[int(batch.status[0, j])]
            statuses[name] = statuses.get(name, 0) + 1
    lay = np.stack(rows_l)
    lay[:, -1] = 1  # per occurrence
    return PeerRows(
        np.stack(rows_c),
        lay,
        np.asarray(des, dtype=np.int64),
        np.asarray(lat),
        np.asarray(en),
        np.asarray(ok),
        np.asarray(sec),
        statuses,
    )


# ---------------------------------------------------------------- accuracy


def _tau(true: npt.NDArray[Any], pred: npt.NDArray[Any]) -> float:
    from tldse.learn.metrics import kendall_tau

    return float(kendall_tau(true, pred))


def _scores(
    truth: dict[str, npt.NDArray[Any]], pred: dict[str, npt.NDArray[Any]]
) -> dict[str, float]:
    out: dict[str, float] = {}
    for t, y in truth.items():
        out[f"mape_{t}"] = mape(y, pred[t])
        out[f"tau_{t}"] = _tau(y, pred[t])
    return out


def held_out_rows(
    design: npt.NDArray[Any], seed: int, test_fraction: float
) -> npt.NDArray[np.bool_]:
    """The rows of the held-out designs (``test_fraction`` of the distinct
    ``design`` ids, at least one, drawn by ``seed``) of :func:`accuracy_runs`;
    the samples are drawn from the other rows, so from other designs."""
    designs = np.unique(design)
    rng = np.random.default_rng(seed)
    test_d = rng.permutation(designs)[: max(1, round(test_fraction * len(designs)))]
    return np.isin(design, test_d)


def accuracy_runs(
    rows: PeerRows,
    targets: Sequence[str],
    pretrained: Any,
    *,
    ns: Sequence[int],
    seeds: Sequence[int],
    test_fraction: float,
    note: Callable[[str], None] = lambda _m: None,
) -> list[dict[str, Any]]:
    """Per seed and N: the held-out designs' MAPE and Kendall tau of every
    method (see the module docstring), and the seconds each took."""
    import time

    from tldse.learn.features import PAIR_FEATURES
    from tldse.learn.fidelity import (
        EVALUATOR_GROUPS,
        FeatureSet,
        Pairs,
        reference_values,
    )
    from tldse.learn.transfer import (
        candidates,
        scratch_config,
        scratch_models,
        transfer,
    )

    tg = tuple(targets)
    ok = rows.ok & np.isfinite(rows.latency_cycles)
    if "energy" in tg:
        ok &= np.isfinite(rows.energy_pj)
    rows = rows.take(np.flatnonzero(ok))
    pairs = Pairs(rows.configs, rows.layers)
    # pairs the analytical model cannot map have no reference: left out
    fits = pairs.analytical["status"] == 0
    rows, pairs = rows.take(np.flatnonzero(fits)), pairs.take(np.flatnonzero(fits))
    truth_all = {"latency": rows.latency_cycles, "energy": rows.energy_pj}
    a = pairs.analytical
    features = FeatureSet(EVALUATOR_GROUPS)
    from tldse.exploration.fidelity import EVALUATOR_REFERENCES

    cands = candidates(True, EVALUATOR_REFERENCES)
    x_plain = pairs_plain_features(pairs)
    out: list[dict[str, Any]] = []
    for seed in seeds:
        te = held_out_rows(rows.design, seed, test_fraction)
        pool = np.flatnonzero(~te)
        test = pairs.take(np.flatnonzero(te))
        truth = {t: truth_all[t][te] for t in tg}
        base = {
            "latency": a["latency_cycles"][te],
            "energy": a["energy_pj"][te],
        }
        out.append(
            {
                "seed": seed,
                "n": 0,
                "method": "analytical",
                "metrics": _scores(truth, base),
                "seconds": 0.0,
            }
        )
        for ref in ("systolic", "unrolled"):  # the closed forms alone
            closed = {"latency": reference_values(test, ref)["latency"]}
            out.append(
                {
                    "seed": seed,
                    "n": 0,
                    "method": ref,
                    "metrics": _scores({"latency": truth["latency"]}, closed),
                    "seconds": 0.0,
                }
            )
        for n in ns:
            if n > len(pool):
                note(f"N = {n} > the pool's {len(pool)} rows: skipped")
                continue
            pick = np.random.default_rng([seed, n]).choice(pool, n, replace=False)
            sample = pairs.take(pick)
            t0 = time.perf_counter()
            res = transfer(
                pretrained,
                sample,
                {t: truth_all[t][pick] for t in tg},
                tg,
                cands=cands,
                features=features,
                groups=rows.design[pick],
                seed=seed,
            )
            pred = res.model.predict(test)
            sec = time.perf_counter() - t0
            m = _scores(truth, pred.values)
            z = {
                t: np.abs(np.log(truth[t]) - pred.log_values[t])
                / np.maximum(pred.sigma[t], 1e-12)
                for t in tg
            }
            m.update({f"coverage1_{t}": float(np.mean(z[t] <= 1)) for t in tg})
            m.update({f"coverage2_{t}": float(np.mean(z[t] <= 2)) for t in tg})
            out.append(
                {
                    "seed": seed,
                    "n": n,
                    "method": "transfer",
                    "metrics": m,
                    "seconds": sec,
                    "chosen": res.chosen,
                    "cv": res.cv,
                }
            )
            # from scratch on the same samples: the paper's features and targets
            y = np.stack([np.log(truth_all[t][pick]) for t in tg], axis=1)
            t0 = time.perf_counter()
            (mt, mt_r), singles = scratch_models(
                PAIR_FEATURES,
                x_plain[pick],
                y,
                tg,
                scratch_config(seed=seed, epochs=500, patience=50),
                seed=seed,
                hidden=(128, 128, 128),
            )
            sec_all = time.perf_counter() - t0
            xt = x_plain[te]
            out.append(
                {
                    "seed": seed,
                    "n": n,
                    "method": "scratch-mt",
                    "metrics": _scores(truth, mt.predict_values(xt)),
                    "seconds": mt_r.seconds,
                }
            )
            single = {
                t: s.predict_values(xt)[t]
                for (s, _), t in zip(singles, tg, strict=True)
            }
            out.append(
                {
                    "seed": seed,
                    "n": n,
                    "method": "mlp",
                    "metrics": _scores(truth, single),
                    "seconds": sec_all - mt_r.seconds,
                }
            )
            note(
                f"seed {seed} N={n}: transfer ({res.chosen}) "
                + ", ".join(f"{t} {m[f'mape_{t}']:.1f}%" for t in tg)
                + f"; scratch {out[-2]['metrics']['mape_latency']:.1f}%, "
                f"MLPs {out[-1]['metrics']['mape_latency']:.1f}% latency"
            )
    return out


def pairs_plain_features(pairs: Any) -> npt.NDArray[np.float32]:
    """The paper's features (:data:`tldse.learn.features.PAIR_FEATURES`)."""
    from tldse.learn.fidelity import FeatureSet

    return FeatureSet(("pair",)).compute(pairs)


# ---------------------------------------------------------------- search

#: Search scenarios per evaluator (SCALE-Sim has no energy model).
SCENARIOS: dict[str, tuple[str, ...]] = {
    "scalesim": ("latency@area", "front"),
    "zigzag": ("edp", "latency@area", "front"),
}
SEARCH_METHODS: tuple[str, ...] = (
    "surrogate-transfer",
    "analytical-front",
    "nsga2",
    "random",
)


def _front_scenario(evaluator: str, scenario: str, area_bound: float) -> Any:
    from tldse.experiments.search import _scenario

    objs, cons = _scenario(scenario, area_bound)
    if scenario == "front" and evaluator == "scalesim":
        objs = "latency,area"
    return objs, cons


def search_runs(
    evaluator: Any,
    name: str,
    size: str,
    store: str | Path,
    *,
    seeds: Sequence[int],
    jobs: int,
    timeout_s: float,
    budget_fraction: float = 0.05,
    nsga2_factor: int = 10,
    pretrained: Any = None,
    note: Callable[[str], None] = lambda _m: None,
    progress: bool = False,
) -> dict[str, Any]:
    """The search part for one evaluator (see the module docstring): the
    space evaluated exhaustively once (the ground truth, from the store after
    the first run), then every scenario x seed x method at the same budget."""
    import math
    import time

    from tldse.arch import energy_spec
    from tldse.evaluators import evaluate_designs
    from tldse.experiments.search import _hv, _record, first_reaching
    from tldse.exploration.api import run_method
    from tldse.exploration.baselines import reference_front_search
    from tldse.exploration.problem import Problem
    from tldse.exploration.surrogate import PrunedConfig
    from tldse.search.pareto import pareto_mask
    from tldse.search.results import design_areas_um2

    space, wl = search_space(name, size), search_workload(size)
    n = len(space)
    all_idx = np.arange(n, dtype=np.int64)
    t0 = time.perf_counter()
    batch = evaluate_designs(
        evaluator,
        space.configs(all_idx),
        wl,
        store=store,
        jobs=jobs,
        timeout_s=timeout_s,
        progress=progress,
    )
    note(f"{name}: the {n} designs of the search space: {batch.stats.summary()}")
    # what one design cost the evaluator when it ran (the store keeps it)
    design_s = np.nansum(np.where(batch.ok, batch.wall_s, np.nan), axis=1)
    sec_per_design = float(np.mean(design_s))
    budget = max(4, round(budget_fraction * n))
    area = design_areas_um2(space, energy_spec(None)) * 1e-6
    area_bound = float(np.round(np.median(area), 3))
    runs: list[dict[str, Any]] = []
    truths: dict[str, Any] = {}
    for scen in SCENARIOS[name]:
        objs, cons = _front_scenario(name, scen, area_bound)
        prob = Problem.create(
            space,
            wl,
            objectives=objs,
            constraints=cons,
            evaluator=evaluator,
            store=store,
            jobs=jobs,
            timeout_s=timeout_s,
        )
        lookup = prob.simulate(all_idx)  # the ground truth, from the store
        ref = Problem.create(space, wl, objectives=objs, constraints=cons).simulate(
            all_idx
        )
        ok = prob.valid(lookup)
        vals = prob.objective_values(lookup)
        truth: dict[str, Any] = {"feasible": int(ok.sum())}
        if len(prob.objectives) == 1:
            truth["optimum"] = float(np.min(vals[ok, 0]))
        tf = vals[ok][pareto_mask(vals[ok])]
        lo, hi = np.log(tf).min(axis=0), np.log(tf).max(axis=0)
        truth.update(lo=lo, hi=hi, hv=_hv(tf, lo, hi), hv_step=1, front=len(tf))
        truths[scen] = {k: v for k, v in truth.items() if k not in ("lo", "hi")}
        for seed in seeds:
            for method in (
                *SEARCH_METHODS,
                *(("nsga2-long",) if scen == "front" else ()),
            ):
                b = budget * (nsga2_factor if method == "nsga2-long" else 1)
                t1 = time.perf_counter()
                if method == "analytical-front":
                    r = reference_front_search(prob, b, ref, lookup=lookup)
                elif method == "surrogate-transfer":
                    cfg = PrunedConfig(pretrained=pretrained or "quick")
                    r = run_method(
                        "surrogate", prob, b, seed=seed, lookup=lookup, config=cfg
                    )
                else:
                    r = run_method(
                        method.split("-")[0], prob, b, seed=seed, lookup=lookup
                    )
                rec = _record(r, prob, truth, sec_per_design)
                tldse_s = max(0.0, time.perf_counter() - t1 - r.sim_seconds)
                evals = r.indices
                rec.update(
                    scenario=scen,
                    seed=seed,
                    method=method,
                    budget=b,
                    tldse_seconds=tldse_s,
                    evaluator_seconds=float(np.sum(design_s[evals])),
                    fidelity=r.fidelity,
                )
                if "hv_grid" in rec:
                    k = first_reaching(rec["hv_grid"], 0.99)
                    rec["evals_to_99pct_hv"] = k
                    rec["seconds_to_99pct_hv"] = (
                        None
                        if k is None
                        else float(np.sum(design_s[evals[:k]])) / jobs + tldse_s
                    )
                rec.pop("curve", None)
                runs.append(rec)
                note(
                    f"{name} {scen} seed {seed} {method}: {rec['simulations']} evals, "
                    f"regret {rec.get('regret_pct', math.nan):.2f}%, "
                    f"HV {rec['hv_fraction']:.3f}, tldse {tldse_s:.1f} s"
                )
    return {
        "space": space.to_dict(),
        "designs": n,
        "workload": [layer.name for layer in wl.layers],
        "budget": budget,
        "budget_fraction": budget / n,
        "area_bound_mm2": area_bound,
        "evaluator_seconds_per_design": sec_per_design,
        "ground_truth_seconds": time.perf_counter() - t0,
        "truth": truths,
        "runs": runs,
    }


# ---------------------------------------------------------------- the experiment


class ExperimentError(ValueError):
    """The experiment cannot run as asked (e.g. no evaluator installed)."""


def run_experiment(
    config: FidelityConfig,
    out: str | Path,
    *,
    store: str | Path | None = None,
    pythons: dict[str, str] | None = None,
    pretrained: str = "quick",
    progress: bool = True,
) -> dict[str, Any]:
    """Runs the experiment for every evaluator of ``config`` that is installed
    (``pythons``: an interpreter per evaluator, else ``TLDSE_SCALESIM_PYTHON`` /
    ``TLDSE_ZIGZAG_PYTHON``, else this one); writes ``results.json`` and
    ``results.md`` to ``out`` and returns the results."""
    import json
    import os
    import platform
    import time

    import torch

    from tldse._util.io import package_version, write_atomic
    from tldse._util.progress import note as _note
    from tldse.evaluators import get_evaluator
    from tldse.learn.pretrain import pretrained_model

    def note(msg: str) -> None:
        _note(progress, msg)

    out_dir = Path(out)
    store_path = Path(store) if store is not None else out_dir / "evaluations.sqlite"
    evaluators: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name in config.evaluators:
        py = (pythons or {}).get(name)
        ev = get_evaluator(name, **({"python": py} if py else {}))
        why = ev.unavailable()
        if why:
            skipped[name] = why
        else:
            evaluators[name] = ev
    if not evaluators:  # the reasons once, in the error
        raise ExperimentError(
            "no evaluator is installed: "
            + "; ".join(f"{k}: {v}" for k, v in skipped.items())
        )
    for name, why in skipped.items():
        note(f"{name}: skipped: {why}")
    out_dir.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        t0 = time.perf_counter()
        pre = pretrained_model(pretrained, say=note)
        load_s = time.perf_counter() - t0
        results: dict[str, Any] = {
            "experiment": "fidelity",
            "size": config.size,
            "tldse": package_version(),
            "python": platform.python_version(),
            "load_average_at_start": list(os.getloadavg()),
            "store": str(store_path),
            "pretrained": {
                **pre.metadata.get("pretraining", {}),
                "load_or_build_seconds": load_s,
            },
            "skipped": skipped,
            "evaluators": {},
        }
        for name, ev in evaluators.items():
            task = config.tasks[name]
            t0 = time.perf_counter()
            rows = evaluate_task(
                ev, task, store_path, jobs=config.jobs, progress=progress
            )
            note(
                f"{name}: {len(rows)} (design, layer) pairs: {rows.statuses} "
                f"({time.perf_counter() - t0:.0f} s)"
            )
            targets = ("latency", "energy") if ev.has_energy else ("latency",)
            acc = accuracy_runs(
                rows,
                targets,
                pre,
                ns=config.ns,
                seeds=config.seeds,
                test_fraction=config.test_fraction,
                note=_prefixed(note, name),
            )
            entry: dict[str, Any] = {
                "version": ev.version(),
                "settings": ev.settings(),
                "targets": list(targets),
                "task": {k: v for k, v in vars(task).items()},
                "pairs": len(rows),
                "statuses": rows.statuses,
                "designs": len(np.unique(rows.design)),
                "evaluator_seconds_per_pair": float(np.nanmedian(rows.seconds)),
                "accuracy": acc,
                "accuracy_summary": summarise_accuracy(acc),
            }
            if config.search:
                entry["search"] = search_runs(
                    ev,
                    name,
                    config.size,
                    store_path,
                    seeds=config.search_seeds,
                    jobs=config.jobs,
                    timeout_s=task.timeout_s,
                    pretrained=pretrained,
                    note=note,
                    progress=progress,
                )
                entry["search_summary"] = summarise_search(entry["search"]["runs"])
            results["evaluators"][name] = entry
    finally:
        torch.set_num_threads(threads)
    results["seconds"] = time.perf_counter() - t_start
    results["load_average_at_end"] = list(os.getloadavg())
    from tldse._util.io import jsonable

    write_atomic(
        out_dir / "results.json", json.dumps(jsonable(results), indent=1) + "\n"
    )
    write_atomic(out_dir / "results.md", markdown(results))
    return results


def _prefixed(say: Callable[[str], None], prefix: str) -> Callable[[str], None]:
    def out(msg: str) -> None:
        say(f"{prefix} {msg}")

    return out


def summarise_accuracy(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and std over seeds per (N, method)."""
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault((r["n"], r["method"]), []).append(r)
    out = []
    for (n, method), rs in sorted(groups.items()):
        row: dict[str, Any] = {"n": n, "method": method, "seeds": len(rs)}
        for key in sorted({k for r in rs for k in r["metrics"]}):
            row[key], row[f"{key}_std"] = mean_std([r["metrics"].get(key) for r in rs])
        row["seconds"], row["seconds_std"] = mean_std([r["seconds"] for r in rs])
        if method == "transfer":
            picks = [str(r.get("chosen")) for r in rs]
            row["chosen"] = {p: picks.count(p) for p in sorted(set(picks))}
        out.append(row)
    return out


def summarise_search(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and std over seeds per (scenario, method)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault((r["scenario"], r["method"]), []).append(r)
    out = []
    for (scen, method), rs in groups.items():
        row: dict[str, Any] = {"scenario": scen, "method": method, "runs": len(rs)}
        for key in (
            "simulations",
            "regret_pct",
            "hv_fraction",
            "evals_to_99pct_hv",
            "seconds_to_99pct_hv",
            "sims_to_1pct",
            "tldse_seconds",
            "evaluator_seconds",
        ):
            vals = [r.get(key) for r in rs]
            row[key], row[f"{key}_std"] = mean_std(vals)
            row[f"{key}_missing"] = (
                sum(v is None for v in vals)
                if key in ("evals_to_99pct_hv", "sims_to_1pct")
                else 0
            )
        row["within_1pct"] = sum(
            (r.get("regret_pct") is not None and r["regret_pct"] <= 1.0) for r in rs
        )
        out.append(row)
    return out


def _pm(row: dict[str, Any], key: str, fmt: str = ".1f") -> str:
    m, s = row.get(key), row.get(f"{key}_std")
    if m is None or not np.isfinite(m):
        return "-"
    return f"{m:{fmt}} ± {s:{fmt}}"


def markdown(results: dict[str, Any]) -> str:
    """The tables of ``results.md``."""
    from tldse.reporting.markdown import md_table as _md

    def md_table(header: list[str], rows: list[list[Any]]) -> str:
        return _md([dict(zip(header, r, strict=True)) for r in rows], header)

    lines = [
        f"# Fidelity experiment ({results['size']})",
        "",
        f"tldse {results['tldse']}; evaluation store `{results['store']}`; "
        f"{results['seconds']:.0f} s; load average at start "
        f"{results['load_average_at_start'][0]:.1f}.",
        "",
    ]
    pre = results["pretrained"]
    if pre:
        lines += [
            f"Pretrained model: {pre.get('rows', 0):,} rows, "
            f"{len(pre.get('train_seconds', []))} members, built in "
            f"{pre.get('seconds', 0):.0f} s ({pre.get('cpu_seconds', 0):.0f} CPU-s); "
            "validation MAPE latency "
            f"{pre.get('validation_mape', {}).get('latency', 0):.2f}% (prior "
            f"{pre.get('prior_mape', {}).get('latency', 0):.1f}%).",
            "",
        ]
    for name, why in results.get("skipped", {}).items():
        lines += [f"**{name}: not run**: {why}", ""]
    for name, e in results["evaluators"].items():
        tg = e["targets"]
        lines += [
            f"## {name} {e['version']}",
            "",
            f"{e['pairs']} (design, layer) pairs on {e['designs']} designs "
            f"({e['statuses']}); held-out designs; MAPE and Kendall tau per row, "
            "mean ± std over seeds.",
            "",
        ]
        header = [
            "N",
            "method",
            *(f"MAPE {t} %" for t in tg),
            *(f"tau {t}" for t in tg),
            "seconds",
            "chosen",
        ]
        rows = []
        for r in e["accuracy_summary"]:
            rows.append(
                [
                    r["n"] or "-",
                    r["method"],
                    *(_pm(r, f"mape_{t}") for t in tg),
                    *(_pm(r, f"tau_{t}", ".3f") for t in tg),
                    _pm(r, "seconds"),
                    ", ".join(f"{k} {v}" for k, v in r.get("chosen", {}).items()),
                ]
            )
        lines += [md_table(header, rows), ""]
        s = e.get("search")
        if s:
            lines += [
                f"### Search: {s['designs']} designs, budget {s['budget']} "
                f"({100 * s['budget_fraction']:.1f}%), area bound "
                f"{s['area_bound_mm2']} mm², {s['evaluator_seconds_per_design']:.2f} "
                "evaluator-s per design",
                "",
            ]
            header = [
                "scenario",
                "method",
                "evaluations",
                "regret %",
                "within 1%",
                "HV share",
                "evals to 99% HV",
                "s to 99% HV",
                "tldse s",
            ]
            rows = [
                [
                    r["scenario"],
                    r["method"],
                    _pm(r, "simulations", ".0f"),
                    _pm(r, "regret_pct", ".2f"),
                    f"{r['within_1pct']}/{r['runs']}"
                    if r["scenario"] != "front"
                    else "",
                    _pm(r, "hv_fraction", ".4f"),
                    _pm(r, "evals_to_99pct_hv", ".0f")
                    + (
                        f" ({r['evals_to_99pct_hv_missing']} never)"
                        if r["evals_to_99pct_hv_missing"]
                        else ""
                    ),
                    _pm(r, "seconds_to_99pct_hv"),
                    _pm(r, "tldse_seconds"),
                ]
                for r in e["search_summary"]
            ]
            lines += [md_table(header, rows), ""]
    return "\n".join(lines) + "\n"
