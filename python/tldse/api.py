"""The facade's search functions: the library calls plus their reports.

:func:`sweep` and :func:`explore` are :func:`tldse.search.sweep.sweep` and
:func:`tldse.exploration.api.explore` with, when ``out`` is given, the reporting
layer's files added (``pareto.png``; ``report.md`` and its plots). They are what
``tldse.sweep`` / ``tldse.explore`` and the ``tldse`` command call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tldse.arch import EnergyTable
from tldse.exploration import api as _exploration
from tldse.exploration.problem import SearchResult
from tldse.search.metrics import Constraint
from tldse.search.sweep import DEFAULT_CHUNK_SIZE, DEFAULT_OBJECTIVES, SweepResult
from tldse.search.sweep import sweep as _sweep
from tldse.space import DesignSpace
from tldse.workloads.layer import Workload

if TYPE_CHECKING:
    from tldse.evaluators.base import Evaluator
    from tldse.learn.model import Surrogate
    from tldse.search.sweep import Executor


def sweep(
    space: DesignSpace | str | Path,
    workload: Workload | str | Path,
    *,
    objectives: str | Sequence[str] = DEFAULT_OBJECTIVES,
    constraints: Iterable[str | Constraint] | str | None = None,
    out: str | Path | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    energy: str | Path | EnergyTable | None = None,
    mapper: str = "heuristic",
    mapper_objective: str = "edp",
    threads: int | None = None,
    save_all: bool = False,
    ties: str = "first",
    overwrite: bool = False,
    executor: Executor | None = None,
    progress: bool = False,
) -> SweepResult:
    """Every design of ``space`` on ``workload``: the constrained Pareto front
    (:func:`tldse.search.sweep.sweep`, whose arguments these are); with ``out``,
    the data files and checkpoints there plus ``pareto.png``."""
    result = _sweep(
        space,
        workload,
        objectives=objectives,
        constraints=constraints,
        out=out,
        chunk_size=chunk_size,
        energy=energy,
        mapper=mapper,
        mapper_objective=mapper_objective,
        threads=threads,
        save_all=save_all,
        ties=ties,
        overwrite=overwrite,
        executor=executor,
        progress=progress,
    )
    if out is not None and result.complete:
        from tldse.reporting.sweep import write_sweep_report

        write_sweep_report(result, out)
    return result


def explore(
    space: DesignSpace | str | Path = "edge",
    workloads: str | Workload | Sequence[str | Workload] = "resnet18",
    *,
    weights: Sequence[float] | None = None,
    objectives: str | Sequence[str] = "latency,energy,area",
    constraints: Sequence[str] | str | None = None,
    budget: int | None = None,
    method: str = "auto",
    model: str | Path | Surrogate | None = None,
    out: str | Path | None = None,
    seed: int = 0,
    granularity: str = "auto",
    device: str = "cpu",
    fresh: bool = False,
    energy: str | Path | EnergyTable | None = None,
    mapper: str = "heuristic",
    mapper_objective: str = "edp",
    threads: int | None = None,
    evaluator: str | Evaluator | None = None,
    evaluator_settings: Mapping[str, Any] | None = None,
    jobs: int = 1,
    timeout_s: float | None = None,
    scheduler: Any = None,
    store: str | Path | None = None,
    progress: bool = False,
    command: str | None = None,
    pretrained: str = "quick",
) -> SearchResult:
    """A search of ``space`` within a simulation budget
    (:func:`tldse.exploration.api.explore`, whose arguments these are); with
    ``out``, the data files there plus ``report.md`` and its plots, whose
    "Reproduce" section shows ``command`` (default: the equivalent ``tldse
    explore`` command)."""
    res = _exploration.explore(
        space,
        workloads,
        weights=weights,
        objectives=objectives,
        constraints=constraints,
        budget=budget,
        method=method,
        model=model,
        out=out,
        seed=seed,
        granularity=granularity,
        device=device,
        fresh=fresh,
        energy=energy,
        mapper=mapper,
        mapper_objective=mapper_objective,
        threads=threads,
        evaluator=evaluator,
        evaluator_settings=evaluator_settings,
        jobs=jobs,
        timeout_s=timeout_s,
        scheduler=scheduler,
        store=store,
        progress=progress,
        pretrained=pretrained,
    )
    if out is not None:
        from tldse.reporting.explore import write_explore_report

        write_explore_report(res, out, command=command, seed=seed)
    return res
