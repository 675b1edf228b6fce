"""The plot of a sweep: ``pareto.png`` beside the data files of
:func:`tldse.search.sweep.sweep`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tldse.reporting.plots import figure, label, log_axes, log_color_scatter, save_png
from tldse.search.metrics import OBJECTIVES
from tldse.search.sweep import SAMPLE_POINTS

if TYPE_CHECKING:
    from tldse.search.sweep import SweepResult


def plot_pareto(result: SweepResult, path: str | Path) -> None:
    """The front over the first two objectives (coloured by the third, if any),
    over a grey sample of the designs that meet the constraints; log axes."""
    cols = [OBJECTIVES[o] for o in result.objectives]
    x = cols[0]
    y = cols[1] if len(cols) > 1 else "area_mm2" if x != "area_mm2" else "latency_ms"
    fig = figure(figsize=(7, 5), dpi=110)
    ax = fig.subplots()
    s = result.sample
    if len(s):
        ax.scatter(
            s[x], s[y], s=3, c="0.8", lw=0, label=f"designs (1 in {_stride(result)})"
        )
    f = result.front.sort_values([x, y])
    if len(f):
        if len(cols) >= 3:
            log_color_scatter(
                fig, ax, f[x], f[y], f[cols[2]], label(cols[2]), s=14, zorder=3,
                label="Pareto front",
            )  # fmt: skip
        else:
            ax.step(f[x], f[y], where="post", c="C3", lw=1, zorder=2)
            ax.scatter(f[x], f[y], s=14, c="C3", zorder=3, label="Pareto front")
    log_axes(ax)
    ax.set_xlabel(label(x))
    ax.set_ylabel(label(y))
    cons = ", ".join(str(c) for c in result.constraints)
    ax.set_title(
        f"{result.workload.name} on {result.space.name}: {len(result.front)} Pareto "
        f"designs of {result.n_designs:,}" + (f"\n({cons})" if cons else ""),
        fontsize=10,
    )
    ax.grid(True, which="both", lw=0.3, alpha=0.5)
    if ax.get_legend_handles_labels()[0]:  # no legend (and no warning) when empty
        ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    save_png(fig, path)


def _stride(result: SweepResult) -> int:
    return max(1, result.n_designs // SAMPLE_POINTS)


def write_sweep_report(result: SweepResult, out: str | Path) -> list[Path]:
    """Writes ``pareto.png`` in ``out``; returns the files written."""
    path = Path(out) / "pareto.png"
    plot_pareto(result, path)
    return [path]
