"""Bad input is rejected with one clear message, never a crash.

Every reader error names the file, the line and the field (cpp/include/tldse/io.hpp);
``tldse-sim`` exits with status 2 and prints exactly one ``tldse-sim: error:`` line;
the Python API raises ValueError naming the offending column; ``tldse simulate``
returns 2 and prints one ``tldse: error:`` line. Designs that are well-formed but
cannot be built are not errors: they come back with a non-zero status and NaN metrics.
"""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tldse
from tldse import _core
from tldse.arch import ScaleSimWarning
from tldse.cli import main as cli_main

from .conftest import find_tldse_sim

CONV_HEADER = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
    "Num Filter, Strides,"
)
GEMM_HEADER = "Layer, M, N, K,"
TLDSE_HEADER = "name,kind,n,k,c,p,q,r,s"
GOOD_CONV_ROW = "conv1, 32, 32, 3, 3, 16, 32, 1,"

CFG_KEYS = {
    "ArrayHeight": "32",
    "ArrayWidth": "32",
    "IfmapSramSzkB": "64",
    "FilterSramSzkB": "64",
    "OfmapSramSzkB": "64",
    "Dataflow": "ws",
    "Bandwidth": "10",
}
CFG_LINE = {key: i + 2 for i, key in enumerate(CFG_KEYS)}  # line 1 is the section

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# --- helpers --------------------------------------------------------------------------


def _tldse_sim() -> str:
    return find_tldse_sim()


@pytest.fixture(scope="module")
def sim() -> str:
    return _tldse_sim()


def run_sim(sim: str, *args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sim, *map(str, args)], capture_output=True, timeout=30, check=False
    )


def sim_error(proc: subprocess.CompletedProcess[bytes]) -> str:
    """Asserts tldse-sim failed cleanly; returns its one error line."""
    err = proc.stderr.decode("utf-8", "replace")
    out = proc.stdout.decode("utf-8", "replace")
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}: {err!r}"
    assert proc.returncode == 2, f"exit status {proc.returncode}, stderr {err!r}"
    assert "Traceback" not in err + out
    lines = err.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    assert len(lines) == 1, f"expected one stderr line, got {lines!r}"
    assert lines[0].startswith("tldse-sim: error: "), lines[0]
    return lines[0]


def assert_names(message: str, *needles: str) -> None:
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cfg_text(drop: str = "", section: bool = True, **values: str) -> list[str]:
    lines = ["[architecture_presets]"] if section else []
    for key, default in CFG_KEYS.items():
        if key != drop:
            lines.append(f"{key} : {values.get(key, default)}")
    return lines


@pytest.fixture()
def good_topology(tmp_path: Path) -> Path:
    return write(tmp_path / "good_topology.csv", CONV_HEADER, GOOD_CONV_ROW)


@pytest.fixture()
def good_cfg(tmp_path: Path) -> Path:
    return write(tmp_path / "good.cfg", *cfg_text())


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        rc = cli_main(["simulate", *argv])
    except Exception as exc:  # the CLI must turn every user error into one line
        pytest.fail(f"tldse simulate {' '.join(argv)} raised {exc!r}")
    captured = capsys.readouterr()
    return rc, ANSI.sub("", captured.out + captured.err)


def cli_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    rc, text = cli(capsys, *argv)
    assert rc == 2, text
    assert "Traceback" not in text
    lines = [line for line in text.split("\n") if line.strip()]
    assert len(lines) == 1, f"expected one line, got {lines!r}"
    assert lines[0].startswith("tldse: error: "), lines[0]
    return lines[0]


# --- malformed topology rows ----------------------------------------------------------

# (id, header, data lines, line number of the error, needles besides file and line)
TOPOLOGY_CASES = [
    ("conv-missing-columns", CONV_HEADER, ["c1, 32, 32, 3, 3, 16,"], 2, ["Num Filter"]),
    ("conv-one-column", CONV_HEADER, ["c1"], 2, ["IFMAP Height"]),
    ("gemm-missing-columns", GEMM_HEADER, ["g1, 64, 64"], 2, ["'K'"]),
    ("conv-text", CONV_HEADER, ["c1, 32, abc, 3, 3, 16, 32, 1,"], 2, ["IFMAP Width"]),
    ("conv-float", CONV_HEADER, ["c1, 32, 32, 3.5, 3, 16, 32, 1,"], 2,
     ["Filter Height"]),
    ("conv-empty-field", CONV_HEADER, ["c1, 32, 32, 3, , 16, 32, 1,"], 2,
     ["Filter Width"]),
    ("gemm-text", GEMM_HEADER, ["g1, 64, x, 64,"], 2, ["'N'"]),
    ("conv-zero-channels", CONV_HEADER, ["c1, 32, 32, 3, 3, 0, 32, 1,"], 2,
     ["Channels"]),
    ("conv-negative-filters", CONV_HEADER, ["c1, 32, 32, 3, 3, 16, -4, 1,"], 2,
     ["Num Filter"]),
    ("conv-zero-stride", CONV_HEADER, ["c1, 32, 32, 3, 3, 16, 32, 0,"], 2,
     ["Strides"]),
    ("conv-zero-ifmap", CONV_HEADER, ["c1, 0, 32, 1, 1, 16, 32, 1,"], 2,
     ["IFMAP Height"]),
    ("gemm-zero", GEMM_HEADER, ["g1, 0, 64, 64,"], 2, ["'M'"]),
    ("gemm-negative", GEMM_HEADER, ["g1, 64, 64, -1,"], 2, ["'K'"]),
    ("conv-overflow", CONV_HEADER, ["c1, 99999999999, 32, 3, 3, 16, 32, 1,"], 2,
     ["IFMAP Height", "99999999999"]),
    ("conv-2^31", CONV_HEADER, ["c1, 32, 2147483648, 3, 3, 16, 32, 1,"], 2,
     ["IFMAP Width"]),
    ("conv-overflow-64bit", CONV_HEADER,
     ["c1, 32, 32, 3, 3, 16, 1" + "0" * 30 + ", 1,"], 2, ["Num Filter"]),
    ("gemm-overflow", GEMM_HEADER, ["g1, 64, 99999999999, 64,"], 2, ["'N'"]),
    ("conv-filter-taller", CONV_HEADER, ["c1, 8, 8, 9, 3, 16, 32, 1,"], 2,
     ["Filter Height", "IFMAP Height"]),
    ("conv-filter-wider", CONV_HEADER, ["c1, 8, 8, 3, 9, 16, 32, 1,"], 2,
     ["Filter Width", "IFMAP Width"]),
    ("line-count-skips-comments", CONV_HEADER,
     [GOOD_CONV_ROW, "# a comment", "", "c2, 32, 32, 3, 3, 16, -1, 1,"], 5,
     ["Num Filter"]),
    ("tldse-zero-p", TLDSE_HEADER, ["a,conv,1,4,4,8,8,3,3", "b,conv,1,4,4,0,8,3,3"], 3,
     ["'p'"]),
    ("tldse-text", TLDSE_HEADER, ["a,conv,1,4,four,8,8,3,3"], 2, ["'c'"]),
    ("tldse-overflow", TLDSE_HEADER, ["a,conv,1,99999999999,4,8,8,3,3"], 2, ["'k'"]),
    ("tldse-bad-kind", TLDSE_HEADER, ["a,pool,1,4,4,8,8,3,3"], 2, ["kind", "pool"]),
    ("tldse-groups", TLDSE_HEADER + ",groups", ["a,conv,1,4,6,8,8,3,3,4"], 2,
     ["groups"]),
    ("tldse-unknown-column", TLDSE_HEADER + ",foo", ["a,conv,1,4,4,8,8,3,3,1"], 1,
     ["foo"]),
    ("unknown-header", "foo, bar, baz", ["1, 2, 3"], 1, ["header"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("header", "rows", "line", "needles"),
    [pytest.param(*case[1:], id=case[0]) for case in TOPOLOGY_CASES],
)
def test_malformed_topology_python(
    tmp_path: Path, header: str, rows: list[str], line: int, needles: list[str]
) -> None:
    topo = write(tmp_path / "topology.csv", header, *rows)
    with pytest.raises(ValueError) as info:
        tldse.Workload.read(topo)
    assert_names(str(info.value), str(topo), f":{line}:", *needles)


@pytest.mark.parametrize(
    ("header", "rows", "line", "needles"),
    [pytest.param(*case[1:], id=case[0]) for case in TOPOLOGY_CASES],
)
def test_malformed_topology_tldse_sim(
    sim: str,
    tmp_path: Path,
    good_cfg: Path,
    header: str,
    rows: list[str],
    line: int,
    needles: list[str],
) -> None:
    topo = write(tmp_path / "topology.csv", header, *rows)
    message = sim_error(run_sim(sim, "--config", good_cfg, "--topology", topo))
    assert_names(message, str(topo), f":{line}:", *needles)


# Whole-file problems have no line to point at: file named and the problem said.
FILE_CASES = [
    ("empty", [], "empty"),
    ("blank-and-comments", ["", "# nothing here", "   "], "empty"),
    ("header-only-conv", [CONV_HEADER], "no layers"),
    ("header-only-gemm", [GEMM_HEADER, "# no rows"], "no layers"),
]


@pytest.mark.parametrize(
    ("lines", "needle"), [pytest.param(*c[1:], id=c[0]) for c in FILE_CASES]
)
def test_topology_without_layers(
    sim: str, tmp_path: Path, good_cfg: Path, lines: list[str], needle: str
) -> None:
    topo = tmp_path / "topology.csv"
    topo.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ValueError) as info:
        tldse.Workload.read(topo)
    assert_names(str(info.value), str(topo), needle)
    message = sim_error(run_sim(sim, "--config", good_cfg, "--topology", topo))
    assert_names(message, str(topo), needle)


def test_missing_topology_file(sim: str, tmp_path: Path) -> None:
    topo = tmp_path / "no_such_topology.csv"
    with pytest.raises(ValueError) as info:
        tldse.Workload.read(topo)
    assert_names(str(info.value), str(topo))
    assert_names(sim_error(run_sim(sim, "--topology", topo)), str(topo))


@pytest.mark.parametrize(
    ("row", "needles"),
    [
        pytest.param(b"caf\xe9, 32, 32, 3, 3, 16, 32, 1,", [], id="latin1-name"),
        pytest.param(
            b"c1, 3\xe9, 32, 3, 3, 16, 32, 1,", [":2:", "IFMAP Height"], id="latin1-num"
        ),
    ],
)
def test_non_utf8_topology(tmp_path: Path, row: bytes, needles: list[str]) -> None:
    """Bytes that are not UTF-8 (a Latin-1 file): parse, or ValueError naming file."""
    topo = tmp_path / "latin1.csv"
    topo.write_bytes(CONV_HEADER.encode() + b"\n" + row + b"\n")
    try:
        wl = tldse.Workload.read(topo)
    except ValueError as exc:
        assert_names(str(exc), str(topo), *needles)
    else:
        assert not needles, f"accepted a malformed row: {wl}"
        assert len(wl) == 1


@pytest.mark.parametrize(
    "row",
    [
        pytest.param("a,conv,4,1,1,2147483647,2147483647,1,1", id="n*p*q>2^63"),
        pytest.param(
            "a,conv,1,1,2147483647,1,1,2147483647,2147483647", id="r*s*c>2^63"
        ),
    ],
)
def test_extreme_but_accepted_layer_gives_sane_metrics(
    tmp_path: Path, row: str
) -> None:
    """Sizes the reader accepts (< 2^31 each) must not overflow in the cost model."""
    topo = write(tmp_path / "extreme.csv", TLDSE_HEADER, row)
    try:
        wl = tldse.Workload.read(topo)
    except ValueError:
        return  # rejecting such a layer is fine too
    ev = tldse.evaluate([tldse.Accelerator(glb_bytes=1e30)], wl)
    if ev["status"][0, 0] != 0:
        return
    cycles = float(ev["compute_cycles"][0, 0])
    util = float(ev["utilization"][0, 0])
    assert cycles > 0, f"compute_cycles {cycles}"
    assert 0 < util <= 1, f"utilization {util}"


# --- malformed SCALE-Sim .cfg ---------------------------------------------------------

# (id, cfg lines, needles besides the file name, words that must not appear)
CFG_CASES = [
    ("missing-ArrayHeight", cfg_text(drop="ArrayHeight"), ["ArrayHeight", "missing"],
     []),
    ("missing-Dataflow", cfg_text(drop="Dataflow"), ["Dataflow", "missing"], []),
    ("missing-IfmapSram", cfg_text(drop="IfmapSramSzkB"), ["IfmapSramSzkB"], []),
    ("text-ArrayWidth", cfg_text(ArrayWidth="abc"),
     [f":{CFG_LINE['ArrayWidth']}:", "ArrayWidth", "abc"], []),
    ("float-ArrayHeight", cfg_text(ArrayHeight="3.5"),
     [f":{CFG_LINE['ArrayHeight']}:", "ArrayHeight"], []),
    ("zero-ArrayHeight", cfg_text(ArrayHeight="0"),
     [f":{CFG_LINE['ArrayHeight']}:", "ArrayHeight"], []),
    ("overflow-ArrayWidth", cfg_text(ArrayWidth="99999999999"),
     [f":{CFG_LINE['ArrayWidth']}:", "ArrayWidth"], []),
    ("bad-Dataflow", cfg_text(Dataflow="xx"),
     [f":{CFG_LINE['Dataflow']}:", "Dataflow", "xx"], []),
    ("rs-Dataflow", cfg_text(Dataflow="rs"), [f":{CFG_LINE['Dataflow']}:", "Dataflow"],
     []),
    ("zero-SRAM", cfg_text(IfmapSramSzkB="0"),
     [f":{CFG_LINE['IfmapSramSzkB']}:", "IfmapSramSzkB"], []),
    ("negative-SRAM", cfg_text(FilterSramSzkB="-5"),
     [f":{CFG_LINE['FilterSramSzkB']}:", "FilterSramSzkB"], ["missing"]),
    ("text-SRAM", cfg_text(OfmapSramSzkB="big"),
     [f":{CFG_LINE['OfmapSramSzkB']}:", "OfmapSramSzkB"], []),
    ("huge-SRAM", cfg_text(IfmapSramSzkB="1e308"),
     [f":{CFG_LINE['IfmapSramSzkB']}:", "IfmapSramSzkB"], []),
    ("nan-Bandwidth", cfg_text(Bandwidth="nan"),
     [f":{CFG_LINE['Bandwidth']}:", "Bandwidth"], []),
    ("zero-Bandwidth", cfg_text(Bandwidth="0"),
     [f":{CFG_LINE['Bandwidth']}:", "Bandwidth"], []),
    ("missing-section", cfg_text(section=False), ["architecture_presets"], []),
    ("malformed-section", ["[architecture_presets", *cfg_text()[1:]],
     [":1:", "architecture_presets"], []),
    ("no-separator", [*cfg_text(), "ArrayHeight 4"], [":9:", "ArrayHeight 4"], []),
    ("empty", [], ["ArrayHeight"], []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("lines", "needles", "forbidden"),
    [pytest.param(*c[1:], id=c[0]) for c in CFG_CASES],
)
def test_malformed_cfg_python(
    tmp_path: Path, lines: list[str], needles: list[str], forbidden: list[str]
) -> None:
    cfg = write(tmp_path / "bad.cfg", *lines)
    with pytest.raises(ValueError) as info:
        tldse.Accelerator.from_scalesim_config(cfg)
    message = str(info.value)
    assert_names(message, str(cfg), *needles)
    for word in forbidden:
        assert word not in message, message


@pytest.mark.parametrize(
    ("lines", "needles", "forbidden"),
    [pytest.param(*c[1:], id=c[0]) for c in CFG_CASES],
)
def test_malformed_cfg_tldse_sim(
    sim: str,
    tmp_path: Path,
    good_topology: Path,
    lines: list[str],
    needles: list[str],
    forbidden: list[str],
) -> None:
    cfg = write(tmp_path / "bad.cfg", *lines)
    message = sim_error(run_sim(sim, "--config", cfg, "--topology", good_topology))
    assert_names(message, str(cfg), *needles)
    for word in forbidden:
        assert word not in message, message


def test_good_cfg_and_topology_are_accepted(
    sim: str, good_cfg: Path, good_topology: Path
) -> None:
    """The fixtures the error cases start from are themselves valid; the one
    difference from SCALE-Sim (its per-buffer DRAM ports) is a warning in both."""
    with pytest.warns(ScaleSimWarning, match="one port shared by all three"):
        acc = tldse.Accelerator.from_scalesim_config(good_cfg)
    assert (acc.pe_rows, acc.pe_cols, acc.dataflow) == (32, 32, "ws")
    assert len(tldse.Workload.read(good_topology)) == 1
    proc = run_sim(sim, "--config", good_cfg, "--topology", good_topology)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"tldse-sim: warning: {good_cfg}: SCALE-Sim gives")


# --- energy-table files ---------------------------------------------------------------

ENERGY_CASES = [
    ("unknown-key", ["mac_pj = 0.2", "bogus_pj = 3"], [":2:", "bogus_pj"]),
    ("non-number", ["mac_pj = 0.2", "dram_pj = lots"], [":2:", "dram_pj", "lots"]),
    ("empty-value", ["# costs", "glb_pj ="], [":2:", "glb_pj"]),
    ("negative", ["rf_pj = -1"], [":1:", "rf_pj"]),
    ("nan", ["noc_pj = nan"], [":1:", "noc_pj"]),
    ("overflow", ["dram_pj = 1e999"], [":1:", "dram_pj"]),
    ("no-separator", ["mac_pj 0.2"], [":1:"]),
    ("zero-ref-bits", ["mac_pj = 0.2", "ref_bits = 0"], [":2:", "ref_bits"]),
]


@pytest.mark.parametrize(
    ("lines", "needles"), [pytest.param(*c[1:], id=c[0]) for c in ENERGY_CASES]
)
def test_bad_energy_table_python(
    tmp_path: Path, lines: list[str], needles: list[str]
) -> None:
    table = write(tmp_path / "energy.txt", *lines)
    with pytest.raises(ValueError) as info:
        tldse.energy_table(table)
    assert_names(str(info.value), str(table), *needles)


@pytest.mark.parametrize(
    ("lines", "needles"), [pytest.param(*c[1:], id=c[0]) for c in ENERGY_CASES]
)
def test_bad_energy_table_tldse_sim(
    sim: str, tmp_path: Path, good_topology: Path, lines: list[str], needles: list[str]
) -> None:
    table = write(tmp_path / "energy.txt", *lines)
    proc = run_sim(sim, "--topology", good_topology, "--energy-table", table)
    assert_names(sim_error(proc), str(table), *needles)


def test_energy_overrides_name_the_key() -> None:
    with pytest.raises(ValueError, match="bogus_pj"):
        tldse.energy_table(None, {"bogus_pj": 1.0})
    with pytest.raises(ValueError, match="mac_pj"):
        tldse.energy_table(None, {"mac_pj": float("nan")})
    with pytest.raises(ValueError, match="no_such_table"):
        tldse.energy_table("no_such_table")


def test_a_misspelt_energy_table_lists_the_built_in_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(ValueError, match=r"horowitz45, default, eyeriss") as exc:
        tldse.energy_table("horowitz")
    assert "did you mean horowitz45?" in str(exc.value)
    assert "file" in str(exc.value)
    from tldse.cli.main import main

    assert main(["simulate", "--energy-table", "eyriss"]) == 2
    err = capsys.readouterr().err
    assert "did you mean eyeriss?" in err and "Traceback" not in err


@pytest.mark.parametrize("flag", ["--topology", "--config", "--energy-table"])
def test_directory_instead_of_file(
    sim: str, tmp_path: Path, good_topology: Path, flag: str
) -> None:
    folder = tmp_path / "a_folder"
    folder.mkdir()
    args: list[str | Path] = ["--topology", good_topology, flag, folder]
    if flag == "--topology":
        args = args[2:]
    assert_names(sim_error(run_sim(sim, *args)), str(folder))


# --- Python API -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def workload() -> tldse.Workload:
    return tldse.Workload("w", [tldse.Layer.conv("c", c=16, k=32, h=16, r=3)])


def test_evaluate_rejects_wrong_shapes(workload: tldse.Workload) -> None:
    with pytest.raises(ValueError, match="18"):
        tldse.evaluate(np.ones((2, 14)), workload)
    with pytest.raises(ValueError, match="18"):
        tldse.evaluate(np.ones(14), workload)
    with pytest.raises(ValueError, match=r"\(2, 3, 18\)"):
        tldse.evaluate(np.ones((2, 3, 18)), workload)
    with pytest.raises(ValueError, match="numeric"):
        tldse.evaluate([["ws"] * 18], workload)
    table = tldse.energy_table()
    rows = tldse.Accelerator().row()[None, :]
    with pytest.raises(ValueError, match=r"configs.*2-D"):
        _core.evaluate(np.ones((2, 3, 18)), workload.table(), table)
    with pytest.raises(ValueError, match=r"configs.*18 columns"):
        _core.evaluate(np.ones((2, 14)), workload.table(), table)
    with pytest.raises(ValueError, match=r"layers.*2-D"):
        _core.evaluate(rows, np.ones((1, 2, 16)), table)
    with pytest.raises(ValueError, match=r"layers.*16 columns"):
        _core.evaluate(rows, np.ones((1, 15)), table)


@pytest.mark.parametrize("column", tldse.CONFIG_COLUMNS)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -1.0])
def test_evaluate_names_bad_config_column(
    workload: tldse.Workload, column: str, value: float
) -> None:
    row = tldse.Accelerator().row()
    row[tldse.CONFIG_COLUMNS.index(column)] = value
    with pytest.raises(ValueError) as info:
        tldse.evaluate(np.stack([tldse.Accelerator().row(), row]), workload)
    assert_names(str(info.value), column, "row 1")


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("pe_rows", 2.5),
        ("pe_cols", 1e12),
        ("dataflow", 7.0),
        ("dataflow", 0.5),
        ("multicast", 2.0),
        ("weight_bits", 0.0),
        ("psum_bits", 65.0),
        ("act_bits", 7.5),
    ],
)
def test_evaluate_names_non_integer_column(
    workload: tldse.Workload, column: str, value: float
) -> None:
    row = tldse.Accelerator().row()
    row[tldse.CONFIG_COLUMNS.index(column)] = value
    with pytest.raises(ValueError, match=column):
        tldse.evaluate(row[None, :], workload)


@pytest.mark.parametrize("column", tldse.workloads.LAYER_COLUMNS)
@pytest.mark.parametrize("value", [math.nan, math.inf, 0.0, -1.0, 1.5, 1e16])
def test_core_evaluate_names_bad_layer_column(
    workload: tldse.Workload, column: str, value: float
) -> None:
    if value == 0.0 and column in ("kind", "pad_h", "pad_w"):
        pytest.skip("0 is a valid value for this column")
    layers = workload.table().astype(np.float64)
    layers[0, tldse.workloads.LAYER_COLUMNS.index(column)] = value
    rows = tldse.Accelerator().row()[None, :]
    with pytest.raises(ValueError) as info:
        _core.evaluate(rows, layers, tldse.energy_table())
    message = str(info.value)
    if column == "kind":
        assert "kind" in message, message
    else:
        assert re.search(rf"\b{column}\b", message), message


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"k": -1}, "k"),
        ({"p": 0}, "p"),
        ({"c": 0}, "c"),
        ({"count": 0}, "count"),
        ({"stride_h": 0}, "stride_h"),
        ({"pad_w": -1}, "pad_w"),
        ({"c": 2.0}, "c"),
        ({"q": 2.5}, "q"),
        ({"r": math.nan}, "r"),
        ({"s": "3"}, "s"),
        ({"n": True}, "n"),
        ({"groups": None}, "groups"),
        ({"k": 2**31}, "k"),
        ({"kind": "pool"}, "kind"),
        ({"c": 6, "groups": 4}, "groups"),
    ],
)
def test_layer_rejects_bad_sizes(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=rf"\b{field}\b"):
        tldse.Layer("bad", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"c": 3, "k": -4, "h": 8, "r": 3}, "k"),
        ({"c": 3, "k": 4, "h": 2, "r": 3}, "filter"),
        ({"c": 3, "k": 4, "h": 8, "r": 3, "stride": 0}, "stride"),
        ({"c": 3, "k": 4, "h": 8, "r": 0}, "r"),
    ],
)
def test_layer_conv_rejects_bad_sizes(kwargs: dict[str, int], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        tldse.Layer.conv("bad", **kwargs)  # type: ignore[arg-type]


def test_layer_gemm_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError, match=r"\bp\b"):
        tldse.Layer.gemm("g", 0, 4, 4)
    with pytest.raises(ValueError, match=r"\bk\b"):
        tldse.Layer.gemm("g", 4, -4, 4)


def test_malformed_layer_caught_at_evaluate() -> None:
    """Layer checks the cheap invariants; the rest are caught before evaluating."""
    acc = [tldse.Accelerator()]
    with pytest.raises(ValueError, match="pad_h"):
        tldse.evaluate(acc, [tldse.Layer("x", pad_h=5)])
    with pytest.raises(ValueError, match="gemm"):
        tldse.evaluate(acc, [tldse.Layer("x", kind="gemm", q=3)])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"dataflow": "xx"}, "dataflow"),
        ({"dataflow": "WS"}, "dataflow"),
        ({"glb_bytes": math.nan}, "glb_bytes"),
        ({"glb_bytes": math.inf}, "glb_bytes"),
        ({"rf_bytes": -1}, "rf_bytes"),
        ({"dram_bw_bytes_per_cycle": -0.5}, "dram_bw_bytes_per_cycle"),
        ({"clock_mhz": math.nan}, "clock_mhz"),
        ({"pe_rows": 2.5}, "pe_rows"),
        ({"pe_cols": "16"}, "pe_cols"),
        ({"pe_rows": None}, "pe_rows"),
        ({"pe_rows": 2**40}, "pe_rows"),
        ({"pe_rows": 10**400}, "pe_rows"),
        ({"weight_bits": 0}, "weight_bits"),
        ({"psum_bits": 65}, "psum_bits"),
    ],
)
def test_accelerator_rejects_bad_fields(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        tldse.Accelerator(**kwargs)  # type: ignore[arg-type]


def test_accelerator_replace_rejects_unknown_field() -> None:
    with pytest.raises(ValueError, match="nosuchfield"):
        tldse.Accelerator().replace(nosuchfield=1)


def test_dataframe_configs(workload: tldse.Workload) -> None:
    with pytest.raises(ValueError, match="foo"):
        tldse.evaluate(pd.DataFrame({"pe_rows": [4], "foo": [1]}), workload)
    with pytest.raises(ValueError, match="pe_rows"):
        tldse.evaluate(pd.DataFrame({"pe_rows": ["many"]}), workload)
    with pytest.raises(ValueError, match="dataflow"):
        tldse.evaluate(pd.DataFrame({"dataflow": ["xx"]}), workload)
    with pytest.raises(ValueError, match="glb_bytes"):
        tldse.evaluate(pd.DataFrame({"glb_bytes": [math.nan]}), workload)
    ev = tldse.evaluate(pd.DataFrame({"pe_rows": [8], "dataflow": ["os"]}), workload)
    assert ev["status"].tolist() == [[0]]


def test_evaluate_rejects_bad_workloads_and_options(workload: tldse.Workload) -> None:
    acc = [tldse.Accelerator()]
    with pytest.raises(ValueError, match="no layers"):
        tldse.evaluate(acc, [])
    with pytest.raises(ValueError, match="Layer"):
        tldse.evaluate(acc, [1, 2])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="threads"):
        tldse.evaluate(acc, workload, threads=-1)
    with pytest.raises(ValueError, match="kind"):
        tldse.Workload.from_table("t", [[7] + [1] * 15])
    with pytest.raises(ValueError, match="16"):
        tldse.Workload.from_table("t", [[0] * 15])
    with pytest.raises(ValueError, match="accelerator"):
        tldse.simulate("ws", workload)  # type: ignore[arg-type]


INFEASIBLE = {
    "pe_rows=0": {"pe_rows": 0},
    "pe_cols=0": {"pe_cols": 0},
    "glb_bytes=0": {"glb_bytes": 0},
    "dram_bw=0": {"dram_bw_bytes_per_cycle": 0},
    "glb_bw=0": {"glb_bw_bytes_per_cycle": 0},
    "clock=0": {"clock_mhz": 0},
    "rf-too-small": {"rf_bytes": 1},
    "partition-missing": {"glb_input_bytes": 1024},
    "partitions-exceed": {
        "glb_bytes": 1024,
        "glb_input_bytes": 1024,
        "glb_weight_bytes": 1024,
        "glb_output_bytes": 1024,
    },
    "glb-too-small": {"glb_bytes": 1},
    # rs needs 3 weights + 3 inputs (8-bit) + 1 psum (32-bit) = 10 bytes per PE
    "rs-scratchpads-too-small": {"dataflow": "rs", "rf_bytes": 6},
}


@pytest.mark.parametrize("kwargs", INFEASIBLE.values(), ids=INFEASIBLE.keys())
def test_infeasible_designs_do_not_raise(
    workload: tldse.Workload, kwargs: dict[str, object]
) -> None:
    acc = tldse.Accelerator(**kwargs)  # type: ignore[arg-type]
    configs = [tldse.Accelerator(), acc]
    ev = tldse.evaluate(configs, workload)
    assert ev["status"][0, 0] == 0
    assert ev["status"][1, 0] != 0
    assert math.isnan(ev["latency_cycles"][1, 0])
    assert math.isnan(ev["energy_pj"][1, 0])
    assert math.isfinite(ev["latency_cycles"][0, 0])
    # The same through a raw table, per network, and simulate().
    net = tldse.evaluate(
        np.stack([c.row() for c in configs]), workload, per_network=True
    )
    assert net["status"][1] != 0
    assert math.isnan(net["latency_cycles"][1])
    rep = tldse.simulate(acc, workload)
    assert rep.layers[0].status != "ok"
    assert math.isnan(rep.layers[0].metrics["latency_cycles"])


# --- tldse simulate -------------------------------------------------------------------


def test_cli_unknown_workload(capsys: pytest.CaptureFixture[str]) -> None:
    assert_names(cli_error(capsys, "--workload", "nosuchnet"), "nosuchnet")


def test_cli_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "missing_topology.csv")
    assert_names(cli_error(capsys, "--workload", missing), missing)


@pytest.mark.parametrize(
    ("setting", "needles"),
    [
        ("nosuchfield=1", ["nosuchfield"]),
        ("pe_rows=abc", ["pe_rows", "abc"]),
        ("pe_rows", ["pe_rows", "KEY=VALUE"]),
        ("pe_rows=2.5", ["pe_rows"]),
        ("pe_rows=nan", ["pe_rows"]),
        ("glb_bytes=-1", ["glb_bytes"]),
        ("dataflow=xx", ["dataflow", "xx"]),
        ("pe_rows=0", ["infeasible"]),
    ],
)
def test_cli_bad_set(
    capsys: pytest.CaptureFixture[str],
    good_topology: Path,
    setting: str,
    needles: list[str],
) -> None:
    message = cli_error(capsys, "--workload", str(good_topology), "--set", setting)
    assert_names(message, *needles)


def test_cli_malformed_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good_topology: Path
) -> None:
    topo = write(tmp_path / "bad.csv", CONV_HEADER, "c1, 32, abc, 3, 3, 16, 32, 1,")
    message = cli_error(capsys, "--workload", str(topo))
    assert_names(message, str(topo), ":2:", "IFMAP Width")
    table = write(tmp_path / "energy.txt", "bogus_pj = 1")
    message = cli_error(
        capsys, "--workload", str(good_topology), "--energy-table", str(table)
    )
    assert_names(message, str(table), ":1:", "bogus_pj")
    cfg = write(tmp_path / "bad.cfg", *cfg_text(Dataflow="xx"))
    message = cli_error(capsys, "--workload", str(good_topology), "--config", str(cfg))
    assert_names(message, str(cfg), f":{CFG_LINE['Dataflow']}:", "Dataflow")
    message = cli_error(
        capsys, "--workload", str(good_topology), "--config", str(cfg), "--arch", "x"
    )
    assert_names(message, "--config", "--arch")


def test_cli_prints_brackets_in_messages_verbatim(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good_topology: Path
) -> None:
    """Error text is not console markup: '[architecture_presets]' must survive."""
    cfg = write(tmp_path / "no_height.cfg", *cfg_text(drop="ArrayHeight"))
    message = cli_error(capsys, "--workload", str(good_topology), "--config", str(cfg))
    assert_names(message, str(cfg), "[architecture_presets] ArrayHeight")


def test_cli_survives_markup_like_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A '[/x]' in a file value or a --set value is echoed, not parsed as markup."""
    topo = write(tmp_path / "markup.csv", CONV_HEADER, "c1, [/x], 32, 3, 3, 16, 32, 1,")
    assert_names(cli_error(capsys, "--workload", str(topo)), str(topo), "[/x]")
    message = cli_error(capsys, "--set", "dataflow=[/x]")
    assert_names(message, "dataflow", "[/x]")


def test_cli_layer_name_with_brackets(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Layer names come from files: the table must print them, whatever they hold."""
    topo = write(tmp_path / "names.csv", CONV_HEADER, "[/x], 32, 32, 3, 3, 16, 32, 1,")
    rc, text = cli(capsys, "--workload", str(topo))
    assert rc == 0, text
    assert "[/x]" in text


# --- tldse-sim arguments --------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--bogus"], ["--bogus"]),
        (["--topology", "{topo}", "--frobnicate", "1"], ["--frobnicate"]),
        (["--config", "{cfg}"], ["--topology"]),
        ([], ["--topology"]),
        (["--topology"], ["--topology"]),
        (["--topology", "{topo}", "--format", "xml"], ["--format", "xml"]),
        (["--topology", "{topo}", "--format"], ["--format"]),
        (["--topology", "{topo}", "--set", "pe_rows"], ["--set", "pe_rows"]),
        (["--topology", "{topo}", "--set", "pe_rows=abc"], ["pe_rows", "abc"]),
        (["--topology", "{topo}", "--set", "pe_rows=2.5"], ["pe_rows"]),
        (["--topology", "{topo}", "--set", "nosuch=1"], ["nosuch"]),
        (["--topology", "{topo}", "--set", "dataflow=xx"], ["dataflow", "xx"]),
        (["--topology", "{topo}", "--set", "multicast=maybe"], ["multicast"]),
        (["--topology", "{topo}", "--set", "weight_bits=0"], ["weight_bits"]),
        (["--topology", "{topo}", "--set", "pe_rows=0"], ["infeasible"]),
        (["--topology", "{topo}", "--energy-table", "nosuch"], ["nosuch"]),
        (
            ["--topology", "{topo}", "--config", "{cfg}", "--arch", "{cfg}"],
            ["--config", "--arch"],
        ),
    ],
)
def test_tldse_sim_bad_arguments(
    sim: str,
    good_topology: Path,
    good_cfg: Path,
    args: list[str],
    needles: list[str],
) -> None:
    argv = [a.format(topo=good_topology, cfg=good_cfg) for a in args]
    assert_names(sim_error(run_sim(sim, *argv)), *needles)


def test_tldse_sim_help_is_not_an_error(sim: str) -> None:
    proc = run_sim(sim, "--help")
    assert proc.returncode == 0
    assert b"usage: tldse-sim" in proc.stdout
    assert proc.stderr == b""
