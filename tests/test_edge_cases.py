"""Edge cases found in review: each asserts the documented behaviour."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

import tldse
from tldse import _core


def test_empty_layer_table_is_rejected_not_garbage() -> None:
    configs = np.tile(tldse.Accelerator().row(), (4, 1))
    table = tldse.energy_table()
    for per_network in (False, True):
        with pytest.raises(ValueError, match="layers"):
            _core.evaluate(configs, np.zeros((0, 16)), table, 0, per_network)


def test_read_arch_file_needs_one_base_row(tmp_path: Path) -> None:
    f = tmp_path / "a.toml"
    f.write_text("pe_rows = 8\n")
    with pytest.raises(ValueError, match="one config row"):
        _core.read_arch_file(str(f), np.zeros((0, 18)))
    assert _core.read_arch_file(str(f), tldse.Accelerator().row())[1] == 8


def test_energy_overrides_do_not_change_the_callers_table() -> None:
    base = tldse.energy_table("horowitz45")
    changed = tldse.energy_table(base, {"dram_pj": 1.0})
    assert changed.dram_pj == 1.0
    assert base.dram_pj == tldse.energy_table().dram_pj != 1.0


@pytest.mark.parametrize(
    "field", ["dram_bw_bytes_per_cycle", "glb_bw_bytes_per_cycle", "clock_mhz"]
)
def test_vanishing_bandwidth_or_clock_is_infeasible_not_nan(field: str) -> None:
    acc = tldse.Accelerator(dataflow="rs").replace(**{field: 1e-310})
    ev = tldse.evaluate([acc], tldse.workloads.get("alexnet"), per_network=True)
    assert tldse.STATUS_NAMES[ev["status"][0]] == "invalid_config"
    assert math.isnan(ev["latency_cycles"][0])
    assert "below 1e-6" in acc.infeasibility()


def test_rs_with_very_tall_filters_finishes() -> None:
    # r = 2^20 on a 1x1 array folds the filter rows 2^20 times; the input-row count
    # switches to its closed form instead of looping over every (strip, piece) pair.
    layer = tldse.Layer("tall", "conv", n=1, k=1, c=1, p=4096, q=1, r=2**20, s=1)
    acc = tldse.Accelerator(dataflow="rs", pe_rows=1, pe_cols=1, glb_bytes=1e12)
    rep = tldse.simulate(acc, [layer])
    assert rep.layers[0].status == "ok"
    assert rep.layers[0].mapping["r_fold"] == 2**20
    assert math.isfinite(rep.layers[0].metrics["latency_cycles"])


def test_tall_dilated_layer_counts_only_rows_read() -> None:
    # p = 8192 output rows of a 3-tap filter dilated by 2^20: each output row reads 3
    # rows, all distinct, so a single pass over the input reads 3 * 8192 rows, not the
    # dilated span (which the closed form for > 4096 row tiles used to count).
    layer = tldse.Layer(
        "dil", "conv", n=1, k=1, c=1, p=8192, q=1, r=3, s=1, dil_h=2**20
    )
    acc = tldse.Accelerator(glb_bytes=2**40)
    rep = tldse.simulate(acc, [layer])
    assert rep.layers[0].accesses["dram_input_reads"] <= 3 * 8192


def test_tldse_csv_rows_with_extra_fields_are_rejected(tmp_path: Path) -> None:
    f = tmp_path / "net.csv"
    f.write_text("name,kind,n,k,c,p\nx,conv,1,2,3,4,5,6,7\n")
    with pytest.raises(ValueError, match=r"net\.csv:2:.*9 fields"):
        tldse.Workload.read(f)


def test_batch_flag_revalidates_layers(tmp_path: Path, tldse_sim: str) -> None:
    f = tmp_path / "big.csv"
    f.write_text("name,kind,n,k,c,p,q,r,s\nbig,conv,1,1,1,1048576,1048576,1,1\n")
    out = subprocess.run(
        [tldse_sim, "--topology", str(f), "--batch", "1048576"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("tldse-sim: error: --batch 1048576")
    assert "2^53" in out.stderr
