"""Dask scale-out: a LocalCluster of 2 worker processes gives the same sweep,
byte for byte, as the local run; the CLI's --workers goes the same way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tldse.cli import main
from tldse.search.dask import DaskUnavailableError, connect, dask_executor
from tldse.search.sweep import sweep

pytestmark = pytest.mark.slow  # torch training, Dask or experiments


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with connect(workers=2) as c:
        assert len(c.nthreads()) == 2
        yield c


def test_dask_equals_local(client: Any, tmp_path: Path) -> None:
    kwargs: dict[str, Any] = dict(
        objectives="latency,energy,area", constraints="area_mm2<=2", chunk_size=37
    )
    local = sweep("tiny", "resnet50", out=tmp_path / "local", **kwargs)
    dask = sweep(
        "tiny",
        "resnet50",
        out=tmp_path / "dask",
        executor=dask_executor(client, max_in_flight=3),
        threads=1,
        **kwargs,
    )
    pd.testing.assert_frame_equal(dask.front, local.front)
    assert (dask.n_feasible, dask.n_valid) == (local.n_feasible, local.n_valid)
    for name in ("front.csv", "best.json"):
        assert (tmp_path / "dask" / name).read_bytes() == (
            tmp_path / "local" / name
        ).read_bytes()


def test_dask_resumes_a_local_run(client: Any, tmp_path: Path) -> None:
    out = tmp_path / "mixed"
    ref = sweep("tiny", "alexnet", chunk_size=50)
    sweep("tiny", "alexnet", chunk_size=50, out=out, stop_after=5)
    done = sweep(
        "tiny", "alexnet", chunk_size=50, out=out, executor=dask_executor(client)
    )
    assert done.chunks_resumed == 5
    pd.testing.assert_frame_equal(done.front, ref.front)


def test_cli_workers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["sweep", "--space", "tiny", "--quiet", "--chunk-size", "100"]
    assert main([*args, "--out", str(tmp_path / "w"), "--workers", "2"]) == 0
    assert main([*args, "--out", str(tmp_path / "l")]) == 0
    assert (tmp_path / "w" / "front.csv").read_bytes() == (
        tmp_path / "l" / "front.csv"
    ).read_bytes()
    capsys.readouterr()


def test_unreachable_scheduler_is_a_clear_error() -> None:
    with (
        pytest.raises(DaskUnavailableError, match="cannot reach the Dask scheduler"),
        connect(scheduler="tcp://127.0.0.1:9", timeout_s=1),
    ):
        pass
