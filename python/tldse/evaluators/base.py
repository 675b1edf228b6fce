"""The evaluator interface: what every evaluator declares and returns.

An :class:`Evaluator` turns (design, layer) pairs into a :class:`LayerResult`:
``latency_cycles``, ``energy_pj`` (NaN when the tool has no energy model, never 0),
a ``status``, a ``message`` and ``extras`` (numbers the tool reports: stall cycles,
DRAM traffic, ...). It declares its identity (name, version, result-affecting
settings; :class:`EvaluatorIdentity`), how it uses every design field
(:meth:`Evaluator.field_support`) and which designs and layers it can represent
(:meth:`Evaluator.check_designs`, :meth:`Evaluator.check_layer`).

Statuses: ``ok``; ``rejected`` (the evaluator cannot represent the design or layer;
decided before anything runs); ``failed`` (the tool ran and reported an error, or
printed something that is not a result); ``timeout``; ``crashed`` (the tool died:
a signal, running out of memory, a non-zero exit without a result);
``unavailable`` (the tool is not installed or cannot start). Only ``ok``,
``failed``, ``timeout`` and ``crashed`` are kept in an evaluation store.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from tldse import _core
from tldse.arch import Accelerator
from tldse.workloads.layer import Layer

STATUS_OK = "ok"
STATUS_REJECTED = "rejected"
STATUS_FAILED = "failed"
STATUS_TIMEOUT = "timeout"
STATUS_CRASHED = "crashed"
STATUS_UNAVAILABLE = "unavailable"
STATUSES: tuple[str, ...] = (
    STATUS_OK,
    STATUS_REJECTED,
    STATUS_FAILED,
    STATUS_TIMEOUT,
    STATUS_CRASHED,
    STATUS_UNAVAILABLE,
)
STATUS_CODES: dict[str, int] = {name: i for i, name in enumerate(STATUSES)}
#: Statuses an evaluation store keeps (the others are decided without running).
STORED_STATUSES: frozenset[str] = frozenset(
    {STATUS_OK, STATUS_FAILED, STATUS_TIMEOUT, STATUS_CRASHED}
)

CONFIG_FIELDS: tuple[str, ...] = tuple(_core.config_columns)
LAYER_FIELDS: tuple[str, ...] = tuple(_core.layer_columns)  # kind, n, k, ..., count
_INT_FIELDS = frozenset({"pe_rows", "pe_cols", "weight_bits", "act_bits", "psum_bits"})


ResultCallback = Callable[[int, "LayerResult"], None]


class EvaluatorError(ValueError):
    """A bad evaluator name, setting or protocol use (a user error)."""


@dataclass(frozen=True)
class LayerResult:
    """One (design, layer) evaluation.

    ``latency_cycles`` and ``energy_pj`` are for one occurrence of the layer; NaN
    where the tool gives none (``energy_pj`` of a tool without an energy model,
    everything of a failed evaluation). ``cpu_s``/``wall_s``: the tool's time for
    this evaluation, NaN when unknown (cached results keep the time they took).
    """

    status: str
    latency_cycles: float = math.nan
    energy_pj: float = math.nan
    message: str = ""
    extras: Mapping[str, float] = field(default_factory=dict)
    cpu_s: float = math.nan
    wall_s: float = math.nan

    def __post_init__(self) -> None:
        if self.status not in STATUS_CODES:
            raise EvaluatorError(
                f"status must be one of {', '.join(STATUSES)}; got {self.status!r}"
            )

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK

    def with_times(self, cpu_s: float, wall_s: float) -> LayerResult:
        return dataclasses.replace(self, cpu_s=cpu_s, wall_s=wall_s)


def failure(status: str, message: str) -> LayerResult:
    """A result without numbers: ``failure("timeout", "no result within 60 s")``."""
    return LayerResult(status=status, message=message)


@dataclass
class TaskOutcome:
    """The results of one :meth:`Evaluator.run_layers` call, in layer order, and
    the tool's total CPU and wall time for it (process start-up included)."""

    results: list[LayerResult]
    cpu_s: float = 0.0
    wall_s: float = 0.0
    processes: int = 0


@dataclass(frozen=True)
class EvaluatorIdentity:
    """What makes two evaluations comparable: name, version and the settings that
    change results. ``key`` is a short digest of the three; an evaluation store and a
    resumable run refuse to mix results of different keys."""

    name: str
    version: str
    settings: Mapping[str, Any]

    @property
    def key(self) -> str:
        text = json.dumps(
            [self.name, self.version, dict(self.settings)],
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def describe(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in sorted(self.settings.items()))
        return f"{self.name} {self.version}" + (f" ({settings})" if settings else "")


# ------------------------------------------------------------ designs and layers


def design_fields(design: Accelerator | npt.ArrayLike) -> dict[str, Any]:
    """A design as ``{field: value}`` over the config columns: ``dataflow`` as text,
    integer fields as ints, ``multicast`` as bool, the rest as floats (what the
    command protocol sends and the store keys on)."""
    acc = (
        design
        if isinstance(design, Accelerator)
        else Accelerator.from_row(np.asarray(design, dtype=np.float64))
    )
    out: dict[str, Any] = {}
    for name in CONFIG_FIELDS:
        value = getattr(acc, name)
        if name == "dataflow":
            out[name] = str(value)
        elif name == "multicast":
            out[name] = bool(value)
        elif name in _INT_FIELDS:
            out[name] = int(value)
        else:
            out[name] = float(value)
    return out


def layer_fields(layer: Layer) -> dict[str, Any]:
    """A layer's shape as ``{field: value}`` (kind as text, sizes as ints), without
    its name and count: equal shapes evaluate identically."""
    out: dict[str, Any] = {"kind": layer.kind}
    for name in LAYER_FIELDS[1:]:
        if name != "count":
            out[name] = int(getattr(layer, name))
    return out


def canonical_json(value: Mapping[str, Any]) -> str:
    return json.dumps(dict(value), sort_keys=True, separators=(",", ":"))


def design_key(design: Accelerator | npt.ArrayLike) -> str:
    return canonical_json(design_fields(design))


def layer_key(layer: Layer) -> str:
    return canonical_json(layer_fields(layer))


def as_config_table(
    designs: Sequence[Accelerator] | npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """Designs as an ``(n, 18)`` config table (a list of Accelerator or a table)."""
    if isinstance(designs, Accelerator):
        return designs.row()[None, :]
    if isinstance(designs, np.ndarray):
        table = np.asarray(designs, dtype=np.float64)
    else:
        items: list[Any] = list(designs)  # type: ignore[arg-type]
        accs = [x for x in items if isinstance(x, Accelerator)]
        if items and len(accs) == len(items):
            return np.stack([x.row() for x in accs])
        table = np.asarray(items, dtype=np.float64)
    if table.ndim == 1 and table.size == len(CONFIG_FIELDS):
        table = table[None, :]
    if table.ndim != 2 or table.shape[1] != len(CONFIG_FIELDS):
        raise EvaluatorError(
            f"designs must be a list of Accelerator or an (n, {len(CONFIG_FIELDS)}) "
            f"config table; got shape {table.shape}"
        )
    return table


def column(table: npt.NDArray[np.float64], name: str) -> npt.NDArray[np.float64]:
    """One config column of a config table, by name."""
    return table[:, CONFIG_FIELDS.index(name)]


def first_reason(
    n: int, checks: Sequence[tuple[npt.NDArray[np.bool_], str]]
) -> npt.NDArray[np.object_]:
    """Per design, the message of the first failed check ('' when all pass);
    ``checks`` are ``(bad mask, message)`` pairs, vectorised over designs."""
    out = np.full(n, "", dtype=object)
    for bad, message in checks:
        fresh = np.asarray(bad, dtype=bool) & (out == "")
        out[fresh] = message
    return out


# ------------------------------------------------------------ the interface


class Evaluator(ABC):
    """Evaluates (design, layer) pairs; see the module docstring.

    Subclasses set ``name``, ``has_energy`` and ``expensive``, implement
    :meth:`version`, :meth:`settings`, :meth:`field_support` and
    :meth:`run_layers`, and override :meth:`check_designs` and
    :meth:`check_layer` when they cannot represent everything.
    ``expensive`` evaluators run through :func:`tldse.evaluators.evaluate_designs`
    with a store, a process pool and timeouts; the analytical model does not.
    """

    name: str = "evaluator"
    has_energy: bool = True
    expensive: bool = True

    @abstractmethod
    def version(self) -> str:
        """The tool's version (part of the identity)."""

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """The settings that change results (JSON values; part of the identity).
        Run controls (interpreter path, timeout, memory limit) are not settings."""

    def identity(self) -> EvaluatorIdentity:
        return EvaluatorIdentity(self.name, self.version(), self.settings())

    @abstractmethod
    def field_support(self) -> dict[str, str]:
        """For every config field, how the evaluator uses it (one line each),
        including what it ignores and what it rejects."""

    def check_designs(
        self, designs: Sequence[Accelerator] | npt.ArrayLike
    ) -> npt.NDArray[np.object_]:
        """Per design, why the evaluator cannot represent it ('' when it can);
        vectorised over a config table. By default every design is (a command
        answers "failed" for what it cannot represent; the analytical model
        reports infeasible designs as failed results)."""
        return np.full(len(as_config_table(designs)), "", dtype=object)

    def representable(
        self, designs: Sequence[Accelerator] | npt.ArrayLike
    ) -> npt.NDArray[np.bool_]:
        return np.asarray(self.check_designs(designs) == "", dtype=bool)

    def check_layer(self, layer: Layer) -> str:
        """Why the evaluator cannot represent this layer ('' when it can)."""
        return ""

    def unavailable(self) -> str:
        """Why the tool cannot run here, with a hint how to fix it ('' when it
        can)."""
        return ""

    @abstractmethod
    def run_layers(
        self,
        design: Accelerator,
        layers: Sequence[Layer],
        *,
        timeout_s: float | None = None,
        cancel: Any = None,
        on_result: ResultCallback | None = None,
    ) -> TaskOutcome:
        """Runs the tool on one design and some of its layers (all representable),
        one result per layer in order. Failures come back as results, never as
        exceptions; ``on_result(i, result)`` is called as each layer finishes
        (from the calling thread); ``cancel`` (a ``threading.Event``) stops the
        tool early."""

    def evaluate(
        self, design: Accelerator, layers: Sequence[Layer]
    ) -> list[LayerResult]:
        """One design, a few layers, here and now, without a store: rejected
        designs and layers come back as ``rejected`` results."""
        why = str(self.check_designs([design])[0])
        if why:
            return [failure(STATUS_REJECTED, why) for _ in layers]
        why_not = self.unavailable()
        if why_not:
            return [failure(STATUS_UNAVAILABLE, why_not) for _ in layers]
        out: list[LayerResult | None] = [None] * len(layers)
        todo: list[int] = []
        for i, layer in enumerate(layers):
            reason = self.check_layer(layer)
            if reason:
                out[i] = failure(STATUS_REJECTED, reason)
            else:
                todo.append(i)
        if todo:
            outcome = self.run_layers(design, [layers[i] for i in todo])
            for i, res in zip(todo, outcome.results, strict=True):
                out[i] = res
        return [r for r in out if r is not None]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
