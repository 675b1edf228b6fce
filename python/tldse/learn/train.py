"""Training: AdamW, a learning-rate schedule, early stopping, multi-task loss.

:func:`fit` trains a :class:`Surrogate` in place on transformed targets (natural
logs of latency / energy / area; utilization as is), each standardised with the
training rows' mean and std. The loss per target is MSE (or Huber, L1) in those
units; targets combine with fixed weights or by learned uncertainty weighting
(``0.5 exp(-s_t) L_t + 0.5 s_t`` with ``s_t = log sigma_t^2``, Kendall et al.
2018). After each epoch the validation rows are scored by the mean absolute error
in standardised units averaged over targets; training stops when it has not
improved for ``patience`` epochs and the best weights are restored.

Deterministic on CPU for a given seed and thread count: weights come from
``Surrogate.create(seed=...)``, the validation split and minibatch order from
generators seeded with ``TrainConfig.seed``.

Torch runs on :data:`DEFAULT_THREADS` CPU thread unless told otherwise
(``TrainConfig.threads``): these models are small (a few 64..256-wide layers,
minibatches of 512..1,024 rows), and one thread trains them 4-37x faster than
two on a 2-core machine, idle or busy, and predicts 2-2.6x faster
(``benchmarks/test_torch_threads.py``; figures in docs/surrogate.md).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from tldse._util.progress import Progress, note
from tldse._util.table import plural
from tldse.learn.model import (
    Normalizer,
    Surrogate,
    SurrogateError,
    check_arrays,
    resolve_device,
)

SCHEDULES = ("cosine", "plateau", "constant")
LOSSES = ("mse", "huber", "l1")
WEIGHTINGS = ("fixed", "uncertainty")
#: Torch CPU threads while training and predicting (measured: see the module
#: docstring).
DEFAULT_THREADS = 1


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[int]:
    """Torch's CPU threads set to ``threads`` while the block runs (None or 0:
    left as they are), then restored; yields the number in effect."""
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield torch.get_num_threads()
    finally:
        if threads:
            torch.set_num_threads(before)


@dataclass
class TrainConfig:
    """Hyper-parameters of :func:`fit` (defaults tuned on validation data)."""

    epochs: int = 300
    batch_size: int = 1024
    lr: float = 2e-3
    weight_decay: float = 1e-4
    schedule: str = "cosine"
    patience: int = 30
    min_delta: float = 1e-3
    val_fraction: float = 0.1
    loss: str = "mse"
    weighting: str = "uncertainty"
    weights: Sequence[float] | None = None
    seed: int = 0
    device: str = "cpu"
    #: torch CPU threads (None or 0: torch's setting, by default every core)
    threads: int | None = DEFAULT_THREADS
    max_seconds: float | None = None
    progress: bool = False
    #: L2-SP: weight of ``sum (w - w_start)^2`` over the trained trunk parameters
    #: (the weights at the start of :func:`fit`: the pretrained ones when
    #: fine-tuning; Li, Grandvalet and Davoine, ICML 2018); heads are free
    l2sp: float = 0.0
    #: standardise targets with their mean (False: mean 0, scale the RMS; for
    #: log-ratio targets whose zero means "the reference is right")
    center_targets: bool = True

    def check(self, n_targets: int) -> None:
        def bad(name: str, why: str) -> SurrogateError:
            return SurrogateError(f"{name}: {why}, got {getattr(self, name)!r}")

        if self.epochs < 1:
            raise bad("epochs", "expected >= 1")
        if self.batch_size < 1:
            raise bad("batch_size", "expected >= 1")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise bad("lr", "expected > 0")
        if self.weight_decay < 0:
            raise bad("weight_decay", "expected >= 0")
        if self.schedule not in SCHEDULES:
            raise bad("schedule", f"expected one of {', '.join(SCHEDULES)}")
        if self.loss not in LOSSES:
            raise bad("loss", f"expected one of {', '.join(LOSSES)}")
        if self.weighting not in WEIGHTINGS:
            raise bad("weighting", f"expected one of {', '.join(WEIGHTINGS)}")
        if self.patience < 1:
            raise bad("patience", "expected >= 1")
        if self.threads is not None and self.threads < 0:
            raise bad("threads", "expected >= 0 (0: torch's default)")
        if not 0 <= self.val_fraction < 1:
            raise bad("val_fraction", "expected in [0, 1)")
        if not (self.l2sp >= 0 and math.isfinite(self.l2sp)):
            raise bad("l2sp", "expected >= 0")
        if self.weights is not None and (
            len(self.weights) != n_targets or any(w < 0 for w in self.weights)
        ):
            raise bad("weights", f"expected {n_targets} weights >= 0")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["weights"] = None if self.weights is None else list(self.weights)
        return d


@dataclass
class TrainResult:
    """What :func:`fit` did: ``seconds`` is wall-clock time, ``cpu_seconds`` the
    process's CPU time (all threads), ``best_val`` the validation error of the
    restored weights."""

    epochs: int
    best_epoch: int
    best_val: float
    seconds: float
    cpu_seconds: float
    steps: int
    stopped: str
    n_train: int
    n_val: int
    history: list[dict[str, float]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("history")
        return d


def _split(n: int, fraction: float, seed: int) -> tuple[Any, Any]:
    perm = np.random.default_rng(seed).permutation(n)
    n_val = round(n * fraction) if n >= 2 else 0
    n_val = min(max(n_val, 1 if fraction > 0 and n >= 2 else 0), n - 1)
    return perm[n_val:], perm[:n_val]


def _loss_fn(kind: str) -> Any:
    if kind == "mse":
        return lambda p, t: ((p - t) ** 2).mean(dim=0)
    if kind == "l1":
        return lambda p, t: (p - t).abs().mean(dim=0)
    return lambda p, t: torch.nn.functional.huber_loss(
        p, t, reduction="none", delta=1.0
    ).mean(dim=0)


def trainable_parameters(
    surrogate: Surrogate, weighting: str
) -> list[torch.nn.Parameter]:
    """Parameters with ``requires_grad`` (``log_vars`` only when uncertainty
    weighting is on)."""
    net = surrogate.net
    params = [
        p
        for name, p in net.named_parameters()
        if name != "log_vars" and p.requires_grad
    ]
    if weighting == "uncertainty" and net.log_vars.requires_grad:
        params.append(net.log_vars)
    return params


def fit(
    surrogate: Surrogate,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    config: TrainConfig | None = None,
    *,
    x_val: npt.ArrayLike | None = None,
    y_val: npt.ArrayLike | None = None,
    params: Iterable[torch.nn.Parameter] | None = None,
) -> TrainResult:
    """Trains ``surrogate`` in place on features ``x`` (n, F) and transformed
    targets ``y`` (n, T); returns what happened. Without ``x_val`` / ``y_val`` a
    ``val_fraction`` of the rows (seeded) is held out for early stopping. The
    normalisation is fitted on the training rows unless the surrogate already has
    one (fine-tuning keeps the pretrained one). ``params`` limits what is trained
    (default: every parameter with ``requires_grad``)."""
    cfg = config or TrainConfig()
    n_t = len(surrogate.targets)
    cfg.check(n_t)
    xa, ya = check_arrays(x, y, len(surrogate.feature_names), n_t)
    assert ya is not None
    if x_val is not None or y_val is not None:
        if x_val is None or y_val is None:
            raise SurrogateError("give both x_val and y_val, or neither")
        xv, yv = check_arrays(x_val, y_val, len(surrogate.feature_names), n_t)
        assert yv is not None
        xt, yt = xa, ya
    else:
        tr, va = _split(len(xa), cfg.val_fraction, cfg.seed)
        xt, yt = xa[tr], ya[tr]
        xv, yv = (xa[va], ya[va]) if len(va) else (xt, yt)
    if surrogate.normalizer is None:
        surrogate.normalizer = Normalizer.fit(xt, yt, center_targets=cfg.center_targets)
    norm = surrogate.normalizer

    device = resolve_device(cfg.device)
    with torch_threads(cfg.threads) as threads:
        where = f"{device}" + (
            f", {plural(threads, 'torch thread')}" if device.type == "cpu" else ""
        )
        note(cfg.progress, f"training on {plural(len(xt), 'row')} ({where})")
        return _train(surrogate, cfg, norm, device, xt, yt, xv, yv, params)


def _train(
    surrogate: Surrogate,
    cfg: TrainConfig,
    norm: Normalizer,
    device: torch.device,
    xt: npt.NDArray[np.float32],
    yt: npt.NDArray[np.float32],
    xv: npt.NDArray[np.float32],
    yv: npt.NDArray[np.float32],
    params: Iterable[torch.nn.Parameter] | None,
) -> TrainResult:
    t0 = time.perf_counter()
    c0 = time.process_time()
    net = surrogate.net.to(device)
    n_t = len(surrogate.targets)

    def tensor(a: npt.NDArray[np.float32]) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a)).to(device)

    x_tr = tensor((xt - norm.x_mean) / norm.x_std)
    y_tr = tensor((yt - norm.y_mean) / norm.y_std)
    x_va = tensor((xv - norm.x_mean) / norm.x_std)
    y_va = tensor((yv - norm.y_mean) / norm.y_std)
    # Frozen leading blocks (fine-tuning) are run once, not every step.
    start = net.frozen_prefix()
    if start:
        net.eval()
        with torch.no_grad():
            x_tr = net.trunk_prefix(x_tr, start)
            x_va = net.trunk_prefix(x_va, start)
    plist = (
        list(params)
        if params is not None
        else trainable_parameters(surrogate, cfg.weighting)
    )
    if not plist:
        raise SurrogateError("nothing to train: every parameter is frozen")
    trunk_ids = {id(p) for p in net.trunk.parameters()}
    anchored = [(p, p.detach().clone()) for p in plist if id(p) in trunk_ids]
    opt = torch.optim.AdamW(plist, lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched: Any = None
    if cfg.schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=cfg.epochs, eta_min=cfg.lr * 0.01
        )
    elif cfg.schedule == "plateau":
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, factor=0.5, patience=max(1, cfg.patience // 3)
        )
    w = torch.tensor(
        list(cfg.weights) if cfg.weights is not None else [1.0] * n_t,
        dtype=torch.float32,
        device=device,
    )
    w = w / w.sum().clamp_min(1e-12) * n_t
    loss_of = _loss_fn(cfg.loss)
    gen = torch.Generator().manual_seed(cfg.seed)
    n = len(x_tr)
    bs = min(cfg.batch_size, n)
    history: list[dict[str, float]] = []
    best = math.inf
    best_epoch = 0
    best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    steps = 0
    stopped = "epochs"
    epoch = 0

    with Progress(cfg.progress, cfg.epochs, "training", "epochs") as bar:
        for epoch in range(1, cfg.epochs + 1):
            net.train()
            total = 0.0
            order = torch.randperm(n, generator=gen).to(device) if bs < n else None
            for lo in range(0, n, bs):
                if order is None:
                    xb, yb = x_tr, y_tr
                else:
                    idx = order[lo : lo + bs]
                    xb, yb = x_tr[idx], y_tr[idx]
                per_target = loss_of(net.forward_from(xb, start), yb)
                if cfg.weighting == "uncertainty":
                    s = net.log_vars
                    loss = (0.5 * torch.exp(-s) * per_target + 0.5 * s).sum()
                else:
                    loss = (w * per_target).sum()
                if cfg.l2sp and anchored:
                    loss = loss + cfg.l2sp * sum(
                        ((p - p0) ** 2).sum() for p, p0 in anchored
                    )
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                steps += 1
                total += float(loss.detach()) * len(xb)
            net.eval()
            with torch.no_grad():
                val = float((net.forward_from(x_va, start) - y_va).abs().mean())
            lr = opt.param_groups[0]["lr"]
            history.append(
                {"epoch": epoch, "train_loss": total / n, "val_mae": val, "lr": lr}
            )
            if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
                sched.step(val)
            elif sched is not None:
                sched.step()
            if val < best - cfg.min_delta * abs(best) or not math.isfinite(best):
                best, best_epoch = val, epoch
                best_state = {
                    k: v.detach().clone() for k, v in net.state_dict().items()
                }
            bar.advance()
            if not math.isfinite(val):
                stopped = "diverged"
                break
            if epoch - best_epoch >= cfg.patience:
                stopped = "early"
                break
            if (
                cfg.max_seconds is not None
                and time.perf_counter() - t0 > cfg.max_seconds
            ):
                stopped = "time"
                break
    net.load_state_dict(best_state)
    net.eval()
    result = TrainResult(
        epochs=epoch,
        best_epoch=best_epoch,
        best_val=best,
        seconds=time.perf_counter() - t0,
        cpu_seconds=time.process_time() - c0,
        steps=steps,
        stopped=stopped,
        n_train=len(xt),
        n_val=len(xv),
        history=history,
    )
    surrogate.metadata["training"] = {**result.summary(), "config": cfg.to_dict()}
    return result
