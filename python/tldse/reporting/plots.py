"""Plot helpers on matplotlib's object API (``matplotlib.figure.Figure``): no
pyplot state, no backend switch, so a caller's interactive session is untouched."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

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
