"""Search over design spaces: objectives, constraints and metrics, exact Pareto
fronts, result tables, exhaustive sweeps (:func:`tldse.search.sweep.sweep`; with
its plot: ``tldse.sweep``) and their Dask scale-out."""

from tldse.search.metrics import (
    METRICS,
    OBJECTIVES,
    Constraint,
    parse_constraint,
    parse_constraints,
    parse_objectives,
)
from tldse.search.pareto import ParetoArchive, pareto_front, pareto_mask
from tldse.search.results import best_designs, design_frame, results_frame
from tldse.search.sweep import (
    ChunkResult,
    ChunkTask,
    SweepError,
    SweepResult,
    evaluate_designs,
    run_chunk,
)

__all__ = [
    "METRICS",
    "OBJECTIVES",
    "ChunkResult",
    "ChunkTask",
    "Constraint",
    "ParetoArchive",
    "SweepError",
    "SweepResult",
    "best_designs",
    "design_frame",
    "evaluate_designs",
    "pareto_front",
    "pareto_mask",
    "parse_constraint",
    "parse_constraints",
    "parse_objectives",
    "results_frame",
    "run_chunk",
]
