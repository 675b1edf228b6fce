"""Search over design spaces: exhaustive sweeps and Pareto fronts."""

from tldse.search.exhaustive import (
    ChunkResult,
    ChunkTask,
    SweepError,
    SweepResult,
    evaluate_designs,
    run_chunk,
    sweep,
)
from tldse.search.metrics import (
    METRICS,
    OBJECTIVES,
    Constraint,
    parse_constraint,
    parse_constraints,
    parse_objectives,
)
from tldse.search.pareto import ParetoArchive, pareto_front, pareto_mask

__all__ = [
    "METRICS",
    "OBJECTIVES",
    "ChunkResult",
    "ChunkTask",
    "Constraint",
    "ParetoArchive",
    "SweepError",
    "SweepResult",
    "evaluate_designs",
    "pareto_front",
    "pareto_mask",
    "parse_constraint",
    "parse_constraints",
    "parse_objectives",
    "run_chunk",
    "sweep",
]
