"""``tldse compare`` and ``tldse evaluations`` with the fake command evaluator."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import pytest

import tldse
from tldse.cli import main
from tldse.cli.evaluators import parse_design

FAKE = Path(__file__).parent / "fake_evaluator.py"
CMD = f"command:{sys.executable} {FAKE}"


def test_compare_prints_agreement_and_writes_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, out = tmp_path / "s.sqlite", tmp_path / "rows.csv"
    args = ["compare", "--evaluator", CMD, "--workload", "resnet18", "--layers",
            "conv1,fc", "--design", "tpu-v1", "--design", "dataflow=os,pe_rows=8",
            "--store", str(store), "--csv", str(out), "--no-progress"]  # fmt: skip
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "pairs: 4 of 4 evaluated by both" in text
    assert "latency: MAPE" in text and "speed:" in text
    df = pd.read_csv(out)
    assert len(df) == 4 and set(df["status"]) == {"ok"}
    tpu = tldse.Accelerator.preset("tpu-v1")
    conv1 = tldse.workloads.get("resnet18").layers[0]
    row = df[(df["design"] == 0) & (df["layer"] == "conv1")].iloc[0]
    assert row["latency_cycles"] == math.ceil(conv1.macs / tpu.num_pes) + 10
    ours = tldse.evaluate([tpu], [conv1])["latency_cycles"][0, 0]
    assert row["tldse_latency_cycles"] == ours
    assert row["latency_ratio"] == pytest.approx(row["latency_cycles"] / ours)
    # the rerun takes everything from the store
    assert main(args) == 0
    assert "4 from the store" in capsys.readouterr().out

    assert main(["evaluations", "stats", "--store", str(store)]) == 0
    assert "ok 4" in capsys.readouterr().out
    pq = tmp_path / "all.parquet"
    assert main(["evaluations", "export", "--store", str(store), "--out", str(pq)]) == 0
    assert len(pd.read_parquet(pq)) == 4


def test_compare_samples_a_space(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["compare", "--evaluator", CMD, "--workload", "resnet18", "--layers",
            "fc", "--space", "tiny", "--sample", "3", "--no-store",
            "--no-progress", "--jobs", "2"]  # fmt: skip
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "pairs:" in text and "of 3 evaluated by both" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--evaluator", "timeloop"], "unknown evaluator 'timeloop'"),
        (["--evaluator", "analytical"], "compare tldse with another evaluator"),
        (["--evaluator", CMD, "--design", "warp-drive"], "unknown preset"),
        (["--evaluator", CMD, "--design", "pe_rows=big"], "pe_rows must be a number"),
        (["--evaluator", CMD, "--design", "glb_bytes=0"], "infeasible"),
        (["--evaluator", CMD, "--layers", "conv99"], "--layers: conv99 not in"),
        (["--evaluator", CMD, "--space", "tiny"], "--space needs --sample"),
        (["--evaluator", CMD, "--setting", "x"], "--setting expects KEY=VALUE"),
        (["--evaluator", "scalesim", "--setting", "speed=3"], "unknown setting"),
        (["--evaluator", CMD, "--jobs", "0"], "--jobs must be >= 1"),
        (["--evaluator", CMD, "--space", "tiny", "--sample", "10001"], "N <= 10,000"),
        (["--evaluator", CMD, "--memory-limit", "-5"], "memory_limit_mb must be"),
        (["--evaluator", CMD, "--timeout", "0"], "timeout_s must be > 0"),
        (["--evaluator", CMD, "--batch", "0"], "batch must be an integer >= 1"),
    ],
)
def test_compare_bad_input_names_the_field(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["compare", "--workload", "resnet18", "--no-store", *args])
    assert code == 2
    assert message in capsys.readouterr().err


def test_store_that_is_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["compare", "--evaluator", CMD, "--workload", "resnet18", "--store",
            str(tmp_path), "--no-progress"]  # fmt: skip
    assert main(args) == 2
    assert "is a folder, not an evaluation store file" in capsys.readouterr().err


def test_evaluations_missing_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluations", "stats", "--store", str(tmp_path / "x.sqlite")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_parse_design_bases_and_fields(tmp_path: Path) -> None:
    acc = parse_design("eyeriss,glb_bytes=65536,multicast=off")
    assert acc.dataflow == "rs" and acc.glb_bytes == 65536 and not acc.multicast
    arch = tmp_path / "a.toml"
    arch.write_text("pe_rows = 4\npe_cols = 4\n")
    assert parse_design(f"{arch},dataflow=os").pe_rows == 4
    with pytest.raises(ValueError, match="two bases"):
        parse_design("eyeriss,tpu-v1")


def test_the_example_command_follows_the_protocol(tmp_path: Path) -> None:
    example = Path(__file__).parent.parent / "examples" / "evaluator_command.py"
    out = tmp_path / "rows.csv"
    args = ["compare", "--evaluator", f"command:{sys.executable} {example}",
            "--workload", "resnet18", "--layers", "conv1,conv3_1_proj",
            "--design", "tpu-v1", "--no-store", "--no-progress",
            "--csv", str(out)]  # fmt: skip
    assert main(args) == 0
    df = pd.read_csv(out).set_index("layer")
    tpu = tldse.Accelerator.preset("tpu-v1")
    # conv1 by hand: 9,408 weights, 149,187 real inputs (3 x 223 x 223), 802,816
    # outputs, one byte each (tldse workloads show resnet18 lists the same sizes)
    moved = 9408 + 3 * 223 * 223 + 802816
    conv1 = tldse.workloads.get("resnet18").layers[0]
    compute = math.ceil(conv1.macs / tpu.num_pes)
    memory = math.ceil(moved / tpu.dram_bw_bytes_per_cycle)
    assert df.loc["conv1", "latency_cycles"] == max(compute, memory)
    assert df.loc["conv1", "compute_cycles"] == compute
    assert df.loc["conv1", "energy_pj"] == pytest.approx(
        conv1.macs * 0.25 + moved * 160
    )
