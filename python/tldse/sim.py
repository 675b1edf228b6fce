"""Typed facade over the C++ core: ``evaluate`` (batch), ``simulate`` (one design)."""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
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


#: The report's columns, in order: the one schema of ``tldse-sim --format csv|json``,
#: ``tldse simulate --format csv|json``, :meth:`SimulationReport.to_pandas` and the
#: per-layer breakdowns of sweeps and explore (docs/model.md, "The report").
REPORT_COLUMNS: tuple[str, ...] = tuple(str(c[0]) for c in _core.report_columns())
#: How each column's total is formed: ``text``, ``count``, ``sum`` (weighted by
#: count), ``ratio`` (the network's own), ``share`` (1), ``design`` (the design's
#: value) or ``mapping`` (none).
REPORT_COLUMN_KINDS: dict[str, str] = {
    str(c[0]): str(c[1]) for c in _core.report_columns()
}
#: One line per column: what it is.
REPORT_COLUMN_DOCS: dict[str, str] = {
    str(c[0]): str(c[2]) for c in _core.report_columns()
}

_LEVELS = ("dram", "glb", "noc", "rf")
_TENSORS = ("weight", "input", "output")
_LOOPS = ("rows", "filters", "channels")
#: The six GLB tile-loop orders by their ``loop_order`` code (lexicographic).
_LOOP_ORDERS = tuple(itertools.permutations(_LOOPS))
_RS_MAPPING = ("p", "q", "tf", "tc", "r_eff", "r_fold", "e_pass", "e_fold", "replicas")
_BREAKDOWN = {
    f"{lv}_{t}_{x}"
    for lv in _LEVELS
    for t in _TENSORS
    for x in ("reads", "writes", "pj")
}
#: LayerReport.metrics: the cycles, ratios, shares and energy totals of a layer.
_METRICS = tuple(
    name
    for name, kind in REPORT_COLUMN_KINDS.items()
    if kind in ("sum", "ratio", "share")
    and name not in _BREAKDOWN
    and not name.endswith(("_reads", "_writes", "_bytes"))
    and name != "noc_transfers"
)


@dataclass
class LayerReport:
    """One layer of a :class:`SimulationReport`. ``values`` is its row of the
    report schema (``REPORT_COLUMNS``); the other fields group the same numbers:
    ``metrics`` (cycles, utilization, energy), ``accesses`` (elements by level and
    tensor, and by level), ``energy_breakdown_pj`` (by level and tensor),
    ``tiling`` (the GLB tile sizes and loop order) and ``mapping`` (rs only)."""

    name: str
    count: int
    status: str
    metrics: dict[str, float]
    accesses: dict[str, float]
    energy_breakdown_pj: dict[str, float]
    tiling: dict[str, Any]
    mapping: dict[str, Any] = field(default_factory=dict)  # rs: p, q, tf, tc, ...
    values: dict[str, Any] = field(default_factory=dict, repr=False)


def _layer_report(values: dict[str, Any], rs: bool) -> LayerReport:
    ok = values["status"] == "ok"
    accesses = {
        f"{lv}_{t}_{rw}": float(values[f"{lv}_{t}_{rw}"])
        for lv in _LEVELS
        for t in _TENSORS
        for rw in ("reads", "writes")
    }
    for lv in _LEVELS:
        for rw in ("reads", "writes"):
            accesses[f"{lv}_{rw}"] = sum(accesses[f"{lv}_{t}_{rw}"] for t in _TENSORS)
    tiling: dict[str, Any] = {}
    if ok:
        tiling = {
            "rows": int(values["glb_row_tile"]),
            "filters": int(values["glb_filter_tile"]),
            "channels": int(values["glb_channel_tile"]),
            "order": list(_LOOP_ORDERS[int(values["loop_order"])]),
        }
    return LayerReport(
        name=str(values["layer"]),
        count=int(values["count"]),
        status=str(values["status"]),
        metrics={k: float(values[k]) for k in _METRICS},
        accesses=accesses,
        energy_breakdown_pj={
            f"{lv}_{t}_pj": float(values[f"{lv}_{t}_pj"])
            for lv in _LEVELS
            for t in _TENSORS
        },
        tiling=tiling,
        mapping={k: int(values[f"rs_{k}"]) for k in _RS_MAPPING} if ok and rs else {},
        values=values,
    )


@dataclass
class SimulationReport:
    """Per-layer results of one design on one workload (:func:`simulate`), in the
    report schema (``REPORT_COLUMNS``) that ``tldse-sim`` and ``tldse simulate``
    print: :meth:`to_pandas`, :meth:`total`, :meth:`to_csv`, :meth:`to_json`,
    :meth:`mapping` and :meth:`write_scalesim_reports`."""

    accelerator: Accelerator
    workload: str
    energy_table: str
    area_um2: float
    layers: list[LayerReport] = field(default_factory=list)
    #: the design's area by component: mac, rf, noc, glb (um^2)
    area_breakdown_um2: dict[str, float] = field(default_factory=dict)
    #: the total row: every column
    totals: dict[str, Any] = field(default_factory=dict, repr=False)
    _report: Any = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return all(layer.status == "ok" for layer in self.layers)

    def total(self, column: str) -> float:
        """The total row's value of a numeric column: for ``sum`` columns (cycles,
        energies, accesses, bytes, MACs, e.g. ``dram_weight_pj``) the sum over
        layers weighted by count, for ``utilization`` and ``mapping_efficiency``
        the network's own, for area columns the design's. NaN when a layer has no
        result (MACs excepted)."""
        kind = REPORT_COLUMN_KINDS.get(column)
        if kind is None:
            raise ValueError(
                f"unknown report column {column!r}; valid: {', '.join(REPORT_COLUMNS)}"
            )
        if kind in ("text", "mapping"):
            numeric = [
                c
                for c, k in REPORT_COLUMN_KINDS.items()
                if k not in ("text", "mapping")
            ]
            raise ValueError(
                f"{column!r} has no total ({kind} column); columns with totals: "
                f"{', '.join(numeric)}"
            )
        return float(self.totals[column])

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
        """One dict per layer with every column of the report (``REPORT_COLUMNS``,
        the rows of :meth:`to_pandas`)."""
        return [dict(layer.values) for layer in self.layers]

    def to_pandas(self) -> pd.DataFrame:
        """One row per layer, the columns of ``REPORT_COLUMNS`` (those of
        ``tldse-sim --format csv`` without its total row)."""

        return _frame(self._report.columns())

    def to_csv(self) -> str:
        """``tldse-sim --format csv``'s text: the header, the layers, the total."""
        return str(self._report.to_csv())

    def to_json(self) -> str:
        """``tldse-sim --format json``'s text: the design, every layer, the total."""
        return str(self._report.to_json())

    def to_table(self, mapping: bool = False) -> str:
        """``tldse-sim``'s table (with ``mapping``, every layer's loop nest)."""
        return str(self._report.to_table(mapping))

    def mapping(self, layer: int | str) -> str:
        """The chosen mapping of a layer (index or name) as an indented loop nest,
        outer to inner: GLB tile loops, the spatial mapping, what a PE holds."""
        names = [lr.name for lr in self.layers]
        index = (
            names.index(layer) if isinstance(layer, str) and layer in names else layer
        )
        if not isinstance(index, int):
            raise ValueError(f"no layer named {layer!r}")
        return str(self._report.mapping_text(index, True))

    def write_scalesim_reports(self, folder: str | Path) -> list[Path]:
        """Writes SCALE-Sim 3's COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and
        DETAILED_ACCESS_REPORT.csv into ``folder`` (SCALE-Sim's column names,
        tldse's numbers; docs/model.md, "SCALE-Sim report files")."""
        return [Path(p) for p in self._report.write_scalesim_reports(str(folder))]

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


def _frame(columns: dict[str, Any]) -> pd.DataFrame:
    """A DataFrame of report columns, in schema order (``count`` as integers)."""
    import pandas as pd

    df = pd.DataFrame(columns, columns=list(REPORT_COLUMNS))
    df["count"] = df["count"].astype(np.int64)
    return df


def simulate(
    accelerator: Accelerator,
    workload: WorkloadLike,
    *,
    energy: TableLike = None,
    mapper_objective: MapperObjective = "edp",
    mapper: MapperMode = "heuristic",
    objective: MapperObjective | None = None,
) -> SimulationReport:
    """One design, every layer and the total, in the report schema
    (``REPORT_COLUMNS``): latency split by cause, the bounding resource, energy by
    level and tensor, accesses, the area by component and the chosen mapping.

    Uses the same C++ cost function as :func:`evaluate`; the arguments mean the
    same (``objective`` is a deprecated name of ``mapper_objective``).
    """
    mapper_objective = _mapper_objective(mapper_objective, objective)  # type: ignore[assignment]
    _check_mapper(mapper_objective, mapper)
    if not isinstance(accelerator, Accelerator):
        raise ValueError("accelerator must be a tldse.Accelerator")
    wl = as_workload(workload)
    table = energy_table(energy)
    rep = _core.simulate(
        accelerator.row(),
        list(wl.names),
        wl.table().astype(np.float64),
        table,
        mapper_objective,
        mapper,
        wl.name,
    )
    columns = rep.columns()
    rows = [
        {name: columns[name][i] for name in REPORT_COLUMNS}
        for i in range(int(rep.layer_count))
    ]
    totals = dict(rep.total())
    rs = accelerator.dataflow == "rs"
    return SimulationReport(
        accelerator,
        wl.name,
        str(table.name),
        float(totals["area_um2"]) if rows else float(table.area_um2(accelerator.row())),
        [_layer_report(values, rs) for values in rows],
        {k: float(totals[f"{k}_area_um2"]) for k in ("mac", "rf", "noc", "glb")},
        totals,
        rep,
    )


def per_layer_breakdown(
    configs: Iterable[Accelerator] | npt.ArrayLike | Any,
    workload: WorkloadLike,
    *,
    index: npt.ArrayLike | None = None,
    energy: TableLike = None,
    mapper_objective: MapperObjective = "edp",
    mapper: MapperMode = "heuristic",
    threads: int | None = None,
) -> pd.DataFrame:
    """The report schema for several designs on one workload: one row per
    (design, layer), design-major, with ``index`` (the designs' indices, default
    0..n-1) and ``workload`` in front of ``REPORT_COLUMNS`` (the breakdown of
    ``SweepResult.per_layer()`` and explore's ``layers.csv``). Designs run on C++
    threads."""
    import pandas as pd

    _check_mapper(mapper_objective, mapper)
    table = config_table(configs)
    wl = as_workload(workload)
    idx = (
        np.arange(len(table), dtype=np.int64)
        if index is None
        else np.asarray(index, dtype=np.int64).reshape(-1)
    )
    if len(idx) != len(table):
        raise ValueError(f"index has {len(idx)} entries for {len(table)} designs")
    if not len(table):
        return pd.DataFrame(columns=["index", "workload", *REPORT_COLUMNS])
    columns = _core.report_breakdown(
        table,
        list(wl.names),
        wl.table().astype(np.float64),
        energy_table(energy),
        mapper_objective,
        mapper,
        _threads(threads),
    )
    df = _frame(columns)
    df.insert(0, "workload", wl.name)
    df.insert(0, "index", np.repeat(idx, len(wl.layers)))
    return df
