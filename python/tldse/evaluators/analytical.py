"""The ``analytical`` evaluator: tldse's own C++ model (the default).

It evaluates a whole table of designs x layers in one call (:meth:`evaluate_table`,
C++ threads, GIL released), so it never goes through a store or a process pool:
recomputing is cheaper than looking up. Designs the model finds infeasible come
back ``failed`` with the model's status (``invalid_config``, ``does_not_fit``,
``unsupported``) as the message.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from tldse import _core
from tldse._util.io import package_version
from tldse.arch import Accelerator
from tldse.evaluators.base import (
    CONFIG_FIELDS,
    STATUS_FAILED,
    STATUS_OK,
    Evaluator,
    EvaluatorError,
    LayerResult,
    ResultCallback,
    TaskOutcome,
    as_config_table,
)
from tldse.sim import evaluate
from tldse.workloads.layer import Layer, Workload

MapperObjective = Literal["latency", "energy", "edp"]
Mapper = Literal["heuristic", "exhaustive"]
_BUILTIN_TABLES = ("horowitz45", "default", "eyeriss")
#: Result fields of tldse.evaluate reported as extras.
EXTRA_FIELDS: tuple[str, ...] = tuple(
    f for f in _core.result_fields if f not in ("latency_cycles", "energy_pj", "status")
)


class AnalyticalEvaluator(Evaluator):
    """tldse's model with an energy table (``horowitz45``, ``eyeriss`` or a file),
    the rs mapper's ``mapper_objective`` and ``mapper`` mode."""

    name = "analytical"
    has_energy = True
    expensive = False

    def __init__(
        self,
        *,
        energy: str = "horowitz45",
        mapper_objective: MapperObjective = "edp",
        mapper: Mapper = "heuristic",
        threads: int | None = None,
    ) -> None:
        if energy not in _BUILTIN_TABLES and not Path(energy).is_file():
            raise EvaluatorError(
                f"energy must be horowitz45, eyeriss or an energy-table file; "
                f"{energy!r} is neither"
            )
        if mapper_objective not in ("latency", "energy", "edp"):
            raise EvaluatorError(
                "mapper_objective must be latency, energy or edp, got "
                f"{mapper_objective!r}"
            )
        if mapper not in ("heuristic", "exhaustive"):
            raise EvaluatorError(
                f"mapper must be heuristic or exhaustive, got {mapper!r}"
            )
        self.energy = energy
        self.mapper_objective: MapperObjective = mapper_objective
        self.mapper: Mapper = mapper
        self.threads = threads

    def version(self) -> str:
        return package_version()

    def settings(self) -> dict[str, Any]:
        energy = self.energy
        if energy not in _BUILTIN_TABLES:
            digest = hashlib.sha256(Path(energy).read_bytes()).hexdigest()
            energy = f"file:{digest[:12]}"
        return {
            "energy": energy,
            "mapper_objective": self.mapper_objective,
            "mapper": self.mapper,
        }

    def field_support(self) -> dict[str, str]:
        return {name: "modelled (docs/model.md)" for name in CONFIG_FIELDS}

    def evaluate_table(
        self, designs: Sequence[Accelerator] | npt.ArrayLike, workload: Workload
    ) -> dict[str, npt.NDArray[Any]]:
        """``tldse.evaluate`` over a config table and a workload: arrays
        ``[n_designs, n_layers]`` (``status`` as the model's codes)."""
        table = as_config_table(designs)
        ev = evaluate(
            table,
            workload,
            energy=self.energy,
            threads=self.threads,
            mapper_objective=self.mapper_objective,
            mapper=self.mapper,
        )
        return {k: np.asarray(ev[k]) for k in ev}

    def run_layers(
        self,
        design: Accelerator,
        layers: Sequence[Layer],
        *,
        timeout_s: float | None = None,
        cancel: Any = None,
        on_result: ResultCallback | None = None,
    ) -> TaskOutcome:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        arrays = self.evaluate_table([design], Workload("layers", list(layers)))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        share = len(layers) or 1
        results = []
        for j in range(len(layers)):
            code = int(arrays["status"][0, j])
            extras = {f: float(arrays[f][0, j]) for f in EXTRA_FIELDS if f in arrays}
            if code == 0:
                results.append(
                    LayerResult(
                        STATUS_OK,
                        float(arrays["latency_cycles"][0, j]),
                        float(arrays["energy_pj"][0, j]),
                        extras=extras,
                        cpu_s=cpu / share,
                        wall_s=wall / share,
                    )
                )
            else:
                results.append(
                    LayerResult(
                        STATUS_FAILED,
                        math.nan,
                        math.nan,
                        message=infeasible_message(design, code),
                        cpu_s=cpu / share,
                        wall_s=wall / share,
                    )
                )
        if on_result is not None:
            for j, res in enumerate(results):
                on_result(j, res)
        return TaskOutcome(results, cpu, wall, 0)


def infeasible_message(design: Accelerator | npt.ArrayLike, code: int) -> str:
    """The model's status name, with the reason for an invalid config."""
    name = str(_core.status_names[code])
    if name == "invalid_config":
        row = design.row() if isinstance(design, Accelerator) else np.asarray(design)
        why = str(_core.check_config(np.asarray(row, dtype=np.float64)))
        return f"{name}: {why}" if why else name
    if name == "does_not_fit":
        return f"{name}: no tiling of the layer fits the global buffer"
    return name
