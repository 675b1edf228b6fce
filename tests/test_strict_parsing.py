"""Strict parsing, one set of rules in ``tldse`` and ``tldse-sim`` (both read files
through the same C++ readers): keys and CSV columns given twice are errors naming
both places, whole numbers are required where the schema says so, ``--set`` values
are checked by type, and every name or message is valid, inert UTF-8."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

import tldse
from tldse.arch import CONFIG_INDEX
from tldse.cli import main as cli_main

CFG = """[architecture_presets]
ArrayHeight: 8
ArrayWidth: 8
IfmapSramSzkB: 16
FilterSramSzkB: 16
OfmapSramSzkB: 16
Dataflow: ws
[run_presets]
InterfaceBandwidth: CALC
"""
TOPOLOGY = "name,kind,k,c,p,q,r,s\nc1,conv,8,4,6,6,3,3\n"


def sim_run(sim: str, *args: str | bytes | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sim, *map(str, args)], capture_output=True, timeout=60)


def sim_error(proc: subprocess.CompletedProcess[bytes]) -> str:
    assert proc.returncode == 2, proc
    text = proc.stderr.decode("utf-8")  # never invalid UTF-8
    lines = text.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tldse-sim: error: "), lines
    return lines[0].removeprefix("tldse-sim: error: ")


def cli_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert cli_main(list(argv)) == 2
    err = capsys.readouterr().err
    assert err.startswith("tldse: error: "), err
    return " ".join(err.removeprefix("tldse: error: ").split())  # rich wraps lines


# (file name, text, needles) of files with a key or column given twice
DUPLICATES = [
    ("dup.cfg", CFG.replace("Dataflow: ws", "Dataflow: ws\ndataflow: os"),
     [":8:", "'dataflow' given twice", "also on line 7"]),
    ("dupsec.cfg", CFG + "[run_presets]\n", [":10:", "[run_presets] given twice",
                                             "also on line 8"]),
    ("dup.arch", "pe_rows = 8\n[array]\npe_rows = 16\n",
     [":3:", "'pe_rows' given twice", "also on line 1"]),
    ("dup.energy", "mac_pj = 1\n# again\nMAC_PJ = 2\n", [":3:", "'MAC_PJ' given twice",
                                                         "also on line 1"]),
    ("dup.csv", "name,kind,k,c,p,k\nx,conv,4,4,4,8\n", [":1:", "'k' given twice",
                                                        "columns 3 and 6"]),
]  # fmt: skip


def _read(path: Path) -> object:
    if path.suffix == ".cfg":
        return tldse.Accelerator.from_scalesim_config(path)
    if path.suffix == ".arch":
        return tldse.Accelerator.from_file(path)
    if path.suffix == ".energy":
        return tldse.energy_table(path)
    return tldse.Workload.read(path)


def _sim_args(path: Path, topology: Path) -> list[str | Path]:
    if path.suffix == ".cfg":
        return ["--config", path, "--topology", topology]
    if path.suffix == ".arch":
        return ["--arch", path, "--topology", topology]
    if path.suffix == ".energy":
        return ["--energy-table", path, "--topology", topology]
    return ["--topology", path]


@pytest.mark.parametrize(
    ("name", "text", "needles"), DUPLICATES, ids=[d[0] for d in DUPLICATES]
)
def test_duplicates_rejected_naming_both(
    tldse_sim: str, tmp_path: Path, name: str, text: str, needles: list[str]
) -> None:
    path = tmp_path / name
    path.write_text(text)
    topology = tmp_path / "t.csv"
    topology.write_text(TOPOLOGY)
    with pytest.raises(ValueError) as info:
        _read(path)
    ours = str(info.value)
    for needle in [str(path), *needles]:
        assert needle in ours, ours
    # tldse-sim reads with the same reader: the same message.
    assert sim_error(sim_run(tldse_sim, *_sim_args(path, topology))) == ours


@pytest.mark.parametrize(
    ("column", "value"),
    [("dataflow", -1.0), ("dataflow", 4.0), ("pe_rows", 16.9), ("multicast", 0.5),
     ("glb_bytes", 1000.5), ("weight_bits", 7.5)],
)  # fmt: skip
def test_from_row_does_not_coerce(column: str, value: float) -> None:
    row = tldse.Accelerator().row()
    row[CONFIG_INDEX[column]] = value
    with pytest.raises(ValueError, match=column):
        tldse.Accelerator.from_row(row)
    # evaluate refuses the same row the same way
    with pytest.raises(ValueError, match=column):
        tldse.evaluate(row[None, :], "alexnet")


def test_from_row_round_trips_valid_rows() -> None:
    for acc in (tldse.Accelerator(), tldse.Accelerator.preset("eyeriss")):
        assert tldse.Accelerator.from_row(acc.row()) == acc


@pytest.mark.parametrize(
    ("item", "needles"),
    [("multicast=maybe", ["multicast", "'maybe'"]),
     ("pe_rows=16.5", ["pe_rows", "whole number"]),
     ("pe_rows=0x10", ["pe_rows", "'0x10'"]),
     ("clock_mhz=inf", ["clock_mhz", "'inf'"]),
     ("dataflow=xs", ["dataflow", "ws, os, is or rs"]),
     ("bogus=1", ["unknown architecture field 'bogus'"])],
)  # fmt: skip
def test_set_values_checked_alike(
    tldse_sim: str, capsys: pytest.CaptureFixture[str], item: str, needles: list[str]
) -> None:
    theirs = sim_error(sim_run(tldse_sim, "--workload", "alexnet", "--set", item))
    ours = cli_error(capsys, "simulate", "--workload", "alexnet", "--set", item)
    assert ours == theirs
    for needle in needles:
        assert needle in theirs, theirs


def test_set_accepts_what_both_accept() -> None:
    acc = tldse.Accelerator()
    for text, expect in (("yes", True), ("off", False), ("1", True), ("FALSE", False)):
        assert acc.set_from_text("multicast", text).multicast is expect
    assert acc.set_from_text(" PE_ROWS ", "1e2").pe_rows == 100
    assert acc.set_from_text("dataflow", "RS").dataflow == "rs"
    assert acc.set_from_text("clock_mhz", "+250.5").clock_mhz == 250.5


# names that are not well-formed UTF-8 (RFC 3629) and what printable() makes of them
BAD_NAMES = [
    (b"\xc0\xaf", "\\xC0\\xAF"),  # overlong '/'
    (b"\xe0\x80\xaf", "\\xE0\\x80\\xAF"),  # overlong, 3 bytes
    (b"\xf0\x80\x80\xaf", "\\xF0\\x80\\x80\\xAF"),  # overlong, 4 bytes
    (b"\xed\xa0\x80", "\\xED\\xA0\\x80"),  # surrogate U+D800
    (b"\xf4\x90\x80\x80", "\\xF4\\x90\\x80\\x80"),  # above U+10FFFF
    (b"\x1b[2J", "\\x1B[2J"),  # a terminal escape
    (b"\xc2\x9b", "\\xC2\\x9B"),  # C1 control (CSI)
]


@pytest.mark.parametrize(("raw", "shown"), BAD_NAMES, ids=[s for _, s in BAD_NAMES])
def test_layer_names_are_valid_utf8(
    tldse_sim: str, tmp_path: Path, raw: bytes, shown: str
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"name,kind,k,c,p,q,r,s\nx" + raw + b",conv,8,4,6,6,3,3\n")
    wl = tldse.Workload.read(path)  # no UnicodeDecodeError
    assert wl.names == ["x" + shown]
    proc = sim_run(tldse_sim, "--topology", path, "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    assert ("x" + shown) in proc.stdout.decode("utf-8")


def test_messages_are_valid_utf8(tldse_sim: str, tmp_path: Path) -> None:
    bad = b"\xed\xa0\x80\xc0\xaf"
    # --set with bytes that are not UTF-8 (a shell passes them through)
    proc = subprocess.run(
        [tldse_sim, "--workload", "alexnet", "--set", b"pe_" + bad + b"=1"],
        capture_output=True,
        timeout=60,
    )
    message = sim_error(proc)
    assert "pe_\\xED\\xA0\\x80\\xC0\\xAF" in message
    # a value in a file, through Python
    path = tmp_path / "e.energy"
    path.write_bytes(b"mac_pj = 1" + bad + b"\n")
    with pytest.raises(ValueError) as info:
        tldse.energy_table(path)
    assert "1\\xED\\xA0\\x80\\xC0\\xAF" in str(info.value)
    str(info.value).encode("utf-8")  # encodable: no lone surrogates


def test_energy_table_name_lists_builtins(tldse_sim: str) -> None:
    builtins = r"neither a built-in table \(horowitz45, default, eyeriss\)"
    with pytest.raises(ValueError, match=builtins):
        tldse.energy_table("horowitz")
    message = sim_error(
        sim_run(tldse_sim, "--workload", "alexnet", "--energy-table", "x")
    )
    assert "horowitz45 and eyeriss" in message


def test_readers_agree_on_valid_files(tmp_path: Path) -> None:
    """Whole numbers written as decimals stay accepted where they always were."""
    arch = tmp_path / "a.arch"
    arch.write_text(
        'dataflow = "os"\npe_rows = 12\nclock_mhz = 250.5\nmulticast = on\n'
    )
    acc = tldse.Accelerator.from_file(arch)
    assert (acc.dataflow, acc.pe_rows, acc.clock_mhz, acc.multicast) == (
        "os",
        12,
        250.5,
        True,
    )
    row = acc.row()
    assert np.array_equal(tldse.Accelerator.from_row(row).row(), row)
