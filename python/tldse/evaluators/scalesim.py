"""The ``scalesim`` evaluator: SCALE-Sim (v2 or v3, PyPI ``scalesim``) on a design.

Every tldse field's mapping to SCALE-Sim's config is in :data:`FIELD_SUPPORT` and
docs/evaluators.md. In short: the PE array, the three SRAMs (the GLB partitions,
or a third of a shared GLB each, in whole kB), the dataflow (ws, os, is; SCALE-Sim
has no rs) and the DRAM bandwidth (words per cycle, one byte per word, on each of
SCALE-Sim's three ports). SCALE-Sim has no energy model: ``energy_pj`` is NaN.

A layer becomes one topology row: the conv form (padding written as the padded
input rows actually read, so SCALE-Sim's output size is the layer's) when the layer
has batch 1, no dilation and one stride, else the GEMM form (``M = n*p*q``,
``N = k/groups``, ``K = c/groups*r*s``, the im2col product, which gives the same
operand matrices and compute cycles). A grouped layer runs one group and its
counts are multiplied by ``groups`` (SCALE-Sim runs identical rows identically).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from tldse.arch import Accelerator
from tldse.evaluators.base import (
    EvaluatorError,
    as_config_table,
    column,
    first_reason,
)
from tldse.evaluators.pytool import PythonToolEvaluator
from tldse.workloads.layer import Layer

InterfaceBandwidth = Literal["USER", "CALC"]
TopologyForm = Literal["auto", "conv", "gemm"]
_DATAFLOW_CODES = {"ws": 0, "os": 1, "is": 2, "rs": 3}
_MIN_OFFSET = 10_000_000

FIELD_SUPPORT: dict[str, str] = {
    "dataflow": "[architecture_presets] Dataflow = ws | os | is; rs is rejected "
    "(SCALE-Sim has no row-stationary dataflow)",
    "pe_rows": "[architecture_presets] ArrayHeight",
    "pe_cols": "[architecture_presets] ArrayWidth",
    "rf_bytes": "ignored: a SCALE-Sim PE holds one operand of each kind",
    "rf_input_bytes": "ignored (as rf_bytes)",
    "rf_weight_bytes": "ignored (as rf_bytes)",
    "rf_output_bytes": "ignored (as rf_bytes)",
    "glb_bytes": "shared GLB: a third to each of IfmapSramSzkB, FilterSramSzkB, "
    "OfmapSramSzkB, rounded down to whole kB (rejected below 3 KiB)",
    "glb_input_bytes": "[architecture_presets] IfmapSramSzkB = bytes / 1024 "
    "(must be whole KiB)",
    "glb_weight_bytes": "[architecture_presets] FilterSramSzkB = bytes / 1024 "
    "(must be whole KiB)",
    "glb_output_bytes": "[architecture_presets] OfmapSramSzkB = bytes / 1024 "
    "(must be whole KiB)",
    "dram_bw_bytes_per_cycle": "USER mode: Bandwidth (v2: every port; v3: the "
    "ofmap port) and, v3, [layout] IfmapSRAMBankBandwidth and "
    "FilterSRAMBankBandwidth with one bank each: every port gets the whole "
    "bandwidth (tldse's is one shared port); must be a whole number >= 1. "
    "CALC mode: ignored (SCALE-Sim sizes the bandwidth so that nothing stalls)",
    "glb_bw_bytes_per_cycle": "ignored: SCALE-Sim's SRAMs feed the array edge "
    "every cycle",
    "multicast": "ignored: systolic arrays forward operands between neighbours",
    "weight_bits": "must be 8: SCALE-Sim moves one-byte words",
    "act_bits": "must be 8: SCALE-Sim moves one-byte words",
    "psum_bits": "ignored: SCALE-Sim writes every output as one word",
    "clock_mhz": "ignored: SCALE-Sim reports cycles",
}


def _sram_kb(design: Accelerator) -> tuple[int, int, int]:
    parts = (design.glb_input_bytes, design.glb_weight_bytes, design.glb_output_bytes)
    if any(parts):
        return tuple(int(p // 1024) for p in parts)  # type: ignore[return-value]
    third = int(design.glb_bytes // 3 // 1024)
    return third, third, third


def scalesim_config(
    design: Accelerator, interface_bandwidth: InterfaceBandwidth = "USER"
) -> dict[str, dict[str, Any]]:
    """SCALE-Sim's config sections for ``design`` (v3 format; the helper leaves out
    ``[layout]``, ``[sparsity]`` and the v3-only keys for v2). Offsets are set per
    layer (:func:`scalesim_layer`)."""
    if interface_bandwidth not in ("USER", "CALC"):
        raise EvaluatorError(
            f"interface_bandwidth must be USER or CALC, got {interface_bandwidth!r}"
        )
    ifmap_kb, filter_kb, ofmap_kb = _sram_kb(design)
    bw = max(1, int(design.dram_bw_bytes_per_cycle))
    return {
        "architecture_presets": {
            "ArrayHeight": design.pe_rows,
            "ArrayWidth": design.pe_cols,
            "IfmapSramSzkB": ifmap_kb,
            "FilterSramSzkB": filter_kb,
            "OfmapSramSzkB": ofmap_kb,
            "IfmapOffset": 0,
            "FilterOffset": _MIN_OFFSET,
            "OfmapOffset": 2 * _MIN_OFFSET,
            "Dataflow": design.dataflow,
            "Bandwidth": bw,
            "ReadRequestBuffer": 32,
            "WriteRequestBuffer": 32,
        },
        "layout": {
            "IfmapCustomLayout": False,
            "IfmapSRAMBankBandwidth": bw,
            "IfmapSRAMBankNum": 1,
            "IfmapSRAMBankPort": 2,
            "FilterCustomLayout": False,
            "FilterSRAMBankBandwidth": bw,
            "FilterSRAMBankNum": 1,
            "FilterSRAMBankPort": 2,
        },
        "sparsity": {
            "SparsitySupport": "false",
            "SparseRep": "ellpack_block",
            "OptimizedMapping": "false",
            "BlockSize": 8,
            "RandomNumberGeneratorSeed": 40,
        },
        "run_presets": {
            "InterfaceBandwidth": interface_bandwidth,
            "UseRamulatorTrace": False,
        },
    }


def scalesim_layer(layer: Layer, form: TopologyForm = "auto") -> dict[str, Any]:
    """One layer as a SCALE-Sim topology row for one group: ``{"form", "row",
    "groups", "offsets"}`` (see the module docstring)."""
    if form not in ("auto", "conv", "gemm"):
        raise EvaluatorError(f"form must be auto, conv or gemm, got {form!r}")
    g = layer.groups
    cg, kg = layer.c // g, layer.k // g
    conv_ok = (
        layer.kind != "gemm"
        and layer.n == 1
        and layer.dil_h == 1
        and layer.dil_w == 1
        and layer.stride_h == layer.stride_w
    )
    if form == "conv" and not conv_ok:
        raise EvaluatorError(
            f"layer {layer.name!r}: a SCALE-Sim conv row has batch 1, no dilation "
            "and one stride (use form='gemm' or 'auto')"
        )
    if conv_ok and form != "gemm":
        h = (layer.p - 1) * layer.stride_h + layer.r
        w = (layer.q - 1) * layer.stride_w + layer.s
        row = [h, w, layer.r, layer.s, cg, kg, layer.stride_h]
        ifmap_words = h * w * cg
        kind = "conv"
    else:
        m = layer.n * layer.p * layer.q
        kk = cg * layer.r * layer.s
        row = [m, kg, kk]
        ifmap_words = m * kk
        kind = "gemm"
    filter_words = kg * cg * layer.r * layer.s
    filter_offset = max(_MIN_OFFSET, ifmap_words)
    ofmap_offset = filter_offset + max(_MIN_OFFSET, filter_words)
    return {
        "form": kind,
        "row": row,
        "groups": g,
        "offsets": [0, filter_offset, ofmap_offset],
    }


class ScaleSimEvaluator(PythonToolEvaluator):
    """SCALE-Sim in a subprocess; see the module docstring.

    ``interface_bandwidth``: ``USER`` (default; the design's DRAM bandwidth) or
    ``CALC`` (SCALE-Sim sizes the bandwidth so that nothing stalls: compute cycles
    only). ``form``: topology rows in conv form where possible (``auto``) or always
    GEMM (``gemm``). ``python``: the interpreter with SCALE-Sim
    (``TLDSE_SCALESIM_PYTHON``); ``memory_limit_mb`` caps each SCALE-Sim process.
    """

    field_table = FIELD_SUPPORT
    name = "scalesim"
    has_energy = False
    expensive = True
    distribution = "scalesim"
    module = "scalesim"
    env_var = "TLDSE_SCALESIM_PYTHON"
    helper = "scalesim_run.py"
    tool = "SCALE-Sim"
    install = (
        "python3 -m venv /tmp/venv-scalesim && /tmp/venv-scalesim/bin/pip install "
        "scalesim==3.0.0 'numpy<2.4'"
    )

    def __init__(
        self,
        *,
        interface_bandwidth: InterfaceBandwidth = "USER",
        form: TopologyForm = "auto",
        python: str | None = None,
        memory_limit_mb: float | None = None,
    ) -> None:
        super().__init__(python=python, memory_limit_mb=memory_limit_mb)
        ib = str(interface_bandwidth).upper()
        if ib not in ("USER", "CALC"):
            raise EvaluatorError(
                f"interface_bandwidth must be USER or CALC, got {interface_bandwidth!r}"
            )
        if form not in ("auto", "conv", "gemm"):
            raise EvaluatorError(f"form must be auto, conv or gemm, got {form!r}")
        self.interface_bandwidth: InterfaceBandwidth = ib  # type: ignore[assignment]
        self.form: TopologyForm = form

    def settings(self) -> dict[str, Any]:
        return {"interface_bandwidth": self.interface_bandwidth, "form": self.form}

    def check_designs(
        self, designs: Sequence[Accelerator] | npt.ArrayLike
    ) -> npt.NDArray[np.object_]:
        t = as_config_table(designs)
        parts = np.stack(
            [column(t, f"glb_{x}_bytes") for x in ("input", "weight", "output")],
            axis=1,
        )
        split = parts.sum(axis=1) > 0
        bad_parts = split & np.any((parts < 1024) | (parts % 1024 != 0), axis=1)
        bw = column(t, "dram_bw_bytes_per_cycle")
        checks = [
            (
                column(t, "dataflow") == _DATAFLOW_CODES["rs"],
                "SCALE-Sim has no row-stationary (rs) dataflow; it simulates ws, os "
                "and is systolic arrays",
            ),
            (
                (column(t, "weight_bits") != 8) | (column(t, "act_bits") != 8),
                "SCALE-Sim moves one-byte words: weight_bits and act_bits must be 8",
            ),
            (
                bad_parts,
                "glb_input_bytes, glb_weight_bytes and glb_output_bytes must be "
                "whole KiB, at least 1 KiB each (SCALE-Sim sizes its SRAMs in kB)",
            ),
            (
                ~split & (column(t, "glb_bytes") < 3 * 1024),
                "glb_bytes must be at least 3 KiB (SCALE-Sim gets a third of a "
                "shared GLB per SRAM, in whole kB)",
            ),
        ]
        if self.interface_bandwidth == "USER":
            checks.append(
                (
                    (bw < 1) | (bw != np.floor(bw)),
                    "dram_bw_bytes_per_cycle must be a whole number >= 1 for "
                    "SCALE-Sim (words per cycle)",
                )
            )
        return first_reason(len(t), checks)

    def check_layer(self, layer: Layer) -> str:
        if self.form == "conv":
            try:
                scalesim_layer(layer, "conv")
            except EvaluatorError as exc:
                return str(exc)
        return ""

    def tool_request(self, design: Accelerator) -> dict[str, Any]:
        return {"config": scalesim_config(design, self.interface_bandwidth)}

    def tool_layer(self, design: Accelerator, layer: Layer) -> dict[str, Any]:
        return scalesim_layer(layer, self.form)
