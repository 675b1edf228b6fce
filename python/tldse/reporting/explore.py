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
from tldse._util.table import plural
from tldse.arch import Accelerator, energy_from_spec
from tldse.exploration.api import ExploreOutputs, write_outputs
from tldse.exploration.problem import SearchResult
from tldse.reporting.markdown import md_table
from tldse.reporting.plots import (
    figure,
    label,
    log_axes,
    log_color_scatter,
    save_png,
)
from tldse.search.metrics import METRIC_INDEX, OBJECTIVES
from tldse.sim import LayerReport, simulate


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
    if len(f) and len(p.objectives) >= 3:
        z = OBJECTIVES[p.objectives[2]]
        log_color_scatter(
            fig, ax, f[cols[0]], f[cols[1]], f[z], label(z), s=22,
            edgecolors="k", linewidths=0.3, label="Pareto front",
        )  # fmt: skip
    elif len(f):
        ax.scatter(f[cols[0]], f[cols[1]], s=22, c="C3", label="Pareto front")
    log_axes(ax)
    ax.set_xlabel(label(cols[0]))
    ax.set_ylabel(label(cols[1]))
    ax.set_title(
        f"{p.name} on {p.space.name}: {res.method}, "
        f"{plural(res.n_simulations, 'simulation')}"
    )
    if not np.isfinite(met[:, [xi, yi]]).all(axis=1).any():
        ax.text(0.5, 0.5, "no feasible design", ha="center", transform=ax.transAxes)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    save_png(fig, path)


#: Levels of the energy-by-level chart, in stacking order: the MACs, the
#: register files, the NoC, the global buffer, DRAM, leakage.
LEVELS = ("mac", "rf", "noc", "glb", "dram", "leakage")
_LEVEL_COLORS = {
    "mac": "C0", "rf": "C2", "noc": "C4", "glb": "C1", "dram": "C3",
    "leakage": "0.6",
}  # fmt: skip


def energy_by_level(layer: LayerReport) -> dict[str, float]:
    """One occurrence's energy (pJ) per level: ``mac``, ``rf``, ``noc``,
    ``glb``, ``dram`` (the tensors' accesses summed), ``leakage``; they add up
    to the layer's ``energy_pj``."""
    out = {lvl: 0.0 for lvl in LEVELS}
    out["mac"] = layer.metrics["mac_energy_pj"]
    out["leakage"] = layer.metrics["leakage_energy_pj"]
    for key, pj in layer.energy_breakdown_pj.items():
        level = key.split("_", 1)[0]
        if level not in out:
            raise ValueError(f"energy breakdown: unknown level in {key!r}")
        out[level] += pj
    return out


def layer_breakdown(res: SearchResult, index: int) -> list[tuple[str, list[Any]]]:
    """The design ``index`` simulated layer by layer on each workload
    (:func:`tldse.simulate`: energy by level, compute and stall cycles):
    ``[(workload name, [LayerReport, ...]), ...]``."""
    p = res.problem
    acc = Accelerator.from_row(p.space.configs(np.array([index], dtype=np.int64))[0])
    table = energy_from_spec(p.energy) if p.energy else None
    out = []
    for wl in p.workloads:
        rep = simulate(
            acc,
            wl,
            energy=table,
            mapper_objective=p.mapper_objective,  # type: ignore[arg-type]
            mapper=p.mapper,  # type: ignore[arg-type]
        )
        out.append((wl.name, rep.layers))
    return out


def _layer_axes(n_workloads: int, n_layers: int) -> tuple[Any, Any]:
    fig = figure(
        figsize=(min(16.0, max(6.4, 0.16 * n_layers + 2)), 3.2 * n_workloads),
        dpi=110,
    )
    axes = fig.subplots(n_workloads, 1, squeeze=False)[:, 0]
    return fig, axes


def _layer_ticks(ax: Any, names: list[str]) -> None:
    step = max(1, -(-len(names) // 60))  # at most 60 labels
    ticks = list(range(0, len(names), step))
    ax.set_xticks(ticks)
    ax.set_xticklabels([names[i] for i in ticks], rotation=90, fontsize=6)
    ax.set_xlim(-0.7, len(names) - 0.3)


def _plot_breakdown(
    parts: list[tuple[str, list[LayerReport]]], energy_png: Path, latency_png: Path
) -> None:
    """``energy_png``: per layer (x its count) energy stacked by level;
    ``latency_png``: per layer (x its count) compute and stall cycles."""
    most = max((len(layers) for _, layers in parts), default=1)
    fig, axes = _layer_axes(len(parts), most)
    for ax, (name, layers) in zip(axes, parts, strict=True):
        x = np.arange(len(layers))
        bottom = np.zeros(len(layers))
        levels = [energy_by_level(layer) for layer in layers]
        for lvl in LEVELS:
            v = np.array([e[lvl] * la.count for e, la in zip(levels, layers,
                          strict=True)]) * 1e-6  # fmt: skip
            ax.bar(x, v, bottom=bottom, width=0.8, color=_LEVEL_COLORS[lvl],
                   label=lvl.upper() if lvl != "leakage" else "leakage")  # fmt: skip
            bottom = bottom + np.nan_to_num(v)
        ax.set_ylim(0, max(float(bottom.max(initial=0.0)), 1e-12) * 1.3)
        ax.set_ylabel("energy (uJ)")
        ax.set_title(f"{name}: energy by level per layer (x its count)", fontsize=9)
        _layer_ticks(ax, [la.name for la in layers])
        ax.legend(fontsize=7, ncol=len(LEVELS), loc="upper left")
    fig.tight_layout()
    save_png(fig, energy_png)

    fig, axes = _layer_axes(len(parts), most)
    for ax, (name, layers) in zip(axes, parts, strict=True):
        x = np.arange(len(layers))
        comp = np.array([la.metrics["compute_cycles"] * la.count for la in layers])
        stall = np.array([la.metrics["stall_cycles"] * la.count for la in layers])
        ax.bar(x, comp, width=0.8, color="C0", label="compute (incl. fill/drain)")
        ax.bar(x, stall, bottom=np.nan_to_num(comp), width=0.8, color="C3",
               label="stall (bandwidth)")  # fmt: skip
        top = float(np.nan_to_num(comp + stall).max(initial=0.0))
        ax.set_ylim(0, max(top, 1e-12) * 1.3)
        ax.set_ylabel("latency (cycles)")
        ax.set_title(f"{name}: latency split per layer (x its count)", fontsize=9)
        _layer_ticks(ax, [la.name for la in layers])
        ax.legend(fontsize=7, ncol=2, loc="upper left")
    fig.tight_layout()
    save_png(fig, latency_png)


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
        log_axes(ax)
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
    what = "simulation" if p.evaluator is None else f"{ev['name']} evaluation"
    kind = "(design, layer) pairs" if res.granularity == "layer" else "networks"
    lines = [
        f"# tldse explore: {p.name} on {p.space.name}",
        "",
        f"- method **{res.method}**"
        + (f" ({res.method_reason})" if res.method_reason else "")
        + f", {plural(res.n_simulations, what)} of a {len(p.space):,}-design space "
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
        f"Pareto front: {plural(len(res.front), 'design')} (all evaluated, none "
        "predicted); "
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
    if chosen is not None:
        parts = layer_breakdown(res, int(chosen["index"]))
        _plot_breakdown(parts, out / "energy_by_level.png", out / "latency_split.png")
        lines += _breakdown_lines(parts)
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


def _breakdown_lines(parts: list[tuple[str, list[LayerReport]]]) -> list[str]:
    """The report's section on the charts, with the totals they add up to."""
    lines = [
        "### Where the chosen design spends energy and time",
        "",
        "Each layer's energy split by level (MACs, register files, NoC, global "
        "buffer, DRAM, leakage) and its latency split into compute cycles "
        "(including array fill and drain) and bandwidth stall cycles, times the "
        "layer's count (`tldse.simulate` of the design).",
        "",
        "![energy by level](energy_by_level.png)",
        "",
        "![latency split](latency_split.png)",
        "",
    ]
    rows = []
    for name, layers in parts:
        tot = {lvl: 0.0 for lvl in LEVELS}
        comp = stall = 0.0
        for la in layers:
            for lvl, pj in energy_by_level(la).items():
                tot[lvl] += pj * la.count
            comp += la.metrics["compute_cycles"] * la.count
            stall += la.metrics["stall_cycles"] * la.count
        energy = sum(tot.values())
        row: dict[str, Any] = {"workload": name}
        row.update(
            {f"{lvl} %": 100 * v / energy if energy else 0.0 for lvl, v in tot.items()}
        )
        row["stall % of latency"] = 100 * stall / (comp + stall) if comp else 0.0
        rows.append(row)
    keys = ["workload", *(f"{lvl} %" for lvl in LEVELS), "stall % of latency"]
    return [*lines, md_table(rows, keys), ""]


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
