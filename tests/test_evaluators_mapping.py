"""How designs and layers are written for SCALE-Sim and ZigZag (no tool needed).

Cross-checks: SCALE-Sim topology rows are read back by tldse's own C++ SCALE-Sim
reader (``Workload.read``); ZigZag loop nests multiply out to the layer's MACs;
per-access energies are recomputed by hand from the horowitz45 entries of
docs/model.md (RF and GLB 1.25 pJ/byte at 8 KiB, size exponent 0.5, DRAM 250
pJ/byte, MAC 0.23 pJ).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import tldse
from tldse import Accelerator, DesignSpace, Layer, Workload
from tldse.evaluators import (
    AnalyticalEvaluator,
    CommandEvaluator,
    EvaluatorError,
    ScaleSimEvaluator,
    ZigZagEvaluator,
)
from tldse.evaluators.base import CONFIG_FIELDS
from tldse.evaluators.scalesim import scalesim_config, scalesim_layer
from tldse.evaluators.zigzag import (
    zigzag_hardware,
    zigzag_mapping,
    zigzag_spatial,
    zigzag_workload,
)

LAYERS = [
    Layer.conv("pad_s2", c=3, k=16, h=15, r=3, stride=2, pad=1),
    Layer.conv("s4", c=4, k=8, h=17, w=13, r=5, s=3, stride=4),
    Layer.conv("plain", c=8, k=16, h=14, r=3),
    Layer.conv("dw", c=8, k=8, h=16, r=3, groups=8, pad=1),
    Layer.conv("grouped", c=8, k=12, h=10, r=3, groups=2),
]


def _read_back(row: dict[str, object], tmp_path: Path) -> Layer:
    """Writes one topology row as SCALE-Sim would read it and reads it with
    tldse's C++ SCALE-Sim reader."""
    path = tmp_path / "topo.csv"
    if row["form"] == "conv":
        head = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
        head += "Channels, Num Filter, Strides,"
    else:
        head = "Layer, M, N, K,"
    values = ", ".join(str(v) for v in row["row"])  # type: ignore[attr-defined]
    path.write_text(f"{head}\nL0, {values},\n")
    return Workload.read(path).layers[0]


@pytest.mark.parametrize("layer", LAYERS, ids=lambda x: x.name)
def test_scalesim_conv_rows_read_back_to_the_layer(
    layer: Layer, tmp_path: Path
) -> None:
    row = scalesim_layer(layer)
    assert row["form"] == "conv"
    assert row["groups"] == layer.groups
    back = _read_back(row, tmp_path)
    # SCALE-Sim's output size formula gives back the layer's p and q
    assert (back.p, back.q) == (layer.p, layer.q)
    assert back.macs * layer.groups == layer.macs
    assert (back.c, back.k) == (layer.c // layer.groups, layer.k // layer.groups)


def test_scalesim_gemm_rows_for_batch_dilation_and_gemm(tmp_path: Path) -> None:
    batch2 = Layer.conv("b2", c=4, k=8, h=8, r=3, n=2)
    dil = Layer.conv("dil", c=4, k=8, h=12, r=3, dilation=2)
    gemm = Layer.gemm("g", 20, 12, 6)
    for layer in (batch2, dil, gemm):
        row = scalesim_layer(layer)
        assert row["form"] == "gemm"
        back = _read_back(row, tmp_path)
        assert back.macs == layer.macs
    assert scalesim_layer(batch2)["row"] == [2 * 6 * 6, 8, 4 * 9]
    with pytest.raises(EvaluatorError, match="batch 1, no dilation"):
        scalesim_layer(batch2, "conv")
    assert scalesim_layer(LAYERS[2], "gemm")["form"] == "gemm"


def test_scalesim_offsets_keep_operands_apart() -> None:
    big = Layer.gemm("big", 4000, 8, 4000)
    off = scalesim_layer(big)["offsets"]
    assert off[1] >= 4000 * 4000 and off[2] - off[1] >= 8 * 4000


def test_scalesim_config_fields() -> None:
    shared = Accelerator(pe_rows=8, pe_cols=32, glb_bytes=3 * 65536, dataflow="os")
    cfg = scalesim_config(shared)
    arch = cfg["architecture_presets"]
    assert (arch["ArrayHeight"], arch["ArrayWidth"], arch["Dataflow"]) == (8, 32, "os")
    assert (arch["IfmapSramSzkB"], arch["FilterSramSzkB"], arch["OfmapSramSzkB"]) == (
        64,
        64,
        64,
    )
    assert arch["Bandwidth"] == 16
    assert cfg["layout"]["IfmapSRAMBankBandwidth"] == 16
    assert cfg["layout"]["FilterSRAMBankBandwidth"] == 16
    assert cfg["layout"]["IfmapSRAMBankNum"] == 1
    assert cfg["run_presets"]["InterfaceBandwidth"] == "USER"
    assert (
        scalesim_config(shared, "CALC")["run_presets"]["InterfaceBandwidth"] == "CALC"
    )
    split = Accelerator(
        glb_bytes=114688,
        glb_input_bytes=65536,
        glb_weight_bytes=32768,
        glb_output_bytes=16384,
        dram_bw_bytes_per_cycle=10,
    )
    arch = scalesim_config(split)["architecture_presets"]
    assert (arch["IfmapSramSzkB"], arch["FilterSramSzkB"], arch["OfmapSramSzkB"]) == (
        64,
        32,
        16,
    )
    assert arch["Bandwidth"] == 10


def test_scalesim_checks_are_vectorised_over_a_space() -> None:
    space = DesignSpace.builtin("tiny")
    table = space.configs(np.arange(len(space)))
    reasons = ScaleSimEvaluator().check_designs(table)
    rs = table[:, CONFIG_FIELDS.index("dataflow")] == 3
    assert rs.any()
    assert all("rs" in str(r) for r in reasons[rs])
    ev = ScaleSimEvaluator()
    one = [Accelerator(dataflow="rs"), Accelerator(weight_bits=16), Accelerator()]
    got = list(ev.check_designs(one))
    assert "no row-stationary" in got[0] and "weight_bits" in got[1] and got[2] == ""
    odd = Accelerator(
        glb_bytes=3000, glb_input_bytes=1000, glb_weight_bytes=1000,
        glb_output_bytes=1000,
    )  # fmt: skip
    assert "whole KiB" in ev.check_designs([odd])[0]
    assert "3 KiB" in ev.check_designs([Accelerator(glb_bytes=2048)])[0]
    frac = Accelerator(dram_bw_bytes_per_cycle=12.5)
    assert "whole number" in ev.check_designs([frac])[0]
    calc = ScaleSimEvaluator(interface_bandwidth="CALC")
    assert calc.check_designs([frac])[0] == ""
    assert list(ev.representable(one)) == [False, False, True]


def test_every_evaluator_documents_every_field() -> None:
    for ev in (
        AnalyticalEvaluator(),
        ScaleSimEvaluator(),
        ZigZagEvaluator(),
        CommandEvaluator("true"),
    ):
        support = ev.field_support()
        assert set(support) == set(CONFIG_FIELDS), ev
        assert all(support.values())


def _per_byte(e_ref: float, size: float) -> float:
    return e_ref * math.sqrt(size / 8192)


def test_zigzag_hardware_sizes_ports_and_energies() -> None:
    acc = Accelerator(
        pe_rows=8, pe_cols=16, rf_bytes=64, glb_bytes=65536,
        dram_bw_bytes_per_cycle=16, glb_bw_bytes_per_cycle=64, psum_bits=24,
    )  # fmt: skip
    hw = zigzag_hardware(acc)
    mem = hw["memories"]
    assert list(mem) == ["rf_input", "rf_weight", "rf_output", "glb", "dram"]
    # the shared RF is split in proportion to the widths 8 : 8 : 24
    assert [mem[m]["size"] for m in ("rf_input", "rf_weight", "rf_output")] == [
        round(64 * 8 * 8 / 40),
        round(64 * 8 * 8 / 40),
        round(64 * 8 * 24 / 40),
    ]
    rf_byte = _per_byte(1.25, 64)
    assert mem["rf_input"]["r_cost"] == pytest.approx(rf_byte)  # one 8-bit word
    assert mem["rf_output"]["r_cost"] == pytest.approx(rf_byte * 3)  # 24 bits
    assert mem["rf_output"]["served_dimensions"] == []
    glb = mem["glb"]
    assert glb["size"] == 65536 * 8
    assert glb["ports"][0]["bandwidth_max"] == 64 * 8
    assert glb["r_cost"] == pytest.approx(_per_byte(1.25, 65536) * 64)
    assert glb["served_dimensions"] == ["D1", "D2"]
    dram = mem["dram"]
    assert dram["ports"][0]["bandwidth_max"] == 16 * 8
    assert dram["r_cost"] == pytest.approx(250 * 16)
    arr = hw["operational_array"]
    assert arr["sizes"] == [8, 16]
    assert arr["unit_energy"] == pytest.approx(0.23)
    assert arr["systolic_dimensions"] == ["D1", "D2"]
    assert (
        "systolic_dimensions"
        not in zigzag_hardware(acc.replace(dataflow="rs"))["operational_array"]
    )


def test_zigzag_partitioned_buffers() -> None:
    acc = Accelerator(
        rf_bytes=48, rf_input_bytes=8, rf_weight_bytes=8, rf_output_bytes=32,
        glb_bytes=98304, glb_input_bytes=32768, glb_weight_bytes=32768,
        glb_output_bytes=32768, glb_bw_bytes_per_cycle=96,
    )  # fmt: skip
    mem = zigzag_hardware(acc)["memories"]
    assert [mem[m]["size"] for m in ("rf_input", "rf_weight", "rf_output")] == [
        64,
        64,
        256,
    ]
    for name in ("glb_input", "glb_weight", "glb_output"):
        assert mem[name]["size"] == 32768 * 8
        assert mem[name]["ports"][0]["bandwidth_max"] == 96 * 8 // 3


@pytest.mark.parametrize(
    "layer",
    [
        *LAYERS,
        Layer.gemm("g", 20, 12, 6),
        Layer.conv("d", c=4, k=8, h=12, r=3, dilation=2, n=3),
    ],
    ids=lambda x: x.name,
)
def test_zigzag_workload_multiplies_out_to_the_macs(layer: Layer) -> None:
    entry = zigzag_workload(Accelerator(), layer)
    assert math.prod(entry["loop_sizes"]) == layer.macs
    assert len(entry["loop_dims"]) == len(entry["loop_sizes"])
    assert entry["dimension_relations"] == [
        f"ix={layer.stride_w}*ox+{layer.dil_w}*fx",
        f"iy={layer.stride_h}*oy+{layer.dil_h}*fy",
    ]
    assert ("G" in entry["loop_dims"]) == (layer.groups > 1)
    assert ("padding" in entry) == bool(layer.pad_h or layer.pad_w)


def test_zigzag_spatial_unrolling_per_dataflow() -> None:
    layer = Layer.conv("x", c=3, k=64, h=30, w=20, r=3)  # p 28, q 18
    acc = Accelerator(pe_rows=16, pe_cols=32)
    assert zigzag_spatial(acc.replace(dataflow="ws"), layer) == {
        "D1": ["C, 3"],
        "D2": ["K, 32"],
    }
    assert zigzag_spatial(acc.replace(dataflow="os"), layer) == {
        "D1": ["OY, 16"],
        "D2": ["K, 32"],
    }
    assert zigzag_spatial(acc.replace(dataflow="is"), layer) == {
        "D1": ["C, 3"],
        "D2": ["OY, 28"],
    }
    assert zigzag_spatial(acc.replace(dataflow="rs"), layer) == {
        "D1": ["FY, 3"],
        "D2": ["OY, 28"],
    }
    search = zigzag_mapping(acc, layer, "search")[0]
    assert "spatial_mapping" not in search


def test_zigzag_settings_and_identity(tmp_path: Path) -> None:
    table = tmp_path / "e.toml"
    table.write_text("dram_pj = 100\n")
    a = ZigZagEvaluator(energy=str(table))
    assert a.settings()["energy"].startswith("file:")
    hw = zigzag_hardware(Accelerator(), str(table))
    assert hw["memories"]["dram"]["r_cost"] == pytest.approx(100 * 16)
    with pytest.raises(EvaluatorError, match="energy"):
        ZigZagEvaluator(energy="nope")
    with pytest.raises(EvaluatorError, match="lpf_limit"):
        ZigZagEvaluator(lpf_limit=0)
    with pytest.raises(EvaluatorError, match="spatial"):
        ZigZagEvaluator(spatial="best")  # type: ignore[arg-type]


def test_analytical_identity_changes_with_settings() -> None:
    a = AnalyticalEvaluator().identity()
    b = AnalyticalEvaluator(mapper_objective="latency").identity()
    assert a.key != b.key and a.version == tldse.__version__
