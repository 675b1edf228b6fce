"""Row-stationary (``rs``) model and mapper checks against docs/model.md.

Part 1 derives small cases by hand (sections "Row stationary", "Latency", "Energy").
Part 2 checks the mapper ("The mapper"): every mapping fits its scratchpads, the
exhaustive mode is the minimum over the documented candidate set (brute force with an
independent Python reimplementation of the rs formulas), the heuristic mode is the
minimum over its documented subset and never beats exhaustive, the objective switch,
determinism, and that systolic dataflows leave the mapper nothing to choose.

Notation (docs/model.md): per group ``F = k/groups``, ``C = c/groups``; the layer's
output height ``p`` is written ``E`` and width ``Q``; ``W`` is the input width read.

* ``rs_shape``: ``r_fold = ceil(r/rows)``, ``r_eff = ceil(r/r_fold)``,
  ``slots = floor(rows/r_eff)*cols``; ``E <= slots``: ``replicas = floor(slots/E)``,
  ``e_pass = E``, ``e_fold = 1``; else ``e_fold = ceil(E/slots)``,
  ``e_pass = ceil(E/e_fold)``, ``replicas = 1``.
* Mapping ``(p, q, tf, tc)``: ``tf = min(floor(replicas/tc), ceil(F/p))``; fits when
  ``p*q*s`` weights, ``q*s`` inputs, ``p`` psums fit their scratchpads and ``rf_bytes``.
* ``passes = g*n*ceil(F/(p*tf))*ceil(C/(q*tc))*e_fold*r_fold``; per pass
  ``p*q*s*Q + (r_eff-1) + ceil(p*tf*q*tc*r_eff*s*wbytes/glb_bw)``.
* GLB -> array: weights ``g*n*e_fold*F*C*r*s`` unique (x ``e_pass`` delivered); inputs
  ``g*n*ceil(F/(p*tf))*C*rows*W`` unique, ``passes*r_eff*e_pass*tf*tc*q*W`` delivered;
  psum writes ``outputs*ceil(C/q)*r_fold``, reads that minus ``outputs``.  Multicast
  off: GLB reads = delivered copies.  NoC: delivered weights/inputs, psum reads,
  psum writes ``x r_eff``.  RF: 3 reads per MAC, writes = delivered + ``macs``.
* GLB reads also send the final outputs to DRAM; GLB writes = DRAM fetches + psum
  writes.  ``latency = max(compute, ceil(dram_B/dram_bw), ceil(glb_B/glb_bw))``.

Access tuples are ``(weight_r, weight_w, input_r, input_w, output_r, output_w)``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tldse
from tldse import _core

from .helpers import BIG, unbounded

REL = 1e-12
TOL = 1e-9  # Python reference vs C++ (different summation order)
TENSORS = ("weight", "input", "output")
LEVELS = ("dram", "glb", "noc", "rf")
OBJECTIVES = ("latency", "energy", "edp")
MODES = ("heuristic", "exhaustive")
# eyeriss: per 16-bit access MAC 1, RF 1, NoC 2, GLB 6, DRAM 200 (size independent).
EYERISS = {"dram": 200.0, "glb": 6.0, "noc": 2.0, "rf": 1.0}
MAPPING_KEYS = ("p", "q", "tf", "tc", "r_eff", "r_fold", "e_pass", "e_fold", "replicas")

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def rs_acc(**kw: Any) -> tldse.Accelerator:
    """An rs design, 16-bit everything, buffers and bandwidths that never limit."""
    return unbounded("rs", **kw)


def run(
    acc: tldse.Accelerator,
    layer: tldse.Layer,
    objective: str = "edp",
    mapper: str = "heuristic",
    energy: Any = "eyeriss",
) -> tldse.LayerReport:
    rep = tldse.simulate(
        acc,
        [layer],
        energy=energy,
        mapper_objective=objective,  # type: ignore[arg-type]
        mapper=mapper,  # type: ignore[arg-type]
    )
    (lr,) = rep.layers
    return lr


def core(
    acc: tldse.Accelerator,
    layer: tldse.Layer,
    table: Any,
    objective: str,
    mapper: str,
) -> dict[str, Any]:
    return _core.evaluate_layer(
        acc.row(), np.asarray(layer.row(), dtype=np.float64), table, objective, mapper
    )


def check_accesses(acc: dict[str, float], expected: dict[str, tuple]) -> None:
    for level, vals in expected.items():
        want = {}
        for i, (t, rw) in enumerate(itertools.product(TENSORS, ("reads", "writes"))):
            want[f"{level}_{t}_{rw}"] = vals[i]
        got = {k: acc[k] for k in want}
        assert got == pytest.approx(want, rel=REL), level


def eyeriss_energy(expected: dict[str, tuple], macs: float) -> float:
    """16-bit everything: each access costs exactly its table value, a MAC 1."""
    return macs + sum(EYERISS[lv] * sum(v) for lv, v in expected.items())


def objective_of(d: dict[str, Any], objective: str) -> float:
    m = d.get("metrics", d)
    lat, en = float(m["latency_cycles"]), float(m["energy_pj"])
    return {"latency": lat, "energy": en, "edp": lat * en}[objective]


# =====================================================================================
# Independent Python reimplementation of the documented rs model (docs/model.md).
# =====================================================================================


def cdiv(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class Shape:
    r_eff: int
    r_fold: int
    e_pass: int
    e_fold: int
    replicas: int


def rs_shape(acc: tldse.Accelerator, layer: tldse.Layer) -> Shape:
    r_fold = cdiv(layer.r, acc.pe_rows)
    r_eff = cdiv(layer.r, r_fold)
    slots = (acc.pe_rows // r_eff) * acc.pe_cols
    if layer.p <= slots:
        return Shape(r_eff, r_fold, layer.p, 1, slots // layer.p)
    e_fold = cdiv(layer.p, slots)
    return Shape(r_eff, r_fold, cdiv(layer.p, e_fold), e_fold, 1)


def input_hw(layer: tldse.Layer) -> tuple[int, int]:
    h = (layer.p - 1) * layer.stride_h + layer.dil_h * (layer.r - 1) + 1
    w = (layer.q - 1) * layer.stride_w + layer.dil_w * (layer.s - 1) + 1
    return max(1, h - 2 * layer.pad_h), max(1, w - 2 * layer.pad_w)


def rows_in(layer: tldse.Layer, first: int, rows: int, r0: int, r_rows: int) -> int:
    """Distinct real input rows that output rows [first, first+rows) read through
    filter rows [r0, r0+r_rows) (docs/model.md, rs inputs): padding excluded, rows
    that stride or dilation skip not read (exact for the small layers tested here)."""
    h, _ = input_hw(layer)
    st, dil, pad = layer.stride_h, layer.dil_h, layer.pad_h
    return len(
        {
            e * st - pad + i * dil
            for e in range(first, first + rows)
            for i in range(r0, r0 + r_rows)
            if 0 <= e * st - pad + i * dil < h
        }
    )


def rs_rows_total(layer: tldse.Layer, sh: Shape) -> int:
    """Input rows summed over every (output strip, filter-row piece) pair."""
    total = 0
    for rf in range(sh.r_fold):
        r0 = rf * sh.r_eff
        r_rows = min(sh.r_eff, layer.r - r0)
        for e in range(sh.e_fold):
            first = e * sh.e_pass
            if first < layer.p and r_rows > 0:
                rows = min(sh.e_pass, layer.p - first)
                total += rows_in(layer, first, rows, r0, r_rows)
    return total


def dram_input_rows_big_glb(layer: tldse.Layer) -> int:
    """With a GLB that holds everything, the fewest DRAM bytes read each weight and
    write each output once and read the inputs with the row tiling (powers of two
    below E, E, or whole images) that reads the fewest input rows per image."""
    e = layer.p
    sizes = [1 << i for i in range(64) if (1 << i) < e] + [e]
    best = input_hw(layer)[0]  # whole images
    for pr in sizes:
        s = sum(rows_in(layer, f, min(pr, e - f), 0, layer.r) for f in range(0, e, pr))
        best = min(best, s)
    return best


def fits(acc: tldse.Accelerator, layer: tldse.Layer, p: int, q: int) -> bool:
    w = p * q * layer.s * acc.weight_bits / 8
    i = q * layer.s * acc.act_bits / 8
    o = p * acc.psum_bits / 8
    parts = (acc.rf_weight_bytes, acc.rf_input_bytes, acc.rf_output_bytes)
    if any(x > 0 for x in parts) and (w > parts[0] or i > parts[1] or o > parts[2]):
        return False
    return w + i + o <= acc.rf_bytes


def block_sizes(d: int) -> list[int]:
    """Every value up to 32 (and up to d) and every balanced ceil(d/k), k <= 32."""
    return sorted(set(range(1, min(d, 32) + 1)) | {cdiv(d, k) for k in range(1, 33)})


def replica_splits(replicas: int) -> list[int]:
    """tc: every value up to 32 (and up to replicas) and floor(replicas/k), k <= 32."""
    out = set(range(1, min(replicas, 32) + 1))
    out |= {replicas // k for k in range(1, 33) if replicas // k >= 1}
    return sorted(out)


def splits_for(replicas: int, c: int, q: int) -> list[int]:
    """The exhaustive tc set for a given q: the replica splits plus one replica per
    channel block, min(replicas, ceil(C/q))."""
    return sorted(set(replica_splits(replicas)) | {min(replicas, cdiv(c, q))})


def tf_for(sh: Shape, layer: tldse.Layer, p: int, tc: int) -> int:
    f = layer.k // layer.groups
    return max(1, min(sh.replicas // tc, cdiv(f, p)))


Mapping = tuple[int, int, int, int]  # p, q, tf, tc


def brute_force_mappings(acc: tldse.Accelerator, layer: tldse.Layer) -> list[Mapping]:
    """Every fitting mapping of the documented exhaustive candidate set."""
    sh = rs_shape(acc, layer)
    f, c = layer.k // layer.groups, layer.c // layer.groups
    out = []
    for p, q in itertools.product(block_sizes(f), block_sizes(c)):
        if fits(acc, layer, p, q):
            for tc in splits_for(sh.replicas, c, q):
                out.append((p, q, tf_for(sh, layer, p, tc), tc))
    return out


def doc_heuristic_mappings(acc: tldse.Accelerator, layer: tldse.Layer) -> list[Mapping]:
    """The heuristic's candidates as documented (for F, C <= 32, where every size up
    to the dimension is a block size): q from the largest that fits down by halves,
    plus ceil(C/replicas); per q the largest fitting p, its balanced size and
    ceil(F/replicas); tc in {1, min(replicas, ceil(C/q))}."""
    sh = rs_shape(acc, layer)
    f, c = layer.k // layer.groups, layer.c // layer.groups
    assert f <= 32 and c <= 32
    fit_q = [q for q in range(1, c + 1) if fits(acc, layer, 1, q)]
    if not fit_q:
        return []
    q_max = max(fit_q)
    q_choices = {cdiv(c, sh.replicas)} if cdiv(c, sh.replicas) <= q_max else set()
    t = q_max
    while t >= 1:
        q_choices.add(t)
        t //= 2
    out = []
    for q in sorted(q_choices):
        p_max = max(p for p in range(1, f + 1) if fits(acc, layer, p, q))
        p_choices = {p_max, cdiv(f, cdiv(f, p_max))}
        if cdiv(f, sh.replicas) <= p_max:
            p_choices.add(cdiv(f, sh.replicas))
        for p in sorted(p_choices):
            for tc in sorted({1, min(sh.replicas, cdiv(c, q))}):
                out.append((p, q, tf_for(sh, layer, p, tc), tc))
    return out


def ref_eval(
    acc: tldse.Accelerator,
    layer: tldse.Layer,
    table: tldse.EnergyTable,
    mappings: list[Mapping],
) -> dict[str, npt.NDArray[np.float64]]:
    """The documented rs cost of each mapping (vectorised), for a GLB that holds
    everything (so the DRAM traffic is each tensor once, inputs at the best row
    tiling)."""
    arr = np.asarray(mappings, dtype=np.float64).reshape(-1, 4)
    p, q, tf, tc = arr.T
    sh = rs_shape(acc, layer)
    g, n = layer.groups, layer.n
    f, c = layer.k // g, layer.c // g
    e, qq, r, s = layer.p, layer.q, layer.r, layer.s
    _, w_in = input_hw(layer)
    macs = float(layer.macs)
    wb, ab, pb = acc.weight_bits, acc.act_bits, acc.psum_bits

    n_f = np.ceil(f / (p * tf))
    n_c = np.ceil(c / (q * tc))
    passes = g * n * n_f * n_c * sh.e_fold * sh.r_fold
    # without multicast every PE of the strip gets its own copy of the weights
    w_words = p * tf * q * tc * sh.r_eff * s * (1 if acc.multicast else sh.e_pass)
    refill = np.ceil(w_words * wb / 8.0 / acc.glb_bw_bytes_per_cycle)
    compute = passes * (p * q * s * qq + (sh.r_eff - 1) + refill)

    outputs = float(g * n * f * e * qq)
    w_u = float(g * n * sh.e_fold * f * c * r * s)
    w_d = w_u * sh.e_pass
    i_u = g * n * n_f * c * rs_rows_total(layer, sh) * w_in
    i_d = passes * sh.r_eff * sh.e_pass * tf * tc * q * w_in
    o_w = outputs * np.ceil(c / q) * sh.r_fold
    o_r = o_w - outputs
    d_w = float(g * f * c * r * s)
    d_i = float(g * n * c * dram_input_rows_big_glb(layer) * w_in)
    zero = np.zeros_like(p)
    one = np.ones_like(p)
    mc = acc.multicast
    acc_: dict[str, Any] = {
        "dram": ((d_w, 0.0), (d_i, 0.0), (0.0, outputs)),
        "glb": (
            (w_u * one if mc else w_d * one, d_w),
            (i_u if mc else i_d, d_i),
            (o_r + outputs, o_w),
        ),
        "noc": ((w_d, 0.0), (i_d, 0.0), (o_r, o_w * sh.r_eff)),
        "rf": ((macs, w_d), (macs, i_d), (macs, macs)),
    }
    out: dict[str, npt.NDArray[np.float64]] = {"compute_cycles": compute}
    for level, per_t in acc_.items():
        for t, (rd, wr) in zip(TENSORS, per_t, strict=True):
            out[f"{level}_{t}_reads"] = zero + rd
            out[f"{level}_{t}_writes"] = zero + wr

    bits = {"weight": wb, "input": ab, "output": pb}
    dram_bytes = (d_w * wb + d_i * ab + outputs * ab) / 8
    glb_bytes = sum(
        (out[f"glb_{t}_reads"] + out[f"glb_{t}_writes"]) * bits[t] / 8 for t in TENSORS
    )
    out["latency_cycles"] = np.maximum(
        compute,
        np.maximum(
            math.ceil(dram_bytes / acc.dram_bw_bytes_per_cycle),
            np.ceil(glb_bytes / acc.glb_bw_bytes_per_cycle),
        ),
    )

    ref = table.ref_bits
    exp = table.sram_size_exponent
    rf_scale = (max(acc.rf_bytes, 1.0) / table.rf_ref_bytes) ** exp
    glb_scale = (max(acc.glb_bytes, 1.0) / table.glb_ref_bytes) ** exp
    per_word = {
        "rf": table.rf_pj * rf_scale,
        "noc": table.noc_pj,
        "glb": table.glb_pj * glb_scale,
        "dram": table.dram_pj,
    }
    assert table.leakage_mw_per_mm2 == 0
    energy = zero + macs * table.mac_pj * wb * ab / ref**2
    for level in LEVELS:
        for t in TENSORS:
            for rw in ("reads", "writes"):
                b = bits[t]
                if (level, t, rw) == ("dram", "output", "writes"):
                    b = ab  # final outputs go to DRAM at act_bits (no partial sums)
                energy = energy + out[f"{level}_{t}_{rw}"] * per_word[level] * b / ref
    out["energy_pj"] = energy
    out["edp"] = out["latency_cycles"] * energy
    return out


def ref_objective(ref: dict[str, npt.NDArray[np.float64]], objective: str) -> Any:
    return {"latency": ref["latency_cycles"], "energy": ref["energy_pj"]}.get(
        objective, ref["edp"]
    )


# =====================================================================================
# Part 1: hand-computed cases.
# =====================================================================================

# Layer used by cases A and B: 3x3 conv, c = k = 2, 5x5 input, no padding.
#   E = Q = 3, H = W = 5, F = C = 2, MACs = 1*3*3*2*2*3*3 = 324.
#   DRAM (GLB holds everything): weights 2*2*9 = 36, inputs 2*5*5 = 50, outputs
#   2*3*3 = 18 written once.
CONV5 = tldse.Layer.conv("conv5", c=2, k=2, h=5, r=3)
# Scratchpads that force p = q = 1 at 16 bit with s = 3: weights p*q*3*2 B <= 6,
# inputs q*3*2 B <= 6, psums p*2 B <= 2.
RF_PQ1 = {
    "rf_bytes": 14,
    "rf_weight_bytes": 6,
    "rf_input_bytes": 6,
    "rf_output_bytes": 2,
}


@dataclass(frozen=True)
class HandCase:
    acc: tldse.Accelerator
    layer: tldse.Layer
    mapping: dict[str, int]
    compute: float
    accesses: dict[str, tuple]  # with multicast
    glb_no_mc: tuple  # GLB accesses with multicast off


# ---------------------------------------------------------------------------------
# Case A: 3x4 PEs, CONV5, forced p = q = 1.
#   rs_shape: r_fold = ceil(3/3) = 1, r_eff = 3, slots = floor(3/3)*4 = 4;
#             E = 3 <= 4 -> replicas = floor(4/3) = 1, e_pass = 3, e_fold = 1.
#   mapping: replicas 1 -> tc = 1, tf = min(1/1, ceil(2/1)) = 1.  Unique.
#   passes = 1*1*ceil(2/1)*ceil(2/1)*1*1 = 4
#   per pass = p*q*s*Q + (r_eff-1) + ceil(p*tf*q*tc*r_eff*s*2 B / 2^20)
#            = 1*1*3*3 + 2 + ceil(18/2^20) = 9 + 2 + 1 = 12;  compute = 48
#   weights: unique g*n*e_fold*F*C*r*s = 36; delivered x e_pass 3 = 108
#   inputs: rows (strip 0..2, filter rows 0..2) = input rows 0..4 = 5;
#           unique = g*n*ceil(F/(p*tf))*C*rows*W = 2*2*5*5 = 100;
#           delivered = passes*r_eff*e_pass*tf*tc*q*W = 4*3*3*1*1*1*5 = 180
#   psums: outputs 18; writes 18*ceil(2/1)*1 = 36; reads 36 - 18 = 18;
#          NoC writes 36 * r_eff = 108
#   GLB reads: w 36, i 100, o 18 + 18 (final outputs to DRAM) = 36
#   GLB writes: w 36, i 50 (from DRAM), o 36
#   RF: reads 324 each; writes w 108, i 180, o 324
#   util = 324 / (49 * 12) = 0.5510...
#   Energy (eyeriss, 16 bit), multicast on:
#     MAC 324; RF 3*324 + 108+180+324 = 1584; NoC 2*(108+180+18+108) = 828;
#     GLB 6*(36+36+100+50+36+36) = 1764; DRAM 200*(36+50+18) = 20800 -> 25300.
#   Multicast off: GLB reads w 108, i 180 -> GLB 6*446 = 2676 -> 26212.
# ---------------------------------------------------------------------------------
CASE_A = HandCase(
    acc=rs_acc(pe_rows=3, pe_cols=4, **RF_PQ1),
    layer=CONV5,
    mapping=dict(
        p=1, q=1, tf=1, tc=1, r_eff=3, r_fold=1, e_pass=3, e_fold=1, replicas=1
    ),
    compute=48,
    accesses={
        "dram": (36, 0, 50, 0, 0, 18),
        "glb": (36, 36, 100, 50, 36, 36),
        "noc": (108, 0, 180, 0, 18, 108),
        "rf": (324, 108, 324, 180, 324, 324),
    },
    glb_no_mc=(108, 36, 180, 50, 36, 36),
)

# ---------------------------------------------------------------------------------
# Case B (r_fold > 1): 2x3 PEs, CONV5, forced p = q = 1.
#   rs_shape: r_fold = ceil(3/2) = 2, r_eff = ceil(3/2) = 2,
#             slots = floor(2/2)*3 = 3; E = 3 <= 3 -> replicas 1, e_pass 3, e_fold 1.
#   passes = 1*1*2*2*1*2 = 8;  per pass = 9 + (2-1) + ceil(1*1*1*1*2*3*2/2^20) = 11
#   compute = 88;  util = 324 / (89 * 6)
#   weights: unique 36 (every filter row once), delivered 36*3 = 108
#   inputs: rows: piece 0 (filter rows 0-1) reads input rows 0..3 = 4,
#           piece 1 (filter row 2) reads input rows 2..4 = 3 -> 7;
#           unique 2*2*7*5 = 140; delivered 8*2*3*1*1*1*5 = 240
#   psums: writes 18*ceil(2/1)*r_fold 2 = 72; reads 72 - 18 = 54; NoC w 72*2 = 144
#   GLB reads: w 36, i 140, o 54 + 18 = 72; writes: w 36, i 50, o 72
#   Energy on: MAC 324; RF 972 + (108+240+324) = 1644; NoC 2*(108+240+54+144) = 1092;
#     GLB 6*(36+36+140+50+72+72) = 2436; DRAM 20800 -> 26296.
#   Off: GLB 6*(108+36+240+50+72+72) = 3468 -> 27328.
# ---------------------------------------------------------------------------------
CASE_B = HandCase(
    acc=rs_acc(pe_rows=2, pe_cols=3, **RF_PQ1),
    layer=CONV5,
    mapping=dict(
        p=1, q=1, tf=1, tc=1, r_eff=2, r_fold=2, e_pass=3, e_fold=1, replicas=1
    ),
    compute=88,
    accesses={
        "dram": (36, 0, 50, 0, 0, 18),
        "glb": (36, 36, 140, 50, 72, 72),
        "noc": (108, 0, 240, 0, 54, 144),
        "rf": (324, 108, 324, 240, 324, 324),
    },
    glb_no_mc=(108, 36, 240, 50, 72, 72),
)

# ---------------------------------------------------------------------------------
# Case C (e_fold > 1, padding): 3x2 PEs, 3x3 conv pad 1 on 5x5, c = k = 2.
#   E = Q = 5, H = (5-1) + 2 + 1 - 2 = 5, W = 5; MACs = 25*2*2*9 = 900.
#   DRAM: weights 36, inputs 50, outputs 50.
#   rs_shape: r_fold 1, r_eff 3, slots = 1*2 = 2; E = 5 > 2 -> e_fold = ceil(5/2) = 3,
#             e_pass = ceil(5/3) = 2, replicas 1.  p = q = 1 forced; tc = tf = 1.
#   passes = 2*2*3*1 = 12;  per pass = 1*1*3*5 + 2 + 1 = 18;  compute = 216
#   weights: unique g*n*e_fold*F*C*r*s = 3*36 = 108; delivered x2 = 216
#   inputs: strips [0,2) [2,4) [4,5); output row j reads input rows j-1..j+1,
#           padding excluded: 0..2 = 3, 1..4 = 4, 3..4 = 2 -> rows = 9;
#           unique 2*2*9*5 = 180; delivered 12*3*2*1*1*1*5 = 360
#   psums: outputs 50; writes 50*2*1 = 100; reads 50; NoC writes 100*3 = 300
#   GLB reads: w 108, i 180, o 50 + 50 = 100; writes: w 36, i 50, o 100
#   Energy on: MAC 900; RF 2700 + (216+360+900) = 4176; NoC 2*(216+360+50+300) = 1852;
#     GLB 6*(108+36+180+50+100+100) = 3444; DRAM 200*(36+50+50) = 27200 -> 37572.
#   Off: GLB 6*(216+36+360+50+100+100) = 5172 -> 39300.
# ---------------------------------------------------------------------------------
CASE_C = HandCase(
    acc=rs_acc(pe_rows=3, pe_cols=2, **RF_PQ1),
    layer=tldse.Layer.conv("pad", c=2, k=2, h=5, r=3, pad=1),
    mapping=dict(
        p=1, q=1, tf=1, tc=1, r_eff=3, r_fold=1, e_pass=2, e_fold=3, replicas=1
    ),
    compute=216,
    accesses={
        "dram": (36, 0, 50, 0, 0, 50),
        "glb": (108, 36, 180, 50, 100, 100),
        "noc": (216, 0, 360, 0, 50, 300),
        "rf": (900, 216, 900, 360, 900, 900),
    },
    glb_no_mc=(216, 36, 360, 50, 100, 100),
)

# ---------------------------------------------------------------------------------
# Case E (GEMM): (4 x 5) @ (5 x 3) -> E = M = 4, C = K = 5, F = N = 3, Q = r = s = 1.
#   2x3 PEs; scratchpads 2 B each (one 16-bit word): p = q = 1.  MACs = 60.
#   H = (4-1) + 1 = 4, W = 1.  DRAM: weights 15, inputs 20, outputs 12.
#   rs_shape: r_fold 1, r_eff 1, slots = floor(2/1)*3 = 6; E = 4 -> replicas 1,
#             e_pass 4, e_fold 1.
#   passes = 3*5 = 15;  per pass = 1*1*1*1 + 0 + ceil(2/2^20) = 2;  compute 30
#   util = 60 / (31 * 6)
#   weights: unique 15, delivered 15*4 = 60
#   inputs: rows 4; unique 3*5*4*1 = 60; delivered 15*1*4*1*1*1*1 = 60
#   psums: outputs 12; writes 12*5 = 60; reads 48; NoC writes 60*1 = 60
#   GLB reads: w 15, i 60, o 48 + 12 = 60; writes: w 15, i 20, o 60
#   Energy on: MAC 60; RF 180 + 180 = 360; NoC 2*(60+60+48+60) = 456;
#     GLB 6*(15+15+60+20+60+60) = 1380; DRAM 200*47 = 9400 -> 11656.
#   Off: GLB 6*(60+15+60+20+60+60) = 1650 -> 11926.
# ---------------------------------------------------------------------------------
CASE_E = HandCase(
    acc=rs_acc(
        pe_rows=2,
        pe_cols=3,
        rf_bytes=6,
        rf_weight_bytes=2,
        rf_input_bytes=2,
        rf_output_bytes=2,
    ),
    layer=tldse.Layer.gemm("gemm", m=4, n=3, k=5),
    mapping=dict(
        p=1, q=1, tf=1, tc=1, r_eff=1, r_fold=1, e_pass=4, e_fold=1, replicas=1
    ),
    compute=30,
    accesses={
        "dram": (15, 0, 20, 0, 0, 12),
        "glb": (15, 15, 60, 20, 60, 60),
        "noc": (60, 0, 60, 0, 48, 60),
        "rf": (60, 60, 60, 60, 60, 60),
    },
    glb_no_mc=(60, 15, 60, 20, 60, 60),
)

HAND = {
    "A": (CASE_A, 25300.0, 26212.0),
    "B_r_fold": (CASE_B, 26296.0, 27328.0),
    "C_e_fold": (CASE_C, 37572.0, 39300.0),
    "E_gemm": (CASE_E, 11656.0, 11926.0),
}


@pytest.mark.parametrize("name", list(HAND))
@pytest.mark.parametrize("multicast", [True, False])
@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("mapper", MODES)
def test_hand_case(name: str, multicast: bool, objective: str, mapper: str) -> None:
    case, e_on, e_off = HAND[name]
    acc = case.acc.replace(multicast=multicast)
    lr = run(acc, case.layer, objective, mapper)
    assert lr.status == "ok"
    # one mapping fits, so every objective and mode returns it
    assert lr.mapping == case.mapping
    m = lr.metrics
    macs = case.layer.macs
    assert m["macs"] == macs
    assert m["compute_cycles"] == case.compute
    assert m["latency_cycles"] == case.compute  # nothing limits
    assert m["stall_cycles"] == 0
    # rs: utilization = macs / (compute_cycles * PEs) (docs/model.md, rs section).
    assert m["utilization"] == pytest.approx(
        macs / (case.compute * acc.num_pes), rel=REL
    )
    expected = dict(case.accesses)
    if not multicast:
        expected["glb"] = case.glb_no_mc
    check_accesses(lr.accesses, expected)
    energy = e_on if multicast else e_off
    assert eyeriss_energy(expected, macs) == energy  # the hand sums above agree
    assert m["energy_pj"] == pytest.approx(energy, rel=REL)
    assert e_on < e_off  # multicast saves GLB reads (stride 1)


# ---------------------------------------------------------------------------------
# Case A with limited bandwidth (energy is unchanged: no leakage in the table).
#   glb_bw = 4 B/cycle: refill = ceil(18/4) = 5 -> per pass 9 + 2 + 5 = 16,
#     compute = 4*16 = 64.  GLB words (multicast on) 36+36+100+50+36+36 = 294
#     -> 588 B / 4 = 147 cycles: latency 147, stall 147 - 64 = 83.
#     Multicast off: every PE of the e_pass = 3 strip gets its own weights, so the
#     refill moves 3*18 = 54 B: ceil(54/4) = 14 -> per pass 9 + 2 + 14 = 25, compute
#     4*25 = 100; GLB 108+36+180+50+36+36 = 446 words -> 892 / 4 = 223, stall 123.
#   dram_bw = 1 B/cycle (GLB bandwidth 2^20): DRAM bytes (36+50+18)*2 = 208
#     -> latency 208, compute 48, stall 160.
#   dram_bw = 16: 208/16 = 13 < 48: compute bound again.
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("multicast", "glb_bw", "dram_bw", "compute", "latency", "energy"),
    [
        (True, 4, BIG, 64, 147, 25300.0),
        (False, 4, BIG, 100, 223, 26212.0),
        (True, BIG, 1, 48, 208, 25300.0),
        (False, BIG, 1, 48, 208, 26212.0),
        (True, BIG, 16, 48, 48, 25300.0),
    ],
)
def test_hand_case_bandwidth_bound(
    multicast: bool,
    glb_bw: int,
    dram_bw: int,
    compute: int,
    latency: int,
    energy: float,
) -> None:
    acc = CASE_A.acc.replace(
        multicast=multicast,
        glb_bw_bytes_per_cycle=glb_bw,
        dram_bw_bytes_per_cycle=dram_bw,
    )
    for mapper in MODES:
        m = run(acc, CONV5, mapper=mapper).metrics
        assert m["compute_cycles"] == compute
        assert m["latency_cycles"] == latency
        assert m["stall_cycles"] == latency - compute
        assert m["energy_pj"] == pytest.approx(energy, rel=REL)


# ---------------------------------------------------------------------------------
# Case D (replicas > 1): 3x4 PEs, 3x3 conv c = k = 2 on a 4x4 input, p = q = 1 forced.
#   E = Q = 2, H = W = 4, MACs = 2*2*2*2*9 = 144.  DRAM: w 36, i 2*4*4 = 32, o 8.
#   rs_shape: r_fold 1, r_eff 3, slots 4, E = 2 -> replicas = 2, e_pass 2, e_fold 1.
#   Two mappings fit (tc in {1, 2}):
#   M_A: tc = 1, tf = min(2/1, ceil(2/1)) = 2 (the two replicas take both filters)
#     passes = ceil(2/2)*ceil(2/1) = 2; per pass 1*1*3*2 + 2 + ceil(2*3*3*2/2^20) = 9
#     compute 18.  weights unique 36, delivered 72.
#     inputs: rows 0..3 = 4; unique 1*2*4*4 = 32; delivered 2*3*2*2*1*1*4 = 96
#     psums: outputs 8, writes 8*2 = 16, reads 8, NoC writes 48
#     GLB reads w 36, i 32, o 8 + 8 = 16; writes w 36, i 32, o 16
#     energy (on): MAC 144; RF 432 + (72+96+144) = 744; NoC 2*(72+96+8+48) = 448;
#       GLB 6*(36+36+32+32+16+16) = 1008; DRAM 200*(36+32+8) = 15200 -> 17544.
#   M_B: tc = 2, tf = min(2/2, 2) = 1 (the replicas take both channels)
#     passes = ceil(2/1)*ceil(2/2) = 2, compute 18 (same);
#     inputs unique 2*2*4*4 = 64 (each filter re-reads them) -> energy +6*32 = 17736.
#   So M_A for energy and EDP (same latency 18).  Multicast off: GLB input reads =
#   delivered = 96 for both, everything else equal: a tie at 17544 + 6*(96-32) +
#   6*(72-36) = 18144.
# ---------------------------------------------------------------------------------
CASE_D_ACC = rs_acc(pe_rows=3, pe_cols=4, **RF_PQ1)
CASE_D_LAYER = tldse.Layer.conv("rep", c=2, k=2, h=4, r=3)
CASE_D_MA = {
    "dram": (36, 0, 32, 0, 0, 8),
    "glb": (36, 36, 32, 32, 16, 16),
    "noc": (72, 0, 96, 0, 8, 48),
    "rf": (144, 72, 144, 96, 144, 144),
}


@pytest.mark.parametrize("mapper", MODES)
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_hand_case_replicas(mapper: str, objective: str) -> None:
    lr = run(CASE_D_ACC, CASE_D_LAYER, objective, mapper)
    shape = {k: lr.mapping[k] for k in ("r_eff", "r_fold", "e_pass", "e_fold")}
    assert shape == {"r_eff": 3, "r_fold": 1, "e_pass": 2, "e_fold": 1}
    assert lr.mapping["replicas"] == 2
    assert lr.metrics["compute_cycles"] == 18
    assert lr.metrics["latency_cycles"] == 18
    if objective != "latency":  # both mappings take 18 cycles: latency ties
        assert (lr.mapping["tf"], lr.mapping["tc"]) == (2, 1)
        assert eyeriss_energy(CASE_D_MA, 144) == 17544
        check_accesses(lr.accesses, CASE_D_MA)
        assert lr.metrics["energy_pj"] == pytest.approx(17544, rel=REL)
    # the two candidates are equally good with multicast off
    off = run(CASE_D_ACC.replace(multicast=False), CASE_D_LAYER, objective, mapper)
    expected_off = dict(CASE_D_MA, glb=(72, 36, 96, 32, 16, 16))
    assert eyeriss_energy(expected_off, 144) == 18144
    check_accesses(off.accesses, expected_off)
    assert off.metrics["energy_pj"] == pytest.approx(18144, rel=REL)


# ---------------------------------------------------------------------------------
# Case F (objective switch): 1x6 PEs, rf_bytes 24 shared, glb_bw 16 B/cycle, multicast
# on; 3x3 conv c = 1, k = 3 on a 4x4 input: E = Q = 2, H = W = 4, MACs = 2*2*3*9 = 108.
#   rs_shape: r_fold = 3, r_eff = 1, slots = 6, replicas = floor(6/2) = 3, e_pass 2.
#   Fit: 16-bit, s = 3: 6*p*q + 6*q + 2*p <= 24 -> q = 1 (C = 1), p <= 2.
#   DRAM: w 27, i 16, o 12 (110 B: 1 cycle).  GLB (every mapping): reads w 27, i 24
#   (rows: three pieces of one filter row, each reading 2 input rows = 6; unique
#   1*1*6*4), o 24 + 12 = 36; writes w 27, i 16, o 36 -> 166 words = 332 B -> 21 cyc.
#   M1 = (p 1, q 1, tf 3, tc 1): passes = ceil(3/3)*1*3 = 3;
#     per pass 1*1*3*2 + 0 + ceil(1*3*1*1*1*3*2/16 = 18/16) = 6 + 2 = 8 -> compute 24,
#     latency max(24, 1, 21) = 24.  Inputs delivered 3*1*2*3*1*1*4 = 72.
#     energy: MAC 108; RF 324 + (54+72+108) = 558; NoC 2*(54+72+24+36) = 372;
#     GLB 6*166 = 996; DRAM 200*55 = 11000 -> 13034.
#   M2 = (p 2, q 1, tf 2, tc 1): tf = min(3, ceil(3/2)) = 2; passes = ceil(3/4)*3 = 3;
#     per pass 2*1*3*2 + 0 + ceil(2*2*3*2/16 = 24/16) = 12 + 2 = 14 -> compute 42,
#     latency 42.  Inputs delivered 3*1*2*2*1*1*4 = 48.
#     energy: RF 324 + (54+48+108) = 534; NoC 2*(54+48+24+36) = 324 -> 12962.
#   Other fits are worse on both counts (tc = 2, 3 with tf = 1: more passes, more
#   input reads; e.g. p 1 tc 2: 9 passes, 63 cycles).
#   -> latency: M1 (24, 13034); energy: M2 (42, 12962); EDP: M1 (312816 < 544404).
# ---------------------------------------------------------------------------------
CASE_F_ACC = rs_acc(pe_rows=1, pe_cols=6, rf_bytes=24, glb_bw_bytes_per_cycle=16)
CASE_F_LAYER = tldse.Layer.conv("switch", c=1, k=3, h=4, r=3)


@pytest.mark.parametrize("mapper", MODES)
def test_objective_switch_changes_the_mapping(mapper: str) -> None:
    res = {o: run(CASE_F_ACC, CASE_F_LAYER, o, mapper) for o in OBJECTIVES}
    pick = {
        o: (r.mapping["p"], r.mapping["q"], r.mapping["tf"], r.mapping["tc"])
        for o, r in res.items()
    }
    assert pick == {
        "latency": (1, 1, 3, 1),
        "energy": (2, 1, 2, 1),
        "edp": (1, 1, 3, 1),
    }
    lat = {o: r.metrics["latency_cycles"] for o, r in res.items()}
    en = {o: r.metrics["energy_pj"] for o, r in res.items()}
    assert lat == {"latency": 24, "energy": 42, "edp": 24}
    assert en == pytest.approx({"latency": 13034, "energy": 12962, "edp": 13034})
    assert res["energy"].metrics["compute_cycles"] == 42
    assert res["energy"].accesses["noc_input_reads"] == 48
    assert res["latency"].accesses["noc_input_reads"] == 72
    # the brief's property: each objective wins on its own measure, one strictly
    assert lat["latency"] <= lat["energy"] and en["energy"] <= en["latency"]
    assert lat["latency"] < lat["energy"] or en["energy"] < en["latency"]


# ---------------------------------------------------------------------------------
# Multicast never makes the GLB send more words than unicast: unique input rows are
# the distinct rows read (docs/model.md, rs inputs), never more than the deliveries.
# (a) stride > filter: 1x1 conv, stride 2, c = k = 1, 5x5 input (E = Q = 3, rows 0,
#     2, 4 used; H = W = 5).  1x3 PEs: r_eff 1, replicas 1, e_pass 3, one mapping.
#     Delivered: 1*1*3*1*1*1*5 = 15 words (= GLB reads without multicast).  Stride 2
#     >= extent 1: each output row reads its own row -> 3 rows, 3*5 = 15 with
#     multicast too.  DRAM: one-row tiles read rows 0, 2, 4: 15.
#     (The first rs version counted the span 0..4: 25 words.)
# (b) dilation 2, r = 3, stride 1, c = k = 1, 9x9 input: E = Q = 5, W = 9.  3x1 PEs:
#     r_eff 3, slots 1 -> e_fold 5 strips of e_pass 1.  Each strip's PEs read rows
#     e, e+2, e+4: delivered 5 strips * 3 rows * 9 = 135 (unicast GLB reads).  Stride
#     1 < extent 5: span 5, gcd(1, 2) = 1, at most 1*3 -> 3 rows per strip, so
#     multicast also reads 5*3*9 = 135 (the span alone gave 225).
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("layer", "acc", "unicast"),
    [
        (
            tldse.Layer.conv("s2", c=1, k=1, h=5, r=1, stride=2),
            rs_acc(pe_rows=1, pe_cols=3, rf_bytes=6),
            15,
        ),
        (
            tldse.Layer.conv("d2", c=1, k=1, h=9, r=3, dilation=2),
            rs_acc(pe_rows=3, pe_cols=1, rf_bytes=14),
            135,
        ),
    ],
    ids=["stride2", "dilation2"],
)
def test_multicast_never_increases_glb_reads(
    layer: tldse.Layer, acc: tldse.Accelerator, unicast: int
) -> None:
    on = run(acc, layer)
    off = run(acc.replace(multicast=False), layer)
    assert off.accesses["glb_input_reads"] == unicast
    assert on.accesses["noc_input_reads"] == unicast
    assert on.accesses["glb_input_reads"] == unicast
    assert on.metrics["energy_pj"] <= off.metrics["energy_pj"]
    if layer.name == "s2":
        assert on.accesses["dram_input_reads"] == 15
        assert on.accesses["glb_input_writes"] == 15


# =====================================================================================
# Part 2: mapper properties.
# =====================================================================================


@st.composite
def small_layers(draw: st.DrawFn, max_ch: int = 8, max_stride: int = 3) -> tldse.Layer:
    if draw(st.integers(0, 4)) == 0:
        return tldse.Layer.gemm(
            "g",
            m=draw(st.integers(1, 8)),
            n=draw(st.integers(1, max_ch)),
            k=draw(st.integers(1, max_ch)),
        )
    r = draw(st.integers(1, 4))
    dil = draw(st.sampled_from([1, 1, 2]))
    groups = draw(st.sampled_from([1, 1, 2]))
    c = groups * draw(st.integers(1, max_ch // groups))
    k = groups * draw(st.integers(1, max_ch // groups))
    return tldse.Layer.conv(
        "c",
        c=c,
        k=k,
        h=draw(st.integers(dil * (r - 1) + 1, 10)),
        w=draw(st.integers(dil * (r - 1) + 1, 8)),
        r=r,
        stride=draw(st.integers(1, max_stride)),
        pad=draw(st.integers(0, (r - 1) // 2)),
        dilation=dil,
        groups=groups,
        n=draw(st.integers(1, 2)),
    )


@st.composite
def rs_designs(draw: st.DrawFn, big_glb: bool = True) -> tldse.Accelerator:
    wb = draw(st.sampled_from([8, 16]))
    ab = draw(st.sampled_from([8, 16]))
    pb = draw(st.sampled_from([16, 32]))
    kw: dict[str, Any] = {}
    if draw(st.booleans()):
        parts = [(bits // 8) * draw(st.integers(1, 12)) for bits in (wb, ab, pb)]
        kw = dict(
            rf_weight_bytes=parts[0], rf_input_bytes=parts[1], rf_output_bytes=parts[2]
        )
        kw["rf_bytes"] = sum(parts) + draw(st.sampled_from([0, 0, 4, 64]))
    else:
        kw["rf_bytes"] = draw(st.sampled_from([8, 12, 16, 24, 32, 48, 64, 128, 256]))
    if big_glb:
        kw["glb_bytes"] = BIG
    else:
        kw["glb_bytes"] = float(2 ** draw(st.integers(8, 20)))
        if draw(st.booleans()):
            third = kw["glb_bytes"] / 4
            kw.update(
                glb_weight_bytes=third, glb_input_bytes=third, glb_output_bytes=third
            )
    return tldse.Accelerator(
        dataflow="rs",
        pe_rows=draw(st.integers(1, 6)),
        pe_cols=draw(st.integers(1, 6)),
        dram_bw_bytes_per_cycle=draw(st.sampled_from([1, 2, 16, BIG])),
        glb_bw_bytes_per_cycle=draw(st.sampled_from([1, 2, 4, 16, 64, BIG])),
        multicast=draw(st.booleans()),
        weight_bits=wb,
        act_bits=ab,
        psum_bits=pb,
        **kw,
    )


TABLES = {name: tldse.energy_table(name) for name in ("eyeriss", "horowitz45")}


def check_mapping_fits(
    acc: tldse.Accelerator, layer: tldse.Layer, mapping: dict[str, int]
) -> None:
    """Recomputes the scratchpad and replica constraints of a returned mapping."""
    p, q, tf, tc = (mapping[k] for k in ("p", "q", "tf", "tc"))
    wbytes = p * q * layer.s * acc.weight_bits / 8
    ibytes = q * layer.s * acc.act_bits / 8
    obytes = p * acc.psum_bits / 8
    if acc.rf_weight_bytes or acc.rf_input_bytes or acc.rf_output_bytes:
        assert wbytes <= acc.rf_weight_bytes
        assert ibytes <= acc.rf_input_bytes
        assert obytes <= acc.rf_output_bytes
    assert wbytes + ibytes + obytes <= acc.rf_bytes
    sh = rs_shape(acc, layer)
    assert {k: mapping[k] for k in MAPPING_KEYS[4:]} == sh.__dict__
    assert 1 <= tf * tc <= sh.replicas
    assert tf == tf_for(sh, layer, p, tc)
    assert p in block_sizes(layer.k // layer.groups)
    assert q in block_sizes(layer.c // layer.groups)
    assert tc in splits_for(sh.replicas, layer.c // layer.groups, q)


def compare_with_reference(
    acc: tldse.Accelerator,
    layer: tldse.Layer,
    d: dict[str, Any],
    ref: dict[str, npt.NDArray[np.float64]],
    i: int,
) -> None:
    """The C++ result for a mapping equals the Python reference for that mapping."""
    assert d["compute_cycles"] == pytest.approx(ref["compute_cycles"][i], rel=TOL)
    assert d["latency_cycles"] == pytest.approx(ref["latency_cycles"][i], rel=TOL)
    assert d["energy_pj"] == pytest.approx(ref["energy_pj"][i], rel=TOL)
    for level, t, rw in itertools.product(LEVELS, TENSORS, ("reads", "writes")):
        key = f"{level}_{t}_{rw}"
        assert d["accesses"][key] == pytest.approx(ref[key][i], rel=TOL), key
    assert d["utilization"] == pytest.approx(
        layer.macs / (d["compute_cycles"] * acc.num_pes), rel=TOL
    )


def check_against_brute_force(
    acc: tldse.Accelerator, layer: tldse.Layer, table_name: str
) -> None:
    table = TABLES[table_name]
    brute = brute_force_mappings(acc, layer)
    index = {m: i for i, m in enumerate(brute)}
    small = layer.k // layer.groups <= 32 and layer.c // layer.groups <= 32
    heur_set = set(doc_heuristic_mappings(acc, layer)) if small else set()
    ref = ref_eval(acc, layer, table, brute) if brute else {}
    for objective in OBJECTIVES:
        res = {mode: core(acc, layer, table, objective, mode) for mode in MODES}
        if not brute:  # no mapping fits the scratchpads
            for d in res.values():
                assert tldse.STATUS_NAMES[d["status"]] == "does_not_fit"
            continue
        values = ref_objective(ref, objective)
        best = float(values.min())
        for mode, d in res.items():
            assert d["status"] == 0
            m = d["rs_mapping"]
            check_mapping_fits(acc, layer, m)
            key = (m["p"], m["q"], m["tf"], m["tc"])
            assert key in index, (mode, key)
            compare_with_reference(acc, layer, d, ref, index[key])
        exh = objective_of(res["exhaustive"], objective)
        heur = objective_of(res["heuristic"], objective)
        # exhaustive is the minimum over the documented candidate set
        assert exh <= best * (1 + TOL)
        assert exh == pytest.approx(best, rel=TOL)
        assert heur >= exh * (1 - REL)
        if small:  # the heuristic is the minimum over its documented subset
            hm = res["heuristic"]["rs_mapping"]
            assert (hm["p"], hm["q"], hm["tf"], hm["tc"]) in heur_set
            hbest = min(float(values[index[m]]) for m in heur_set)
            assert heur == pytest.approx(hbest, rel=TOL)


@SETTINGS
@given(rs_designs(), small_layers(), st.sampled_from(sorted(TABLES)))
def test_exhaustive_and_heuristic_match_brute_force(
    acc: tldse.Accelerator, layer: tldse.Layer, table_name: str
) -> None:
    check_against_brute_force(acc, layer, table_name)


@pytest.mark.parametrize(
    ("acc", "layer"),
    [
        # F = 100, C = 70: balanced sizes above 32, p in {1..32, 34, 50, 100},
        # q in {1..32, 35, 70}; 1x100 PEs with E = 1 -> replicas 100,
        # tc in {1..32, 33, 50, 100}.  ~40k brute-force mappings.
        (
            rs_acc(
                pe_rows=1,
                pe_cols=100,
                rf_bytes=4096,
                weight_bits=8,
                act_bits=8,
                glb_bw_bytes_per_cycle=64,
            ),
            tldse.Layer.gemm("wide", m=1, n=100, k=70),
        ),
        (
            rs_acc(
                pe_rows=1,
                pe_cols=100,
                rf_bytes=400,
                weight_bits=8,
                act_bits=8,
                glb_bw_bytes_per_cycle=64,
                multicast=False,
            ),
            tldse.Layer.gemm("wide", m=1, n=100, k=70),
        ),
        # Eyeriss-like: 12x14 PEs, 11x11 filter rows (r_eff 11), E = 13 on 14 cols.
        (
            rs_acc(
                pe_rows=12,
                pe_cols=14,
                rf_bytes=512,
                rf_weight_bytes=448,
                rf_input_bytes=24,
                rf_output_bytes=40,
                glb_bw_bytes_per_cycle=64,
                dram_bw_bytes_per_cycle=16,
            ),
            tldse.Layer.conv("big", c=48, k=36, h=23, r=11),
        ),
        # the ceil(F/replicas) case of test_heuristic_tries_filters_spread_over_...
        (
            rs_acc(pe_rows=2, pe_cols=6, rf_bytes=64, glb_bw_bytes_per_cycle=16),
            tldse.Layer.conv("spread", c=1, k=5, h=4, r=3),
        ),
        # replicas 4 of a 3x13 set on 12x14 (Eyeriss CONV3-5 shape), F = C = 48
        (
            rs_acc(
                pe_rows=12,
                pe_cols=14,
                rf_bytes=512,
                rf_weight_bytes=448,
                rf_input_bytes=24,
                rf_output_bytes=40,
                glb_bw_bytes_per_cycle=16,
                multicast=False,
            ),
            tldse.Layer.conv("conv3", c=48, k=48, h=15, r=3),
        ),
        # stride 2 and dilation 2 with overlapping windows (extent 5): output rows
        # 0..2 read rows {0,2,4}, {2,4,6}, {4,6,8}: span 9 / gcd 2 -> 5 distinct rows
        (
            rs_acc(pe_rows=3, pe_cols=4, rf_bytes=64),
            tldse.Layer.conv("s2d2", c=2, k=3, h=9, r=3, stride=2, dilation=2),
        ),
        # one replica per channel block: tc = 70 is not a replica split of 100
        (
            rs_acc(
                pe_rows=1,
                pe_cols=100,
                rf_bytes=6,
                rf_weight_bytes=2,
                rf_input_bytes=2,
                rf_output_bytes=2,
            ),
            tldse.Layer.gemm("g", m=1, n=1, k=70),
        ),
    ],
    ids=[
        "replicas100",
        "replicas100_no_mc",
        "r11",
        "spread",
        "eyeriss_conv3",
        "stride2_dilation2",
        "tc_per_channel_block",
    ],
)
@pytest.mark.parametrize("table_name", sorted(TABLES))
def test_brute_force_fixed_cases(
    acc: tldse.Accelerator, layer: tldse.Layer, table_name: str
) -> None:
    sh = rs_shape(acc, layer)
    if layer.name == "s2d2":
        assert rs_rows_total(layer, sh) == 5
    if layer.name == "wide":
        assert sh.replicas == 100
        assert replica_splits(100)[31:] == [32, 33, 50, 100]
        assert block_sizes(100)[31:] == [32, 34, 50, 100]
        assert block_sizes(70)[31:] == [32, 35, 70]
    check_against_brute_force(acc, layer, table_name)


# ---------------------------------------------------------------------------------
# The heuristic's ceil(F / replicas) candidate: 2x6 PEs, rf 64 B shared, glb_bw 16;
# 3x3 conv c = 1, k = 5 on 4x4 (E = Q = 2, H = W = 4).
#   rs_shape: r_fold = ceil(3/2) = 2, r_eff = 2, slots = floor(2/2)*6 = 6,
#             replicas = 3, e_pass 2.  q = 1 (C = 1); fit 6p + 6 + 2p <= 64 -> p <= 7,
#             so the largest p is F = 5 and its balanced size is 5;
#             ceil(F/replicas) = 2 is the only other p the heuristic tries; tc = 1.
#   p = 5: tf = min(3, 1) = 1, passes = 1*1*2 = 2,
#          per pass 5*1*3*2 + 1 + ceil(5*1*1*1*2*3*2/16 = 3.75) = 35 -> compute 70.
#   p = 2: tf = min(3, ceil(5/2)) = 3, passes = ceil(5/6)*1*2 = 2,
#          per pass 2*1*3*2 + 1 + ceil(2*3*1*1*2*3*2/16 = 4.5) = 18 -> compute 36.
#          GLB words: reads w 45, i 20 (rows 3 + 2 = 5, x W 4), o 20 + 20; writes
#          w 45, i 16, o 40 -> 206 words, 412 B / 16 = 26 cycles < 36: latency 36.
#   Exhaustive agrees (p = 1: 4 passes of 10 = 40; p = 3: 48; p = 4: 62).
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mapper", MODES)
def test_heuristic_tries_filters_spread_over_replicas(mapper: str) -> None:
    acc = rs_acc(pe_rows=2, pe_cols=6, rf_bytes=64, glb_bw_bytes_per_cycle=16)
    layer = tldse.Layer.conv("spread", c=1, k=5, h=4, r=3)
    lr = run(acc, layer, "latency", mapper)
    assert (lr.mapping["p"], lr.mapping["q"], lr.mapping["tf"], lr.mapping["tc"]) == (
        2,
        1,
        3,
        1,
    )
    assert lr.mapping["replicas"] == 3
    assert lr.metrics["compute_cycles"] == 36
    assert lr.metrics["latency_cycles"] == 36


# ---------------------------------------------------------------------------------
# One replica per channel block when replicas > 32.  GEMM (1 x 70) @ (70 x 1):
# E = 1, F = 1, C = 70, Q = r = s = H = W = 1, MACs 70.  1x100 PEs, 16-bit,
# scratchpads of one word each -> p = q = 1.  rs_shape: r_eff 1, r_fold 1,
# slots 100, replicas 100, e_pass 1, e_fold 1.
#   tc = min(100, ceil(70/1)) = 70 is not a replica split ({1..32, 33, 50, 100}) but
#   is in both candidate sets (docs/model.md, The mapper).
#   tc = 70: tf = min(floor(100/70), ceil(1/1)) = 1; passes = 1*1*ceil(70/70) = 1;
#     per pass 1*1*1*1 + 0 + ceil(1*1*1*70*1*1*2/2^20) = 2 -> compute = latency 2.
#     weights unique 70, delivered 70; inputs unique 1*70*1*1 = 70, delivered
#     1*1*1*1*70*1*1 = 70; psums: outputs 1, writes 1*70*1 = 70, reads 69.
#     DRAM (70, 0, 70, 0, 0, 1); GLB (70, 70, 70, 70, 69 + 1, 70);
#     NoC (70, 0, 70, 0, 69, 70); RF (70, 70, 70, 70, 70, 70).
#     energy: MAC 70 + RF 420 + NoC 2*279 + GLB 6*420 + DRAM 200*141 = 31768.
#   tc = 1: 70 passes of 2 cycles = 140, same energy (70 deliveries either way).
#   tc = 100: 2 cycles, but 100 input deliveries: +30 NoC, +30 RF -> 31858.
#   tc = 50: ceil(70/50) = 2 passes -> 4 cycles.
#   -> EDP: tc = 70 (2 * 31768), in both modes (the heuristic tries {1, 70}).
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mapper", MODES)
def test_one_replica_per_channel_block_above_32_replicas(mapper: str) -> None:
    acc = rs_acc(
        pe_rows=1,
        pe_cols=100,
        rf_bytes=6,
        rf_weight_bytes=2,
        rf_input_bytes=2,
        rf_output_bytes=2,
    )
    layer = tldse.Layer.gemm("g", m=1, n=1, k=70)
    assert rs_shape(acc, layer).replicas == 100
    assert 70 not in replica_splits(100)
    expected = {
        "dram": (70, 0, 70, 0, 0, 1),
        "glb": (70, 70, 70, 70, 70, 70),
        "noc": (70, 0, 70, 0, 69, 70),
        "rf": (70, 70, 70, 70, 70, 70),
    }
    assert eyeriss_energy(expected, 70) == 31768
    lr = run(acc, layer, "edp", mapper)
    assert (lr.mapping["tf"], lr.mapping["tc"]) == (1, 70)
    assert lr.metrics["compute_cycles"] == 2
    assert lr.metrics["latency_cycles"] == 2
    assert lr.metrics["energy_pj"] == pytest.approx(31768, rel=REL)
    check_accesses(lr.accesses, expected)
    assert run(acc, layer, "latency", mapper).metrics["latency_cycles"] == 2
    assert run(acc, layer, "energy", mapper).metrics["energy_pj"] == 31768


def test_eyeriss_shapes_from_the_doc() -> None:
    """CONV1: 55 rows in 4 strips of 14 on 11x14 PEs (r = 11); CONV3-5: 4 copies of
    3 x 13 on 12x14 PEs."""
    conv1 = tldse.Layer.conv("conv1", c=3, k=96, h=227, r=11, stride=4)
    assert conv1.p == 55
    acc = rs_acc(pe_rows=11, pe_cols=14, rf_bytes=512)
    assert rs_shape(acc, conv1) == Shape(11, 1, 14, 4, 1)
    conv3 = tldse.Layer.conv("conv3", c=256, k=384, h=13, r=3, pad=1)
    acc = rs_acc(pe_rows=12, pe_cols=14, rf_bytes=512)
    assert rs_shape(acc, conv3) == Shape(3, 1, 13, 1, 4)
    for acc_, layer in ((acc.replace(pe_rows=11), conv1), (acc, conv3)):
        m = run(acc_, layer, energy=None).mapping
        assert {k: m[k] for k in MAPPING_KEYS[4:]} == rs_shape(acc_, layer).__dict__


@SETTINGS
@given(
    rs_designs(big_glb=False),
    small_layers(max_ch=24),
    st.sampled_from(["eyeriss", "horowitz45"]),
)
def test_heuristic_never_beats_exhaustive(
    acc: tldse.Accelerator, layer: tldse.Layer, table_name: str
) -> None:
    table = TABLES[table_name]
    res = {
        (o, mode): core(acc, layer, table, o, mode)
        for o in OBJECTIVES
        for mode in MODES
    }
    statuses = {d["status"] for d in res.values()}
    assert len(statuses) == 1  # feasibility does not depend on the search
    if statuses != {0}:
        return
    first = res["edp", "heuristic"]
    for (o, mode), d in res.items():
        check_mapping_fits(acc, layer, d["rs_mapping"])
        # the DRAM <-> GLB tiling does not depend on the mapping
        assert d["tiling"] == first["tiling"]
        for t, rw in itertools.product(TENSORS, ("reads", "writes")):
            key = f"dram_{t}_{rw}"
            assert d["accesses"][key] == first["accesses"][key]
        if mode == "heuristic":
            exh = objective_of(res[o, "exhaustive"], o)
            assert objective_of(d, o) >= exh * (1 - REL)
    # each objective's choice is best on its own measure, within a mode (both modes
    # search a candidate set that does not depend on the objective)
    for mode in MODES:
        for o, other in itertools.product(OBJECTIVES, OBJECTIVES):
            mine = objective_of(res[o, mode], o)
            assert mine <= objective_of(res[other, mode], o) * (1 + REL)


@SETTINGS
@given(rs_designs(big_glb=False), small_layers(max_ch=24), st.integers(1, 6))
def test_more_glb_bandwidth_never_raises_latency_optimum(
    acc: tldse.Accelerator, layer: tldse.Layer, factor: int
) -> None:
    """Per mapping, latency is non-increasing in the GLB bandwidth and the candidate
    sets do not depend on it, so the latency optimum cannot rise."""
    table = TABLES["eyeriss"]
    faster = acc.replace(glb_bw_bytes_per_cycle=acc.glb_bw_bytes_per_cycle * factor)
    for mode in MODES:
        a = core(acc, layer, table, "latency", mode)
        b = core(faster, layer, table, "latency", mode)
        if a["status"] == 0:
            assert b["latency_cycles"] <= a["latency_cycles"]


@SETTINGS
@given(rs_designs(big_glb=False), small_layers(max_ch=24))
def test_multicast_never_costs_energy_or_time(
    acc: tldse.Accelerator, layer: tldse.Layer
) -> None:
    """Per mapping, multicast only replaces delivered copies by unique words (never
    more) in the GLB reads, and neither candidate set depends on it: the energy and
    latency optima with multicast are never worse than without."""
    table = TABLES["eyeriss"]
    for mode, objective in itertools.product(MODES, ("energy", "latency")):
        on = core(acc.replace(multicast=True), layer, table, objective, mode)
        off = core(acc.replace(multicast=False), layer, table, objective, mode)
        assert on["status"] == off["status"]
        if on["status"] == 0:
            assert objective_of(on, objective) <= objective_of(off, objective) * (
                1 + REL
            )


def flat(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update({f"{k}.{kk}": vv for kk, vv in flat(v).items()})
        else:
            out[k] = v
    return out


def test_deterministic() -> None:
    layers = [
        CONV5,
        CASE_C.layer,
        CASE_D_LAYER,
        CASE_E.layer,
        CASE_F_LAYER,
        tldse.Layer.conv("dw", c=8, k=8, h=9, r=3, groups=8, pad=1),
    ]
    acc = rs_acc(pe_rows=4, pe_cols=5, rf_bytes=64, glb_bw_bytes_per_cycle=8)
    table = TABLES["horowitz45"]
    for o, mode in itertools.product(OBJECTIVES, MODES):
        for layer in layers:
            a = flat(core(acc, layer, table, o, mode))
            b = flat(core(acc, layer, table, o, mode))
            assert a == b
        r1 = tldse.simulate(acc, layers, mapper_objective=o, mapper=mode)  # type: ignore[arg-type]
        r2 = tldse.simulate(acc, layers, mapper_objective=o, mapper=mode)  # type: ignore[arg-type]
        assert r1.layers == r2.layers
        # the threaded batch path picks the same mappings as the one-layer path
        accs = [acc, acc.replace(multicast=False), acc.replace(pe_cols=3)]
        e1 = tldse.evaluate(accs, layers, mapper_objective=o, mapper=mode, threads=1)  # type: ignore[arg-type]
        e4 = tldse.evaluate(accs, layers, mapper_objective=o, mapper=mode, threads=4)  # type: ignore[arg-type]
        for f in e1:
            np.testing.assert_array_equal(e1[f], e4[f])
        for i, a_ in enumerate(accs):
            rep = tldse.simulate(a_, layers, mapper_objective=o, mapper=mode)  # type: ignore[arg-type]
            for j, lr in enumerate(rep.layers):
                for f in ("latency_cycles", "compute_cycles", "energy_pj"):
                    assert e1[f][i, j] == lr.metrics[f]


@st.composite
def systolic_designs(draw: st.DrawFn) -> tldse.Accelerator:
    return tldse.Accelerator(
        dataflow=draw(st.sampled_from(["ws", "os", "is"])),
        pe_rows=draw(st.integers(1, 32)),
        pe_cols=draw(st.integers(1, 32)),
        rf_bytes=draw(st.sampled_from([8, 64])),
        glb_bytes=float(2 ** draw(st.integers(8, 20))),
        dram_bw_bytes_per_cycle=draw(st.sampled_from([1, 16, 256])),
        glb_bw_bytes_per_cycle=draw(st.sampled_from([1, 16, 256])),
        multicast=draw(st.booleans()),
        weight_bits=draw(st.sampled_from([8, 16])),
        act_bits=draw(st.sampled_from([8, 16])),
        psum_bits=draw(st.sampled_from([16, 32])),
    )


@SETTINGS
@given(systolic_designs(), small_layers(max_ch=24))
def test_systolic_mapper_has_nothing_to_choose(
    acc: tldse.Accelerator, layer: tldse.Layer
) -> None:
    table = TABLES["horowitz45"]
    base = flat(core(acc, layer, table, "edp", "heuristic"))
    assert not any(k.startswith("rs_mapping") for k in base)
    for o, mode in itertools.product(OBJECTIVES, MODES):
        d = flat(core(acc, layer, table, o, mode))
        assert d.keys() == base.keys()
        for k, v in base.items():
            np.testing.assert_equal(d[k], v, err_msg=k)  # NaN == NaN when infeasible
