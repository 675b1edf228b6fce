"""Accelerator presets and built-in workloads, through the Python API, ``tldse-sim``
and ``tldse simulate``.

The expected preset values are the numbers documented (with their sources) in
docs/presets.md; the built-in workloads of ``tldse-sim --workload`` must be exactly
the Python zoo's layer tables.
"""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tldse
from tldse import _core
from tldse.cli import main as tldse_main
from tldse.workloads import to_layer_csv

PRESETS = ("eyeriss", "tpu-v1", "nvdla", "shidiannao")

# Every field of every preset (docs/presets.md gives the source of each number).
EXPECTED: dict[str, dict[str, Any]] = {
    "eyeriss": dict(
        dataflow="rs", pe_rows=12, pe_cols=14,
        rf_bytes=520, rf_input_bytes=24, rf_weight_bytes=448, rf_output_bytes=48,
        glb_bytes=110592, glb_input_bytes=0, glb_weight_bytes=0, glb_output_bytes=0,
        dram_bw_bytes_per_cycle=8, glb_bw_bytes_per_cycle=16, multicast=True,
        weight_bits=16, act_bits=16, psum_bits=16, clock_mhz=200,
    ),
    "tpu-v1": dict(
        dataflow="ws", pe_rows=256, pe_cols=256,
        rf_bytes=8, rf_input_bytes=0, rf_weight_bytes=0, rf_output_bytes=0,
        glb_bytes=28 * 2**20, glb_input_bytes=0, glb_weight_bytes=0,
        glb_output_bytes=0, dram_bw_bytes_per_cycle=34e9 / 700e6,
        glb_bw_bytes_per_cycle=1280, multicast=False,
        weight_bits=8, act_bits=8, psum_bits=32, clock_mhz=700,
    ),
    "nvdla": dict(
        dataflow="ws", pe_rows=64, pe_cols=32,
        rf_bytes=8, rf_input_bytes=0, rf_weight_bytes=0, rf_output_bytes=0,
        glb_bytes=512 * 1024, glb_input_bytes=0, glb_weight_bytes=0,
        glb_output_bytes=0, dram_bw_bytes_per_cycle=20, glb_bw_bytes_per_cycle=256,
        multicast=True, weight_bits=8, act_bits=8, psum_bits=32, clock_mhz=1000,
    ),
    "shidiannao": dict(
        dataflow="os", pe_rows=8, pe_cols=8,
        rf_bytes=6, rf_input_bytes=0, rf_weight_bytes=0, rf_output_bytes=0,
        glb_bytes=256 * 1024, glb_input_bytes=64 * 1024,
        glb_weight_bytes=128 * 1024, glb_output_bytes=64 * 1024,
        dram_bw_bytes_per_cycle=8, glb_bw_bytes_per_cycle=48, multicast=True,
        weight_bits=16, act_bits=16, psum_bits=16, clock_mhz=1000,
    ),
}  # fmt: skip


def run_sim(sim: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sim, *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def sim_ok(sim: str, *args: str | Path) -> str:
    proc = run_sim(sim, *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def sim_error(sim: str, *args: str | Path) -> str:
    """Runs tldse-sim expecting exit 2 and exactly one 'tldse-sim: error:' line."""
    proc = run_sim(sim, *args)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("tldse-sim: error: "), lines[0]
    assert proc.stdout == ""
    return lines[0]


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def num(text: str) -> float:
    return math.nan if text == "nan" else float(text)


def same(a: float, b: float, rel: float = 1e-9) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == pytest.approx(b, rel=rel, abs=0)


# --- presets in Python ----------------------------------------------------------------


def test_preset_names() -> None:
    assert tuple(tldse.presets()) == PRESETS
    assert [p[0] for p in _core.presets()] == list(PRESETS)


@pytest.mark.parametrize("name", PRESETS)
def test_preset_loads_feasible_with_source(name: str) -> None:
    acc = tldse.Accelerator.preset(name)
    assert acc.infeasibility() == ""
    assert set(EXPECTED[name]) == set(tldse.CONFIG_COLUMNS)
    for field, value in EXPECTED[name].items():
        got = getattr(acc, field)
        if isinstance(value, str):
            assert got == value, field
        else:
            assert got == pytest.approx(value, rel=1e-15), field
    info = tldse.preset_info(name)
    assert isinstance(info, tldse.PresetInfo)
    assert info.description
    assert len(info.source) > 20
    assert info == tldse.preset_info(name.upper())
    assert tldse.Accelerator.preset(name.upper()) == acc


def test_preset_sources_name_their_papers() -> None:
    assert "Eyeriss" in tldse.preset_info("eyeriss").source
    assert "JSSC" in tldse.preset_info("eyeriss").source
    assert "Tensor Processing Unit" in tldse.preset_info("tpu-v1").source
    assert "nv_full" in tldse.preset_info("nvdla").source
    assert "ShiDianNao" in tldse.preset_info("shidiannao").source


def test_preset_overrides_field_by_field() -> None:
    base = tldse.Accelerator.preset("eyeriss")
    acc = tldse.Accelerator.preset("eyeriss", glb_bytes=65536)
    assert acc.glb_bytes == 65536
    assert acc == base.replace(glb_bytes=65536)
    assert acc.infeasibility() == ""
    acc2 = tldse.Accelerator.preset("tpu-v1", pe_rows=128, dataflow="os")
    assert (acc2.pe_rows, acc2.pe_cols, acc2.dataflow) == (128, 256, "os")


def test_preset_errors_list_valid_names() -> None:
    with pytest.raises(ValueError, match="unknown preset 'tpu'") as exc:
        tldse.Accelerator.preset("tpu")
    for name in PRESETS:
        assert name in str(exc.value)
    with pytest.raises(ValueError, match="shidiannao"):
        tldse.preset_info("nope")
    with pytest.raises(ValueError, match="glb_kib"):
        tldse.Accelerator.preset("eyeriss", glb_kib=1)


def test_preset_names_in_public_api() -> None:
    for name in ("presets", "preset_info", "PresetInfo"):
        assert name in tldse.__all__


# --- built-in workloads ---------------------------------------------------------------


@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("name", tldse.workloads.names())
def test_builtin_workload_equals_python_zoo(name: str, batch: int) -> None:
    names, table = _core.builtin_workload(name, batch)
    wl = tldse.workloads.get(name, batch=batch)
    assert names == wl.names
    assert table.dtype == np.int64
    np.testing.assert_array_equal(table, wl.table())


def test_builtin_workload_names_and_errors() -> None:
    names = _core.builtin_workload_names()
    assert names == tldse.workloads.names()  # the zoo's nine networks
    assert _core.builtin_workload("MobileNet-V2", 1)[0][:2] == [
        "conv1",
        "block1_1.dw",
    ]
    with pytest.raises(ValueError, match="mobilenet_v2"):
        _core.builtin_workload("lenet", 1)
    with pytest.raises(ValueError, match="batch"):
        _core.builtin_workload("alexnet", 0)


# --- tldse-sim ------------------------------------------------------------------------


@pytest.mark.parametrize("name", PRESETS)
def test_binary_matches_python_api(tldse_sim: str, name: str) -> None:
    """tldse-sim --preset P --workload alexnet --batch 4 == tldse.simulate(...)."""
    out = sim_ok(
        tldse_sim, "--preset", name, "--workload", "alexnet", "--batch", "4",
        "--format", "csv",
    )  # fmt: skip
    *rows, total = csv_rows(out)
    rep = tldse.simulate(
        tldse.Accelerator.preset(name), tldse.workloads.get("alexnet", batch=4)
    )
    assert [r["layer"] for r in rows] == [layer.name for layer in rep.layers]
    assert total["layer"] == "total"
    assert same(num(total["latency_cycles"]), rep.total("latency_cycles"))
    for row, layer in zip(rows, rep.layers, strict=True):
        assert row["status"] == layer.status, layer.name
        pairs = {
            "latency_cycles": layer.metrics["latency_cycles"],
            "energy_pj": layer.metrics["energy_pj"],
            "macs": layer.metrics["macs"],
            "dram_reads": layer.accesses["dram_reads"],
        }
        for column, expected in pairs.items():
            assert same(num(row[column]), expected), (name, layer.name, column)


def test_binary_preset_with_set_override(tldse_sim: str) -> None:
    out = sim_ok(
        tldse_sim, "--preset", "eyeriss", "--set", "glb_bytes=65536",
        "--workload", "alexnet", "--format", "json",
    )  # fmt: skip
    doc = json.loads(out)
    assert doc["preset"] is None  # the preset the design equals: none once changed
    assert doc["workload"] == "alexnet"
    expected = tldse.Accelerator.preset("eyeriss", glb_bytes=65536)
    for field in tldse.CONFIG_COLUMNS:
        want = getattr(expected, field)
        got = doc["arch"][field]
        assert got == (want if field == "dataflow" else pytest.approx(float(want))), (
            field
        )
    assert [layer["layer"] for layer in doc["layers"]] == [
        *(f"conv{i}" for i in range(1, 6)),
        *(f"fc{i}" for i in range(6, 9)),
    ]


def test_binary_preset_is_case_insensitive(tldse_sim: str) -> None:
    doc = json.loads(
        sim_ok(tldse_sim, "--preset", "TPU-V1", "--workload", "alexnet",
               "--format", "json")
    )  # fmt: skip
    assert doc["preset"] == "tpu-v1"
    assert doc["arch"]["pe_rows"] == 256


def test_binary_lists(tldse_sim: str) -> None:
    out = sim_ok(tldse_sim, "--list-presets")
    for name in PRESETS:
        assert name in out
        assert tldse.preset_info(name).source in out
    out = sim_ok(tldse_sim, "--list-workloads")
    for name in _core.builtin_workload_names():
        assert name in out
    assert "724.4 MMACs" in out  # AlexNet at batch 1


def test_binary_batch_sets_n_of_topology_layers(tldse_sim: str, tmp_path: Path) -> None:
    path = to_layer_csv(tldse.workloads.get("alexnet"), tmp_path / "alexnet.csv")
    from_file = csv_rows(
        sim_ok(tldse_sim, "--topology", path, "--batch", "4", "--format", "csv")
    )
    builtin = csv_rows(
        sim_ok(tldse_sim, "--workload", "alexnet", "--batch", "4",
               "--format", "csv")
    )  # fmt: skip
    assert from_file == builtin
    batch1 = csv_rows(sim_ok(tldse_sim, "--topology", path, "--format", "csv"))
    assert num(builtin[0]["macs"]) == 4 * num(batch1[0]["macs"])


def test_binary_runs_rs_designs(tldse_sim: str) -> None:
    """rs is no longer refused up front: every layer gets a status."""
    proc = run_sim(
        tldse_sim, "--workload", "alexnet", "--set", "dataflow=rs",
        "--format", "csv",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = csv_rows(proc.stdout)
    assert len(rows) == 8 + 1  # and the total
    assert {r["status"] for r in rows} <= set(tldse.STATUS_NAMES)


@pytest.mark.parametrize("objective", ["latency", "energy", "edp"])
def test_binary_mapper_options(tldse_sim: str, objective: str) -> None:
    doc = json.loads(
        sim_ok(tldse_sim, "--preset", "nvdla", "--workload", "alexnet",
               "--objective", objective, "--mapper", "heuristic", "--format", "json")
    )  # fmt: skip
    assert doc["mapper"] == {"objective": objective, "mode": "heuristic"}
    assert all(layer["status"] == "ok" for layer in doc["layers"])


def test_binary_help_documents_new_flags(tldse_sim: str) -> None:
    out = sim_ok(tldse_sim, "--help")
    for flag in ("--preset", "--workload", "--batch", "--list-presets",
                 "--list-workloads", "--objective", "--mapper"):  # fmt: skip
        assert flag in out
    for name in PRESETS:
        assert name in out


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--preset", "tpu", "--workload", "alexnet"], ["tpu", *PRESETS]),
        (["--workload", "lenet"], ["lenet", "alexnet", "mobilenet_v2", "resnet50"]),
        (["--preset", "eyeriss"], ["--workload", "--topology"]),
        (
            ["--preset", "eyeriss", "--config", "x.cfg", "--workload", "alexnet"],
            ["--preset", "--config"],
        ),
        (
            ["--preset", "eyeriss", "--arch", "x.txt", "--workload", "alexnet"],
            ["--preset", "--arch"],
        ),
        (
            ["--workload", "alexnet", "--topology", "x.csv"],
            ["--workload", "--topology"],
        ),
        (["--workload", "alexnet", "--batch", "0"], ["--batch", "0"]),
        (["--workload", "alexnet", "--batch", "2x"], ["--batch", "2x"]),
        (["--workload", "alexnet", "--batch"], ["--batch"]),
        (["--workload", "alexnet", "--objective", "speed"], ["speed", "latency"]),
        (["--workload", "alexnet", "--mapper", "genetic"], ["genetic", "exhaustive"]),
        (["--workload", "alexnet", "--workload", "vgg16"], ["--workload"]),
        (
            ["--preset", "eyeriss", "--set", "glb_bytes=0", "--workload", "alexnet"],
            ["infeasible"],
        ),
    ],
)
def test_binary_errors(tldse_sim: str, args: list[str], needles: list[str]) -> None:
    message = sim_error(tldse_sim, *args)
    for needle in needles:
        assert needle in message, (needle, message)


# --- tldse simulate -------------------------------------------------------------------


def test_cli_simulate_preset_with_override(capsys: pytest.CaptureFixture[str]) -> None:
    rc = tldse_main(
        ["simulate", "--preset", "eyeriss", "--set", "glb_bytes=65536",
         "--workload", "alexnet", "--batch", "4", "--format", "json"]
    )  # fmt: skip
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    acc = doc["arch"]  # tldse-sim's JSON (one schema)
    assert acc["glb_bytes"] == 65536
    assert acc["dataflow"] == "rs"
    assert (acc["pe_rows"], acc["pe_cols"], acc["clock_mhz"]) == (12, 14, 200)


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--preset", "tpu"], ["tpu", *PRESETS]),
        (["--preset", "eyeriss", "--config", "x.cfg"], ["--preset", "--config"]),
        (["--preset", "eyeriss", "--arch", "x.txt"], ["--preset", "--arch"]),
    ],
)
def test_cli_simulate_preset_errors(
    capsys: pytest.CaptureFixture[str], args: list[str], needles: list[str]
) -> None:
    rc = tldse_main(["simulate", "--workload", "alexnet", *args])
    assert rc == 2
    err = capsys.readouterr().err
    for needle in needles:
        assert needle in err, (needle, err)
