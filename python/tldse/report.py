"""Plots of sweep results (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tldse.search.exhaustive import SweepResult

_LABELS = {
    "latency_ms": "latency (ms)",
    "energy_uj": "energy (uJ)",
    "area_mm2": "area (mm$^2$)",
    "edp_uj_ms": "EDP (uJ x ms)",
    "power_mw": "power (mW)",
    "latency_cycles": "latency (cycles)",
    "dram_bytes": "DRAM traffic (bytes)",
}


def plot_pareto(result: SweepResult, path: str | Path) -> None:
    """The front over the first two objectives (coloured by the third, if any),
    over a grey sample of the designs that meet the constraints; log axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tldse.search.exhaustive import write_atomic
    from tldse.search.metrics import OBJECTIVES

    cols = [OBJECTIVES[o] for o in result.objectives]
    x = cols[0]
    y = cols[1] if len(cols) > 1 else "area_mm2" if x != "area_mm2" else "latency_ms"
    fig, ax = plt.subplots(figsize=(7, 5), dpi=110)
    s = result.sample
    if len(s):
        ax.scatter(
            s[x], s[y], s=3, c="0.8", lw=0, label=f"designs (1 in {_stride(result)})"
        )
    f = result.front.sort_values([x, y])
    if len(f):
        if len(cols) >= 3:
            z = cols[2]
            pts = ax.scatter(
                f[x], f[y], s=14, c=np.log10(f[z]), cmap="viridis", zorder=3,
                label="Pareto front",
            )  # fmt: skip
            fig.colorbar(pts, ax=ax, label=f"log10 {_LABELS.get(z, z)}")
        else:
            ax.step(f[x], f[y], where="post", c="C3", lw=1, zorder=2)
            ax.scatter(f[x], f[y], s=14, c="C3", zorder=3, label="Pareto front")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(_LABELS.get(x, x))
    ax.set_ylabel(_LABELS.get(y, y))
    cons = ", ".join(str(c) for c in result.constraints)
    ax.set_title(
        f"{result.workload.name} on {result.space.name}: {len(result.front)} Pareto "
        f"designs of {result.n_designs:,}" + (f"\n({cons})" if cons else ""),
        fontsize=10,
    )
    ax.grid(True, which="both", lw=0.3, alpha=0.5)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    write_atomic(Path(path), buf.getvalue())


def _stride(result: SweepResult) -> int:
    from tldse.search.exhaustive import SAMPLE_POINTS

    return max(1, result.n_designs // SAMPLE_POINTS)
