"""tldse: design space exploration of DNN accelerators.

A C++ analytical simulator (``tldse._core``) with a typed Python API on top. The
facade: :class:`Accelerator`, :class:`Workload`, :class:`DesignSpace`,
:func:`evaluate` (batch), :func:`simulate` (one design), :func:`sweep` (every
design of a space) and :func:`explore` (a search within a budget).
"""

from importlib.metadata import PackageNotFoundError, version

from tldse import workloads
from tldse.api import explore, sweep
from tldse.arch import (
    CONFIG_COLUMNS,
    DATAFLOWS,
    Accelerator,
    EnergyTable,
    PresetInfo,
    config_table,
    energy_table,
    preset_info,
    presets,
)
from tldse.exploration.problem import SearchResult
from tldse.search.pareto import pareto_mask
from tldse.search.sweep import SweepResult
from tldse.sim import (
    MAPPER_OBJECTIVES,
    RESULT_FIELDS,
    STATUS_NAMES,
    Evaluation,
    LayerReport,
    SimulationReport,
    evaluate,
    simulate,
)
from tldse.space import DesignSpace
from tldse.workloads import Layer, Workload

try:
    __version__ = version("tldse")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "CONFIG_COLUMNS",
    "DATAFLOWS",
    "MAPPER_OBJECTIVES",
    "RESULT_FIELDS",
    "STATUS_NAMES",
    "Accelerator",
    "DesignSpace",
    "EnergyTable",
    "Evaluation",
    "Layer",
    "LayerReport",
    "PresetInfo",
    "SearchResult",
    "SimulationReport",
    "SweepResult",
    "Workload",
    "__version__",
    "config_table",
    "energy_table",
    "evaluate",
    "explore",
    "pareto_mask",
    "preset_info",
    "presets",
    "simulate",
    "sweep",
    "workloads",
]
