"""Evaluators: tldse's analytical model, SCALE-Sim, ZigZag and a user's own command
behind one interface, with an evaluation store and parallel execution.

::

    from tldse.evaluators import get_evaluator, evaluate_designs

    ev = get_evaluator("scalesim", python="/tmp/venv-scalesim/bin/python")
    batch = evaluate_designs(ev, designs, workload, store="evals.sqlite", jobs=2,
                             timeout_s=600)
    batch.latency_cycles      # [n_designs, n_distinct_layers]
    batch.total_latency_cycles  # [n_designs], NaN for a failed design
    batch.stats.summary()

See docs/evaluators.md for the protocol of ``command:PATH`` evaluators, the mapping
of every design field to each tool and the measured agreement.
"""

from __future__ import annotations

from typing import Any

from tldse.evaluators.analytical import AnalyticalEvaluator
from tldse.evaluators.base import (
    STATUS_CODES,
    STATUSES,
    STORED_STATUSES,
    Evaluator,
    EvaluatorError,
    EvaluatorIdentity,
    LayerResult,
    TaskOutcome,
    design_fields,
    design_key,
    layer_fields,
    layer_key,
)
from tldse.evaluators.command import CommandEvaluator
from tldse.evaluators.process import PROTOCOL
from tldse.evaluators.runner import (
    EvaluationBatch,
    RunStats,
    evaluate_designs,
)
from tldse.evaluators.scalesim import ScaleSimEvaluator
from tldse.evaluators.store import EvaluationStore, StoreError, StoreStats
from tldse.evaluators.zigzag import ZigZagEvaluator

#: The evaluator names :func:`get_evaluator` knows (plus ``command:PATH``).
EVALUATORS: tuple[str, ...] = ("analytical", "scalesim", "zigzag")


def get_evaluator(name_or_spec: str, **settings: Any) -> Evaluator:
    """An evaluator by name: ``analytical`` (default), ``scalesim``, ``zigzag`` or
    ``command:PATH`` (PATH may carry arguments, split like a shell would).
    ``settings`` are the evaluator's keyword options (e.g. ``python=...``; timeouts
    and jobs belong to :func:`evaluate_designs`); an unknown one raises
    :class:`EvaluatorError` naming the valid ones."""
    spec = str(name_or_spec).strip()
    name, sep, rest = spec.partition(":")
    name = name.strip().lower()
    if name == "command":
        if not sep or not rest.strip():
            raise EvaluatorError("command evaluator: give its path, command:PATH")
        known = {"settings", "memory_limit_mb", "env"}
        _check_settings("command", settings, known)
        return CommandEvaluator(rest.strip(), **settings)
    classes: dict[str, type[Evaluator]] = {
        "analytical": AnalyticalEvaluator,
        "scalesim": ScaleSimEvaluator,
        "zigzag": ZigZagEvaluator,
    }
    cls = classes.get(name)
    if cls is None or sep:
        raise EvaluatorError(
            f"unknown evaluator {spec!r}; valid: {', '.join(EVALUATORS)}, command:PATH"
        )
    import inspect

    params = inspect.signature(cls.__init__).parameters
    _check_settings(name, settings, {p for p in params if p != "self"})
    return cls(**settings)


def _check_settings(name: str, settings: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(settings) - known)
    if unknown:
        raise EvaluatorError(
            f"{name} evaluator: unknown setting(s) {', '.join(unknown)}; valid: "
            f"{', '.join(sorted(known))}"
        )


__all__ = [
    "EVALUATORS",
    "PROTOCOL",
    "STATUSES",
    "STATUS_CODES",
    "STORED_STATUSES",
    "AnalyticalEvaluator",
    "CommandEvaluator",
    "EvaluationBatch",
    "EvaluationStore",
    "Evaluator",
    "EvaluatorError",
    "EvaluatorIdentity",
    "LayerResult",
    "RunStats",
    "ScaleSimEvaluator",
    "StoreError",
    "StoreStats",
    "TaskOutcome",
    "ZigZagEvaluator",
    "design_fields",
    "design_key",
    "evaluate_designs",
    "get_evaluator",
    "layer_fields",
    "layer_key",
]
