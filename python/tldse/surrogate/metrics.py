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
    """Kendall's tau-b rank correlation (1 = the same order). O(n log n)."""
    t, p = _pair(y_true, y_pred)
    n = t.size
    if n < 2:
        return float("nan")
    if not (np.isfinite(t).all() and np.isfinite(p).all()):
        raise ValueError("Kendall tau needs finite values")
    # Knight's algorithm: sort by (t, p); discordant pairs = inversions of p.
    order = np.lexsort((p, t))
    ts, ps = t[order], p[order]
    n0 = n * (n - 1) // 2
    n1 = _tied_pairs(ts)
    same_tp = np.concatenate([[True], (ts[1:] != ts[:-1]) | (ps[1:] != ps[:-1])])
    n3 = _tied_pairs_from_starts(same_tp)
    ranks = np.unique(ps, return_inverse=True)[1].astype(np.int64)
    swaps = _inversions(ranks)
    n2 = _tied_pairs(np.sort(ps))
    num = n0 - n1 - n2 + n3 - 2 * swaps
    den = np.sqrt(float(n0 - n1) * float(n0 - n2))
    return float(num / den) if den > 0 else float("nan")


def _tied_pairs_from_starts(starts: npt.NDArray[np.bool_]) -> int:
    idx = np.flatnonzero(starts)
    sizes = np.diff(np.append(idx, starts.size))
    return int((sizes * (sizes - 1) // 2).sum())


def _tied_pairs(sorted_values: npt.NDArray[np.float64]) -> int:
    v = sorted_values
    starts = np.concatenate([[True], v[1:] != v[:-1]])
    return _tied_pairs_from_starts(starts)


def _inversions(a: npt.NDArray[np.int64]) -> int:
    """Pairs i < j with a[i] > a[j]: bottom-up merge sort, each level vectorised
    (block j's values offset by j * (max + 1) keep blocks apart)."""
    n = a.size
    big = int(a.max()) + 1 if n else 1
    pos = np.arange(n)
    cur = a.copy()
    total = 0
    width = 1
    while width < n:
        pair = pos // (2 * width)
        left = (pos % (2 * width)) < width
        keys = pair * big + cur
        lkeys = keys[left]  # sorted: blocks sorted and offset
        rkeys = keys[~left]
        rpair = pair[~left]
        left_end = np.minimum(rpair * 2 * width + width, n)
        # left elements of the same pair with value > r
        left_start_in_lkeys = np.searchsorted(lkeys, rpair * big, side="left")
        n_left = np.minimum(width, left_end - rpair * 2 * width)
        le = np.searchsorted(lkeys, rkeys, side="right") - left_start_in_lkeys
        total += int((n_left - le).sum())
        cur = np.sort(keys) - pair * big  # keys sorted stay grouped by pair
        width *= 2
    return total


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
