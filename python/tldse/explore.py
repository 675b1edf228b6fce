"""``tldse explore``: search a design space with a simulation budget and write a
report; and ``tldse experiment search``: the surrogate method against the
exhaustive optimum and the random / NSGA-II baselines. See docs/explore.md.
"""

from __future__ import annotations

import json
import math
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tldse.search.exhaustive import write_atomic
from tldse.search.metrics import METRIC_INDEX, OBJECTIVES, parse_constraints
from tldse.search.pareto import pareto_mask
from tldse.search.pruned import (
    Problem,
    PrunedConfig,
    SearchError,
    SearchResult,
    exhaustive_search,
    surrogate_search,
)
from tldse.space import DesignSpace

METHODS = ("surrogate", "exhaustive", "random", "nsga2")
DEFAULT_BUDGET = 2000
_LABELS = {
    "latency_ms": "latency (ms)",
    "energy_uj": "energy (uJ)",
    "area_mm2": "area (mm$^2$)",
    "edp_uj_ms": "EDP (uJ x ms)",
    "power_mw": "power (mW)",
    "latency_cycles": "latency (cycles)",
    "dram_bytes": "DRAM traffic (bytes)",
}


def run_method(
    method: str,
    problem: Problem,
    budget: int,
    *,
    seed: int = 0,
    model: Any = None,
    config: PrunedConfig | None = None,
    lookup: Any = None,
    progress: Callable[[str], None] | None = None,
) -> SearchResult:
    """One search with one method (see :data:`METHODS`)."""
    from tldse.search.baselines import nsga2_search, random_search

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


def explore(
    space: DesignSpace | str = "edge",
    workloads: str | Sequence[str] = "resnet18",
    *,
    weights: Sequence[float] | None = None,
    objectives: str | Sequence[str] = "latency,energy,area",
    constraints: Sequence[str] | str | None = None,
    budget: int | None = None,
    method: str = "surrogate",
    model: str | Path | None = None,
    out: str | Path | None = None,
    seed: int = 0,
    command: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> SearchResult:
    """Searches ``space`` for ``workloads`` (weighted) within ``budget``
    simulations and, with ``out``, writes ``report.md`` and its files there
    (``front.csv``, ``simulated.csv``, ``best.json``, ``layers.csv``,
    ``pareto.png``, ``parity.png``, ``model/``)."""
    if method not in METHODS:
        raise SearchError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    problem = Problem.create(
        space,
        [workloads] if isinstance(workloads, str) else list(workloads),
        weights=weights,
        objectives=objectives,
        constraints=constraints,
    )
    n = len(problem.space)
    b = min(DEFAULT_BUDGET, n) if budget is None else int(budget)
    if b < 1:
        raise SearchError(f"budget must be >= 1, got {b}")
    surrogate = None
    if model is not None:
        from tldse.surrogate import Surrogate

        surrogate = Surrogate.load(model)
    res = run_method(method, problem, b, seed=seed, model=surrogate, progress=progress)
    if out is not None:
        write_report(res, Path(out), command=command, seed=seed)
    return res


# ---------------------------------------------------------------- the report


def _md_table(rows: list[dict[str, Any]], cols: Sequence[str]) -> str:
    def fmt(v: Any) -> str:
        if isinstance(v, (float, np.floating)):
            v = float(v)
            if not math.isfinite(v):
                return "-"
            return f"{v:.4g}"
        return str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join(fmt(r.get(c, "")) for c in cols) + " |")
    return "\n".join(lines)


def per_layer(res: SearchResult, index: int) -> Any:
    """Per-layer latency and energy of one design on each workload (DataFrame)."""
    import pandas as pd

    from tldse.search.exhaustive import _energy_from_spec
    from tldse.sim import STATUS_NAMES, evaluate
    from tldse.workloads.fold import fold, unfold

    p = res.problem
    configs = p.space.configs(np.array([index], dtype=np.int64))
    frames = []
    for wl in p.workloads:
        folded, where = fold(wl)
        ev = evaluate(
            configs,
            folded,
            energy=_energy_from_spec(p.energy) if p.energy else None,
            objective=p.mapper_objective,  # type: ignore[arg-type]
            mapper=p.mapper,  # type: ignore[arg-type]
        )
        lat = unfold(ev["latency_cycles"], where).reshape(-1)
        en = unfold(ev["energy_pj"], where).reshape(-1)
        util = unfold(ev["utilization"], where).reshape(-1)
        status = np.take(np.asarray(ev["status"]), where, axis=-1).reshape(-1)
        counts = np.array([layer.count for layer in wl.layers], dtype=np.int64)
        df = pd.DataFrame(
            {
                "workload": wl.name,
                "layer": list(wl.names),
                "count": counts,
                "latency_cycles": lat,
                "energy_pj": en,
                "utilization": util,
                "status": np.array(STATUS_NAMES, dtype=object)[status],
            }
        )
        tot_l = float(np.nansum(lat * counts))
        tot_e = float(np.nansum(en * counts))
        df["latency_share"] = lat * counts / tot_l if tot_l else np.nan
        df["energy_share"] = en * counts / tot_e if tot_e else np.nan
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _plot_front(res: SearchResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = res.problem
    cols = [OBJECTIVES[o] for o in p.objectives]
    if len(cols) == 1:
        cols = [cols[0], "area_mm2" if cols[0] != "area_mm2" else "latency_ms"]
    xi, yi = METRIC_INDEX[cols[0]], METRIC_INDEX[cols[1]]
    ok = res.valid
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=110)
    met = res.metrics
    ax.scatter(
        met[~ok, xi],
        met[~ok, yi],
        s=4,
        c="#dddddd",
        label="simulated, fails constraints",
    )
    ax.scatter(met[ok, xi], met[ok, yi], s=4, c="#999999", label="simulated")
    f = res.front
    if len(p.objectives) >= 3:
        sc = ax.scatter(
            f[cols[0]], f[cols[1]], s=22, c=f[OBJECTIVES[p.objectives[2]]],
            cmap="viridis", edgecolors="k", linewidths=0.3, label="Pareto front",
        )  # fmt: skip
        fig.colorbar(sc, ax=ax, label=_LABELS.get(OBJECTIVES[p.objectives[2]], ""))
    else:
        ax.scatter(f[cols[0]], f[cols[1]], s=22, c="C3", label="Pareto front")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(_LABELS.get(cols[0], cols[0]))
    ax.set_ylabel(_LABELS.get(cols[1], cols[1]))
    ax.set_title(
        f"{p.name} on {p.space.name}: {res.method}, {res.n_simulations} simulations"
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def parity(res: SearchResult) -> dict[str, Any] | None:
    """Out-of-sample errors of the surrogate: each design's prediction made
    before it was simulated vs its simulated latency / energy (weighted sums
    over workloads)."""
    if res.predictions is None or not len(res.predictions):
        return None
    from scipy.stats import kendalltau

    pred = res.predictions
    w = np.asarray(res.problem.weights)
    lat_p = pred[:, 1::2] @ w
    en_p = pred[:, 2::2] @ w
    pos = {int(k): i for i, k in enumerate(res.indices.tolist())}
    rows = np.array([pos[int(k)] for k in pred[:, 0]])
    lat_t = res.metrics[rows, METRIC_INDEX["latency_cycles"]]
    en_t = res.metrics[rows, METRIC_INDEX["energy_uj"]] * 1e6
    ok = np.isfinite(lat_t) & np.isfinite(en_t)
    out: dict[str, Any] = {"n": int(ok.sum())}
    for name, p_, t_ in (("latency", lat_p, lat_t), ("energy", en_p, en_t)):
        pp, tt = p_[ok], t_[ok]
        ape = np.abs(pp - tt) / tt
        tau = float(kendalltau(pp, tt).statistic) if len(pp) > 1 else float("nan")
        out[name] = {
            "mape_pct": float(100 * ape.mean()) if len(ape) else float("nan"),
            "p90_ape_pct": float(100 * np.quantile(ape, 0.9))
            if len(ape)
            else float("nan"),
            "kendall_tau": tau,
            "pred": pp,
            "true": tt,
        }
    return out


def _plot_parity(par: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), dpi=110)
    for ax, name, unit in zip(
        axes, ("latency", "energy"), ("cycles", "pJ"), strict=True
    ):
        d = par[name]
        ax.scatter(d["true"], d["pred"], s=5, alpha=0.6)
        if len(d["true"]):
            lo = float(min(d["true"].min(), d["pred"].min()))
            hi = float(max(d["true"].max(), d["pred"].max()))
            ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"simulated {name} ({unit})")
        ax.set_ylabel(f"predicted {name} ({unit})")
        ax.set_title(f"{name}: MAPE {d['mape_pct']:.1f}%, tau {d['kendall_tau']:.3f}")
    fig.suptitle("surrogate, predicted before simulating (out of sample)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(
    res: SearchResult,
    out: Path,
    *,
    command: str | None = None,
    seed: int = 0,
) -> Path:
    """Writes ``report.md`` and its files in ``out``; returns the report path."""
    out.mkdir(parents=True, exist_ok=True)
    p = res.problem
    from tldse.search.exhaustive import results_frame

    sim = results_frame(p.space, res.indices, res.metrics)
    sim.insert(1, "order", np.arange(len(sim)))
    sim["valid"] = res.valid
    write_atomic(out / "simulated.csv", sim.to_csv(index=False))
    write_atomic(out / "front.csv", res.front.to_csv(index=False))
    _plot_front(res, out / "pareto.png")
    summary = res.summary()
    par = parity(res)
    if par is not None:
        _plot_parity(par, out / "parity.png")
        summary["surrogate_errors"] = {
            k: {kk: vv for kk, vv in v.items() if kk not in ("pred", "true")}
            if isinstance(v, dict)
            else v
            for k, v in par.items()
        }
    if res.surrogate is not None:
        res.surrogate.save(out / "model")
    chosen_obj = p.objectives[0]
    chosen = res.best.get(chosen_obj)
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
    write_atomic(out / "best.json", json.dumps(summary, indent=1, default=str) + "\n")

    lines = [
        f"# tldse explore: {p.name} on {p.space.name}",
        "",
        f"- method **{res.method}**, {res.n_simulations:,} simulations of a "
        f"{len(p.space):,}-design space "
        f"({100 * res.n_simulations / len(p.space):.2f}%), budget {res.budget:,}, "
        f"stopped: {res.stopped}",
        f"- objectives (minimised): {', '.join(p.objectives)}; constraints: "
        f"{', '.join(str(c) for c in p.constraints) or 'none'}",
        f"- workloads: {', '.join(f'{w.name} (x{x:g})' for w, x in zip(p.workloads, p.weights, strict=True))}",  # noqa: E501
        f"- {int(res.valid.sum()):,} simulated designs meet the constraints; "
        f"Pareto front: {len(res.front)} designs (all simulated, none predicted); "
        f"re-simulated, {100 * (recheck or 0):.0f}% of them meet the constraints",
        f"- wall time {res.seconds:.1f} s, of which simulation {res.sim_seconds:.1f} s",
        "",
        "## Reproduce",
        "",
        "```bash",
        command or _command(res, seed),
        "```",
        "",
        "## Pareto front",
        "",
        "![Pareto front](pareto.png)",
        "",
    ]
    cols = [OBJECTIVES[o] for o in p.objectives]
    show = ["index", *p.space.names, *dict.fromkeys([*cols, "latency_ms",
            "energy_uj", "area_mm2", "edp_uj_ms", "power_mw"])]  # fmt: skip
    front = res.front.sort_values(cols[0]).head(15)
    lines += [
        f"### Best designs (front sorted by {cols[0]}, first 15 of "
        f"{len(res.front)}; all in `front.csv`)",
        "",
        _md_table(front[show].to_dict("records"), show),
        "",
    ]
    if res.best:
        rows = [{"best for": k, **v} for k, v in res.best.items()]
        lines += [
            "### Best per objective",
            "",
            _md_table(rows, ["best for", *show]),
            "",
        ]
    if layers is not None and chosen is not None:
        lines += [
            f"## Per-layer breakdown of the chosen design (best {chosen_obj}, "
            f"index {chosen['index']})",
            "",
            "Latency and energy per occurrence; shares include the layer's count. "
            "All layers in `layers.csv`.",
            "",
        ]
        top = layers.sort_values("latency_share", ascending=False).head(20)
        lines += [
            _md_table(
                top.to_dict("records"),
                [
                    "workload",
                    "layer",
                    "count",
                    "latency_cycles",
                    "energy_pj",
                    "utilization",
                    "latency_share",
                    "energy_share",
                    "status",
                ],
            ),
            "",
        ]
    if par is not None:
        lines += [
            "## Surrogate",
            "",
            "Each design's prediction was made *before* it was simulated, by the "
            "model of that round: these are out-of-sample errors on exactly the "
            "designs the search chose (the hardest ones: near the front). The "
            "trained model is in `model/` (reuse it with `--model`).",
            "",
            "![parity](parity.png)",
            "",
            _md_table(
                [
                    {
                        "target": k,
                        "designs": par["n"],
                        **{
                            kk: v
                            for kk, v in par[k].items()
                            if kk not in ("pred", "true")
                        },
                    }
                    for k in ("latency", "energy")
                ],
                ["target", "designs", "mape_pct", "p90_ape_pct", "kendall_tau"],
            ),
            "",
            "Area is not predicted: it is computed exactly for every design "
            "(`EnergyTable.area_um2`, no simulation needed).",
            "",
        ]
    if res.rounds:
        keys = list(res.rounds[0])
        lines += ["## Rounds", "", _md_table(res.rounds, keys), ""]
    path = out / "report.md"
    write_atomic(path, "\n".join(lines) + "\n")
    return path


def _command(res: SearchResult, seed: int) -> str:
    p = res.problem
    parts = ["tldse", "explore", "--space", p.space.name]
    for w, x in zip(p.workloads, p.weights, strict=True):
        parts += ["--workload", w.name if x == 1.0 else f"{w.name}:{x:g}"]
    parts += ["--objectives", ",".join(p.objectives)]
    for c in p.constraints:
        parts += ["--constraint", str(c)]
    parts += ["--budget", str(res.budget), "--method", res.method]
    parts += ["--seed", str(seed)]
    return " ".join(shlex.quote(s) for s in parts)


# ---------------------------------------------------------------- the experiment


@dataclass
class ExperimentConfig:
    space: str
    workloads: tuple[str, ...]
    seeds: tuple[int, ...]
    budget_fraction: float = 0.02
    nsga2_factor: int = 10  # the long NSGA-II run, for "simulations to match HV"
    scenarios: tuple[str, ...] = ("edp", "latency@area", "front")
    methods: tuple[str, ...] = ("surrogate", "random", "nsga2")
    extra: dict[str, Any] = field(default_factory=dict)


WORKLOADS5 = ("resnet18", "mobilenet_v2", "alexnet", "vgg16", "bert_base")


def experiment_sizes() -> dict[str, ExperimentConfig]:
    return {
        "tiny": ExperimentConfig("tiny", ("resnet18", "alexnet"), (0, 1), 0.1, 3),
        "quick": ExperimentConfig("edge-small", WORKLOADS5, (0, 1, 2, 3, 4)),
        "full": ExperimentConfig("edge", WORKLOADS5, (0, 1, 2, 3, 4)),
    }


def experiment_space(name: str) -> DesignSpace:
    """``edge-small``: the edge space with clock 1 GHz and buffer bandwidth 128
    B/cycle fixed (43,008 designs); otherwise a built-in space."""
    if name == "edge-small":
        d = DesignSpace.builtin("edge").to_dict()
        d["name"] = "edge-small"
        for k in ("clock_mhz", "glb_bw_bytes_per_cycle"):
            d["params"].pop(k)
        d["base"]["clock_mhz"] = 1000
        d["base"]["glb_bw_bytes_per_cycle"] = 128
        return DesignSpace.from_dict(d)
    return DesignSpace.load(name)


def _scenario(name: str, area_bound: float) -> tuple[str, list[str]]:
    if name == "edp":
        return "edp", []
    if name == "latency@area":
        return "latency", [f"area_mm2<={area_bound:g}"]
    return "latency,energy,area", []


def _hv(points: npt.NDArray[np.float64], lo: Any, hi: Any) -> float:
    """Hypervolume of log objectives normalised to the true front's box
    ([ideal, nadir] -> [0, 1]), reference point 1.1 in every dimension."""
    from pymoo.indicators.hv import HV  # type: ignore[import-untyped,unused-ignore]

    if not len(points):
        return 0.0
    z = (np.log(points) - lo) / np.maximum(hi - lo, 1e-12)
    z = z[(z < 1.1).all(axis=1)]
    if not len(z):
        return 0.0
    z = z[pareto_mask(z)]
    return float(HV(ref_point=np.full(z.shape[1], 1.1))(z))


def run_experiment(
    size: str = "quick",
    out: str | Path = "experiment-search",
    *,
    seeds: Sequence[int] | None = None,
    workloads: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
    plots: bool = True,
) -> dict[str, Any]:
    """Runs the search experiment; writes ``results.md``, ``results.json`` and
    PNG plots to ``out``; returns the JSON data."""
    sizes = experiment_sizes()
    if size not in sizes:
        raise SearchError(f"unknown size {size!r}; valid: {', '.join(sizes)}")
    cfg = sizes[size]
    seeds = tuple(seeds) if seeds is not None else cfg.seeds
    wls = tuple(workloads) if workloads is not None else cfg.workloads
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    space = experiment_space(cfg.space)
    n = len(space)
    budget = max(10, round(cfg.budget_fraction * n))
    note = progress or (lambda _m: None)
    from tldse.search.exhaustive import energy_spec
    from tldse.search.pruned import _area_um2

    area = _area_um2(space, energy_spec(None), 65536) * 1e-6
    area_bound = float(np.round(np.median(area), 2))
    runs: list[dict[str, Any]] = []
    curves: dict[str, dict[str, list[Any]]] = {}
    t_all = time.perf_counter()
    for wl in wls:
        base = Problem.create(space, wl)
        t0 = time.perf_counter()
        lookup = base.simulate(np.arange(n, dtype=np.int64))
        sim_per_design = (time.perf_counter() - t0) / n
        note(f"{wl}: swept {n:,} designs in {time.perf_counter() - t0:.1f} s")
        for scen in cfg.scenarios:
            objs, cons = _scenario(scen, area_bound)
            prob = Problem.create(space, wl, objectives=objs, constraints=cons)
            ok = prob.valid(lookup)
            vals = prob.objective_values(lookup)
            truth: dict[str, Any] = {}
            if len(prob.objectives) == 1:
                truth["optimum"] = float(np.min(vals[ok, 0]))
            tf = vals[ok][pareto_mask(vals[ok])]
            lo, hi = np.log(tf).min(axis=0), np.log(tf).max(axis=0)
            hv_true = _hv(tf, lo, hi)
            for seed in seeds:
                jobs = [(m, budget) for m in cfg.methods]
                if scen == "front" and "nsga2" in cfg.methods:
                    jobs.append(("nsga2-long", budget * cfg.nsga2_factor))
                for method, b in jobs:
                    r = run_method(
                        method.split("-")[0], prob, b, seed=seed, lookup=lookup
                    )
                    rec = _record(r, prob, truth, lo, hi, hv_true, sim_per_design)
                    rec.update(workload=wl, scenario=scen, seed=seed, method=method)
                    runs.append(rec)
                    key = f"{scen}|{method}"
                    curves.setdefault(key, {"x": [], "y": []})
                    curves[key]["x"].append(rec.pop("_curve_x"))
                    curves[key]["y"].append(rec.pop("_curve_y"))
                    note(
                        f"{wl} {scen} seed {seed} {method}: {rec['simulations']} "
                        f"sims, regret {rec.get('regret_pct', float('nan')):.2f}%, "
                        f"HV {rec['hv_fraction']:.3f}, {rec['seconds']:.1f} s"
                    )
    summary = _summarise(runs, budget)
    data = {
        "size": size,
        "space": space.name,
        "designs": n,
        "budget": budget,
        "budget_fraction": budget / n,
        "area_bound_mm2": area_bound,
        "workloads": list(wls),
        "seeds": list(seeds),
        "scenarios": list(cfg.scenarios),
        "seconds": time.perf_counter() - t_all,
        "summary": summary,
        "runs": runs,
    }
    write_atomic(out_dir / "results.json", json.dumps(data, indent=1) + "\n")
    md = _experiment_md(data, size)
    write_atomic(out_dir / "results.md", md)
    if plots:
        _plot_curves(curves, out_dir / "best_so_far.png", budget)
    return data


def _record(
    r: SearchResult,
    prob: Problem,
    truth: dict[str, Any],
    lo: Any,
    hi: Any,
    hv_true: float,
    sim_per_design: float,
) -> dict[str, Any]:
    met = r.metrics
    ok = prob.valid(met)
    vals = prob.objective_values(met)
    rec: dict[str, Any] = {
        "simulations": r.n_simulations,
        "seconds": r.seconds,
        "est_seconds_with_simulation": r.seconds
        - r.sim_seconds
        + r.n_simulations * sim_per_design,
        "front_size": len(r.front),
        "stopped": r.stopped,
    }
    front_vals = r.front[[OBJECTIVES[o] for o in prob.objectives]].to_numpy()
    rec["hv_fraction"] = (
        _hv(front_vals, lo, hi) / hv_true
        if len(prob.objectives) > 1 and hv_true > 0
        else float("nan")
    )
    on_front = np.isin(r.indices, r.front_indices())
    rec["all_reported_valid"] = bool(prob.valid(met[on_front]).all())
    if "optimum" in truth:
        v = np.where(ok, vals[:, 0], np.inf)
        best = np.minimum.accumulate(v)
        found = float(best[-1]) if len(best) else math.inf
        rec["best"] = found
        rec["regret_pct"] = 100 * (found / truth["optimum"] - 1)
        within = np.flatnonzero(best <= truth["optimum"] * 1.01)
        rec["sims_to_1pct"] = int(within[0]) + 1 if len(within) else None
        rec["_curve_x"] = (np.arange(len(best)) + 1).tolist()
        rec["_curve_y"] = (100 * (best / truth["optimum"] - 1)).tolist()
    else:
        # hypervolume after k simulations, on a coarse grid (for the curves
        # and for "simulations NSGA-II needs to match")
        grid = np.unique(np.geomspace(1, max(len(met), 1), 12).astype(int))
        ys = []
        for k in grid:
            m = ok[:k]
            ys.append(_hv(vals[:k][m], lo, hi) / hv_true if m.any() else 0.0)
        rec["_curve_x"] = grid.tolist()
        rec["_curve_y"] = ys
        rec["hv_grid"] = [grid.tolist(), ys]
    return rec


def _median(xs: Sequence[float | None]) -> float:
    v = [x for x in xs if x is not None and math.isfinite(x)]
    return float(np.median(v)) if v else float("nan")


def _summarise(runs: list[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    out = []
    keys = sorted({(r["scenario"], r["method"]) for r in runs}, key=str)
    for scen, method in keys:
        rs = [r for r in runs if r["scenario"] == scen and r["method"] == method]
        row: dict[str, Any] = {
            "scenario": scen,
            "method": method,
            "runs": len(rs),
            "median_simulations": _median([r["simulations"] for r in rs]),
            "median_hv_fraction": _median([r["hv_fraction"] for r in rs]),
            "median_seconds": _median([r["seconds"] for r in rs]),
            "median_est_seconds_with_sim": _median(
                [r["est_seconds_with_simulation"] for r in rs]
            ),
            "all_reported_valid": all(r["all_reported_valid"] for r in rs),
        }
        if "regret_pct" in rs[0]:
            row["median_regret_pct"] = _median([r["regret_pct"] for r in rs])
            row["share_within_1pct"] = float(
                np.mean([r["regret_pct"] <= 1.0 for r in rs])
            )
        out.append(row)
    # simulations NSGA-II needs to match the surrogate's hypervolume
    match = []
    for r in runs:
        if r["scenario"] != "front" or r["method"] != "surrogate":
            continue
        long = [
            x
            for x in runs
            if x["scenario"] == "front"
            and x["method"] == "nsga2-long"
            and x["workload"] == r["workload"]
            and x["seed"] == r["seed"]
        ]
        if not long:
            continue
        gx, gy = long[0]["hv_grid"]
        hit = [x for x, y in zip(gx, gy, strict=True) if y >= r["hv_fraction"]]
        match.append(hit[0] / r["simulations"] if hit else math.inf)
    if match:
        finite = [m for m in match if math.isfinite(m)]
        out.append(
            {
                "scenario": "front",
                "method": "nsga2 sims / surrogate sims for equal HV",
                "runs": len(match),
                "median_ratio": float(np.median(match)),
                "never_matched": len(match) - len(finite),
            }
        )
    return out


def _experiment_md(data: dict[str, Any], size: str) -> str:
    cols = [
        "scenario", "method", "runs", "median_simulations", "median_regret_pct",
        "share_within_1pct", "median_hv_fraction", "median_seconds",
        "median_est_seconds_with_sim", "all_reported_valid",
    ]  # fmt: skip
    rows = [r for r in data["summary"] if "median_ratio" not in r]
    ratio = [r for r in data["summary"] if "median_ratio" in r]
    lines = [
        f"# Search experiment ({size})",
        "",
        f"Space `{data['space']}` ({data['designs']:,} designs), budget "
        f"{data['budget']:,} simulations ({100 * data['budget_fraction']:.1f}% of "
        f"the space) per run; workloads {', '.join(data['workloads'])}; seeds "
        f"{', '.join(map(str, data['seeds']))}. Scenarios: `edp` (minimise EDP), "
        f"`latency@area` (minimise latency, area_mm2<={data['area_bound_mm2']:g}, "
        "the median area of the space), `front` (latency, energy, area). Regret: "
        "best found / exhaustive optimum - 1. HV: hypervolume of the found front "
        "/ the true front's (log objectives scaled to the true front's box, "
        "reference 1.1). Seconds: search wall time with simulations looked up "
        "from the exhaustive sweep; `est_with_sim` adds the measured simulation "
        "time per design. nsga2-long: NSGA-II with "
        "10x the budget, used to find how many simulations it needs to match the "
        "surrogate's HV.",
        "",
        _md_table(rows, cols),
        "",
    ]
    for r in ratio:
        lines.append(
            f"NSGA-II simulations needed to reach the surrogate method's HV, over "
            f"the surrogate's simulations (median over {r['runs']} runs): "
            f"**{r['median_ratio']:.2f}x** ({r['never_matched']} runs where "
            "NSGA-II never matched it within 10x the budget count as infinite)."
        )
    lines += ["", f"Total time {data['seconds']:.0f} s.", ""]
    return "\n".join(lines)


def _plot_curves(
    curves: dict[str, dict[str, list[Any]]], path: Path, budget: int
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scens = sorted({k.split("|")[0] for k in curves})
    fig, axes = plt.subplots(1, len(scens), figsize=(5 * len(scens), 4), dpi=110)
    axes = np.atleast_1d(axes)
    for ax, scen in zip(axes, scens, strict=True):
        for key, c in sorted(curves.items()):
            s, method = key.split("|")
            if s != scen:
                continue
            grid = np.unique(
                np.geomspace(1, max(max(x[-1] for x in c["x"] if x), 1), 60).astype(int)
            )
            ys = []
            for x, y in zip(c["x"], c["y"], strict=True):
                xa, ya = np.asarray(x), np.asarray(y, dtype=np.float64)
                pos = np.searchsorted(xa, grid, side="right") - 1
                v = np.where(pos >= 0, ya[np.maximum(pos, 0)], np.nan)
                v[grid > xa[-1]] = ya[-1]
                ys.append(v)
            ax.plot(grid, np.nanmedian(np.array(ys), axis=0), label=method)
        ax.axvline(budget, color="k", lw=0.6, ls=":")
        ax.set_xscale("log")
        if scen == "front":
            ax.set_ylabel("hypervolume / true (median)")
        else:
            ax.set_yscale("symlog", linthresh=1)
            ax.set_ylabel("regret % (median, best so far)")
        ax.set_xlabel("simulations")
        ax.set_title(scen)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def parse_workloads(items: Sequence[str]) -> tuple[list[str], list[float]]:
    """``["resnet18", "bert_base:2"]`` -> names and weights (``NAME:WEIGHT``;
    a comma list in one item also works)."""
    names: list[str] = []
    weights: list[float] = []
    for item in items:
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, w = part.rpartition(":")
            if sep and w and _is_number(w) and name:
                names.append(name)
                weights.append(float(w))
            else:
                names.append(part)
                weights.append(1.0)
    return names, weights


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


__all__ = [
    "METHODS",
    "explore",
    "parse_constraints",
    "parse_workloads",
    "run_experiment",
    "write_report",
]
