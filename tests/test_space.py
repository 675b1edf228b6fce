"""DesignSpace: sizes, enumeration order, encode/decode round trips, derived
parameters, sampling, and space files (errors name the field)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tldse
from tldse.space import (
    DesignSpace,
    SpaceError,
    builtin_spaces,
    linear,
    logspace,
    pe_shape,
    pow2,
)

EXAMPLES = Path(__file__).parent.parent / "examples"
COL = {name: i for i, name in enumerate(tldse.CONFIG_COLUMNS)}


def test_builtin_sizes() -> None:
    assert set(builtin_spaces()) >= {"edge", "cloud", "tiny"}
    edge, cloud = DesignSpace.builtin("edge"), DesignSpace.builtin("cloud")
    assert 1e5 <= len(edge) <= 1e6
    assert len(cloud) >= 1_000_000
    for s in (edge, cloud, DesignSpace.builtin("tiny")):
        assert len(s) == math.prod(p.size for p in s.params)
        assert set(s["dataflow"].values) == {"ws", "os", "is", "rs"}


def test_range_helpers() -> None:
    assert pow2(8, 64) == (8, 16, 32, 64)
    assert pow2(5, 40) == (8, 16, 32)
    assert linear(8, 32, step=8) == (8.0, 16.0, 24.0, 32.0)
    assert linear(0, 1, num=3) == (0.0, 0.5, 1.0)
    assert logspace(1, 1000, 4) == (1.0, 10.0, 100.0, 1000.0)
    with pytest.raises(SpaceError, match="step or num"):
        linear(0, 1)


def test_enumeration_is_product_order_and_defaults_fill_in() -> None:
    """Index i is the i-th element of itertools.product (first parameter slowest);
    parameters not named take the base design's value."""
    flows, rows, glbs = ["ws", "rs"], [4, 8, 16], [1024, 4096]
    s = DesignSpace({"dataflow": flows, "pe_rows": rows, "glb_bytes": glbs})
    configs = s.configs(np.arange(len(s)))
    default = tldse.Accelerator().row()
    for i, (flow, r, glb) in enumerate(itertools.product(flows, rows, glbs)):
        acc = tldse.Accelerator().replace(dataflow=flow, pe_rows=r, glb_bytes=glb)
        np.testing.assert_array_equal(configs[i], acc.row())
    assert (configs[:, COL["rf_bytes"]] == default[COL["rf_bytes"]]).all()


@pytest.mark.parametrize("name", ["edge", "cloud", "tiny"])
def test_encode_decode_round_trip(name: str) -> None:
    s = DesignSpace.builtin(name)
    idx = np.unique(np.r_[0, len(s) - 1, s.sample(500, seed=3)])
    table = s.decode(idx)
    assert table.shape == (len(idx), len(s.params))
    np.testing.assert_array_equal(s.encode(table), idx)
    np.testing.assert_array_equal(s.from_features(s.features(table)), table)
    np.testing.assert_array_equal(s.from_values(s.values(table)), table)
    assert DesignSpace.from_dict(s.to_dict()) == s


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_round_trip_property(data: st.DataObject) -> None:
    s = DesignSpace.builtin("cloud")
    idx = np.array(
        data.draw(st.lists(st.integers(0, len(s) - 1), min_size=1, max_size=20))
    )
    np.testing.assert_array_equal(s.encode(s.decode(idx)), idx)


def test_encode_rejects_values_outside_the_space() -> None:
    s = DesignSpace({"pe_rows": [4, 8], "glb_bytes": [1024, 2048]})
    with pytest.raises(ValueError, match="glb_bytes: 3000"):
        s.encode([[4, 3000]])
    with pytest.raises(ValueError, match="out of range"):
        s.decode([4])


def test_derived_parameters() -> None:
    s = DesignSpace(
        {
            "pe_count": [128, 256, 100],
            "pe_aspect": [0.25, 1, 4],
            "glb_bytes": [65536],
            "glb_split": ["shared", "1:1:2"],
            "rf_bytes": [64],
            "rf_split": ["2:1:1"],
            "precision": ["8", "16/8", "4/4/16"],
        }
    )
    c = s.configs(np.arange(len(s)))
    v = s.values(s.decode(np.arange(len(s))))
    assert (c[:, COL["pe_rows"]] * c[:, COL["pe_cols"]] == v["pe_count"]).all()
    assert pe_shape(256, 1) == (16, 16) and pe_shape(256, 4) == (32, 8)
    assert pe_shape(128, 1) == (8, 16) and pe_shape(100, 1) == (10, 10)
    split = v["glb_split"] == "1:1:2"
    assert (c[split][:, COL["glb_input_bytes"]] == 16384).all()
    assert (c[split][:, COL["glb_output_bytes"]] == 32768).all()
    assert (c[~split][:, COL["glb_weight_bytes"]] == 0).all()
    assert (c[:, COL["rf_input_bytes"]] == 32).all()
    bits = {
        "8": (8, 8, 32),
        "16/8": (16, 8, 32),
        "4/4/16": (4, 4, 16),
    }
    for text, (w, a, p) in bits.items():
        rows = c[v["precision"] == text]
        assert (rows[:, COL["weight_bits"]] == w).all()
        assert (rows[:, COL["act_bits"]] == a).all()
        assert (rows[:, COL["psum_bits"]] == p).all()


def test_streamed_enumeration_of_a_huge_space() -> None:
    """10^15 designs: len works, the first chunk comes at once, nothing else is
    built."""
    params = {
        "pe_rows": list(range(1, 1001)),
        "pe_cols": list(range(1, 1001)),
        "glb_bytes": list(range(1024, 1024 + 1000)),
        "rf_bytes": list(range(16, 16 + 1000)),
        "clock_mhz": list(range(100, 100 + 1000)),
    }
    s = DesignSpace(params)
    assert len(s) == 10**15
    idx, configs = next(s.enumerate(chunk_size=1000))
    assert configs.shape == (1000, 18) and idx[-1] == 999
    last = list(s.chunks(1000, start=len(s) - 2500))
    assert last == [
        (len(s) - 2500, len(s) - 1500),
        (len(s) - 1500, len(s) - 500),
        (len(s) - 500, len(s)),
    ]
    np.testing.assert_array_equal(
        s.decode([len(s) - 1])[0], [1000, 1000, 2023, 1015, 1099]
    )


def test_chunks_cover_the_space() -> None:
    s = DesignSpace.builtin("tiny")
    ranges = list(s.chunks(100))
    assert ranges[0] == (0, 100) and ranges[-1] == (500, 576)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    got = np.concatenate([i for i, _ in s.enumerate(128)])
    np.testing.assert_array_equal(got, np.arange(len(s)))


@pytest.mark.parametrize("method", ["random", "lhs", "sobol"])
def test_sampling(method: str) -> None:
    s = DesignSpace.builtin("edge")
    a = s.sample(256, method, seed=1)  # type: ignore[arg-type]
    b = s.sample(256, method, seed=1)  # type: ignore[arg-type]
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.int64 and ((a >= 0) & (a < len(s))).all()
    if method == "random":
        assert len(np.unique(a)) == 256
    if method == "lhs":
        # 256 strata per dimension: every choice of a 4-choice parameter 64 times
        digits = s.digits(a)[:, s.names.index("dataflow")]
        assert np.bincount(digits).tolist() == [64, 64, 64, 64]
    with pytest.raises(ValueError, match="random, lhs, sobol"):
        s.sample(3, "grid")  # type: ignore[arg-type]


def test_example_file_and_toml_yaml_equivalence(tmp_path: Path) -> None:
    s = DesignSpace.read(EXAMPLES / "space.toml")
    assert s.name == "example" and s.base.clock_mhz == 400
    assert s["glb_bytes"].values == (65536, 131072, 262144, 524288, 1048576)
    assert s["rf_bytes"].values == (128, 256, 384, 512)
    import yaml

    path = tmp_path / "edge.yaml"
    path.write_text(yaml.safe_dump(DesignSpace.builtin("edge").to_dict()))
    assert DesignSpace.read(path) == DesignSpace.builtin("edge")
    assert DesignSpace.load(str(path)) == DesignSpace.builtin("edge")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[params]\npe_row = [4]\n", r"params\.pe_row: unknown parameter"),
        ("[params]\npe_rows = { pow2 = [0, 64] }\n", r"params\.pe_rows: pow2"),
        ("[params]\npe_rows = { pow2 = 8 }\n", r"params\.pe_rows\.pow2: expected"),
        ("[params]\npe_rows = { range = [1, 2] }\n", r"params\.pe_rows: unknown key"),
        (
            "[params]\npe_rows = [4, 4.5]\n",
            r"params\.pe_rows\[1\]: expected an integer",
        ),
        ('[params]\ndataflow = ["ws", "xs"]\n', r"params\.dataflow\[1\]: dataflow"),
        ('[params]\nglb_bytes = ["64KB", "lots"]\n', r"params\.glb_bytes\[1\]"),
        ('[params]\nglb_split = ["1:2"]\n', r"params\.glb_split\[0\]"),
        ('[params]\nprecision = ["8/x"]\n', r"params\.precision\[0\]"),
        ("[params]\npe_rows = [4, 8, 4]\n", r"params\.pe_rows: choice 4 appears twice"),
        ("[params]\npe_rows = []\n", r"params\.pe_rows: needs at least one"),
        ("[params]\npe_count = [64]\npe_rows = [8]\n", r"params\.pe_count: cannot"),
        ("[params]\npe_aspect = [1]\n", r"params\.pe_aspect: needs params\.pe_count"),
        ("[params]\nglb_bytes = { log = [1, 8] }\n", r"params\.glb_bytes: a log range"),
        ("[base]\nfoo = 1\n[params]\npe_rows = [4]\n", r"base\.foo: unknown field"),
        ('[base]\npreset = "tpu9"\n[params]\npe_rows = [4]\n', r"base\.preset"),
        ("name = 3\n[params]\npe_rows = [4]\n", r"name: expected"),
        ("naem = 'x'\n[params]\npe_rows = [4]\n", r"unknown top-level key"),
        ("name = 'x'\n", r"params: missing"),
        ("[params\npe_rows = [4]\n", r"not valid TOML"),
    ],
)
def test_file_errors_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SpaceError, match=message) as info:
        DesignSpace.read(path)
    assert str(path) in str(info.value)


def test_unknown_builtin_lists_the_valid_ones() -> None:
    with pytest.raises(SpaceError, match="built-in: edge, cloud, tiny"):
        DesignSpace.load("mobile")
    with pytest.raises(SpaceError, match="no such file"):
        DesignSpace.load("spaces/mine.toml")
