"""The multi-task network and the :class:`Surrogate` that wraps it.

``MultiTaskNet``: a shared trunk (Linear + activation blocks) and one head per
target (Linear + activation, then Linear to one output), plus one learnable
log-variance per target for uncertainty weighting (Kendall, Gal and Cipolla, CVPR
2018). A single-task MLP is the same network with one target. With
``zero_output`` each head's last Linear starts at zero, so an untrained network
predicts the target mean: for targets that are log-ratios to a reference
estimate (:mod:`tldse.learn.fidelity`, with uncentred targets) it starts from
"the reference is right".

``Surrogate`` holds the network with its input normalisation, target
normalisation, feature names, target names and metadata. ``save(folder)`` writes
``model.pt`` (``torch.save`` of a dict of tensors only) and ``model.json``
(architecture, names, normalisation, metadata); ``Surrogate.load`` reads them with
``torch.load(weights_only=True)``, so loading never unpickles arbitrary objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from tldse.learn.features import TARGETS

SAVE_FORMAT = "tldse-surrogate"
#: Smallest input std used for normalisation (features are mostly log2 units).
X_STD_FLOOR = 0.5
SAVE_VERSION = 1
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "silu": nn.SiLU,
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
}


class SurrogateError(ValueError):
    """Bad input to a surrogate (shapes, names, NaN, files)."""


@dataclass(frozen=True)
class Architecture:
    """Sizes of a :class:`MultiTaskNet`."""

    n_inputs: int
    targets: tuple[str, ...]
    hidden: tuple[int, ...] = (256, 256, 256)
    head_hidden: tuple[int, ...] = (64,)
    activation: str = "silu"
    zero_output: bool = False

    def __post_init__(self) -> None:
        if self.n_inputs < 1:
            raise SurrogateError(f"n_inputs must be >= 1, got {self.n_inputs}")
        if not self.targets:
            raise SurrogateError("a model needs at least one target")
        if len(set(self.targets)) != len(self.targets):
            raise SurrogateError(f"targets repeat: {list(self.targets)}")
        if not self.hidden or any(h < 1 for h in (*self.hidden, *self.head_hidden)):
            raise SurrogateError("hidden sizes must be >= 1 (and the trunk non-empty)")
        if self.activation not in ACTIVATIONS:
            raise SurrogateError(
                f"activation must be one of {', '.join(ACTIVATIONS)}, "
                f"got {self.activation!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Architecture:
        return cls(
            n_inputs=int(d["n_inputs"]),
            targets=tuple(str(t) for t in d["targets"]),
            hidden=tuple(int(h) for h in d["hidden"]),
            head_hidden=tuple(int(h) for h in d["head_hidden"]),
            activation=str(d["activation"]),
            zero_output=bool(d.get("zero_output", False)),
        )


class MultiTaskNet(nn.Module):
    """Shared trunk + one head per target; ``forward(x) -> (n, n_targets)``."""

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.arch = arch
        act = ACTIVATIONS[arch.activation]
        blocks = []
        width = arch.n_inputs
        for h in arch.hidden:
            blocks.append(nn.Sequential(nn.Linear(width, h), act()))
            width = h
        self.trunk = nn.ModuleList(blocks)
        heads: dict[str, nn.Module] = {}
        for t in arch.targets:
            layers: list[nn.Module] = []
            w = width
            for h in arch.head_hidden:
                layers += [nn.Linear(w, h), act()]
                w = h
            out = nn.Linear(w, 1)
            if arch.zero_output:
                nn.init.zeros_(out.weight)
                nn.init.zeros_(out.bias)
            layers.append(out)
            heads[t] = nn.Sequential(*layers)
        self.heads = nn.ModuleDict(heads)
        # log(sigma^2) per target, for uncertainty weighting
        self.log_vars = nn.Parameter(torch.zeros(len(arch.targets)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_from(x, 0)

    def trunk_prefix(self, x: torch.Tensor, stop: int) -> torch.Tensor:
        """The output of the first ``stop`` trunk blocks."""
        for block in list(self.trunk)[:stop]:
            x = block(x)
        return x

    def forward_from(self, h: torch.Tensor, start: int) -> torch.Tensor:
        """The outputs given ``h``, the output of the first ``start`` blocks."""
        for block in list(self.trunk)[start:]:
            h = block(h)
        return torch.cat([self.heads[t](h) for t in self.arch.targets], dim=1)

    def frozen_prefix(self) -> int:
        """How many leading trunk blocks have no trainable parameter."""
        k = 0
        for block in self.trunk:
            if any(p.requires_grad for p in block.parameters()):
                break
            k += 1
        return k


@dataclass
class Normalizer:
    """Per-column mean and std of inputs and (transformed) targets."""

    x_mean: npt.NDArray[np.float32]
    x_std: npt.NDArray[np.float32]
    y_mean: npt.NDArray[np.float32]
    y_std: npt.NDArray[np.float32]

    @classmethod
    def fit(
        cls,
        x: npt.NDArray[np.float32],
        y: npt.NDArray[np.float32],
        min_x_std: float = X_STD_FLOOR,
        *,
        center_targets: bool = True,
    ) -> Normalizer:
        """Column means and stds; input stds are at least ``min_x_std`` so that
        a feature (nearly) constant in the training data, such as a one-hot
        column never seen or ``log2_groups`` on networks without grouped
        convolutions, does not blow up when a new task varies it. With
        ``center_targets=False`` the target mean is 0 and the scale the root mean
        square (a zero output then means a zero target: a log-ratio model
        starts from its reference)."""

        def stats(a: npt.NDArray[np.float32], floor: float) -> tuple[Any, Any]:
            mean = a.mean(axis=0, dtype=np.float64)
            std = a.std(axis=0, dtype=np.float64)
            std = np.where(std < 1e-6, 1.0, np.maximum(std, floor))
            return mean.astype(np.float32), std.astype(np.float32)

        xm, xs = stats(x, min_x_std)
        ym, ys = stats(y, 0.0)
        if not center_targets:
            rms = np.sqrt(np.mean(np.square(y, dtype=np.float64), axis=0))
            ym = np.zeros_like(ym)
            ys = np.where(rms < 1e-6, 1.0, rms).astype(np.float32)
        return cls(xm, xs, ym, ys)

    def to_dict(self) -> dict[str, list[float]]:
        return {k: [float(v) for v in getattr(self, k)] for k in self.__annotations__}

    @classmethod
    def from_dict(cls, d: Mapping[str, Sequence[float]]) -> Normalizer:
        return cls(*(np.asarray(d[k], dtype=np.float32) for k in cls.__annotations__))


def check_arrays(
    x: npt.ArrayLike,
    y: npt.ArrayLike | None,
    n_features: int | None = None,
    n_targets: int | None = None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32] | None]:
    """float32 copies of ``x`` (n, F) and ``y`` (n, T), with clear errors."""
    xa = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
    if xa.ndim != 2:
        raise SurrogateError(f"features must be a 2-d array, got shape {xa.shape}")
    if xa.shape[0] == 0:
        raise SurrogateError("empty dataset: no rows to train or predict on")
    if n_features is not None and xa.shape[1] != n_features:
        raise SurrogateError(
            f"features have {xa.shape[1]} columns, the model expects {n_features}"
        )
    if not np.isfinite(xa).all():
        bad = int(np.argwhere(~np.isfinite(xa))[0][1])
        raise SurrogateError(f"features contain NaN or infinity (column {bad})")
    if y is None:
        return xa, None
    ya = np.asarray(y, dtype=np.float32)
    if ya.ndim == 1:
        ya = ya[:, None]
    ya = np.ascontiguousarray(ya)
    if ya.ndim != 2 or ya.shape[0] != xa.shape[0]:
        raise SurrogateError(
            f"targets must have shape ({xa.shape[0]}, n_targets), got {ya.shape}"
        )
    if n_targets is not None and ya.shape[1] != n_targets:
        raise SurrogateError(
            f"targets have {ya.shape[1]} columns, the model has {n_targets} targets"
        )
    if not np.isfinite(ya).all():
        n_bad = int((~np.isfinite(ya)).any(axis=1).sum())
        raise SurrogateError(
            f"targets contain NaN or infinity ({n_bad} rows; infeasible designs? "
            "use Dataset.arrays(), which drops them)"
        )
    return xa, ya


@dataclass
class Surrogate:
    """A trained (or initialised) model with everything needed to use it."""

    net: MultiTaskNet
    feature_names: tuple[str, ...]
    normalizer: Normalizer | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        feature_names: Sequence[str],
        targets: Sequence[str] = ("latency", "energy"),
        *,
        hidden: Sequence[int] = (256, 256, 256),
        head_hidden: Sequence[int] = (64,),
        activation: str = "silu",
        seed: int = 0,
        zero_output: bool = False,
    ) -> Surrogate:
        """A fresh network (weights drawn with ``torch.manual_seed(seed)``)."""
        unknown = [t for t in targets if t not in TARGETS]
        if unknown:
            raise SurrogateError(
                f"unknown target(s) {unknown}; valid: {', '.join(TARGETS)}"
            )
        arch = Architecture(
            len(feature_names),
            tuple(targets),
            tuple(hidden),
            tuple(head_hidden),
            activation,
            zero_output,
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = MultiTaskNet(arch)
        return cls(net, tuple(feature_names))

    @property
    def targets(self) -> tuple[str, ...]:
        return self.net.arch.targets

    @property
    def arch(self) -> Architecture:
        return self.net.arch

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    def to(self, device: str | torch.device) -> Surrogate:
        self.net.to(torch.device(device))
        return self

    def copy(self) -> Surrogate:
        """An independent copy (same weights, normalisation and metadata)."""
        net = MultiTaskNet(self.arch)
        net.load_state_dict(self.net.state_dict())
        net.to(self.device)
        return Surrogate(
            net,
            self.feature_names,
            None
            if self.normalizer is None
            else Normalizer.from_dict(self.normalizer.to_dict()),
            json.loads(json.dumps(self.metadata)),
        )

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.net.parameters())

    # ------------------------------------------------------------ prediction

    def _norm(self) -> Normalizer:
        if self.normalizer is None:
            raise SurrogateError("the model has not been trained (no normalisation)")
        return self.normalizer

    def predict(self, x: npt.ArrayLike, batch_size: int = 65536) -> npt.NDArray[Any]:
        """Transformed targets ``(n, n_targets)`` (natural logs of latency,
        energy, area; utilization as is)."""
        norm = self._norm()
        xa, _ = check_arrays(x, None, len(self.feature_names))
        xn = (xa - norm.x_mean) / norm.x_std
        out = np.empty((len(xa), len(self.targets)), dtype=np.float32)
        self.net.eval()
        dev = self.device
        with torch.no_grad():
            for lo in range(0, len(xa), batch_size):
                xb = torch.from_numpy(xn[lo : lo + batch_size]).to(dev)
                out[lo : lo + batch_size] = self.net(xb).cpu().numpy()
        return np.asarray(out * norm.y_std + norm.y_mean, dtype=np.float64)

    def predict_values(self, x: npt.ArrayLike) -> dict[str, npt.NDArray[np.float64]]:
        """Raw predictions per target: ``{"latency": cycles, "energy": pJ, ...}``."""
        y = self.predict(x)
        return {t: from_transformed(t, y[:, j]) for j, t in enumerate(self.targets)}

    # ------------------------------------------------------------ files

    def save(self, folder: str | Path) -> Path:
        """Writes ``model.pt`` (tensors only) and ``model.json``."""
        from tldse._util.io import package_version, write_json_atomic

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu() for k, v in self.net.state_dict().items()}
        torch.save({"state_dict": state}, out / "model.pt")
        norm = None if self.normalizer is None else self.normalizer.to_dict()
        meta = {
            "format": SAVE_FORMAT,
            "format_version": SAVE_VERSION,
            "tldse_version": package_version(),
            "torch_version": torch.__version__,
            "architecture": self.arch.to_dict(),
            "feature_names": list(self.feature_names),
            "targets": {
                t: {"column": TARGETS[t][0], "transform": TARGETS[t][1]}
                for t in self.targets
            },
            "normalizer": norm,
            "metadata": self.metadata,
        }
        write_json_atomic(out / "model.json", meta)
        return out

    @classmethod
    def load(cls, folder: str | Path, device: str | torch.device = "cpu") -> Surrogate:
        path = Path(folder)
        try:
            meta = json.loads((path / "model.json").read_text())
        except FileNotFoundError:
            raise SurrogateError(f"{path}: no model.json (not a saved model)") from None
        except ValueError as exc:
            raise SurrogateError(
                f"{path / 'model.json'}: not valid JSON ({exc})"
            ) from None
        if meta.get("format") != SAVE_FORMAT:
            raise SurrogateError(f"{path / 'model.json'}: not a tldse surrogate")
        arch = Architecture.from_dict(meta["architecture"])
        names = tuple(meta["feature_names"])
        if len(names) != arch.n_inputs:
            raise SurrogateError(
                f"{path}: {len(names)} feature names for {arch.n_inputs} inputs"
            )
        try:
            blob = torch.load(path / "model.pt", map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise SurrogateError(f"{path}: no model.pt") from None
        net = MultiTaskNet(arch)
        try:
            net.load_state_dict(blob["state_dict"])
        except (KeyError, RuntimeError) as exc:
            raise SurrogateError(
                f"{path / 'model.pt'}: weights do not fit: {exc}"
            ) from None
        norm = meta.get("normalizer")
        s = cls(
            net,
            names,
            None if norm is None else Normalizer.from_dict(norm),
            dict(meta.get("metadata") or {}),
        )
        return s.to(device)


def from_transformed(target: str, values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Undoes the target transform (``exp`` for the log targets)."""
    v = np.asarray(values, dtype=np.float64)
    return np.exp(v) if TARGETS[target][1] == "log" else v


def to_transformed(target: str, values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    v = np.asarray(values, dtype=np.float64)
    return np.log(v) if TARGETS[target][1] == "log" else v


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``cpu``, ``cuda`` (``cuda:N``) or ``auto`` (cuda when available)."""
    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise SurrogateError(
            f"device: expected cpu, cuda, cuda:N or auto, got {device!r}"
        ) from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise SurrogateError("device cuda requested but torch sees no CUDA device")
    return dev
