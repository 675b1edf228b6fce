"""The layer table: the one workload format the simulator consumes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from tldse import _core
from tldse._util.text import utf8_errors
from tldse.arch import warn_scalesim

LayerKind = Literal["conv", "dwconv", "gemm"]
KINDS: tuple[LayerKind, ...] = ("conv", "dwconv", "gemm")
LAYER_COLUMNS: tuple[str, ...] = tuple(_core.layer_columns)
#: Column name -> its position in a layer row.
LAYER_INDEX: dict[str, int] = {name: i for i, name in enumerate(LAYER_COLUMNS)}

_MAX_DIM = 2**31


@dataclass(frozen=True)
class Layer:
    """One layer as a (grouped) convolution loop nest.

    ``n`` batch, ``k`` output channels, ``c`` input channels, ``p x q`` output size,
    ``r x s`` filter size. A GEMM ``(M x K) @ (K x N)`` is ``Layer.gemm(m, n, k)``,
    stored as ``p = M, c = K, k = N``. ``count`` is how many times the shape occurs.
    """

    name: str
    kind: LayerKind = "conv"
    n: int = 1
    k: int = 1
    c: int = 1
    p: int = 1
    q: int = 1
    r: int = 1
    s: int = 1
    stride_h: int = 1
    stride_w: int = 1
    pad_h: int = 0
    pad_w: int = 0
    dil_h: int = 1
    dil_w: int = 1
    groups: int = 1
    count: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"kind must be one of {', '.join(KINDS)}; got {self.kind!r}"
            )
        for col in LAYER_COLUMNS[1:]:
            v = getattr(self, col)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise ValueError(
                    f"layer {self.name!r}: {col} must be an integer, got {v!r}"
                )
            lo = 0 if col in ("pad_h", "pad_w") else 1
            if not lo <= int(v) < _MAX_DIM:
                raise ValueError(
                    f"layer {self.name!r}: {col} must be in [{lo}, 2^31), got {v}"
                )
        if self.c % self.groups or self.k % self.groups:
            raise ValueError(f"layer {self.name!r}: groups must divide c and k")
        if self.kind == "dwconv" and self.groups != self.c:
            raise ValueError(f"layer {self.name!r}: a dwconv needs groups == c")

    @classmethod
    def conv(
        cls,
        name: str,
        *,
        c: int,
        k: int,
        h: int,
        w: int | None = None,
        r: int,
        s: int | None = None,
        stride: int = 1,
        pad: int = 0,
        dilation: int = 1,
        groups: int = 1,
        n: int = 1,
        count: int = 1,
    ) -> Layer:
        """A conv from its input size.

        Output size ``p = floor((h + 2 pad - dilation (r - 1) - 1) / stride) + 1``.
        """
        w = h if w is None else w
        s = r if s is None else s
        for field_name, v, lo in (("h", h, 1), ("w", w, 1), ("r", r, 1), ("s", s, 1),
                                  ("stride", stride, 1), ("dilation", dilation, 1),
                                  ("pad", pad, 0)):  # fmt: skip
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
                raise ValueError(
                    f"layer {name!r}: {field_name} must be an integer >= {lo}, "
                    f"got {v!r}"
                )
        p = (h + 2 * pad - dilation * (r - 1) - 1) // stride + 1
        q = (w + 2 * pad - dilation * (s - 1) - 1) // stride + 1
        if p < 1 or q < 1:
            raise ValueError(f"layer {name!r}: the filter does not fit the input")
        kind: LayerKind = "dwconv" if groups == c and c > 1 else "conv"
        return cls(
            name, kind, n, k, c, p, q, r, s, stride, stride, pad, pad,
            dilation, dilation, groups, count,
        )  # fmt: skip

    @classmethod
    def gemm(cls, name: str, m: int, n: int, k: int, *, count: int = 1) -> Layer:
        """``(m x k) @ (k x n)``."""
        return cls(name, "gemm", n=1, k=n, c=k, p=m, count=count)

    @property
    def macs(self) -> int:
        return (
            self.n
            * self.p
            * self.q
            * self.k
            * (self.c // self.groups)
            * self.r
            * self.s
        )

    def row(self) -> list[int]:
        return [KINDS.index(self.kind)] + [
            int(getattr(self, col)) for col in LAYER_COLUMNS[1:]
        ]

    def with_batch(self, n: int) -> Layer:
        return dataclasses.replace(self, n=n)

    def shape_key(self) -> tuple[int, ...]:
        """Everything but name and count: equal keys simulate identically."""
        return tuple(self.row()[:-1])


@dataclass
class Workload:
    """A named list of layers; ``table()`` is what the simulator consumes."""

    name: str
    layers: list[Layer] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    @property
    def names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    @property
    def macs(self) -> int:
        return sum(layer.macs * layer.count for layer in self.layers)

    def table(self) -> npt.NDArray[np.int64]:
        if not self.layers:
            raise ValueError(f"workload {self.name!r} has no layers")
        return np.array([layer.row() for layer in self.layers], dtype=np.int64)

    def with_batch(self, n: int) -> Workload:
        return Workload(self.name, [layer.with_batch(n) for layer in self.layers])

    @classmethod
    def from_table(
        cls, name: str, table: npt.ArrayLike, names: Sequence[str] | None = None
    ) -> Workload:
        arr = np.asarray(table)
        if arr.ndim != 2 or arr.shape[1] != len(LAYER_COLUMNS):
            raise ValueError(
                f"a layer table has shape (m, {len(LAYER_COLUMNS)}), got {arr.shape}"
            )
        names = (
            list(names)
            if names is not None
            else [f"layer{i + 1}" for i in range(len(arr))]
        )
        layers = []
        for nm, row in zip(names, arr, strict=True):
            kind_code = int(row[0])
            if not 0 <= kind_code < len(KINDS):
                raise ValueError(f"layer {nm!r}: kind code must be 0, 1 or 2")
            values: dict[str, Any] = {
                col: int(v) for col, v in zip(LAYER_COLUMNS[1:], row[1:], strict=True)
            }
            layers.append(Layer(nm, KINDS[kind_code], **values))
        return cls(name, layers)

    @classmethod
    def read(cls, path: str | Path) -> Workload:
        """Reads a SCALE-Sim conv/GEMM topology or a tldse layer CSV (what tldse
        reads differently from SCALE-Sim, e.g. a sparsity ratio, is a
        :class:`~tldse.arch.ScaleSimWarning`)."""
        with utf8_errors(path):
            names, table, _, messages = _core.read_topology(str(path))
        warn_scalesim(messages)
        return cls.from_table(Path(path).stem, table, names)


def as_workload(workload: Workload | Iterable[Layer] | str | Path) -> Workload:
    """A :class:`Workload` from any workload argument (the one resolver,
    :func:`tldse.workloads.resolve.resolve_workload`)."""
    from tldse.workloads.resolve import resolve_workload

    return resolve_workload(workload)
