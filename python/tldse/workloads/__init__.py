"""Workloads: layer tables from the zoo, SCALE-Sim topologies and tldse CSVs."""

from tldse.workloads.layer import (
    KINDS,
    LAYER_COLUMNS,
    Layer,
    LayerKind,
    Workload,
    as_workload,
)
from tldse.workloads.zoo import get, names

__all__ = [
    "KINDS",
    "LAYER_COLUMNS",
    "Layer",
    "LayerKind",
    "Workload",
    "as_workload",
    "get",
    "names",
]
