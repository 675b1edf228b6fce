"""Real SCALE-Sim 3.0.0 and ZigZag 3.9.1 runs on tiny layers and arrays (slow).

The peers live in their own virtual environments (their pins clash with ours):
``TLDSE_SCALESIM_PYTHON`` / ``TLDSE_ZIGZAG_PYTHON``, else /tmp/venv-scalesim and
/tmp/venv-zigzag (docs/evaluators.md says how to make them), and SCALE-Sim 2.0.2 for
the v2 config format (``TLDSE_SCALESIM_V2_PYTHON``, else /tmp/venv-scalesim2); a
test skips, saying so, when its peer is missing.

Independent answers: SCALE-Sim's compute cycles equal tldse's exactly when memory
is not the limit (the model's documented convention, tests/golden/scalesim_cycles.csv);
ZigZag's MAC energy is the MAC count times the 0.23 pJ we give it, and on a layer
that fills the array its compute cycles are MACs / PEs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tldse
from tldse import Accelerator, Layer
from tldse.evaluators import (
    STATUSES,
    ScaleSimEvaluator,
    ZigZagEvaluator,
    evaluate_designs,
)
from tldse.evaluators.compare import compare

from .helpers import peer_python

pytestmark = pytest.mark.slow


_python = peer_python


@pytest.fixture(scope="module")
def scalesim() -> str:
    return _python("TLDSE_SCALESIM_PYTHON", "venv-scalesim", "SCALE-Sim")


@pytest.fixture(scope="module")
def zigzag() -> str:
    return _python("TLDSE_ZIGZAG_PYTHON", "venv-zigzag", "ZigZag")


SMALL = [
    Layer.conv("c3", c=3, k=10, h=9, w=7, r=3, s=2, stride=2),
    Layer.conv("pad", c=4, k=8, h=10, r=3, pad=1),
    Layer.gemm("g", 37, 23, 11),
]


@pytest.mark.parametrize("dataflow", ["ws", "os", "is"])
def test_scalesim_compute_cycles_match_tldse_exactly(
    scalesim: str, dataflow: str
) -> None:
    # big SRAMs and bandwidth: nothing stalls in either model
    acc = Accelerator(
        dataflow=dataflow,  # type: ignore[arg-type]
        pe_rows=8,
        pe_cols=4,
        glb_bytes=3 * 1024 * 1024,
        dram_bw_bytes_per_cycle=10_000,
        glb_bw_bytes_per_cycle=10_000,
    )
    ev = ScaleSimEvaluator(python=scalesim, interface_bandwidth="CALC")
    batch = evaluate_designs(ev, [acc], SMALL, timeout_s=300)
    assert batch.ok.all(), batch.message
    ours = tldse.evaluate([acc], SMALL)
    np.testing.assert_array_equal(batch.extra("compute_cycles"), ours["compute_cycles"])
    np.testing.assert_array_equal(batch.latency_cycles, ours["latency_cycles"])
    assert (batch.extra("stall_cycles") == 0).all()
    assert np.isnan(batch.energy_pj).all()  # SCALE-Sim has no energy model


def test_scalesim_memory_bound_gap_and_store(scalesim: str, tmp_path: Path) -> None:
    # 1 KiB SRAMs and 2 words/cycle: SCALE-Sim stalls, refetching on demand
    acc = Accelerator(
        dataflow="ws", pe_rows=8, pe_cols=8, glb_bytes=3072,
        dram_bw_bytes_per_cycle=2,
    )  # fmt: skip
    layers = [Layer.conv("a", c=8, k=16, h=16, r=3)]
    store = tmp_path / "s.sqlite"
    cmp = compare(
        ScaleSimEvaluator(python=scalesim), [acc], layers, store=store, timeout_s=300
    )
    row = cmp.frame.iloc[0]
    assert row["status"] == "ok"
    assert row["compute_cycles"] == row["tldse_compute_cycles"]
    assert row["stall_cycles"] > 0 and row["tldse_stall_cycles"] > 0
    assert row["latency_ratio"] > 1  # SCALE-Sim's stalls exceed tldse's bound
    assert row["differs_in"] == "stall"
    assert cmp.summary["speed_ratio"] > 1000
    again = compare(ScaleSimEvaluator(python=scalesim), [acc], layers, store=store)
    assert again.batch.stats.cached == 1 and again.batch.stats.evaluated == 0
    assert again.frame.iloc[0]["latency_cycles"] == row["latency_cycles"]


def test_scalesim_rejects_rs_without_running(scalesim: str) -> None:
    ev = ScaleSimEvaluator(python=scalesim)
    batch = evaluate_designs(ev, [Accelerator(dataflow="rs")], SMALL[:1])
    assert STATUSES[batch.status[0, 0]] == "rejected"
    assert batch.stats.processes == 0


def test_zigzag_runs_our_hardware_description(zigzag: str) -> None:
    acc = Accelerator(dataflow="ws", pe_rows=8, pe_cols=8, glb_bytes=65536)
    full = Layer.conv("full", c=16, k=16, h=10, r=3)  # fills the 8x8 array
    ev = ZigZagEvaluator(python=zigzag)
    batch = evaluate_designs(ev, [acc], [full], timeout_s=600)
    assert batch.ok.all(), batch.message
    ex = batch.extras_of(0, 0)
    assert ex["energy_mac_pj"] == pytest.approx(full.macs * 0.23)
    assert ex["compute_cycles"] == full.macs / 64
    assert batch.latency_cycles[0, 0] >= ex["compute_cycles"]
    ours = tldse.evaluate([acc], [full])
    ratio = batch.energy_pj[0, 0] / ours["energy_pj"][0, 0]
    assert 0.3 < ratio < 3  # same energy table; accounting differs
    assert ex["energy_dram_pj"] > 0 and ex["energy_rf_pj"] > 0


def test_scalesim_v2_reads_the_v2_config(tmp_path: Path) -> None:
    python = _python("TLDSE_SCALESIM_V2_PYTHON", "venv-scalesim2", "SCALE-Sim 2.0.2")
    ev = ScaleSimEvaluator(python=python)
    assert ev.version().startswith("2.")
    acc = Accelerator(
        dataflow="os", pe_rows=8, pe_cols=4, glb_bytes=3 * 1024 * 1024,
        dram_bw_bytes_per_cycle=10_000,
    )  # fmt: skip
    batch = evaluate_designs(ev, [acc], SMALL, timeout_s=300)
    assert batch.ok.all(), batch.message
    ours = tldse.evaluate([acc], SMALL)
    np.testing.assert_array_equal(batch.extra("compute_cycles"), ours["compute_cycles"])


def test_explore_with_scalesim_end_to_end(scalesim: str, tmp_path: Path) -> None:
    """``tldse explore --evaluator scalesim`` on the small example space and network:
    the front holds only designs SCALE-Sim evaluated, and its latencies are
    SCALE-Sim's own (the evaluation store holds them)."""
    from tldse.cli import main
    from tldse.evaluators import EvaluationStore

    root = Path(__file__).parents[1] / "examples"
    out = tmp_path / "ex"
    argv = ["explore", "--space", str(root / "space_small.toml"), "--workload",
            str(root / "tiny_cnn.csv"), "--evaluator", "scalesim",
            "--evaluator-python", scalesim, "--objectives", "latency,area",
            "--budget", "8", "--jobs", "2", "--out", str(out), "--quiet"]  # fmt: skip
    assert main(argv) == 0
    text = (out / "report.md").read_text()
    assert "evaluator **scalesim** 3.0.0" in text
    front = __import__("pandas").read_csv(out / "front.csv")
    sims = __import__("pandas").read_csv(out / "simulated.csv")
    assert len(sims) <= 8 and set(front["index"]) <= set(sims["index"])
    with EvaluationStore(out / "evaluations.sqlite") as st:
        stats = st.stats()
    assert stats[0].counts.get("ok", 0) >= 3 * len(sims)  # 3 distinct layers each
