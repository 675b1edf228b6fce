"""The evaluator interface against a fake slow ``command`` evaluator
(tests/fake_evaluator.py: deterministic answers, sleeps, injected faults).

Expected numbers are the fake's formulas, computed here by hand from the layer's
MACs and the array size; statuses and messages are the faults it injects.
"""

from __future__ import annotations

import math
import os
import shutil
import stat
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tldse
from tldse import Accelerator, Layer, Workload
from tldse.evaluators import (
    STATUS_CODES,
    STATUSES,
    AnalyticalEvaluator,
    CommandEvaluator,
    EvaluationStore,
    EvaluatorError,
    LayerResult,
    ScaleSimEvaluator,
    ZigZagEvaluator,
    evaluate_designs,
    get_evaluator,
)
from tldse.evaluators.process import parse_result

FAKE = Path(__file__).parent / "fake_evaluator.py"


def fake(**settings: object) -> CommandEvaluator:
    return CommandEvaluator(f"{sys.executable} {FAKE}", settings=settings)


def expected_latency(layer: Layer, acc: Accelerator) -> float:
    return math.ceil(layer.macs / (acc.pe_rows * acc.pe_cols)) + 10


GOOD = [
    Layer.conv("a", c=8, k=16, h=16, r=3),
    Layer.conv("b", c=4, k=8, h=8, r=1, count=3),
    Layer.gemm("g", 20, 12, 6),
]
DESIGNS = [Accelerator(), Accelerator(pe_rows=8, pe_cols=4)]


def test_protocol_results_match_the_fakes_formulas() -> None:
    batch = evaluate_designs(fake(), DESIGNS, GOOD)
    assert batch.ok.all()
    for i, acc in enumerate(DESIGNS):
        for j, layer in enumerate(GOOD):
            assert batch.latency_cycles[i, j] == expected_latency(layer, acc)
            assert batch.energy_pj[i, j] == 2.0 * layer.macs
            assert batch.extras_of(i, j) == {"pes": acc.pe_rows * acc.pe_cols}
    # network totals weight each distinct layer by its count (b occurs 3 times)
    for i, acc in enumerate(DESIGNS):
        want = sum(expected_latency(x, acc) * x.count for x in GOOD)
        assert batch.total_latency_cycles[i] == want
        assert batch.total_energy_pj[i] == sum(2.0 * x.macs * x.count for x in GOOD)


def test_layers_are_folded_to_distinct_shapes() -> None:
    twice = [*GOOD, Layer.conv("a_again", c=8, k=16, h=16, r=3)]
    batch = evaluate_designs(fake(), DESIGNS[:1], twice)
    assert len(batch.layers) == 3
    assert batch.layers.layers[0].count == 2
    assert list(batch.index) == [0, 1, 2, 0]
    single = expected_latency(GOOD[0], DESIGNS[0])
    assert (
        batch.total_latency_cycles[0]
        == sum(expected_latency(x, DESIGNS[0]) * x.count for x in GOOD) + single
    )


FAULTS = {
    13: ("timeout", "no result within 2 s"),
    17: ("crashed", "exited with status 3: fake: segmentation fault"),
    19: ("failed", "went on without a result"),
    23: ("failed", "fake: layer unsupported"),
    29: ("crashed", "killed by SIGKILL"),
    37: ("failed", "malformed result: latency_cycles"),
}


def test_faults_are_recorded_and_the_other_layers_still_evaluated() -> None:
    faulty = [Layer.conv(f"k{k}", c=4, k=k, h=6, r=3) for k in FAULTS]
    layers = [GOOD[0], *faulty, GOOD[1]]
    batch = evaluate_designs(fake(), DESIGNS[:1], layers, timeout_s=2)
    by_name = {x.name: j for j, x in enumerate(batch.layers)}
    for k, (status, text) in FAULTS.items():
        j = by_name[f"k{k}"]
        assert STATUSES[batch.status[0, j]] == status, batch.message[0, j]
        assert text in batch.message[0, j]
        assert math.isnan(batch.latency_cycles[0, j])
    assert "garbage ### this is not a result" in batch.message[0, by_name["k19"]]
    for good in (GOOD[0], GOOD[1]):
        j = by_name[good.name]
        assert batch.latency_cycles[0, j] == expected_latency(good, DESIGNS[0])
    # a design with a failed layer is a failed design
    assert not batch.design_ok[0]
    assert math.isnan(batch.total_latency_cycles[0])
    assert "k13: timeout" in batch.design_message(0)


def test_out_of_memory_under_a_memory_limit() -> None:
    ev = CommandEvaluator(f"{sys.executable} {FAKE}", memory_limit_mb=600)
    layers = [Layer.conv("mem", c=4, k=31, h=6, r=3), GOOD[0]]
    batch = evaluate_designs(ev, DESIGNS[:1], layers)
    assert STATUSES[batch.status[0, 0]] == "crashed"
    assert "out of memory (memory limit 600 MB)" in batch.message[0, 0]
    assert batch.ok[0, 1]


def test_command_answers_failed_for_a_design_it_cannot_represent() -> None:
    batch = evaluate_designs(fake(), [Accelerator(dataflow="rs")], GOOD[:1])
    assert STATUSES[batch.status[0, 0]] == "failed"
    assert batch.message[0, 0] == "fake: no rs"


def test_store_a_rerun_evaluates_nothing_twice(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    store = tmp_path / "evals.sqlite"
    ev = fake(log=str(log))
    first = evaluate_designs(ev, DESIGNS, GOOD, store=store)
    assert first.stats.evaluated == 6 and first.stats.cached == 0
    assert len(log.read_text().splitlines()) == 2 * 6
    again = evaluate_designs(ev, DESIGNS, GOOD, store=store)
    assert again.stats.evaluated == 0 and again.stats.cached == 6
    assert again.cached.all()
    assert len(log.read_text().splitlines()) == 2 * 6  # nothing ran
    np.testing.assert_array_equal(again.latency_cycles, first.latency_cycles)
    np.testing.assert_array_equal(again.energy_pj, first.energy_pj)
    assert again.extras.keys() == first.extras.keys()
    np.testing.assert_array_equal(again.extra("pes"), first.extra("pes"))
    # a new design evaluates only its own pairs
    more = evaluate_designs(ev, [*DESIGNS, Accelerator(pe_rows=4)], GOOD, store=store)
    assert more.stats.evaluated == 3 and more.stats.cached == 6


def test_store_is_keyed_by_settings(tmp_path: Path) -> None:
    store = tmp_path / "evals.sqlite"
    evaluate_designs(fake(a=1), DESIGNS, GOOD, store=store)
    other = evaluate_designs(fake(a=2), DESIGNS, GOOD, store=store)
    assert other.stats.cached == 0 and other.stats.evaluated == 6
    assert fake(a=1).identity().key != fake(a=2).identity().key
    assert fake(a=1).identity().key == fake(a=1).identity().key


def test_stored_failures_are_kept_unless_retried(tmp_path: Path) -> None:
    store = tmp_path / "evals.sqlite"
    log = tmp_path / "calls.log"
    layers = [Layer.conv("fail", c=4, k=23, h=6, r=3)]
    evaluate_designs(fake(log=str(log)), DESIGNS[:1], layers, store=store)
    kept = evaluate_designs(fake(log=str(log)), DESIGNS[:1], layers, store=store)
    assert kept.cached.all() and kept.message[0, 0] == "fake: layer unsupported"
    assert len(log.read_text().splitlines()) == 2
    evaluate_designs(
        fake(log=str(log)), DESIGNS[:1], layers, store=store, retry_failed=True
    )
    assert len(log.read_text().splitlines()) == 4


def test_interrupted_run_loses_nothing_already_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "evals.sqlite"
    log = tmp_path / "calls.log"
    ev = fake(log=str(log), sleep_s=0.05)
    designs = [Accelerator(pe_rows=r) for r in (2, 4, 8, 16)]
    real_put = EvaluationStore.put
    stored: list[int] = []

    def put_then_interrupt(self: EvaluationStore, *args: Any, **kw: Any) -> None:
        if len(stored) == 3:  # Ctrl-C while the fourth result comes in
            raise KeyboardInterrupt
        stored.append(1)
        real_put(self, *args, **kw)

    monkeypatch.setattr(EvaluationStore, "put", put_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        evaluate_designs(ev, designs, GOOD, store=store)
    monkeypatch.setattr(EvaluationStore, "put", real_put)
    with EvaluationStore(store) as st:
        kept = sum(st.stats()[0].counts.values())
    assert kept >= 3
    rest = evaluate_designs(ev, designs, GOOD, store=store)
    assert rest.stats.cached == kept
    assert rest.stats.evaluated == 12 - kept
    assert rest.ok.all()
    ends = [line for line in log.read_text().splitlines() if line.startswith("end")]
    # every pair ran once, but for the one whose tool was stopped mid-answer
    assert 12 <= len(ends) <= 13


def test_jobs_run_tool_processes_side_by_side(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    designs = [Accelerator(pe_rows=r) for r in (2, 4, 8, 16)]
    batch = evaluate_designs(fake(log=str(log), sleep_s=0.3), designs, GOOD[:1], jobs=2)
    assert batch.ok.all() and batch.stats.processes == 4
    events = []
    for line in log.read_text().splitlines():
        what, _, t, *_ = line.split()
        events.append((float(t), 1 if what == "start" else -1))
    running, most = 0, 0
    for _, step in sorted(events):
        running += step
        most = max(most, running)
    assert most == 2  # two at a time, never more


def test_one_design_is_split_across_jobs() -> None:
    layers = [Layer.conv(f"l{k}", c=4, k=k, h=6, r=3) for k in (2, 3, 4, 5)]
    batch = evaluate_designs(fake(), DESIGNS[:1], layers, jobs=2)
    assert batch.ok.all() and batch.stats.processes == 2


def test_progress_reports_every_pair_with_an_eta(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TLDSE_PROGRESS_INTERVAL", "0")  # a line per result
    evaluate_designs(fake(), DESIGNS, GOOD, progress=True)
    lines = capsys.readouterr().err.splitlines()
    done = [int(line.split(": ")[1].split("/")[0]) for line in lines]
    assert done == [0, 1, 2, 3, 4, 5, 6, 6]  # the start, each pair, the end
    assert all("/6 (design, layer) pairs" in line for line in lines)
    assert all("ETA" in line for line in lines[:-1]) and lines[-1].endswith("done")
    assert "ETA 0 s" in lines[-2]


def test_dask_scheduler_gives_the_local_results() -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as cluster:
        remote = evaluate_designs(
            fake(), DESIGNS, GOOD, scheduler=cluster.scheduler_address
        )
    local = evaluate_designs(fake(), DESIGNS, GOOD)
    np.testing.assert_array_equal(remote.latency_cycles, local.latency_cycles)
    np.testing.assert_array_equal(remote.status, local.status)
    assert remote.stats.processes == 6  # one task per pair


def test_missing_command_is_unavailable_with_a_hint(tmp_path: Path) -> None:
    ev = CommandEvaluator(str(tmp_path / "no-such-sim"))
    store = tmp_path / "evals.sqlite"
    batch = evaluate_designs(ev, DESIGNS, GOOD, store=store)
    assert (batch.status == STATUS_CODES["unavailable"]).all()
    assert "not an executable file" in batch.message[0, 0]
    with EvaluationStore(store) as st:
        assert st.stats() == []  # nothing stored


def test_executable_script_path_and_version_digest(tmp_path: Path) -> None:
    script = tmp_path / "sim.py"
    shutil.copy(FAKE, script)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    text = script.read_text().replace(
        "#!/usr/bin/env python3", f"#!{sys.executable}", 1
    )
    script.write_text(text)
    ev = get_evaluator(f"command:{script}")
    batch = evaluate_designs(ev, DESIGNS[:1], GOOD[:1])
    assert batch.latency_cycles[0, 0] == expected_latency(GOOD[0], DESIGNS[0])
    before = ev.identity()
    script.write_text(text + "\n# edited\n")
    assert ev.identity().version != before.version  # a changed simulator


def test_rejected_designs_never_run(tmp_path: Path) -> None:
    ev = ScaleSimEvaluator(python=str(tmp_path / "no-python"))
    batch = evaluate_designs(ev, [Accelerator(dataflow="rs")], GOOD)
    assert (batch.status == STATUS_CODES["rejected"]).all()
    assert "no row-stationary (rs) dataflow" in batch.message[0, 0]
    assert batch.stats.processes == 0


def test_uninstalled_tool_is_unavailable_with_install_hint(tmp_path: Path) -> None:
    ev = ZigZagEvaluator(python=str(tmp_path / "no-python"))
    batch = evaluate_designs(ev, DESIGNS[:1], GOOD[:1])
    assert STATUSES[batch.status[0, 0]] == "unavailable"
    assert "pip install zigzag-dse==3.9.1" in batch.message[0, 0]
    assert "TLDSE_ZIGZAG_PYTHON" in batch.message[0, 0]
    with pytest.raises(EvaluatorError, match="not usable"):
        ev.version()


def test_analytical_evaluator_is_tldse_evaluate() -> None:
    wl = tldse.workloads.get("resnet18")
    designs = [Accelerator(), Accelerator(dataflow="rs", glb_bytes=65536)]
    batch = evaluate_designs(AnalyticalEvaluator(), designs, wl)
    direct = tldse.evaluate(designs, batch.layers)
    np.testing.assert_array_equal(batch.latency_cycles, direct["latency_cycles"])
    np.testing.assert_array_equal(batch.energy_pj, direct["energy_pj"])
    net = tldse.evaluate(designs, wl, per_network=True)
    np.testing.assert_allclose(batch.total_latency_cycles, net["latency_cycles"])
    np.testing.assert_allclose(batch.total_energy_pj, net["energy_pj"], rtol=1e-12)
    one = AnalyticalEvaluator().evaluate(designs[0], list(batch.layers)[:2])
    assert one[0].latency_cycles == direct["latency_cycles"][0, 0]
    assert one[1].extras["compute_cycles"] == direct["compute_cycles"][0, 1]


def test_analytical_infeasible_design_fails_with_the_models_reason() -> None:
    tiny = Accelerator(glb_bytes=64)
    batch = evaluate_designs(AnalyticalEvaluator(), [tiny], GOOD[:1])
    assert STATUSES[batch.status[0, 0]] == "failed"
    assert batch.message[0, 0].startswith("does_not_fit")


def test_get_evaluator_names_and_settings() -> None:
    assert isinstance(get_evaluator("analytical"), AnalyticalEvaluator)
    assert isinstance(get_evaluator("ScaleSim"), ScaleSimEvaluator)
    zz = get_evaluator("zigzag", mapper_objective="energy")
    assert zz.settings()["mapper_objective"] == "energy"
    with pytest.raises(EvaluatorError, match="unknown evaluator 'timeloop'"):
        get_evaluator("timeloop")
    with pytest.raises(EvaluatorError, match=r"unknown setting.*bandwidth"):
        get_evaluator("scalesim", bandwidth=3)
    with pytest.raises(EvaluatorError, match="command:PATH"):
        get_evaluator("command:")
    with pytest.raises(EvaluatorError, match="interface_bandwidth"):
        get_evaluator("scalesim", interface_bandwidth="FAST")


def test_bad_arguments_name_the_field() -> None:
    with pytest.raises(EvaluatorError, match="jobs"):
        evaluate_designs(fake(), DESIGNS, GOOD, jobs=0)
    with pytest.raises(EvaluatorError, match="timeout_s"):
        evaluate_designs(fake(), DESIGNS, GOOD, timeout_s=-1)
    with pytest.raises(EvaluatorError, match="config table"):
        evaluate_designs(fake(), np.zeros((2, 3)), GOOD)
    with pytest.raises(EvaluatorError, match="workload"):
        evaluate_designs(fake(), DESIGNS, [])
    with pytest.raises(EvaluatorError, match="status"):
        LayerResult("great")


def test_parse_result_accepts_only_well_formed_results() -> None:
    ok = parse_result({"id": 0, "latency_cycles": 5, "energy_pj": None}, {0})
    assert ok is not None and ok[1].ok and math.isnan(ok[1].energy_pj)
    assert parse_result({"id": 1, "latency_cycles": 5}, {0}) is None  # unknown id
    assert parse_result({"id": True, "latency_cycles": 5}, {1}) is None
    assert parse_result([1, 2], {0}) is None
    neg = parse_result({"id": 0, "latency_cycles": -1}, {0})
    assert neg is not None and neg[1].status == "failed"
    inf = parse_result({"id": 0, "latency_cycles": 1, "energy_pj": "x"}, {0})
    assert inf is not None and "energy_pj" in inf[1].message
    odd = parse_result({"id": 0, "status": "weird", "message": "m"}, {0})
    assert odd is not None and odd[1].status == "failed"
    assert "weird" in odd[1].message


def test_workload_object_and_counts() -> None:
    wl = Workload("w", [GOOD[0], GOOD[1]])
    batch = evaluate_designs(fake(), DESIGNS[:1], wl)
    assert batch.layers.name == "w"
    df = batch.to_pandas()
    assert list(df["count"]) == [1, 3]
    assert set(df["status"]) == {"ok"}
    assert os.path.basename(str(FAKE)) in fake().name
