"""Unique-shape folding: simulate each distinct layer shape once.

Layers with equal :meth:`Layer.shape_key` simulate identically, so a network only
needs one evaluation per distinct shape::

    folded, index = fold(workload)
    ev = tldse.evaluate(configs, folded)            # [n_configs, n_unique]
    per_layer = unfold(ev["latency_cycles"], index)  # [n_configs, n_layers]
    total = network_total(ev["latency_cycles"], folded)  # [n_configs]

Totals are sums weighted by ``count``, which is right for additive metrics
(cycles, energy, accesses, MACs) and not for ratios such as utilization.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tldse.workloads.layer import Layer, Workload, as_workload


def fold(
    workload: Workload | Iterable[Layer] | str | Path,
) -> tuple[Workload, npt.NDArray[np.intp]]:
    """``(folded, index)``: one layer per distinct shape, in order of first
    appearance, named after its first occurrence, with ``count`` the sum of the
    counts it stands for; ``index[i]`` is the folded row of original layer ``i``."""
    wl = as_workload(workload)
    rows: dict[tuple[int, ...], int] = {}
    first: list[Layer] = []
    counts: list[int] = []
    index = np.empty(len(wl.layers), dtype=np.intp)
    for i, layer in enumerate(wl.layers):
        j = rows.setdefault(layer.shape_key(), len(rows))
        if j == len(first):
            first.append(layer)
            counts.append(0)
        counts[j] += layer.count
        index[i] = j
    layers = [
        dataclasses.replace(layer, count=c)
        for layer, c in zip(first, counts, strict=True)
    ]
    return Workload(wl.name, layers), index


def unfold(values: npt.ArrayLike, index: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Per-shape values ``[..., n_unique]`` back to per-layer ``[..., n_layers]``
    (the value of one occurrence of each original layer)."""
    arr = np.asarray(values, dtype=np.float64)
    idx = np.asarray(index, dtype=np.intp)
    if arr.ndim == 0:
        raise ValueError("values must have a layer axis (the last one)")
    if idx.size and (idx.min() < 0 or idx.max() >= arr.shape[-1]):
        raise ValueError(
            f"index refers to row {int(idx.max())} but values have {arr.shape[-1]}"
        )
    return np.take(arr, idx, axis=-1)


def network_total(
    values: npt.ArrayLike, workload: Workload | Iterable[Layer]
) -> npt.NDArray[np.float64]:
    """Sum over the last (layer) axis weighted by each layer's ``count``; works on a
    folded or an unfolded workload. NaN (an infeasible layer) propagates."""
    wl = as_workload(workload)
    arr = np.asarray(values, dtype=np.float64)
    counts = np.array([layer.count for layer in wl.layers], dtype=np.float64)
    if arr.ndim == 0 or arr.shape[-1] != counts.size:
        raise ValueError(
            f"values have {arr.shape[-1] if arr.ndim else 0} layers, "
            f"the workload has {counts.size}"
        )
    return np.asarray(arr @ counts, dtype=np.float64)
