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
from dataclasses import dataclass, field, replace
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


# ---------------------------------------------------------------- baselines


def scratch_models(
    feature_names: Sequence[str],
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    targets: Sequence[str],
    config: TrainConfig,
    *,
    seed: int = 0,
    hidden: Sequence[int] = (256, 256, 256),
    head_hidden: Sequence[int] = (64,),
) -> tuple[tuple[Surrogate, TrainResult], list[tuple[Surrogate, TrainResult]]]:
    """The two from-scratch baselines on the same rows: the multi-task model
    (all ``targets``, uncertainty weighting as ``config`` says) and one
    single-task MLP per target (the paper's baseline), each trained with
    ``config``. ``y`` holds the transformed targets (:data:`TARGETS`)."""
    ya = np.asarray(y, dtype=np.float32).reshape(len(np.asarray(x)), -1)

    def create(tg: Sequence[str]) -> Surrogate:
        return Surrogate.create(
            feature_names, tg, hidden=hidden, head_hidden=head_hidden, seed=seed
        )

    mt = create(targets)
    mt_result = fit(mt, x, ya, config)
    singles = []
    for j, t in enumerate(targets):
        st = create((t,))
        singles.append((st, fit(st, x, ya[:, [j]], replace(config, weighting="fixed"))))
    return (mt, mt_result), singles


# ---------------------------------------------------------------- multi-fidelity


@dataclass(frozen=True)
class Candidate:
    """One way to adapt a fidelity model to a target (see :func:`candidates`).

    ``kind``: ``reference`` (the reference estimate alone), ``reference-const``
    (the reference times the median ratio of the samples), ``zero-shot`` (the
    pretrained model as it is), ``offset`` (the pretrained model plus the median
    residual), ``finetune`` (the pretrained members fine-tuned: ``strategy``
    head, last-k or full, ``l2sp`` toward the pretrained weights), ``ridge`` (a
    ridge regression of the log-ratio to ``reference`` on the model features)
    or ``correction`` (a small network, zero-initialised output, trained from
    scratch on the log-ratio to ``reference``)."""

    name: str
    kind: str
    reference: str = "prior"
    strategy: str = "full"
    l2sp: float = 0.0
    lr: float = 3e-4
    epochs: int = 100
    alpha: float = 10.0
    #: training loss in log units: ``mse``, or ``l1`` (the median: what the
    #: evaluators' heavy-tailed ratios need)
    loss: str = "mse"


#: Fine-tuning candidates (name, strategy, learning rate, L2-SP weight).
FINETUNE_CANDIDATES: tuple[tuple[str, str, float, float], ...] = (
    ("head", "head", 1e-3, 0.0),
    ("last1", "last-k", 3e-4, 1e-3),
    ("full-l2sp", "full", 3e-4, 1e-3),
    ("full-l2sp-strong", "full", 3e-4, 1e-2),
    ("full", "full", 3e-4, 0.0),
)


def candidates(
    pretrained: bool = True, references: Sequence[str] = ()
) -> list[Candidate]:
    """The candidates of :func:`transfer`: with a pretrained model, ``prior``
    (its reference alone), ``zero-shot``, ``offset`` and the fine-tuning ones;
    for each extra reference (an evaluator's: ``analytical``,
    ``analytical_compute``, ``systolic``) the reference alone, the reference
    times a constant, a ridge regression and a correction network on it."""
    out: list[Candidate] = []
    if pretrained:
        out += [
            Candidate("prior", "reference", "prior"),
            Candidate("zero-shot", "zero-shot"),
            Candidate("offset", "offset"),
        ]
        out += [
            Candidate(name, "finetune", strategy=st, lr=lr, l2sp=l2)
            for name, st, lr, l2 in FINETUNE_CANDIDATES
        ]
    for ref in references:
        out += [
            Candidate(ref, "reference", ref),
            Candidate(f"{ref} x const", "reference-const", ref),
            Candidate(f"ridge/{ref}", "ridge", ref),
            Candidate(
                f"correction/{ref}", "correction", ref, lr=2e-3, epochs=300, loss="l1"
            ),
        ]
    return out


@dataclass
class TransferResult:
    """What :func:`transfer` chose: the fitted ``model``, the ``chosen``
    candidate's name, every candidate's cross-validation error (``cv``: mean
    MAPE over targets and folds, %), and the seconds (wall, CPU) spent."""

    model: Any  # FidelityModel
    chosen: str
    cv: dict[str, float]
    seconds: float
    cpu_seconds: float
    fit_seconds: dict[str, float] = field(default_factory=dict)


def _member_targets(member: Surrogate, targets: Sequence[str]) -> Surrogate:
    """A copy of a pretrained member that keeps only ``targets``' heads."""
    import torch

    from tldse.learn.model import MultiTaskNet, Normalizer

    if tuple(member.targets) == tuple(targets):
        return member.copy()
    idx = [member.targets.index(t) for t in targets]
    arch = replace(member.arch, targets=tuple(targets))
    net = MultiTaskNet(arch)
    state = {
        k: v
        for k, v in member.net.state_dict().items()
        if k.startswith("trunk.") or any(k.startswith(f"heads.{t}.") for t in targets)
    }
    state["log_vars"] = member.net.log_vars.detach()[idx].clone()
    net.load_state_dict(state)
    norm = member.normalizer
    assert norm is not None
    sub = Normalizer(norm.x_mean, norm.x_std, norm.y_mean[idx], norm.y_std[idx])
    with torch.no_grad():
        net.eval()
    return Surrogate(net, member.feature_names, sub, dict(member.metadata))


def _finetune_config(c: Candidate, n: int, seed: int) -> TrainConfig:
    return TrainConfig(
        epochs=c.epochs,
        batch_size=max(n, 1),
        lr=c.lr,
        weight_decay=0.0,
        schedule="cosine",
        patience=c.epochs,
        val_fraction=0.0,
        weighting="fixed",
        seed=seed,
        l2sp=c.l2sp,
        loss=c.loss,
    )


def fit_candidate(
    c: Candidate,
    pretrained: Any,
    pairs: Any,
    truth: Mapping[str, npt.ArrayLike],
    targets: Sequence[str],
    *,
    features: Any = None,
    members: int | None = None,
    seed: int = 0,
) -> Any:
    """A :class:`~tldse.learn.fidelity.FidelityModel` of candidate ``c`` fitted
    to the samples ``pairs`` (a :class:`~tldse.learn.fidelity.Pairs`) with
    measured ``truth`` per target. ``features``: the feature set of the
    ridge / correction candidates (default the pretrained model's); ``members``:
    how many pretrained members to fine-tune (default all)."""
    from tldse.learn.fidelity import (
        FeatureSet,
        FidelityModel,
        LinearMember,
        log_ratio_targets,
        reference_values,
    )

    tg = tuple(targets)
    if c.kind in ("reference", "reference-const"):
        fs = features or (pretrained.features if pretrained else FeatureSet(("pair",)))
        model = FidelityModel(fs, c.reference, tg)
        if c.kind == "reference-const":
            y = log_ratio_targets(truth, reference_values(pairs, c.reference), tg)
            model.offset = {t: float(np.median(y[:, j])) for j, t in enumerate(tg)}
        return model
    if c.kind in ("ridge", "correction"):
        fs = features or pretrained.features
        x = fs.compute(pairs)
        y = log_ratio_targets(truth, reference_values(pairs, c.reference), tg)
        if c.kind == "ridge":
            lin = LinearMember.fit(fs.names, tg, x, y, c.alpha)
            return FidelityModel(fs, c.reference, tg, [lin])
        ms = []
        for i in range(members or 1):
            m = Surrogate.create(
                fs.names,
                tg,
                hidden=(64, 64),
                head_hidden=(),
                seed=seed + i,
                zero_output=True,
            )
            cfg = replace(
                _finetune_config(c, len(x), seed + i),
                weight_decay=1e-4,
                center_targets=False,
            )
            fit(m, x, y, cfg)
            ms.append(m)
        return FidelityModel(fs, c.reference, tg, ms)
    if pretrained is None:
        raise SurrogateError(f"candidate {c.name} needs a pretrained model")
    base = pretrained.members[: members or len(pretrained.members)]
    subset = [_member_targets(m, tg) for m in base]
    model = FidelityModel(pretrained.features, pretrained.reference, tg, subset)
    if c.kind == "zero-shot":
        return model
    x = model.features.compute(pairs)
    y = log_ratio_targets(truth, reference_values(pairs, model.reference), tg)
    if c.kind == "offset":
        mu, _ = model.log_ratio(x)
        model.offset = {
            t: float(np.median(y[:, j] - mu[:, j])) for j, t in enumerate(tg)
        }
        return model
    if c.kind != "finetune":
        raise SurrogateError(f"unknown candidate kind {c.kind!r}")
    tuned = []
    for i, m in enumerate(subset):
        t_model, _ = fine_tune(
            m, x, y, c.strategy, k=1, config=_finetune_config(c, len(x), seed + i)
        )
        tuned.append(t_model)
    model.members = tuned
    return model


def _folds(n: int, k: int, groups: npt.NDArray[Any] | None, seed: int) -> list[Any]:
    rng = np.random.default_rng(seed)
    if groups is None:
        order = rng.permutation(n)
        return [order[i::k] for i in range(k)]
    uniq = rng.permutation(np.unique(groups))
    return [np.flatnonzero(np.isin(groups, uniq[i::k])) for i in range(k)]


def _mape_log(y: npt.NDArray[Any], mu: npt.NDArray[Any]) -> float:
    return float(np.mean(np.abs(np.exp(mu - y) - 1.0)) * 100)


#: How much a candidate fits to the samples (fewer first): the order in which
#: :func:`transfer` prefers candidates whose errors are statistically tied.
COMPLEXITY: dict[str, int] = {
    "reference": 0,
    "reference-const": 1,
    "zero-shot": 2,
    "offset": 3,
    "ridge": 4,
    "finetune": 5,
    "correction": 6,
}


def _one_standard_error(
    cs: Sequence[Candidate],
    oof: Mapping[str, tuple[npt.NDArray[Any], npt.NDArray[Any]]],
    split: Sequence[npt.NDArray[Any]],
) -> Candidate:
    """The simplest candidate whose cross-validation error is within one
    standard error (over folds) of the lowest (Breiman et al.'s one-standard-
    error rule): with tens of samples and heavy-tailed ratios, a candidate that
    fits more wins the folds by chance more often than it generalises."""
    per_fold = {
        c.name: np.array([
            _mape_log(oof[c.name][0][va], np.zeros(1)) for va in split if len(va)
        ])
        for c in cs
    }  # fmt: skip
    best = min(cs, key=lambda c: (per_fold[c.name].mean(), cs.index(c)))
    errs = per_fold[best.name]
    bound = errs.mean() + errs.std(ddof=1) / np.sqrt(len(errs)) if len(errs) > 1 else 0
    tied = [c for c in cs if per_fold[c.name].mean() <= max(bound, errs.mean())]
    return min(tied, key=lambda c: (COMPLEXITY.get(c.kind, 9), cs.index(c)))


def _calibrate_sigma(
    model: Any, pairs: Any, res: npt.NDArray[Any], sd: npt.NDArray[Any]
) -> None:
    """Sets ``model``'s ``sigma_scale`` / ``sigma_floor`` so that its median
    sigma on the samples is the root-mean-square out-of-fold residual ``res``,
    per target (the members' spread, often heavy-tailed, still orders the
    designs).

    The out-of-fold spread ``sd`` is the members' spread where the folds had
    several members (reference, zero-shot); candidates fitted one member per
    fold have none, and then the final model's own member spread on the samples
    is scaled instead. A model without members, or whose members agree on most
    samples, gets the residual RMS as its floor."""
    multi = len(model.members) > 1
    own: npt.NDArray[Any] | None = None
    for j, t in enumerate(model.targets):
        rms = float(np.sqrt(np.mean(res[:, j] ** 2)))
        spread = float(np.median(sd[:, j]))
        model.sigma_scale.pop(t, None)
        model.sigma_floor[t] = 0.0
        if multi and spread <= 1e-9:
            if own is None:
                own = model.log_ratio(model.features.compute(pairs))[1]
            spread = float(np.median(own[:, j]))
        if multi and spread > 1e-9:
            model.sigma_scale[t] = rms / spread
        else:
            model.sigma_floor[t] = rms


def transfer(
    pretrained: Any,
    pairs: Any,
    truth: Mapping[str, npt.ArrayLike],
    targets: Sequence[str] = ("latency", "energy"),
    *,
    cands: Sequence[Candidate] | None = None,
    features: Any = None,
    folds: int = 5,
    groups: npt.ArrayLike | None = None,
    members: int | None = None,
    seed: int = 0,
) -> TransferResult:
    """Adapts a fidelity model to a target from a few samples (``pairs`` with
    their measured ``truth``): every candidate (default :func:`candidates`) is
    scored by ``folds``-fold cross-validation on the samples (folds by
    ``groups``, e.g. the design, when given; candidates that fit nothing on the
    samples are scored on all of them); the simplest candidate within one
    standard error of the best (:data:`COMPLEXITY`) is fitted on all the samples
    with all members, and its spread is calibrated to its out-of-fold
    residuals (:func:`_calibrate_sigma`: ``sigma_scale``; ``sigma_floor`` for
    a model without members or whose members agree).
    Pretrained members are fine-tuned one member per fold during the search
    (the cost of selection), all members for the final fit."""
    import time as _time

    from tldse.learn.fidelity import log_ratio_targets, reference_values

    t0, c0 = _time.perf_counter(), _time.process_time()
    tg = tuple(targets)
    cs = list(cands) if cands is not None else candidates(pretrained is not None)
    if not cs:
        raise SurrogateError("transfer: no candidates")
    n = len(pairs)
    if n < 2:
        raise SurrogateError(f"transfer: need at least 2 samples, got {n}")
    tr = {t: np.asarray(truth[t], dtype=np.float64) for t in tg}
    g = None if groups is None else np.asarray(groups)
    if g is not None and len(np.unique(g)) < min(folds, n):
        g = None
    split = _folds(n, min(folds, n), g, seed)
    cv: dict[str, float] = {}
    oof: dict[str, tuple[npt.NDArray[Any], npt.NDArray[Any]]] = {}
    fit_s: dict[str, float] = {}
    for c in cs:
        tc = _time.perf_counter()
        y = log_ratio_targets(
            tr,
            reference_values(
                pairs,
                c.reference
                if c.kind in ("reference", "reference-const", "ridge", "correction")
                else pretrained.reference,
            ),
            tg,
        )
        mu = np.zeros_like(y, dtype=np.float64)
        sd = np.zeros_like(y, dtype=np.float64)
        if c.kind in ("reference", "zero-shot"):
            m = fit_candidate(
                c,
                pretrained,
                pairs,
                tr,
                tg,
                features=features,
                members=members,
                seed=seed,
            )
            x = m.features.compute(pairs) if m.members else np.empty((n, 0))
            mu, sd = m.log_ratio(x)
        else:
            for va in split:
                tr_idx = np.setdiff1d(np.arange(n), va)
                sub = pairs.take(tr_idx)
                m = fit_candidate(
                    c,
                    pretrained,
                    sub,
                    {t: v[tr_idx] for t, v in tr.items()},
                    tg,
                    features=features,
                    members=1,
                    seed=seed,
                )
                pv = pairs.take(va)
                x = m.features.compute(pv) if m.members else np.empty((len(va), 0))
                mu[va], sd[va] = m.log_ratio(x)
        cv[c.name] = _mape_log(y, mu)
        oof[c.name] = (y - mu, sd)
        fit_s[c.name] = _time.perf_counter() - tc
    best = _one_standard_error(cs, oof, split)
    model = fit_candidate(
        best, pretrained, pairs, tr, tg, features=features, members=members, seed=seed
    )
    _calibrate_sigma(model, pairs, *oof[best.name])
    model.metadata["transfer"] = {
        "chosen": best.name,
        "cv_mape": cv,
        "samples": n,
        "folds": len(split),
    }
    return TransferResult(
        model,
        best.name,
        cv,
        _time.perf_counter() - t0,
        _time.process_time() - c0,
        fit_s,
    )
