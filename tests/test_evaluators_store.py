"""The evaluation store: round trips, parallel writers, kill -9, export, stats."""

from __future__ import annotations

import math
import multiprocessing
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tldse import Accelerator, Layer
from tldse.evaluators import (
    EvaluationStore,
    EvaluatorIdentity,
    LayerResult,
    StoreError,
    design_key,
    evaluate_designs,
    layer_key,
)
from tldse.evaluators.command import CommandEvaluator

FAKE = Path(__file__).parent / "fake_evaluator.py"
IDENT = EvaluatorIdentity("fake", "1.0", {"mode": "x"})
LAYER = Layer.conv("a", c=8, k=16, h=16, r=3)


def test_round_trip_keeps_numbers_nan_and_extras(tmp_path: Path) -> None:
    with EvaluationStore(tmp_path / "s.sqlite") as st:
        key = st.register(IDENT)
        d, lk = design_key(Accelerator()), layer_key(LAYER)
        res = LayerResult("ok", 12.0, math.nan, "", {"stall_cycles": 3.0}, 0.5, 0.7)
        assert st.put(key, d, lk, res)
        back = st.get(key, d, lk)
        assert back is not None
        assert back.latency_cycles == 12.0 and math.isnan(back.energy_pj)
        assert back.extras == {"stall_cycles": 3.0}
        assert (back.cpu_s, back.wall_s) == (0.5, 0.7)
        # statuses decided without running are never stored
        assert not st.put(key, d, "other", LayerResult("rejected", message="no"))
        assert st.get(key, d, "other") is None
        assert st.identities() == [IDENT]


def test_keys_ignore_layer_names_and_counts() -> None:
    twin = Layer.conv("other_name", c=8, k=16, h=16, r=3, count=4)
    assert layer_key(twin) == layer_key(LAYER)
    assert layer_key(Layer.conv("a", c=8, k=16, h=16, r=3, pad=1)) != layer_key(LAYER)
    row = Accelerator().row()
    assert design_key(row) == design_key(Accelerator())


def _writer(path: str, worker: int, n: int) -> None:
    with EvaluationStore(path) as st:
        key = st.register(IDENT)
        d = design_key(Accelerator(pe_rows=worker + 1))
        for i in range(n):
            res = LayerResult("ok", float(i), float(worker))
            st.put(key, d, layer_key(Layer.conv("x", c=1, k=i + 1, h=3, r=1)), res)


def test_parallel_writers_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite")
    EvaluationStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, 150)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with EvaluationStore(path) as st:
        df = st.to_pandas()
    assert len(df) == 450
    assert sorted(df.groupby("energy_pj").size().tolist()) == [150, 150, 150]


KILLED_RUN = """
import sys
from tldse import Accelerator, Layer
from tldse.evaluators import evaluate_designs
from tldse.evaluators.command import CommandEvaluator
ev = CommandEvaluator([sys.executable, {fake!r}], settings={{"sleep_s": 0.3}})
designs = [Accelerator(pe_rows=r) for r in (2, 4, 8, 16, 32)]
layers = [Layer.conv("a", c=8, k=16, h=16, r=3), Layer.conv("b", c=4, k=8, h=8, r=1)]
evaluate_designs(ev, designs, layers, store={store!r})
"""


def test_kill_9_loses_nothing_and_the_rerun_finishes(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    script = KILLED_RUN.format(fake=str(FAKE), store=str(store))
    proc = subprocess.Popen([sys.executable, "-c", script])
    kept = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and kept < 3:
        time.sleep(0.1)
        if store.exists():
            try:
                with EvaluationStore(store) as st:
                    kept = sum(s.total for s in st.stats())
            except StoreError:
                kept = 0
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 3 <= kept < 10
    with EvaluationStore(store) as st:
        kept = sum(s.total for s in st.stats())
    ev = CommandEvaluator([sys.executable, str(FAKE)], settings={"sleep_s": 0.3})
    designs = [Accelerator(pe_rows=r) for r in (2, 4, 8, 16, 32)]
    layers = [
        Layer.conv("a", c=8, k=16, h=16, r=3),
        Layer.conv("b", c=4, k=8, h=8, r=1),
    ]
    rest = evaluate_designs(ev, designs, layers, store=store)
    assert rest.stats.cached == kept
    assert rest.stats.evaluated == 10 - kept
    assert rest.ok.all()


def test_export_parquet_and_csv_and_stats(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    ev = CommandEvaluator([sys.executable, str(FAKE)])
    layers = [LAYER, Layer.conv("fail", c=4, k=23, h=6, r=3)]
    evaluate_designs(ev, [Accelerator(), Accelerator(pe_rows=4)], layers, store=store)
    with EvaluationStore(store) as st:
        n = st.export(tmp_path / "out.parquet")
        assert n == 4
        st.export(tmp_path / "out.csv")
        stats = st.stats()
        with pytest.raises(ValueError, match=r"\.parquet or \.csv"):
            st.export(tmp_path / "out.xlsx")
    df = pd.read_parquet(tmp_path / "out.parquet")
    assert set(df["status"]) == {"ok", "failed"}
    ok = df[df["status"] == "ok"].sort_values("design_pe_rows")
    assert list(ok["design_pe_rows"]) == [4, 16]
    assert list(ok["layer_k"]) == [16, 16]
    assert list(ok["extra_pes"]) == [64.0, 256.0]
    assert (df["evaluator"] == ev.name).all()
    csv = pd.read_csv(tmp_path / "out.csv")
    assert len(csv) == 4
    assert len(stats) == 1
    assert stats[0].counts == {"ok": 2, "failed": 2}
    assert stats[0].name == ev.name


def test_not_a_store_is_refused_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello, this is not SQLite\n" * 100)
    with pytest.raises(StoreError, match="not an evaluation store"):
        EvaluationStore(bad)
    with pytest.raises(StoreError, match="is a folder"):
        EvaluationStore(tmp_path)
    with pytest.raises(StoreError, match="no such folder"):
        EvaluationStore(tmp_path / "missing" / "s.sqlite")
