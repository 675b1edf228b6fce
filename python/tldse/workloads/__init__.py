"""Workloads: layer tables from the zoo, SCALE-Sim topologies, tldse CSVs, PyTorch
modules and ONNX models; unique-shape folding; the one workload resolver
(:func:`resolve_workload`)."""

from tldse.workloads.fold import fold, network_total, unfold
from tldse.workloads.importers.onnx_model import from_onnx
from tldse.workloads.importers.pytorch import (
    ImportedWorkload,
    SkippedLayersWarning,
    SkippedOp,
    from_torch,
)
from tldse.workloads.importers.scalesim import (
    read_scalesim_topology,
    scalesim_equivalent,
    to_layer_csv,
    to_scalesim_topology,
)
from tldse.workloads.layer import (
    KINDS,
    LAYER_COLUMNS,
    Layer,
    LayerKind,
    Workload,
    as_workload,
)
from tldse.workloads.resolve import (
    parse_workload_list,
    resolve_workload,
    split_weight,
)
from tldse.workloads.zoo import get, names, options

#: The one resolver under its short name (``tldse.workloads.load("resnet50")``).
load = resolve_workload

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
    "parse_workload_list",
    "read_scalesim_topology",
    "resolve_workload",
    "scalesim_equivalent",
    "split_weight",
    "to_layer_csv",
    "to_scalesim_topology",
    "unfold",
]
