"""One "simulate one design" schema (docs/model.md, "The report"): ``tldse-sim
--format csv|json``, ``tldse simulate --format csv|json``, ``SimulationReport`` and
the per-layer breakdowns of sweeps and explore share its columns and numbers.

Independent answers: the batch API (``evaluate(..., extended=True)`` and
``per_network=True``) for every column it also has; sums that must hold by
construction (levels and tensors add up to the totals); SCALE-Sim 3.0.0's own
report for a compute-bound layer (numbers below, from running it); hand-computed
folds for the mapping text."""

from __future__ import annotations

import csv
import io
import json
import math
import pickle
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tldse
from tldse import _core
from tldse.cli import main as cli_main
from tldse.sim import REPORT_COLUMN_KINDS, REPORT_COLUMNS, per_layer_breakdown

EXAMPLES = Path(__file__).parent.parent / "examples"
TINY_GLB = "glb_bytes=2048"  # too small for some layers: does_not_fit rows
CASES = [  # (tldse-sim / tldse simulate arguments) x workloads
    (["--preset", "eyeriss"], "alexnet"),
    (["--set", "dataflow=os", "--set", "pe_rows=8"], "resnet18"),
    ([], "mobilenet_v2"),
    (["--preset", "tpu-v1", "--batch", "2"], "bert_base"),
    (["--set", TINY_GLB, "--set", "dataflow=is"], "vgg16"),
    (["--config", str(EXAMPLES / "scalesim_32x32_os.cfg")], "resnet50"),
    (["--arch", str(EXAMPLES / "arch.toml"), "--energy-table", "eyeriss"], "gpt2"),
]


def sim(tldse_sim: str, *args: str) -> str:
    proc = subprocess.run(
        [tldse_sim, *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert cli_main(["simulate", *args]) == 0
    return capsys.readouterr().out


def front_end_args(args: list[str], workload: str) -> list[str]:
    batch = []
    if "--batch" in args:
        i = args.index("--batch")
        batch, args = args[i : i + 2], args[:i] + args[i + 2 :]
    return [*args, "--workload", workload, *batch]


@pytest.mark.parametrize(("args", "workload"), CASES, ids=[w for _, w in CASES])
def test_front_ends_print_the_same(
    tldse_sim: str,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    workload: str,
) -> None:
    argv = front_end_args(args, workload)
    theirs = sim(tldse_sim, *argv, "--format", "csv")
    ours = cli(capsys, *argv, "--format", "csv")
    assert ours == theirs  # the same columns, rows and numbers, byte for byte
    header = next(csv.reader(io.StringIO(theirs)))
    assert header == list(REPORT_COLUMNS)
    doc_theirs = json.loads(sim(tldse_sim, *argv, "--format", "json"))
    doc_ours = json.loads(cli(capsys, *argv, "--format", "json"))
    assert doc_ours == doc_theirs
    assert list(doc_ours["total"]) == list(REPORT_COLUMNS)
    assert all(list(layer) == list(REPORT_COLUMNS) for layer in doc_ours["layers"])


def report_for(args: list[str], workload: str) -> tldse.SimulationReport:
    """The Python API on the design and workload of a CASES entry."""
    acc = tldse.Accelerator()
    energy = None
    batch = 1
    i = 0
    while i < len(args):
        flag, value = args[i], args[i + 1]
        if flag == "--preset":
            acc = tldse.Accelerator.preset(value)
        elif flag == "--config":
            with pytest.warns(tldse.arch.ScaleSimWarning):
                acc = tldse.Accelerator.from_scalesim_config(value)
        elif flag == "--arch":
            acc = tldse.Accelerator.from_file(value)
        elif flag == "--set":
            acc = acc.set_from_text(*value.split("="))
        elif flag == "--energy-table":
            energy = value
        elif flag == "--batch":
            batch = int(value)
        i += 2
    return tldse.simulate(
        acc, tldse.workloads.get(workload, batch=batch), energy=energy
    )


@pytest.mark.parametrize(("args", "workload"), CASES, ids=[w for _, w in CASES])
def test_to_pandas_and_totals_are_the_csv(
    tldse_sim: str, args: list[str], workload: str
) -> None:
    rep = report_for(args, workload)
    df = rep.to_pandas()
    assert list(df.columns) == list(REPORT_COLUMNS)
    csv_text = sim(tldse_sim, *front_end_args(args, workload), "--format", "csv")
    table = pd.read_csv(io.StringIO(csv_text), keep_default_na=False, na_values=["nan"])
    assert rep.to_csv() == csv_text
    layers, total = table.iloc[:-1].reset_index(drop=True), table.iloc[-1]
    assert total["layer"] == "total"
    for col in REPORT_COLUMNS:
        if REPORT_COLUMN_KINDS[col] == "text":
            assert layers[col].astype(str).tolist() == df[col].astype(str).tolist(), col
            continue
        np.testing.assert_array_equal(
            layers[col].to_numpy(float), df[col].to_numpy(float)
        )
        if REPORT_COLUMN_KINDS[col] != "mapping":
            assert rep.total(col) == pytest.approx(
                float(total[col]), rel=1e-15, nan_ok=True
            )
    # Sums: the total weights each layer by its count (exact: the same order).
    counts = df["count"].to_numpy(float)
    for col, kind in REPORT_COLUMN_KINDS.items():
        if kind == "sum" and rep.ok:
            assert rep.total(col) == pytest.approx(
                float((df[col] * counts).sum()), rel=1e-12
            )
    assert rep.total("count") == counts.sum()


@pytest.mark.parametrize(("args", "workload"), CASES, ids=[w for _, w in CASES])
def test_columns_agree_with_the_batch_api(args: list[str], workload: str) -> None:
    """Every column the batch API also computes is equal, bit for bit; the total
    is evaluate(..., per_network=True)'s."""
    rep = report_for(args, workload)
    df = rep.to_pandas()
    wl = tldse.workloads.get(workload, batch=2 if "--batch" in args else 1)
    energy = (
        args[args.index("--energy-table") + 1] if "--energy-table" in args else None
    )
    table = tldse.arch.energy_table(energy)
    ext = _core.evaluate(
        rep.accelerator.row()[None, :], wl.table(), table, 1, extended=True
    )
    shared = [
        c
        for c in REPORT_COLUMNS
        if c in ext and REPORT_COLUMN_KINDS[c] != "text" and c != "loop_order"
    ]
    assert len(shared) >= 35
    for col in shared:
        want = np.asarray(ext[col][0], dtype=float)
        if ext[col].dtype.kind == "i":  # integer extended fields: -1 where not ok
            want[want < 0] = np.nan
        np.testing.assert_array_equal(df[col].to_numpy(float), want, err_msg=col)
    codes = np.asarray(ext["bound"][0])
    bounds = [_core.bound_names[c] if c >= 0 else "" for c in codes]
    assert df["bound"].tolist() == bounds
    net = tldse.evaluate([rep.accelerator], wl, energy=energy, per_network=True)
    for col in tldse.RESULT_FIELDS:
        assert rep.total(col) == pytest.approx(
            float(net[col][0]), rel=0, nan_ok=True
        ), col


def test_breakdowns_add_up() -> None:
    rep = tldse.simulate(tldse.Accelerator.preset("eyeriss"), "alexnet")
    df = rep.to_pandas()
    levels, tensors = ("dram", "glb", "noc", "rf"), ("weight", "input", "output")
    rel = 1e-12
    energy = df[[f"{lv}_energy_pj" for lv in levels]].sum(axis=1)
    energy += df["mac_energy_pj"] + df["leakage_energy_pj"]
    np.testing.assert_allclose(energy, df["energy_pj"], rtol=rel)
    by_tensor = df[[f"{t}_energy_pj" for t in tensors]].sum(axis=1)
    np.testing.assert_allclose(
        by_tensor + df["mac_energy_pj"] + df["leakage_energy_pj"],
        df["energy_pj"],
        rtol=rel,
    )
    for lv in levels:
        cells = df[[f"{lv}_{t}_pj" for t in tensors]].sum(axis=1)
        np.testing.assert_allclose(cells, df[f"{lv}_energy_pj"], rtol=rel)
    for lv in ("dram", "glb", "rf"):
        for rw in ("reads", "writes"):
            cells = df[[f"{lv}_{t}_{rw}" for t in tensors]].sum(axis=1)
            np.testing.assert_array_equal(cells, df[f"{lv}_{rw}"])
    noc = df[[f"noc_{t}_{rw}" for t in tensors for rw in ("reads", "writes")]].sum(
        axis=1
    )
    np.testing.assert_array_equal(noc, df["noc_transfers"])
    dram_bytes = df[[f"dram_{t}_bytes" for t in tensors]].sum(axis=1)
    np.testing.assert_allclose(dram_bytes, df["dram_bytes"], rtol=rel)
    # latency = max of its three terms; stall by cause; the bound is the largest term
    terms = df[["compute_cycles", "dram_cycles", "glb_cycles"]].to_numpy()
    np.testing.assert_array_equal(terms.max(axis=1), df["latency_cycles"])
    np.testing.assert_array_equal(
        df[["dram_stall_cycles", "glb_stall_cycles"]].max(axis=1), df["stall_cycles"]
    )
    assert df["bound"].tolist() == [
        ("compute", "dram", "glb")[int(np.argmax(t))] for t in terms
    ]
    assert df["latency_share"].sum() == pytest.approx(1, rel=1e-12)
    assert df["energy_share"].sum() == pytest.approx(1, rel=1e-12)
    # area by component
    parts = sum(rep.area_breakdown_um2.values())
    assert parts == pytest.approx(rep.area_um2, rel=1e-12)
    assert rep.total("mac_area_um2") == rep.area_breakdown_um2["mac"]
    # the network's bound: the one of most of the latency (fc layers: GLB)
    by_bound = df.groupby("bound")["latency_cycles"].sum()
    assert rep.totals["bound"] == by_bound.idxmax()


def test_total_of_every_summable_column() -> None:
    rep = tldse.simulate(tldse.Accelerator(), "resnet18")
    df = rep.to_pandas()
    assert rep.total("dram_weight_pj") == pytest.approx(
        float((df["dram_weight_pj"] * df["count"]).sum()), rel=1e-12
    )
    with pytest.raises(ValueError, match="'mapping' has no total"):
        rep.total("mapping")
    with pytest.raises(ValueError, match="unknown report column 'dram_weight'"):
        rep.total("dram_weight")


def test_infeasible_layers_keep_the_schema(tldse_sim: str) -> None:
    rep = report_for(["--set", TINY_GLB], "vgg16")
    statuses = {layer.status for layer in rep.layers}
    assert "does_not_fit" in statuses and "ok" in statuses
    df = rep.to_pandas()
    bad = df[df["status"] != "ok"]
    assert bad["latency_cycles"].isna().all() and (bad["bound"] == "").all()
    assert (bad["mapping"] == "").all() and (bad["macs"] > 0).all()
    assert math.isnan(rep.total("energy_pj")) and rep.total("macs") > 0
    assert rep.totals["status"] == "does_not_fit" and rep.totals["bound"] == ""


def test_mapping_text_by_hand() -> None:
    """ResNet-18's conv1 on 16x16 ws: the window C x R x S = 3 x 7 x 7 = 147 on the
    rows in ceil(147/16) = 10 folds, K = 64 filters in 4 folds, 112 x 112 pixels."""
    rep = tldse.simulate(tldse.Accelerator(), "resnet18")
    one_line = rep.layers[0].values["mapping"]
    assert (
        "ws 16x16: 147 window values (C/g x R x S) on the rows in 10 folds" in one_line
    )
    assert "64 filters (K/g) on the columns in 4 folds" in one_line
    assert "12544 pixels (N x P x Q) streamed" in one_line
    nest = rep.mapping("conv1")
    lines = nest.splitlines()
    tiling = rep.layers[0].tiling
    assert lines[0] == "DRAM -> GLB (ws on 16x16), outer to inner:"
    # the three tile loops, outer to inner, each indented one more step
    for depth, loop in enumerate(tiling["order"], start=1):
        assert lines[depth].startswith("  " * depth + f"for {loop} in ")
    assert f"of {tiling['filters']} filter" in nest
    assert rep.mapping(0) == nest
    # rs: what each PE holds, from the rs mapping
    eye = tldse.simulate(tldse.Accelerator.preset("eyeriss"), "alexnet")
    m = eye.layers[2].mapping
    assert f"each PE: {m['p']} filters x {m['q']} channels x 3 weights" in eye.mapping(
        2
    )
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        eye.mapping("nope")


# SCALE-Sim 3.0.0's report for examples/scalesim_32x32_os.cfg in CALC mode and one
# layer (10x10 input, 3x3 filter, 4 channels, 40 filters): run by hand
# (python -m scalesim.scale -c ... -t ...; tests/test_scalesim_files.py does it live).
SCALESIM_COMPUTE = "0, 667, 391, 0, 23.017902813299234, 62.5, 22.95918367346939,"
SCALESIM_ACCESS = (
    "0, 1.0, 361.0, 4608, 1.0, 337.0, 2880, 35.0, 367.0, 2816, -66.0, -1.0, 400, "
    "-197.0, -1.0, 1440, 391.0, 470.0, 2560,"
)
SCALESIM_HEADERS = {
    "COMPUTE_REPORT.csv": "LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall "
    "Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,",
    "BANDWIDTH_REPORT.csv": "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP "
    "SRAM BW, Avg IFMAP DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,",
    "DETAILED_ACCESS_REPORT.csv": "LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop "
    "Cycle, SRAM IFMAP Reads, SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM "
    "Filter Reads, SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, "
    "DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, DRAM Filter "
    "Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, DRAM OFMAP Start Cycle, "
    "DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,",
}


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.split(",")][:-1]


def test_scalesim_reports(
    tldse_sim: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "calc.cfg"
    cfg.write_text(
        (EXAMPLES / "scalesim_32x32_os.cfg")
        .read_text()
        .replace("InterfaceBandwidth: USER", "InterfaceBandwidth: CALC")
    )
    topo = tmp_path / "tiny.csv"
    topo.write_text(
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
        "Num Filter, Strides,\nC1, 10, 10, 3, 3, 4, 40, 1,\n"
    )
    ours_dir, theirs_dir = tmp_path / "py", tmp_path / "bin"
    sim(
        tldse_sim,
        "--config",
        str(cfg),
        "--topology",
        str(topo),
        "--reports",
        str(theirs_dir),
    )
    cli(
        capsys,
        "--config",
        str(cfg),
        "--workload",
        str(topo),
        "--reports",
        str(ours_dir),
    )
    for name, header in SCALESIM_HEADERS.items():
        text = (ours_dir / name).read_text()
        assert text == (theirs_dir / name).read_text()  # both front ends
        lines = text.splitlines()
        assert lines[0] == header and len(lines) == 2
    compute = cells((ours_dir / "COMPUTE_REPORT.csv").read_text().splitlines()[1])
    scalesim = cells(SCALESIM_COMPUTE)
    # equal but the prefetch (tldse has no prefetch phase: its latency)
    assert compute[2:] == scalesim[2:] and compute[1] == "391"
    access = cells(
        (ours_dir / "DETAILED_ACCESS_REPORT.csv").read_text().splitlines()[1]
    )
    theirs = cells(SCALESIM_ACCESS)
    for i in (3, 6, 12, 15, 18):  # SRAM ifmap/filter reads, DRAM reads and writes
        assert access[i] == theirs[i], i
    assert access[1] == access[2] == ""  # no per-transfer timing: left empty
    bandwidth = cells((ours_dir / "BANDWIDTH_REPORT.csv").read_text().splitlines()[1])
    assert float(bandwidth[1]) == pytest.approx(4608 / 391)  # SRAM ifmap words/cycle


def test_report_pickles_and_per_layer_breakdown() -> None:
    accs = [tldse.Accelerator(), tldse.Accelerator.preset("eyeriss")]
    rep = tldse.simulate(accs[1], "alexnet", energy="eyeriss")
    again = pickle.loads(pickle.dumps(rep))
    assert again.to_json() == rep.to_json()
    df = per_layer_breakdown(accs, "alexnet", index=[7, 9], energy="eyeriss")
    assert list(df.columns) == ["index", "workload", *REPORT_COLUMNS]
    assert df["index"].tolist() == [7] * 8 + [9] * 8
    one = (
        df[df["index"] == 9].drop(columns=["index", "workload"]).reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(one, rep.to_pandas())


def test_sweep_and_explore_layers_use_the_schema(tmp_path: Path) -> None:
    r = tldse.sweep("tiny", "resnet18", chunk_size=200)
    layers = r.per_layer()
    assert list(layers.columns) == ["index", "workload", *REPORT_COLUMNS]
    first = int(r.front["index"].iloc[0])
    acc = tldse.Accelerator.from_row(r.space.configs(np.array([first]))[0])
    mine = layers[layers["index"] == first].drop(columns=["index", "workload"])
    pd.testing.assert_frame_equal(
        mine.reset_index(drop=True), tldse.simulate(acc, "resnet18").to_pandas()
    )
    from tldse.exploration.api import per_layer

    res = tldse.explore("tiny", "resnet18", budget=40, method="random", seed=0)
    chosen = int(res.front["index"].iloc[0])
    table = per_layer(res, chosen)
    assert list(table.columns) == ["index", "workload", *REPORT_COLUMNS]
    assert set(table["index"]) == {chosen}
