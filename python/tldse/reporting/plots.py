"""Plot helpers on matplotlib's object API (``matplotlib.figure.Figure``): no
pyplot state, no backend switch, so a caller's interactive session is untouched."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from tldse._util.io import write_atomic

#: Axis labels with units for metric columns.
LABELS: dict[str, str] = {
    "latency_ms": "latency (ms)",
    "energy_uj": "energy (uJ)",
    "area_mm2": "area (mm$^2$)",
    "edp_uj_ms": "EDP (uJ x ms)",
    "power_mw": "power (mW)",
    "latency_cycles": "latency (cycles)",
    "dram_bytes": "DRAM traffic (bytes)",
}


def label(column: str) -> str:
    """The axis label of a metric column (the name itself when unknown)."""
    return LABELS.get(column, column)


def figure(**kwargs: Any) -> Any:
    """A new ``Figure`` (keyword arguments as ``Figure(...)``, e.g. figsize, dpi)."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def save_png(fig: Any, path: str | Path) -> None:
    """Writes ``fig`` as a PNG atomically (no timestamp metadata: identical
    inputs give identical files)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    write_atomic(Path(path), buf.getvalue())


def _tick_label(v: float, _pos: Any = None) -> str:
    if v <= 0:
        return ""
    if 1e-3 <= v < 1e5:
        return f"{v:g}"
    k = math.log10(v)
    if abs(k - round(k)) < 1e-9:
        return f"$10^{{{round(k)}}}$"
    return f"{v:.0e}"


def log_ticks(axis: Any) -> None:
    """Readable ticks on a log-scaled axis (``ax.xaxis``, ``ax.yaxis``, a
    colorbar's): labels 1, 2, 5, 10, 20, 50, ... where the axis spans under two
    decades, else one per decade (powers of ten written 10^k beyond 10^5), and
    never a label on the unlabelled minor ticks, so labels do not overlap."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    lo, hi = sorted(axis.get_view_interval())
    decades = math.log10(hi / lo) if lo > 0 and hi > 0 else 99.0
    subs = (1.0, 2.0, 5.0) if decades < 2.0 else (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs, numticks=12))
    axis.set_major_formatter(FuncFormatter(_tick_label))
    axis.set_minor_locator(LogLocator(base=10, subs=tuple(range(2, 10)), numticks=12))
    axis.set_minor_formatter(NullFormatter())


def log_axes(ax: Any, x: bool = True, y: bool = True) -> None:
    """Log scales (after the data is plotted) with :func:`log_ticks`; an axis
    with no positive finite data stays linear."""
    ax.autoscale_view()
    axes = ((x, ax.xaxis, ax.set_xscale), (y, ax.yaxis, ax.set_yscale))
    for on, axis, setter in axes:
        if not on:
            continue
        lo, hi = axis.get_data_interval()
        if not (math.isfinite(lo) and math.isfinite(hi) and hi > 0):
            continue
        setter("log")
        log_ticks(axis)


def log_color_scatter(
    fig: Any, ax: Any, x: Any, y: Any, c: Any, bar_label: str, **kwargs: Any
) -> Any:
    """A scatter coloured by ``c`` on a log colour scale (viridis) with a
    colorbar labelled ``bar_label``: how sweep and explore plots show a third
    objective (area spans decades)."""
    from matplotlib.colors import LogNorm

    c = np.asarray(c, dtype=np.float64)
    ok = np.isfinite(c) & (c > 0)
    norm = None
    if ok.any():
        lo, hi = float(c[ok].min()), float(c[ok].max())
        norm = LogNorm(vmin=lo, vmax=hi if hi > lo else lo * 1.01)
    pts = ax.scatter(x, y, c=c, cmap="viridis", norm=norm, **kwargs)
    bar = fig.colorbar(pts, ax=ax, label=bar_label)
    if norm is not None:
        log_ticks(bar.ax.yaxis)
    return pts
