"""Tables that fit: the formats and column choice of :mod:`tldse._util.table`,
every table command of ``tldse`` at 80 columns with stdout not a terminal,
``--format csv|json`` and ``--columns``, and the reprs of result objects."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import tldse
from tldse._util.table import (
    Column,
    fit,
    integer,
    number,
    plural,
    render,
    scaled,
    select,
    spread,
)
from tldse.cli import _common
from tldse.cli.main import main


@pytest.fixture(autouse=True)
def eighty_columns() -> Iterator[None]:
    """The CLI's stdout console at 80 columns, as when stdout is a pipe."""
    before = _common.console.width
    _common.console.width = 80
    try:
        yield
    finally:
        _common.console.width = before


def _check_fits(text: str, width: int = 80, messages: bool = False) -> None:
    """No table line over ``width`` and nothing cut. Message lines (no two
    spaces in a row, unlike every table row) are kept whole when stdout is not a
    terminal, however long, unless ``messages``."""
    long = [
        line
        for line in text.splitlines()
        if len(line) > width and (messages or "  " in line.strip())
    ]
    assert not long, f"lines over {width} columns: {long[:3]}"
    assert "\u2026" not in text  # rich's ellipsis: nothing cut


# ---------------------------------------------------------------- formats


def test_number_formats_keep_the_magnitude() -> None:
    assert number(12345.678) == "12,346"
    assert number(123.456) == "123.5"
    assert number(1.23456) == "1.235"
    assert number(0.0123456) == "0.01235"
    assert number(1.2e-7) == "1.2e-07"
    assert number(3.0) == "3"
    assert number(float("nan")) == "-"
    assert number(None) == "-"
    assert number("os") == "os"
    assert integer(1234567.0) == "1,234,567"
    assert scaled(1e-6)(810_989_545.05) == "811.0"
    assert plural(1, "design") == "1 design"
    assert plural(0, "design") == "0 designs"
    assert plural(12345, "row") == "12,345 rows"


def test_spread_keeps_the_ends() -> None:
    assert spread(5, 10) == [0, 1, 2, 3, 4]
    assert spread(100, 3) == [0, 50, 99]
    assert spread(29, 10)[0] == 0 and spread(29, 10)[-1] == 28


def test_fit_takes_columns_by_priority_within_the_width() -> None:
    cols = [
        Column("name", text=True, priority=0),  # 4 wide (the header)
        Column("a", "aaaaaaaaaa", priority=2),  # 10
        Column("b", "bbbbb", priority=1),  # 5
        Column("c", "cc", priority=3),  # 2
    ]
    rows = [{"name": "x", "a": 1, "b": 2, "c": 3}]
    # name 4 + b 5 + a 10 + c 2, with 2 spaces between columns
    assert [c.key for c in fit(cols, rows, 80)[0]] == ["name", "a", "b", "c"]
    shown, hidden = fit(cols, rows, 4 + 2 + 5 + 2 + 10)
    assert [c.key for c in shown] == ["name", "a", "b"]
    assert [c.key for c in hidden] == ["c"]
    assert [c.key for c in fit(cols, rows, 12)[0]] == ["name", "b"]
    # priority 0 is shown however narrow
    assert [c.key for c in fit(cols, rows, 1)[0]] == ["name"]


def test_select_names_columns_and_rejects_unknown_ones() -> None:
    cols = [Column("a"), Column("b")]
    assert [c.key for c in select(cols, "b,a", ())] == ["b", "a"]
    assert [c.key for c in select(cols, "b,extra", ("extra",))] == ["b", "extra"]
    assert [c.key for c in select(cols, "all", ("a", "z"))] == ["a", "b", "z"]
    with pytest.raises(ValueError, match=r"no column 'q'.*a, b"):
        select(cols, "q", ())


def test_render_never_cuts_a_number() -> None:
    rows = [{"name": "a-very-long-layer-name-indeed" * 2, "v": 123456789012.0}]
    cols = [Column("name", text=True, priority=0), Column("v", "value", priority=0)]
    text = render(cols, rows, width=30)
    _check_fits(text, 30, messages=True)
    assert "123,456,789,012" in text  # whole, on one line


# ---------------------------------------------------------------- the commands


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_simulate_fits_80_columns_with_whole_numbers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc, out, _ = _run(capsys, "simulate")
    assert rc == 0
    _check_fits(out)
    rep = tldse.simulate(tldse.Accelerator(), "resnet50")
    assert f"{rep.latency_cycles:,.0f} cycles" in out
    for layer in rep.layers:  # every layer's latency, whole
        line = next(x for x in out.splitlines() if x.startswith(layer.name + " "))
        assert f"{layer.metrics['latency_cycles']:,.0f}" in line
        assert number(layer.metrics["energy_pj"] / 1e6) in line
    assert "not shown:" in out  # the columns left out are named


def test_simulate_csv_json_and_columns(capsys: pytest.CaptureFixture[str]) -> None:
    rep = tldse.simulate(tldse.Accelerator(), "resnet18")
    want = rep.to_pandas()
    rc, out, _ = _run(capsys, "simulate", "--workload", "resnet18", "--format", "csv")
    assert rc == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(want.columns)
    assert rows[-1]["layer"] == "total" and len(rows) == len(want) + 1
    got = np.array([float(r["energy_pj"]) for r in rows[:-1]])
    np.testing.assert_allclose(got, want["energy_pj"].to_numpy(), rtol=1e-12)
    total = (want["energy_pj"] * want["count"]).sum()  # layers weighted by their count
    np.testing.assert_allclose(float(rows[-1]["energy_pj"]), total, rtol=1e-12)
    rc, out, _ = _run(
        capsys, "simulate", "--workload", "resnet18", "--format", "json",
        "--columns", "layer,dram_weight_reads",
    )  # fmt: skip
    doc = json.loads(out)  # with --columns: one object per layer, those keys only
    assert all(list(r) == ["layer", "dram_weight_reads"] for r in doc)
    assert [r["layer"] for r in doc] == list(want["layer"])
    assert doc[0]["dram_weight_reads"] == want["dram_weight_reads"][0]
    rc, out, _ = _run(
        capsys, "simulate", "--workload", "resnet18", "--columns",
        "layer,stall_cycles,latency_cycles",
    )  # fmt: skip
    header = next(x for x in out.splitlines() if x.startswith("layer"))
    assert header.split() == ["layer", "stall", "cyc", "latency", "cyc"]


def test_a_bad_column_fails_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = _run(capsys, "simulate", "--columns", "layer,nope")
    assert rc == 2 and "no column 'nope'" in err and out == ""
    out_dir = tmp_path / "x"
    rc, _, err = _run(
        capsys, "explore", "--space", "tiny", "--columns", "nope", "--out",
        str(out_dir),
    )  # fmt: skip
    assert rc == 2 and "no column 'nope'" in err
    assert "exploring" not in err and not out_dir.exists()


def test_sweep_and_explore_fronts_fit_and_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, _ = _run(capsys, "sweep", "--space", "tiny", "--out",
                      str(tmp_path / "s"), "--quiet")  # fmt: skip
    assert rc == 0
    _check_fits(out)
    assert "29 designs" in out and "(20 of 29, evenly spread)" in out
    rc, out, err = _run(capsys, "sweep", "--space", "tiny", "--out",
                        str(tmp_path / "s"), "--quiet", "--format", "json")  # fmt: skip
    front = json.loads(out)  # stdout holds only the data; messages on stderr
    assert len(front) == 29 and "wrote" in err
    import pandas as pd

    disk = pd.read_csv(tmp_path / "s" / "front.csv")
    assert sorted(r["index"] for r in front) == sorted(disk["index"])
    assert set(front[0]) == set(disk.columns)
    rc, out, _ = _run(
        capsys, "explore", "--space", "tiny", "--method", "random", "--budget",
        "60", "--out", str(tmp_path / "e"), "--quiet",
    )  # fmt: skip
    assert rc == 0
    _check_fits(out)
    rc, out, _ = _run(
        capsys, "explore", "--space", "tiny", "--method", "random", "--budget",
        "60", "--out", str(tmp_path / "e"), "--quiet", "--format", "csv",
        "--columns", "index,latency_ms",
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out)))
    disk = pd.read_csv(tmp_path / "e" / "front.csv")
    assert list(rows[0]) == ["index", "latency_ms"] and len(rows) == len(disk)


def test_other_tables_fit(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["sweep", "--list-spaces"],
        ["workloads", "list"],
        ["workloads", "show", "resnet50"],
        ["workloads", "show", "gpt2"],
    ):
        rc, out, _ = _run(capsys, *argv)
        assert rc == 0, argv
        _check_fits(out)


# ---------------------------------------------------------------- reprs


def test_simulation_report_repr_summary_html() -> None:
    rep = tldse.simulate(tldse.Accelerator(dataflow="os"), "resnet50")
    text = repr(rep)
    _check_fits(text, messages=True)
    assert len(text.splitlines()) < 25  # bounded, however many layers
    s = rep.summary()
    # totals against a plain sum over the rows (another path than total())
    rows = rep.rows()
    assert s["latency_cycles"] == sum(r["latency_cycles"] * r["count"] for r in rows)
    assert s["energy_uj"] == pytest.approx(
        sum(r["energy_pj"] * r["count"] for r in rows) / 1e6, rel=1e-12
    )
    assert s["layers"] == 54 and s["ok"]
    assert f"{s['latency_cycles']:,.0f} cycles" in text
    assert "os" in text and "LayerReport" not in text
    html = rep._repr_html_()
    assert html.count("<tr>") == 1 + 54 and "conv1" in html
    full = str(rep)
    assert all(layer.name in full for layer in rep.layers)
    _check_fits(full, messages=True)


def test_infeasible_report_says_so() -> None:
    rep = tldse.simulate(tldse.Accelerator(glb_bytes=16), "resnet18")
    assert not rep.ok
    assert "infeasible" in repr(rep)
    assert np.isnan(rep.summary()["latency_cycles"])


def test_evaluation_repr_counts_feasible_designs() -> None:
    designs = [tldse.Accelerator(), tldse.Accelerator(glb_bytes=16)]
    ev = tldse.evaluate(designs, "resnet18")
    s = ev.summary()
    assert s["designs"] == 2 and s["layers"] == len(ev.layer_names)
    assert s["feasible_designs"] == 1  # the 16-byte buffer fits no layer
    text = repr(ev)
    _check_fits(text, messages=True)
    assert "2 designs x" in text and "1 feasible" in text
    assert "<table>" in ev._repr_html_()
    tot = tldse.evaluate(designs, "resnet18", per_network=True)
    assert tot.summary()["layers"] is None and "per network" in repr(tot)


def test_sweep_and_search_result_reprs() -> None:
    r = tldse.sweep("tiny", "resnet18")
    text = repr(r)
    _check_fits(text, messages=True)
    assert f"{len(r.front)} designs" in text
    assert str(r.best["latency"]["index"]) in text  # the fastest design is shown
    assert r.summary()["front_size"] == len(r.front)
    assert r._repr_html_().count("<tr>") == 1 + len(r.front)
    e = tldse.explore("tiny", "resnet18", budget=50, method="random")
    text = repr(e)
    _check_fits(text, messages=True)
    assert "50 evaluations of 576 designs" in text
    assert f"{len(e.front)} design" in text
