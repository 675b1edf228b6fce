"""Typed facade over the C++ core: ``evaluate`` (batch), ``simulate`` (one design)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from tldse import _core
from tldse._util.table import (
    Column,
    fixed,
    integer,
    plural,
    render,
    scaled,
    to_html,
    wrap,
)
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

    def summary(self) -> dict[str, Any]:
        """Shape and feasibility: designs, layers (None per network), how many
        designs are feasible on every layer, the fields."""
        status = np.asarray(self.arrays["status"])
        feasible = status == 0 if status.ndim == 1 else (status == 0).all(axis=1)
        return {
            "designs": int(status.shape[0]),
            "layers": None if self.per_network else len(self.layer_names),
            "per_network": self.per_network,
            "feasible_designs": int(feasible.sum()),
            "fields": [k for k in self.arrays if k != "status"],
        }

    def _headline(self) -> str:
        s = self.summary()
        shape = (
            f"{plural(s['designs'], 'design')} (per network)"
            if self.per_network
            else f"{plural(s['designs'], 'design')} x {plural(s['layers'], 'layer')}"
        )
        return (
            f"Evaluation: {shape}, {s['feasible_designs']:,} feasible on every "
            f"layer\nfields (ev[name]; ev.to_pandas()): {', '.join(s['fields'])}"
        )

    def __repr__(self) -> str:
        df = self.to_pandas()
        cols = [Column(str(k), text=k in ("layer", "status")) for k in df.columns]
        rows = df.head(_REPR_ROWS).to_dict("records")
        more = len(df) - len(rows)
        tail = f"\n... {more:,} more rows" if more > 0 else ""
        return f"{wrap(self._headline())}\n{render(cols, rows, width=80)}{tail}"

    def _repr_html_(self) -> str:
        df = self.to_pandas()
        cols = [Column(str(k), text=k in ("layer", "status")) for k in df.columns]
        return f"<p>{_html_text(self._headline())}</p>" + to_html(
            cols, df.head(_HTML_ROWS).to_dict("records")
        )

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


def describe(acc: Accelerator) -> str:
    """One line: ``16x16 ws, GLB 128 KiB, DRAM 16 B/cycle, 8/8-bit, 1000 MHz``."""
    bits = (
        f"{acc.weight_bits}"
        if acc.weight_bits == acc.act_bits
        else f"{acc.weight_bits}/{acc.act_bits}"
    )
    return (
        f"{acc.pe_rows}x{acc.pe_cols} {acc.dataflow}, GLB {acc.glb_bytes / 1024:g} "
        f"KiB, DRAM {acc.dram_bw_bytes_per_cycle:g} B/cycle, {bits}-bit, "
        f"{acc.clock_mhz:g} MHz"
    )


#: Rows shown by the reprs of result objects (text, HTML).
_REPR_ROWS = 12
_HTML_ROWS = 60


def _html_text(text: str) -> str:
    import html

    return html.escape(text)


#: The per-layer table of :func:`simulate` (``tldse simulate``, the report's repr):
#: one column per key of :meth:`SimulationReport.rows`; priority 0 is always shown,
#: higher numbers are left out first when the width is short.
LAYER_COLUMNS: tuple[Column, ...] = (
    Column("layer", "layer", priority=0, text=True),
    Column("count", "n", integer, priority=3),
    Column("macs", "MACs", integer, priority=4),
    Column("compute_cycles", "compute cyc", integer, priority=2),
    Column("stall_cycles", "stall cyc", integer, priority=1),
    Column("latency_cycles", "latency cyc", integer, priority=0),
    Column("utilization", "util", fixed(2), priority=1),
    Column("energy_pj", "energy uJ", scaled(1e-6), priority=0),
    Column("dram_reads", "DRAM rd", integer, priority=4),
    Column("dram_writes", "DRAM wr", integer, priority=4),
    Column("status", "status", priority=2, text=True),
)


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

    def rows(self) -> list[dict[str, Any]]:
        """One dict per layer: name, count, status, metrics, accesses (the
        columns of :meth:`to_pandas`)."""
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
        return rows

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows())

    def summary(self) -> dict[str, Any]:
        """The headline numbers (totals weighted by each layer's count)."""
        ok = self.ok
        return {
            "workload": self.workload,
            "accelerator": describe(self.accelerator),
            "energy_table": self.energy_table,
            "layers": len(self.layers),
            "ok": ok,
            "macs": self.total("macs"),
            "latency_cycles": self.latency_cycles if ok else math.nan,
            "latency_ms": self.latency_s * 1e3 if ok else math.nan,
            "energy_uj": self.energy_pj / 1e6 if ok else math.nan,
            "area_mm2": self.area_um2 / 1e6,
        }

    def headline(self) -> str:
        """Three lines: the design, the totals, the layers and energy table."""
        s = self.summary()
        last = f"{plural(len(self.layers), 'layer')}, energy table {s['energy_table']}"
        if not s["ok"]:
            bad = sum(layer.status != "ok" for layer in self.layers)
            totals = f"{bad} of the layers are infeasible on this design (status)"
        else:
            totals = (
                f"total {s['latency_ms']:.4g} ms ({s['latency_cycles']:,.0f} "
                f"cycles), {s['energy_uj']:,.1f} uJ, {s['macs']:,.0f} MACs"
            )
        return (
            f"{s['workload']} on {s['accelerator']}\n{totals}\n{last}, area "
            f"{s['area_mm2']:.3f} mm^2"
        )

    def table(
        self,
        width: int | None = 80,
        columns: Sequence[str] | None = None,
        max_rows: int | None = None,
    ) -> str:
        """The per-layer table as text in ``width`` characters (the most
        important :data:`LAYER_COLUMNS` that fit; ``None``: all), or the named
        ``columns`` (any key of :meth:`rows`), at most ``max_rows`` layers."""
        rows = self.rows()
        cols = list(LAYER_COLUMNS)
        if columns is not None:
            from tldse._util.table import select

            cols = select(cols, ",".join(columns), rows[0] if rows else ())
        shown = rows if max_rows is None else rows[:max_rows]
        text = render(cols, shown, width=width or 10**6)
        if len(shown) < len(rows):
            text += f"\n... {len(rows) - len(shown):,} more layers (report.rows())"
        return text

    def __repr__(self) -> str:
        return f"{wrap(self.headline())}\n{self.table(max_rows=_REPR_ROWS)}"

    def __str__(self) -> str:
        return f"{wrap(self.headline())}\n{self.table()}"

    def _repr_html_(self) -> str:
        head = "<br>".join(_html_text(line) for line in self.headline().splitlines())
        return f"<p>{head}</p>" + to_html(LAYER_COLUMNS, self.rows()[:_HTML_ROWS])


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
