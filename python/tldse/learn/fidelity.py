"""Multi-fidelity surrogates: a cheaper level's estimates as features and as the
reference a learned model corrects.

Three levels of fidelity, each cheaper than the next:

- **level 0, the prior** (:mod:`tldse.learn.prior`, and the closed forms of a
  SCALE-Sim-like memory system in :mod:`tldse.learn.systolic`): numpy, for any
  (design, layer) pair;
- **level 1, the analytical model** (``tldse.evaluate``: tiling, mapping,
  stalls, energy; about a million pairs per second);
- **level 2, an expensive evaluator** (SCALE-Sim, ZigZag, a user's command).

A model of level L+1 takes features from the levels below and predicts
``log(y / reference)`` per target, the reference being a lower level's
estimate; its output layer starts at zero, so before any training it says "the
reference is right" and it learns only the correction.

**Features** come in named groups (:data:`FEATURE_GROUPS`), each a function of a
:class:`Pairs` table:

- ``pair``: :data:`tldse.learn.features.PAIR_FEATURES` (config, layer, derived);
- ``prior``: ``log2(1 + x)`` of the prior's compute, DRAM, latency and energy,
  and ``log2(DRAM / compute)``;
- ``systolic``: the closed forms of :mod:`tldse.learn.systolic` (folds, operand
  streams against half their SRAM, per-port DRAM cycles against compute, first
  fill, last drain, output write-back per reduction fold);
- ``unrolled``: the compute cycles of a loop nest with two dimensions unrolled
  on the array (:func:`tldse.learn.prior.unrolled_compute_cycles`, a
  ZigZag-like mapping) against the analytical model's compute and DRAM cycles;
- ``analytical``: the analytical model's own outputs (``extended=True``:
  compute, stall, DRAM and GLB cycles, the limiting term, energy by level and by
  tensor as shares, DRAM and GLB traffic by tensor, tiling counts,
  utilization), for models of an evaluator above it.

**References** (:data:`REFERENCES`): ``prior`` (latency and energy of level 0),
``analytical`` (tldse's latency and energy), ``analytical_compute`` (tldse's
compute cycles, and its energy), ``systolic`` (the SCALE-Sim-like closed form of
the cycles, and tldse's energy), ``unrolled`` (the larger of the unrolled loop
nest's compute cycles and tldse's DRAM cycles, and tldse's energy).

:class:`FidelityModel` is the predictor: an ensemble of networks (one or more
:class:`~tldse.learn.model.Surrogate` members, or none: the reference alone),
a constant log offset per target, and a calibrated spread (sigma in log units).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tldse.arch import CONFIG_COLUMNS, EnergyTable
from tldse.learn.features import PAIR_FEATURES, pair_features, pair_features_grid
from tldse.learn.prior import prior_estimates, unrolled_compute_cycles
from tldse.learn.systolic import systolic_estimates
from tldse.workloads.layer import LAYER_COLUMNS

Array = npt.NDArray[np.float64]
#: Bumped whenever a feature's formula changes without its name changing, so
#: that cached pretrained models (keyed by it) are rebuilt.
FEATURES_VERSION = 1
FIDELITY_FORMAT = "tldse-fidelity-model"
FIDELITY_VERSION = 1
#: Targets a fidelity model can predict (log-ratios to its reference).
FIDELITY_TARGETS: tuple[str, ...] = ("latency", "energy")


class FidelityError(ValueError):
    """Bad input to a multi-fidelity model (names, shapes, files)."""


# ---------------------------------------------------------------- pairs


@dataclass
class Pairs:
    """Aligned (design, layer) rows: ``configs`` (n, 18) and ``layers`` (n, 16),
    with each level's estimates computed on first use and kept. ``energy`` is
    the analytical model's energy table (None: the default), ``mapper`` and
    ``mapper_objective`` its rs mapper."""

    configs: Array
    layers: Array
    energy: EnergyTable | str | None = None
    mapper: str = "heuristic"
    mapper_objective: str = "edp"
    threads: int | None = None
    #: ``(configs (k, 18), layers (m, 16))`` when the rows are their grid
    #: (design-major): estimates are then computed per design and per layer
    tables: tuple[Array, Array] | None = field(default=None, repr=False)
    _cache: dict[str, dict[str, Array]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.configs = np.ascontiguousarray(self.configs, dtype=np.float64)
        self.layers = np.ascontiguousarray(self.layers, dtype=np.float64)
        if self.configs.ndim != 2 or self.configs.shape[1] != len(CONFIG_COLUMNS):
            raise FidelityError(
                f"configs: expected shape (n, {len(CONFIG_COLUMNS)}), got "
                f"{self.configs.shape}"
            )
        if self.layers.ndim != 2 or self.layers.shape[1] != len(LAYER_COLUMNS):
            raise FidelityError(
                f"layers: expected shape (n, {len(LAYER_COLUMNS)}), got "
                f"{self.layers.shape}"
            )
        if len(self.configs) != len(self.layers):
            raise FidelityError(
                f"configs and layers must have the same number of rows (got "
                f"{len(self.configs)} and {len(self.layers)})"
            )

    @classmethod
    def grid(
        cls, configs: npt.ArrayLike, layers: npt.ArrayLike, **kwargs: Any
    ) -> Pairs:
        """Every (design, layer) pair of ``configs`` (k, 18) x ``layers`` (m, 16),
        design-major; the analytical model runs on the grid in one call."""
        cfg = np.asarray(configs, dtype=np.float64)
        lay = np.asarray(layers, dtype=np.float64)
        if cfg.ndim != 2 or lay.ndim != 2:
            raise FidelityError("configs and layers must be 2-d tables")
        k, m = len(cfg), len(lay)
        return cls(
            np.repeat(cfg, m, axis=0), np.tile(lay, (k, 1)), tables=(cfg, lay), **kwargs
        )

    def __len__(self) -> int:
        return len(self.configs)

    def take(self, idx: npt.ArrayLike) -> Pairs:
        """A subset of the rows (computed estimates are carried over)."""
        i = np.asarray(idx)
        out = Pairs(
            self.configs[i],
            self.layers[i],
            self.energy,
            self.mapper,
            self.mapper_objective,
            self.threads,
        )
        out._cache = {
            level: {k: v[i] for k, v in d.items()} for level, d in self._cache.items()
        }
        return out

    def _broadcast(self, fn: Callable[[Array, Array], dict[str, Array]]) -> Any:
        """``fn`` of the rows, or of the grid's designs x layers, flattened."""
        if self.tables is None:
            return fn(self.configs, self.layers)
        cfg, lay = self.tables
        return {k: v.reshape(-1) for k, v in fn(cfg[:, None], lay[None]).items()}

    @property
    def prior(self) -> dict[str, Array]:
        if "prior" not in self._cache:
            self._cache["prior"] = self._broadcast(
                lambda c, la: prior_estimates(c, la, self.energy)
            )
        return self._cache["prior"]

    @property
    def systolic(self) -> dict[str, Array]:
        if "systolic" not in self._cache:
            self._cache["systolic"] = self._broadcast(systolic_estimates)
        return self._cache["systolic"]

    @property
    def unrolled(self) -> Array:
        """:func:`tldse.learn.prior.unrolled_compute_cycles` per row."""
        if "unrolled" not in self._cache:
            self._cache["unrolled"] = self._broadcast(
                lambda c, la: {"cycles": unrolled_compute_cycles(c, la)}
            )
        return self._cache["unrolled"]["cycles"]

    @property
    def analytical(self) -> dict[str, Array]:
        """The analytical model's outputs per row (``extended=True``); NaN where
        the pair is infeasible (``status`` != 0)."""
        if "analytical" not in self._cache:
            self._cache["analytical"] = self._evaluate()
        return self._cache["analytical"]

    def set_analytical(self, outputs: Mapping[str, npt.ArrayLike]) -> None:
        """Uses already computed analytical outputs (one value per row)."""
        self._cache["analytical"] = {
            k: np.asarray(v, dtype=np.float64).reshape(len(self))
            for k, v in outputs.items()
        }

    def _threads(self) -> int:
        if self.threads is not None and self.threads < 0:
            raise FidelityError(
                f"threads must be >= 0 (0 = all cores), got {self.threads}"
            )
        return self.threads or 0

    def _evaluate(self) -> dict[str, Array]:
        from tldse import _core
        from tldse.arch import energy_table

        table = energy_table(self.energy)

        def grid(cfg: Array, lay: Array) -> dict[str, Any]:
            return dict(
                _core.evaluate(
                    cfg,
                    lay,
                    table,
                    self._threads(),
                    False,
                    self.mapper_objective,
                    self.mapper,
                    extended=True,
                )
            )

        if self.tables is not None:
            cfg, lay = self.tables
            raw = grid(cfg, lay)
            return {
                str(k): np.asarray(v, dtype=np.float64).reshape(-1)
                if np.ndim(v) == 2
                else np.repeat(np.asarray(v, dtype=np.float64), len(lay))
                for k, v in raw.items()
            }
        # aligned rows: one grid per distinct design over its distinct layers
        ucfg, cinv = np.unique(self.configs, axis=0, return_inverse=True)
        ulay, linv = np.unique(self.layers, axis=0, return_inverse=True)
        cinv, linv = cinv.reshape(-1), linv.reshape(-1)
        out: dict[str, Array] = {}
        chunk = max(1, 2_000_000 // max(len(ulay), 1))
        for lo in range(0, len(ucfg), chunk):
            sel = (cinv >= lo) & (cinv < lo + chunk)
            if not sel.any():
                continue
            raw = grid(ucfg[lo : lo + chunk], ulay)
            rows, cols = cinv[sel] - lo, linv[sel]
            for k, v in raw.items():
                a = np.asarray(v, dtype=np.float64)
                vals = a[rows, cols] if a.ndim == 2 else a[rows]
                out.setdefault(str(k), np.full(len(self), np.nan))[sel] = vals
        return out


# ---------------------------------------------------------------- features


def _log2p1(x: npt.ArrayLike) -> Array:
    v = np.nan_to_num(np.asarray(x, dtype=np.float64), nan=0.0, posinf=0.0)
    return np.log2(1.0 + np.maximum(v, 0.0))


def _log2r(num: npt.ArrayLike, den: npt.ArrayLike, floor: float = 1e-6) -> Array:
    """log2(num / den), each floored at ``floor`` (NaN -> the floor)."""
    a = np.nan_to_num(np.asarray(num, dtype=np.float64), nan=floor)
    b = np.nan_to_num(np.asarray(den, dtype=np.float64), nan=floor)
    return np.log2(np.maximum(a, floor) / np.maximum(b, floor))


def _pair_group(p: Pairs) -> dict[str, Array]:
    x = (
        pair_features_grid(*p.tables)
        if p.tables is not None
        else pair_features(p.configs, p.layers)
    )
    return {name: x[:, j] for j, name in enumerate(PAIR_FEATURES)}


def _prior_group(p: Pairs) -> dict[str, Array]:
    e = p.prior
    return {
        "prior_log2p1_compute": _log2p1(e["compute_cycles"]),
        "prior_log2p1_dram": _log2p1(e["dram_cycles"]),
        "prior_log2p1_latency": _log2p1(e["latency_cycles"]),
        "prior_log2p1_energy": _log2p1(e["energy_pj"]),
        "prior_log2_dram_over_compute": _log2r(e["dram_cycles"], e["compute_cycles"]),
    }


def _systolic_group(p: Pairs) -> dict[str, Array]:
    e = p.systolic
    comp = e["compute_cycles"]
    return {
        "sys_log2_folds_rows": _log2r(e["folds_rows"], 1.0),
        "sys_log2_folds_cols": _log2r(e["folds_cols"], 1.0),
        "sys_log2p1_compute": _log2p1(comp),
        "sys_log2_input_passes": _log2r(e["input_passes"], 1.0),
        "sys_log2_weight_passes": _log2r(e["weight_passes"], 1.0),
        "sys_log2_output_passes": _log2r(e["output_passes"], 1.0),
        "sys_log2_input_over_half_sram": _log2r(e["input_over_half_sram"], 1.0),
        "sys_log2_weight_over_half_sram": _log2r(e["weight_over_half_sram"], 1.0),
        "sys_log2_output_over_half_sram": _log2r(e["output_over_half_sram"], 1.0),
        "sys_log2_input_port_over_compute": _log2r(e["input_port_cycles"], comp),
        "sys_log2_weight_port_over_compute": _log2r(e["weight_port_cycles"], comp),
        "sys_log2_output_port_over_compute": _log2r(e["output_port_cycles"], comp),
        "sys_log2_fill_over_compute": _log2r(e["first_fill_cycles"], comp),
        "sys_log2_drain_over_compute": _log2r(e["last_drain_cycles"], comp),
        "sys_log2_total_over_compute": _log2r(e["total_cycles"], comp),
        "sys_log2p1_total": _log2p1(e["total_cycles"]),
        "sys_log2p1_writes": _log2p1(e["output_writes"]),
    }


def _unrolled_group(p: Pairs) -> dict[str, Array]:
    u = p.unrolled
    a = p.analytical
    pes = p.configs[:, 1] * p.configs[:, 2]
    return {
        "u_log2p1_compute": _log2p1(u),
        "u_log2_over_analytical_compute": _log2r(u, a["compute_cycles"]),
        "u_log2_dram_over_compute": _log2r(a["dram_cycles"], u),
        "u_utilization": np.nan_to_num(p.prior["macs"] / (u * pes), nan=0.0),
    }


_ANALYTICAL_COUNTS = (
    "compute_cycles",
    "stall_cycles",
    "latency_cycles",
    "energy_pj",
    "dram_bytes",
    "dram_cycles",
    "glb_cycles",
    "dram_weight_bytes",
    "dram_input_bytes",
    "dram_output_bytes",
    "glb_weight_bytes",
    "glb_input_bytes",
    "glb_output_bytes",
    "dram_reads",
    "dram_writes",
    "glb_reads",
    "glb_writes",
    "noc_transfers",
    "rf_reads",
    "rf_writes",
    "row_tiles",
    "filter_tiles",
    "channel_tiles",
)
_ANALYTICAL_SHARES = (
    "mac_energy_pj",
    "rf_energy_pj",
    "noc_energy_pj",
    "glb_energy_pj",
    "dram_energy_pj",
    "leakage_energy_pj",
    "weight_energy_pj",
    "input_energy_pj",
    "output_energy_pj",
)


def _analytical_group(p: Pairs) -> dict[str, Array]:
    a = p.analytical
    comp = a["compute_cycles"]
    cols = {f"a_log2p1_{k}": _log2p1(a[k]) for k in _ANALYTICAL_COUNTS}
    energy = np.maximum(np.nan_to_num(a["energy_pj"], nan=1.0), 1e-30)
    for k in _ANALYTICAL_SHARES:
        cols[f"a_share_{k}"] = np.nan_to_num(a[k] / energy, nan=0.0)
    cols["a_utilization"] = np.nan_to_num(a["utilization"], nan=0.0)
    for j, name in enumerate(("compute", "dram", "glb")):
        cols[f"a_bound_{name}"] = (a["bound"] == j).astype(np.float64)
    cols["a_log2_dram_over_compute"] = _log2r(a["dram_cycles"], comp)
    cols["a_log2_glb_over_compute"] = _log2r(a["glb_cycles"], comp)
    cols["a_log2_latency_over_systolic"] = _log2r(
        a["latency_cycles"], p.systolic["total_cycles"]
    )
    return cols


FeatureGroup = Callable[[Pairs], dict[str, Array]]
#: Feature groups by name (see the module docstring).
FEATURE_GROUPS: dict[str, FeatureGroup] = {
    "pair": _pair_group,
    "prior": _prior_group,
    "systolic": _systolic_group,
    "unrolled": _unrolled_group,
    "analytical": _analytical_group,
}
#: The groups of a model pretrained on the analytical model (level 0 only: the
#: analytical model is its target, so its outputs cannot be features).
PRETRAIN_GROUPS: tuple[str, ...] = ("pair", "prior", "systolic")
#: The groups of a model of an expensive evaluator (every level below it).
EVALUATOR_GROUPS: tuple[str, ...] = (
    "pair",
    "prior",
    "systolic",
    "unrolled",
    "analytical",
)


@dataclass(frozen=True)
class FeatureSet:
    """Named feature groups, in order; ``names`` lists the columns."""

    groups: tuple[str, ...]

    def __post_init__(self) -> None:
        bad = [g for g in self.groups if g not in FEATURE_GROUPS]
        if bad or not self.groups:
            raise FidelityError(
                f"feature groups must be some of {', '.join(FEATURE_GROUPS)}; got "
                f"{list(self.groups)}"
            )

    @property
    def names(self) -> tuple[str, ...]:
        return _names(self.groups)

    def compute(self, pairs: Pairs) -> npt.NDArray[np.float32]:
        """The ``(n, len(names))`` float32 feature table of ``pairs`` (missing
        values, such as the analytical outputs of an infeasible pair, are 0)."""
        cols: list[Array] = []
        for g in self.groups:
            cols.extend(FEATURE_GROUPS[g](pairs).values())
        x = np.stack(cols, axis=1) if cols else np.empty((len(pairs), 0))
        return np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)


_NAMES: dict[tuple[str, ...], tuple[str, ...]] = {}


def _names(groups: tuple[str, ...]) -> tuple[str, ...]:
    """Column names of groups (computed once on a one-row example)."""
    if groups not in _NAMES:
        from tldse.arch import Accelerator
        from tldse.workloads.layer import Layer

        ex = Pairs(
            Accelerator().row()[None, :],
            np.asarray([Layer.conv("x", c=8, k=8, h=8, r=3).row()], dtype=np.float64),
        )
        names: list[str] = []
        for g in groups:
            names.extend(FEATURE_GROUPS[g](ex))
        _NAMES[groups] = tuple(names)
    return _NAMES[groups]


# ---------------------------------------------------------------- references


def _ref_prior(p: Pairs) -> dict[str, Array]:
    return {"latency": p.prior["latency_cycles"], "energy": p.prior["energy_pj"]}


def _ref_analytical(p: Pairs) -> dict[str, Array]:
    a = p.analytical
    return {"latency": a["latency_cycles"], "energy": a["energy_pj"]}


def _ref_analytical_compute(p: Pairs) -> dict[str, Array]:
    a = p.analytical
    return {"latency": a["compute_cycles"], "energy": a["energy_pj"]}


def _ref_systolic(p: Pairs) -> dict[str, Array]:
    return {
        "latency": p.systolic["total_cycles"],
        "energy": p.analytical["energy_pj"],
    }


def _ref_unrolled(p: Pairs) -> dict[str, Array]:
    a = p.analytical
    return {
        "latency": np.maximum(p.unrolled, a["dram_cycles"]),
        "energy": a["energy_pj"],
    }


#: Reference estimates a model's log-ratio targets are relative to.
REFERENCES: dict[str, Callable[[Pairs], dict[str, Array]]] = {
    "prior": _ref_prior,
    "analytical": _ref_analytical,
    "analytical_compute": _ref_analytical_compute,
    "systolic": _ref_systolic,
    "unrolled": _ref_unrolled,
}


def reference_values(pairs: Pairs, reference: str) -> dict[str, Array]:
    """The reference's latency and energy per row (NaN where it has none)."""
    fn = REFERENCES.get(reference)
    if fn is None:
        raise FidelityError(
            f"reference must be one of {', '.join(REFERENCES)}, got {reference!r}"
        )
    return fn(pairs)


def log_ratio_targets(
    truth: Mapping[str, npt.ArrayLike],
    reference: Mapping[str, Array],
    targets: Sequence[str],
) -> npt.NDArray[np.float32]:
    """``(n, len(targets))``: ``log(truth / reference)`` per target."""
    cols = []
    for t in targets:
        y = np.asarray(truth[t], dtype=np.float64)
        cols.append(np.log(y / reference[t]))
    return np.stack(cols, axis=1).astype(np.float32)


# ---------------------------------------------------------------- the model


@dataclass
class LinearMember:
    """A ridge regression of the log-ratio targets on standardised features:
    ``y = ((x - mean) / std) @ weights + bias`` (a member of a
    :class:`FidelityModel` like a network)."""

    feature_names: tuple[str, ...]
    targets: tuple[str, ...]
    mean: Array
    std: Array
    weights: Array  # (F, T)
    bias: Array  # (T,)

    @classmethod
    def fit(
        cls,
        feature_names: Sequence[str],
        targets: Sequence[str],
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        alpha: float,
    ) -> LinearMember:
        xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        mean, std = xa.mean(axis=0), xa.std(axis=0)
        std = np.where(std < 1e-6, 1.0, std)
        z = (xa - mean) / std
        yc = ya.mean(axis=0)
        w = np.linalg.solve(z.T @ z + alpha * np.eye(z.shape[1]), z.T @ (ya - yc))
        return cls(tuple(feature_names), tuple(targets), mean, std, w, yc)

    def predict(self, x: npt.ArrayLike, batch_size: int = 0) -> Array:
        z = (np.asarray(x, dtype=np.float64) - self.mean) / self.std
        return np.asarray(z @ self.weights + self.bias)

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature_names": list(self.feature_names),
            "targets": list(self.targets),
            **{
                k: getattr(self, k).tolist() for k in ("mean", "std", "weights", "bias")
            },
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LinearMember:
        arr = {
            k: np.asarray(d[k], dtype=np.float64)
            for k in ("mean", "std", "weights", "bias")
        }
        return cls(tuple(d["feature_names"]), tuple(d["targets"]), **arr)


Member = Any  # a Surrogate or a LinearMember


@dataclass
class Prediction:
    """Predicted values per target and their spread: ``sigma[t]`` is the
    calibrated standard deviation of ``log(value)`` (so value x exp(+-sigma) is
    a one-sigma band)."""

    values: dict[str, Array]
    sigma: dict[str, Array]
    log_values: dict[str, Array]


@dataclass
class FidelityModel:
    """``value = reference x exp(offset + mean over members of the network's
    log-ratio)``, per target (see the module docstring). ``members`` empty: the
    reference (times ``exp(offset)``) alone. ``sigma_scale`` rescales the
    members' spread to the residuals seen on held-out samples; ``sigma_floor``
    is the spread of a model without members (or the least spread given)."""

    features: FeatureSet
    reference: str
    targets: tuple[str, ...] = FIDELITY_TARGETS
    members: list[Member] = field(default_factory=list)
    offset: dict[str, float] = field(default_factory=dict)
    sigma_scale: dict[str, float] = field(default_factory=dict)
    sigma_floor: dict[str, float] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bad = [t for t in self.targets if t not in FIDELITY_TARGETS]
        if bad or not self.targets:
            raise FidelityError(
                f"targets must be some of {', '.join(FIDELITY_TARGETS)}; got "
                f"{list(self.targets)}"
            )
        if self.reference not in REFERENCES:
            raise FidelityError(
                f"reference must be one of {', '.join(REFERENCES)}, got "
                f"{self.reference!r}"
            )
        for m in self.members:
            if tuple(m.feature_names) != self.features.names:
                raise FidelityError(
                    "a member's features differ from the model's feature groups "
                    f"{list(self.features.groups)}"
                )
            if tuple(m.targets) != tuple(self.targets):
                raise FidelityError(
                    f"a member predicts {list(m.targets)}, the model "
                    f"{list(self.targets)}"
                )

    def log_ratio(
        self, x: npt.ArrayLike, batch_size: int = 65536
    ) -> tuple[Array, Array]:
        """Mean and std over members of the predicted log-ratios, ``(n, T)``
        each, offsets included (zeros without members)."""
        xa = np.asarray(x, dtype=np.float32)
        n, t = len(xa), len(self.targets)
        off = np.array([self.offset.get(k, 0.0) for k in self.targets])
        if not self.members:
            return np.zeros((n, t)) + off, np.zeros((n, t))
        preds = np.stack([m.predict(xa, batch_size) for m in self.members])
        return preds.mean(axis=0) + off, preds.std(axis=0)

    def predict(self, pairs: Pairs) -> Prediction:
        """Values, log values and calibrated sigma per target for every row."""
        ref = reference_values(pairs, self.reference)
        x = self.features.compute(pairs) if self.members else None
        mu, sd = self.log_ratio(x if x is not None else np.empty((len(pairs), 0)))
        values, logs, sig = {}, {}, {}
        for j, t in enumerate(self.targets):
            lv = np.log(ref[t]) + mu[:, j]
            logs[t] = lv
            values[t] = np.exp(lv)
            scale = self.sigma_scale.get(t, 1.0)
            sig[t] = np.maximum(sd[:, j] * scale, self.sigma_floor.get(t, 0.0))
        return Prediction(values, sig, logs)

    # ------------------------------------------------------------ files

    def save(self, folder: str | Path) -> Path:
        """``fidelity.json`` plus one saved surrogate per member
        (``member-K/``)."""
        from tldse._util.io import jsonable, package_version, write_json_atomic

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)

        for i, m in enumerate(self.members):
            if isinstance(m, LinearMember):
                (out / f"member-{i}").mkdir(parents=True, exist_ok=True)
                write_json_atomic(out / f"member-{i}" / "linear.json", m.to_dict())
            else:
                m.save(out / f"member-{i}")
        write_json_atomic(
            out / "fidelity.json",
            {
                "format": FIDELITY_FORMAT,
                "format_version": FIDELITY_VERSION,
                "tldse_version": package_version(),
                "feature_groups": list(self.features.groups),
                "feature_names": list(self.features.names),
                "reference": self.reference,
                "targets": list(self.targets),
                "members": len(self.members),
                "offset": self.offset,
                "sigma_scale": self.sigma_scale,
                "sigma_floor": self.sigma_floor,
                "metadata": jsonable(self.metadata),
            },
        )
        return out

    @classmethod
    def load(cls, folder: str | Path) -> FidelityModel:
        path = Path(folder)
        try:
            meta = json.loads((path / "fidelity.json").read_text())
        except FileNotFoundError:
            raise FidelityError(
                f"{path}: no fidelity.json (not a saved fidelity model)"
            ) from None
        except ValueError as exc:
            raise FidelityError(f"{path / 'fidelity.json'}: not JSON ({exc})") from None
        if not isinstance(meta, dict) or meta.get("format") != FIDELITY_FORMAT:
            raise FidelityError(f"{path / 'fidelity.json'}: not a fidelity model")
        try:
            return cls._from_meta(path, meta)
        except FidelityError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            what = f"no {exc}" if isinstance(exc, KeyError) else str(exc)
            raise FidelityError(
                f"{path / 'fidelity.json'}: damaged ({what}; rebuild it)"
            ) from None

    @classmethod
    def _from_meta(cls, path: Path, meta: Mapping[str, Any]) -> FidelityModel:
        from tldse.learn.model import Surrogate, SurrogateError

        fs = FeatureSet(tuple(meta["feature_groups"]))
        if list(fs.names) != list(meta.get("feature_names", fs.names)):
            raise FidelityError(
                f"{path}: saved with other feature columns than this tldse computes "
                "(rebuild it)"
            )
        members: list[Member] = []
        count = int(meta["members"])
        try:
            for i in range(count):
                folder = path / f"member-{i}"
                if (folder / "linear.json").is_file():
                    members.append(
                        LinearMember.from_dict(
                            json.loads((folder / "linear.json").read_text())
                        )
                    )
                else:
                    members.append(Surrogate.load(folder))
        except (SurrogateError, KeyError, ValueError) as exc:
            raise FidelityError(f"{path}: a member does not load ({exc})") from None
        return cls(
            fs,
            str(meta["reference"]),
            tuple(meta["targets"]),
            members,
            {k: float(v) for k, v in meta.get("offset", {}).items()},
            {k: float(v) for k, v in meta.get("sigma_scale", {}).items()},
            {k: float(v) for k, v in meta.get("sigma_floor", {}).items()},
            dict(meta.get("metadata") or {}),
        )
