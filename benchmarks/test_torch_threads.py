"""Torch threads for the surrogate's model sizes: 1 thread against every core,
on an idle machine and with one core kept busy by another process.

Run: ``python -m pytest benchmarks/test_torch_threads.py --benchmark-enable``
(the figures in docs/surrogate.md; ``--benchmark-group-by=group`` puts each
case's 1-thread and N-thread runs side by side). CI runs it once with
--benchmark-disable as a smoke test.

Cases (random features and targets: the speed of a step does not depend on the
values), each the shape one command trains or predicts:

* ``train``: ``tldse train``'s defaults (trunk 256x256x256, head 64, minibatch
  1,024) on 16,384 rows, about the rows ``tldse dataset --configs 500`` gives for
  ResNet-18 + ResNet-50 after the held-out split, 2 epochs;
* ``transfer-pretrain``: the transfer experiment's quick pretraining (trunk
  128x128x128, minibatch 1,024) on 16,384 rows, 2 epochs;
* ``transfer-finetune``: its fine-tuning on N = 100 target rows (the whole set
  is one minibatch), 40 epochs;
* ``explore-train``: explore's surrogate (trunk 64x64, head 32, minibatch 512)
  on 24,000 rows (2,000 designs x 12 ResNet-18 layer shapes), 3 epochs;
* ``explore-predict``: one 262,144-row prediction of the same model (explore
  predicts the space in chunks of 65,536 every round).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tldse.learn.features import PAIR_FEATURES  # noqa: E402
from tldse.learn.model import Surrogate  # noqa: E402
from tldse.learn.train import TrainConfig, fit  # noqa: E402

CORES = os.cpu_count() or 1
THREADS = sorted({1, CORES})

CASES: dict[str, dict[str, Any]] = {
    "train": {"hidden": (256, 256, 256), "head": (64,), "rows": 16384,
              "batch": 1024, "epochs": 2},
    "transfer-pretrain": {"hidden": (128, 128, 128), "head": (64,), "rows": 16384,
                          "batch": 1024, "epochs": 2},
    "transfer-finetune": {"hidden": (128, 128, 128), "head": (64,), "rows": 100,
                          "batch": 512, "epochs": 40},
    "explore-train": {"hidden": (64, 64), "head": (32,), "rows": 24000,
                      "batch": 512, "epochs": 3},
    "explore-predict": {"hidden": (64, 64), "head": (32,), "rows": 262144,
                        "predict": True},
}  # fmt: skip


@pytest.fixture(params=["idle", "busy"])
def load(request: Any) -> Iterator[str]:
    """``busy``: another process spins on one core while the case runs."""
    if request.param == "idle":
        yield "idle"
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield "busy"
    finally:
        spinner.kill()
        spinner.wait()


def _data(rows: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, len(PAIR_FEATURES))).astype(np.float32)
    y = rng.normal(size=(rows, 2)).astype(np.float32)
    return x, y


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("case", list(CASES))
def test_torch_threads(benchmark: Any, case: str, threads: int, load: str) -> None:
    c = CASES[case]
    x, y = _data(c["rows"])
    model = Surrogate.create(
        PAIR_FEATURES, ("latency", "energy"), hidden=c["hidden"],
        head_hidden=c["head"], seed=0,
    )  # fmt: skip
    benchmark.group = f"{case}, {load}"
    benchmark.extra_info.update(case=case, threads=threads, load=load)
    if c.get("predict"):
        fit(model, x[:1024], y[:1024], TrainConfig(epochs=1, threads=threads))
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            out = benchmark(model.predict, x)
        finally:
            torch.set_num_threads(before)
        assert out.shape == (len(x), 2) and np.isfinite(out).all()
        return
    cfg = TrainConfig(
        epochs=c["epochs"], batch_size=c["batch"], patience=10**6, threads=threads
    )
    result = benchmark.pedantic(
        fit, args=(model.copy(), x, y, cfg), rounds=3, iterations=1
    )
    assert result.epochs == c["epochs"]
