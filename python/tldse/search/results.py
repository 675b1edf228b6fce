"""Result tables of searches: designs of a space as DataFrames (the 18 config
columns plus the space's own parameters), their network metrics and status, and
the best design per objective."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tldse._util.table import (
    Column,
    fixed,
    integer,
    number,
    render,
    scaled,
    spread,
)
from tldse.arch import CONFIG_COLUMNS, DATAFLOWS, energy_from_spec, energy_spec
from tldse.search.metrics import METRICS, OBJECTIVES
from tldse.sim import STATUS_NAMES
from tldse.space import INT_PARAMS, DesignSpace

if TYPE_CHECKING:
    import pandas as pd


def design_frame(space: DesignSpace, indices: npt.ArrayLike) -> pd.DataFrame:
    """``index`` + the 18 config columns (dataflow as text) + the space's derived
    parameters (pe_count, glb_split, ...) of the given designs."""
    import pandas as pd

    idx = np.asarray(indices, dtype=np.int64)
    configs = space.configs(idx)
    data: dict[str, Any] = {"index": idx}
    for j, name in enumerate(CONFIG_COLUMNS):
        col = configs[:, j]
        if name == "dataflow":
            data[name] = np.array(DATAFLOWS, dtype=object)[col.astype(np.int64)]
        elif name == "multicast":
            data[name] = col.astype(bool)
        elif name in INT_PARAMS:
            data[name] = col.astype(np.int64)
        else:
            data[name] = col
    values = space.values(space.decode(idx))
    for name, col in values.items():
        if name not in data:
            data[name] = col
    return pd.DataFrame(data)


def results_frame(
    space: DesignSpace,
    indices: npt.ArrayLike,
    metrics: npt.NDArray[np.float64],
    status: npt.NDArray[np.int32] | None = None,
) -> pd.DataFrame:
    """:func:`design_frame` + one column per metric (+ ``status`` text)."""
    df = design_frame(space, indices)
    for j, name in enumerate(METRICS):
        df[name] = metrics[:, j]
    if status is not None:
        df["status"] = np.array(STATUS_NAMES, dtype=object)[status]
    return df


def best_designs(
    front: pd.DataFrame, objectives: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The best front design for each objective (ties: the next objectives in
    order, then the lowest index), as JSON-ready dicts."""
    out: dict[str, dict[str, Any]] = {}
    if front.empty:
        return out
    cols = [OBJECTIVES[o] for o in objectives]
    for i, obj in enumerate(objectives):
        keys = [cols[i]] + [c for j, c in enumerate(cols) if j != i] + ["index"]
        order = np.lexsort([front[c].to_numpy() for c in reversed(keys)])
        row = front.iloc[int(order[0])]
        out[obj] = {k: json_value(v) for k, v in row.items()}
    return out


def json_value(v: Any) -> Any:
    """numpy scalars as plain Python numbers (for JSON)."""
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def design_areas_um2(
    space: DesignSpace, energy: dict[str, Any] | None = None, chunk: int = 65536
) -> npt.NDArray[np.float64]:
    """The exact area of every design of ``space`` (it depends on the design
    only: no simulation), with the energy table of an
    :func:`~tldse.arch.energy_spec` (default: the default table)."""
    table = energy_from_spec(energy or energy_spec(None))
    out = np.empty(len(space), dtype=np.float64)
    for lo, hi in space.chunks(chunk):
        configs = space.configs(np.arange(lo, hi, dtype=np.int64))
        out[lo:hi] = [table.area_um2(row) for row in configs]
    return out


# ---------------------------------------------------------------- display

#: Short headers (with units) of design parameters in printed tables.
PARAM_HEADERS: dict[str, str] = {
    "dataflow": "flow",
    "pe_rows": "rows",
    "pe_cols": "cols",
    "pe_count": "PEs",
    "pe_aspect": "aspect",
    "rf_bytes": "RF B",
    "glb_bytes": "GLB KiB",
    "glb_split": "GLB split",
    "rf_split": "RF split",
    "dram_bw_bytes_per_cycle": "DRAM B/c",
    "glb_bw_bytes_per_cycle": "GLB B/c",
    "precision": "bits",
    "weight_bits": "W bits",
    "act_bits": "A bits",
    "psum_bits": "P bits",
    "clock_mhz": "MHz",
    "multicast": "mcast",
}
#: The parameters shown before the others when a table is narrow.
_KEY_PARAMS = ("dataflow", "pe_rows", "pe_cols", "pe_count", "glb_bytes")

#: Printed columns of the network metrics (:data:`~tldse.search.metrics.METRICS`).
METRIC_COLUMNS: dict[str, Column] = {
    "latency_cycles": Column("latency_cycles", "lat cyc", integer),
    "latency_ms": Column("latency_ms", "lat ms"),
    "energy_uj": Column("energy_uj", "energy uJ"),
    "edp_uj_ms": Column("edp_uj_ms", "EDP uJ*ms"),
    "area_mm2": Column("area_mm2", "mm^2"),
    "power_mw": Column("power_mw", "mW"),
    "utilization": Column("utilization", "util", fixed(2)),
    "dram_bytes": Column("dram_bytes", "DRAM MiB", scaled(1 / 2**20)),
}


def _param_column(name: str) -> Column:
    text = name in ("dataflow", "glb_split", "rf_split", "precision")
    fmt = scaled(1 / 1024) if name == "glb_bytes" else number
    priority = 1 if name in _KEY_PARAMS else 2
    return Column(name, PARAM_HEADERS.get(name, name), fmt, priority, text)


def design_columns(
    params: Sequence[str], objectives: Sequence[str], *, ties: bool = False
) -> list[Column]:
    """The printed columns of a table of designs (a front): ``index``, the
    space's parameters, the objectives' metrics (always shown), latency, energy,
    area, power and utilization, and ``ties``; the narrower the width, the
    fewer parameters and other metrics (:func:`tldse._util.table.fit`)."""
    from dataclasses import replace

    cols = [Column("index", "#", integer, priority=1)]
    cols += [_param_column(p) for p in params]
    keys = [OBJECTIVES[o] for o in objectives]
    others = ("latency_ms", "energy_uj", "area_mm2", "power_mw", "utilization")
    for key in dict.fromkeys([*keys, *others]):
        cols.append(replace(METRIC_COLUMNS[key], priority=0 if key in keys else 3))
    if ties:
        cols.append(Column("ties", "ties", integer, priority=4))
    return cols


def front_keys(space: DesignSpace) -> list[str]:
    """The columns of a front's frame (:func:`results_frame` + ``ties``)."""
    return ["index", *dict.fromkeys([*CONFIG_COLUMNS, *space.names]), *METRICS, "ties"]


def front_rows(
    front: pd.DataFrame, objectives: Sequence[str], rows: int
) -> tuple[list[dict[str, Any]], str]:
    """(``rows`` designs spread evenly over the front sorted by the objectives,
    their title): what a printed front shows."""
    keys = [OBJECTIVES[o] for o in objectives]
    f = front.sort_values([*keys, "index"]).reset_index(drop=True)
    pick = spread(len(f), rows)
    title = f"Pareto front, sorted by {objectives[0]}" + (
        f" ({len(pick)} of {len(f)}, evenly spread)" if len(pick) < len(f) else ""
    )
    return f.iloc[pick].to_dict("records"), title


def front_table(
    front: pd.DataFrame,
    params: Sequence[str],
    objectives: Sequence[str],
    *,
    rows: int = 10,
    width: int = 80,
) -> str:
    """The front as text: ``rows`` designs spread evenly over it, sorted by the
    first objective, in ``width`` characters (the reprs of results)."""
    if front.empty:
        return "(empty front)"
    picked, title = front_rows(front, objectives, rows)
    cols = design_columns(params, objectives, ties="ties" in front)
    return render(cols, picked, width=width, title=title)
