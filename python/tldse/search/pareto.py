"""Exact non-dominated filtering (minimisation), in one shot or streamed.

A point ``a`` dominates ``b`` when ``a <= b`` in every objective and ``a < b`` in at
least one. The Pareto front is every point that no other point dominates, so equal
points (ties, duplicates) are all kept: the front of a set is then unique, whatever
the order or the chunking of the input, which is what makes streamed, resumed and
distributed sweeps give identical results. Rows with a NaN are never on the front.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def _ranks(points: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Per-column dense ranks: the same order and ties as the values, as integers."""
    out = np.empty(points.shape, dtype=np.int64)
    for j in range(points.shape[1]):
        _, inv = np.unique(points[:, j], return_inverse=True)
        out[:, j] = inv.reshape(-1)
    return out


def _mask_1d(r: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    return np.asarray(r[:, 0] == r[:, 0].min())


def _mask_2d(r: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    order = np.lexsort((r[:, 1], r[:, 0]))
    a, b = r[order, 0], r[order, 1]
    start = np.r_[True, a[1:] != a[:-1]]
    group = np.cumsum(start) - 1
    group_min = b[start]  # sorted by (a, b): the first of each group is its minimum
    before = np.minimum.accumulate(np.r_[np.iinfo(np.int64).max, group_min[:-1]])
    keep_sorted = (b == group_min[group]) & (group_min[group] < before[group])
    keep = np.empty(len(r), dtype=bool)
    keep[order] = keep_sorted
    return keep


_LEAF = 64


def _mask_3d(r: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    # Distinct points sorted lexicographically: every dominator of a point comes
    # before it, and (the first objective being settled by the order) point i is
    # dominated iff an earlier point j has f2_j <= f2_i and f3_j <= f3_i. That
    # "earlier" query is answered by divide and conquer over the order, one numpy
    # pass per level: brute force inside blocks of _LEAF points, then at each level
    # the left half of every segment answers for its right half via a prefix
    # minimum of f3 over f2. O(n log^2 n), no loop over points.
    u, inv = np.unique(r, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    n = len(u)
    nb = -(-n // _LEAF)
    big = int(max(u[:, 1].max(), u[:, 2].max())) + 2
    size = nb * _LEAF
    f2 = np.full(size, big, dtype=np.int64)
    f3 = np.full(size, big, dtype=np.int64)
    f2[:n], f3[:n] = u[:, 1], u[:, 2]
    b2, b3 = f2.reshape(nb, _LEAF), f3.reshape(nb, _LEAF)
    le = (b2[:, :, None] <= b2[:, None, :]) & (b3[:, :, None] <= b3[:, None, :])
    earlier = np.triu(np.ones((_LEAF, _LEAF), dtype=bool), 1)  # [j, i]: j < i
    dom = (le & earlier[None]).any(axis=1).reshape(-1)
    pos = np.arange(size)
    seg_len = _LEAF
    while seg_len < size:
        seg = pos // (2 * seg_len)
        left = (pos % (2 * seg_len)) < seg_len
        nseg = int(seg[-1]) + 1
        li, ri = np.flatnonzero(left), np.flatnonzero(~left)
        rev_l = nseg - 1 - seg[li]
        key_l = rev_l * (big + 1) + f2[li]
        order = np.argsort(key_l, kind="stable")
        keys = key_l[order]
        run_min = np.minimum.accumulate((seg[li] * (big + 1) + f3[li])[order])
        rev_r = nseg - 1 - seg[ri]
        at = np.searchsorted(keys, rev_r * (big + 1) + f2[ri], side="right") - 1
        ok = at >= 0
        at_c = np.maximum(at, 0)
        ok &= keys[at_c] // (big + 1) == rev_r
        ok &= run_min[at_c] - seg[ri] * (big + 1) <= f3[ri]
        dom[ri] |= ok
        seg_len *= 2
    keep_u = ~dom[:n]
    return np.asarray(keep_u[inv])


def _mask_nd(r: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    # Visit points by the sum of their ranks: a dominator always has a smaller sum,
    # so the next unvisited survivor is non-dominated; each one removes what it
    # dominates. Strong points come first and clear most of the set early.
    order = np.argsort(r.sum(axis=1), kind="stable")
    pts = r[order]
    alive = np.arange(len(pts))
    i = 0
    while i < len(alive):
        p = pts[alive[i]]
        rest = pts[alive[i + 1 :]]
        dominated = np.all(p <= rest, axis=1) & np.any(p < rest, axis=1)
        if dominated.any():
            alive = np.concatenate((alive[: i + 1], alive[i + 1 :][~dominated]))
        i += 1
    keep = np.zeros(len(r), dtype=bool)
    keep[order[alive]] = True
    return keep


def pareto_mask(points: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """``mask[i]`` is True when row ``i`` of ``points`` (n, k), all objectives
    minimised, is not dominated by any other row. Exact; ties are all kept; rows
    with NaN are False. O(n log n) for k <= 2, O(n log^2 n) for k = 3, and for
    k >= 4 O(n * front) (points visited by rank sum, each removing what it
    dominates)."""
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise ValueError(f"points must have shape (n, k) with k >= 1, got {arr.shape}")
    out = np.zeros(arr.shape[0], dtype=bool)
    finite = ~np.isnan(arr).any(axis=1)
    if not finite.any():
        return out
    r = _ranks(arr[finite])
    k = r.shape[1]
    if k == 1:
        sub = _mask_1d(r)
    elif k == 2:
        sub = _mask_2d(r)
    elif k == 3:
        sub = _mask_3d(r)
    else:
        sub = _mask_nd(r)
    out[np.flatnonzero(finite)[sub]] = True
    return out


def pareto_front(points: npt.ArrayLike) -> npt.NDArray[np.intp]:
    """Row numbers of the non-dominated points, ascending."""
    return np.flatnonzero(pareto_mask(points))


class ParetoArchive:
    """A running Pareto front over streamed chunks; memory is the front's size.

    Each point has an integer key (the design index) and a row of values
    (``values[:, objectives]`` are minimised). ``add`` merges a chunk; the result
    after any sequence of ``add`` calls is the front of everything added, the same
    for any chunking and order; ``keys`` / ``values`` / ``counts`` are sorted by
    key. With ``unique=True`` points with equal objectives are one entry: the
    lowest key, with ``counts`` the number of points it stands for (still exact
    and order-independent, as min and sum are).
    """

    def __init__(
        self,
        n_values: int,
        objectives: list[int] | tuple[int, ...],
        *,
        unique: bool = False,
    ):
        if not objectives:
            raise ValueError("ParetoArchive needs at least one objective column")
        self.objectives = list(objectives)
        self.unique = unique
        self.keys: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self.values: npt.NDArray[np.float64] = np.empty((0, n_values), dtype=np.float64)
        self.counts: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.keys)

    def add(
        self,
        keys: npt.ArrayLike,
        values: npt.ArrayLike,
        counts: npt.ArrayLike | None = None,
    ) -> None:
        k = np.asarray(keys, dtype=np.int64).reshape(-1)
        v = np.asarray(values, dtype=np.float64)
        c = (
            np.ones(len(k), dtype=np.int64)
            if counts is None
            else np.asarray(counts, dtype=np.int64).reshape(-1)
        )
        if v.ndim != 2 or v.shape != (len(k), self.values.shape[1]) or len(c) != len(k):
            raise ValueError(
                f"values must have shape ({len(k)}, {self.values.shape[1]}) and "
                f"counts {len(k)} entries, got {v.shape} and {len(c)}"
            )
        if not len(k):
            return
        all_k = np.concatenate((self.keys, k))
        all_v = np.concatenate((self.values, v))
        all_c = np.concatenate((self.counts, c))
        mask = pareto_mask(all_v[:, self.objectives])
        all_k, all_v, all_c = all_k[mask], all_v[mask], all_c[mask]
        if self.unique and len(all_k):
            _, group = np.unique(all_v[:, self.objectives], axis=0, return_inverse=True)
            group = group.reshape(-1)
            order = np.lexsort((all_k, group))
            g = group[order]
            first = np.r_[True, g[1:] != g[:-1]]
            starts = np.flatnonzero(first)
            summed = np.add.reduceat(all_c[order], starts)
            pick = order[starts]
            all_k, all_v, all_c = all_k[pick], all_v[pick], summed
        order = np.argsort(all_k, kind="stable")
        self.keys, self.values, self.counts = all_k[order], all_v[order], all_c[order]
