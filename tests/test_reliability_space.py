"""Space files that used to hang, eat memory or end in a traceback (issue 16, item
2): each gives a SpaceError naming the file, the field and the limit, at once."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

import tldse
from tldse.space import MAX_CHOICES, MAX_PE_COUNT, SpaceError, pe_shape


def _read(tmp_path: Path, name: str, text: str | bytes) -> tldse.DesignSpace:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return tldse.DesignSpace.read(path)


@pytest.mark.parametrize(
    ("name", "text", "needles"),
    [
        # trial division to sqrt(1e300) never finished
        ("a.toml", "params.pe_count = { pow2 = [1, 1e300] }", ["pe_count", "2**40"]),
        # grew a 1e12-element list until MemoryError
        (
            "b.toml",
            "params.rf_bytes = { linear = [0, 1e12], step = 1 }",
            ["params.rf_bytes", "1e+12 choices", f"{MAX_CHOICES:,}"],
        ),
        # 23.6 GB and the OOM killer
        (
            "c.toml",
            "params.clock_mhz = { log = [1, 1000], num = 2147483648 }",
            ["params.clock_mhz", "log range", "2.147e+09 choices"],
        ),
        (
            "d.toml",
            "params.clock_mhz = { log = [1, 1000], num = 1000000000 }",
            ["params.clock_mhz", "1e+09 choices"],
        ),
        (
            "e.toml",
            "params.clock_mhz = { linear = [1, 1000], num = 1000000000 }",
            ["params.clock_mhz", "linear"],
        ),
        # 62 s of trial division
        (
            "f.toml",
            f"params.pe_count = [{2**60}]",
            ["params.pe_count[0]", str(2**60), "2**40"],
        ),
        # OverflowError: cannot convert float infinity to integer
        (
            "g.toml",
            "params.clock_mhz = { linear = [0, 1000], step = 5e-324 }",
            ["params.clock_mhz", "inf choices"],
        ),
        # TypeError: '<' not supported between 'str' and 'int'
        (
            "h.yaml",
            "params:\n  clock_mhz: {linear: [1, 10], 1: 2, foo: 3, step: 1}\n",
            ["params.clock_mhz", "unknown key(s) ['1', 'foo']"],
        ),
        ("i.yaml", "1: 2\nfoo: 3\nparams: {}\n", ["unknown top-level key(s)"]),
        # a key given twice: the last one used to win silently
        (
            "j.yaml",
            "params:\n  clock_mhz: [1, 2]\n  clock_mhz: [3]\n",
            ["line 3", "'clock_mhz' given twice"],
        ),
        (
            "k.toml",
            "params.clock_mhz = [1]\nparams.clock_mhz = [2]\n",
            ["not valid TOML"],
        ),
        (
            "l.toml",
            "params.pe_count = { linear = [1, 200], step = 1 }\n"
            "params.pe_aspect = { linear = [0.1, 10], num = 100 }",
            ["params.pe_count x params.pe_aspect", "10,000"],
        ),
    ],
)
def test_bounded_space_files(
    tmp_path: Path, name: str, text: str, needles: list[str]
) -> None:
    t0 = time.perf_counter()
    with pytest.raises(SpaceError) as info:
        _read(tmp_path, name, text)
    assert time.perf_counter() - t0 < 5  # it used to hang or swap
    msg = str(info.value)
    assert name in msg
    for needle in needles:
        assert needle in msg, msg


def test_non_utf8_space_file_names_the_file_and_byte(tmp_path: Path) -> None:
    with pytest.raises(
        SpaceError,
        match=r"bad\.toml: space file is not UTF-8 text "
        r"\(byte 0xFF at offset 34, line 2\)",
    ):
        _read(tmp_path, "bad.toml", b'params.clock_mhz = [1, 2]\nname = "\xff\xfe"\n')


def test_oversized_space_file_is_refused(tmp_path: Path) -> None:
    from tldse._util import io

    path = tmp_path / "big.toml"
    path.write_text("params.clock_mhz = [1]\n" + "#" * 100)
    with pytest.raises(ValueError, match="larger than the limit of 50 bytes"):
        io.read_text(path, "space file", max_bytes=50)


def test_limits_are_inclusive() -> None:
    """The largest accepted range and pe_count still work."""
    space = tldse.DesignSpace(
        {"clock_mhz": {"linear": [1, MAX_CHOICES], "step": 1}, "pe_count": [2**40]}
    )
    assert len(space) == MAX_CHOICES
    assert pe_shape(MAX_PE_COUNT) == (2**20, 2**20)
    with pytest.raises(SpaceError, match="choices; at most"):
        tldse.DesignSpace({"clock_mhz": {"linear": [1, MAX_CHOICES + 1], "step": 1}})


def _pe_shape_by_trial_division(n: int, aspect: float) -> tuple[int, int]:
    """The definition, written out: every d with n % d == 0, nearest in ratio."""
    target = math.log(math.sqrt(n * aspect))
    best = min(
        (round(abs(math.log(r) - target), 12), r) for r in range(1, n + 1) if n % r == 0
    )
    return best[1], n // best[1]


@pytest.mark.parametrize("aspect", [0.25, 1.0, 3.0, 4.0])
def test_pe_shape_matches_trial_division(aspect: float) -> None:
    for n in [*range(1, 200), 256, 720, 1000, 4096, 9973, 10007 * 2, 16384]:
        assert pe_shape(n, aspect) == _pe_shape_by_trial_division(n, aspect), n


def test_pe_shape_of_a_large_prime_is_fast() -> None:
    p = 1_099_511_627_689  # the largest prime below 2**40
    t0 = time.perf_counter()
    assert pe_shape(p) == (1, p)
    assert time.perf_counter() - t0 < 2
