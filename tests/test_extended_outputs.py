"""``_core.evaluate(..., extended=True)``: the analytical model's own outputs per
(design, layer). Checked against a hand-computed case, against the identities that tie
them to the default outputs, and against ``evaluate_layer`` (the single-pair path)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tldse
from tldse import _core
from tldse.bench import random_configs

INT_FIELDS = {
    "bound", "row_tiles", "filter_tiles", "channel_tiles", "loop_order",
    "rs_p", "rs_q", "rs_tf", "rs_tc",
}  # fmt: skip


def _layers() -> np.ndarray:
    wl = tldse.workloads.get("mobilenet_v2")
    return np.asarray(wl.table()[:12], dtype=np.float64)


def _run(dataflow: str, n: int = 60) -> tuple[dict[str, np.ndarray], np.ndarray]:
    configs = random_configs(n, dataflow, seed=1)
    layers = _layers()
    out = _core.evaluate(configs, layers, _core.EnergyTable(), 2, extended=True)
    return {str(k): np.asarray(v) for k, v in out.items()}, configs


def test_names_and_default_output_unchanged() -> None:
    configs = random_configs(40, "rs", seed=2)
    layers = _layers()
    table = _core.EnergyTable()
    plain = _core.evaluate(configs, layers, table, 2)
    ext = _core.evaluate(configs, layers, table, 2, extended=True)
    assert set(ext) == set(plain) | set(_core.extended_fields)
    for key, value in plain.items():
        np.testing.assert_array_equal(ext[key], value)
    for name in _core.extended_fields:
        assert ext[name].shape == (40, len(layers))
        assert ext[name].dtype == (np.int64 if name in INT_FIELDS else np.float64)
    with pytest.raises(ValueError, match="per_network=False"):
        _core.evaluate(configs, layers, table, 2, True, extended=True)


def test_hand_case() -> None:
    # A 4x4x4 GEMM on the default 16x16 ws design (8-bit, 128 KiB GLB): one tile of
    # everything, so every tensor crosses DRAM once: 16 B each (outputs at 8 bits).
    row = tldse.Accelerator().row()[None, :]
    layer = np.asarray([tldse.Layer.gemm("g", m=4, n=4, k=4).row()], dtype=np.float64)
    d = _core.evaluate(row, layer, _core.EnergyTable(), 1, extended=True)
    assert d["status"][0, 0] == 0
    for name in ("dram_weight_bytes", "dram_input_bytes", "dram_output_bytes"):
        assert d[name][0, 0] == 16.0
    # Every tiling moves each tensor once here; the mapper keeps the smallest one: one
    # output row (of 4) per tile, every filter and channel.
    assert (d["row_tiles"][0, 0], d["filter_tiles"][0, 0]) == (4, 1)
    assert d["dram_cycles"][0, 0] == 3  # 48 B / 16 B per cycle
    assert (d["rs_p"][0, 0], d["rs_tc"][0, 0]) == (0, 0)  # not a row-stationary design
    assert d["bound"][0, 0] == 0  # compute-bound: fill and drain of a 16x16 array


@pytest.mark.parametrize("dataflow", ["ws", "os", "is", "rs"])
def test_identities(dataflow: str) -> None:
    d, _ = _run(dataflow)
    ok = d["status"] == 0
    assert ok.mean() > 0.5
    rel = dict(rtol=1e-12, atol=0)
    levels = sum(d[f"{x}_energy_pj"] for x in ("mac", "rf", "noc", "glb", "dram"))
    np.testing.assert_allclose(
        (levels + d["leakage_energy_pj"])[ok], d["energy_pj"][ok], **rel
    )
    tensors = sum(d[f"{t}_energy_pj"] for t in ("weight", "input", "output"))
    np.testing.assert_allclose(
        (tensors + d["mac_energy_pj"] + d["leakage_energy_pj"])[ok],
        d["energy_pj"][ok],
        **rel,
    )
    dram = sum(d[f"dram_{t}_bytes"] for t in ("weight", "input", "output"))
    np.testing.assert_allclose(dram[ok], d["dram_bytes"][ok], **rel)
    stall = np.maximum(d["dram_stall_cycles"], d["glb_stall_cycles"])
    np.testing.assert_array_equal(stall[ok], d["stall_cycles"][ok])
    lat = d["latency_cycles"]
    bound = d["bound"]
    for code, term in enumerate(("compute_cycles", "dram_cycles", "glb_cycles")):
        sel = ok & (bound == code)
        np.testing.assert_array_equal(lat[sel], d[term][sel])
    assert set(np.unique(bound[ok])) <= {0, 1, 2}
    assert np.all((d["loop_order"][ok] >= 0) & (d["loop_order"][ok] <= 5))
    bad = ~ok
    if bad.any():
        assert np.isnan(d["dram_cycles"][bad]).all()
        assert (d["bound"][bad] == -1).all()


@pytest.mark.parametrize("dataflow", ["ws", "rs"])
def test_against_single_pair_path(dataflow: str) -> None:
    d, configs = _run(dataflow, n=12)
    layers = _layers()
    table = _core.EnergyTable()
    for i in range(len(configs)):
        for j in range(len(layers)):
            one = _core.evaluate_layer(configs[i], layers[j], table)
            if one["status"] != 0:
                assert d["status"][i, j] == one["status"]
                continue
            t = one["tiling"]
            n, p, k, c, groups = (int(layers[j][x]) for x in (1, 4, 2, 3, 14))
            rows = t["rows"]
            want_rows = (
                n * math.ceil(p / rows) if rows <= p else math.ceil(n / (rows // p))
            )
            assert d["row_tiles"][i, j] == want_rows
            assert d["filter_tiles"][i, j] == math.ceil(k // groups / t["filters"])
            assert d["channel_tiles"][i, j] == math.ceil(c // groups / t["channels"])
            e = one["energy_breakdown"]
            for tensor in ("weight", "input", "output"):
                want = sum(
                    e[f"{lv}_{tensor}_pj"] for lv in ("dram", "glb", "noc", "rf")
                )
                assert d[f"{tensor}_energy_pj"][i, j] == pytest.approx(want, rel=1e-12)
            if dataflow == "rs":
                m = one["rs_mapping"]
                assert [d[f"rs_{x}"][i, j] for x in ("p", "q", "tf", "tc")] == [
                    m["p"],
                    m["q"],
                    m["tf"],
                    m["tc"],
                ]
