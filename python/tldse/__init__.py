"""tldse: design space exploration of DNN accelerators.

A C++ analytical simulator (``tldse._core``) with a typed Python API on top.
"""

from importlib.metadata import PackageNotFoundError, version

from tldse import workloads
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
from tldse.search import SweepResult, pareto_mask, sweep
from tldse.sim import (
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
    "RESULT_FIELDS",
    "STATUS_NAMES",
    "Accelerator",
    "DesignSpace",
    "EnergyTable",
    "Evaluation",
    "Layer",
    "LayerReport",
    "PresetInfo",
    "SimulationReport",
    "SweepResult",
    "Workload",
    "__version__",
    "config_table",
    "energy_table",
    "evaluate",
    "pareto_mask",
    "preset_info",
    "presets",
    "simulate",
    "sweep",
    "workloads",
]
