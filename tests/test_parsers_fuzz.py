"""Property tests: the file readers never crash or hang on arbitrary text.

Random lines (commas, quotes, unicode, very long numbers, empty fields) written as
topology rows after a valid header, or as SCALE-Sim ``.cfg`` values, must either parse
into valid layers / architectures or raise ValueError naming the file. ``tldse-sim``
on random topologies exits 0 or 2, with exactly one ``tldse-sim: error:`` line on 2.
Runs are derandomized so that the suite is deterministic.
"""

from __future__ import annotations

import math
import subprocess
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tldse
from tldse.arch import ScaleSimWarning
from tldse.workloads import KINDS, LAYER_COLUMNS

from .conftest import find_tldse_sim

CONV_HEADER = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
    "Num Filter, Strides,"
)
GEMM_HEADER = "Layer, M, N, K,"
CFG_DEFAULTS = {
    "ArrayHeight": "32",
    "ArrayWidth": "16",
    "IfmapSramSzkB": "64",
    "FilterSramSzkB": "32",
    "OfmapSramSzkB": "16",
    "Dataflow": "os",
    "Bandwidth": "10",
}

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- strategies -----------------------------------------------------------------------

SPECIAL = list(",\"' \t;#=:[]\\-+.eE0123456789xX\r\x00")
chars = st.one_of(st.characters(codec="utf-8"), st.sampled_from(SPECIAL))
junk = st.text(alphabet=chars, max_size=40)

# Text that looks more or less like a number, or is an empty field.
number_like = st.one_of(
    st.integers(-3, 300).map(str),
    st.integers(-(2**70), 2**70).map(str),
    st.integers(2**31 - 2, 2**31 + 1).map(str),
    st.text(alphabet="0123456789", min_size=1, max_size=80),  # very long numbers
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-0",
            "+7",
            "007",
            "0x10",
            "1e3",
            "2.0",
            "nan",
            "inf",
            '"5"',
            "'5'",
            "\u0663",
            "\uff15",
            "3 4",
            "\t12\t",
            "1,5",
            "\u00a012",
        ]
    ),
    junk,
)
kind_like = st.one_of(
    st.sampled_from(["conv", "dwconv", "gemm", "GEMM", " conv ", "pool", ""]), junk
)
FEW_MUTATIONS = st.integers(0, 2)
optional_columns = [c for c in LAYER_COLUMNS if c != "kind"]


@st.composite
def tldse_header(draw: st.DrawFn) -> str:
    cols = draw(st.lists(st.sampled_from(optional_columns), unique=True, max_size=10))
    extra = draw(st.sampled_from([["name"], ["name"], ["Name"], [], ["foo"], [""]]))
    return ",".join(draw(st.permutations(["kind", *cols, *extra])))


def _columns(header: str) -> list[str]:
    return [c.strip().lower() for c in header.split(",")]


def _valid_value(draw: st.DrawFn, column: str) -> str:
    """A value that keeps a default conv layer valid in a tldse layer CSV."""
    if column == "kind":
        return "conv"
    if column in ("name", "foo", ""):
        return draw(junk.filter(lambda s: "," not in s and "\n" not in s))
    if column in ("n", "k", "c", "p", "q", "count"):
        return str(draw(st.integers(1, 64)))
    if column in ("r", "s", "stride_h", "stride_w", "dil_h", "dil_w"):
        return str(draw(st.integers(1, 4)))
    return "0" if column in ("pad_h", "pad_w") else "1"  # groups


@st.composite
def row(
    draw: st.DrawFn,
    header: str,
    fields: st.SearchStrategy[str],
    mutations: st.SearchStrategy[int],
) -> str:
    """One data row for `header`: a valid row with a few fields replaced by `fields`
    or kind-like text, some fields dropped or added, or plain junk."""
    if draw(st.integers(0, 5)) == 0:
        return draw(junk)
    cols = _columns(header)
    if header == CONV_HEADER:
        ih, iw = draw(st.integers(4, 64)), draw(st.integers(4, 64))
        values = [
            str(v)
            for v in (
                ih,
                iw,
                draw(st.integers(1, 4)),
                draw(st.integers(1, 4)),
                draw(st.integers(1, 64)),
                draw(st.integers(1, 64)),
                draw(st.integers(1, 3)),
            )
        ]
        values.insert(0, _valid_value(draw, "name"))
    elif header == GEMM_HEADER:
        values = [_valid_value(draw, "name")]
        values += [str(draw(st.integers(1, 256))) for _ in range(3)]
    else:
        values = [_valid_value(draw, c) for c in cols]
    for _ in range(draw(mutations)):
        i = draw(st.integers(0, len(values)))
        action = draw(st.sampled_from(["replace", "replace", "kind", "drop", "add"]))
        if action == "add" or i == len(values):
            values.insert(i, draw(fields))
        elif action == "drop":
            del values[i]
        else:
            values[i] = draw(kind_like if action == "kind" else fields)
    sep = draw(st.sampled_from([",", ", ", " ,"]))
    return sep.join(values) + draw(st.sampled_from(["", ",", ", ", "\r"]))


@st.composite
def topology(
    draw: st.DrawFn,
    fields: st.SearchStrategy[str] = number_like,
    mutations: st.SearchStrategy[int] = FEW_MUTATIONS,
    max_rows: int = 6,
) -> str:
    header = draw(
        st.one_of(st.sampled_from([CONV_HEADER, GEMM_HEADER]), tldse_header())
    )
    rows = row(header, fields, mutations)
    lines = draw(st.lists(rows, min_size=1, max_size=max_rows))
    return "\n".join([header, *lines]) + draw(st.sampled_from(["", "\n", "\r\n"]))


# --- helpers --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _tldse_sim() -> str:
    return find_tldse_sim()


def check_layers(wl: tldse.Workload) -> None:
    assert len(wl) >= 1
    for layer in wl:
        assert layer.kind in KINDS
        for col in LAYER_COLUMNS[1:]:
            lo = 0 if col in ("pad_h", "pad_w") else 1
            assert lo <= getattr(layer, col) < 2**31, (layer, col)
        assert layer.c % layer.groups == 0
        assert layer.k % layer.groups == 0


# --- topology files -------------------------------------------------------------------


@FUZZ
@given(text=topology())
def test_random_topology_parses_or_raises(workdir: Path, text: str) -> None:
    path = workdir / "random_topology.csv"
    path.write_text(text, encoding="utf-8", newline="")
    try:
        wl = tldse.Workload.read(path)
    except ValueError as exc:
        assert str(path) in str(exc), str(exc)
    else:
        check_layers(wl)


@st.composite
def valid_conv_row(draw: st.DrawFn) -> tuple[str, tuple[int, ...]]:
    ih, iw = draw(st.integers(1, 4096)), draw(st.integers(1, 4096))
    fh, fw = draw(st.integers(1, ih)), draw(st.integers(1, iw))
    ch, nf, stride = (draw(st.integers(1, 4096)) for _ in range(3))
    values = (ih, iw, fh, fw, ch, nf, stride)
    # tldse rejects layers of 2^53 MACs or more (counts must stay exact in double).
    p, q = -(-(ih - fh) // stride) + 1, -(-(iw - fw) // stride) + 1
    assume(p * q * nf * ch * fh * fw < 2**53)
    pad = st.sampled_from(["", " ", "  ", "\t"])
    fields = [f"{draw(pad)}{v}{draw(pad)}" for v in values]
    name = draw(st.text(alphabet=st.characters(codec="utf-8"), max_size=12))
    # '#' starts a comment line in topology files (documented); keep names clear of it.
    name = name.replace(",", "").replace("\n", "").replace("\r", "").replace("#", "")
    line = ",".join([name, *fields]) + draw(st.sampled_from(["", ",", ", ", "\r"]))
    return line, values


@FUZZ
@given(rows=st.lists(valid_conv_row(), min_size=1, max_size=5))
def test_valid_conv_rows_always_parse(
    workdir: Path, rows: list[tuple[str, tuple[int, ...]]]
) -> None:
    """Whitespace, trailing commas, CRLF and odd names never reject a valid row."""
    path = workdir / "valid_topology.csv"
    path.write_text(
        "\n".join([CONV_HEADER] + [line for line, _ in rows]) + "\n",
        encoding="utf-8",
        newline="",
    )
    wl = tldse.Workload.read(path)
    assert len(wl) == len(rows)
    for layer, (_, (ih, iw, fh, fw, ch, nf, st_)) in zip(wl, rows, strict=True):
        assert (layer.c, layer.k, layer.r, layer.s) == (ch, nf, fh, fw)
        assert layer.p == math.ceil((ih - fh) / st_) + 1
        assert layer.q == math.ceil((iw - fw) / st_) + 1


# --- SCALE-Sim .cfg files -------------------------------------------------------------

cfg_value = st.one_of(
    number_like,
    st.sampled_from(["ws", "os", "is", "rs", "WS", " ws ", "weight_stationary"]),
)


@st.composite
def scalesim_cfg(draw: st.DrawFn) -> str:
    changes = draw(
        st.dictionaries(
            st.sampled_from(list(CFG_DEFAULTS)), st.one_of(st.none(), cfg_value)
        )
    )
    lines = [draw(st.sampled_from(["[architecture_presets]", "[general]", ""]))]
    for key, default in CFG_DEFAULTS.items():
        value = changes.get(key, default)
        if value is not None:
            sep = draw(st.sampled_from([":", " = ", " : "]))
            lines.append(f"{key}{sep}{value}")
    for _ in range(draw(st.integers(0, 2))):
        lines.insert(draw(st.integers(0, len(lines))), draw(junk))
    return "\n".join(lines) + "\n"


@FUZZ
@given(text=scalesim_cfg())
def test_random_cfg_parses_or_raises(workdir: Path, text: str) -> None:
    path = workdir / "random.cfg"
    path.write_text(text, encoding="utf-8", newline="")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            acc = tldse.Accelerator.from_scalesim_config(path)
    except ValueError as exc:
        assert str(path) in str(exc), str(exc)
    else:
        # The only warnings: SCALE-Sim's model differences, naming the file.
        for w in caught:
            assert issubclass(w.category, ScaleSimWarning), w
            assert str(path) in str(w.message), w
        assert acc.dataflow in ("ws", "os", "is")
        assert 1 <= acc.pe_rows < 2**31
        assert 1 <= acc.pe_cols < 2**31
        for size in (acc.glb_input_bytes, acc.glb_weight_bytes, acc.glb_output_bytes):
            assert 0 < size < math.inf
        assert 0 < acc.dram_bw_bytes_per_cycle < math.inf
        assert acc.infeasibility() == ""


# --- tldse-sim on random topologies ---------------------------------------------------

# Sizes stay small enough that evaluating an accepted layer is quick.
sim_fields = st.one_of(
    st.integers(-2, 2048).map(str),
    st.sampled_from(["", "2147483648", "99999999999", "1" + "0" * 40, "1.5", "x"]),
    junk,
)


@settings(FUZZ, max_examples=20)
@given(text=topology(sim_fields, st.sampled_from([0, 0, 0, 0, 1, 2]), max_rows=3))
def test_tldse_sim_on_random_topologies(workdir: Path, text: str) -> None:
    path = workdir / "sim_topology.csv"
    path.write_text(text, encoding="utf-8", newline="")
    proc = subprocess.run(
        [_tldse_sim(), "--topology", str(path), "--format", "csv"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode in (0, 2), f"exit status {proc.returncode}: {err!r}"
    assert "Traceback" not in err
    lines = err.split("\n")
    if lines[-1] == "":
        lines.pop()
    if proc.returncode == 2:
        assert len(lines) == 1, lines
        assert lines[0].startswith("tldse-sim: error: "), lines
        assert str(path) in lines[0]
    else:
        assert all(line.startswith("tldse-sim: warning: ") for line in lines), lines
        assert proc.stdout.startswith(b"layer,count,status,")
