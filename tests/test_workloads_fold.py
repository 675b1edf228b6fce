"""Unique-shape folding: the simulator sees each shape once, totals do not change."""

from __future__ import annotations

import numpy as np
import pytest

import tldse
from tldse.workloads import Layer, Workload, fold, network_total, unfold, zoo

ADDITIVE = ("latency_cycles", "compute_cycles", "energy_pj", "macs", "dram_reads")


def test_resnet50_has_24_distinct_shapes() -> None:
    """By hand: conv1 and fc (2); stage 2 (10 layers) has 4 shapes, because the
    projection equals the 64 -> 256 1x1 expansion and blocks 2-3 repeat block 1 but
    for the 256 -> 64 reduction; stages 3-5 have 6 each (first block's a, b, c and
    projection, later blocks' a and b; c repeats)."""
    wl = zoo.get("resnet50")
    folded, index = fold(wl)
    assert len(wl) == 54 and len(folded) == 2 + 4 + 3 * 6 == 24
    assert sum(x.count for x in folded) == 54
    assert folded.macs == wl.macs
    for i, layer in enumerate(wl):
        assert folded.layers[index[i]].shape_key() == layer.shape_key()
    by = dict(zip(wl.names, index, strict=True))
    assert by["conv2_1_proj"] == by["conv2_1c"] == by["conv2_3c"]
    assert folded.layers[by["conv2_1c"]].name == "conv2_1c"  # first occurrence
    assert folded.layers[by["conv2_1c"]].count == 4


def test_existing_counts_add_up() -> None:
    a = Layer.gemm("a", m=4, n=8, k=16, count=3)
    b = Layer.gemm("b", m=4, n=8, k=16, count=2)
    c = Layer.gemm("c", m=4, n=8, k=32)
    folded, index = fold([a, c, b])
    assert [(x.name, x.count) for x in folded] == [("a", 5), ("c", 1)]
    assert index.tolist() == [0, 1, 0]
    # A transformer repeats one block: BERT-base is 96 layers but 5 shapes (Q/K/V/
    # output projections x4, QK^T and AV x12 heads, MLP up, MLP down) per layer.
    bert, _ = fold(zoo.get("bert_base", seq_len=32))
    assert len(bert) == 5
    assert sorted(x.count for x in bert) == [12, 12, 48, 12 * 12, 12 * 12]


def _configs() -> list[tldse.Accelerator]:
    return [
        tldse.Accelerator(dataflow="ws", pe_rows=16, pe_cols=16, glb_bytes=131072),
        tldse.Accelerator(dataflow="os", pe_rows=8, pe_cols=32, glb_bytes=65536),
        tldse.Accelerator(dataflow="is", pe_rows=32, pe_cols=8, glb_bytes=262144),
    ]


@pytest.mark.parametrize("name", ["resnet50", "mobilenet_v2"])
def test_folded_totals_equal_unfolded(name: str) -> None:
    wl = zoo.get(name)
    folded, index = fold(wl)
    configs = _configs()
    full = tldse.evaluate(configs, wl)
    small = tldse.evaluate(configs, folded)
    assert small["latency_cycles"].shape == (len(configs), len(folded))
    assert np.all(full.ok)
    net_full = tldse.evaluate(configs, wl, per_network=True)
    net_small = tldse.evaluate(configs, folded, per_network=True)
    for f in ADDITIVE:
        # per layer: each original layer gets its shape's value back
        np.testing.assert_array_equal(unfold(small[f], index), full[f])
        # network totals: count-weighted sums agree, and agree with the C++ sums
        total = network_total(small[f], folded)
        np.testing.assert_allclose(total, network_total(full[f], wl), rtol=1e-12)
        np.testing.assert_allclose(total, net_full[f], rtol=1e-12)
        np.testing.assert_allclose(net_small[f], net_full[f], rtol=1e-12)
    macs = network_total(small["macs"], folded)
    assert np.all(macs == wl.macs)


def test_helpers_reject_mismatched_shapes() -> None:
    folded, index = fold(zoo.get("alexnet"))
    with pytest.raises(ValueError, match="values have 3 layers, the workload has 8"):
        network_total(np.ones((2, 3)), folded)
    with pytest.raises(ValueError, match="index refers to row 7"):
        unfold(np.ones(3), index)
    with pytest.raises(ValueError, match="layer axis"):
        unfold(np.float64(1.0), index)
    assert network_total(np.ones(8), Workload("x", folded.layers)).shape == ()
