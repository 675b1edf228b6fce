"""Typed facade over the C++ core: ``evaluate`` (batch), ``simulate`` (one design)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from tldse import _core
from tldse.arch import Accelerator, EnergyTable, config_table, energy_table
from tldse.workloads.layer import Layer, Workload, as_workload

if TYPE_CHECKING:
    import pandas as pd

RESULT_FIELDS: tuple[str, ...] = tuple(_core.result_fields)
STATUS_NAMES: tuple[str, ...] = tuple(_core.status_names)

WorkloadLike = Workload | Iterable[Layer] | str | Path
TableLike = str | Path | EnergyTable | None


#: What the rs mapper minimises where the dataflow leaves a choice.
MAPPER_OBJECTIVES: tuple[str, ...] = ("latency", "energy", "edp")
MAPPER_MODES: tuple[str, ...] = ("heuristic", "exhaustive")
MapperObjective = Literal["latency", "energy", "edp"]
MapperMode = Literal["heuristic", "exhaustive"]


def _mapper_objective(mapper_objective: str, objective: str | None) -> str:
    """``mapper_objective``, or the deprecated ``objective=`` spelling of it."""
    if objective is None:
        return mapper_objective
    warnings.warn(
        "objective= is deprecated; use mapper_objective= (the rs mapper's objective)",
        DeprecationWarning,
        stacklevel=3,
    )
    return objective


def _check_mapper(objective: str, mapper: str) -> None:
    if objective not in MAPPER_OBJECTIVES:
        raise ValueError(
            f"mapper_objective must be one of {', '.join(MAPPER_OBJECTIVES)}; got "
            f"{objective!r}"
        )
    if mapper not in MAPPER_MODES:
        raise ValueError(
            f"mapper must be one of {', '.join(MAPPER_MODES)}; got {mapper!r}"
        )


def _threads(threads: int | None) -> int:
    if threads is None:
        return 0
    if threads < 0:
        raise ValueError(f"threads must be >= 0 (0 = all cores), got {threads}")
    return threads


@dataclass
class Evaluation:
    """Arrays from :func:`evaluate`: ``[n_configs, n_layers]`` or ``[n_configs]``.

    Index by field name (``ev["latency_cycles"]``); ``status`` is 0 for feasible
    points (see ``STATUS_NAMES``); ``area_um2`` is per config.
    """

    arrays: dict[str, npt.NDArray[Any]]
    layer_names: list[str]
    per_network: bool

    def __getitem__(self, key: str) -> npt.NDArray[Any]:
        return self.arrays[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.arrays)

    def keys(self) -> Iterable[str]:
        return self.arrays.keys()

    @property
    def ok(self) -> npt.NDArray[np.bool_]:
        return np.asarray(self.arrays["status"] == 0)

    def to_pandas(self) -> pd.DataFrame:
        """Long format: one row per (config, layer), or per config when reduced."""
        import pandas as pd

        status = self.arrays["status"]
        if self.per_network:
            data = {k: v for k, v in self.arrays.items() if k != "status"}
            df = pd.DataFrame(data)
            df.insert(0, "config", np.arange(len(status)))
            df["status"] = [STATUS_NAMES[s] for s in status]
            return df
        n, m = status.shape
        data = {
            "config": np.repeat(np.arange(n), m),
            "layer": np.tile(np.asarray(self.layer_names, dtype=object), n),
        }
        for k, v in self.arrays.items():
            if k == "status":
                continue
            data[k] = np.repeat(v, m) if v.ndim == 1 else v.reshape(-1)
        df = pd.DataFrame(data)
        df["status"] = [STATUS_NAMES[s] for s in status.reshape(-1)]
        return df


def evaluate(
    configs: Iterable[Accelerator] | npt.ArrayLike | Any,
    workload: WorkloadLike,
    *,
    energy: TableLike = None,
    threads: int | None = None,
    per_network: bool = False,
    mapper_objective: MapperObjective = "edp",
    mapper: MapperMode = "heuristic",
    objective: MapperObjective | None = None,
) -> Evaluation:
    """Evaluates every (config, layer) pair in C++ threads with the GIL released.

    ``configs``: list of :class:`Accelerator`, a DataFrame with config columns, or an
    ``(n, 18)`` array. ``workload``: a :class:`Workload`, a list of layers, a zoo name
    (``"resnet50"``, ``"bert_base:seq_len=256"``) or a topology file
    (:func:`tldse.workloads.resolve_workload`). ``per_network`` sums layers
    (weighted by ``count``) per config. ``mapper_objective`` (latency, energy, edp)
    is what the mapper minimises and ``mapper`` (heuristic, exhaustive) how hard it
    searches; both only matter where the dataflow leaves a choice (``rs``).
    ``objective`` is a deprecated name of ``mapper_objective``. Infeasible points get
    a non-zero ``status`` and NaN metrics; malformed input raises ValueError.
    """
    mapper_objective = _mapper_objective(mapper_objective, objective)  # type: ignore[assignment]
    _check_mapper(mapper_objective, mapper)
    table = config_table(configs)
    wl = as_workload(workload)
    raw = _core.evaluate(
        table,
        wl.table(),
        energy_table(energy),
        _threads(threads),
        per_network,
        mapper_objective,
        mapper,
    )
    arrays = {str(k): np.asarray(v) for k, v in raw.items()}
    return Evaluation(arrays, wl.names, per_network)


@dataclass
class LayerReport:
    name: str
    count: int
    status: str
    metrics: dict[str, float]
    accesses: dict[str, float]
    energy_breakdown_pj: dict[str, float]
    tiling: dict[str, Any]
    mapping: dict[str, Any] = field(default_factory=dict)  # rs: p, q, tf, tc, ...


@dataclass
class SimulationReport:
    """Per-layer results of one design on one workload (:func:`simulate`)."""

    accelerator: Accelerator
    workload: str
    energy_table: str
    area_um2: float
    layers: list[LayerReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(layer.status == "ok" for layer in self.layers)

    def total(self, metric: str) -> float:
        """Sum of a metric over layers, each weighted by its count."""
        return float(sum(layer.metrics[metric] * layer.count for layer in self.layers))

    @property
    def latency_cycles(self) -> float:
        return self.total("latency_cycles")

    @property
    def energy_pj(self) -> float:
        return self.total("energy_pj")

    @property
    def latency_s(self) -> float:
        return self.latency_cycles / (self.accelerator.clock_mhz * 1e6)

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for layer in self.layers:
            row: dict[str, Any] = {
                "layer": layer.name,
                "count": layer.count,
                "status": layer.status,
            }
            row.update(layer.metrics)
            row.update(layer.accesses)
            rows.append(row)
        return pd.DataFrame(rows)


_METRICS = (
    "macs", "compute_cycles", "stall_cycles", "latency_cycles", "utilization",
    "energy_pj", "mac_energy_pj", "leakage_energy_pj",
)  # fmt: skip


def simulate(
    accelerator: Accelerator,
    workload: WorkloadLike,
    *,
    energy: TableLike = None,
    mapper_objective: MapperObjective = "edp",
    mapper: MapperMode = "heuristic",
    objective: MapperObjective | None = None,
) -> SimulationReport:
    """One design, every layer, with per-level and per-tensor detail.

    Uses the same C++ cost function as :func:`evaluate`; the arguments mean the
    same (``objective`` is a deprecated name of ``mapper_objective``).
    """
    mapper_objective = _mapper_objective(mapper_objective, objective)  # type: ignore[assignment]
    _check_mapper(mapper_objective, mapper)
    if not isinstance(accelerator, Accelerator):
        raise ValueError("accelerator must be a tldse.Accelerator")
    wl = as_workload(workload)
    table = energy_table(energy)
    row = accelerator.row()
    layer_rows = wl.table()
    report = SimulationReport(
        accelerator, wl.name, str(table.name), float(table.area_um2(row))
    )
    for layer, lrow in zip(wl.layers, layer_rows, strict=True):
        d = _core.evaluate_layer(
            row, lrow.astype(np.float64), table, mapper_objective, mapper
        )
        report.layers.append(
            LayerReport(
                name=layer.name,
                count=layer.count,
                status=STATUS_NAMES[int(d["status"])],
                metrics={k: float(d[k]) for k in _METRICS},
                accesses=_accesses(d["accesses"]),
                energy_breakdown_pj={
                    str(k): float(v) for k, v in d["energy_breakdown"].items()
                },
                tiling=dict(d["tiling"]),
                mapping=dict(d.get("rs_mapping", {})),
            )
        )
    return report


def _accesses(acc: Mapping[str, float]) -> dict[str, float]:
    out = {str(k): float(v) for k, v in acc.items()}
    for level in ("dram", "glb", "noc", "rf"):
        for rw in ("reads", "writes"):
            out[f"{level}_{rw}"] = sum(
                out[f"{level}_{t}_{rw}"] for t in ("weight", "input", "output")
            )
    return out
