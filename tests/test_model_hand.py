"""Hand-computed checks of the cost model against docs/model.md.

Every expected number below is derived by hand from the formulas in docs/model.md; the
derivation is written next to each case. Conventions used throughout:

* Systolic view per group: ``px = n*p*q``, ``win = r*s*(c/groups)``, ``nf = k/groups``.
  ``os``: ``(sr, sc, t) = (px, nf, win)``; ``ws``: ``(win, nf, px)``;
  ``is``: ``(win, px, nf)``.  ``fr = ceil(sr/rows)``, ``fc = ceil(sc/cols)``,
  ``folds = fr*fc``.  Per fold: ``os`` ``rows+cols+t-2``, ``ws``/``is``
  ``2*rows+cols+t-2``; ``compute_cycles = g*folds*per_fold - 1``.
* Array side (= NoC) per the table of docs/model.md.
* RF: reads ``macs`` per tensor; output writes ``macs``; latched operands: ``os`` both
  (``macs`` each), ``ws`` input ``macs`` + weight = array weight reads, ``is`` weight
  ``macs`` + input = array input reads.
* GLB reads = array reads + data written to DRAM; GLB writes = DRAM fetches + array
  output writes.
* ``utilization = macs / ((compute_cycles + 1) * PEs)``;
  ``latency = max(compute, ceil(dram_bytes/dram_bw), ceil(glb_bytes/glb_bw))``.

Access tuples below are ``(weight_r, weight_w, input_r, input_w, output_r, output_w)``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import tldse
from tldse import _core

from .helpers import BIG, unbounded

REL = 1e-12
TENSORS = ("weight", "input", "output")
LEVELS = ("dram", "glb", "noc", "rf")
# eyeriss: per 16-bit access MAC 1, RF 1, NoC 2, GLB 6, DRAM 200 (size independent).
EYERISS = {"dram": 200.0, "glb": 6.0, "noc": 2.0, "rf": 1.0}


def acc16(dataflow: str, **kw: object) -> tldse.Accelerator:
    """2x2 array, 16-bit everything, buffers and bandwidths that never limit."""
    # rf 8*6 = 48 = 16+16+16 bits: the smallest feasible RF
    return unbounded(dataflow, **{"pe_rows": 2, "pe_cols": 2, "rf_bytes": 6, **kw})


def acc8(**kw: object) -> tldse.Accelerator:
    """8-bit everything (1 byte = 1 element), for the tiling cases."""
    base: dict[str, object] = {
        "dataflow": "ws",
        "pe_rows": 2,
        "pe_cols": 2,
        "rf_bytes": 3,
        "glb_bytes": BIG,
        "dram_bw_bytes_per_cycle": BIG,
        "glb_bw_bytes_per_cycle": BIG,
        "weight_bits": 8,
        "act_bits": 8,
        "psum_bits": 8,
    }
    base.update(kw)
    return tldse.Accelerator(**base)  # type: ignore[arg-type]


def run(
    acc: tldse.Accelerator, layer: tldse.Layer, energy: object = "eyeriss"
) -> tldse.LayerReport:
    rep = tldse.simulate(acc, [layer], energy=energy)  # type: ignore[arg-type]
    (lr,) = rep.layers
    return lr


def check_accesses(lr: tldse.LayerReport, expected: dict[str, tuple]) -> None:
    """Compares all 24 per-level per-tensor counts and the level totals."""
    for level, vals in expected.items():
        wr, ww, ir, iw, orr, ow = vals
        want = {
            f"{level}_weight_reads": wr,
            f"{level}_weight_writes": ww,
            f"{level}_input_reads": ir,
            f"{level}_input_writes": iw,
            f"{level}_output_reads": orr,
            f"{level}_output_writes": ow,
            f"{level}_reads": wr + ir + orr,
            f"{level}_writes": ww + iw + ow,
        }
        got = {k: lr.accesses[k] for k in want}
        assert got == pytest.approx(want, rel=REL), level


def eyeriss_energy(expected: dict[str, tuple], macs: float) -> float:
    """16-bit everything: each access costs exactly the table value, MAC costs 1."""
    return macs + sum(EYERISS[lv] * sum(v) for lv, v in expected.items())


# ---------------------------------------------------------------------------------
# Case A: 1x1 conv, c=3, k=2, 2x2 input, n=1  ->  p=q=2
#   MACs = n*p*q*k*(c/g)*r*s = 1*2*2*2*3*1*1 = 24
#   px = 4, win = 1*1*3 = 3, nf = 2
#   Everything fits the GLB: DRAM moves weights k*c*r*s = 6, inputs n*c*H*W = 3*2*2
#   = 12 (H = (2-1)*1 + 0 + 1 = 2), outputs n*k*p*q = 8 written once.
#   os: sr=4 sc=2 t=3; fr=2 fc=1; folds=2; per fold 2+2+3-2=5; cycles 2*5-1 = 9
#       NoC: w = t*sc*fr = 3*2*2 = 12; i = sr*t*fc = 4*3 = 12; out writes sr*sc = 8
#       RF writes: w 24, i 24, o 24
#       GLB: w r 12, w w 6; i r 12, i w 12; o r 0+8 = 8; o w 8+0 = 8
#   ws: sr=3 sc=2 t=4; fr=2 fc=1; folds=2; per fold 4+2+4-2=8; cycles 2*8-1 = 15
#       NoC: w = sr*sc = 6; i = t*sr*fc = 12; o w = t*sc*fr = 16;
#            psum r = t*sc*(fr-1) = 8
#       RF writes: w 6, i 24, o 24
#       GLB: w 6/6; i 12/12; o r 8+8 = 16; o w 16+0 = 16
#   is: sr=3 sc=4 t=2; fr=2 fc=2; folds=4; per fold 4+2+2-2=6; cycles 4*6-1 = 23
#       NoC: w = t*sr*fc = 2*3*2 = 12; i = sr*sc = 12; o w = t*sc*fr = 16;
#            psum r = t*sc*(fr-1) = 8
#       RF writes: w 24, i 12, o 24
#       GLB: w r 12, w w 6; i 12/12; o r 16; o w 16
# ---------------------------------------------------------------------------------
CONV1X1 = tldse.Layer.conv("pw", c=3, k=2, h=2, r=1)
CONV1X1_DRAM = (6, 0, 12, 0, 0, 8)
CONV1X1_CASES = {
    "os": (
        9,
        {
            "dram": CONV1X1_DRAM,
            "glb": (12, 6, 12, 12, 8, 8),
            "noc": (12, 0, 12, 0, 0, 8),
            "rf": (24, 24, 24, 24, 24, 24),
        },
    ),
    "ws": (
        15,
        {
            "dram": CONV1X1_DRAM,
            "glb": (6, 6, 12, 12, 16, 16),
            "noc": (6, 0, 12, 0, 8, 16),
            "rf": (24, 6, 24, 24, 24, 24),
        },
    ),
    "is": (
        23,
        {
            "dram": CONV1X1_DRAM,
            "glb": (12, 6, 12, 12, 16, 16),
            "noc": (12, 0, 12, 0, 8, 16),
            "rf": (24, 24, 24, 12, 24, 24),
        },
    ),
}


@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
def test_conv1x1(dataflow: str) -> None:
    cycles, expected = CONV1X1_CASES[dataflow]
    lr = run(acc16(dataflow), CONV1X1)
    assert lr.status == "ok"
    m = lr.metrics
    assert m["macs"] == 24
    assert m["compute_cycles"] == cycles
    # compute bound (bandwidths 2^20): latency = compute, no stall
    assert m["latency_cycles"] == cycles
    assert m["stall_cycles"] == 0
    # utilization = macs / ((cycles + 1) * 4 PEs): 24/40, 24/64, 24/96
    assert m["utilization"] == pytest.approx(24 / ((cycles + 1) * 4), rel=REL)
    check_accesses(lr, expected)
    assert m["energy_pj"] == pytest.approx(eyeriss_energy(expected, 24), rel=REL)


# ---------------------------------------------------------------------------------
# Case B: 3x3 conv, c=2, k=2, 4x4 input, no padding -> p=q=2, n=1
#   MACs = 1*2*2*2*2*3*3 = 144; px = 4, win = 3*3*2 = 18, nf = 2
#   DRAM (fits): weights 2*2*9 = 36, inputs 1*2*4*4 = 32, outputs 1*2*2*2 = 8
#   os: sr=4 sc=2 t=18; fr=2 fc=1; folds 2; per fold 2+2+18-2 = 20; cycles 39
#       util = macs / ((cycles + 1) * PEs) = 144/(40*4) = 0.9
#       NoC: w = 18*2*2 = 72; i = 4*18*1 = 72; o w = 4*2 = 8
#   ws: sr=18 sc=2 t=4; fr=9 fc=1; folds 9; per fold 4+2+4-2 = 8; cycles 71
#       NoC: w = 18*2 = 36; i = 4*18*1 = 72; o w = 4*2*9 = 72; psum r = 4*2*8 = 64
#   is: sr=18 sc=4 t=2; fr=9 fc=2; folds 18; per fold 4+2+2-2 = 6; cycles 107
#       NoC: w = 2*18*2 = 72; i = 18*4 = 72; o w = 2*4*9 = 72; psum r = 2*4*8 = 64
#   Eyeriss energy (16-bit, costs MAC 1, RF 1, NoC 2, GLB 6, DRAM 200):
#   os: MAC 144; RF (3*144 reads + 3*144 writes) = 864; NoC (72+72+8)*2 = 304;
#       GLB reads 72+72+8 = 152, writes 36+32+8 = 76 -> 228*6 = 1368;
#       DRAM (36+32+8)*200 = 15200.  Total 17880.
#   ws: MAC 144; RF 432 + (144+144+36) = 756; NoC (36+72+64+72)*2 = 488;
#       GLB reads 36+72+(64+8) = 180, writes 36+32+72 = 140 -> 320*6 = 1920;
#       DRAM 15200.  Total 18508.
#   is: MAC 144; RF 432 + (144+72+144) = 792; NoC (72+72+64+72)*2 = 560;
#       GLB reads 72+72+72 = 216, writes 36+32+72 = 140 -> 356*6 = 2136;
#       DRAM 15200.  Total 18832.
# ---------------------------------------------------------------------------------
CONV3X3 = tldse.Layer.conv("c3", c=2, k=2, h=4, r=3)
CONV3X3_DRAM = (36, 0, 32, 0, 0, 8)
CONV3X3_CASES = {
    "os": (
        39,
        17880,
        {
            "dram": CONV3X3_DRAM,
            "glb": (72, 36, 72, 32, 8, 8),
            "noc": (72, 0, 72, 0, 0, 8),
            "rf": (144, 144, 144, 144, 144, 144),
        },
    ),
    "ws": (
        71,
        18508,
        {
            "dram": CONV3X3_DRAM,
            "glb": (36, 36, 72, 32, 72, 72),
            "noc": (36, 0, 72, 0, 64, 72),
            "rf": (144, 36, 144, 144, 144, 144),
        },
    ),
    "is": (
        107,
        18832,
        {
            "dram": CONV3X3_DRAM,
            "glb": (72, 36, 72, 32, 72, 72),
            "noc": (72, 0, 72, 0, 64, 72),
            "rf": (144, 144, 144, 72, 144, 144),
        },
    ),
}


@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
def test_conv3x3(dataflow: str) -> None:
    cycles, energy, expected = CONV3X3_CASES[dataflow]
    lr = run(acc16(dataflow), CONV3X3)
    assert lr.status == "ok"
    m = lr.metrics
    assert (m["macs"], m["compute_cycles"], m["latency_cycles"]) == (
        144,
        cycles,
        cycles,
    )
    assert m["utilization"] == pytest.approx(144 / (4 * (cycles + 1)), rel=REL)
    check_accesses(lr, expected)
    assert m["energy_pj"] == pytest.approx(energy, rel=REL)
    assert m["mac_energy_pj"] == pytest.approx(144, rel=REL)
    assert m["leakage_energy_pj"] == 0
    # Per (level, tensor) energy = (reads + writes) * table cost.
    for level, vals in expected.items():
        for i, t in enumerate(TENSORS):
            want = EYERISS[level] * (vals[2 * i] + vals[2 * i + 1])
            got = lr.energy_breakdown_pj[f"{level}_{t}_pj"]
            assert got == pytest.approx(want, rel=REL), (level, t)


def test_conv3x3_os_energy_breakdown_explicit() -> None:
    # os, from case B: DRAM w 36*200 = 7200, i 32*200 = 6400, o 8*200 = 1600;
    # GLB w (72+36)*6 = 648, i (72+32)*6 = 624, o (8+8)*6 = 96;
    # NoC w 72*2 = 144, i 72*2 = 144, o 8*2 = 16; RF 288 each tensor.
    lr = run(acc16("os"), CONV3X3)
    want = {
        "dram_weight_pj": 7200,
        "dram_input_pj": 6400,
        "dram_output_pj": 1600,
        "glb_weight_pj": 648,
        "glb_input_pj": 624,
        "glb_output_pj": 96,
        "noc_weight_pj": 144,
        "noc_input_pj": 144,
        "noc_output_pj": 16,
        "rf_weight_pj": 288,
        "rf_input_pj": 288,
        "rf_output_pj": 288,
    }
    assert lr.energy_breakdown_pj == pytest.approx(want, rel=REL)
    # 15200 + 1368 + 304 + 864 + 144 (MACs) = 17880
    assert sum(want.values()) + 144 == 17880


def test_core_evaluate_layer_matches_hand() -> None:
    # The raw binding on case B / os with the eyeriss table.
    d = _core.evaluate_layer(
        acc16("os").row(),
        np.asarray(CONV3X3.row(), dtype=np.float64),
        tldse.energy_table("eyeriss"),
    )
    assert d["status"] == 0
    assert d["macs"] == 144
    assert d["compute_cycles"] == 39
    assert d["energy_pj"] == pytest.approx(17880, rel=REL)
    assert d["accesses"]["noc_weight_reads"] == 72
    assert d["accesses"]["glb_output_reads"] == 8


# ---------------------------------------------------------------------------------
# Case C: GEMM (3 x 5) @ (5 x 2): Layer.gemm(m=3, n=2, k=5) -> p=3, k=2, c=5
#   MACs = 3*2*5 = 30; px = 3, win = 5, nf = 2
#   DRAM: weights K*N = 10, inputs M*K = 15 (H = 3, W = 1), outputs M*N = 6
#   os: sr=3 sc=2 t=5; fr=2 fc=1; folds 2; per fold 2+2+5-2 = 7; cycles 13
#       NoC w = 5*2*2 = 20; i = 3*5*1 = 15; o w = 6
#   ws: sr=5 sc=2 t=3; fr=3 fc=1; folds 3; per fold 4+2+3-2 = 7; cycles 20
#       NoC w = 10; i = 3*5*1 = 15; o w = 3*2*3 = 18; psum r = 3*2*2 = 12
#   is: sr=5 sc=3 t=2; fr=3 fc=2; folds 6; per fold 4+2+2-2 = 6; cycles 35
#       NoC w = 2*5*2 = 20; i = 5*3 = 15; o w = 2*3*3 = 18; psum r = 2*3*2 = 12
# ---------------------------------------------------------------------------------
GEMM = tldse.Layer.gemm("g", 3, 2, 5)
GEMM_DRAM = (10, 0, 15, 0, 0, 6)
GEMM_CASES = {
    "os": (
        13,
        {
            "dram": GEMM_DRAM,
            "glb": (20, 10, 15, 15, 6, 6),
            "noc": (20, 0, 15, 0, 0, 6),
            "rf": (30, 30, 30, 30, 30, 30),
        },
    ),
    "ws": (
        20,
        {
            "dram": GEMM_DRAM,
            "glb": (10, 10, 15, 15, 18, 18),
            "noc": (10, 0, 15, 0, 12, 18),
            "rf": (30, 10, 30, 30, 30, 30),
        },
    ),
    "is": (
        35,
        {
            "dram": GEMM_DRAM,
            "glb": (20, 10, 15, 15, 18, 18),
            "noc": (20, 0, 15, 0, 12, 18),
            "rf": (30, 30, 30, 15, 30, 30),
        },
    ),
}


@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
def test_gemm(dataflow: str) -> None:
    cycles, expected = GEMM_CASES[dataflow]
    assert (GEMM.p, GEMM.k, GEMM.c, GEMM.q, GEMM.r, GEMM.s) == (3, 2, 5, 1, 1, 1)
    lr = run(acc16(dataflow), GEMM)
    m = lr.metrics
    assert (m["macs"], m["compute_cycles"]) == (30, cycles)
    assert m["utilization"] == pytest.approx(30 / (4 * (cycles + 1)), rel=REL)
    check_accesses(lr, expected)
    assert m["energy_pj"] == pytest.approx(eyeriss_energy(expected, 30), rel=REL)


# ---------------------------------------------------------------------------------
# Case D: grouped conv, c=4, k=4, groups=2, 3x3 input, 3x3 filter -> p=q=1
#   Per group c/g = 2, k/g = 2.  MACs = 1*1*1*4*2*9 = 72
#   px = 1, win = 9*2 = 18, nf = 2; g = 2
#   DRAM: weights k*(c/g)*r*s = 4*2*9 = 72; inputs n*c*H*W = 4*3*3 = 36; outputs 4
#   os: sr=1 sc=2 t=18; fr=1 fc=1; folds 1; per fold 2+2+18-2 = 20
#       cycles = g*folds*per_fold - 1 = 2*1*20 - 1 = 39; util = 72/(40*4) = 0.45
#       NoC w = g*t*sc*fr = 2*18*2 = 72; i = g*sr*t*fc = 2*18 = 36; o w = g*sr*sc = 4
#   ws: sr=18 sc=2 t=1; fr=9 fc=1; folds 9; per fold 4+2+1-2 = 5; cycles 2*45-1 = 89
#       NoC w = 2*18*2 = 72; i = 2*1*18*1 = 36; o w = 2*1*2*9 = 36;
#       psum r = 2*1*2*8 = 32
#   is: sr=18 sc=1 t=2; fr=9 fc=1; folds 9; per fold 4+2+2-2 = 6; cycles 2*54-1 = 107
#       NoC w = 2*2*18*1 = 72; i = 2*18*1 = 36; o w = 2*2*1*9 = 36;
#       psum r = 2*2*1*8 = 32; RF input writes = 36
# ---------------------------------------------------------------------------------
GROUPED = tldse.Layer.conv("grp", c=4, k=4, h=3, r=3, groups=2)
GROUPED_DRAM = (72, 0, 36, 0, 0, 4)
GROUPED_CASES = {
    "os": (
        39,
        {
            "dram": GROUPED_DRAM,
            "glb": (72, 72, 36, 36, 4, 4),
            "noc": (72, 0, 36, 0, 0, 4),
            "rf": (72, 72, 72, 72, 72, 72),
        },
    ),
    "ws": (
        89,
        {
            "dram": GROUPED_DRAM,
            "glb": (72, 72, 36, 36, 36, 36),
            "noc": (72, 0, 36, 0, 32, 36),
            "rf": (72, 72, 72, 72, 72, 72),
        },
    ),
    "is": (
        107,
        {
            "dram": GROUPED_DRAM,
            "glb": (72, 72, 36, 36, 36, 36),
            "noc": (72, 0, 36, 0, 32, 36),
            "rf": (72, 72, 72, 36, 72, 72),
        },
    ),
}


@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
def test_grouped_conv(dataflow: str) -> None:
    cycles, expected = GROUPED_CASES[dataflow]
    assert GROUPED.kind == "conv"
    lr = run(acc16(dataflow), GROUPED)
    m = lr.metrics
    assert (m["macs"], m["compute_cycles"]) == (72, cycles)
    assert m["utilization"] == pytest.approx(72 / (4 * (cycles + 1)), rel=REL)
    check_accesses(lr, expected)
    assert m["energy_pj"] == pytest.approx(eyeriss_energy(expected, 72), rel=REL)


# ---------------------------------------------------------------------------------
# Case E: depthwise 3x3, c=k=groups=3, 4x4 input, pad 1 -> p=q=(4+2-2-1)/1+1 = 4
#   MACs = 1*4*4*3*1*9 = 432; per group px = 16, win = 9, nf = 1; g = 3
#   H = (4-1)*1 + 1*(3-1) + 1 - 2*1 = 4 = W; inputs 3*4*4 = 48; weights 3*1*9 = 27;
#   outputs 3*16 = 48
#   os: sr=16 sc=1 t=9; fr=8 fc=1; folds 8; per fold 2+2+9-2 = 11;
#       cycles 3*8*11 - 1 = 263
#       NoC w = 3*9*1*8 = 216; i = 3*16*9*1 = 432; o w = 3*16*1 = 48
#   ws: sr=9 sc=1 t=16; fr=5 fc=1; folds 5; per fold 4+2+16-2 = 20;
#       cycles 3*5*20 - 1 = 299
#       NoC w = 3*9*1 = 27; i = 3*16*9*1 = 432; o w = 3*16*1*5 = 240;
#       psum r = 3*16*1*4 = 192
#   is: sr=9 sc=16 t=1; fr=5 fc=8; folds 40; per fold 4+2+1-2 = 5;
#       cycles 3*40*5 - 1 = 599
#       NoC w = 3*1*9*8 = 216; i = 3*9*16 = 432; o w = 3*1*16*5 = 240;
#       psum r = 3*1*16*4 = 192
# ---------------------------------------------------------------------------------
DW = tldse.Layer.conv("dw", c=3, k=3, h=4, r=3, pad=1, groups=3)
DW_DRAM = (27, 0, 48, 0, 0, 48)
DW_CASES = {
    "os": (
        263,
        {
            "dram": DW_DRAM,
            "glb": (216, 27, 432, 48, 48, 48),
            "noc": (216, 0, 432, 0, 0, 48),
            "rf": (432, 432, 432, 432, 432, 432),
        },
    ),
    "ws": (
        299,
        {
            "dram": DW_DRAM,
            "glb": (27, 27, 432, 48, 240, 240),
            "noc": (27, 0, 432, 0, 192, 240),
            "rf": (432, 27, 432, 432, 432, 432),
        },
    ),
    "is": (
        599,
        {
            "dram": DW_DRAM,
            "glb": (216, 27, 432, 48, 240, 240),
            "noc": (216, 0, 432, 0, 192, 240),
            "rf": (432, 432, 432, 432, 432, 432),
        },
    ),
}


@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
def test_depthwise(dataflow: str) -> None:
    cycles, expected = DW_CASES[dataflow]
    assert DW.kind == "dwconv"
    assert (DW.p, DW.q, DW.groups) == (4, 4, 3)
    lr = run(acc16(dataflow), DW)
    m = lr.metrics
    assert (m["macs"], m["compute_cycles"]) == (432, cycles)
    assert m["utilization"] == pytest.approx(432 / (4 * (cycles + 1)), rel=REL)
    check_accesses(lr, expected)
    assert m["energy_pj"] == pytest.approx(eyeriss_energy(expected, 432), rel=REL)


def test_layer_positional_constructor() -> None:
    # tldse.Layer(name, kind, n, k, c, p, q, r, s): case B written out by hand
    # (n=1, k=2, c=2, p=q=2, r=s=3) must simulate identically.
    layer = tldse.Layer("c3b", "conv", 1, 2, 2, 2, 2, 3, 3)
    a = run(acc16("ws"), layer)
    b = run(acc16("ws"), CONV3X3)
    assert a.metrics == b.metrics
    assert a.accesses == b.accesses


# ---------------------------------------------------------------------------------
# Latency: case B / os.  DRAM words 36+32+8 = 76 -> 152 bytes (16 bit).
#   GLB words: reads 152 + writes 76 = 228 -> 456 bytes.  compute = 39.
#   latency = max(39, ceil(152/dram_bw), ceil(456/glb_bw))
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dram_bw", "glb_bw", "latency"),
    [
        (BIG, BIG, 39),  # compute bound
        (1, BIG, 152),  # DRAM: 152/1
        (BIG, 2, 228),  # GLB: 456/2
        (2, 4, 114),  # DRAM 76, GLB 114 -> GLB
        (1, 4, 152),  # DRAM 152, GLB 114 -> DRAM
        (8, 16, 39),  # DRAM 19, GLB 28.5 -> compute
        (3, 5, 92),  # DRAM ceil(50.67) = 51, GLB ceil(91.2) = 92 -> GLB
        (3.85, BIG, 40),  # DRAM ceil(39.48) = 40 > 39: one stall cycle
        (3.9, BIG, 39),  # DRAM ceil(38.97) = 39: no stall
    ],
)
def test_latency_bandwidth_bound(dram_bw: float, glb_bw: float, latency: float) -> None:
    acc = acc16("os", dram_bw_bytes_per_cycle=dram_bw, glb_bw_bytes_per_cycle=glb_bw)
    lr = run(acc, CONV3X3)
    m = lr.metrics
    assert m["compute_cycles"] == 39
    assert m["latency_cycles"] == pytest.approx(latency, rel=REL)
    assert m["stall_cycles"] == pytest.approx(latency - 39, rel=REL)
    # utilization uses busy cycles (compute + 1), not latency: 144/(40*4)
    assert m["utilization"] == pytest.approx(0.9, rel=REL)
    # no leakage in eyeriss: energy does not depend on latency
    assert m["energy_pj"] == pytest.approx(17880, rel=REL)


def test_latency_seconds_and_counts() -> None:
    # DRAM-bound case (152 cycles) at 200 MHz: 152 / 2e8 s = 7.6e-7 s.
    # count = 3: report totals weight the layer 3x.
    acc = acc16("os", dram_bw_bytes_per_cycle=1, clock_mhz=200)
    layer = tldse.Layer.conv("c3", c=2, k=2, h=4, r=3, count=3)
    rep = tldse.simulate(acc, [layer], energy="eyeriss")
    assert rep.layers[0].metrics["latency_cycles"] == 152
    assert rep.latency_cycles == 3 * 152
    assert rep.latency_s == pytest.approx(3 * 152 / 2e8, rel=REL)
    assert rep.energy_pj == pytest.approx(3 * 17880, rel=REL)
    assert rep.total("macs") == 3 * 144


def test_network_totals() -> None:
    # evaluate(per_network=True): sums weighted by count.  os, compute bound.
    # Layers: case B x2 (39 cycles, 144 MACs, 17880) + GEMM x1 (13 cycles, 30 MACs).
    # GEMM os energy: MAC 30; RF 6*30 = 180; NoC (20+15+6)*2 = 82;
    #   GLB reads 20+15+6 = 41, writes 10+15+6 = 31 -> 72*6 = 432;
    #   DRAM (10+15+6)*200 = 6200.  Total 6924.
    layers = [tldse.Layer.conv("c3", c=2, k=2, h=4, r=3, count=2), GEMM]
    ev = tldse.evaluate([acc16("os")], layers, energy="eyeriss", per_network=True)
    assert ev["status"][0] == 0
    assert ev["macs"][0] == 2 * 144 + 30
    assert ev["latency_cycles"][0] == 2 * 39 + 13
    assert ev["compute_cycles"][0] == 2 * 39 + 13
    # network utilization: total MACs / sum of busy PE-cycles
    #   = (2*144 + 30) / ((2*40 + 14) * 4) = 318/376
    assert ev["utilization"][0] == pytest.approx(318 / 376, rel=REL)
    assert ev["energy_pj"][0] == pytest.approx(2 * 17880 + 6924, rel=REL)
    # dram words 2*76 + 31; all 16-bit -> bytes = 2 * words
    assert ev["dram_bytes"][0] == pytest.approx(2 * (2 * 76 + 31), rel=REL)
    per_layer = tldse.evaluate([acc16("os")], layers, energy="eyeriss")
    assert per_layer["energy_pj"][0].tolist() == pytest.approx([17880, 6924], rel=REL)


# ---------------------------------------------------------------------------------
# GLB tiling.  Case F: GEMM M=2 (rows), N=4 (filters), K=4 (channels), 8-bit
# everything (1 element = 1 byte).  Per pass: weights 16, inputs 8, outputs 8.
# Tiles: pr in {1,2}, fk in {1,2,4}, cc in {1,2,4}; trips R=2/pr, F=4/fk, C=4/cc.
# Footprint fk*cc + cc*pr + pr*fk elements; fits iff 2*footprint <= glb_bytes.
# Refetch: m_w = R if the rows loop encloses the innermost (>1-trip) of F, C;
# m_i = F if filters enclose the innermost of R, C; m_o = C if channels enclose the
# innermost of R, F.  DRAM bytes = 16 m_w + 8 m_i + 8 + 16 (m_o - 1).
#
# The minimum, 32 bytes (each tensor once), needs all m = 1.  That holds iff at most
# one loop has more than one trip (with two tiled loops either order refetches
# something, e.g. R,F: m_w = 2; F,R: m_i = 4).  Smallest such footprints:
#   only rows tiled (fk=cc=4, pr=1): 16+4+4 = 24; only filters (pr=2, cc=4, fk=1):
#   4+8+2 = 14; only channels (pr=2, fk=4, cc=1): 4+2+8 = 14.
# glb_bytes = 28 -> footprint <= 14: 32 bytes reachable.
# glb_bytes = 26 -> footprint <= 13: the cheapest refetch is m_i = 2 (+8 bytes):
#   pr=2, fk=2, filters outside channels: cc=1 (2+2+4 = 8) or cc=2 (4+4+4 = 12) ->
#   16 + 16 + 8 = 40 bytes (weights 16, inputs 2*8 = 16, outputs 8, no psums).
#   Every other refetch costs >= 16 more bytes than 32, so 40 is the optimum.
# glb_bytes = 5 -> smallest footprint (1,1,1) = 3 needs 6 bytes: does_not_fit.
# ---------------------------------------------------------------------------------
GEMM_T = tldse.Layer.gemm("t", 2, 4, 4)


def test_tiling_everything_fits_once() -> None:
    lr = run(acc8(glb_bytes=28), GEMM_T)
    assert lr.status == "ok"
    a = lr.accesses
    assert (a["dram_weight_reads"], a["dram_input_reads"]) == (16, 8)
    assert (a["dram_output_reads"], a["dram_output_writes"]) == (0, 8)


def test_tiling_forced_input_refetch() -> None:
    lr = run(acc8(glb_bytes=26), GEMM_T)
    assert lr.status == "ok"
    a = lr.accesses
    assert a["dram_weight_reads"] == 16
    assert a["dram_input_reads"] == 16  # inputs fetched twice (2 filter tiles)
    assert a["dram_output_reads"] == 0  # no partial sums
    assert a["dram_output_writes"] == 8
    t = lr.tiling
    assert (t["rows"], t["filters"]) == (2, 2)
    assert t["channels"] in (1, 2)
    assert t["order"].index("filters") < t["order"].index("channels")
    # GLB: writes = DRAM fetches + array output writes (ws: fr = ceil(4/2) = 2,
    #   t = px = 2, sc = nf = 4: o w = 2*4*2 = 16, psum r = 2*4*1 = 8)
    assert a["glb_weight_writes"] == 16
    assert a["glb_input_writes"] == 16
    assert a["glb_output_writes"] == 16
    assert a["glb_output_reads"] == 8 + 8  # psum reads + final outputs to DRAM


def test_tiling_partitioned_glb() -> None:
    # Case F with partitions: weight partition 4 bytes -> weight tile fk*cc <= 2;
    # input/output partitions 100 bytes each (no limit), glb_bytes 204.
    # pr=2 (R=1): (fk,cc)=(2,1): F,C order -> m_i = 2 -> 40 bytes;
    #   (1,2): C,F -> m_o = 2 -> 16+8+8+16 = 48, F,C -> m_i = 4 -> 56;
    #   (1,1): F,C -> 56; C,F -> 80.
    # pr=1 (R=2) with fk*cc <= 2: (2,1) best R,F,C: m_w 2, m_i 2 -> 32+16+8 = 56;
    #   (1,2) best R,C,F: m_w 2, m_o 2 -> 32+8+8+16 = 64; (1,1) best 72.
    # Optimum: rows 2, filters 2, channels 1, filters before channels, 40 bytes.
    acc = acc8(
        glb_bytes=204, glb_weight_bytes=4, glb_input_bytes=100, glb_output_bytes=100
    )
    lr = run(acc, GEMM_T)
    a = lr.accesses
    assert (a["dram_weight_reads"], a["dram_input_reads"]) == (16, 16)
    assert (a["dram_output_reads"], a["dram_output_writes"]) == (0, 8)
    t = lr.tiling
    assert (t["rows"], t["filters"], t["channels"]) == (2, 2, 1)
    assert t["order"].index("filters") < t["order"].index("channels")


def test_tiling_larger_glb_never_worse() -> None:
    # docs/model.md: a larger GLB never increases DRAM traffic.
    prev = math.inf
    for glb in range(6, 120, 2):
        lr = run(acc8(glb_bytes=glb), GEMM_T)
        assert lr.status == "ok"
        a = lr.accesses
        total = a["dram_reads"] + a["dram_writes"]
        assert total <= prev
        prev = total
    assert prev == 32  # each tensor once when everything fits


# ---------------------------------------------------------------------------------
# Case G: halo.  conv c=1, k=1, 6x3 input, 3x3 filter -> p=4, q=1; 8-bit.
#   H=6, W=3.  Filters and channels have one tile each, so only the row tile
#   matters.  Row tiles {1, 2, 4}; rows_in = (pr-1)*1 + 3: 3, 4, 6.
#   pr=4: footprint 9 + 6*3 + 4 = 31 -> 62 bytes; inputs 18
#   pr=2: footprint 9 + 4*3 + 2 = 23 -> 46 bytes; inputs 2 tiles * 4 rows * 3 = 24
#   pr=1: footprint 9 + 3*3 + 1 = 19 -> 38 bytes; inputs 4 tiles * 3 rows * 3 = 36
#   Weights (one tile) and outputs (no channel loop) move once: 9 and 4.
# ---------------------------------------------------------------------------------
HALO = tldse.Layer("halo", "conv", 1, 1, 1, 4, 1, 3, 3)


@pytest.mark.parametrize(
    ("glb", "rows", "input_reads"),
    [(62, 4, 18), (61, 2, 24), (46, 2, 24), (45, 1, 36), (38, 1, 36)],
)
def test_tiling_halo(glb: int, rows: int, input_reads: int) -> None:
    lr = run(acc8(glb_bytes=glb), HALO)
    assert lr.status == "ok"
    a = lr.accesses
    assert a["dram_input_reads"] == input_reads
    assert a["dram_weight_reads"] == 9
    assert (a["dram_output_reads"], a["dram_output_writes"]) == (0, 4)
    assert lr.tiling["rows"] == rows
    # ws compute: sr = win = 9, sc = nf = 1, t = px = 4 on 2x2: folds 5*1, per fold
    # 4+2+4-2 = 8 -> 39 cycles.  DRAM bytes 9 + input_reads + 4 (>= 31); at
    # 0.5 B/cycle that is 62, 74 or 98 cycles > 39: DRAM bound.
    assert lr.metrics["compute_cycles"] == 39
    slow = run(acc8(glb_bytes=glb, dram_bw_bytes_per_cycle=0.5), HALO)
    assert slow.metrics["latency_cycles"] == 2 * (13 + input_reads)


def test_tiling_halo_does_not_fit() -> None:
    # glb 37 < 38 (the smallest double-buffered footprint): no tiling fits.
    lr = run(acc8(glb_bytes=37), HALO)
    assert lr.status == "does_not_fit"
    assert math.isnan(lr.metrics["latency_cycles"])


def test_strided_1x1_reads_only_needed_rows() -> None:
    # 1x1 conv, stride 2, 3x3 input -> p=q=2; H = (2-1)*2 + 1 = 3, W = 3 (n*c*H*W = 9).
    # By the tiling rules a 1-row tile needs rows_in = 1 input row, so pr=1 moves
    # 2 tiles * 1 row * W=3 = 6 inputs and pr=2 (rows_in = 3) moves 9; both fit,
    # fewest bytes wins: 6.  (Skipped rows are not fetched; skipped columns are,
    # since q stays whole.)
    layer = tldse.Layer.conv("s2", c=1, k=1, h=3, r=1, stride=2)
    assert (layer.p, layer.q) == (2, 2)
    lr = run(acc8(), layer)
    assert lr.accesses["dram_input_reads"] == 6
    assert lr.accesses["dram_weight_reads"] == 1
    assert lr.accesses["dram_output_writes"] == 4


# ---------------------------------------------------------------------------------
# User energy table (case A, ws, 8-bit weights/acts, 16-bit psums).
#   ref_bits 8; mac 0.5; rf 2 @ 16 B; noc 3; glb 10 @ 1024 B; exponent 0.5;
#   dram 100; leakage 2 mW/mm^2; areas mac 100, rf 10/B, glb 1/B, noc 5/PE.
#   Arch: rf_bytes 64 -> scale sqrt(64/16) = 2; glb 4096 -> sqrt(4096/1024) = 2.
#   Per access: RF 2*2*b/8 (8-bit 4, 16-bit 8); NoC 3*b/8 (3, 6);
#               GLB 10*2*b/8 (20, 40); DRAM 100*b/8 (100, 200); MAC 0.5*8*8/64 = 0.5
#   Accesses (case A ws): RF w 24+6, i 24+24, o 24+24; NoC w 6, i 12, o 8+16;
#     GLB w 6+6, i 12+12, o 16+16; DRAM w 6, i 12, final outputs 8 (at act_bits).
#   RF   30*4 + 48*4 + 48*8 = 120 + 192 + 384 = 696
#   NoC  6*3 + 12*3 + 24*6 = 18 + 36 + 144 = 198
#   GLB  12*20 + 24*20 + 32*40 = 240 + 480 + 1280 = 2000
#   DRAM 6*100 + 12*100 + 8*100 = 2600
#   MAC  24*0.5 = 12            dynamic total 5506
#   Area = 4*(100*64/64 + 10*64 + 5) + 1*4096 = 4*745 + 4096 = 7076 um^2
#   Latency: compute 15 (ws); DRAM 26 B / 64, GLB (12+24+64) B / 64 = 1.5625 -> 15
#   Leakage = 2 mW/mm^2 * 0.007076 mm^2 * 15/(500e6) s = 4.2456e-13 J = 0.42456 pJ
# ---------------------------------------------------------------------------------
USER_TABLE = """\
# a custom table
[energy]
ref_bits = 8
mac_pj = 0.5
rf_pj = 2          # per 8-bit access at rf_ref_bytes
rf_ref_bytes = 16
noc_pj = 3
glb_pj = 10
glb_ref_bytes = 1024
sram_size_exponent = 0.5
dram_pj = 100
leakage_mw_per_mm2 = 2

[area]
mac_um2 = 100
rf_um2_per_byte = 10
glb_um2_per_byte = 1
noc_um2_per_pe = 5
"""


def test_user_energy_table(tmp_path: Path) -> None:
    path = tmp_path / "mytable.toml"
    path.write_text(USER_TABLE)
    acc = tldse.Accelerator(
        dataflow="ws",
        pe_rows=2,
        pe_cols=2,
        rf_bytes=64,
        glb_bytes=4096,
        dram_bw_bytes_per_cycle=64,
        glb_bw_bytes_per_cycle=64,
        weight_bits=8,
        act_bits=8,
        psum_bits=16,
        clock_mhz=500,
    )
    rep = tldse.simulate(acc, [CONV1X1], energy=path)
    assert rep.area_um2 == pytest.approx(7076, rel=REL)
    (lr,) = rep.layers
    m = lr.metrics
    assert m["compute_cycles"] == 15
    assert m["latency_cycles"] == 15
    assert m["mac_energy_pj"] == pytest.approx(12, rel=REL)
    assert m["leakage_energy_pj"] == pytest.approx(0.42456, rel=REL)
    assert m["energy_pj"] == pytest.approx(5506 + 0.42456, rel=REL)
    want = {
        "rf_weight_pj": 120,
        "rf_input_pj": 192,
        "rf_output_pj": 384,
        "noc_weight_pj": 18,
        "noc_input_pj": 36,
        "noc_output_pj": 144,
        "glb_weight_pj": 240,
        "glb_input_pj": 480,
        "glb_output_pj": 1280,
        "dram_weight_pj": 600,
        "dram_input_pj": 1200,
        "dram_output_pj": 800,
    }
    assert lr.energy_breakdown_pj == pytest.approx(want, rel=REL)

    # Mixed widths in the latency: GLB bytes = w (6+6)*1 + i (12+12)*1 + o (16+16)*2
    # = 100 (outputs at psum_bits in the GLB); DRAM bytes = 6 + 12 + 8*1 = 26 (final
    # outputs at act_bits).
    # glb_bw 1 -> latency max(15, ceil(26/64) = 1, 100) = 100; leakage scales with it:
    #   2 * 0.007076 mW * 100/5e8 s = 2.8304e-12 J = 2.8304 pJ
    # dram_bw 0.25 -> max(15, ceil(26/0.25) = 104, ceil(100/64) = 2) = 104.
    glb_bound = tldse.simulate(
        acc.replace(glb_bw_bytes_per_cycle=1), [CONV1X1], energy=path
    )
    gm = glb_bound.layers[0].metrics
    assert gm["latency_cycles"] == 100
    assert gm["stall_cycles"] == 85
    assert gm["leakage_energy_pj"] == pytest.approx(2.8304, rel=REL)
    assert gm["energy_pj"] == pytest.approx(5506 + 2.8304, rel=REL)
    dram_bound = tldse.simulate(
        acc.replace(dram_bw_bytes_per_cycle=0.25), [CONV1X1], energy=path
    )
    assert dram_bound.layers[0].metrics["latency_cycles"] == 104


def test_user_energy_table_errors(tmp_path: Path) -> None:
    bad_key = tmp_path / "bad_key.toml"
    bad_key.write_text("mac_pj = 1\n# c\nbogus_pj = 2\n")
    with pytest.raises(ValueError, match=r"bad_key\.toml:3.*bogus_pj"):
        tldse.energy_table(bad_key)
    bad_num = tmp_path / "bad_num.toml"
    bad_num.write_text("[x]\ndram_pj = lots\n")
    with pytest.raises(ValueError, match=r"bad_num\.toml:2.*dram_pj"):
        tldse.energy_table(bad_num)


def test_area_horowitz45() -> None:
    # area = pes*(mac_um2*w*a/ref^2 + rf_um2_per_byte*rf + noc_um2_per_pe)
    #        + glb_um2_per_byte*glb
    # 8-bit: 4*(318*64/64 + 22.4*6 + 32) + 5.6*1024 = 4*484.4 + 5734.4 = 7672
    # 16-bit w, a: mac 318*256/64 = 1272 -> 4*(1272+134.4+32) + 5734.4 = 11488
    acc = acc8(rf_bytes=6, glb_bytes=1024)
    assert tldse.simulate(acc, [GEMM]).area_um2 == pytest.approx(7672, rel=REL)
    acc16b = acc16("ws", glb_bytes=1024)
    assert tldse.simulate(acc16b, [GEMM]).area_um2 == pytest.approx(11488, rel=REL)


def test_horowitz45_energy() -> None:
    # Case A, os, 8-bit w/a, 32-bit psum, rf 8 B, glb 32768 B (default table).
    # Per access (ref 8 bits): RF 1.25*sqrt(8/8192) = 1.25/32 = 0.0390625 per 8 bits
    #   -> w/i 0.0390625, psum 0.15625; NoC 0.46 (8-bit), 1.84 (32-bit);
    #   GLB 1.25*sqrt(32768/8192) = 2.5 (8-bit), 10 (32-bit); DRAM 250 (8-bit);
    #   MAC 0.23.
    # Accesses (case A, os): RF w 48, i 48, o 48; NoC w 12, i 12, o 8;
    #   GLB w 18, i 24, o 16; DRAM w 6, i 12, o 8 (final, at act_bits = 8).
    # RF   96*0.0390625 + 48*0.15625 = 3.75 + 7.5 = 11.25
    # NoC  24*0.46 + 8*1.84 = 11.04 + 14.72 = 25.76
    # GLB  42*2.5 + 16*10 = 105 + 160 = 265
    # DRAM 26*250 = 6500; MAC 24*0.23 = 5.52.  Total 6807.53
    acc = acc8(dataflow="os", rf_bytes=8, glb_bytes=32768, psum_bits=32)
    lr = run(acc, CONV1X1, energy=None)
    assert lr.metrics["energy_pj"] == pytest.approx(6807.53, rel=REL)
    assert lr.metrics["mac_energy_pj"] == pytest.approx(5.52, rel=REL)
    assert lr.energy_breakdown_pj["glb_output_pj"] == pytest.approx(160, rel=REL)
    assert lr.energy_breakdown_pj["rf_output_pj"] == pytest.approx(7.5, rel=REL)


# ---------------------------------------------------------------------------------
# Infeasible designs and layers that fit no tiling: status, NaN, no exception.
# ---------------------------------------------------------------------------------
INFEASIBLE = [
    {"pe_rows": 0},
    {"pe_cols": 0},
    {"glb_bytes": 0},
    # partitioned, one partition missing
    {"glb_bytes": 300, "glb_input_bytes": 100, "glb_weight_bytes": 100},
    # partitions exceed glb_bytes: 100+100+100 > 250
    {
        "glb_bytes": 250,
        "glb_input_bytes": 100,
        "glb_weight_bytes": 100,
        "glb_output_bytes": 100,
    },
    {"dram_bw_bytes_per_cycle": 0},
    {"glb_bw_bytes_per_cycle": 0},
    {"clock_mhz": 0},
    {"rf_bytes": 5},  # 8*5 = 40 < 16+16+16 = 48
]


def assert_all_nan(lr: tldse.LayerReport) -> None:
    for k in (
        "compute_cycles",
        "stall_cycles",
        "latency_cycles",
        "utilization",
        "energy_pj",
        "mac_energy_pj",
        "leakage_energy_pj",
    ):
        assert math.isnan(lr.metrics[k]), k
    for k, v in lr.accesses.items():
        assert math.isnan(v), k
    for k, v in lr.energy_breakdown_pj.items():
        assert math.isnan(v), k


@pytest.mark.parametrize("change", INFEASIBLE)
def test_invalid_config(change: dict[str, float]) -> None:
    acc = acc16("ws", **change)
    assert acc.infeasibility() != ""
    lr = run(acc, CONV3X3)
    assert lr.status == "invalid_config"
    assert_all_nan(lr)
    ev = tldse.evaluate([acc, acc16("ws")], [CONV3X3])
    assert ev["status"].tolist() == [[1], [0]]
    assert math.isnan(ev["latency_cycles"][0, 0])
    assert ev["latency_cycles"][1, 0] == 71


def test_feasible_boundaries() -> None:
    # rf_bytes = 6 (48 bits = 16+16+16) and partitions summing exactly to glb_bytes
    # are feasible.
    acc = acc16(
        "ws",
        glb_bytes=3 << 16,
        glb_input_bytes=1 << 16,
        glb_weight_bytes=1 << 16,
        glb_output_bytes=1 << 16,
    )
    assert acc.infeasibility() == ""
    lr = run(acc, CONV3X3)
    assert lr.status == "ok"
    assert lr.metrics["compute_cycles"] == 71


def test_does_not_fit() -> None:
    # Case F (GEMM 2x4x4, 8-bit): smallest tile (1,1,1) footprint 3 -> 6 bytes
    # double-buffered; glb_bytes 5 fits nothing, glb_bytes 6 fits it.
    lr = run(acc8(glb_bytes=5), GEMM_T)
    assert lr.status == "does_not_fit"
    assert_all_nan(lr)
    ok = run(acc8(glb_bytes=6), GEMM_T)
    assert ok.status == "ok"
    ev = tldse.evaluate([acc8(glb_bytes=5)], [GEMM_T])
    assert ev["status"].tolist() == [[2]]
    assert math.isnan(ev["energy_pj"][0, 0])


def test_rs_scratchpads_too_small() -> None:
    # rs keeps p*q*s weights, q*s inputs and p partial sums per PE: with p = q = 1 and
    # s = 3 at 16 bits that is 6 + 6 + 2 = 14 bytes, more than the 6-byte RF.
    lr = run(acc16("rs"), CONV3X3)
    assert lr.status == "does_not_fit"
    assert math.isnan(lr.metrics["latency_cycles"])
    assert run(acc16("rs", rf_bytes=14), CONV3X3).status == "ok"


def test_systolic_cycles_binding() -> None:
    # os, sr=5, sc=3, t=4 on 2x2: folds ceil(5/2)*ceil(3/2) = 6, per fold
    #   2+2+4-2 = 6 -> 35.  ws/is: per fold 4+2+4-2 = 8 -> 47.
    assert _core.systolic_cycles("os", 5, 3, 4, 2, 2) == 35
    assert _core.systolic_cycles("ws", 5, 3, 4, 2, 2) == 47
    assert _core.systolic_cycles("is", 5, 3, 4, 2, 2) == 47
