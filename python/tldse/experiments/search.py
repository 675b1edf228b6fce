"""``tldse experiment search``: surrogate-pruned search against random sampling
and NSGA-II on spaces small enough to sweep, so every answer is scored against
the exhaustive truth.

Per (workload, scenario, seed, method) run: best objective found vs the
exhaustive optimum (regret), simulations used, hypervolume of the found front
as a fraction of the true front's, and how many simulations each method needed
to first reach a hypervolume level. Methods: ``surrogate`` (a fresh model, the
default granularity), ``surrogate-network`` (a fresh model of whole networks
instead of (design, layer) pairs), ``surrogate-transfer`` (a model of (design,
layer) pairs pretrained on the experiment's *other* workloads, then
fine-tuned: the transfer of Wu et al. 2023 applied to search; its pretraining
simulations are reported apart), ``random``, ``nsga2`` and, on
the front scenario, ``nsga2-long`` (NSGA-II with 10x the budget, to measure how
many simulations it needs to match the surrogate's hypervolume).

Runs are appended to ``runs.jsonl`` as they finish; a killed experiment re-run
with the same ``--out`` skips the finished runs.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tldse._util.io import write_atomic
from tldse._util.progress import Progress
from tldse._util.progress import note as _note
from tldse._util.table import plural
from tldse.arch import energy_spec
from tldse.exploration.api import run_method
from tldse.exploration.problem import Problem, SearchError, SearchResult
from tldse.exploration.surrogate import PrunedConfig, pretrain
from tldse.reporting.markdown import md_table
from tldse.reporting.plots import figure, log_axes, save_png
from tldse.search.metrics import OBJECTIVES
from tldse.search.pareto import pareto_mask
from tldse.search.results import design_areas_um2
from tldse.space import DesignSpace


@dataclass
class ExperimentConfig:
    space: str
    workloads: tuple[str, ...]
    seeds: tuple[int, ...]
    budget_fraction: float = 0.02
    nsga2_factor: int = 10  # the long NSGA-II run, for "simulations to match HV"
    scenarios: tuple[str, ...] = ("edp", "latency@area", "front")
    methods: tuple[str, ...] = (
        "surrogate",
        "surrogate-network",
        "surrogate-transfer",
        "random",
        "nsga2",
    )
    #: designs simulated on each source workload to pretrain surrogate-transfer
    pretrain_designs: int = 500
    #: hypervolume levels at which "simulations to reach" is reported
    hv_levels: tuple[float, ...] = (0.95, 0.99)
    #: hypervolume is measured every ``budget // hv_points`` simulations
    hv_points: int = 50


#: surrogate variants: ``surrogate`` uses the defaults (granularity auto)
_METHOD_CONFIGS = {"surrogate-network": PrunedConfig(granularity="network")}

WORKLOADS5 = ("resnet18", "mobilenet_v2", "alexnet", "vgg16", "bert_base")


def experiment_sizes() -> dict[str, ExperimentConfig]:
    return {
        "tiny": ExperimentConfig(
            "tiny", ("resnet18", "alexnet"), (0, 1), 0.1, 3, pretrain_designs=100
        ),
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


def hv_curve(
    values: npt.NDArray[np.float64],
    ok: npt.NDArray[np.bool_],
    grid: Sequence[int],
    lo: Any,
    hi: Any,
) -> list[float]:
    """Hypervolume (:func:`_hv`) of the front of the first ``k`` simulated
    designs that meet the constraints, for every ``k`` of ``grid`` (ascending);
    the front is carried from one grid point to the next."""
    front = values[:0]
    prev = 0
    out = []
    for k in grid:
        pts = np.concatenate((front, values[prev:k][ok[prev:k]]))
        front = pts[pareto_mask(pts)] if len(pts) else pts
        out.append(_hv(front, lo, hi))
        prev = k
    return out


def first_reaching(curve: Sequence[Sequence[Any]], level: float) -> int | None:
    """The first ``x`` of ``curve = [xs, ys]`` whose ``y`` is at least ``level``
    (None: never)."""
    for x, y in zip(curve[0], curve[1], strict=True):
        if y >= level:
            return int(x)
    return None


def _read_runs(path: Path, budget: int, space: str) -> dict[tuple[Any, ...], Any]:
    """Finished runs of an earlier invocation (a torn last line is dropped)."""
    done: dict[tuple[Any, ...], Any] = {}
    if not path.exists():
        return done
    text = path.read_text()
    kept = []
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if rec.get("budget") != budget or rec.get("space") != space:
            raise SearchError(
                f"{path} holds runs of another experiment (space "
                f"{rec.get('space')}, budget {rec.get('budget')}); use another --out"
            )
        done[_key(rec)] = rec
        kept.append(line)
    if text and (len(kept) < len(text.splitlines()) or not text.endswith("\n")):
        # drop the torn line, and end the file with a newline before appending
        write_atomic(path, "".join(x + "\n" for x in kept))
    return done


def _key(rec: dict[str, Any]) -> tuple[Any, ...]:
    return (rec["workload"], rec["scenario"], rec["seed"], rec["method"])


def run_experiment(
    size: str = "quick",
    out: str | Path = "experiment-search",
    *,
    seeds: Sequence[int] | None = None,
    workloads: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    progress: bool = False,
    plots: bool = True,
) -> dict[str, Any]:
    """Runs the search experiment; writes ``results.md``, ``results.json`` and
    PNG plots to ``out`` (and ``runs.jsonl`` as runs finish: re-running with the
    same ``out`` resumes); returns the JSON data."""
    sizes = experiment_sizes()
    if size not in sizes:
        raise SearchError(f"unknown size {size!r}; valid: {', '.join(sizes)}")
    cfg = sizes[size]
    seeds = tuple(seeds) if seeds is not None else cfg.seeds
    wls = tuple(workloads) if workloads is not None else cfg.workloads
    meths = tuple(methods) if methods is not None else cfg.methods
    bad = [m for m in meths if m not in ExperimentConfig.methods]
    if bad:
        raise SearchError(
            f"unknown method(s) {', '.join(bad)}; valid: "
            f"{', '.join(ExperimentConfig.methods)}"
        )
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    space = experiment_space(cfg.space)
    n = len(space)
    budget = max(10, round(cfg.budget_fraction * n))
    hv_step = max(1, budget // cfg.hv_points)

    def note(msg: str) -> None:
        _note(progress, msg)

    log = out_dir / "runs.jsonl"
    note(
        f"search experiment ({size}): {len(wls)} workloads x {len(seeds)} seeds x "
        f"{len(meths)} methods on {space.name} ({n:,} designs, budget {budget:,}) "
        f"-> {out_dir}"
    )
    done = _read_runs(log, budget, space.name)
    if done:
        note(f"resuming: {plural(len(done), 'run')} already in {log}")
    area = design_areas_um2(space, energy_spec(None)) * 1e-6
    area_bound = float(np.round(np.median(area), 2))
    runs: list[dict[str, Any]] = []
    t_all = time.perf_counter()
    n_jobs = sum(len(list(_jobs(cfg, meths, seeds, wl))) for wl in wls)
    bar = Progress(progress, n_jobs, "search experiment", "runs")
    bar.start_at(sum(j in done for wl in wls for j in _jobs(cfg, meths, seeds, wl)))
    with bar:
        for wl in wls:
            jobs = list(_jobs(cfg, meths, seeds, wl))
            todo = [j for j in jobs if j not in done]
            runs += [done[j] for j in jobs if j in done]
            if not todo:
                continue
            base = Problem.create(space, wl)
            t0 = time.perf_counter()
            lookup = base.simulate(np.arange(n, dtype=np.int64))
            sim_per_design = (time.perf_counter() - t0) / n
            note(f"{wl}: swept {n:,} designs in {time.perf_counter() - t0:.1f} s")
            # the size's other workloads, whatever --workloads narrows the run to, so
            # that a resumed or widened run reuses records made the same way
            sources = [w for w in cfg.workloads if w != wl]
            pretrained: dict[int, tuple[Any, int, float]] = {}
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
                truth.update(lo=lo, hi=hi, hv=_hv(tf, lo, hi), hv_step=hv_step)
                for key in todo:
                    if key[1] != scen:
                        continue
                    _, _, seed, method = key
                    b = budget * (cfg.nsga2_factor if method == "nsga2-long" else 1)
                    model, pre_sims, pre_s = None, 0, 0.0
                    if method == "surrogate-transfer":
                        if seed not in pretrained:
                            t1 = time.perf_counter()
                            src = Problem.create(space, sources)
                            m, k = pretrain(src, cfg.pretrain_designs, seed=seed)
                            pretrained[seed] = (m, k, time.perf_counter() - t1)
                        model, pre_sims, pre_s = pretrained[seed]
                    r = run_method(
                        method.split("-")[0],
                        prob,
                        b,
                        seed=seed,
                        lookup=lookup,
                        model=model,
                        config=_METHOD_CONFIGS.get(method),
                    )
                    rec = _record(r, prob, truth, sim_per_design)
                    if r.granularity:
                        rec["granularity"] = r.granularity
                    rec.update(
                        workload=wl,
                        scenario=scen,
                        seed=seed,
                        method=method,
                        budget=budget,
                        space=space.name,
                    )
                    if method == "surrogate-transfer":
                        rec.update(
                            pretrain_simulations=pre_sims,
                            pretrain_sources=sources,
                            pretrain_seconds=pre_s,
                        )
                    with log.open("a") as f:
                        f.write(json.dumps(rec) + "\n")
                    runs.append(rec)
                    note(
                        f"{wl} {scen} seed {seed} {method}: {rec['simulations']} "
                        f"sims, regret {rec.get('regret_pct', float('nan')):.2f}%, "
                        f"HV {rec['hv_fraction']:.3f}, {rec['seconds']:.1f} s"
                    )
                    bar.advance()
    order = {
        k: i for i, k in enumerate(j for w in wls for j in _jobs(cfg, meths, seeds, w))
    }
    runs.sort(key=lambda r: order.get(_key(r), len(order)))
    curves: dict[str, dict[str, list[Any]]] = {}
    for rec in runs:
        c = curves.setdefault(f"{rec['scenario']}|{rec['method']}", {"x": [], "y": []})
        c["x"].append(rec["curve"][0])
        c["y"].append(rec["curve"][1])
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
        "methods": list(meths),
        "pretrain_designs": cfg.pretrain_designs,
        "hv_levels": list(cfg.hv_levels),
        "hv_step": hv_step,
        "seconds": time.perf_counter() - t_all,
        # over every run, also those of earlier (killed) invocations
        "runs_seconds": sum(r["seconds"] for r in runs)
        + sum(
            {
                (r["workload"], r["seed"]): r["pretrain_seconds"]
                for r in runs
                if "pretrain_seconds" in r
            }.values()
        ),
        "summary": _summarise(runs, cfg.hv_levels),
        "runs": [{k: v for k, v in r.items() if k != "curve"} for r in runs],
    }
    write_atomic(out_dir / "results.json", json.dumps(data, indent=1) + "\n")
    write_atomic(out_dir / "results.md", _experiment_md(data, size))
    if plots:
        _plot_curves(curves, out_dir / "best_so_far.png", budget)
    return data


def _jobs(
    cfg: ExperimentConfig, methods: Sequence[str], seeds: Sequence[int], wl: str
) -> Iterator[tuple[str, str, int, str]]:
    for scen in cfg.scenarios:
        for seed in seeds:
            for m in methods:
                yield (wl, scen, seed, m)
            if scen == "front" and "nsga2" in methods:
                yield (wl, scen, seed, "nsga2-long")


def _record(
    r: SearchResult,
    prob: Problem,
    truth: dict[str, Any],
    sim_per_design: float,
) -> dict[str, Any]:
    met = r.metrics
    ok = prob.valid(met)
    vals = prob.objective_values(met)
    lo, hi = truth["lo"], truth["hi"]
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
    multi = len(prob.objectives) > 1 and truth["hv"] > 0
    rec["hv_fraction"] = _hv(front_vals, lo, hi) / truth["hv"] if multi else math.nan
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
        rec["curve"] = [
            (np.arange(len(best)) + 1).tolist(),
            (100 * (best / truth["optimum"] - 1)).tolist(),
        ]
    else:
        # hypervolume after every hv_step simulations (and at the end): the
        # curves, and "simulations to reach a hypervolume level"
        step = truth["hv_step"]
        grid = list(range(step, len(met) + 1, step))
        if not grid or grid[-1] != len(met):
            grid.append(len(met))
        ys = [h / truth["hv"] for h in hv_curve(vals, ok, grid, lo, hi)]
        rec["curve"] = [grid, ys]
        rec["hv_grid"] = [grid, ys]
    return rec


def _median(xs: Sequence[float | None]) -> float:
    v = [x for x in xs if x is not None and math.isfinite(x)]
    return float(np.median(v)) if v else float("nan")


def _summarise(
    runs: list[dict[str, Any]], levels: Sequence[float]
) -> list[dict[str, Any]]:
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
        if "hv_grid" in rs[0]:
            for h in levels:
                hits = [first_reaching(r["hv_grid"], h) for r in rs]
                row[f"median_sims_to_hv_{h:g}"] = _median(hits)
                row[f"never_hv_{h:g}"] = sum(x is None for x in hits)
        out.append(row)
    out += _match_nsga2(runs, levels)
    return out


def _match_nsga2(
    runs: list[dict[str, Any]], levels: Sequence[float]
) -> list[dict[str, Any]]:
    """Per surrogate method and hypervolume level: the simulations NSGA-II (the
    10x-budget run, same workload and seed) needed to first reach the level,
    over those the surrogate needed; the level ``final`` is the surrogate run's
    own final hypervolume. Median over the runs where the surrogate reached the
    level; NSGA-II never reaching it counts as infinite."""
    long = {
        (r["workload"], r["seed"]): r["hv_grid"]
        for r in runs
        if r["scenario"] == "front" and r["method"] == "nsga2-long"
    }
    out = []
    for method in sorted({r["method"] for r in runs if r["method"].startswith("surr")}):
        mine = [
            r
            for r in runs
            if r["scenario"] == "front"
            and r["method"] == method
            and (r["workload"], r["seed"]) in long
        ]
        if not mine:
            continue
        named: list[tuple[str | float, float | None]] = [("final", None)]
        named += [(h, h) for h in levels]
        for level, fixed in named:
            ratios = []
            for r in mine:
                h = float(r["hv_grid"][1][-1]) if fixed is None else fixed
                own = first_reaching(r["hv_grid"], h)
                if own is None:
                    continue
                theirs = first_reaching(long[(r["workload"], r["seed"])], h)
                ratios.append(theirs / own if theirs is not None else math.inf)
            finite = [x for x in ratios if math.isfinite(x)]
            out.append(
                {
                    "scenario": "front",
                    "method": method,
                    "hv_level": level,
                    "runs": len(mine),
                    "runs_reaching": len(ratios),
                    "median_ratio": float(np.median(ratios)) if ratios else math.nan,
                    "nsga2_never_matched": len(ratios) - len(finite),
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
    levels = data["hv_levels"]
    reach_cols = ["method"] + [
        c for h in levels for c in (f"median_sims_to_hv_{h:g}", f"never_hv_{h:g}")
    ]
    reach = [r for r in rows if r["scenario"] == "front"]
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
        "reference 1.1), measured every "
        f"{data['hv_step']} simulations. Seconds: search wall time with "
        "simulations looked up from the exhaustive sweep; `est_with_sim` adds "
        "the measured simulation time per design. `surrogate` uses the default "
        "granularity (auto: each run's `granularity` in results.json says what "
        "it modelled), `surrogate-network` models whole networks. "
        "`surrogate-transfer` (pairs) starts "
        "from a model pretrained on the other workloads "
        f"({data['pretrain_designs']} designs each, simulated apart from the "
        "budget, as a model from earlier studies would be). `nsga2-long`: "
        "NSGA-II with 10x the budget, used to find how many simulations it needs "
        "to reach the surrogate's hypervolume.",
        "",
        md_table(rows, cols),
        "",
        "## Simulations to first reach a hypervolume level (front scenario)",
        "",
        md_table(reach, reach_cols),
        "",
        "## NSGA-II simulations / surrogate simulations for the same hypervolume",
        "",
        "Per run: simulations the 10x-budget NSGA-II run needed to first reach the "
        "level, over those the surrogate run needed (level `final`: the "
        "surrogate run's own final hypervolume). Median over the runs where the "
        "surrogate reached the level; NSGA-II never reaching it counts as "
        "infinite.",
        "",
        md_table(
            ratio,
            [
                "method",
                "hv_level",
                "runs",
                "runs_reaching",
                "median_ratio",
                "nsga2_never_matched",
            ],
        ),
        "",
        f"Searches (and pretraining) took {data['runs_seconds']:.0f} s in all; "
        f"this invocation {data['seconds']:.0f} s.",
        "",
    ]
    return "\n".join(lines)


def _plot_curves(
    curves: dict[str, dict[str, list[Any]]], path: Path, budget: int
) -> None:
    scens = sorted({k.split("|")[0] for k in curves})
    methods = sorted({k.split("|")[1] for k in curves})
    colour = {m: f"C{i}" for i, m in enumerate(methods)}
    fig = figure(figsize=(5 * len(scens), 4), dpi=110)
    axes = np.atleast_1d(fig.subplots(1, len(scens)))
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
            ax.plot(
                grid,
                np.nanmedian(np.array(ys), axis=0),
                label=method,
                color=colour[method],
            )
        ax.axvline(budget, color="k", lw=0.6, ls=":", label="budget")
        log_axes(ax, y=False)
        if scen == "front":
            ax.set_ylabel("hypervolume / true (median)")
        else:
            ax.set_yscale("symlog", linthresh=1)
            ax.set_ylim(bottom=0)
            ax.set_ylabel("regret % (median, best so far)")
        ax.set_xlabel("simulations")
        ax.set_title(scen)
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_png(fig, path)


__all__ = [
    "ExperimentConfig",
    "experiment_sizes",
    "experiment_space",
    "first_reaching",
    "hv_curve",
    "run_experiment",
]
