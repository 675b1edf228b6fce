"""Transfer learning for surrogates: fine-tuning and scoring.

**Fine-tuning** (:func:`fine_tune`) starts from a pretrained :class:`Surrogate`
and trains it on a few samples of a target task, keeping the pretrained feature
and target normalisation. Strategies:

- ``head``: the trunk is frozen, only the heads train (the trunk's output is
  computed once, so each step costs only the heads);
- ``last-k``: the last ``k`` trunk blocks and the heads train;
- ``full``: everything trains, with a small learning rate.

:func:`score` measures a model on a dataset (per row, and per network for
per-layer datasets); the transfer experiment is
:mod:`tldse.experiments.transfer`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from tldse.learn.dataset import Dataset
from tldse.learn.features import RAW_TARGETS
from tldse.learn.metrics import kendall_tau, mape, top_k_recall
from tldse.learn.model import Surrogate, SurrogateError
from tldse.learn.train import TrainConfig, TrainResult, fit

STRATEGIES: tuple[str, ...] = ("head", "last-k", "full")
#: Learning rate per strategy: the more of the network trains, the smaller.
STRATEGY_LR: dict[str, float] = {"head": 3e-3, "last-k": 1e-3, "full": 5e-4}


# ---------------------------------------------------------------- fine-tuning


def freeze(surrogate: Surrogate, strategy: str, k: int = 1) -> None:
    """Sets ``requires_grad`` for ``strategy`` (in place)."""
    if strategy not in STRATEGIES:
        raise SurrogateError(
            f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}"
        )
    net = surrogate.net
    n_blocks = len(net.trunk)
    if strategy == "last-k" and not 1 <= k <= n_blocks:
        raise SurrogateError(f"k must be in 1..{n_blocks} (trunk blocks), got {k}")
    for p in net.parameters():
        p.requires_grad_(True)
    if strategy == "full":
        return
    n_frozen = n_blocks if strategy == "head" else n_blocks - k
    for block in list(net.trunk)[:n_frozen]:
        for p in block.parameters():
            p.requires_grad_(False)


def fine_tune(
    pretrained: Surrogate,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    strategy: str = "full",
    *,
    k: int = 1,
    config: TrainConfig | None = None,
    x_val: npt.ArrayLike | None = None,
    y_val: npt.ArrayLike | None = None,
) -> tuple[Surrogate, TrainResult]:
    """A fine-tuned copy of ``pretrained`` (which is left unchanged).

    ``config`` defaults to :func:`finetune_config` for the strategy. The copy
    keeps the pretrained normalisation, so features and targets must have the
    same columns as the pretrained model's.
    """
    if pretrained.normalizer is None:
        raise SurrogateError("fine-tuning needs a trained model (no normalisation)")
    model = pretrained.copy()
    freeze(model, strategy, k)
    cfg = config or finetune_config(strategy)
    result = fit(model, x, y, cfg, x_val=x_val, y_val=y_val)
    for p in model.net.parameters():
        p.requires_grad_(True)
    model.metadata["transfer"] = {
        "strategy": strategy,
        "k": k if strategy == "last-k" else None,
        "source": {
            key: pretrained.metadata[key]
            for key in ("dataset", "training")
            if key in pretrained.metadata
        },
    }
    return model, result


def finetune_config(strategy: str, **changes: Any) -> TrainConfig:
    """Default fine-tuning hyper-parameters for a strategy."""
    base = TrainConfig(
        epochs=300,
        batch_size=512,
        lr=STRATEGY_LR.get(strategy, 1e-3),
        patience=30,
        val_fraction=0.2,
    )
    return replace(base, **changes)


def scratch_config(**changes: Any) -> TrainConfig:
    """Defaults for training from scratch on few target samples."""
    base = TrainConfig(
        epochs=500, batch_size=512, lr=2e-3, patience=50, val_fraction=0.2
    )
    return replace(base, **changes)


# ---------------------------------------------------------------- scoring


def raw_targets(ds: Dataset, targets: Sequence[str]) -> dict[str, npt.NDArray[Any]]:
    return {t: ds.frame[RAW_TARGETS[t]].to_numpy(np.float64) for t in targets}


def score_predictions(
    ds: Dataset,
    pred: Mapping[str, npt.NDArray[np.float64]],
    *,
    top_k: int = 10,
) -> dict[str, float]:
    """Metrics of raw predictions on the feasible rows of ``ds`` (same order).

    Per row: ``mape_<t>``. Per layer dataset, per network: predictions and truth
    are summed over each design's layers (x count), for designs whose every layer
    is feasible, then per workload ``tau_<t>`` (Kendall tau across designs),
    ``net_mape_<t>`` and ``top<k>_<t>`` (recall of the k best designs), averaged
    over workloads; ``layer_tau_<t>`` is the Kendall tau across designs within
    each layer shape, averaged over shapes.
    """
    f = ds.frame
    out: dict[str, float] = {"rows": float(len(f))}
    for t, p in pred.items():
        true = f[RAW_TARGETS[t]].to_numpy(np.float64)
        out[f"mape_{t}"] = mape(true, p)
    if ds.kind == "layer":
        tables = _network_tables(ds, pred)
        for t in pred:
            taus, mapes, recalls = [], [], []
            for true_net, pred_net in tables[t]:
                if len(true_net) < 2:
                    continue
                taus.append(kendall_tau(true_net, pred_net))
                mapes.append(mape(true_net, pred_net))
                recalls.append(top_k_recall(true_net, pred_net, top_k))
            out[f"tau_{t}"] = float(np.mean(taus)) if taus else math.nan
            out[f"net_mape_{t}"] = float(np.mean(mapes)) if mapes else math.nan
            out[f"top{top_k}_{t}"] = float(np.mean(recalls)) if recalls else math.nan
            out[f"layer_tau_{t}"] = _layer_tau(ds, t, pred[t])
    else:
        for t, p in pred.items():
            true = f[RAW_TARGETS[t]].to_numpy(np.float64)
            taus, recalls = [], []
            for wl in f["workload"].unique():
                m = (f["workload"] == wl).to_numpy()
                if m.sum() >= 2:
                    taus.append(kendall_tau(true[m], p[m]))
                    recalls.append(top_k_recall(true[m], p[m], top_k))
            out[f"tau_{t}"] = float(np.mean(taus)) if taus else math.nan
            out[f"top{top_k}_{t}"] = float(np.mean(recalls)) if recalls else math.nan
    return out


def _network_tables(
    ds: Dataset, pred: Mapping[str, npt.NDArray[np.float64]]
) -> dict[str, list[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]]:
    import pandas as pd

    f = ds.frame
    n_layers = ds.manifest.get("_layers_per_workload") or {}
    counts = f["count"].to_numpy(np.float64)
    data = {"workload": f["workload"].to_numpy(), "design": f["design"].to_numpy()}
    for t, p in pred.items():
        data[f"t_{t}"] = f[RAW_TARGETS[t]].to_numpy(np.float64) * counts
        data[f"p_{t}"] = np.asarray(p, dtype=np.float64) * counts
    df = pd.DataFrame(data)
    g = df.groupby(["workload", "design"], sort=True)
    sums = g.sum()
    sizes = g.size()
    out: dict[str, list[Any]] = {t: [] for t in pred}
    for wl in sums.index.get_level_values(0).unique():
        s = sums.loc[wl]
        full = sizes.loc[wl] == int(n_layers.get(wl, sizes.loc[wl].max()))
        s = s[full.to_numpy()]
        for t in pred:
            out[t].append((s[f"t_{t}"].to_numpy(), s[f"p_{t}"].to_numpy()))
    return out


def _layer_tau(ds: Dataset, target: str, pred: npt.NDArray[np.float64]) -> float:
    f = ds.frame
    true = f[RAW_TARGETS[target]].to_numpy(np.float64)
    keys = f["workload"].astype(str) + "/" + f["layer_index"].astype(str)
    codes, _ = keys.factorize()
    taus = []
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for grp in np.split(order, bounds):
        if len(grp) >= 2 and np.ptp(true[grp]) > 0:
            taus.append(kendall_tau(true[grp], pred[grp]))
    return float(np.nanmean(taus)) if taus else math.nan


def score(model: Surrogate, ds: Dataset, *, top_k: int = 10) -> dict[str, float]:
    """:func:`score_predictions` of one model on the feasible rows of ``ds``."""
    feas = ds.feasible()
    return score_predictions(
        feas, model.predict_values(feas.x(model.feature_names)), top_k=top_k
    )


def with_layer_counts(ds: Dataset) -> Dataset:
    """Records the number of layer shapes per workload (from all rows, feasible
    or not) so network totals use only designs with every layer feasible."""
    if ds.kind == "layer":
        per = ds.frame.groupby("workload")["layer_index"].nunique()
        ds.manifest = {**ds.manifest, "_layers_per_workload": per.to_dict()}
    return ds
