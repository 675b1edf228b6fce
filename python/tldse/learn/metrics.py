"""Accuracy metrics for surrogates: MAPE, Kendall tau, top-k recall.

All take raw (untransformed) values: latencies in cycles, energies in pJ.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def _pair(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    t = np.asarray(y_true, dtype=np.float64).reshape(-1)
    p = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in length ({t.size} vs {p.size})")
    if t.size == 0:
        raise ValueError("no values to score")
    return t, p


def mape(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """Mean absolute percentage error, in percent (``y_true`` must be non-zero)."""
    t, p = _pair(y_true, y_pred)
    if (t == 0).any():
        raise ValueError("MAPE is undefined where y_true == 0")
    return float(np.mean(np.abs(p - t) / np.abs(t)) * 100.0)


def mae(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(p - t)))


def kendall_tau(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """Kendall's tau-b rank correlation (1 = the same order; NaN for fewer than
    two values or when either side is constant): ``scipy.stats.kendalltau``."""
    from scipy.stats import kendalltau

    t, p = _pair(y_true, y_pred)
    if t.size < 2:
        return float("nan")
    if not (np.isfinite(t).all() and np.isfinite(p).all()):
        raise ValueError("Kendall tau needs finite values")
    return float(kendalltau(t, p).statistic)


def top_k_recall(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, k: int) -> float:
    """Share of the ``k`` best (smallest) true values that are among the ``k``
    best predicted ones."""
    t, p = _pair(y_true, y_pred)
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    k = min(k, t.size)
    best_t = np.argsort(t, kind="stable")[:k]
    best_p = np.argsort(p, kind="stable")[:k]
    return float(np.intersect1d(best_t, best_p).size / k)
