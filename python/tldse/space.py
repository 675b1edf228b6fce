"""Design spaces: named parameters with finite choices over the architecture template.

A :class:`DesignSpace` is an ordered set of parameters, each with an explicit, finite
list of choices; every design is one combination, numbered ``0 .. len(space) - 1`` in
``itertools.product`` order (the first parameter changes slowest). Parameters that a
space does not name take the value of its ``base`` design (the :class:`Accelerator`
defaults unless given). Everything is vectorised over arrays of indices, so a chunk
of designs is ``space.configs(np.arange(start, stop))`` and huge spaces are never
materialised.

Parameters are the config columns (``tldse.CONFIG_COLUMNS``) plus derived ones:

- ``pe_count`` and ``pe_aspect`` (rows / cols, default 1): ``pe_rows`` is the divisor
  of ``pe_count`` nearest (in ratio) to ``sqrt(pe_count * pe_aspect)``, ties to the
  smaller, and ``pe_cols = pe_count / pe_rows``, so the array has exactly
  ``pe_count`` PEs;
- ``glb_split`` and ``rf_split``: ``"shared"`` or ``"I:W:O"`` shares of the global
  buffer / register file given to the input, weight and output partitions
  (``floor(bytes * share / total)`` each);
- ``precision``: ``"B"`` (weights and activations B bits), ``"W/A"`` or ``"W/A/P"``
  (partial sums P bits; otherwise the base's ``psum_bits``).

Ranges: :func:`pow2`, :func:`linear` and :func:`logspace` build choice lists; space
files (TOML, or YAML with PyYAML) are described in docs/sweep.md.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sys
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from tldse.arch import CONFIG_COLUMNS, CONFIG_FIELDS, DATAFLOWS, Accelerator

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

Value = str | int | float | bool
SampleMethod = Literal["random", "lhs", "sobol"]
SAMPLE_METHODS: tuple[str, ...] = ("random", "lhs", "sobol")

#: Parameters whose values are whole numbers: the schema's ``int`` fields and
#: ``pe_count``.
INT_PARAMS: frozenset[str] = frozenset(
    {f.name for f in CONFIG_FIELDS if f.type == "int"} | {"pe_count"}
)
DERIVED_PARAMS: tuple[str, ...] = (
    "pe_count",
    "pe_aspect",
    "glb_split",
    "rf_split",
    "precision",
)
PARAM_NAMES: tuple[str, ...] = CONFIG_COLUMNS + DERIVED_PARAMS
_STRING_PARAMS = frozenset({"dataflow", "glb_split", "rf_split", "precision"})
_CONFLICTS: dict[str, tuple[str, ...]] = {
    "pe_count": ("pe_rows", "pe_cols"),
    "glb_split": ("glb_input_bytes", "glb_weight_bytes", "glb_output_bytes"),
    "rf_split": ("rf_input_bytes", "rf_weight_bytes", "rf_output_bytes"),
    "precision": ("weight_bits", "act_bits"),
}
_COL = {name: i for i, name in enumerate(CONFIG_COLUMNS)}
_MAX_INDEX = 2**62
#: The most choices one parameter may have (a range is checked before it is built).
MAX_CHOICES = 100_000
#: The largest ``pe_count`` (2**40 PEs): its array shape is found by a divisor search.
MAX_PE_COUNT = 2**40
#: The most (pe_count, pe_aspect) pairs whose array shapes a space precomputes.
MAX_PE_SHAPES = 10_000
_SIZE_RE = re.compile(
    r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([KMGT]i?B?|B)?\s*$"
)
_SIZE_UNITS = {
    None: 1, "B": 1, "K": 1024, "KB": 1024, "KiB": 1024, "Ki": 1024,
    "M": 1024**2, "MB": 1024**2, "MiB": 1024**2, "Mi": 1024**2,
    "G": 1024**3, "GB": 1024**3, "GiB": 1024**3, "Gi": 1024**3,
    "T": 1024**4, "TB": 1024**4, "TiB": 1024**4, "Ti": 1024**4,
}  # fmt: skip


class SpaceError(ValueError):
    """A malformed design space; the message names the field."""


# ---------------------------------------------------------------- range helpers


def _check_count(kind: str, count: float) -> None:
    """A range of ``count`` choices is refused, before it is built, above
    :data:`MAX_CHOICES`."""
    if not count <= MAX_CHOICES:  # also NaN and infinity
        raise SpaceError(
            f"{kind}: {count:.4g} choices; at most {MAX_CHOICES:,} per parameter"
        )


def pow2(lo: float, hi: float) -> tuple[int, ...]:
    """The powers of two in ``[lo, hi]``: ``pow2(8, 64) == (8, 16, 32, 64)``."""
    if not (lo > 0 and hi >= lo and math.isfinite(hi)):
        raise SpaceError(f"pow2 needs 0 < min <= max, got [{lo}, {hi}]")
    k0, k1 = math.ceil(math.log2(lo) - 1e-12), math.floor(math.log2(hi) + 1e-12)
    if k1 < k0:
        raise SpaceError(f"pow2: no power of two in [{lo}, {hi}]")
    _check_count("pow2", k1 - k0 + 1)
    return tuple(2**k for k in range(k0, k1 + 1))


def linear(
    start: float, stop: float, *, step: float | None = None, num: int | None = None
) -> tuple[float, ...]:
    """``start, start + step, ... <= stop`` (or ``num`` evenly spaced values, ends
    included)."""
    if (step is None) == (num is None):
        raise SpaceError("linear needs exactly one of step or num")
    if not (math.isfinite(start) and math.isfinite(stop) and stop >= start):
        raise SpaceError(f"linear needs finite start <= stop, got [{start}, {stop}]")
    if step is not None:
        if not step > 0:
            raise SpaceError(f"linear: step must be > 0, got {step}")
        _check_count(f"linear with step {step:g}", (stop - start) / step + 1)
        n = math.floor((stop - start) / step + 1e-9) + 1
        return tuple(_clean(start + i * step) for i in range(n))
    assert num is not None
    _check_count("linear", num)
    if num < 1 or (num == 1 and stop != start):
        raise SpaceError(
            f"linear: num must be >= 2 (or 1 with start == stop), got {num}"
        )
    if num == 1:
        return (_clean(start),)
    return tuple(_clean(v) for v in np.linspace(start, stop, num))


def logspace(start: float, stop: float, num: int) -> tuple[float, ...]:
    """``num`` geometrically spaced values from ``start`` to ``stop`` (ends
    included)."""
    if not (start > 0 and stop >= start and math.isfinite(stop)):
        raise SpaceError(f"log range needs 0 < start <= stop, got [{start}, {stop}]")
    _check_count("log range", num)
    if num < 1 or (num == 1 and stop != start):
        raise SpaceError(f"log range: num must be >= 2, got {num}")
    if num == 1:
        return (_clean(start),)
    return tuple(_clean(v) for v in np.geomspace(start, stop, num))


def _clean(v: float) -> float:
    """Rounds away float noise (1e-12 relative) so ranges give exact choices."""
    fv = float(v)
    r = round(fv)
    if abs(fv - r) <= 1e-9 * max(1.0, abs(fv)):
        return float(r)
    return float(f"{fv:.12g}")


# ---------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Param:
    """One parameter: its name and its choices (in enumeration order)."""

    name: str
    values: tuple[Value, ...]

    @property
    def size(self) -> int:
        return len(self.values)

    @property
    def categorical(self) -> bool:
        return self.name in _STRING_PARAMS or self.name == "multicast"

    @property
    def log_scale(self) -> bool:
        """Numeric with all choices > 0: features are ``log2(value)``."""
        return not self.categorical and all(float(v) > 0 for v in self.values)

    def codes(self) -> npt.NDArray[np.float64]:
        """The numeric-table value of each choice (see :meth:`DesignSpace.decode`)."""
        if self.name == "dataflow":
            return np.array([DATAFLOWS.index(str(v)) for v in self.values], float)
        if self.name in _STRING_PARAMS:
            return np.arange(self.size, dtype=np.float64)
        return np.array([float(v) for v in self.values], dtype=np.float64)


def _field(where: str, name: str) -> str:
    return f"{where}{name}" if where else name


def _parse_number(value: Any, field: str) -> float:
    if isinstance(value, bool):
        raise SpaceError(f"{field}: expected a number, got {value!r}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        fv = float(value)
    elif isinstance(value, str):
        m = _SIZE_RE.match(value)
        unit = m.group(2) if m else None
        if m is None or unit not in _SIZE_UNITS:
            raise SpaceError(
                f"{field}: expected a number or a size such as '64KiB' or '2MiB', "
                f"got {value!r}"
            )
        fv = float(m.group(1)) * _SIZE_UNITS[unit]
    else:
        raise SpaceError(f"{field}: expected a number, got {value!r}")
    if not math.isfinite(fv) or fv < 0:
        raise SpaceError(f"{field}: expected a finite number >= 0, got {value!r}")
    return fv


def _parse_split(value: Any, field: str) -> str:
    text = str(value).strip().lower()
    if text == "shared":
        return text
    parts = text.split(":")
    try:
        shares = [float(p) for p in parts]
    except ValueError:
        shares = []
    if (
        len(shares) != 3
        or not all(math.isfinite(s) and s >= 0 for s in shares)
        or (sum(shares) <= 0)
    ):
        raise SpaceError(
            f"{field}: expected 'shared' or 'I:W:O' shares such as '1:1:2', "
            f"got {value!r}"
        )
    return ":".join(f"{_clean(s):g}" for s in shares)


def _split_shares(value: str) -> tuple[float, float, float] | None:
    if value == "shared":
        return None
    a, b, c = (float(p) for p in value.split(":"))
    t = a + b + c
    return a / t, b / t, c / t


def _parse_precision(value: Any, field: str) -> str:
    text = str(value).strip()
    parts = text.split("/")
    ok = 1 <= len(parts) <= 3 and all(p.strip().isdigit() for p in parts)
    if isinstance(value, bool) or not ok or any(int(p) < 1 for p in parts):
        raise SpaceError(
            f"{field}: expected bits 'B', 'W/A' or 'W/A/P' such as '8' or '8/8/32', "
            f"got {value!r}"
        )
    return "/".join(str(int(p)) for p in parts)


def _precision_bits(value: str, psum: float) -> tuple[float, float, float]:
    parts = [float(p) for p in value.split("/")]
    if len(parts) == 1:
        return parts[0], parts[0], psum
    if len(parts) == 2:
        return parts[0], parts[1], psum
    return parts[0], parts[1], parts[2]


def _canonical_value(name: str, value: Any, field: str) -> Value:
    if name == "dataflow":
        text = str(value).strip().lower()
        if text not in DATAFLOWS:
            raise SpaceError(
                f"{field}: dataflow must be one of {', '.join(DATAFLOWS)}, "
                f"got {value!r}"
            )
        return text
    if name in ("glb_split", "rf_split"):
        return _parse_split(value, field)
    if name == "precision":
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            value = str(int(value))
        return _parse_precision(value, field)
    if name == "multicast":
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in (
            "true", "false", "on", "off", "yes", "no", "1", "0",
        ):  # fmt: skip
            return value.strip().lower() in ("true", "on", "yes", "1")
        raise SpaceError(f"{field}: expected true or false, got {value!r}")
    fv = _parse_number(value, field)
    if name in INT_PARAMS:
        if not fv.is_integer():
            raise SpaceError(f"{field}: expected an integer, got {value!r}")
        if name == "pe_count" and not 1 <= fv <= MAX_PE_COUNT:
            raise SpaceError(
                f"{field}: expected 1 <= pe_count <= 2**40 "
                f"({MAX_PE_COUNT:,}), got {value!r}"
            )
        return int(fv)
    if name in ("pe_aspect",) and fv <= 0:
        raise SpaceError(f"{field}: expected a number > 0, got {value!r}")
    return _clean(fv)


def _make_param(name: str, values: Any, where: str = "") -> Param:
    field = _field(where, name)
    if name not in PARAM_NAMES:
        raise SpaceError(
            f"{field}: unknown parameter {name!r}; valid: {', '.join(PARAM_NAMES)}"
        )
    if isinstance(values, Mapping):
        values = _parse_range(values, field)
    elif isinstance(values, (str, int, float, bool, np.generic)):
        values = [values]
    elif not isinstance(values, (Sequence, np.ndarray)):
        raise SpaceError(
            f"{field}: expected a list of choices or a range table, got {values!r}"
        )
    if len(values) > MAX_CHOICES:
        raise SpaceError(
            f"{field}: {len(values):,} choices; at most {MAX_CHOICES:,} per parameter"
        )
    out: list[Value] = []
    for i, v in enumerate(list(values)):
        out.append(_canonical_value(name, v, f"{field}[{i}]"))
    if not out:
        raise SpaceError(f"{field}: needs at least one choice")
    seen: set[Value] = set()
    for v in out:
        key = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
        if key in seen:
            raise SpaceError(f"{field}: choice {v!r} appears twice")
        seen.add(key)
    return Param(name, tuple(out))


_RANGE_KEYS = ("pow2", "linear", "log")


def _parse_range(spec: Mapping[str, Any], field: str) -> list[Value]:
    kinds = [k for k in _RANGE_KEYS if k in spec]
    extra = set(spec) - {*_RANGE_KEYS, "step", "num"}
    if len(kinds) != 1 or extra:
        what = (
            f"unknown key(s) {sorted(map(str, extra))}"
            if extra
            else ("no range kind" if not kinds else f"two range kinds {kinds}")
        )
        raise SpaceError(
            f"{field}: {what}; a range is {{ pow2 = [min, max] }}, "
            "{ linear = [start, stop], step = S } (or num = N), "
            "or { log = [start, stop], num = N }"
        )
    kind = kinds[0]
    bounds = spec[kind]
    if not isinstance(bounds, Sequence) or isinstance(bounds, str) or len(bounds) != 2:
        raise SpaceError(f"{field}.{kind}: expected [start, stop], got {bounds!r}")
    lo = _parse_number(bounds[0], f"{field}.{kind}[0]")
    hi = _parse_number(bounds[1], f"{field}.{kind}[1]")
    num = spec.get("num")
    if num is not None and (
        isinstance(num, bool) or not isinstance(num, int) or num < 1
    ):
        raise SpaceError(f"{field}.num: expected an integer >= 1, got {num!r}")
    try:
        if kind == "pow2":
            if "step" in spec or "num" in spec:
                raise SpaceError("pow2 takes no step or num")
            return list(pow2(lo, hi))
        if kind == "log":
            if "step" in spec or num is None:
                raise SpaceError("a log range needs num (and no step)")
            return list(logspace(lo, hi, num))
        step = spec.get("step")
        if step is not None:
            step = _parse_number(step, f"{field}.step")
        return list(linear(lo, hi, step=step, num=num))
    except SpaceError as exc:
        raise SpaceError(f"{field}: {exc}") from None


# ---------------------------------------------------------------- the space


class DesignSpace:
    """Named parameters with finite choices; designs numbered in product order.

    ``DesignSpace({"dataflow": ["ws", "os"], "pe_rows": pow2(8, 64)}, base=acc)``.
    Values may also be range tables as in space files (``{"pow2": [8, 64]}``).
    """

    def __init__(
        self,
        params: Mapping[str, Any] | Sequence[Param],
        *,
        base: Accelerator | None = None,
        name: str = "custom",
    ) -> None:
        if isinstance(params, Mapping):
            plist = [_make_param(str(k), v, "params.") for k, v in params.items()]
        else:
            plist = list(params)
        if not plist:
            raise SpaceError("params: a design space needs at least one parameter")
        self.params: tuple[Param, ...] = tuple(plist)
        names = [p.name for p in plist]
        for p in plist:
            if names.count(p.name) > 1:
                raise SpaceError(f"params.{p.name}: given twice")
        for derived, replaced in _CONFLICTS.items():
            if derived in names:
                clash = [r for r in replaced if r in names]
                if clash:
                    raise SpaceError(
                        f"params.{derived}: cannot be combined with "
                        f"{', '.join('params.' + c for c in clash)} (it sets them)"
                    )
        if "pe_aspect" in names and "pe_count" not in names:
            raise SpaceError("params.pe_aspect: needs params.pe_count")
        self.name = name
        self.base = base if base is not None else Accelerator()
        for level in ("rf", "glb"):
            total = f"{level}_bytes"
            parts = [f"{level}_{t}_bytes" for t in ("input", "weight", "output")]
            fixed = sum(float(getattr(self.base, p)) for p in parts if p not in names)
            if total in names and f"{level}_split" not in names and fixed > 0:
                smallest = min(float(v) for v in self[total].values)
                if smallest < fixed:
                    raise SpaceError(
                        f"params.{total}: choice {smallest:g} is smaller than the "
                        f"base's fixed partitions ({', '.join(parts)} add up to "
                        f"{fixed:g}); add params.{level}_split (e.g. ['shared']) or "
                        f"set the partitions in base"
                    )
        self._sizes = np.array([p.size for p in plist], dtype=np.int64)
        size = math.prod(p.size for p in plist)
        self._size = size
        strides = [1] * len(plist)
        for i in range(len(plist) - 2, -1, -1):
            strides[i] = strides[i + 1] * plist[i + 1].size
        self._strides = np.array([min(s, _MAX_INDEX) for s in strides], dtype=np.int64)
        self._codes = [p.codes() for p in plist]
        self._base_row = self.base.row()
        if "pe_count" in names:
            counts = [int(v) for v in self["pe_count"].values]
            aspects = (
                [float(v) for v in self["pe_aspect"].values]
                if "pe_aspect" in names
                else [1.0]
            )
            if len(counts) * len(aspects) > MAX_PE_SHAPES:
                raise SpaceError(
                    f"params.pe_count x params.pe_aspect: {len(counts):,} x "
                    f"{len(aspects):,} array shapes; at most {MAX_PE_SHAPES:,}"
                )
            shapes = np.array(
                [[pe_shape(c, a) for a in aspects] for c in counts], dtype=np.float64
            ).reshape(len(counts), len(aspects), 2)
            self._pe_shapes = (shapes[:, :, 0], shapes[:, :, 1])

    # ------------------------------------------------------------ basics

    def __len__(self) -> int:
        return self._size

    @property
    def size(self) -> int:
        """Number of designs (a Python int: may exceed 2**63)."""
        return self._size

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def __getitem__(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def __repr__(self) -> str:
        parts = ", ".join(f"{p.name}[{p.size}]" for p in self.params)
        designs = "design" if self._size == 1 else "designs"
        return f"DesignSpace({self.name!r}, {self._size:,} {designs}: {parts})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DesignSpace) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def _check_indexable(self) -> None:
        if self._size > _MAX_INDEX:
            raise SpaceError(
                f"space {self.name!r} has {self._size:.3g} designs; index-based "
                f"access needs fewer than 2**62"
            )

    def _indices(self, indices: npt.ArrayLike) -> npt.NDArray[np.int64]:
        self._check_indexable()
        idx = np.asarray(indices)
        if idx.dtype.kind not in "iu":
            raise ValueError("design indices must be integers")
        idx = idx.astype(np.int64).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= self._size):
            raise ValueError(
                f"design index out of range [0, {self._size}): "
                f"{int(idx.min())}..{int(idx.max())}"
            )
        return idx

    # ------------------------------------------------------------ encode / decode

    def digits(self, indices: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """``(n, n_params)`` choice number of each parameter."""
        idx = self._indices(indices)
        return (idx[:, None] // self._strides[None, :]) % self._sizes[None, :]

    def decode(self, indices: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Design indices -> the numeric table ``(n, n_params)``: numbers as they
        are, ``multicast`` 0/1, ``dataflow`` its code in ``tldse.DATAFLOWS``, other
        text choices (splits, precision) their position in the choice list."""
        d = self.digits(indices)
        out = np.empty(d.shape, dtype=np.float64)
        for j, codes in enumerate(self._codes):
            out[:, j] = codes[d[:, j]]
        return out

    def encode(self, table: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The numeric table (see :meth:`decode`) -> design indices; a value that
        is not one of the parameter's choices raises ValueError naming it."""
        self._check_indexable()
        arr = np.asarray(table, dtype=np.float64)
        if arr.ndim == 1 and len(self.params) == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[1] != len(self.params):
            raise ValueError(
                f"expected a table of shape (n, {len(self.params)}) with columns "
                f"{', '.join(self.names)}; got {arr.shape}"
            )
        idx = np.zeros(arr.shape[0], dtype=np.int64)
        for j, (p, codes) in enumerate(zip(self.params, self._codes, strict=True)):
            order = np.argsort(codes, kind="stable")
            sorted_codes = codes[order]
            col = arr[:, j]
            pos = np.clip(np.searchsorted(sorted_codes, col), 0, p.size - 1)
            bad = sorted_codes[pos] != col
            if bad.any():
                v = col[np.argmax(bad)]
                raise ValueError(
                    f"{p.name}: {v:g} is not one of the space's choices "
                    f"{[c for c in codes.tolist()]}"
                )
            idx += order[pos] * self._strides[j]
        return idx

    def features(self, table: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Numeric table -> model features: ``log2`` of positive numeric
        parameters, the others unchanged."""
        arr = np.array(table, dtype=np.float64, copy=True)
        for j, p in enumerate(self.params):
            if p.log_scale:
                arr[:, j] = np.log2(arr[:, j])
        return arr

    def from_features(self, features: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Features -> numeric table, each value snapped to the nearest choice."""
        arr = np.array(features, dtype=np.float64, copy=True)
        if arr.ndim != 2 or arr.shape[1] != len(self.params):
            raise ValueError(f"expected features of shape (n, {len(self.params)})")
        for j, (p, codes) in enumerate(zip(self.params, self._codes, strict=True)):
            ref = np.log2(codes) if p.log_scale else codes
            nearest = np.abs(arr[:, j][:, None] - ref[None, :]).argmin(axis=1)
            arr[:, j] = codes[nearest]
        return arr

    def to_configs(self, table: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Numeric table -> the ``(n, 18)`` config table for ``tldse.evaluate``."""
        arr = np.asarray(table, dtype=np.float64)
        n = arr.shape[0]
        out = np.repeat(self._base_row[None, :], n, axis=0)
        col = {p.name: arr[:, j] for j, p in enumerate(self.params)}
        for name, values in col.items():
            if name in _COL:
                out[:, _COL[name]] = values
        if "pe_count" in col:
            rows, cols = self._pe_shapes
            ci = _choice_number(self["pe_count"], col["pe_count"])
            ai = (
                _choice_number(self["pe_aspect"], col["pe_aspect"])
                if "pe_aspect" in col
                else np.zeros(n, dtype=np.int64)
            )
            out[:, _COL["pe_rows"]] = rows[ci, ai]
            out[:, _COL["pe_cols"]] = cols[ci, ai]
        for level in ("glb", "rf"):
            key = f"{level}_split"
            if key not in col:
                continue
            p = self[key]
            shares = np.array(
                [_split_shares(str(v)) or (0.0, 0.0, 0.0) for v in p.values]
            )
            s = shares[col[key].astype(np.int64)]
            total = out[:, _COL[f"{level}_bytes"]]
            for t, tensor in enumerate(("input", "weight", "output")):
                out[:, _COL[f"{level}_{tensor}_bytes"]] = np.floor(total * s[:, t])
        if "precision" in col:
            p = self["precision"]
            psum = self._base_row[_COL["psum_bits"]]
            bits = np.array([_precision_bits(str(v), psum) for v in p.values])
            b = bits[col["precision"].astype(np.int64)]
            for t, name in enumerate(("weight_bits", "act_bits", "psum_bits")):
                out[:, _COL[name]] = b[:, t]
        return out

    def configs(self, indices: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Design indices -> the ``(n, 18)`` config table."""
        return self.to_configs(self.decode(indices))

    def values(self, table: npt.ArrayLike) -> dict[str, npt.NDArray[Any]]:
        """Numeric table -> readable values per parameter (text for dataflow,
        splits and precision; bool for multicast)."""
        arr = np.asarray(table, dtype=np.float64)
        out: dict[str, npt.NDArray[Any]] = {}
        for j, p in enumerate(self.params):
            c = arr[:, j]
            if p.name == "dataflow":
                out[p.name] = np.array(DATAFLOWS, dtype=object)[c.astype(np.int64)]
            elif p.name in _STRING_PARAMS:
                out[p.name] = np.array(p.values, dtype=object)[c.astype(np.int64)]
            elif p.name == "multicast":
                out[p.name] = c.astype(bool)
            elif p.name in INT_PARAMS:
                out[p.name] = c.astype(np.int64)
            else:
                out[p.name] = c
        return out

    def from_values(self, values: Mapping[str, Any]) -> npt.NDArray[np.float64]:
        """Readable values per parameter (a dict of arrays or a DataFrame) -> the
        numeric table; the inverse of :meth:`values`."""
        missing = [n for n in self.names if n not in values]
        if missing:
            raise ValueError(f"missing parameter column(s): {', '.join(missing)}")
        names = [str(c) for c in values]
        twice = sorted({c for c in names if c in self.names and names.count(c) > 1})
        if twice:
            raise ValueError(f"parameter column(s) given twice: {', '.join(twice)}")
        cols = []
        for p, codes in zip(self.params, self._codes, strict=True):
            raw = list(np.asarray(values[p.name], dtype=object).reshape(-1))
            if p.categorical:
                lookup = {v: c for v, c in zip(p.values, codes, strict=True)}
                col = []
                for v in raw:
                    key = _canonical_value(p.name, v, p.name)
                    if key not in lookup:
                        raise ValueError(
                            f"{p.name}: {v!r} is not one of the space's choices "
                            f"{list(p.values)}"
                        )
                    col.append(lookup[key])
                cols.append(np.array(col, dtype=np.float64))
            else:
                cols.append(np.array(raw, dtype=np.float64))
        return np.stack(cols, axis=1) if cols else np.empty((0, 0))

    # ------------------------------------------------------------ enumeration

    def chunks(
        self, chunk_size: int, start: int = 0, stop: int | None = None
    ) -> Iterator[tuple[int, int]]:
        """Contiguous ``[lo, hi)`` index ranges of at most ``chunk_size`` designs."""
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        self._check_indexable()
        stop = self._size if stop is None else min(stop, self._size)
        for lo in range(start, stop, chunk_size):
            yield lo, min(lo + chunk_size, stop)

    def enumerate(
        self, chunk_size: int = 65536
    ) -> Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
        """Streams ``(indices, config table)`` chunks over the whole space."""
        for lo, hi in self.chunks(chunk_size):
            idx = np.arange(lo, hi, dtype=np.int64)
            yield idx, self.configs(idx)

    # ------------------------------------------------------------ sampling

    def sample(
        self, n: int, method: SampleMethod = "random", seed: int = 0
    ) -> npt.NDArray[np.int64]:
        """``n`` design indices: ``random`` (uniform, without replacement when
        ``n <= len(space)``), ``lhs`` (Latin hypercube) or ``sobol`` (scrambled
        Sobol) over the parameters' choice numbers (``scipy.stats.qmc``)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if method not in SAMPLE_METHODS:
            raise ValueError(
                f"method must be one of {', '.join(SAMPLE_METHODS)}; got {method!r}"
            )
        self._check_indexable()
        if method == "random":
            rng = np.random.default_rng(seed)
            if n <= self._size:
                return np.asarray(
                    rng.choice(self._size, size=n, replace=False), dtype=np.int64
                )
            return np.asarray(rng.integers(0, self._size, n), dtype=np.int64)
        from scipy.stats import qmc

        d = len(self.params)
        engine: Any
        if method == "lhs":
            engine = qmc.LatinHypercube(d=d, rng=seed)
        else:
            engine = qmc.Sobol(d=d, scramble=True, rng=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # Sobol: n not a power of 2
            u = np.asarray(engine.random(n), dtype=np.float64)
        digits = np.minimum(
            np.floor(u * self._sizes[None, :]).astype(np.int64), self._sizes - 1
        )
        return np.asarray(digits @ self._strides, dtype=np.int64)

    # ------------------------------------------------------------ files

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (``from_dict`` rebuilds the same space)."""
        base = {
            name: (DATAFLOWS[int(v)] if name == "dataflow" else _json_num(v))
            for name, v in zip(CONFIG_COLUMNS, self._base_row, strict=True)
        }
        return {
            "name": self.name,
            "base": base,
            "params": {p.name: list(p.values) for p in self.params},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "") -> DesignSpace:
        """Builds a space from the structure of a space file (see docs/sweep.md)."""
        where = f"{source}: " if source else ""
        try:
            return cls._from_dict(data)
        except SpaceError as exc:
            raise SpaceError(f"{where}{exc}") from None

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> DesignSpace:
        if not isinstance(data, Mapping):
            raise SpaceError("a space file must be a table of keys")
        unknown = set(data) - {"name", "base", "params", "description"}
        if unknown:
            raise SpaceError(
                f"unknown top-level key(s) {sorted(map(str, unknown))}; valid: name, "
                "description, base, params"
            )
        name = data.get("name", "custom")
        if not isinstance(name, str) or not name:
            raise SpaceError(f"name: expected a non-empty string, got {name!r}")
        params = data.get("params")
        if not isinstance(params, Mapping) or not params:
            raise SpaceError("params: missing or empty (a table of parameter: choices)")
        return cls(params, base=_parse_base(data.get("base", {})), name=name)

    @classmethod
    def read(cls, path: str | Path) -> DesignSpace:
        """Reads a TOML (or, with PyYAML installed, YAML) space file (UTF-8, at
        most 64 MiB; a key given twice is an error in both formats)."""
        from tldse._util.io import read_text

        p = Path(path)
        try:
            text = read_text(p, "space file")
        except ValueError as exc:
            raise SpaceError(str(exc)) from None
        try:
            if p.suffix.lower() in (".yaml", ".yml"):
                data = _load_yaml(text, p)
            else:
                try:
                    data = tomllib.loads(text)
                except tomllib.TOMLDecodeError as exc:
                    raise SpaceError(f"{p}: not valid TOML: {exc}") from None
        except RecursionError:
            raise SpaceError(f"{p}: nested too deeply") from None
        space = cls.from_dict(data if data is not None else {}, source=str(p))
        if "name" not in (data or {}):
            space.name = p.stem
        return space

    @classmethod
    def builtin(cls, name: str) -> DesignSpace:
        """A built-in space (``builtin_spaces()``: ``edge``, ``cloud``, ``tiny``)."""
        spec = _BUILTIN.get(name.strip().lower())
        if spec is None:
            raise SpaceError(
                f"unknown space {name!r}; built-in: {', '.join(_BUILTIN)} "
                "(or give a .toml/.yaml file)"
            )
        return cls.from_dict(spec, source=f"built-in space {name}")

    @classmethod
    def load(cls, spec: str | Path) -> DesignSpace:
        """A built-in space name or a space file path."""
        text = str(spec)
        if Path(text).is_file():
            return cls.read(text)
        if text.strip().lower() in _BUILTIN:
            return cls.builtin(text)
        if any(ch in text for ch in "/\\") or text.endswith((".toml", ".yaml", ".yml")):
            raise SpaceError(f"{text}: no such file")
        return cls.builtin(text)


def _load_yaml(text: str, path: Path) -> Any:
    """YAML (PyYAML's safe loader) with a key given twice in one mapping
    rejected, as TOML does."""
    try:
        import yaml  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise SpaceError(
            f"{path}: YAML space files need PyYAML (pip install pyyaml)"
        ) from exc

    class StrictLoader(yaml.SafeLoader):  # type: ignore[misc,name-defined,unused-ignore]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    dup = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: PyYAML's own error
                    dup = False
                if dup:
                    raise SpaceError(
                        f"{path}: line {key_node.start_mark.line + 1}: key "
                        f"{key!r} given twice"
                    )
            return super().construct_mapping(node, deep=deep)

    try:
        return yaml.load(text, Loader=StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpaceError(f"{path}: not valid YAML: {what}{where}") from None


def pe_shape(pe_count: int, aspect: float = 1.0) -> tuple[int, int]:
    """``(rows, cols)`` with ``rows * cols == pe_count`` and ``rows / cols`` nearest
    ``aspect`` (rows is the divisor nearest ``sqrt(pe_count * aspect)`` in ratio; ties
    go to the smaller). ``pe_count`` is at most :data:`MAX_PE_COUNT`."""
    if pe_count < 1 or not aspect > 0 or not math.isfinite(aspect):
        raise SpaceError(
            f"pe_count must be >= 1 and pe_aspect > 0 ({pe_count}, {aspect})"
        )
    if pe_count > MAX_PE_COUNT:
        raise SpaceError(
            f"pe_count must be at most 2**40 ({MAX_PE_COUNT:,}), got {pe_count}"
        )
    target = math.log(math.sqrt(pe_count * aspect))
    best = (math.inf, 1)
    for r in _divisors(int(pe_count)):
        dist = round(abs(math.log(r) - target), 12)
        best = min(best, (dist, r))
    rows = best[1]
    return rows, pe_count // rows


@functools.lru_cache(maxsize=256)
def _divisors(n: int) -> tuple[int, ...]:
    """Every divisor of ``n`` (at most 2**40: one vectorised pass to sqrt(n))."""
    d = np.arange(1, math.isqrt(n) + 1, dtype=np.int64)
    small = d[n % d == 0].tolist()
    return tuple(sorted({*small, *(n // s for s in small)}))


def _choice_number(p: Param, values: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    codes = p.codes()
    order = np.argsort(codes, kind="stable")
    pos = np.clip(np.searchsorted(codes[order], values), 0, p.size - 1)
    if (codes[order][pos] != values).any():
        raise ValueError(f"{p.name}: a value is not one of the space's choices")
    return np.asarray(order[pos], dtype=np.int64)


def _json_num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def _parse_base(base: Any) -> Accelerator:
    if not isinstance(base, Mapping):
        raise SpaceError(f"base: expected a table of config fields, got {base!r}")
    fields = dict(base)
    acc = Accelerator()
    preset = fields.pop("preset", None)
    if preset is not None:
        try:
            acc = Accelerator.preset(str(preset))
        except ValueError as exc:
            raise SpaceError(f"base.preset: {exc}") from None
    changes: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in CONFIG_COLUMNS:
            raise SpaceError(
                f"base.{key}: unknown field; valid: preset, {', '.join(CONFIG_COLUMNS)}"
            )
        v = _canonical_value(key, value, f"base.{key}")
        changes[key] = v
    try:
        return acc.replace(**changes)
    except ValueError as exc:
        raise SpaceError(f"base: {exc}") from None


# ---------------------------------------------------------------- built-in spaces

_BUILTIN: dict[str, dict[str, Any]] = {
    "edge": {
        "name": "edge",
        "description": "Edge inference accelerators: 16..1024 PEs, 16 KiB..1 MiB of "
        "on-chip buffer, 4..32 B/cycle DRAM, int8/int16, 200 MHz..1 GHz.",
        "params": {
            "dataflow": ["ws", "os", "is", "rs"],
            "pe_rows": {"pow2": [4, 32]},
            "pe_cols": {"pow2": [4, 32]},
            "rf_bytes": [16, 32, 64, 128, 256, 512],
            "glb_bytes": {"pow2": ["16KiB", "1MiB"]},
            "glb_split": ["shared", "1:1:1"],
            "dram_bw_bytes_per_cycle": [4, 8, 16, 32],
            "glb_bw_bytes_per_cycle": [64, 128, 256],
            "precision": ["8/8/32", "16/16/32"],
            "clock_mhz": [200, 500, 1000],
        },
    },
    "cloud": {
        "name": "cloud",
        "description": "Datacenter accelerators: 256..16384 PEs at aspect ratios "
        "1/4, 1, 4, 128 KiB..32 MiB of buffer, 16..256 B/cycle DRAM, int8/int16.",
        "params": {
            "dataflow": ["ws", "os", "is", "rs"],
            "pe_count": {"pow2": [256, 16384]},
            "pe_aspect": [0.25, 1, 4],
            "rf_bytes": {"pow2": [16, 512]},
            "glb_bytes": {"pow2": ["128KiB", "32MiB"]},
            "glb_split": ["shared", "1:1:1"],
            "dram_bw_bytes_per_cycle": {"pow2": [16, 256]},
            "glb_bw_bytes_per_cycle": [256, 512, 1024, 2048],
            "precision": ["8/8/32", "16/16/32"],
            "clock_mhz": [700, 1000, 1400],
        },
    },
    "tiny": {
        "name": "tiny",
        "description": "A 576-design space for tests and quick looks.",
        "params": {
            "dataflow": ["ws", "os", "is", "rs"],
            "pe_rows": [8, 16, 32],
            "pe_cols": [8, 16, 32],
            "glb_bytes": {"pow2": ["32KiB", "256KiB"]},
            "dram_bw_bytes_per_cycle": [8, 16],
            "precision": ["8", "16"],
        },
    },
}


def builtin_spaces() -> dict[str, str]:
    """Built-in space names with their descriptions."""
    return {name: str(spec.get("description", "")) for name, spec in _BUILTIN.items()}
