"""Ctrl-C in every long command: a ``tldse`` subprocess sent SIGINT while it
works exits 130 with one line saying what was saved and how to continue, and
no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def _default_sigint() -> None:
    # a shell that starts jobs in the background makes them ignore SIGINT, and
    # Python then leaves it ignored: give the child the default (Ctrl-C raises)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(
    argv: list[str],
    cwd: Path,
    ready: str,
    then: Callable[[], bool] | None = None,
    timeout: float = 240.0,
) -> tuple[int, str]:
    """Runs ``tldse ARGV``, waits until ``ready`` appears in its output (and
    ``then()`` holds), sends SIGINT; returns the exit status and stderr."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tldse.cli", *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )
    out: list[str] = []
    err: list[str] = []
    assert proc.stdout is not None and proc.stderr is not None
    readers = [
        threading.Thread(target=lambda s=s, to=to: to.extend(s), daemon=True)
        for s, to in ((proc.stdout, out), (proc.stderr, err))
    ]
    for r in readers:
        r.start()
    deadline = time.monotonic() + timeout
    try:
        while not any(ready in line for line in out + err) or (then and not then()):
            if proc.poll() is not None:
                pytest.fail(f"ended (rc {proc.returncode}) first:\n{''.join(err)}")
            if time.monotonic() > deadline:
                pytest.fail(f"never ready ({ready!r}):\n{''.join(err)}")
            time.sleep(0.05)
        time.sleep(0.3)  # well inside the work
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for r in readers:
            r.join(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    return rc, "".join(err)


def _check(rc: int, err: str, *says: str) -> str:
    assert rc == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    last = [line for line in err.splitlines() if line.strip()][-1]
    assert last.startswith("tldse: interrupted; "), err
    assert err.count("tldse: interrupted") == 1
    for s in says:
        assert s in last, last
    return last


def _dataset(folder: Path) -> Path:
    from tldse.learn.dataset import DatasetSpec, generate

    spec = DatasetSpec(space="tiny", workloads=("alexnet",), n_configs=200)
    return generate(spec, folder)


def test_sweep(tmp_path: Path) -> None:
    out = tmp_path / "s"
    chunks = out / "chunks"
    rc, err = _interrupt(
        ["sweep", "--space", "cloud", "--workload", "resnet50", "--chunk-size",
         "4096", "--out", str(out)],
        tmp_path,
        "; out ",
        then=lambda: chunks.is_dir() and any(chunks.glob("chunk-*.npz")),
    )  # fmt: skip
    last = _check(rc, err, "saved in", "run the same command again to continue")
    saved = len(list(chunks.glob("chunk-*.npz")))
    assert f"{saved:,} finished chunk" in last  # what it says is what is there
    assert 0 < saved < 266


def test_explore(tmp_path: Path) -> None:
    out = tmp_path / "e"
    log = out / "simulations.jsonl"
    rc, err = _interrupt(
        ["explore", "--method", "surrogate", "--out", str(out)],
        tmp_path,
        "surrogate of",
        then=lambda: log.exists() and log.read_text().count("\n") > 1,
    )
    _check(rc, err, f"kept in {log}", "run the same command again")  # the file
    assert len(log.read_text().splitlines()) > 1  # header + simulations


def test_dataset(tmp_path: Path) -> None:
    out = tmp_path / "d"
    rc, err = _interrupt(
        ["dataset", str(out), "--space", "edge", "--workloads", "resnet50",
         "--configs", "20000", "--shard-size", "64"],
        tmp_path,
        "dataset:",
        then=lambda: any(out.glob("shard-*.parquet")),
    )  # fmt: skip
    _check(rc, err, f"finished shards are kept in {out}", "run the same command")
    assert (out / "manifest.json").exists()


def test_train(tmp_path: Path) -> None:
    data = _dataset(tmp_path / "d")
    rc, err = _interrupt(
        ["train", str(data), "--out", str(tmp_path / "m"), "--epochs", "1000000",
         "--patience", "1000000"],
        tmp_path,
        "training on",
    )  # fmt: skip
    _check(rc, err, "no model was saved", "run the command again")
    assert not (tmp_path / "m").exists()


def test_transfer(tmp_path: Path) -> None:
    from tldse.learn.dataset import load
    from tldse.learn.model import Surrogate
    from tldse.learn.train import TrainConfig, fit

    data = _dataset(tmp_path / "d")
    ds = load(data).feasible()
    model = Surrogate.create(ds.feature_names, ("latency", "energy"), hidden=(8,))
    x = ds.x(ds.feature_names)
    fit(model, x, ds.y(["latency", "energy"]), TrainConfig(epochs=1))
    model.save(tmp_path / "m")
    assert np.isfinite(model.predict(x[:4])).all()
    rc, err = _interrupt(
        ["transfer", "--model", str(tmp_path / "m"), "--data", str(data), "--out",
         str(tmp_path / "t"), "--n", "50", "--epochs", "1000000", "--patience",
         "1000000", "--batch-size", "2"],
        tmp_path,
        "training on",
    )  # fmt: skip
    _check(rc, err, "nothing was saved")
    assert not (tmp_path / "t").exists()


def test_experiment_transfer(tmp_path: Path) -> None:
    rc, err = _interrupt(
        ["experiment", "transfer", "--size", "tiny"], tmp_path, "torch: 1 CPU thread"
    )
    _check(rc, err, "kept in experiment-transfer-tiny/data", "same --out")


def test_experiment_search(tmp_path: Path) -> None:
    rc, err = _interrupt(
        ["experiment", "search", "--size", "tiny"], tmp_path, "search experiment"
    )
    _check(rc, err, "kept in experiment-search-tiny/runs.jsonl", "continue")


def test_run_ends_at_once_after_ctrl_c(monkeypatch: pytest.MonkeyPatch) -> None:
    """``run`` (the console script) ends with os._exit(130) after Ctrl-C, so that
    CPython's exit-by-SIGINT (status -2) cannot replace 130; other statuses go
    through sys.exit as usual."""
    import importlib

    cli = importlib.import_module("tldse.cli.main")  # the module (tldse.cli.main
    # as an attribute is the function)

    exits: list[int] = []

    def fake_exit(code: int) -> None:
        exits.append(code)
        raise SystemExit(code)

    monkeypatch.setattr(cli.os, "_exit", fake_exit)
    for status, via_os in ((130, True), (2, False), (0, False)):
        exits.clear()
        monkeypatch.setattr(cli, "main", lambda status=status: status)
        with pytest.raises(SystemExit) as info:
            cli.run()
        assert info.value.code == status
        assert exits == ([status] if via_os else [])
