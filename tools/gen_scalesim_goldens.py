#!/usr/bin/env python3
"""Generate golden compute-cycle data from SCALE-Sim v2 (PyPI package scalesim==2.0.2).

Run with the separate venv that has scalesim installed (never the system python):

    python3 -m venv /tmp/ssenv && /tmp/ssenv/bin/pip install scalesim==2.0.2
    /tmp/ssenv/bin/python tools/gen_scalesim_goldens.py

Writes tests/golden/scalesim_cycles.csv (relative to the repository root).

SCALE-Sim is run through its Python API (scalesim.scale_sim.scalesim, the same
object that its CLI scalesim/scale.py drives), with temporary cfg/topology files
in a temporary directory.  "total_cycles" and "stall_cycles" are read back from
the COMPUTE_REPORT.csv SCALE-Sim writes.  sr/sc/t are the operand-matrix
dimensions SCALE-Sim's systolic compute object used for that layer
(compute_system.Sr/.Sc/.T).

Memory configuration is chosen so that memory never limits the run:
  * InterfaceBandwidth = CALC  (estimate-bandwidth mode: SRAM reads always hit,
    DRAM bandwidth is derived from the demand, so reads never stall), and
  * 4096 KB for each of the ifmap/filter/ofmap SRAMs, far larger than any
    operand used here (the ofmap write buffer is the only place CALC mode can
    still stall, and only when it fills up).
The script asserts stall_cycles == 0 for every row.
"""

import csv
import datetime
import io
import os
import sys
import tempfile
from collections import OrderedDict

import scalesim  # noqa: F401  (fail early if run with the wrong interpreter)
from scalesim.scale_sim import scalesim as ScaleSim

SCALESIM_VERSION_EXPECTED = "2.0.2"

SRAM_KB = 4096
IFMAP_OFFSET = 0
FILTER_OFFSET = 10000000
OFMAP_OFFSET = 20000000

DATAFLOWS = ["os", "ws", "is"]

# (rows, cols)
ARRAYS = [
    (4, 4),
    (8, 8),
    (16, 16),
    (32, 32),
    (8, 32),
    (32, 8),
    (3, 5),
    (128, 128),
    (1, 16),
    (16, 1),
    (2, 64),
    (64, 2),
]

# Conv layers: (ifmap_h, ifmap_w, filter_h, filter_w, channels, num_filters, stride)
CONV_LAYERS = [
    (8, 8, 3, 3, 2, 5, 1),
    (9, 7, 3, 2, 3, 10, 2),  # non-square filter, (H-R) % stride != 0
    (16, 16, 1, 1, 16, 32, 1),  # 1x1 conv
    (14, 14, 3, 3, 8, 16, 1),
    (15, 15, 3, 3, 4, 8, 2),
    (17, 13, 5, 3, 3, 6, 4),  # stride 4, non-square filter and ifmap
    (7, 7, 7, 7, 3, 16, 1),  # filter == ifmap -> 1x1 ofmap
    (5, 5, 3, 3, 1, 1, 1),  # tiny, C=1, K=1
    (12, 20, 2, 4, 6, 12, 2),
    (32, 32, 3, 3, 3, 8, 1),
    (28, 28, 5, 5, 1, 6, 1),  # LeNet-like
    (10, 10, 1, 1, 64, 64, 1),  # 1x1, deep
    (11, 11, 3, 3, 16, 3, 4),  # stride 4, non-divisible
    (6, 9, 6, 1, 5, 7, 1),  # filter_h == ifmap_h
    (20, 20, 4, 4, 2, 4, 4),
    (13, 13, 1, 1, 3, 130, 1),  # K > 128
    (24, 8, 3, 1, 2, 9, 3),  # stride 3, 1-wide filter
    (4, 4, 2, 2, 1, 1, 2),  # ofmap 2x2, window 4
    (9, 9, 1, 1, 1, 1, 4),  # 1x1 stride 4, T=1 for os
    (30, 6, 5, 5, 2, 20, 2),  # (W-S) % stride != 0
]

# GEMM layers as written in a SCALE-Sim GEMM topology row "Layer, M, N, K,"
GEMM_LAYERS = [
    (16, 16, 16),
    (1, 64, 32),
    (64, 1, 32),
    (37, 23, 11),
    (100, 10, 50),
    (8, 128, 8),
    (130, 3, 7),
    (5, 5, 1),
    (1, 1, 1),
    (200, 40, 30),
    (33, 65, 17),
    (64, 64, 64),
    (3, 300, 9),
    (129, 129, 2),
    (7, 2, 200),
]

COLUMNS = [
    "kind",
    "dataflow",
    "array_rows",
    "array_cols",
    "ifmap_h",
    "ifmap_w",
    "filter_h",
    "filter_w",
    "channels",
    "num_filters",
    "stride",
    "m",
    "n",
    "k",
    "total_cycles",
    "stall_cycles",
    "sr",
    "sc",
    "t",
]


def build_cases():
    """Deterministic case list: every layer x every dataflow, on two different arrays."""
    cases = []
    na = len(ARRAYS)
    for i, layer in enumerate(CONV_LAYERS):
        for d, df in enumerate(DATAFLOWS):
            for rep in range(2):
                arr = ARRAYS[(3 * i + d + 5 * rep) % na]
                cases.append(("conv", df, arr, layer))
    for i, layer in enumerate(GEMM_LAYERS):
        for d, df in enumerate(DATAFLOWS):
            for rep in range(2):
                arr = ARRAYS[(2 * i + 4 * d + 7 * rep + 1) % na]
                cases.append(("gemm", df, arr, layer))
    return cases


def write_cfg(path, run_name, rows, cols, df):
    # Note: no [network_presets] section; the topology is passed explicitly.
    text = (
        "[general]\n"
        f"run_name = {run_name}\n\n"
        "[architecture_presets]\n"
        f"ArrayHeight = {rows}\n"
        f"ArrayWidth = {cols}\n"
        f"IfmapSramSzkB = {SRAM_KB}\n"
        f"FilterSramSzkB = {SRAM_KB}\n"
        f"OfmapSramSzkB = {SRAM_KB}\n"
        f"IfmapOffset = {IFMAP_OFFSET}\n"
        f"FilterOffset = {FILTER_OFFSET}\n"
        f"OfmapOffset = {OFMAP_OFFSET}\n"
        f"Dataflow = {df}\n"
        "Bandwidth = 10\n\n"
        "[run_presets]\n"
        "InterfaceBandwidth = CALC\n"
    )
    with open(path, "w") as f:
        f.write(text)


def write_topo(path, kind, layers):
    # Every row must end with a trailing comma (SCALE-Sim drops the last field).
    # Layer names must not contain 'DP' (SCALE-Sim treats those as depthwise).
    with open(path, "w") as f:
        if kind == "conv":
            f.write(
                "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                "Channels, Num Filter, Strides,\n"
            )
            for j, (h, w, r, s, c, k, st) in enumerate(layers):
                f.write(f"L{j}, {h}, {w}, {r}, {s}, {c}, {k}, {st},\n")
        else:
            f.write("Layer, M, N, K,\n")
            for j, (m, n, k) in enumerate(layers):
                f.write(f"L{j}, {m}, {n}, {k},\n")


def read_compute_report(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    out = []
    for r in rows[1:]:
        if not r or not r[0].strip():
            continue
        out.append((int(r[0]), int(float(r[1])), int(float(r[2]))))
    return out


def run_group(tmp, gid, kind, df, rows, cols, layers):
    d = os.path.join(tmp, f"g{gid}")
    os.makedirs(d)
    cfg = os.path.join(d, "scale.cfg")
    topo = os.path.join(d, "topo.csv")
    run_name = "run"
    write_cfg(cfg, run_name, rows, cols, df)
    write_topo(topo, kind, layers)
    # SCALE-Sim prints progress; keep stdout clean.
    saved = sys.stdout
    sys.stdout = io.StringIO()
    try:
        s = ScaleSim(
            save_disk_space=True,
            verbose=False,
            config=cfg,
            topology=topo,
            input_type_gemm=(kind == "gemm"),
        )
        s.run_scale(top_path=os.path.join(d, "out"))
    finally:
        sys.stdout = saved
    report = read_compute_report(os.path.join(d, "out", run_name, "COMPUTE_REPORT.csv"))
    assert len(report) == len(layers), (kind, df, rows, cols, report)
    results = []
    for j, _layer in enumerate(layers):
        lid, total, stall = report[j]
        assert lid == j
        lobj = s.runner.single_layer_sim_object_list[j]
        cs = lobj.compute_system
        assert total == lobj.total_cycles, (total, lobj.total_cycles)
        results.append((total, stall, int(cs.Sr), int(cs.Sc), int(cs.T)))
    return results


def main():
    try:
        from importlib.metadata import version

        ver = version("scalesim")
    except Exception:  # pragma: no cover
        ver = "unknown"
    assert ver == SCALESIM_VERSION_EXPECTED, (
        f"need scalesim=={SCALESIM_VERSION_EXPECTED}, got {ver}"
    )

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_path = os.path.join(repo, "tests", "golden", "scalesim_cycles.csv")

    cases = build_cases()
    groups = OrderedDict()
    for idx, (kind, df, (r, c), layer) in enumerate(cases):
        groups.setdefault((kind, df, r, c), []).append((idx, layer))

    results = [None] * len(cases)
    with tempfile.TemporaryDirectory(prefix="scalesim_golden_") as tmp:
        for gid, ((kind, df, r, c), members) in enumerate(groups.items()):
            layers = [layer for _, layer in members]
            res = run_group(tmp, gid, kind, df, r, c, layers)
            for (idx, _), rr in zip(members, res, strict=False):
                results[idx] = rr
            print(
                f"[{gid + 1}/{len(groups)}] {kind} {df} {r}x{c}: {len(layers)} layers",
                file=sys.stderr,
            )

    rows_out = []
    for (kind, df, (ar, ac), layer), (total, stall, sr, sc, t) in zip(
        cases, results, strict=False
    ):
        assert stall == 0, (
            f"non-zero stall cycles for {kind} {df} {ar}x{ac} {layer}: {stall}"
        )
        if kind == "conv":
            h, w, fr, fs, ch, nf, st = layer
            row = [kind, df, ar, ac, h, w, fr, fs, ch, nf, st, 0, 0, 0]
        else:
            m, n, k = layer
            row = [kind, df, ar, ac, 0, 0, 0, 0, 0, 0, 0, m, n, k]
        row += [total, stall, sr, sc, t]
        rows_out.append(row)

    today = datetime.date.today().isoformat()
    header = [
        f"# Golden compute cycles from SCALE-Sim v2 (PyPI scalesim=={ver}), generated {today}.",
        "# Command: /tmp/ssenv/bin/python tools/gen_scalesim_goldens.py  (venv: python3 -m venv /tmp/ssenv && /tmp/ssenv/bin/pip install scalesim==2.0.2)",
        "# Run via scalesim.scale_sim.scalesim(save_disk_space=True, input_type_gemm=<gemm rows>), one run per (kind,dataflow,array) group;",
        f"# config: ArrayHeight=array_rows ArrayWidth=array_cols Dataflow=dataflow InterfaceBandwidth=CALC IfmapSramSzkB=FilterSramSzkB=OfmapSramSzkB={SRAM_KB}",
        f"#   IfmapOffset={IFMAP_OFFSET} FilterOffset={FILTER_OFFSET} OfmapOffset={OFMAP_OFFSET} (word size 1 byte, fixed in SCALE-Sim).",
        "# total_cycles/stall_cycles = 'Total Cycles'/'Stall Cycles' of COMPUTE_REPORT.csv; stall_cycles asserted 0 (bandwidth never limits).",
        "# sr,sc,t = operand dims used by SCALE-Sim's systolic compute unit (compute_system.Sr/Sc/T).",
        "# conv rows: topology row 'Layer name,IFMAP Height,IFMAP Width,Filter Height,Filter Width,Channels,Num Filter,Strides,' (same stride both dims); m,n,k = 0.",
        "# gemm rows: GEMM topology row 'Layer,M,N,K,' with m,n,k as written there; conv fields = 0.",
    ]
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w", newline="") as f:
        for line in header:
            f.write(line + "\n")
        wr = csv.writer(f, lineterminator="\n")
        wr.writerow(COLUMNS)
        wr.writerows(rows_out)
    nconv = sum(1 for c in cases if c[0] == "conv")
    print(
        f"wrote {out_path}: {len(rows_out)} rows ({nconv} conv, {len(rows_out) - nconv} gemm)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
