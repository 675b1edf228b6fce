"""Prediction throughput of the multi-fidelity model over a space, in (design x
layer) rows per second: what ``tldse explore --evaluator`` does every round
(``tldse.exploration.fidelity.FidelityLearner.predict_all``: the analytical
model's extended outputs, the closed forms, the features and the model, per
chunk of designs x the network's layers).

Run: ``python -m pytest benchmarks/test_fidelity_predict.py --benchmark-enable``
(torch on one thread); ``extra_info`` holds ``rows_per_second``. CI runs it once
with --benchmark-disable as a smoke test. Cases (2,000 edge designs x the 53
ResNet-50 conv layers = 106,000 rows):

* ``reference``: the candidate "systolic x const" (no network: the closed form
  and the analytical model only);
* ``ridge``: a ridge regression on the evaluator's feature groups (the cheap
  candidates an explore round chooses among);
* ``pretrained``: the tiny pretrained networks (``tldse pretrain --size tiny``,
  2 members), as a fine-tuned candidate predicts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tldse  # noqa: E402
from tldse.bench import bench_layers  # noqa: E402
from tldse.learn.fidelity import EVALUATOR_GROUPS, FeatureSet, Pairs  # noqa: E402
from tldse.learn.transfer import candidates, transfer  # noqa: E402

N_DESIGNS = 2000


def _model(case: str) -> Any:
    sp = tldse.DesignSpace.builtin("edge")
    cfg = sp.configs(sp.sample(40, "random", 5))
    lay = bench_layers().astype(np.float64)[:10]
    pairs = Pairs.grid(cfg, lay)
    ok = np.flatnonzero(pairs.analytical["status"] == 0)
    pairs = pairs.take(ok)
    truth = {"latency": 1.3 * pairs.analytical["latency_cycles"]}
    if case == "pretrained":
        from tldse.learn.pretrain import pretrained_model

        return pretrained_model("tiny")
    name = {"reference": "systolic x const", "ridge": "ridge/systolic"}[case]
    cands = [c for c in candidates(False, ("systolic",)) if c.name == name]
    res = transfer(
        None, pairs, truth, ("latency",), cands=cands,
        features=FeatureSet(EVALUATOR_GROUPS),
    )  # fmt: skip
    return res.model


@pytest.mark.parametrize("case", ["reference", "ridge", "pretrained"])
def test_predict_a_space(benchmark: Any, case: str) -> None:
    torch.set_num_threads(1)
    model = _model(case)
    sp = tldse.DesignSpace.builtin("edge")
    configs = sp.configs(sp.sample(N_DESIGNS, "random", 1))
    layers = bench_layers().astype(np.float64)

    def run() -> Any:
        return model.predict(Pairs.grid(configs, layers, threads=0))

    pred = benchmark(run)
    rows = N_DESIGNS * len(layers)
    assert pred.values["latency"].shape == (rows,)
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        benchmark.extra_info["rows_per_second"] = rows / stats.stats.mean
