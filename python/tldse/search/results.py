"""Result tables of searches: designs of a space as DataFrames (the 18 config
columns plus the space's own parameters), their network metrics and status, and
the best design per objective."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

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
