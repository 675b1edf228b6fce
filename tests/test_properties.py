"""Properties the model must have for any design and layer (hypothesis)."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tldse
from tldse import _core

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def layers(draw: st.DrawFn) -> tldse.Layer:
    kind = draw(st.sampled_from(["conv", "dwconv", "gemm"]))
    if kind == "gemm":
        return tldse.Layer.gemm(
            "g",
            m=draw(st.integers(1, 300)),
            n=draw(st.integers(1, 300)),
            k=draw(st.integers(1, 300)),
        )
    r = draw(st.integers(1, 5))
    stride = draw(st.integers(1, 3))
    h = draw(st.integers(r, 40))
    c = draw(st.integers(1, 64))
    groups = c if kind == "dwconv" else draw(st.sampled_from([1, 1, 2]))
    if c % groups:
        groups = 1
    k = (
        c * draw(st.integers(1, 2))
        if kind == "dwconv"
        else groups * draw(st.integers(1, 64))
    )
    return tldse.Layer.conv(
        "c", c=c, k=k, h=h, w=draw(st.integers(r, 40)), r=r, stride=stride,
        pad=draw(st.integers(0, (r - 1) // 2)), groups=groups,
        n=draw(st.integers(1, 3)),
    )  # fmt: skip


@st.composite
def accelerators(draw: st.DrawFn) -> tldse.Accelerator:
    return tldse.Accelerator(
        dataflow=draw(st.sampled_from(["ws", "os", "is", "rs"])),
        pe_rows=draw(st.integers(1, 64)),
        pe_cols=draw(st.integers(1, 64)),
        rf_bytes=draw(st.sampled_from([16, 64, 256])),
        glb_bytes=float(2 ** draw(st.integers(10, 22))),
        dram_bw_bytes_per_cycle=float(draw(st.integers(1, 128))),
        glb_bw_bytes_per_cycle=float(draw(st.integers(8, 1024))),
        weight_bits=draw(st.sampled_from([4, 8, 16])),
        act_bits=draw(st.sampled_from([8, 16])),
        psum_bits=draw(st.sampled_from([16, 32])),
        clock_mhz=draw(st.sampled_from([200.0, 1000.0])),
    )


def _one(
    acc: tldse.Accelerator, layer: tldse.Layer, objective: str = "edp"
) -> dict[str, float]:
    ev = tldse.evaluate([acc], [layer], mapper_objective=objective)  # type: ignore[arg-type]
    return {
        k: float(v[0, 0]) if v.ndim == 2 else float(v[0]) for k, v in ev.arrays.items()
    }


@SETTINGS
@given(
    st.lists(accelerators(), min_size=1, max_size=6),
    st.lists(layers(), min_size=1, max_size=5),
)
def test_batch_equals_loop_of_single_evaluations(
    accs: list[tldse.Accelerator], lays: list[tldse.Layer]
) -> None:
    batch = tldse.evaluate(accs, lays, threads=2)
    for i, acc in enumerate(accs):
        rep = tldse.simulate(acc, lays)
        assert batch["area_um2"][i] == rep.area_um2
        for j, layer_rep in enumerate(rep.layers):
            assert tldse.STATUS_NAMES[batch["status"][i, j]] == layer_rep.status
            for f in ("latency_cycles", "compute_cycles", "stall_cycles", "energy_pj",
                      "utilization", "macs"):  # fmt: skip
                np.testing.assert_equal(batch[f][i, j], layer_rep.metrics[f])
            for f in ("dram_reads", "dram_writes", "glb_reads", "glb_writes",
                      "rf_reads", "rf_writes"):  # fmt: skip
                np.testing.assert_allclose(
                    batch[f][i, j], layer_rep.accesses[f], rtol=1e-12
                )


@SETTINGS
@given(
    st.lists(accelerators(), min_size=1, max_size=5),
    st.lists(layers(), min_size=1, max_size=4),
)
def test_per_network_is_the_count_weighted_sum(
    accs: list[tldse.Accelerator], lays: list[tldse.Layer]
) -> None:
    lays = [dataclasses.replace(x, count=i + 1) for i, x in enumerate(lays)]
    per_layer = tldse.evaluate(accs, lays)
    net = tldse.evaluate(accs, lays, per_network=True)
    w = np.array([x.count for x in lays], dtype=float)
    ok = (per_layer["status"] == 0).all(axis=1)
    for f in ("latency_cycles", "energy_pj", "dram_reads", "compute_cycles"):
        np.testing.assert_allclose(
            net[f][ok], (per_layer[f] * w).sum(axis=1)[ok], rtol=1e-12
        )
    assert np.all(net["status"][ok] == 0) and np.all(net["status"][~ok] != 0)
    # Network utilization: MACs over busy PE-cycles, a systolic layer being busy for
    # compute_cycles + 1 cycles (SCALE-Sim's index convention), an rs layer for
    # compute_cycles.
    extra = np.array([0.0 if a.dataflow == "rs" else 1.0 for a in accs])[:, None]
    pes = np.array([a.num_pes for a in accs], dtype=float)
    busy = ((per_layer["compute_cycles"] + extra) * w).sum(axis=1)
    np.testing.assert_allclose(
        net["utilization"][ok], (net["macs"] / (busy * pes))[ok], rtol=1e-12
    )


@SETTINGS
@given(accelerators(), layers(), st.floats(1.01, 64.0))
def test_more_bandwidth_never_raises_latency(
    acc: tldse.Accelerator, layer: tldse.Layer, factor: float
) -> None:
    # rs: the mapper minimising latency may pick another mapping, never a slower one.
    base = _one(acc, layer, "latency")
    more = _one(
        acc.replace(
            dram_bw_bytes_per_cycle=acc.dram_bw_bytes_per_cycle * factor,
            glb_bw_bytes_per_cycle=acc.glb_bw_bytes_per_cycle * factor,
        ),
        layer,
        "latency",
    )
    if base["status"] == 0:
        assert more["latency_cycles"] <= base["latency_cycles"]
        if acc.dataflow != "rs":  # the systolic mapping is fixed by the dataflow
            assert more["compute_cycles"] == base["compute_cycles"]


@SETTINGS
@given(accelerators(), layers(), st.integers(1, 6))
def test_larger_glb_never_raises_dram_traffic(
    acc: tldse.Accelerator, layer: tldse.Layer, doublings: int
) -> None:
    small = _one(acc, layer)
    big = _one(acc.replace(glb_bytes=acc.glb_bytes * 2**doublings), layer)
    if small["status"] == 0:
        assert big["status"] == 0
        assert big["dram_bytes"] <= small["dram_bytes"]
        assert (
            big["dram_reads"] + big["dram_writes"]
            <= small["dram_reads"] + small["dram_writes"]
            or big["dram_bytes"] < small["dram_bytes"]
        )


@SETTINGS
@given(accelerators(), layers())
def test_energy_at_least_mac_energy_and_traffic_at_least_compulsory(
    acc: tldse.Accelerator, layer: tldse.Layer
) -> None:
    table = tldse.energy_table()
    rep = tldse.simulate(acc, [layer])
    m = rep.layers[0].metrics
    if rep.layers[0].status != "ok":
        return
    e_mac = table.mac_pj * acc.weight_bits * acc.act_bits / table.ref_bits**2
    assert m["energy_pj"] >= layer.macs * e_mac
    assert m["macs"] == layer.macs
    acc_ = rep.layers[0].accesses
    # Every weight and every output crosses the DRAM interface at least once.
    weights = layer.k * (layer.c // layer.groups) * layer.r * layer.s
    assert acc_["dram_weight_reads"] >= weights
    assert acc_["dram_output_writes"] >= layer.n * layer.k * layer.p * layer.q
    assert 0 < m["utilization"] <= 1
    # SCALE-Sim's convention: compute_cycles is the last busy cycle's index (0 for one
    # MAC on a 1x1 array); memory traffic is never zero, so latency is positive.
    assert m["latency_cycles"] >= m["compute_cycles"] >= 0
    assert m["latency_cycles"] > 0


def test_threads_do_not_change_results() -> None:
    rng = np.random.default_rng(3)
    from tldse.bench import bench_layers, random_configs

    cfg = random_configs(300, "ws", seed=int(rng.integers(1000)))
    lay = bench_layers().astype(float)
    table = tldse.energy_table()
    one = _core.evaluate(cfg, lay, table, 1, False)
    two = _core.evaluate(cfg, lay, table, 2, False)
    for k in one:
        np.testing.assert_array_equal(one[k], two[k])
