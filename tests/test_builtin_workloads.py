"""One copy of the built-in networks: the C++ table of ``tldse-sim --workload`` is
generated from the Python zoo (tools/gen_builtin_workloads.py) and must be fresh."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import numpy as np
import pytest

import tldse
from tldse import _core

ROOT = Path(__file__).resolve().parent.parent


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "gen_builtin_workloads", ROOT / "tools" / "gen_builtin_workloads.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_generated_table_is_fresh() -> None:
    gen = _generator()
    assert gen.OUT.read_text() == gen.render(), (
        "cpp/src/builtin_workloads_table.inc is stale: run "
        "python tools/gen_builtin_workloads.py"
    )


def test_sim_lists_the_zoo(tldse_sim: str) -> None:
    out = subprocess.run(
        [tldse_sim, "--list-workloads"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    listed = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert listed == tldse.workloads.names()
    assert len(listed) == 9


@pytest.mark.parametrize("batch", [1, 3, 64])
def test_every_network_at_any_batch(batch: int) -> None:
    for name in tldse.workloads.names():
        names, table = _core.builtin_workload(name, batch)
        wl = tldse.workloads.get(name, batch=batch)
        assert names == wl.names
        np.testing.assert_array_equal(table, wl.table())


def test_batch_too_large_names_the_layer() -> None:
    with pytest.raises(ValueError, match=r"gpt2 at batch .*layer .*: "):
        _core.builtin_workload("gpt2", 2**30)
