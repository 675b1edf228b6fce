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
``model.pt`` (``torch.save`` of the tensors and a copy of the description) and then
``model.json`` (architecture, names, normalisation, metadata), each atomically, so a
save that fails or is killed leaves the old model or the new one, never a mix: the
weights file describes itself, and the loader prefers its copy when the two differ.
``Surrogate.load`` checks every size in the description against the limits below
before it builds anything, reads the weights with ``torch.load(weights_only=True)``
(never unpickling arbitrary objects) and turns any broken or hostile folder into a
:class:`SurrogateError` naming the file.
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
#: Limits on a model's sizes (``tldse train --hidden``, or a model.json read back).
MAX_WIDTH = 65_536
MAX_DEPTH = 64
MAX_PARAMETERS = 2**28  # 1 GiB of float32 weights
#: Bounds on a saved normaliser: |means| and stds at most NORM_LIMIT, stds at least
#: NORM_MIN_STD (``Normalizer.fit`` gives stds >= 1e-6; features and targets are logs).
NORM_LIMIT = 1e6
NORM_MIN_STD = 1e-6
#: The most bytes ``model.pt`` may unpack to (the weights' limit and 16 MiB).
MAX_WEIGHT_BYTES = 4 * MAX_PARAMETERS + 2**24
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
        for what, sizes in (
            ("n_inputs", (self.n_inputs,)),
            ("hidden", self.hidden),
            ("head_hidden", self.head_hidden),
        ):
            if max(sizes, default=0) > MAX_WIDTH:
                raise SurrogateError(
                    f"{what}: widths up to {MAX_WIDTH:,}, got {max(sizes):,}"
                )
        if len(self.hidden) + len(self.head_hidden) > MAX_DEPTH:
            raise SurrogateError(
                f"hidden, head_hidden: at most {MAX_DEPTH} layers in all, got "
                f"{len(self.hidden) + len(self.head_hidden)}"
            )
        n = self.n_parameters()
        if n > MAX_PARAMETERS:
            raise SurrogateError(
                f"hidden: {n:,} parameters; at most {MAX_PARAMETERS:,} (widths "
                f"{list(self.hidden)}, heads {list(self.head_hidden)})"
            )
        if self.activation not in ACTIVATIONS:
            raise SurrogateError(
                f"activation must be one of {', '.join(ACTIVATIONS)}, "
                f"got {self.activation!r}"
            )

    def n_parameters(self) -> int:
        """The number of weights of the network (without building it)."""
        n, width = 0, self.n_inputs
        for h in self.hidden:
            n, width = n + (width + 1) * h, h
        head, w = 0, width
        for h in self.head_hidden:
            head, w = head + (w + 1) * h, h
        head += w + 1
        return n + len(self.targets) * (head + 1)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: Any) -> Architecture:
        """The architecture of a model.json, every field type-checked (a missing
        key or a non-integer size raises SurrogateError naming it)."""
        if not isinstance(d, Mapping):
            raise SurrogateError("architecture: expected a table of sizes")

        def sizes(key: str) -> tuple[int, ...]:
            v = d.get(key)
            if not isinstance(v, list) or len(v) > MAX_DEPTH:
                raise SurrogateError(
                    f"architecture.{key}: expected a list of at most {MAX_DEPTH} "
                    f"integers, got {_short(v)}"
                )
            return tuple(_int(h, f"architecture.{key}") for h in v)

        targets = d.get("targets")
        if not isinstance(targets, list) or not all(
            isinstance(t, str) and t in TARGETS for t in targets
        ):
            raise SurrogateError(
                f"architecture.targets: expected a list of {', '.join(TARGETS)}; "
                f"got {_short(targets)}"
            )
        activation = d.get("activation")
        if not isinstance(activation, str):
            raise SurrogateError(
                f"architecture.activation: expected a name, got {_short(activation)}"
            )
        zero_output = d.get("zero_output", False)
        if not isinstance(zero_output, bool):
            raise SurrogateError(
                f"architecture.zero_output: expected true or false, got "
                f"{_short(zero_output)}"
            )
        return cls(
            n_inputs=_int(d.get("n_inputs"), "architecture.n_inputs"),
            targets=tuple(targets),
            hidden=sizes("hidden"),
            head_hidden=sizes("head_hidden"),
            activation=activation,
            zero_output=zero_output,
        )


def _short(v: Any) -> str:
    """``repr`` cut to 60 characters (for messages about untrusted values)."""
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _int(v: Any, field: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise SurrogateError(f"{field}: expected an integer, got {_short(v)}")
    return v


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

    @classmethod
    def checked(cls, d: Any, n_inputs: int, n_targets: int) -> Normalizer:
        """The normaliser of a model.json: four lists of finite numbers of the
        model's widths, standard deviations > 0; SurrogateError otherwise."""
        if not isinstance(d, Mapping):
            raise SurrogateError("normalizer: expected a table of four lists")
        arrays = []
        for key in cls.__annotations__:
            n = n_inputs if key.startswith("x") else n_targets
            v = d.get(key)
            if (
                not isinstance(v, list)
                or len(v) != n
                or not all(
                    isinstance(a, (int, float)) and not isinstance(a, bool) for a in v
                )
            ):
                raise SurrogateError(
                    f"normalizer.{key}: expected {n} numbers, got {_short(v)}"
                )
            a = np.asarray(v, dtype=np.float64)
            std = key.endswith("std")
            lo, hi = (NORM_MIN_STD, NORM_LIMIT) if std else (-NORM_LIMIT, NORM_LIMIT)
            if not (np.isfinite(a).all() and (a >= lo).all() and (a <= hi).all()):
                raise SurrogateError(
                    f"normalizer.{key}: values must be finite and in [{lo:g}, {hi:g}]"
                )
            arrays.append(a.astype(np.float32))
        return cls(*arrays)


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
        """Writes ``model.pt`` (tensors and a copy of the description) and then
        ``model.json``, each atomically: a save that fails (a full disk) or is
        killed leaves a folder that loads, as the old model or the new one."""
        from tldse._util.io import atomic_write, package_version, write_atomic

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu() for k, v in self.net.state_dict().items()}
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
        text = json.dumps(meta, indent=1, sort_keys=True) + "\n"
        blob = {"state_dict": state, "meta": text}
        atomic_write(out / "model.pt", lambda f: torch.save(blob, f))
        write_atomic(out / "model.json", text)
        return out

    @classmethod
    def load(cls, folder: str | Path, device: str | torch.device = "cpu") -> Surrogate:
        """Reads a folder written by :meth:`save`. Anything wrong with it (missing,
        truncated or foreign files, sizes beyond :data:`MAX_WIDTH`,
        :data:`MAX_DEPTH` or :data:`MAX_PARAMETERS`, NaN normalisation or weights)
        raises :class:`SurrogateError` naming the file; sizes are checked before
        anything is allocated."""
        path = Path(folder)
        meta_path, pt_path = path / "model.json", path / "model.pt"
        if not meta_path.is_file() and not pt_path.is_file():
            raise SurrogateError(f"{path}: no model.json (not a saved model)")
        text = _read_meta_text(meta_path) if meta_path.is_file() else None
        blob = _read_weights(pt_path)
        saved = blob.get("meta")
        if saved is not None and saved != text:
            # model.pt is written first: it is the newer of the two when a save
            # stopped between them
            text, meta_path = saved, pt_path
        if text is None:
            raise SurrogateError(f"{path}: no model.json (not a saved model)")
        arch, names, norm, metadata = _parse_meta(text, meta_path)
        net = MultiTaskNet(arch)
        state = blob["state_dict"]
        try:
            net.load_state_dict(state)
        except (KeyError, RuntimeError) as exc:
            why = " ".join(str(exc).split())  # torch's message spans lines
            raise SurrogateError(
                f"{pt_path}: weights do not fit: {why[:400]}"
            ) from None
        bad = [k for k, v in state.items() if not torch.isfinite(v).all()]
        if bad:
            raise SurrogateError(f"{pt_path}: NaN or infinite weights in {bad[0]}")
        s = cls(net, names, norm, metadata)
        return s.to(device)


def _read_meta_text(path: Path) -> str:
    from tldse._util.io import read_text

    try:
        return read_text(path, "model description")
    except (OSError, ValueError) as exc:
        raise SurrogateError(str(exc)) from None


def _read_weights(path: Path) -> dict[str, Any]:
    """The blob of ``model.pt``: a zip (torch's format) whose members add up to
    at most :data:`MAX_WEIGHT_BYTES` (checked before torch reads it), holding
    only tensors and text."""
    import zipfile

    if not path.is_file():
        raise SurrogateError(f"{path.parent}: no model.pt")
    limit = MAX_WEIGHT_BYTES
    try:
        with zipfile.ZipFile(path) as z:
            total = sum(info.file_size for info in z.infolist())
    except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise SurrogateError(
            f"{path}: not a saved model's weights (truncated or corrupt: {exc})"
        ) from None
    if total > limit:
        raise SurrogateError(
            f"{path}: {total:,} bytes of weights; at most {limit:,} are read"
        )
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for broken files
        raise SurrogateError(
            f"{path}: cannot read the weights ({type(exc).__name__}: "
            f"{_short(str(exc))})"
        ) from None
    state = blob.get("state_dict") if isinstance(blob, dict) else None
    if (
        not isinstance(state, dict)
        or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
        )
        or not isinstance(blob.get("meta", ""), str)
        or set(blob) - {"state_dict", "meta"}
    ):
        raise SurrogateError(f"{path}: not a tldse surrogate's weights")
    return {"state_dict": state, "meta": blob.get("meta")}


def _parse_meta(
    text: str, path: Path
) -> tuple[Architecture, tuple[str, ...], Normalizer | None, dict[str, Any]]:
    """The checked architecture, feature names, normaliser and metadata of a
    model description (SurrogateError naming ``path`` and the field)."""
    from tldse._util.io import parse_json

    try:
        meta = parse_json(text, str(path))
    except ValueError as exc:
        raise SurrogateError(str(exc)) from None
    if not isinstance(meta, dict) or meta.get("format") != SAVE_FORMAT:
        raise SurrogateError(f"{path}: not a tldse surrogate")
    if meta.get("format_version") != SAVE_VERSION:
        raise SurrogateError(
            f"{path}: format_version {_short(meta.get('format_version'))}; this "
            f"tldse reads version {SAVE_VERSION}"
        )
    try:
        arch = Architecture.from_dict(meta.get("architecture"))
        names = meta.get("feature_names")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise SurrogateError("feature_names: expected a list of names")
        if len(names) != arch.n_inputs:
            raise SurrogateError(
                f"feature_names: {len(names)} names for {arch.n_inputs} inputs"
            )
        norm = meta.get("normalizer")
        normalizer = (
            None
            if norm is None
            else Normalizer.checked(norm, arch.n_inputs, len(arch.targets))
        )
        metadata = meta.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise SurrogateError("metadata: expected a table")
    except SurrogateError as exc:
        raise SurrogateError(f"{path}: {exc}") from None
    return arch, tuple(names), normalizer, metadata


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
