"""SCALE-Sim's own files read faithfully (docs/model.md, "SCALE-Sim files"): v2 and v3
configs (USER: each buffer's DRAM port, v3's from ``[layout]``; CALC: no DRAM limit),
its shipped topologies' quirks, and the examples in ``examples/``, which SCALE-Sim
itself runs (slow tests: SCALE-Sim 3.0.0 from ``TLDSE_SCALESIM_PYTHON``, else
/tmp/venv-scalesim; 2.0.2 from ``TLDSE_SCALESIM_V2_PYTHON``, else
/tmp/venv-scalesim2; skipped, saying so, when missing)."""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import pytest

import tldse
from tldse.arch import ScaleSimWarning

from .helpers import peer_python

EXAMPLES = Path(__file__).parent.parent / "examples"
V3 = EXAMPLES / "scalesim_32x32_os.cfg"
V2 = EXAMPLES / "scalesim_v2_32x32_os.cfg"
CONV_HEADER = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
    "Num Filter, Strides,"
)
# one small layer: 10x10 input, 3x3 filter, 4 channels, 40 filters -> 8x8 outputs
TINY = f"{CONV_HEADER}\nC1, 10, 10, 3, 3, 4, 40, 1,\n"


def read_cfg(path: Path) -> tuple[tldse.Accelerator, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        acc = tldse.Accelerator.from_scalesim_config(path)
    assert all(issubclass(w.category, ScaleSimWarning) for w in caught)
    return acc, [str(w.message) for w in caught]


def test_examples_are_one_design_in_two_formats() -> None:
    v3, warned3 = read_cfg(V3)
    v2, warned2 = read_cfg(V2)
    assert v3 == v2
    assert (v3.pe_rows, v3.pe_cols, v3.dataflow) == (32, 32, "os")
    # 64 KiB per SRAM -> the three GLB partitions; words are bytes
    assert (v3.glb_input_bytes, v3.glb_weight_bytes, v3.glb_output_bytes) == (
        65536,
        65536,
        65536,
    )
    assert v3.glb_bytes == 3 * 65536
    assert v3.dram_bw_bytes_per_cycle == 10
    assert (v3.weight_bits, v3.act_bits, v3.psum_bits, v3.rf_bytes) == (8, 8, 8, 3)
    assert v3.glb_bw_bytes_per_cycle == 2 * (32 + 32)
    for warned in (warned3, warned2):
        assert len(warned) == 1
        assert "(10, 10, 10 words/cycle)" in warned[0]
        assert "one port shared by all three at 10 bytes/cycle" in warned[0]


def v3_text(mode: str, ifmap_bw: int = 10, filter_bw: int = 10, bw: int = 10) -> str:
    text = V3.read_text()
    text = text.replace("InterfaceBandwidth: USER", f"InterfaceBandwidth: {mode}")
    text = text.replace(
        "IfmapSRAMBankBandwidth: 10", f"IfmapSRAMBankBandwidth: {ifmap_bw}"
    )
    text = text.replace(
        "FilterSRAMBankBandwidth: 10", f"FilterSRAMBankBandwidth: {filter_bw}"
    )
    return text.replace("Bandwidth : 10", f"Bandwidth : {bw}")


def test_v3_layout_bandwidths(tmp_path: Path) -> None:
    """v3 USER: ifmap and filter DRAM bandwidths from [layout], ofmap's from
    Bandwidth (SCALE-Sim 3.0.0's single_layer_sim.py); one shared port of the
    smallest, said in the warning."""
    path = tmp_path / "v3.cfg"
    path.write_text(v3_text("USER", ifmap_bw=40, filter_bw=20, bw=30))
    acc, warned = read_cfg(path)
    assert acc.dram_bw_bytes_per_cycle == 20
    assert "(40, 20, 30 words/cycle)" in warned[0] and "the smallest" in warned[0]


def test_calc_means_no_dram_limit(tmp_path: Path, tldse_sim: str) -> None:
    """InterfaceBandwidth: CALC is no DRAM limit (SCALE-Sim then reports no stall),
    not Bandwidth used as one; the same layer stalls on DRAM in USER mode."""
    calc, user = tmp_path / "calc.cfg", tmp_path / "user.cfg"
    calc.write_text(v3_text("CALC", bw=1))
    user.write_text(v3_text("USER", ifmap_bw=1, filter_bw=1, bw=1))
    topo = tmp_path / "t.csv"
    topo.write_text(TINY)
    acc_calc, warned = read_cfg(calc)
    assert warned == []
    acc_user, _ = read_cfg(user)
    assert acc_user.dram_bw_bytes_per_cycle == 1
    wl = tldse.Workload.read(topo)
    ext = tldse.evaluate([acc_calc, acc_user], wl)
    # CALC: the DRAM term is at most one cycle: no DRAM stall
    assert ext["latency_cycles"][0, 0] == ext["compute_cycles"][0, 0] == 391
    # USER at 1 B/cycle: DRAM-bound. Bytes: weights 4*9*40 = 1440, inputs 4*100 =
    # 400, outputs 40*64 = 2560 -> 4400 cycles
    assert ext["latency_cycles"][1, 0] == 4400
    proc = subprocess.run(
        [tldse_sim, "--config", calc, "--topology", topo, "--format", "csv"],
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr


def test_shipped_topology_quirks(tmp_path: Path) -> None:
    """The shapes of SCALE-Sim's shipped topologies, typed in: Resnet50.csv's extra
    header columns and all-empty ",,,," row, fields after Strides, rows without a
    trailing comma, mobilenet's "#dw" after the comma, a "DP" (depthwise) row."""
    path = tmp_path / "net.csv"
    path.write_text(
        f"{CONV_HEADER},,Eh,Ew,e2\n"
        ",,,,,,,,,,,,\n"
        "Conv1,224,224,7,7,3,64,2,,,110,110,12100\n"
        "CB2a_1,56,56,1,1,64,64,1,,,,,\n"
        "Conv2_dw, 112, 112, 3, 3, 1, 1, 1,#dw\n"
        "Conv3_DP, 112, 112, 3, 3, 32, 1, 1,\n"
        "FC6,1,1,1,1,2048,1000,1\n"
    )
    wl = tldse.Workload.read(path)
    assert wl.names == ["Conv1", "CB2a_1", "Conv2_dw", "Conv3_DP", "FC6"]
    conv1 = wl.layers[0]
    assert (conv1.c, conv1.k, conv1.p, conv1.q, conv1.stride_h) == (3, 64, 110, 110, 2)
    dp = wl.layers[3]  # SCALE-Sim 3: 32 layers of one channel each
    assert (dp.c, dp.k, dp.count, dp.p) == (1, 1, 32, 110)
    assert dp.macs * dp.count == 32 * 110 * 110 * 9  # SCALE-Sim's 32 layers' MACs


def test_sparsity_ratio_warned(tmp_path: Path) -> None:
    path = tmp_path / "sparse.csv"
    path.write_text(f"{CONV_HEADER} Sparsity,\nS1, 8, 8, 3, 3, 4, 4, 1, 2:4,\n")
    with pytest.warns(ScaleSimWarning, match="sparsity 2:4 is not modelled"):
        wl = tldse.Workload.read(path)
    assert wl.layers[0].c == 4


# --- SCALE-Sim itself on the examples (slow) -----------------------------------------


_python = peer_python


def run_scalesim(
    python: str, cfg: Path, topology: Path, out: Path, v3: bool
) -> dict[str, list[str]]:
    """Runs SCALE-Sim's command line; returns its three reports' lines by name."""
    args = [python, "-m", "scalesim.scale", "-c", cfg, "-t", topology, "-p", out]
    if v3:  # SCALE-Sim 3 reads a layout row per layer even without custom layouts
        layout = out.parent / "layout.csv"
        rows = sum(1 for line in topology.read_text().splitlines()[1:] if line.strip())
        row = "1, 1, 1, 1, 1, 1, 0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 0, 1, 2, 3,"
        layout.write_text(
            "Layer name,"
            + "x," * 20
            + "\n"
            + "".join(f"L{i}, {row}\n" for i in range(rows))
        )
        args += ["-l", layout, "-s", "N"]
    proc = subprocess.run(
        list(map(str, args)), capture_output=True, timeout=600, cwd=out.parent
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (run,) = [p for p in out.iterdir() if p.is_dir()]
    return {
        name: (run / f"{name}.csv").read_text().splitlines()
        for name in ("COMPUTE_REPORT", "BANDWIDTH_REPORT", "DETAILED_ACCESS_REPORT")
        if (run / f"{name}.csv").exists()
    }


@pytest.mark.slow
@pytest.mark.parametrize("version", [3, 2])
def test_scalesim_runs_the_examples(tmp_path: Path, version: int) -> None:
    """SCALE-Sim accepts the example of its version unchanged, and its cycles
    equal tldse's on a layer that is not memory-bound (391: hand-computed, os on
    32x32: 4 folds x (32 + 32 + 36 - 2) - 1)."""
    if version == 3:
        python = _python("TLDSE_SCALESIM_PYTHON", "venv-scalesim", "SCALE-Sim 3.0.0")
    else:
        python = _python(
            "TLDSE_SCALESIM_V2_PYTHON", "venv-scalesim2", "SCALE-Sim 2.0.2"
        )
    topo = tmp_path / "tiny.csv"
    topo.write_text(TINY)
    reports = run_scalesim(
        python, V3 if version == 3 else V2, topo, tmp_path / "out", version == 3
    )
    header = [h.strip() for h in reports["COMPUTE_REPORT"][0].split(",")]
    values = [v.strip() for v in reports["COMPUTE_REPORT"][1].split(",")]
    row = dict(zip(header, values, strict=False))
    acc, _ = read_cfg(V3 if version == 3 else V2)
    ours = tldse.evaluate([acc], tldse.Workload.read(topo))
    assert float(row["Total Cycles"]) == ours["compute_cycles"][0, 0] == 391
    assert float(row["Stall Cycles"]) == 0


@pytest.mark.slow
def test_report_files_match_scalesims(tmp_path: Path) -> None:
    """``--reports``' files have SCALE-Sim 3.0.0's headers, and on a compute-bound
    layer (CALC) its COMPUTE_REPORT numbers but the prefetch, and its SRAM and DRAM
    read counts."""
    python = _python("TLDSE_SCALESIM_PYTHON", "venv-scalesim", "SCALE-Sim 3.0.0")
    cfg = tmp_path / "calc.cfg"
    cfg.write_text(v3_text("CALC"))
    topo = tmp_path / "tiny.csv"
    topo.write_text(TINY)
    theirs = run_scalesim(python, cfg, topo, tmp_path / "out", v3=True)
    acc, _ = read_cfg(cfg)
    tldse.simulate(acc, tldse.Workload.read(topo)).write_scalesim_reports(
        tmp_path / "ours"
    )
    for name, lines in theirs.items():
        ours = (tmp_path / "ours" / f"{name}.csv").read_text().splitlines()
        assert ours[0] == lines[0], name
        assert len(ours) == len(lines) == 2
    cells = {
        name: [c.strip() for c in (tmp_path / "ours" / f"{name}.csv").read_text()
               .splitlines()[1].split(",")]
        for name in theirs
    }  # fmt: skip
    scalesim = {
        name: [c.strip() for c in lines[1].split(",")] for name, lines in theirs.items()
    }
    assert cells["COMPUTE_REPORT"][2:] == scalesim["COMPUTE_REPORT"][2:]
    for i in (3, 6, 12, 15, 18):
        assert (
            cells["DETAILED_ACCESS_REPORT"][i] == scalesim["DETAILED_ACCESS_REPORT"][i]
        )
