"""The ``zigzag`` evaluator: ZigZag (PyPI ``zigzag-dse``) on a design.

tldse writes ZigZag's three inputs from the design and the layer
(:func:`zigzag_hardware`, :func:`zigzag_mapping`, :func:`zigzag_workload`):

* hardware: a ``pe_rows x pe_cols`` operational array (MAC energy from the energy
  table), per-PE register files (one per operand: the partitions, or a shared
  register file split in proportion to the operand widths), a global buffer
  (shared, or three partitions)
  serving the whole array, and DRAM; bandwidths in bits per cycle, per-access
  energies from the same energy table and size law as tldse's model (docs/model.md)
  so that differences come from the mapping and accounting, not from the numbers;
* mapping: the dataflow's spatial unrolling (ws: C on rows, K on columns; os: output
  pixels (the larger of OX, OY) on rows, K on columns; is: C on rows, output pixels
  on columns; rs: FY on rows, OY on columns), or ZigZag's own search
  (``spatial="search"``); ZigZag searches the temporal mapping (LOMA);
* workload: the layer as a (grouped) convolution loop nest with its strides,
  dilation, padding and precisions (a GEMM as a 1x1 convolution).

Results: ``latency_cycles`` is ZigZag's ``latency_total2`` (compute, stalls, the
first load and last store), ``energy_pj`` its total energy; extras give the parts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from tldse import _core
from tldse.arch import Accelerator
from tldse.evaluators.base import (
    EvaluatorError,
    as_config_table,
    column,
    first_reason,
)
from tldse.evaluators.pytool import PythonToolEvaluator
from tldse.workloads.layer import Layer

MapperObjective = Literal["latency", "energy", "edp", "EDP"]
Spatial = Literal["dataflow", "search"]
_BUILTIN_TABLES = ("horowitz45", "eyeriss")
_ALL_DIRECTIONS = ("fh", "tl", "fl", "th")
_SYSTOLIC = ("ws", "os", "is")

FIELD_SUPPORT: dict[str, str] = {
    "dataflow": "the mapping's spatial unrolling: ws D1=C, D2=K; os D1=OX|OY, D2=K; "
    "is D1=C, D2=OX|OY; rs D1=FY, D2=OY (systolic_dimensions [D1, D2] for ws, os, "
    "is)",
    "pe_rows": "operational_array sizes[0] (D1)",
    "pe_cols": "operational_array sizes[1] (D2)",
    "rf_bytes": "per-PE memories (served_dimensions []) 'rf_input' (I1), "
    "'rf_weight' (I2), 'rf_output' (O) sharing rf_bytes in proportion to the "
    "operand widths (ZigZag prices all accesses of one memory alike); energy per "
    "access = tldse's RF energy at rf_bytes x the operand's width",
    "rf_input_bytes": "partitioned register file: memory 'rf_input' (I1)",
    "rf_weight_bytes": "partitioned register file: memory 'rf_weight' (I2)",
    "rf_output_bytes": "partitioned register file: memory 'rf_output' (O)",
    "glb_bytes": "memory 'glb' (I1, I2, O; served_dimensions [D1, D2]), size "
    "glb_bytes*8 bits",
    "glb_input_bytes": "partitioned GLB: memory 'glb_input' (I1)",
    "glb_weight_bytes": "partitioned GLB: memory 'glb_weight' (I2)",
    "glb_output_bytes": "partitioned GLB: memory 'glb_output' (O)",
    "dram_bw_bytes_per_cycle": "memory 'dram': one read_write port of "
    "round(8*bw) bits/cycle for every operand (one shared port, as tldse)",
    "glb_bw_bytes_per_cycle": "the GLB's read_write port, round(8*bw) bits/cycle "
    "(a partitioned GLB: a third to each partition's port)",
    "multicast": "ignored: ZigZag's array fans operands out to the PEs that share them",
    "weight_bits": "operand_precision W; the MAC's energy scales with it",
    "act_bits": "operand_precision I and O_final; the RF port widths",
    "psum_bits": "operand_precision O (partial sums)",
    "clock_mhz": "ignored: ZigZag reports cycles",
}


def _table(energy: str) -> Any:
    if energy in _BUILTIN_TABLES:
        return _core.EnergyTable(energy)
    path = Path(energy)
    if not path.is_file():
        raise EvaluatorError(
            f"energy must be {' or '.join(_BUILTIN_TABLES)} or an energy-table file; "
            f"{energy!r} is neither"
        )
    return _core.EnergyTable.from_file(str(path))


def _port(
    name: str, kind: str, lo: int, hi: int, allocation: list[str]
) -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "bandwidth_min": int(lo),
        "bandwidth_max": int(max(lo, hi)),
        "allocation": allocation,
    }


def _operand_ports(operands: Sequence[str], bits: dict[str, int]) -> list[Any]:
    """A read and a write port per operand, one datum wide (a PE's registers)."""
    ports = []
    for i, op in enumerate(operands, start=1):
        reads = ["O, tl", "O, th"] if op == "O" else [f"{op}, tl"]
        writes = ["O, fh", "O, fl"] if op == "O" else [f"{op}, fh"]
        ports.append(_port(f"r_port_{i}", "read", bits[op], bits[op], reads))
        ports.append(_port(f"w_port_{i}", "write", bits[op], bits[op], writes))
    return ports


def _shared_port(operands: Sequence[str], lo: int, hi: int) -> list[Any]:
    alloc = [f"{op}, {d}" for op in operands for d in _ALL_DIRECTIONS]
    return [_port("rw_port_1", "read_write", lo, hi, alloc)]


def zigzag_hardware(design: Accelerator, energy: str = "horowitz45") -> dict[str, Any]:
    """ZigZag's accelerator description (the YAML as a dict) for ``design``."""
    t = _table(energy)
    exp = float(t.sram_size_exponent)
    per_bit_rf = t.rf_pj * (design.rf_bytes / t.rf_ref_bytes) ** exp / t.ref_bits
    per_bit_glb = t.glb_pj * (design.glb_bytes / t.glb_ref_bytes) ** exp / t.ref_bits
    per_bit_dram = t.dram_pj / t.ref_bits
    bits = {"I1": design.act_bits, "I2": design.weight_bits, "O": design.psum_bits}
    smallest = min(bits.values())
    memories: dict[str, Any] = {}
    rf_parts: dict[str, tuple[str, float]] = {
        "rf_input": ("I1", design.rf_input_bytes),
        "rf_weight": ("I2", design.rf_weight_bytes),
        "rf_output": ("O", design.rf_output_bytes),
    }
    if not any(size for _, size in rf_parts.values()):
        # ZigZag prices every access of a memory alike, so operands of different
        # widths get a register file each, sized in proportion to their widths.
        total = sum(bits.values())
        rf_parts = {
            name: (op, design.rf_bytes * bits[op] / total)
            for name, (op, _) in rf_parts.items()
        }
    for name, (op, size) in rf_parts.items():
        cost = per_bit_rf * bits[op]
        ports = _operand_ports([op], bits)
        memories[name] = _memory(size, [op], ports, cost, cost, [])
    glb_parts = {
        "glb_input": ("I1", design.glb_input_bytes),
        "glb_weight": ("I2", design.glb_weight_bytes),
        "glb_output": ("O", design.glb_output_bytes),
    }
    glb_bits = max(1, round(8 * design.glb_bw_bytes_per_cycle))
    if any(size for _, size in glb_parts.values()):
        port_bits = max(smallest, glb_bits // 3)
        for name, (op, size) in glb_parts.items():
            memories[name] = _memory(
                size,
                [op],
                _shared_port([op], smallest, port_bits),
                per_bit_glb * port_bits,
                per_bit_glb * port_bits,
                ["D1", "D2"],
            )
    else:
        port_bits = max(smallest, glb_bits)
        memories["glb"] = _memory(
            design.glb_bytes,
            ["I1", "I2", "O"],
            _shared_port(["I1", "I2", "O"], smallest, port_bits),
            per_bit_glb * port_bits,
            per_bit_glb * port_bits,
            ["D1", "D2"],
        )
    dram_bits = max(smallest, round(8 * design.dram_bw_bytes_per_cycle))
    memories["dram"] = _memory(
        10**10,
        ["I1", "I2", "O"],
        _shared_port(["I1", "I2", "O"], smallest, dram_bits),
        per_bit_dram * dram_bits,
        per_bit_dram * dram_bits,
        ["D1", "D2"],
        bits_given=True,
    )
    mac = t.mac_pj * design.weight_bits * design.act_bits / t.ref_bits**2
    array: dict[str, Any] = {
        "unit_energy": round(float(mac), 9),
        "unit_area": 1.0,
        "dimensions": ["D1", "D2"],
        "sizes": [design.pe_rows, design.pe_cols],
    }
    if design.dataflow in _SYSTOLIC:
        array["systolic_dimensions"] = ["D1", "D2"]
    return {"name": "tldse", "memories": memories, "operational_array": array}


def _memory(
    size: float,
    operands: list[str],
    ports: list[Any],
    r_cost: float,
    w_cost: float,
    served: list[str],
    *,
    bits_given: bool = False,
) -> dict[str, Any]:
    return {
        "size": int(size) if bits_given else round(size * 8),
        "r_cost": round(float(r_cost), 9),
        "w_cost": round(float(w_cost), 9),
        "area": 0.0,
        "latency": 1,
        "operands": operands,
        "ports": ports,
        "served_dimensions": served,
    }


def _pixel_dim(layer: Layer) -> tuple[str, int]:
    return ("OX", layer.q) if layer.q >= layer.p else ("OY", layer.p)


def zigzag_spatial(design: Accelerator, layer: Layer) -> dict[str, list[str]]:
    """The dataflow's spatial unrolling for this layer (``{"D1": ["C, 16"], ...}``),
    each factor clipped to the layer's loop size."""
    cg, kg = layer.c // layer.groups, layer.k // layer.groups
    pix = _pixel_dim(layer)
    dims = {
        "ws": (("C", cg), ("K", kg)),
        "os": (pix, ("K", kg)),
        "is": (("C", cg), pix),
        "rs": (("FY", layer.r), ("OY", layer.p)),
    }[design.dataflow]
    sizes = (design.pe_rows, design.pe_cols)
    return {
        f"D{i + 1}": [f"{dim}, {max(1, min(size, extent))}"]
        for i, ((dim, extent), size) in enumerate(zip(dims, sizes, strict=True))
    }


def zigzag_workload(design: Accelerator, layer: Layer) -> dict[str, Any]:
    """One layer as a ZigZag workload entry (``id`` 0)."""
    g = layer.groups
    relations = [
        f"ix={layer.stride_w}*ox+{layer.dil_w}*fx",
        f"iy={layer.stride_h}*oy+{layer.dil_h}*fy",
    ]
    if g == 1:
        equation = "O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]"
        dims = ["B", "K", "C", "OY", "OX", "FY", "FX"]
        sizes = [layer.n, layer.k, layer.c, layer.p, layer.q, layer.r, layer.s]
    else:
        equation = "O[b][g][k][oy][ox]+=W[g][k][c][fy][fx]*I[b][g][c][iy][ix]"
        dims = ["B", "G", "K", "C", "OY", "OX", "FY", "FX"]
        sizes = [layer.n, g, layer.k // g, layer.c // g, layer.p, layer.q]
        sizes += [layer.r, layer.s]
    entry: dict[str, Any] = {
        "id": 0,
        "name": "layer",
        "operator_type": "Conv",
        "equation": equation,
        "dimension_relations": relations,
        "loop_dims": dims,
        "loop_sizes": [int(v) for v in sizes],
        "operand_precision": {
            "W": design.weight_bits,
            "I": design.act_bits,
            "O": design.psum_bits,
            "O_final": design.act_bits,
        },
        "operand_source": {"I": 0, "W": 0},
    }
    if layer.pad_h or layer.pad_w:
        entry["pr_loop_dims"] = ["IY", "IX"]
        entry["padding"] = [[layer.pad_h, layer.pad_h], [layer.pad_w, layer.pad_w]]
    return entry


def zigzag_mapping(
    design: Accelerator, layer: Layer, spatial: Spatial = "dataflow"
) -> list[dict[str, Any]]:
    """ZigZag's mapping file (as a list) for one layer."""
    entry: dict[str, Any] = {
        "name": "default",
        "memory_operand_links": {"O": "O", "W": "I2", "I": "I1"},
    }
    if spatial == "dataflow":
        entry["spatial_mapping"] = zigzag_spatial(design, layer)
    return [entry]


class ZigZagEvaluator(PythonToolEvaluator):
    """ZigZag in a subprocess; see the module docstring.

    ``energy``: the energy table behind the per-access costs (``horowitz45``,
    ``eyeriss`` or a file). ``mapper_objective``: what ZigZag's mapping search minimises
    (``latency``, ``energy``, ``EDP``). ``spatial``: the dataflow's unrolling
    (``dataflow``) or ZigZag's own (``search``). ``lpf_limit``: LOMA's loop
    prime-factor limit (ZigZag's default 6). ``python``: the interpreter with ZigZag
    (``TLDSE_ZIGZAG_PYTHON``).
    """

    field_table = FIELD_SUPPORT
    name = "zigzag"
    has_energy = True
    expensive = True
    distribution = "zigzag-dse"
    module = "zigzag"
    env_var = "TLDSE_ZIGZAG_PYTHON"
    helper = "zigzag_run.py"
    tool = "ZigZag"
    install = (
        "python3 -m venv /tmp/venv-zigzag && /tmp/venv-zigzag/bin/pip install "
        "zigzag-dse==3.9.1 six"
    )

    def __init__(
        self,
        *,
        energy: str = "horowitz45",
        mapper_objective: MapperObjective = "latency",
        spatial: Spatial = "dataflow",
        lpf_limit: int = 6,
        python: str | None = None,
        memory_limit_mb: float | None = None,
    ) -> None:
        super().__init__(python=python, memory_limit_mb=memory_limit_mb)
        _table(energy)  # a bad table fails here, naming it
        if mapper_objective == "EDP":  # ZigZag's own spelling
            mapper_objective = "edp"
        if mapper_objective not in ("latency", "energy", "edp"):
            raise EvaluatorError(
                "mapper_objective must be latency, energy or edp, got "
                f"{mapper_objective!r}"
            )
        if spatial not in ("dataflow", "search"):
            raise EvaluatorError(f"spatial must be dataflow or search, got {spatial!r}")
        if isinstance(lpf_limit, bool) or not isinstance(lpf_limit, int):
            raise EvaluatorError(f"lpf_limit must be an integer, got {lpf_limit!r}")
        if not 1 <= lpf_limit <= 12:
            raise EvaluatorError(f"lpf_limit must be in [1, 12], got {lpf_limit}")
        self.energy = energy
        self.mapper_objective: MapperObjective = mapper_objective
        self.spatial: Spatial = spatial
        self.lpf_limit = lpf_limit

    def settings(self) -> dict[str, Any]:
        energy = self.energy
        if energy not in _BUILTIN_TABLES:  # a file: its content decides
            digest = hashlib.sha256(Path(energy).read_bytes()).hexdigest()[:12]
            energy = f"file:{digest}"
        return {
            "energy": energy,
            "mapper_objective": self.mapper_objective,
            "spatial": self.spatial,
            "lpf_limit": self.lpf_limit,
        }

    def check_designs(
        self, designs: Sequence[Accelerator] | npt.ArrayLike
    ) -> npt.NDArray[np.object_]:
        t = as_config_table(designs)
        rf_parts = [column(t, f"rf_{x}_bytes") for x in ("input", "weight", "output")]
        rf_split = np.sum(rf_parts, axis=0) > 0
        rf_empty = np.any([p * 8 < 1 for p in rf_parts], axis=0) & rf_split
        glb_parts = [column(t, f"glb_{x}_bytes") for x in ("input", "weight", "output")]
        glb_split = np.sum(glb_parts, axis=0) > 0
        glb_empty = np.any([p * 8 < 1 for p in glb_parts], axis=0) & glb_split
        return first_reason(
            len(t),
            [
                (
                    (column(t, "pe_rows") < 1) | (column(t, "pe_cols") < 1),
                    "ZigZag needs a PE array of at least 1 x 1",
                ),
                (
                    column(t, "rf_bytes") * 8 < 1,
                    "ZigZag needs a register file of at least one bit",
                ),
                (rf_empty, "every register-file partition needs at least one bit"),
                (
                    (column(t, "glb_bytes") * 8 < 1) | glb_empty,
                    "ZigZag needs a global buffer (every partition) of at least "
                    "one bit",
                ),
                (
                    column(t, "dram_bw_bytes_per_cycle") * 8 < 0.5,
                    "ZigZag needs a DRAM bandwidth of at least one bit per cycle",
                ),
                (
                    column(t, "glb_bw_bytes_per_cycle") * 8 < 0.5,
                    "ZigZag needs a GLB bandwidth of at least one bit per cycle",
                ),
            ],
        )

    def tool_request(self, design: Accelerator) -> dict[str, Any]:
        return {
            "hardware": zigzag_hardware(design, self.energy),
            "objective": {"edp": "EDP"}.get(
                self.mapper_objective, self.mapper_objective
            ),
            "lpf_limit": self.lpf_limit,
        }

    def tool_layer(self, design: Accelerator, layer: Layer) -> dict[str, Any]:
        return {
            "workload": zigzag_workload(design, layer),
            "mapping": zigzag_mapping(design, layer, self.spatial),
        }
