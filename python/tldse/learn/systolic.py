"""Closed forms of a systolic array fed by double-buffered per-operand SRAMs, each
with its own DRAM port: the memory system of SCALE-Sim (v3) and tools like it.

tldse's own model picks the best global-buffer tiling and charges each tensor's
DRAM traffic once per reuse pass over one shared DRAM port. A SCALE-Sim-like tool
instead streams each operand through its own SRAM in the order the array demands
it: an operand that does not fit half of its SRAM is fetched again on every pass
over it, partial sums are written back once per fold of the reduction dimension,
and each SRAM's port runs at the DRAM bandwidth on its own. These quantities
explain most of the gap between the two (docs/surrogate.md measures it); they are
computed here in closed form, vectorised over (design, layer) pairs:

**Array mapping** (per group; :func:`tldse.learn.prior.systolic_dims`):
operand dimensions ``(Sr, Sc, T)`` on the rows, the columns and in time; folds
``fr = ceil(Sr / rows)``, ``fc = ceil(Sc / cols)``; compute cycles
``fr fc per_fold - 1`` per group (:func:`tldse.learn.prior.fold_cycles`;
SCALE-Sim runs one group and multiplies its cycles by the number of groups).

**Operand streams.** The input operand is the ``M x K`` matrix (im2col), the
weights ``K x N``, each padded to whole folds. Per dataflow, the operand that is
re-streamed for every column fold (``ws``, ``os``: inputs; ``is``: weights), the
stationary one (streamed once), and for ``os`` the weights, whose column fold is
re-read for every row fold:

==========  ==========================  ==========================  ==========
dataflow    input stream, passes        weight stream, passes       writes
==========  ==========================  ==========================  ==========
ws          ``T rows fr``, ``fc``       ``K cols fc``, 1            ``M N fr``
os          ``rows fr T``, ``fc``       ``K cols fc``, ``fr``/fold  ``M N``
is          ``cols fc K``, 1            ``rows fr N``, ``fc``       ``M N fr``
==========  ==========================  ==========================  ==========

**SRAM model.** Half of each SRAM is the active buffer, half the prefetch buffer.
A stream that fits the active buffer is fetched once (the first fill, ``A =``
the smaller of the stream and half the SRAM, in whole DRAM lines of
``bandwidth`` words); otherwise the active window slides over the stream in
half-SRAM steps and every pass fetches it again: ``reads = A + P * ceil((passes *
stream - A) / P)`` with ``P`` half the SRAM.

**Times.** Per port: ``(reads - A) / bandwidth`` for inputs and weights (the
first fill happens before compute starts), ``max(0, writes - half the output
SRAM) / bandwidth`` for outputs; the layer's cycles are the largest of compute
and the input and weight port times (:data:`SYSTOLIC_OUTPUTS` ``total_cycles``;
the output port overlaps with compute and is given on its own), and with the
first fill before and the last drain after it, ``cycles_incl_prefetch``.
Everything is multiplied by the number of groups (one group at a time).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from tldse.arch import CONFIG_INDEX, DATAFLOWS
from tldse.learn.prior import fold_cycles, gemm_view, systolic_dims

Array = npt.NDArray[np.float64]
_DF = {name: i for i, name in enumerate(DATAFLOWS)}

#: What :func:`systolic_estimates` returns, per pair (per occurrence).
SYSTOLIC_OUTPUTS: tuple[str, ...] = (
    "folds_rows",
    "folds_cols",
    "compute_cycles",
    "input_reads",
    "weight_reads",
    "output_writes",
    "input_passes",
    "weight_passes",
    "output_passes",
    "input_over_half_sram",
    "weight_over_half_sram",
    "output_over_half_sram",
    "input_port_cycles",
    "weight_port_cycles",
    "output_port_cycles",
    "first_fill_cycles",
    "last_drain_cycles",
    "total_cycles",
    "cycles_incl_prefetch",
)


def _sram_words(cfg: dict[str, Array], part: str, bits: Array) -> Array:
    """Words of one operand's SRAM: its partition, or a third of a shared GLB."""
    own = cfg[f"glb_{part}_bytes"]
    size = np.where(own > 0, own, cfg["glb_bytes"] / 3.0)
    return np.maximum(np.floor(size * 8.0 / bits), 1.0)


def _stream_reads(
    stream: Array, used: Array, passes: Array, sram: Array, bw: Array
) -> tuple[Array, Array]:
    """(DRAM reads, first fill) of a stream of ``stream`` words per pass (``used``
    of them real data, the rest fold padding) read ``passes`` times through a
    double-buffered SRAM of ``sram`` words (see the module docstring). The
    window moves in sets of ``ceil(sram / 100)`` data words; reads are counted in
    whole DRAM lines of ``bw`` words, padding included."""
    half = np.ceil(sram / 2.0)
    line = np.maximum(np.floor(bw), 1.0)
    per_set = np.ceil(sram / 100.0)
    active_sets = np.ceil(half / per_set)
    prefetch_sets = np.maximum(np.ceil((sram - half) / per_set), 1.0)
    sets = np.ceil(used / per_set)
    first = np.minimum(np.ceil(half / line), np.ceil(stream / line)) * line
    step = np.ceil((sram - half) / line) * line
    steps = np.ceil(np.maximum(passes * sets - active_sets, 0.0) / prefetch_sets)
    reads = np.where(sets <= active_sets, first, first + steps * step)
    return reads, first


def _fits(used: Array, sram: Array) -> npt.NDArray[np.bool_]:
    """Whether ``used`` data words fit the active half of an SRAM of ``sram``
    words (counted in whole sets, as :func:`_stream_reads`)."""
    per_set = np.ceil(sram / 100.0)
    fits = np.ceil(used / per_set) <= np.ceil(np.ceil(sram / 2.0) / per_set)
    return np.asarray(fits, dtype=bool)


def systolic_estimates(configs: npt.ArrayLike, layers: npt.ArrayLike) -> dict[str, Any]:
    """:data:`SYSTOLIC_OUTPUTS` of config rows ``(..., 18)`` and layer rows
    ``(..., 16)`` that broadcast against each other. Counts are words of the
    operand's width (bytes for 8-bit operands); cycles are per occurrence of the
    layer, all groups."""
    cfg_a = np.asarray(configs, dtype=np.float64)
    lay = np.asarray(layers, dtype=np.float64)
    c = {name: cfg_a[..., i] for name, i in CONFIG_INDEX.items()}
    m, k, n, groups = gemm_view(lay)
    rows, cols = np.maximum(c["pe_rows"], 1.0), np.maximum(c["pe_cols"], 1.0)
    df = c["dataflow"]
    os_, is_ = df == _DF["os"], df == _DF["is"]
    sr, sc, t = systolic_dims(df, m, k, n)
    fr, fc = np.ceil(sr / rows), np.ceil(sc / cols)
    compute = fr * fc * fold_cycles(df, t, rows, cols) - 1.0
    abits, wbits = np.maximum(c["act_bits"], 1.0), np.maximum(c["weight_bits"], 1.0)
    s_in = _sram_words(c, "input", abits)
    s_w = _sram_words(c, "weight", wbits)
    s_out = _sram_words(c, "output", abits)
    bw_in = np.maximum(c["dram_bw_bytes_per_cycle"] * 8.0 / abits, 1e-9)
    bw_w = np.maximum(c["dram_bw_bytes_per_cycle"] * 8.0 / wbits, 1e-9)
    # operand streams per pass (padded to whole folds) and passes over them
    in_stream = np.where(is_, cols * fc * k, rows * fr * t)
    w_stream = np.where(is_, rows * fr * n, k * cols * fc)
    in_used, w_used = m * k, k * n
    in_passes = np.where(is_, 1.0, np.where(_fits(in_used, s_in), 1.0, fc))
    w_fold = k * np.minimum(cols, n)  # one column fold of the os weights
    w_passes = np.where(
        is_,
        np.where(_fits(w_used, s_w), 1.0, fc),
        np.where(os_ & ~_fits(w_fold, s_w), fr, 1.0),
    )
    in_reads, in_fill = _stream_reads(in_stream, in_used, in_passes, s_in, bw_in)
    w_reads, w_fill = _stream_reads(w_stream, w_used, w_passes, s_w, bw_w)
    out_passes = np.where(os_, 1.0, fr)
    writes = m * n * out_passes
    t_in = (in_reads - in_fill) / bw_in
    t_w = (w_reads - w_fill) / bw_w
    t_out = np.maximum(writes - s_out / 2.0, 0.0) / bw_in
    total = np.maximum(compute, np.maximum(t_in, t_w))
    fill = np.maximum(in_fill / bw_in, w_fill / bw_w)
    drain = np.minimum(writes, s_out / 2.0) / bw_in
    out = {
        "folds_rows": fr,
        "folds_cols": fc,
        "compute_cycles": groups * compute,
        "input_reads": groups * in_reads,
        "weight_reads": groups * w_reads,
        "output_writes": groups * writes,
        "input_passes": in_passes,
        "weight_passes": w_passes,
        "output_passes": out_passes,
        "input_over_half_sram": in_stream / (s_in / 2.0),
        "weight_over_half_sram": w_stream / (s_w / 2.0),
        "output_over_half_sram": m * n / (s_out / 2.0),
        "input_port_cycles": groups * t_in,
        "weight_port_cycles": groups * t_w,
        "output_port_cycles": groups * t_out,
        "first_fill_cycles": groups * fill,
        "last_drain_cycles": groups * drain,
        "total_cycles": groups * total,
        "cycles_incl_prefetch": groups * (total + fill + drain),
    }
    shape = np.broadcast_shapes(cfg_a.shape[:-1], lay.shape[:-1])
    return {key: np.broadcast_to(v, shape).astype(np.float64) for key, v in out.items()}
