"""Features and targets of the surrogate.

**Features** (:func:`pair_features`, :func:`network_features`) depend only on the
18 config columns and the layer table, never on the space, so one model can be used
across spaces: dataflow one-hot; ``log2(1 + x)`` of every size, bandwidth, precision
and clock; layer kind one-hot; ``log2`` of the layer dimensions (``log2(1 + pad)``);
and a few derived quantities (MACs, tensor bytes, MACs per PE, the bytes that must
cross DRAM at least once per DRAM bandwidth, how evenly the layer's dimensions fill
the array). :func:`configs_from_features` and :func:`layers_from_features` invert
the config and layer parts exactly.

**Targets** are ``log_latency_cycles``, ``log_energy_pj`` (natural logs of the per
occurrence values), ``log_area_um2`` and ``utilization`` (:data:`TARGETS`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from tldse.arch import CONFIG_COLUMNS, CONFIG_INDEX, DATAFLOWS, INT_COLUMNS
from tldse.workloads.layer import KINDS, LAYER_COLUMNS, LAYER_INDEX, Workload

_CFG_LOG_COLUMNS: tuple[str, ...] = tuple(
    c for c in CONFIG_COLUMNS if c not in ("dataflow", "multicast")
)
#: Config features: dataflow one-hot, multicast 0/1, log2(1 + x) of the rest.
CONFIG_FEATURES: tuple[str, ...] = (
    *(f"dataflow_{d}" for d in DATAFLOWS),
    "multicast",
    *(f"log2p1_{c}" for c in _CFG_LOG_COLUMNS),
)
_LAYER_DIMS: tuple[str, ...] = tuple(
    c for c in LAYER_COLUMNS if c not in ("kind", "count")
)
_LAYER_PAD = ("pad_h", "pad_w")
#: Layer features: kind one-hot, log2 of the dimensions (log2(1 + pad)).
LAYER_FEATURES: tuple[str, ...] = (
    *(f"kind_{k}" for k in KINDS),
    *(f"log2p1_{c}" if c in _LAYER_PAD else f"log2_{c}" for c in _LAYER_DIMS),
)
#: Derived (config x layer) features.
DERIVED_FEATURES: tuple[str, ...] = (
    "log2_macs",
    "log2_weight_bytes",
    "log2_input_bytes",
    "log2_output_bytes",
    "log2_macs_per_pe",
    "log2_min_dram_cycles",
    "log2_glb_over_tensors",
    "log2_c_per_group",
    "log2_k_per_group",
    "fill_k_cols",
    "fill_k_rows",
    "fill_crs_rows",
    "fill_pq_rows",
    "fill_pq_cols",
    "fill_c_rows",
)
PAIR_FEATURES: tuple[str, ...] = CONFIG_FEATURES + LAYER_FEATURES + DERIVED_FEATURES
#: Per-network features: config features plus a summary of the workload.
WORKLOAD_FEATURES: tuple[str, ...] = (
    "log2_total_macs",
    "log2_total_weight_bytes",
    "log2_total_act_bytes",
    "log2_layers",
    "mac_share_conv",
    "mac_share_dwconv",
    "mac_share_gemm",
    "log2_macs_per_pe",
    "log2_min_dram_cycles",
)
NETWORK_FEATURES: tuple[str, ...] = CONFIG_FEATURES + WORKLOAD_FEATURES

#: Target name -> (dataset column, transform applied to the raw value).
TARGETS: dict[str, tuple[str, str]] = {
    "latency": ("log_latency_cycles", "log"),
    "energy": ("log_energy_pj", "log"),
    "area": ("log_area_um2", "log"),
    "utilization": ("utilization", "none"),
}
RAW_TARGETS: dict[str, str] = {
    "latency": "latency_cycles",
    "energy": "energy_pj",
    "area": "area_um2",
    "utilization": "utilization",
}


class DatasetError(ValueError):
    """A malformed dataset, feature table or dataset request; the message names
    the field."""


def _as_2d(table: npt.ArrayLike, width: int, what: str) -> npt.NDArray[np.float64]:
    arr = np.asarray(table, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != width:
        raise DatasetError(f"{what}: expected shape (n, {width}), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise DatasetError(f"{what}: contains NaN or infinite values")
    return arr


def config_features(configs: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """``(n, 18)`` config table -> ``(n, len(CONFIG_FEATURES))``."""
    cfg = _as_2d(configs, len(CONFIG_COLUMNS), "configs")
    if (cfg < 0).any():
        raise DatasetError("configs: negative values")
    codes = cfg[:, CONFIG_INDEX["dataflow"]]
    if not np.isin(codes, np.arange(len(DATAFLOWS))).all():
        raise DatasetError(f"configs: dataflow codes must be 0..{len(DATAFLOWS) - 1}")
    onehot = (codes[:, None] == np.arange(len(DATAFLOWS))[None, :]).astype(np.float64)
    logs = np.log2(1.0 + cfg[:, [CONFIG_INDEX[c] for c in _CFG_LOG_COLUMNS]])
    return np.concatenate([onehot, cfg[:, [CONFIG_INDEX["multicast"]]], logs], axis=1)


def configs_from_features(features: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The inverse of :func:`config_features` (integer columns rounded)."""
    f = _as_2d(features, len(CONFIG_FEATURES), "config features")
    n_df = len(DATAFLOWS)
    out = np.zeros((f.shape[0], len(CONFIG_COLUMNS)))
    out[:, CONFIG_INDEX["dataflow"]] = np.argmax(f[:, :n_df], axis=1)
    out[:, CONFIG_INDEX["multicast"]] = np.round(f[:, n_df])
    for j, c in enumerate(_CFG_LOG_COLUMNS):
        v = np.exp2(f[:, n_df + 1 + j]) - 1.0
        out[:, CONFIG_INDEX[c]] = np.round(v) if c in INT_COLUMNS else v
    return out


def _layer_table(layers: npt.ArrayLike | Workload) -> npt.NDArray[np.float64]:
    if isinstance(layers, Workload):
        return layers.table().astype(np.float64)
    arr = _as_2d(layers, len(LAYER_COLUMNS), "layers")
    if not np.isin(arr[:, 0], np.arange(len(KINDS))).all():
        raise DatasetError(f"layers: kind codes must be 0..{len(KINDS) - 1}")
    dims = arr[:, [LAYER_INDEX[c] for c in _LAYER_DIMS if c not in _LAYER_PAD]]
    if (dims < 1).any() or (arr[:, [LAYER_INDEX[c] for c in _LAYER_PAD]] < 0).any():
        raise DatasetError("layers: dimensions must be >= 1 (padding >= 0)")
    return arr


def layer_features(layers: npt.ArrayLike | Workload) -> npt.NDArray[np.float64]:
    """``(m, 16)`` layer table (or a Workload) -> ``(m, len(LAYER_FEATURES))``.
    ``count`` is not a feature: targets are per occurrence."""
    lay = _layer_table(layers)
    onehot = (lay[:, :1] == np.arange(len(KINDS))[None, :]).astype(np.float64)
    cols = []
    for c in _LAYER_DIMS:
        v = lay[:, LAYER_INDEX[c]]
        cols.append(np.log2(1.0 + v) if c in _LAYER_PAD else np.log2(v))
    return np.concatenate([onehot, np.stack(cols, axis=1)], axis=1)


def layers_from_features(features: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The inverse of :func:`layer_features` (``count`` comes back as 1)."""
    f = _as_2d(features, len(LAYER_FEATURES), "layer features")
    nk = len(KINDS)
    out = np.ones((f.shape[0], len(LAYER_COLUMNS)), dtype=np.int64)
    out[:, 0] = np.argmax(f[:, :nk], axis=1)
    for j, c in enumerate(_LAYER_DIMS):
        v = np.exp2(f[:, nk + j])
        out[:, LAYER_INDEX[c]] = np.round(v - 1.0 if c in _LAYER_PAD else v).astype(
            np.int64
        )
    return out


def _tensor_sizes(
    lay: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], ...]:
    """(macs, weights, inputs, outputs) elements per occurrence of each layer
    (rows on the last axis)."""
    g = {c: lay[..., LAYER_INDEX[c]] for c in LAYER_COLUMNS}
    cg = g["c"] / g["groups"]
    macs = g["n"] * g["p"] * g["q"] * g["k"] * cg * g["r"] * g["s"]
    weights = g["k"] * cg * g["r"] * g["s"]
    h = np.maximum(
        1.0,
        (g["p"] - 1) * g["stride_h"] + g["dil_h"] * (g["r"] - 1) + 1 - 2 * g["pad_h"],
    )
    w = np.maximum(
        1.0,
        (g["q"] - 1) * g["stride_w"] + g["dil_w"] * (g["s"] - 1) + 1 - 2 * g["pad_w"],
    )
    inputs = g["n"] * g["c"] * h * w
    outputs = g["n"] * g["k"] * g["p"] * g["q"]
    return macs, weights, inputs, outputs


def _fill(dim: npt.NDArray[np.float64], size: npt.NDArray[np.float64]) -> Any:
    """How evenly ``dim`` fills ``size`` lanes: dim / (size * ceil(dim / size))."""
    return dim / (size * np.ceil(dim / size))


def pair_features(
    configs: npt.ArrayLike, layers: npt.ArrayLike | Workload
) -> npt.NDArray[np.float64]:
    """Aligned rows of configs ``(n, 18)`` and layers ``(n, 16)`` ->
    ``(n, len(PAIR_FEATURES))`` (one row per pair; broadcast a single row of
    either)."""
    cfg = _as_2d(configs, len(CONFIG_COLUMNS), "configs")
    lay = _layer_table(layers)
    if len(cfg) != len(lay):
        if len(cfg) == 1:
            cfg = np.repeat(cfg, len(lay), axis=0)
        elif len(lay) == 1:
            lay = np.repeat(lay, len(cfg), axis=0)
        else:
            raise DatasetError(
                f"configs and layers must have the same number of rows "
                f"(got {len(cfg)} and {len(lay)})"
            )
    derived = _derived(cfg, lay)
    return np.concatenate([config_features(cfg), layer_features(lay), derived], axis=1)


def pair_features_grid(
    configs: npt.ArrayLike, layers: npt.ArrayLike | Workload
) -> npt.NDArray[np.float64]:
    """Every (config, layer) pair of configs ``(k, 18)`` x layers ``(m, 16)``,
    config-major: ``(k * m, len(PAIR_FEATURES))``, equal to :func:`pair_features`
    of the repeated / tiled tables, without building them (the config and layer
    features are computed once each)."""
    cfg = _as_2d(configs, len(CONFIG_COLUMNS), "configs")
    lay = _layer_table(layers)
    k, m = len(cfg), len(lay)
    fc, fl = config_features(cfg), layer_features(lay)
    out = np.empty((k, m, len(PAIR_FEATURES)), dtype=np.float64)
    nc, nl = fc.shape[1], fl.shape[1]
    out[:, :, :nc] = fc[:, None, :]
    out[:, :, nc : nc + nl] = fl[None, :, :]
    out[:, :, nc + nl :] = _derived(cfg[:, None, :], lay[None, :, :])
    return out.reshape(k * m, len(PAIR_FEATURES))


def _derived(cfg: npt.NDArray[np.float64], lay: npt.NDArray[np.float64]) -> Any:
    """:data:`DERIVED_FEATURES` of config rows ``(..., 18)`` and layer rows
    ``(..., 16)`` that broadcast against each other: ``(..., 15)``."""
    macs, weights, inputs, outputs = _tensor_sizes(lay)
    c = {name: cfg[..., i] for name, i in CONFIG_INDEX.items()}
    rows, cols = np.maximum(c["pe_rows"], 1.0), np.maximum(c["pe_cols"], 1.0)
    wb = weights * c["weight_bits"] / 8
    ib = inputs * c["act_bits"] / 8
    ob = outputs * c["act_bits"] / 8
    dram = np.maximum(c["dram_bw_bytes_per_cycle"], 1e-9)
    glb = np.maximum(c["glb_bytes"], 1.0)
    g = {
        k: lay[..., LAYER_INDEX[k]]
        for k in ("n", "k", "c", "p", "q", "r", "s", "groups")
    }
    kk = g["k"] / np.where(g["groups"] > 1, g["groups"], 1.0)
    crs = g["c"] / g["groups"] * g["r"] * g["s"]
    pq = g["n"] * g["p"] * g["q"]
    shape = np.broadcast_shapes(cfg.shape[:-1], lay.shape[:-1])
    return np.stack(
        [
            np.broadcast_to(v, shape)
            for v in (
                np.log2(macs),
                np.log2(wb),
                np.log2(ib),
                np.log2(ob),
                np.log2(macs / (rows * cols)),
                np.log2((wb + ib + ob) / dram),
                np.log2(glb / (wb + ib + ob)),
                np.log2(g["c"] / g["groups"]),
                np.log2(g["k"] / g["groups"]),
                _fill(kk, cols),
                _fill(kk, rows),
                _fill(crs, rows),
                _fill(pq, rows),
                _fill(pq, cols),
                _fill(g["c"] / g["groups"], rows),
            )
        ],
        axis=-1,
    )


def workload_summary(workload: Workload) -> dict[str, float]:
    """Count-weighted totals of a workload (the per-network features' inputs)."""
    lay = workload.table().astype(np.float64)
    counts = lay[:, LAYER_INDEX["count"]]
    macs, weights, inputs, outputs = _tensor_sizes(lay)
    total = float(macs @ counts)
    share = {
        k: float(macs[lay[:, 0] == i] @ counts[lay[:, 0] == i]) / total
        for i, k in enumerate(KINDS)
    }
    return {
        "macs": total,
        "weights": float(weights @ counts),
        "acts": float((inputs + outputs) @ counts),
        "layers": float(counts.sum()),
        **{f"share_{k}": v for k, v in share.items()},
    }


def network_features(
    configs: npt.ArrayLike, workload: Workload
) -> npt.NDArray[np.float64]:
    """Configs ``(n, 18)`` on one workload -> ``(n, len(NETWORK_FEATURES))``."""
    cfg = _as_2d(configs, len(CONFIG_COLUMNS), "configs")
    s = workload_summary(workload)
    c = {name: cfg[:, i] for name, i in CONFIG_INDEX.items()}
    wbytes = s["weights"] * c["weight_bits"] / 8
    abytes = s["acts"] * c["act_bits"] / 8
    n = len(cfg)
    pes = np.maximum(c["pe_rows"] * c["pe_cols"], 1.0)
    wl = np.stack(
        [
            np.full(n, math.log2(s["macs"])),
            np.log2(wbytes),
            np.log2(abytes),
            np.full(n, math.log2(s["layers"])),
            np.full(n, s["share_conv"]),
            np.full(n, s["share_dwconv"]),
            np.full(n, s["share_gemm"]),
            np.log2(s["macs"] / pes),
            np.log2((wbytes + abytes) / np.maximum(c["dram_bw_bytes_per_cycle"], 1e-9)),
        ],
        axis=1,
    )
    return np.concatenate([config_features(cfg), wl], axis=1)
