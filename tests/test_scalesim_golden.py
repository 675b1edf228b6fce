"""compute_cycles must equal SCALE-Sim v2's total cycles exactly (simulator core issue).

The golden file tests/golden/scalesim_cycles.csv was produced by running SCALE-Sim 2.0.2
(PyPI ``scalesim``) with memory that never stalls; its header says exactly how
(tools/gen_scalesim_goldens.py). The test suite does not depend on scalesim.
"""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import numpy as np
import pytest

import tldse
from tldse import _core

from .conftest import GOLDEN

ROWS = [
    row
    for row in csv.DictReader(
        line
        for line in (GOLDEN / "scalesim_cycles.csv").read_text().splitlines()
        if not line.startswith("#")
    )
]
CONV_HEADER = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
    "Num Filter, Strides,"
)


def test_golden_file_covers_the_issue() -> None:
    kinds = [r["kind"] for r in ROWS]
    assert kinds.count("conv") >= 40
    assert kinds.count("gemm") >= 20
    assert {r["dataflow"] for r in ROWS} == {"ws", "os", "is"}
    shapes = {(int(r["array_rows"]), int(r["array_cols"])) for r in ROWS}
    assert any(a != b for a, b in shapes)  # non-square arrays
    assert all(int(r["stall_cycles"]) == 0 for r in ROWS)


def _topology_line(r: dict[str, str], i: int) -> str:
    if r["kind"] == "conv":
        fields = ("ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels",
                  "num_filters", "stride")  # fmt: skip
    else:
        fields = ("m", "n", "k")
    return f"L{i}," + ",".join(r[f] for f in fields) + ","


def _unbounded(r: dict[str, str]) -> tldse.Accelerator:
    # Bandwidth and buffers far beyond anything the layers need: compute-bound.
    return tldse.Accelerator(
        dataflow=r["dataflow"],  # type: ignore[arg-type]
        pe_rows=int(r["array_rows"]),
        pe_cols=int(r["array_cols"]),
        glb_bytes=2**34,
        dram_bw_bytes_per_cycle=1e12,
        glb_bw_bytes_per_cycle=1e12,
    )


@pytest.mark.parametrize("kind", ["conv", "gemm"])
def test_compute_cycles_equal_scalesim(kind: str, tmp_path: Path) -> None:
    rows = [r for r in ROWS if r["kind"] == kind]
    topo = tmp_path / f"{kind}.csv"
    header = CONV_HEADER if kind == "conv" else "Layer, M, N, K,"
    topo.write_text(
        "\n".join([header] + [_topology_line(r, i) for i, r in enumerate(rows)]) + "\n"
    )
    # The importer follows SCALE-Sim's conventions (output size, no padding).
    workload = tldse.Workload.read(topo)
    assert len(workload) == len(rows)
    mismatches = []
    for i, r in enumerate(rows):
        ev = tldse.evaluate([_unbounded(r)], workload.layers[i : i + 1])
        assert ev["status"][0, 0] == 0
        got = ev["compute_cycles"][0, 0]
        want = int(r["total_cycles"])
        if got != want:
            mismatches.append((r, got, want))
        # Bandwidth is not the limit: no stalls in our model either.
        assert ev["stall_cycles"][0, 0] == 0
        assert ev["latency_cycles"][0, 0] == want
        # MACs of the operand matrices SCALE-Sim used: sr * sc * t.
        assert ev["macs"][0, 0] == int(r["sr"]) * int(r["sc"]) * int(r["t"])
    assert not mismatches, mismatches[:5]


def test_closed_form_matches_scalesim_operand_dims() -> None:
    for r in ROWS:
        got = _core.systolic_cycles(
            r["dataflow"], int(r["sr"]), int(r["sc"]), int(r["t"]),
            int(r["array_rows"]), int(r["array_cols"]),
        )  # fmt: skip
        assert got == int(r["total_cycles"]), r


def test_binary_agrees_with_scalesim(tmp_path: Path, tldse_sim: str) -> None:
    """The same numbers through tldse-sim with a SCALE-Sim .cfg and topology."""
    groups: dict[tuple[str, str, str], list[dict[str, str]]] = {}
    for r in ROWS:
        if r["kind"] == "conv":
            key = (r["dataflow"], r["array_rows"], r["array_cols"])
            groups.setdefault(key, []).append(r)
    for (df, rows_, cols_), rows in sorted(groups.items())[:6]:
        cfg = tmp_path / "a.cfg"
        cfg.write_text(
            "[general]\nrun_name = golden\n\n[architecture_presets]\n"
            f"ArrayHeight: {rows_}\nArrayWidth: {cols_}\n"
            "IfmapSramSzkB: 4096\nFilterSramSzkB: 4096\nOfmapSramSzkB: 4096\n"
            "IfmapOffset: 0\nFilterOffset: 10000000\nOfmapOffset: 20000000\n"
            f"Bandwidth: 100000\nDataflow: {df}\nMemoryBanks: 1\n\n"
            "[run_presets]\nInterfaceBandwidth: CALC\n"
        )
        topo = tmp_path / "t.csv"
        topo.write_text(
            "\n".join(
                [CONV_HEADER] + [_topology_line(r, i) for i, r in enumerate(rows)]
            )
        )
        out = subprocess.run(
            [tldse_sim, "--config", cfg, "--topology", topo, "--format", "csv"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        *lines, total = csv.DictReader(out.stdout.splitlines())
        assert total["layer"] == "total"
        assert [int(x["compute_cycles"]) for x in lines] == [
            int(r["total_cycles"]) for r in rows
        ]
        util = np.array([float(x["utilization"]) for x in lines])
        assert np.all((util > 0) & (util <= 1))
