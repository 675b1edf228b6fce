"""Pareto filtering against the O(n^2) definition, ties and duplicates, NaN, and
the streamed archive (any chunking and order gives the same front)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tldse.search.pareto import ParetoArchive, pareto_front, pareto_mask


def brute_force(points: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Non-dominated rows by the definition: no other row is <= in every objective
    and < in one. Rows with NaN are never on the front."""
    arr = np.asarray(points, dtype=np.float64)
    keep = np.asarray(~np.isnan(arr).any(axis=1), dtype=bool)
    for i in range(len(arr)):
        if not keep[i]:
            continue
        for j in range(len(arr)):
            if j == i or np.isnan(arr[j]).any():
                continue
            if np.all(arr[j] <= arr[i]) and np.any(arr[j] < arr[i]):
                keep[i] = False
                break
    return keep


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_random_against_brute_force(k: int) -> None:
    rng = np.random.default_rng(k)
    for trial in range(40):
        n = int(rng.integers(1, 250 if k == 3 else 120))
        if trial % 2:  # few distinct values: many ties and duplicates
            x = rng.integers(0, int(rng.integers(1, 8)), (n, k)).astype(float)
        else:
            x = rng.random((n, k))
            x[rng.integers(0, n, n // 4)] = x[rng.integers(0, n, n // 4)]  # copies
        if trial % 5 == 0:
            x[rng.integers(0, n)] = np.nan
        np.testing.assert_array_equal(pareto_mask(x), brute_force(x), err_msg=f"{x}")


@settings(max_examples=100, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 60), st.sampled_from([2, 3])),
        elements=st.sampled_from([0.0, 1.0, 2.0, 2.5, 1e300, -1e300, np.inf, np.nan]),
    )
)
def test_property_against_brute_force(x: npt.NDArray[np.float64]) -> None:
    np.testing.assert_array_equal(pareto_mask(x), brute_force(x))


def test_ties_and_duplicates_by_hand() -> None:
    x = np.array(
        [
            [1, 5],  # front
            [1, 5],  # duplicate of a front point: also on the front
            [1, 6],  # same first objective, worse second: dominated
            [2, 2],  # front
            [3, 2],  # ties the second objective, worse first: dominated
            [5, 1],  # front
            [np.nan, 0],  # infeasible: never
        ]
    )
    assert pareto_mask(x).tolist() == [True, True, False, True, False, True, False]
    assert pareto_front(x).tolist() == [0, 1, 3, 5]
    y = np.array([[1, 1, 1], [1, 1, 1], [0, 2, 2], [2, 0, 2], [1, 1, 2]])
    assert pareto_mask(y).tolist() == [True, True, True, True, False]


def test_large_3d_front_is_fast_and_exact_on_a_sample() -> None:
    """Points on a plane: almost all are on the front (the worst case for
    front-by-front filtering); the 3-objective path handles 50,000 quickly."""
    rng = np.random.default_rng(0)
    x = rng.random((50_000, 3))
    x[:, 2] = 3 - x[:, 0] - x[:, 1]
    m = pareto_mask(x)
    assert m.mean() > 0.9
    sub = x[:400]
    np.testing.assert_array_equal(pareto_mask(sub), brute_force(sub))


def test_shapes_and_errors() -> None:
    assert pareto_mask(np.empty((0, 2))).shape == (0,)
    assert pareto_mask([3.0, 1.0, 1.0]).tolist() == [False, True, True]
    with pytest.raises(ValueError, match=r"shape \(n, k\)"):
        pareto_mask(np.zeros((2, 2, 2)))


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("unique", [False, True])
def test_archive_chunked_equals_unchunked(k: int, unique: bool) -> None:
    rng = np.random.default_rng(7)
    n = 3000
    values = np.c_[rng.integers(0, 30, (n, k)).astype(float), rng.random(n)]
    values[rng.integers(0, n, 100), 0] = np.nan
    keys = np.arange(n) * 3 + 11
    objectives = list(range(k))
    whole = ParetoArchive(k + 1, objectives, unique=unique)
    whole.add(keys, values)
    for trial in range(4):
        order = rng.permutation(n) if trial else np.arange(n)
        cuts = np.sort(rng.choice(np.arange(1, n), size=trial * 7 + 1, replace=False))
        arch = ParetoArchive(k + 1, objectives, unique=unique)
        for part in np.split(order, cuts):
            # a chunk reduced to its own front first, as run_chunk does
            local = ParetoArchive(k + 1, objectives, unique=unique)
            local.add(keys[part], values[part])
            arch.add(local.keys, local.values, local.counts)
        np.testing.assert_array_equal(arch.keys, whole.keys)
        np.testing.assert_array_equal(arch.values, whole.values)
        np.testing.assert_array_equal(arch.counts, whole.counts)
    every = pareto_mask(values[:, :k])
    if unique:
        # one entry per distinct objective vector: its lowest key, counting all
        assert whole.counts.sum() == every.sum()
        distinct = np.unique(values[every][:, :k], axis=0)
        assert len(whole) == len(distinct)
        for key, row in zip(whole.keys, whole.values, strict=True):
            same = every & (values[:, :k] == row[:k]).all(axis=1)
            assert key == keys[same].min()
    else:
        np.testing.assert_array_equal(whole.keys, keys[every])
        assert (whole.counts == 1).all()
