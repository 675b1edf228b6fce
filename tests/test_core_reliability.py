"""Reliability of the C++ core (issue reproducers): the thread bound, the row-stationary
input-row count in closed form, the byte-bounded tiling cache, and statuses for results
that overflow."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import tldse
from tldse import _core


def _layer() -> np.ndarray:
    """A small conv: 8 filters, 8 channels, 4x4 outputs, 1x1 kernel."""
    return np.array([[0, 1, 8, 8, 4, 4, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1]], np.float64)


def test_threads_bound_names_the_limit() -> None:
    configs = np.repeat(tldse.Accelerator().row()[None, :], 3, axis=0)
    for bad in (_core.max_threads + 1, 10**6):
        with pytest.raises(ValueError, match=r"threads must be in \[0, 1024\]"):
            _core.evaluate(configs, _layer(), _core.EnergyTable(), bad)
    with pytest.raises(ValueError, match="1024"):
        vgg = tldse.workloads.get("vgg16")
        tldse.evaluate([tldse.Accelerator()], vgg, threads=2000)
    # More threads than designs: as many as there are designs.
    out = _core.evaluate(configs, _layer(), _core.EnergyTable(), 200)
    assert (out["status"] == 0).all()


def test_rs_reproducer_finishes(tmp_path: Path, tldse_sim: str) -> None:
    """A 4096-row filter over 2^20 output rows on a 256x256 rs array used to sort 65,536
    rows 65,536 times (80 s); the count is now closed form."""
    topo = tmp_path / "t.csv"
    topo.write_text("name,kind,n,k,c,p,q,r,s\nt,conv,1,1,1,1048576,1,4096,1\n")
    proc = subprocess.run(
        [tldse_sim, "--topology", str(topo), "--set", "dataflow=rs", "--set",
         "pe_rows=256", "--set", "pe_cols=256", "--format", "json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["layers"][0]["status"] == "ok"


def test_tiling_cache_peak_memory() -> None:
    """400 distinct layer shapes (~124 KiB of tilings each, ~48 MiB unbounded) under a
    4 MiB cache: the cache never holds more, and the process grows far less."""
    code = textwrap.dedent(
        """
        import json, resource, numpy as np
        from tldse import _core
        from tldse.bench import random_configs
        limit = 4 << 20
        _core.set_tiling_cache_limit(limit)
        cfg, table = random_configs(1, "ws"), _core.EnergyTable()
        base = [0, 4, 0, 700, 224, 224, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1]
        _core.evaluate(cfg, np.array([base[:2] + [499] + base[3:]], float), table, 1)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for i in range(400):
            layer = np.array([base[:2] + [500 + i] + base[3:]], np.float64)
            assert _core.evaluate(cfg, layer, table, 1)["status"][0, 0] == 0
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(json.dumps({"grown_kib": grown, **_core.tiling_cache_stats()}))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)
    assert stats["peak_bytes"] <= 4 << 20
    assert 10 < stats["entries"] < 400
    assert stats["grown_kib"] < 24 * 1024


def test_overflowing_energy_is_a_status(tmp_path: Path) -> None:
    table = tmp_path / "huge.toml"
    table.write_text("dram_pj = 1e308\n")
    ev = tldse.evaluate(
        [tldse.Accelerator()], tldse.workloads.get("alexnet"), energy=table
    )
    names = {tldse.STATUS_NAMES[s] for s in ev["status"].ravel()}
    assert names == {"nonfinite_energy"}
    assert np.isnan(ev["energy_pj"]).all()


def test_overflowing_area_is_a_status(tldse_sim: str, tmp_path: Path) -> None:
    # a byte count beyond 2^53 is malformed input, named with its bound
    with pytest.raises(ValueError, match=r"glb_bytes must be an integer in \[0, "):
        tldse.Accelerator(glb_bytes=1e308)
    # an area table that overflows: 2^40 bytes x 1e300 um^2 per byte
    table = tmp_path / "huge.toml"
    table.write_text("glb_um2_per_byte = 1e300\n")
    acc = tldse.Accelerator(glb_bytes=2**40)
    ev = tldse.evaluate([acc], tldse.workloads.get("alexnet"), energy=table)
    assert {tldse.STATUS_NAMES[s] for s in ev["status"].ravel()} == {"nonfinite_area"}
    proc = subprocess.run(
        [tldse_sim, "--workload", "alexnet", "--set", f"glb_bytes={2**40}",
         "--energy-table", str(table), "--format", "csv"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    statuses = {line.split(",")[2] for line in proc.stdout.splitlines()[1:]}
    assert statuses == {"nonfinite_area"}
    assert "nonfinite" in proc.stderr  # the warning names the status column
