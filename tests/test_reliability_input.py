"""Strict input on the Python side (issue 16, items 11-13) and the CLI top level:
no silent coercion, no invalid UTF-8 in messages, one line per error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tldse
from tldse._util.text import printable
from tldse.arch import CONFIG_INDEX
from tldse.cli.main import main

# ------------------------------------------------------------ item 12


@pytest.mark.parametrize(
    ("column", "value", "needle"),
    [
        ("dataflow", -1, r"dataflow must be an integer in \[0, 3\]"),  # was: rs
        ("dataflow", 4, r"dataflow must be an integer in \[0, 3\]"),
        ("dataflow", 1.5, "dataflow must be an integer"),
        ("pe_rows", 16.9, r"pe_rows must be an integer in .*got 16\.9"),  # was: 16
        ("psum_bits", float("nan"), "psum_bits must be finite"),
        ("multicast", 0.5, r"multicast must be .*got 0\.5"),  # was: True
        ("multicast", 2, r"multicast must be an integer in \[0, 1\]"),
    ],
)
def test_from_row_rejects_what_evaluate_rejects(
    column: str, value: float, needle: str
) -> None:
    row = tldse.Accelerator().row()
    row[CONFIG_INDEX[column]] = value
    with pytest.raises(ValueError, match=needle):
        tldse.Accelerator.from_row(row)
    with pytest.raises(ValueError, match=column):  # the batch API agrees
        tldse.evaluate(row[None, :], "alexnet")


def test_from_row_round_trips_every_preset() -> None:
    for name in tldse.presets():
        acc = tldse.Accelerator.preset(name)
        assert tldse.Accelerator.from_row(acc.row()) == acc


@pytest.mark.parametrize("value", ["maybe", "2", "", "tru"])
def test_set_multicast_is_strict(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["simulate", "--workload", "alexnet", "--set", f"multicast={value}"]) == 2
    )
    err = capsys.readouterr().err
    assert "multicast: expected true or false (1/0, on/off, yes/no)" in err


@pytest.mark.parametrize(("value", "expected"), [("off", False), ("Yes", True)])
def test_set_multicast_words(
    value: str, expected: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["simulate", "--workload", "alexnet", "--format", "json"]
    assert main([*argv, "--set", f"multicast={value}"]) == 0
    assert f'"multicast": {int(expected)}' in capsys.readouterr().out


def test_duplicate_config_columns_are_refused() -> None:
    df = pd.DataFrame([[8, 16]], columns=["pe_rows", "pe_rows"])
    with pytest.raises(ValueError, match="given twice: pe_rows"):
        tldse.evaluate(df, "alexnet")
    space = tldse.DesignSpace.builtin("tiny")
    values = pd.DataFrame(space.values(space.decode([0, 1])))
    both = pd.concat([values, values[["pe_rows"]]], axis=1)
    with pytest.raises(ValueError, match="given twice: pe_rows"):
        space.from_values(both)
    np.testing.assert_array_equal(space.encode(space.from_values(values)), [0, 1])


# ------------------------------------------------------------ item 13


def test_onnx_gemm_with_a_1d_input_is_a_message() -> None:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    from tldse.workloads.importers.onnx_model import from_onnx

    a = helper.make_tensor_value_info("A", TensorProto.FLOAT, [4])
    b = helper.make_tensor_value_info("B", TensorProto.FLOAT, [4, 3])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)
    node = helper.make_node("Gemm", ["A", "B"], ["Y"], name="fc")
    model = helper.make_model(helper.make_graph([node], "g", [a, b], [y]))
    assert isinstance(model, onnx.ModelProto)
    with pytest.raises(
        ValueError,
        match=r"'fc' \(Gemm\): 'A' must be 2-D, got "
        r"shape \[4\]",
    ):
        from_onnx(model)  # was: IndexError


def test_default_out_never_leaves_the_working_directory(tmp_path: Path) -> None:
    from tldse.cli._common import default_out

    for names in (["./sub/net"], ["../../etc/x"], ["/abs/net"], [".."]):
        out = default_out("explore", names, "tiny")
        assert len(out.parts) == 1 and out.name not in (".", ".."), out


# ------------------------------------------------------------ item 11


def test_printable_escapes_what_is_not_text() -> None:
    raw = b"ok \xc0\xaf \xed\xa0\x80 \xff\n\x1b[31m\tend"
    text = raw.decode("utf-8", "surrogateescape")
    out = printable(text)
    assert out == "ok \\xC0\\xAF \\xED\\xA0\\x80 \\xFF\\x0A\\x1B[31m\tend"
    out.encode("utf-8")  # always valid UTF-8
    assert printable("naïve ünïcode ✓") == "naïve ünïcode ✓"
    assert printable("\ud800") == "\\uD800"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        # overlong '/' in a kind; C++ passed it through and Python failed to
        # decode the message (UnicodeDecodeError)
        (
            b"name,kind,n,k,c,p,q,r,s\nt,conv\xc0\xaf,1,1,1,1,1,1,1\n",
            "'conv\\xC0\\xAF'",
        ),
        # a UTF-16 surrogate encoded in UTF-8 in a column name
        (
            b"name,kind,n\xed\xa0\x80,k,c,p,q,r,s\nt,conv,1,1,1,1,1,1,1\n",
            "'n\\xED\\xA0\\x80'",
        ),
    ],
)
def test_invalid_utf8_in_files_gives_messages(
    tmp_path: Path, content: bytes, needle: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError) as info:
        tldse.Workload.read(path)
    assert not isinstance(info.value, UnicodeDecodeError)
    assert "bad.csv" in str(info.value) and needle in str(info.value)


def test_arch_file_with_invalid_utf8_gives_a_message(tmp_path: Path) -> None:
    path = tmp_path / "a.arch"
    path.write_bytes(b"rf_bytes = 1\nglb_bytes\xc0\xaf = 2\n")
    with pytest.raises(ValueError, match=r"a\.arch:2: unknown .*glb_bytes\\xC0\\xAF"):
        tldse.Accelerator.from_file(path)


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [
        [b"simulate", b"--set", b"pe_rows=\xff"],
        [b"simulate", b"--set", b"\xc0\xaf=1"],
        [b"simulate", b"--set", b"dataflow=\xed\xa0\x80"],
        [b"simulate", b"--workload", b"\xff.csv"],
        [b"sweep", b"--space", b"\xff.toml"],
    ],
)
def test_cli_messages_are_valid_utf8(argv: list[bytes]) -> None:
    """Arguments that are not UTF-8, in a real process (bytes on argv)."""
    r = subprocess.run(
        [sys.executable.encode(), b"-m", b"tldse.cli", *argv],
        capture_output=True,
        env={"PYTHONIOENCODING": "utf-8:surrogateescape", "PATH": "/usr/bin"},
    )
    assert r.returncode == 2, r.stderr
    line = r.stderr.decode("utf-8")  # strict: raises on invalid UTF-8
    assert line.startswith("tldse: error: ") and line.count("\n") == 1, line


# ------------------------------------------------------------ the CLI top level


def test_unexpected_error_is_one_line_and_debug_shows_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tldse.cli import simulate as sim_cli

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("line one\nline two")

    monkeypatch.setattr(sim_cli, "simulate", boom)
    assert main(["simulate", "--workload", "alexnet"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "tldse: error: unexpected RuntimeError: line one\\x0Aline two (rerun with "
        "--debug for the traceback)\n"
    )
    with pytest.raises(RuntimeError):
        main(["--debug", "simulate", "--workload", "alexnet"])


def test_interrupt_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tldse.cli import simulate as sim_cli

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sim_cli, "simulate", interrupted)
    assert main(["simulate", "--workload", "alexnet"]) == 130
    assert capsys.readouterr().err.startswith("tldse: interrupted")


def test_every_command_goes_through_the_top_level() -> None:
    """Every subcommand's handler is reached only through main's try block: each
    parser leaf sets ``func`` (checked by walking the parser)."""
    import argparse

    from tldse.cli.main import build_parser

    def leaves(p: argparse.ArgumentParser, path: list[str]) -> list[list[str]]:
        subs = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            return [path]
        out = []
        for name, child in subs[0].choices.items():
            out += leaves(child, [*path, name])
        return out

    paths = leaves(build_parser(), [])
    assert len(paths) >= 12
    parser = build_parser()
    for path in paths:
        p = parser
        for name in path:
            sub = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
            p = sub[0].choices[name]
        assert callable(p.get_default("func")), path
