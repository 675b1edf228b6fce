"""``tldse workloads list | show | import`` through a parser built here."""

from __future__ import annotations

import argparse
import csv
import io
import warnings
from pathlib import Path

import pytest

from tldse.cli import workloads as cli_workloads
from tldse.workloads import Workload, from_onnx, zoo


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="tldse")
    cli_workloads.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["workloads", *argv])
    return int(args.func(args))


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("list") == 0
    out = capsys.readouterr().out
    for name in zoo.names():
        assert name in out
    assert "724M" in out and "4.09G" in out
    assert run("list", "--format", "csv") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    by_name = {r["name"]: r for r in rows}
    assert by_name["alexnet"]["macs"] == "724406816"
    assert by_name["gpt2"]["options"] == "seq_len=1024, kv_len"


def test_show_alexnet_batch_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("show", "alexnet", "--batch", "2", "--format", "csv") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    # conv1: 2 x 55 x 55 x 96 x 3 x 11 x 11 MACs; 96 x 3 x 11 x 11 weights;
    # input 2 x 3 x 227 x 227; output 2 x 96 x 55 x 55.
    conv1 = next(r for r in rows if r["layer"] == "conv1")
    assert (conv1["macs"], conv1["weights"]) == ("210830400", "34848")
    assert (conv1["inputs"], conv1["outputs"]) == ("309174", "580800")
    assert conv1["shape"] == "n2 c3 k96 55x55 11x11 /4"
    assert "pad2 g2" in next(r for r in rows if r["layer"] == "conv2")["shape"]
    assert run("show", "alexnet", "--batch", "2") == 0
    out = capsys.readouterr().out
    total = next(line for line in out.splitlines() if " total " in line)
    assert f"{2 * 724_406_816:,}" in total  # twice the batch-1 MACs
    assert "60,954,656" in total  # weights do not grow with the batch


def test_show_options_and_fold(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("show", "bert_base", "-o", "seq_len=32", "--fold") == 0
    out = capsys.readouterr().out
    d, ff, seq = 768, 3072, 32
    expected = 12 * (seq * (4 * d * d + 2 * d * ff) + 2 * seq * seq * d)
    assert f"{expected:,}" in out
    assert "5 rows" in out  # five distinct shapes


def test_show_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Layer, M, N, K,\nfc, 4, 10, 20,\n")
    assert run("show", str(path), "--batch", "3") == 0
    assert f"{3 * 4 * 10 * 20:,}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("show", "resnet51"), "unknown workload 'resnet51'; built-in: alexnet"),
        (("show", "gpt2", "-o", "kvlen=3"), "valid options: seq_len, kv_len"),
        (("show", "gpt2", "-o", "kv_len=x"), "option kv_len: expected a positive"),
        (("show", "gpt2", "-o", "kv_len=0"), "option kv_len: expected a positive"),
        (("show", "gpt2", "-o", "kv_len"), "--option expects KEY=VALUE"),
        (("show", "alexnet", "--batch", "0"), "--batch must be a positive integer"),
        (("import", "model.pt", "--out", "x.csv"), "only ONNX models"),
        (("import", "m.onnx", "--out", "/no/such/dir/x.csv"), "does not exist"),
    ],
)
def test_bad_input(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run(*argv)


def test_no_action_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run() == 0
    assert "list" in capsys.readouterr().out


def test_import_onnx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, stride=2, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(8, 8, 3, padding=1, groups=8),
        torch.nn.Flatten(),
        torch.nn.Linear(8 * 8 * 8, 10),
    ).eval()
    onnx_path = tmp_path / "small.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated
        torch.onnx.export(
            model, (torch.randn(2, 3, 16, 16),), str(onnx_path), dynamo=False
        )
    out = tmp_path / "net.csv"
    assert run("import", str(onnx_path), "--out", str(out)) == 0
    printed = capsys.readouterr().out
    assert "3 layers" in printed and "Relu" in printed
    lines = out.read_text().splitlines()
    assert lines[0] == (
        "name,kind,n,k,c,p,q,r,s,stride_h,stride_w,pad_h,pad_w,dil_h,dil_w,groups,count"
    )
    back = Workload.read(out)
    assert [x.kind for x in back] == ["conv", "dwconv", "gemm"]
    # by hand: 16x16 -> 8x8 (3x3 /2 pad 1), depthwise 8 groups, Linear 512 -> 10
    assert [(x.n, x.k, x.c, x.p, x.q, x.groups) for x in back] == [
        (2, 8, 3, 8, 8, 1),
        (2, 8, 8, 8, 8, 8),
        (1, 10, 512, 2, 1, 1),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert back.layers == from_onnx(onnx_path).layers
    sc = tmp_path / "net_scalesim.csv"
    assert (
        run("import", str(onnx_path), "--out", str(sc), "--format", "scalesim-gemm")
        == 0
    )
    assert Workload.read(sc).macs == back.macs
