"""Datasets for the surrogate: (design, layer) pairs labelled by the simulator.

A dataset is a folder of Parquet shards plus ``manifest.json``::

    spec = DatasetSpec(space="edge", workloads=["resnet50", "vgg16"], n_configs=2000)
    path = generate(spec, "data/src")            # resumable: re-run continues
    ds = load("data/src")                         # Dataset: frame + manifest
    X, Y = ds.arrays()                            # features, targets (feasible rows)

**Sampling.** ``n_configs`` designs are drawn from the design space (``random``,
``lhs`` or ``sobol``, seeded); a per-layer dataset pairs every design with every
distinct layer shape of every workload (``tldse.workloads.fold``), a per-network
dataset (``kind="network"``) has one row per (design, workload) with the network
totals. Designs are cut into shards of ``shard_size`` designs; each shard is written
atomically (temp file + ``os.replace``) and recorded in the manifest, so an
interrupted run loses at most the shard in progress and a re-run with the same
spec computes only the missing shards. A different spec in the same folder is an
error (or ``overwrite=True``).

**Features** (:func:`pair_features`, :func:`network_features`) depend only on the
18 config columns and the layer table, never on the space, so one model can be used
across spaces: dataflow one-hot; ``log2(1 + x)`` of every size, bandwidth, precision
and clock; layer kind one-hot; ``log2`` of the layer dimensions (``log2(1 + pad)``);
and a few derived quantities (MACs, tensor bytes, MACs per PE, the bytes that must
cross DRAM at least once per DRAM bandwidth, how evenly the layer's dimensions fill
the array). :func:`configs_from_features` and :func:`layers_from_features` invert
the config and layer parts exactly.

**Targets** are ``log_latency_cycles``, ``log_energy_pj`` (natural logs of the per
occurrence values), ``log_area_um2`` and ``utilization``; the raw values are stored
too. Infeasible pairs are kept with their ``status`` and NaN targets; :meth:`Dataset
.arrays` drops them.

**Fidelity.** ``Fidelity`` changes how labels are made without changing the
features: another energy table (or overrides of one), or an effective DRAM / GLB
bandwidth scale (the hardware delivers ``scale x`` the nominal bandwidth). This
stands in for labels measured on real hardware.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from tldse._files import atomic_write
from tldse.arch import CONFIG_COLUMNS, DATAFLOWS, EnergyTable, energy_table
from tldse.sim import STATUS_NAMES, evaluate
from tldse.workloads.fold import fold
from tldse.workloads.layer import KINDS, LAYER_COLUMNS, Workload

if TYPE_CHECKING:
    import pandas as pd

    from tldse.space import DesignSpace

FORMAT = "tldse-dataset"
FORMAT_VERSION = 1
DatasetKind = Literal["layer", "network"]

# ---------------------------------------------------------------- features

_CFG = {name: i for i, name in enumerate(CONFIG_COLUMNS)}
_LAY = {name: i for i, name in enumerate(LAYER_COLUMNS)}
_CFG_LOG_COLUMNS: tuple[str, ...] = tuple(
    c for c in CONFIG_COLUMNS if c not in ("dataflow", "multicast")
)
_CFG_INT_COLUMNS = frozenset(
    c for c in CONFIG_COLUMNS if c not in ("dram_bw_bytes_per_cycle",
                                           "glb_bw_bytes_per_cycle", "clock_mhz")
)  # fmt: skip
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
    """A malformed dataset or dataset request; the message names the field."""


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
    codes = cfg[:, _CFG["dataflow"]]
    if not np.isin(codes, np.arange(len(DATAFLOWS))).all():
        raise DatasetError(f"configs: dataflow codes must be 0..{len(DATAFLOWS) - 1}")
    onehot = (codes[:, None] == np.arange(len(DATAFLOWS))[None, :]).astype(np.float64)
    logs = np.log2(1.0 + cfg[:, [_CFG[c] for c in _CFG_LOG_COLUMNS]])
    return np.concatenate([onehot, cfg[:, [_CFG["multicast"]]], logs], axis=1)


def configs_from_features(features: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The inverse of :func:`config_features` (integer columns rounded)."""
    f = _as_2d(features, len(CONFIG_FEATURES), "config features")
    n_df = len(DATAFLOWS)
    out = np.zeros((f.shape[0], len(CONFIG_COLUMNS)))
    out[:, _CFG["dataflow"]] = np.argmax(f[:, :n_df], axis=1)
    out[:, _CFG["multicast"]] = np.round(f[:, n_df])
    for j, c in enumerate(_CFG_LOG_COLUMNS):
        v = np.exp2(f[:, n_df + 1 + j]) - 1.0
        out[:, _CFG[c]] = np.round(v) if c in _CFG_INT_COLUMNS else v
    return out


def _layer_table(layers: npt.ArrayLike | Workload) -> npt.NDArray[np.float64]:
    if isinstance(layers, Workload):
        return layers.table().astype(np.float64)
    arr = _as_2d(layers, len(LAYER_COLUMNS), "layers")
    if not np.isin(arr[:, 0], np.arange(len(KINDS))).all():
        raise DatasetError(f"layers: kind codes must be 0..{len(KINDS) - 1}")
    dims = arr[:, [_LAY[c] for c in _LAYER_DIMS if c not in _LAYER_PAD]]
    if (dims < 1).any() or (arr[:, [_LAY[c] for c in _LAYER_PAD]] < 0).any():
        raise DatasetError("layers: dimensions must be >= 1 (padding >= 0)")
    return arr


def layer_features(layers: npt.ArrayLike | Workload) -> npt.NDArray[np.float64]:
    """``(m, 16)`` layer table (or a Workload) -> ``(m, len(LAYER_FEATURES))``.
    ``count`` is not a feature: targets are per occurrence."""
    lay = _layer_table(layers)
    onehot = (lay[:, :1] == np.arange(len(KINDS))[None, :]).astype(np.float64)
    cols = []
    for c in _LAYER_DIMS:
        v = lay[:, _LAY[c]]
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
        out[:, _LAY[c]] = np.round(v - 1.0 if c in _LAYER_PAD else v).astype(np.int64)
    return out


def _tensor_sizes(
    lay: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], ...]:
    """(macs, weights, inputs, outputs) elements per occurrence of each layer
    (rows on the last axis)."""
    g = {c: lay[..., _LAY[c]] for c in LAYER_COLUMNS}
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
    c = {name: cfg[..., i] for name, i in _CFG.items()}
    rows, cols = np.maximum(c["pe_rows"], 1.0), np.maximum(c["pe_cols"], 1.0)
    wb = weights * c["weight_bits"] / 8
    ib = inputs * c["act_bits"] / 8
    ob = outputs * c["act_bits"] / 8
    dram = np.maximum(c["dram_bw_bytes_per_cycle"], 1e-9)
    glb = np.maximum(c["glb_bytes"], 1.0)
    g = {k: lay[..., _LAY[k]] for k in ("n", "k", "c", "p", "q", "r", "s", "groups")}
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
    counts = lay[:, _LAY["count"]]
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
    c = {name: cfg[:, i] for name, i in _CFG.items()}
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


# ---------------------------------------------------------------- spec


@dataclass(frozen=True)
class Fidelity:
    """How labels are made (features never change): an energy table (``None`` =
    the default ``horowitz45``, a name or a file), overrides of its fields, and
    effective bandwidth scales applied to the simulated design only."""

    energy: str | None = None
    energy_overrides: Mapping[str, float] = field(default_factory=dict)
    dram_bw_scale: float = 1.0
    glb_bw_scale: float = 1.0

    def __post_init__(self) -> None:
        for name in ("dram_bw_scale", "glb_bw_scale"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise DatasetError(f"fidelity.{name}: expected a number > 0, got {v!r}")
        self.table()  # validates the table and the override keys

    def table(self) -> EnergyTable:
        try:
            t = energy_table(self.energy)
        except (ValueError, OSError, RuntimeError) as exc:
            raise DatasetError(f"fidelity.energy: {exc}") from None
        for key, value in self.energy_overrides.items():
            if not hasattr(t, key) or key in ("name", "set", "validate", "from_file"):
                raise DatasetError(f"fidelity.energy_overrides: unknown field {key!r}")
            try:
                t.set(key, float(value))
            except (ValueError, RuntimeError) as exc:
                raise DatasetError(f"fidelity.energy_overrides.{key}: {exc}") from None
        return t

    def apply(self, configs: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The configs as simulated (effective bandwidths)."""
        if self.dram_bw_scale == 1.0 and self.glb_bw_scale == 1.0:
            return configs
        out = np.array(configs, dtype=np.float64, copy=True)
        out[:, _CFG["dram_bw_bytes_per_cycle"]] *= self.dram_bw_scale
        out[:, _CFG["glb_bw_bytes_per_cycle"]] *= self.glb_bw_scale
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "energy": self.energy,
            "energy_overrides": {k: float(v) for k, v in self.energy_overrides.items()},
            "dram_bw_scale": float(self.dram_bw_scale),
            "glb_bw_scale": float(self.glb_bw_scale),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fidelity:
        unknown = set(data) - {
            "energy", "energy_overrides", "dram_bw_scale", "glb_bw_scale",
        }  # fmt: skip
        if unknown:
            raise DatasetError(f"fidelity: unknown key(s) {sorted(unknown)}")
        return cls(
            energy=data.get("energy"),
            energy_overrides=dict(data.get("energy_overrides") or {}),
            dram_bw_scale=float(data.get("dram_bw_scale", 1.0)),
            glb_bw_scale=float(data.get("glb_bw_scale", 1.0)),
        )


def parse_workload(spec: str, batch: int = 1) -> Workload:
    """``name``, ``name:key=value,key=value`` (zoo options) or a topology file
    (``tldse.workloads.load``); errors raise :class:`DatasetError`."""
    from tldse.workloads import load as load_workload

    try:
        return load_workload(spec, batch=batch)
    except (ValueError, TypeError, OSError) as exc:
        raise DatasetError(f"workloads: {exc}") from None


def restrict_space(space: DesignSpace, **choices: Sequence[Any]) -> DesignSpace:
    """The same space with some parameters limited to the given choices (e.g.
    ``dataflow=["ws", "os"]``); a parameter the space does not vary is added."""
    from tldse.space import DesignSpace

    d = space.to_dict()
    params = dict(d["params"])
    for name, values in choices.items():
        vals = list(values)
        if name in params:
            keep = [v for v in params[name] if v in vals]
            missing = [v for v in vals if v not in params[name]]
            if missing:
                raise DatasetError(
                    f"{name}: {missing} not among the space's choices {params[name]}"
                )
            params[name] = keep
        else:
            params[name] = vals
    d["params"] = params
    out = DesignSpace.from_dict(d)
    return out


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset holds; equal specs give identical datasets."""

    space: str | DesignSpace = "edge"
    workloads: Sequence[str] = ("resnet50",)
    n_configs: int = 1000
    method: str = "random"
    seed: int = 0
    kind: DatasetKind = "layer"
    batch: int = 1
    dataflows: Sequence[str] | None = None
    fidelity: Fidelity = field(default_factory=Fidelity)
    shard_size: int = 256
    objective: str = "edp"
    mapper: str = "heuristic"

    def resolved_space(self) -> DesignSpace:
        from tldse.space import DesignSpace

        sp = self.space
        space = sp if isinstance(sp, DesignSpace) else DesignSpace.load(sp)
        if self.dataflows is not None:
            bad = [d for d in self.dataflows if d not in DATAFLOWS]
            if bad or not self.dataflows:
                raise DatasetError(
                    f"dataflows: expected some of {', '.join(DATAFLOWS)}, got "
                    f"{list(self.dataflows)}"
                )
            space = restrict_space(space, dataflow=list(self.dataflows))
        return space

    def check(self) -> None:
        if self.kind not in ("layer", "network"):
            raise DatasetError(
                f"kind: expected 'layer' or 'network', got {self.kind!r}"
            )
        if self.n_configs < 1:
            raise DatasetError(f"n_configs: expected >= 1, got {self.n_configs}")
        if self.shard_size < 1:
            raise DatasetError(f"shard_size: expected >= 1, got {self.shard_size}")
        if self.batch < 1:
            raise DatasetError(f"batch: expected >= 1, got {self.batch}")
        if not self.workloads:
            raise DatasetError("workloads: at least one workload is needed")
        if self.method not in ("random", "lhs", "sobol"):
            raise DatasetError(
                f"method: expected random, lhs or sobol, got {self.method!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; what the manifest compares on resume."""
        return {
            "space": self.resolved_space().to_dict(),
            "workloads": list(self.workloads),
            "n_configs": int(self.n_configs),
            "method": self.method,
            "seed": int(self.seed),
            "kind": self.kind,
            "batch": int(self.batch),
            "dataflows": None if self.dataflows is None else list(self.dataflows),
            "fidelity": self.fidelity.to_dict(),
            "shard_size": int(self.shard_size),
            "objective": self.objective,
            "mapper": self.mapper,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetSpec:
        from tldse.space import DesignSpace

        return cls(
            space=DesignSpace.from_dict(data["space"]),
            workloads=tuple(data["workloads"]),
            n_configs=int(data["n_configs"]),
            method=str(data["method"]),
            seed=int(data["seed"]),
            kind=data["kind"],
            batch=int(data["batch"]),
            dataflows=None if data["dataflows"] is None else tuple(data["dataflows"]),
            fidelity=Fidelity.from_dict(data["fidelity"]),
            shard_size=int(data["shard_size"]),
            objective=str(data["objective"]),
            mapper=str(data["mapper"]),
        )


# ---------------------------------------------------------------- labelling


def feature_names(kind: DatasetKind) -> tuple[str, ...]:
    return PAIR_FEATURES if kind == "layer" else NETWORK_FEATURES


def _targets_from(
    latency: npt.NDArray[np.float64],
    energy: npt.NDArray[np.float64],
    area: npt.NDArray[np.float64],
    util: npt.NDArray[np.float64],
) -> dict[str, npt.NDArray[np.float64]]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "latency_cycles": latency,
            "energy_pj": energy,
            "area_um2": area,
            "log_latency_cycles": np.log(latency),
            "log_energy_pj": np.log(energy),
            "log_area_um2": np.log(area),
            "utilization": util,
        }


def label_layers(
    configs: npt.NDArray[np.float64],
    workloads: Sequence[Workload],
    *,
    fidelity: Fidelity | None = None,
    design: npt.NDArray[np.int64] | None = None,
    objective: str = "edp",
    mapper: str = "heuristic",
    threads: int | None = None,
) -> pd.DataFrame:
    """Simulates every config on every distinct layer of each workload: one row
    per (config, workload, layer shape) with config, layer, feature and target
    columns (see the module docstring)."""
    import pandas as pd

    fid = fidelity or Fidelity()
    table = fid.table()
    cfg = np.asarray(configs, dtype=np.float64)
    n = len(cfg)
    design = np.arange(n, dtype=np.int64) if design is None else design
    sim_cfg = fid.apply(cfg)
    frames = []
    for wl in workloads:
        folded, _ = fold(wl)
        lay = folded.table()
        m = len(lay)
        ev = evaluate(
            sim_cfg,
            folded,
            energy=table,
            threads=threads,
            objective=objective,  # type: ignore[arg-type]
            mapper=mapper,  # type: ignore[arg-type]
        )
        ci = np.repeat(np.arange(n), m)
        li = np.tile(np.arange(m), n)
        pair_cfg, pair_lay = cfg[ci], lay[li]
        data: dict[str, Any] = {
            "design": design[ci],
            "workload": np.full(n * m, wl.name, dtype=object),
            "layer": np.asarray(folded.names, dtype=object)[li],
            "layer_index": li.astype(np.int64),
            "count": pair_lay[:, _LAY["count"]].astype(np.int64),
            "status": ev["status"].reshape(-1).astype(np.int64),
        }
        for j, c in enumerate(CONFIG_COLUMNS):
            data[f"cfg_{c}"] = pair_cfg[:, j]
        for j, c in enumerate(LAYER_COLUMNS):
            data[f"layer_{c}"] = pair_lay[:, j].astype(np.int64)
        x = pair_features(pair_cfg, pair_lay)
        for j, c in enumerate(PAIR_FEATURES):
            data[f"x_{c}"] = x[:, j]
        data.update(
            _targets_from(
                ev["latency_cycles"].reshape(-1),
                ev["energy_pj"].reshape(-1),
                np.repeat(ev["area_um2"], m),
                ev["utilization"].reshape(-1),
            )
        )
        frames.append(pd.DataFrame(data))
    return pd.concat(frames, ignore_index=True)


def label_networks(
    configs: npt.NDArray[np.float64],
    workloads: Sequence[Workload],
    *,
    fidelity: Fidelity | None = None,
    design: npt.NDArray[np.int64] | None = None,
    objective: str = "edp",
    mapper: str = "heuristic",
    threads: int | None = None,
) -> pd.DataFrame:
    """One row per (config, workload) with network totals (latency and energy
    summed over layers x count; utilization = MACs / (latency x PEs))."""
    import pandas as pd

    fid = fidelity or Fidelity()
    table = fid.table()
    cfg = np.asarray(configs, dtype=np.float64)
    n = len(cfg)
    design = np.arange(n, dtype=np.int64) if design is None else design
    frames = []
    for wl in workloads:
        folded, _ = fold(wl)
        ev = evaluate(
            fid.apply(cfg),
            folded,
            energy=table,
            threads=threads,
            per_network=True,
            objective=objective,  # type: ignore[arg-type]
            mapper=mapper,  # type: ignore[arg-type]
        )
        lat = np.asarray(ev["latency_cycles"], dtype=np.float64)
        pes = cfg[:, _CFG["pe_rows"]] * cfg[:, _CFG["pe_cols"]]
        with np.errstate(divide="ignore", invalid="ignore"):
            util = float(folded.macs) / (lat * pes)
        data: dict[str, Any] = {
            "design": design,
            "workload": np.full(n, wl.name, dtype=object),
            "status": ev["status"].astype(np.int64),
        }
        for j, c in enumerate(CONFIG_COLUMNS):
            data[f"cfg_{c}"] = cfg[:, j]
        x = network_features(cfg, folded)
        for j, c in enumerate(NETWORK_FEATURES):
            data[f"x_{c}"] = x[:, j]
        data.update(
            _targets_from(lat, np.asarray(ev["energy_pj"]), ev["area_um2"], util)
        )
        frames.append(pd.DataFrame(data))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- files


def write_json_atomic(path: Path, data: Any) -> None:
    raw = (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()

    def write(f: IO[bytes]) -> None:
        f.write(raw)

    atomic_write(path, write)


def _pq() -> Any:
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:  # pragma: no cover - pyarrow is a dependency
        raise DatasetError("datasets need pyarrow (pip install pyarrow)") from exc
    return pq


def _write_parquet(path: Path, df: pd.DataFrame) -> None:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    pq = _pq()
    table = pa.Table.from_pandas(df, preserve_index=False)
    atomic_write(path, lambda f: pq.write_table(table, f))


def _version() -> str:
    from tldse import __version__

    return __version__


def _shard_name(i: int) -> str:
    return f"shard-{i:05d}.parquet"


class _Bar:
    """A rich progress bar on stderr (or nothing)."""

    def __init__(self, enabled: bool, total: int, description: str, unit: str):
        self._p: Any = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._p = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn(unit),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._task = self._p.add_task(description, total=total)

    def __enter__(self) -> _Bar:
        if self._p is not None:
            self._p.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._p is not None:
            self._p.stop()

    def advance(self, n: int = 1) -> None:
        if self._p is not None:
            self._p.advance(self._task, n)

    def update(self, completed: int) -> None:
        if self._p is not None:
            self._p.update(self._task, completed=completed)


def progress_bar(enabled: bool, total: int, description: str, unit: str = "") -> _Bar:
    """A context-managed rich progress bar on stderr (a no-op when disabled)."""
    return _Bar(enabled, total, description, unit)


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]


def generate(
    spec: DatasetSpec,
    out: str | Path,
    *,
    overwrite: bool = False,
    progress: bool = False,
    threads: int | None = None,
) -> Path:
    """Writes (or completes) the dataset ``spec`` in folder ``out``; returns it.

    Shards already listed in ``out/manifest.json`` are kept; the rest are
    simulated and written one at a time (temp file + rename, then the manifest).
    """
    spec.check()
    space = spec.resolved_space()
    wls = [parse_workload(w, spec.batch) for w in spec.workloads]
    spec_dict = spec.to_dict()
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    mpath = out_dir / "manifest.json"
    shards: dict[str, Any] = {}
    if mpath.exists() and overwrite:
        old = _read_manifest(out_dir)
        for name in old.get("shards", {}):
            with contextlib.suppress(FileNotFoundError):
                (out_dir / name).unlink()
        mpath.unlink()
    elif mpath.exists():
        old = _read_manifest(out_dir)
        diff = _differences(old.get("spec", {}), spec_dict)
        if diff:
            raise DatasetError(
                f"{out_dir} holds a different dataset (differs in: "
                f"{', '.join(diff)}); use overwrite (--overwrite) or another folder"
            )
        shards = {
            k: v for k, v in old.get("shards", {}).items() if (out_dir / k).is_file()
        }
    elif any(out_dir.glob("shard-*.parquet")):
        raise DatasetError(
            f"{out_dir} holds shards but no manifest.json; use overwrite or another "
            "folder"
        )
    for stale in out_dir.glob(".*.tmp-*"):
        with contextlib.suppress(OSError):
            stale.unlink()
    n_target = min(spec.n_configs, len(space))
    if n_target < spec.n_configs and spec.method == "random":
        raise DatasetError(
            f"n_configs: the space has only {len(space)} designs, asked for "
            f"{spec.n_configs}"
        )
    indices = space.sample(spec.n_configs, method=spec.method, seed=spec.seed)  # type: ignore[arg-type]
    n_shards = math.ceil(len(indices) / spec.shard_size)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tldse_version": _version(),
        "spec": spec_dict,
        "workload_names": [w.name for w in wls],
        "feature_names": list(feature_names(spec.kind)),
        "targets": {k: v[0] for k, v in TARGETS.items()},
        "n_shards": n_shards,
        "shards": shards,
        "complete": False,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    label = label_layers if spec.kind == "layer" else label_networks
    todo = [i for i in range(n_shards) if _shard_name(i) not in shards]
    write_json_atomic(mpath, manifest)
    with progress_bar(
        progress, len(indices), f"dataset {out_dir.name}", "designs"
    ) as bar:
        bar.update(len(indices) - sum(_shard_len(i, spec, len(indices)) for i in todo))
        for i in todo:
            lo, hi = i * spec.shard_size, min((i + 1) * spec.shard_size, len(indices))
            idx = indices[lo:hi]
            df = label(
                space.configs(idx),
                wls,
                fidelity=spec.fidelity,
                design=idx,
                objective=spec.objective,
                mapper=spec.mapper,
                threads=threads,
            )
            df.insert(0, "shard", np.int64(i))
            _write_parquet(out_dir / _shard_name(i), df)
            shards[_shard_name(i)] = {
                "rows": len(df),
                "designs": [lo, hi],
                "feasible": int((df["status"] == 0).sum()),
            }
            manifest["shards"] = dict(sorted(shards.items()))
            write_json_atomic(mpath, manifest)
            bar.advance(hi - lo)
    manifest["complete"] = True
    manifest["rows"] = sum(int(v["rows"]) for v in shards.values())
    write_json_atomic(mpath, manifest)
    return out_dir


def _shard_len(i: int, spec: DatasetSpec, total: int) -> int:
    return min((i + 1) * spec.shard_size, total) - i * spec.shard_size


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise DatasetError(
            f"{folder}: no manifest.json (not a tldse dataset)"
        ) from None
    except ValueError as exc:
        raise DatasetError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DatasetError(f"{path}: not a tldse dataset manifest")
    return data


# ---------------------------------------------------------------- reading


@dataclass
class Dataset:
    """A labelled table: features ``x_*``, targets, and what made it."""

    frame: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    kind: DatasetKind = "layer"

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(c[2:] for c in self.frame.columns if c.startswith("x_"))

    def feasible(self) -> Dataset:
        """Only rows with status ok (finite targets)."""
        keep = (self.frame["status"] == 0).to_numpy()
        return Dataset(
            self.frame[keep].reset_index(drop=True), self.manifest, self.kind
        )

    def subset(self, mask: npt.ArrayLike) -> Dataset:
        m = np.asarray(mask)
        return Dataset(self.frame[m].reset_index(drop=True), self.manifest, self.kind)

    def arrays(
        self,
        targets: Sequence[str] = ("latency", "energy"),
        features: Sequence[str] | None = None,
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """``(X, Y)`` of the feasible rows; ``Y`` holds the transformed targets
        (``TARGETS``) in the order given."""
        ds = self.feasible()
        return ds.x(features), ds.y(targets)

    def x(self, features: Sequence[str] | None = None) -> npt.NDArray[np.float32]:
        names = list(features) if features is not None else list(self.feature_names)
        missing = [f for f in names if f"x_{f}" not in self.frame.columns]
        if missing:
            raise DatasetError(f"dataset lacks feature column(s): {', '.join(missing)}")
        return np.ascontiguousarray(
            self.frame[[f"x_{f}" for f in names]].to_numpy(np.float32)
        )

    def y(
        self, targets: Sequence[str] = ("latency", "energy")
    ) -> npt.NDArray[np.float32]:
        cols = []
        for t in targets:
            if t not in TARGETS:
                raise DatasetError(f"unknown target {t!r}; valid: {', '.join(TARGETS)}")
            cols.append(TARGETS[t][0])
        missing = [c for c in cols if c not in self.frame.columns]
        if missing:
            raise DatasetError(f"dataset lacks target column(s): {', '.join(missing)}")
        return np.ascontiguousarray(self.frame[cols].to_numpy(np.float32))

    def designs(self) -> npt.NDArray[np.int64]:
        return np.asarray(self.frame["design"].to_numpy(), dtype=np.int64)

    def split_designs(self, fractions: Sequence[float], seed: int = 0) -> list[Dataset]:
        """Splits by design (all rows of a design land in one part), e.g.
        ``(0.8, 0.2)``; the parts are disjoint and cover the dataset."""
        fr = np.asarray(fractions, dtype=np.float64)
        if fr.ndim != 1 or (fr < 0).any() or not math.isclose(fr.sum(), 1.0):
            raise DatasetError(f"fractions must be >= 0 and sum to 1, got {fractions}")
        uniq = np.unique(self.designs())
        rng = np.random.default_rng(seed)
        perm = rng.permutation(uniq)
        cuts = np.round(np.cumsum(fr)[:-1] * len(uniq)).astype(int)
        parts = np.split(perm, cuts)
        d = self.designs()
        return [self.subset(np.isin(d, p)) for p in parts]


def load(folder: str | Path, *, require_complete: bool = True) -> Dataset:
    """Reads a dataset folder written by :func:`generate`."""
    import pandas as pd

    path = Path(folder)
    manifest = _read_manifest(path)
    if require_complete and not manifest.get("complete"):
        raise DatasetError(
            f"{path}: dataset is incomplete ({len(manifest.get('shards', {}))} of "
            f"{manifest.get('n_shards')} shards); re-run tldse dataset to finish it"
        )
    pq = _pq()
    names = sorted(manifest.get("shards", {}))
    if not names:
        raise DatasetError(f"{path}: dataset has no shards (empty)")
    frames = []
    for name in names:
        try:
            frames.append(pq.read_table(path / name).to_pandas())
        except (OSError, ValueError) as exc:
            raise DatasetError(f"{path / name}: cannot read shard ({exc})") from None
    frame = pd.concat(frames, ignore_index=True)
    kind = manifest.get("spec", {}).get("kind", "layer")
    return Dataset(frame, manifest, kind)


def iter_shards(folder: str | Path) -> Iterator[pd.DataFrame]:
    """The shards of a dataset one at a time (for datasets larger than memory)."""
    path = Path(folder)
    manifest = _read_manifest(path)
    pq = _pq()
    for name in sorted(manifest.get("shards", {})):
        yield pq.read_table(path / name).to_pandas()


def status_name(code: int) -> str:
    return STATUS_NAMES[code] if 0 <= code < len(STATUS_NAMES) else str(code)
