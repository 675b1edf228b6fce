"""Workloads: layer tables from the zoo, SCALE-Sim topologies, tldse CSVs, PyTorch
modules and ONNX models; unique-shape folding."""

from tldse.workloads.fold import fold, network_total, unfold
from tldse.workloads.layer import (
    KINDS,
    LAYER_COLUMNS,
    Layer,
    LayerKind,
    Workload,
    as_workload,
)
from tldse.workloads.onnx_import import from_onnx
from tldse.workloads.scalesim import (
    read_scalesim_topology,
    scalesim_equivalent,
    to_layer_csv,
    to_scalesim_topology,
)
from tldse.workloads.torch_import import (
    ImportedWorkload,
    SkippedLayersWarning,
    SkippedOp,
    from_torch,
)
from tldse.workloads.zoo import get, load, names, options

__all__ = [
    "KINDS",
    "LAYER_COLUMNS",
    "ImportedWorkload",
    "Layer",
    "LayerKind",
    "SkippedLayersWarning",
    "SkippedOp",
    "Workload",
    "as_workload",
    "fold",
    "from_onnx",
    "from_torch",
    "get",
    "load",
    "names",
    "network_total",
    "options",
    "read_scalesim_topology",
    "scalesim_equivalent",
    "to_layer_csv",
    "to_scalesim_topology",
    "unfold",
]
