"""The report of an exploration: ``report.md`` with the front plot, the best
designs, a per-layer breakdown of the chosen design, the surrogate's out-of-sample
errors and the rounds; written beside the data files of
:func:`tldse.exploration.api.write_outputs`."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import numpy as np

from tldse._util.io import write_atomic
from tldse.exploration.api import ExploreOutputs, write_outputs
from tldse.exploration.problem import SearchResult
from tldse.reporting.markdown import md_table
from tldse.reporting.plots import figure, label, save_png
from tldse.search.metrics import METRIC_INDEX, OBJECTIVES


def _plot_front(res: SearchResult, path: Path) -> None:
    p = res.problem
    cols = [OBJECTIVES[o] for o in p.objectives]
    if len(cols) == 1:
        cols = [cols[0], "area_mm2" if cols[0] != "area_mm2" else "latency_ms"]
    xi, yi = METRIC_INDEX[cols[0]], METRIC_INDEX[cols[1]]
    ok = res.valid
    fig = figure(figsize=(6.4, 4.8), dpi=110)
    ax = fig.subplots()
    met = res.metrics
    # at most ~20,000 background points (an exhaustive run has every design)
    stride = max(1, len(met) // 20_000)
    every = f" (1 in {stride})" if stride > 1 else ""
    keep = np.zeros(len(met), dtype=bool)
    keep[::stride] = True
    ax.scatter(
        met[~ok & keep, xi],
        met[~ok & keep, yi],
        s=4,
        c="#dddddd",
        label=f"evaluated, fails constraints{every}",
    )
    ax.scatter(
        met[ok & keep, xi], met[ok & keep, yi], s=4, c="#999999",
        label=f"evaluated{every}",
    )  # fmt: skip
    f = res.front
    if len(p.objectives) >= 3:
        sc = ax.scatter(
            f[cols[0]], f[cols[1]], s=22, c=f[OBJECTIVES[p.objectives[2]]],
            cmap="viridis", edgecolors="k", linewidths=0.3, label="Pareto front",
        )  # fmt: skip
        fig.colorbar(sc, ax=ax, label=label(OBJECTIVES[p.objectives[2]]))
    else:
        ax.scatter(f[cols[0]], f[cols[1]], s=22, c="C3", label="Pareto front")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(label(cols[0]))
    ax.set_ylabel(label(cols[1]))
    ax.set_title(
        f"{p.name} on {p.space.name}: {res.method}, {res.n_simulations} simulations"
    )
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    save_png(fig, path)


def _plot_parity(par: dict[str, Any], path: Path) -> None:
    units = {"latency": "cycles", "energy": "pJ"}
    names = [n for n in units if n in par]
    fig = figure(figsize=(4.5 * len(names), 4.2), dpi=110)
    axes = np.atleast_1d(fig.subplots(1, len(names)))
    for ax, name in zip(axes, names, strict=True):
        unit = units[name]
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
    save_png(fig, path)


def write_explore_report(
    res: SearchResult,
    out: str | Path,
    *,
    outputs: ExploreOutputs | None = None,
    command: str | None = None,
    seed: int = 0,
) -> Path:
    """Writes ``report.md`` with ``pareto.png`` (and ``parity.png`` for the
    surrogate method) in ``out``; ``outputs`` are the data files'
    (:func:`tldse.exploration.api.write_outputs`: by default those of
    ``explore(out=...)``, else written here).
    Returns the report's path."""
    out = Path(out)
    if outputs is None:
        outputs = res.outputs or write_outputs(res, out)
    p = res.problem
    _plot_front(res, out / "pareto.png")
    par = outputs.parity
    if par is not None:
        _plot_parity(par, out / "parity.png")
    layers = outputs.layers
    recheck = outputs.recheck
    chosen_obj = p.objectives[0]
    chosen = res.best.get(chosen_obj)
    ev = res.evaluator_summary()
    what = "simulations" if p.evaluator is None else f"{ev['name']} evaluations"
    kind = "(design, layer) pairs" if res.granularity == "layer" else "networks"
    lines = [
        f"# tldse explore: {p.name} on {p.space.name}",
        "",
        f"- method **{res.method}**"
        + (f" ({res.method_reason})" if res.method_reason else "")
        + f", {res.n_simulations:,} {what} of a {len(p.space):,}-design space "
        f"({100 * res.n_simulations / len(p.space):.2f}%), budget {res.budget:,}, "
        f"stopped: {res.stopped}"
        + (f"; surrogate of {kind}" if res.granularity else ""),
        f"- objectives (minimised): {', '.join(p.objectives)}; constraints: "
        f"{', '.join(str(c) for c in p.constraints) or 'none'}",
        "- workloads: "
        + ", ".join(
            f"{w.name} (x{x:g})" for w, x in zip(p.workloads, p.weights, strict=True)
        ),
        f"- {int(res.valid.sum()):,} evaluated designs meet the constraints; "
        f"Pareto front: {len(res.front)} designs (all evaluated, none predicted); "
        f"evaluated again, {100 * (recheck or 0):.0f}% of them meet the constraints",
        *_time_lines(res, ev),
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
        md_table(front[show].to_dict("records"), show),
        "",
    ]
    if res.best:
        rows = [{"best for": k, **v} for k, v in res.best.items()]
        lines += [
            "### Best per objective",
            "",
            md_table(rows, ["best for", *show]),
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
            md_table(
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
            md_table(
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
                    if k in par
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
        lines += ["## Rounds", "", md_table(res.rounds, keys), ""]
    path = out / "report.md"
    write_atomic(path, "\n".join(lines) + "\n")
    return path


def _time_lines(res: SearchResult, ev: dict[str, Any]) -> list[str]:
    """Where the wall time went: the evaluator, and tldse's own work."""
    if res.problem.evaluator is None:
        return [
            f"- wall time {res.seconds:.1f} s, of which simulation "
            f"{res.sim_seconds:.3g} s"
        ]
    share = 100 * ev["tldse_seconds"] / res.seconds if res.seconds else 0.0
    settings = ", ".join(f"{k}={v}" for k, v in sorted(ev["settings"].items()))
    return [
        f"- evaluator **{ev['name']}** {ev['version']} ({settings or 'defaults'}; "
        f"key {ev['key']}): {ev['evaluated_pairs']:,} (design, layer) pairs run, "
        f"{ev['stored_pairs']:,} from the store, {ev['failed_pairs']:,} failed",
        f"- wall time {res.seconds:.1f} s: waiting for the evaluator "
        f"{ev['evaluation_seconds']:.1f} s ({ev['evaluator_cpu_s']:.1f} CPU-s in "
        f"its processes, {ev['jobs']} at a time), tldse's own work (surrogate, "
        f"predictions, Pareto layers) {ev['tldse_seconds']:.1f} s = {share:.1f}%",
    ]


def _command(res: SearchResult, seed: int) -> str:
    p = res.problem
    parts = ["tldse", "explore", "--space", p.space.name]
    for w, x in zip(p.workloads, p.weights, strict=True):
        parts += ["--workload", w.name if x == 1.0 else f"{w.name}*{x:g}"]
    parts += ["--objectives", ",".join(p.objectives)]
    for c in p.constraints:
        parts += ["--constraint", str(c)]
    if p.evaluator is not None:
        parts += ["--evaluator", p.evaluator_name]
        for k, v in sorted(p.evaluator.settings().items()):
            parts += ["--setting", f"{k}={v}"]
    parts += ["--budget", str(res.budget), "--method", res.method]
    if res.granularity:
        parts += ["--granularity", res.granularity]
    parts += ["--seed", str(seed)]
    return " ".join(shlex.quote(s) for s in parts)
