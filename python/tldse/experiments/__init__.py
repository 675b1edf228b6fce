"""Reproducible experiments behind the README's measured tables:
:mod:`~tldse.experiments.transfer` (transfer learning against training from
scratch) and :mod:`~tldse.experiments.search` (surrogate-pruned search against
the exhaustive optimum and the baselines)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def mean_std(values: Iterable[Any]) -> tuple[float, float]:
    """Mean and population standard deviation of ``values`` over seeds, ``None``
    and NaN left out (NaN, NaN when nothing is left; an infinite value is kept,
    so a diverged run shows)."""
    a = np.asarray([v for v in values if v is not None], dtype=np.float64)
    a = a[~np.isnan(a)]
    if a.size == 0:
        return float("nan"), float("nan")
    return float(a.mean()), float(a.std())
