"""The closed-form prior: level 0 of the fidelity ladder.

A few lines of numpy per (design, layer) pair, microseconds per row, no mapping
search, no tiling: the estimate a learned model starts from when its target is
the analytical model itself (a new workload or dataflow), so that it learns only
the correction ``log(tldse / prior)``.

- **compute cycles**: the systolic mapping of SCALE-Sim's operand matrices,
  ``groups * ceil(Sr / rows) * ceil(Sc / cols) * per_fold - 1`` with
  ``(Sr, Sc, T)`` = ``(K, N, M)`` for ``ws``, ``(M, N, K)`` for ``os``,
  ``(K, M, N)`` for ``is`` (``M = n p q``, ``K = c r s / groups``,
  ``N = k / groups``) and ``per_fold = T + rows + cols - 2`` (``os``) or
  ``T + 2 rows + cols - 2`` (``ws``, ``is``): the analytical model's own compute
  cycles (docs/model.md), exact for the systolic dataflows; for ``rs`` simply
  MACs / PEs (a fill-based row-stationary estimate is far worse: tldse's rs
  mapper folds and replicates rows and channels onto the array);
- **DRAM cycles**: the compulsory traffic (every weight, input and output once)
  over the DRAM bandwidth;
- **latency**: the larger of the two;
- **energy**: MACs x the energy table's MAC energy (scaled by the operand widths)
  plus the compulsory DRAM bytes x its DRAM energy per byte.

:func:`unrolled_compute_cycles` is the compute time of a tool that maps two loop
dimensions of the layer onto the array and runs every other loop in time (ZigZag
with the spatial unrolling tldse's evaluator gives it, docs/evaluators.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from tldse.arch import CONFIG_INDEX, DATAFLOWS, EnergyTable, energy_table
from tldse.learn.features import _tensor_sizes
from tldse.workloads.layer import LAYER_INDEX

#: What :func:`prior_estimates` returns, per pair.
PRIOR_OUTPUTS: tuple[str, ...] = (
    "compute_cycles",
    "dram_cycles",
    "latency_cycles",
    "energy_pj",
    "macs",
    "dram_bytes",
)
_DF = {name: i for i, name in enumerate(DATAFLOWS)}

Array = npt.NDArray[np.float64]


def gemm_view(lay: Array) -> tuple[Array, Array, Array, Array]:
    """Per group, the GEMM of a layer: ``(M, K, N, groups)`` with ``M = n p q``
    output pixels, ``K = c r s / groups`` the reduction and ``N = k / groups``
    filters (layer rows on the last axis)."""
    g = {c: lay[..., LAYER_INDEX[c]] for c in ("n", "k", "c", "p", "q", "r", "s")}
    groups = lay[..., LAYER_INDEX["groups"]]
    m = g["n"] * g["p"] * g["q"]
    k = g["c"] / groups * g["r"] * g["s"]
    n = g["k"] / groups
    return m, k, n, groups


def systolic_dims(
    dataflow: Array, m: Array, k: Array, n: Array
) -> tuple[Array, Array, Array]:
    """``(Sr, Sc, T)``: the operand dimensions on the array rows, on its columns,
    and streamed in time, as SCALE-Sim maps them (rs is treated as ws)."""
    ws, os_, is_ = (dataflow == _DF[d] for d in ("ws", "os", "is"))
    sr = np.where(os_, m, k)
    sc = np.where(is_, m, n)
    t = np.where(ws, m, np.where(os_, k, np.where(is_, n, m)))
    return sr, sc, t


def fold_cycles(dataflow: Array, t: Array, rows: Array, cols: Array) -> Array:
    """Cycles of one array fold: the array fills, streams ``t`` and drains;
    ``ws`` and ``is`` first load the stationary operand (``rows`` more)."""
    return t + rows + cols - 2.0 + np.where(dataflow == _DF["os"], 0.0, rows)


def unrolled_compute_cycles(configs: npt.ArrayLike, layers: npt.ArrayLike) -> Array:
    """Cycles of a loop nest with two dimensions unrolled on the array, each
    clipped to the array side: ``ws`` input channels on the rows and filters on
    the columns, ``os`` the larger output side on the rows and filters on the
    columns, ``is`` input channels on the rows and the larger output side on the
    columns, ``rs`` filter rows on the rows and output rows on the columns;
    cycles = the product over loops of ``ceil(loop / unrolling)``, per group,
    times the groups (rows broadcast like :func:`prior_estimates`)."""
    cfg = np.asarray(configs, dtype=np.float64)
    lay = np.asarray(layers, dtype=np.float64)
    d = {c: lay[..., LAYER_INDEX[c]] for c in ("n", "k", "c", "p", "q", "r", "s")}
    groups = lay[..., LAYER_INDEX["groups"]]
    c_g, k_g = d["c"] / groups, d["k"] / groups
    rows = np.maximum(cfg[..., CONFIG_INDEX["pe_rows"]], 1.0)
    cols = np.maximum(cfg[..., CONFIG_INDEX["pe_cols"]], 1.0)
    df = cfg[..., CONFIG_INDEX["dataflow"]]
    big, small = np.maximum(d["p"], d["q"]), np.minimum(d["p"], d["q"])
    nrs = d["n"] * d["r"] * d["s"]
    ws = np.ceil(c_g / rows) * np.ceil(k_g / cols) * nrs * d["p"] * d["q"]
    os_ = np.ceil(big / rows) * np.ceil(k_g / cols) * small * nrs * c_g
    is_ = np.ceil(c_g / rows) * np.ceil(big / cols) * small * nrs * k_g
    rs = np.ceil(d["r"] / rows) * np.ceil(d["p"] / cols) * d["q"] * d["n"] * d["s"]
    rs = rs * k_g * c_g
    out = np.select(
        [df == _DF["ws"], df == _DF["os"], df == _DF["is"]], [ws, os_, is_], rs
    )
    return np.asarray(groups * out, dtype=np.float64)


def prior_estimates(
    configs: npt.ArrayLike,
    layers: npt.ArrayLike,
    energy: EnergyTable | str | None = None,
) -> dict[str, Array]:
    """Level-0 estimates (:data:`PRIOR_OUTPUTS`) of config rows ``(..., 18)`` and
    layer rows ``(..., 16)`` that broadcast against each other (aligned pairs, or
    ``configs[:, None]`` with ``layers[None]`` for a grid); values are per
    occurrence of the layer."""
    cfg = np.asarray(configs, dtype=np.float64)
    lay = np.asarray(layers, dtype=np.float64)
    table = energy_table(energy)
    c = {name: cfg[..., i] for name, i in CONFIG_INDEX.items()}
    macs, weights, inputs, outputs = _tensor_sizes(lay)
    m, k, n, groups = gemm_view(lay)
    rows, cols = np.maximum(c["pe_rows"], 1.0), np.maximum(c["pe_cols"], 1.0)
    df = c["dataflow"]
    sr, sc, t = systolic_dims(df, m, k, n)
    folds = np.ceil(sr / rows) * np.ceil(sc / cols)
    systolic = groups * folds * fold_cycles(df, t, rows, cols) - 1.0
    compute = np.where(df == _DF["rs"], macs / (rows * cols), systolic)
    dram_bytes = (weights * c["weight_bits"] + (inputs + outputs) * c["act_bits"]) / 8.0
    dram = dram_bytes / np.maximum(c["dram_bw_bytes_per_cycle"], 1e-9)
    ref2 = float(table.ref_bits) ** 2
    e_mac = table.mac_pj * c["weight_bits"] * c["act_bits"] / ref2
    energy_pj = macs * e_mac + dram_bytes * table.dram_pj
    shape = np.broadcast_shapes(cfg.shape[:-1], lay.shape[:-1])
    out: dict[str, Any] = {
        "compute_cycles": compute,
        "dram_cycles": dram,
        "latency_cycles": np.maximum(compute, dram),
        "energy_pj": energy_pj,
        "macs": macs,
        "dram_bytes": dram_bytes,
    }
    return {key: np.broadcast_to(v, shape).astype(np.float64) for key, v in out.items()}
