"""``tldse explore``: search a design space with a simulation budget and write a
report; and ``tldse experiment search``: the surrogate method against the
exhaustive optimum and the random / NSGA-II baselines. See docs/explore.md.
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tldse.search.exhaustive import write_atomic
from tldse.search.metrics import METRIC_INDEX, OBJECTIVES, parse_constraints
from tldse.search.pruned import (
    Problem,
    PrunedConfig,
    SearchError,
    SearchResult,
    SimulationCache,
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
    granularity: str = "auto",
    device: str = "cpu",
    fresh: bool = False,
    command: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> SearchResult:
    """Searches ``space`` for ``workloads`` (weighted) within ``budget``
    simulations and, with ``out``, writes ``report.md`` and its files there
    (``front.csv``, ``simulated.csv``, ``best.json``, ``layers.csv``,
    ``pareto.png``, ``parity.png``, ``model/``). Simulations are also kept in
    ``out/simulations.jsonl`` as they finish: a killed run re-run with the same
    ``out`` (and the same space, workloads, energy table and mapper) simulates
    nothing twice; ``fresh=True`` discards them first."""
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
    if method == "surrogate":
        from tldse.surrogate.model import resolve_device

        resolve_device(device)  # before anything is written or simulated
    if out is not None and method != "exhaustive":
        path = Path(out) / "simulations.jsonl"
        if fresh:
            path.unlink(missing_ok=True)
        problem.cache = SimulationCache(path, problem)
        if len(problem.cache) and progress is not None:
            progress(f"reusing {len(problem.cache):,} simulations from {path}")
    surrogate = None
    if model is not None:
        from tldse.surrogate import Surrogate

        surrogate = Surrogate.load(model)
    cfg = PrunedConfig(granularity=granularity, device=device)
    res = run_method(
        method, problem, b, seed=seed, model=surrogate, config=cfg, progress=progress
    )
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
        f"stopped: {res.stopped}"
        + (
            f"; surrogate of {'(design, layer) pairs' if res.granularity == 'layer' else 'networks'}"  # noqa: E501
            if res.granularity
            else ""
        ),
        f"- objectives (minimised): {', '.join(p.objectives)}; constraints: "
        f"{', '.join(str(c) for c in p.constraints) or 'none'}",
        f"- workloads: {', '.join(f'{w.name} (x{x:g})' for w, x in zip(p.workloads, p.weights, strict=True))}",  # noqa: E501
        f"- {int(res.valid.sum()):,} simulated designs meet the constraints; "
        f"Pareto front: {len(res.front)} designs (all simulated, none predicted); "
        f"re-simulated, {100 * (recheck or 0):.0f}% of them meet the constraints",
        f"- wall time {res.seconds:.1f} s, of which simulation {res.sim_seconds:.3g} s",
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
    if res.granularity:
        parts += ["--granularity", res.granularity]
    parts += ["--seed", str(seed)]
    return " ".join(shlex.quote(s) for s in parts)


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
    "write_report",
]
