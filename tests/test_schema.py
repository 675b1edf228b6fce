"""The field schema exported by the C++ core: ``_core.config_fields()`` and
``_core.energy_fields()`` agree with the config columns, the Python defaults and the
built-in energy table; the bounds are enforced; ``EnergyTable`` pickles exactly."""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle
import typing
from pathlib import Path

import numpy as np
import pytest

import tldse
from tldse import _core
from tldse.arch import Accelerator

TYPES = {"int": int, "float": float, "bool": bool}


def test_config_fields_are_the_columns() -> None:
    fields = _core.config_fields()
    assert tuple(f.name for f in fields) == tuple(_core.config_columns)
    assert {f.type for f in fields} <= {"int", "float", "bool", "enum"}
    assert all(f.doc for f in fields)


def test_config_defaults_and_types_equal_the_python_accelerator() -> None:
    hints = typing.get_type_hints(Accelerator)
    defaults = {f.name: f.default for f in dataclasses.fields(Accelerator)}
    row = Accelerator().row()
    for i, f in enumerate(_core.config_fields()):
        assert row[i] == f.default, f.name
        if f.type == "enum":
            assert f.name == "dataflow"
            assert defaults[f.name] == _core.dataflows[int(f.default)]
        else:
            assert hints[f.name] is TYPES[f.type], f.name
            assert float(defaults[f.name]) == f.default, f.name


def _evaluate_row(row: np.ndarray) -> None:
    layer = np.array([[0, 1, 8, 8, 4, 4, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1]], np.float64)
    _core.evaluate(row[None, :], layer, _core.EnergyTable())


@pytest.mark.parametrize("index", range(len(_core.config_columns)))
def test_config_bounds_are_enforced(index: int) -> None:
    f = _core.config_fields()[index]
    row = Accelerator().row()
    row[index] = f.min
    _evaluate_row(row)  # the bounds themselves are valid rows
    below = f.min - 1 if f.type != "float" else -1e-9
    for bad in (below, math.nan, math.inf):
        row[index] = bad
        with pytest.raises(ValueError, match=rf"\b{f.name}\b"):
            _evaluate_row(row)
    if f.type != "float":
        row[index] = f.max * 2 + 2  # above the bound (f.max + 1 rounds at 2**53)
        with pytest.raises(ValueError, match=rf"\b{f.name}\b"):
            _evaluate_row(row)
        row[index] = f.min + 0.5
        with pytest.raises(ValueError, match=rf"\b{f.name}\b"):
            _evaluate_row(row)


def test_energy_fields_are_horowitz45() -> None:
    table = _core.EnergyTable("horowitz45")
    fields = _core.energy_fields()
    assert len(fields) == 14
    for f in fields:
        assert f.type == "float"
        assert getattr(table, f.name) == f.default, f.name
        assert f.doc


def test_energy_bounds() -> None:
    for f in _core.energy_fields():
        t = _core.EnergyTable()
        with pytest.raises(ValueError, match=f.name):
            t.set(f.name, -1.0)
        if f.min > 0:
            with pytest.raises(ValueError, match=f.name):
                t.set(f.name, 0.0)
        t.set(f.name, max(f.min, 0.0))


def _values(t: _core.EnergyTable) -> list[float]:
    return [getattr(t, f.name) for f in _core.energy_fields()]


def test_energy_table_pickles_exactly(tmp_path: Path) -> None:
    custom = _core.EnergyTable("eyeriss")
    custom.set("leakage_mw_per_mm2", 1 / 3)
    custom.set("dram_pj", 123.456789012345678)
    path = tmp_path / "t.toml"
    path.write_text("mac_pj = 0.1\nglb_pj = 3.3\n")
    for t in (_core.EnergyTable(), custom, _core.EnergyTable.from_file(str(path))):
        back = pickle.loads(pickle.dumps(t))
        assert back.name == t.name
        assert _values(back) == _values(t)
        assert _values(copy.deepcopy(t)) == _values(t)
    area = tldse.Accelerator().row()
    assert pickle.loads(pickle.dumps(custom)).area_um2(area) == custom.area_um2(area)


def test_energy_table_bad_state() -> None:
    t = _core.EnergyTable.__new__(_core.EnergyTable)
    with pytest.raises(ValueError, match="15 items"):
        t.__setstate__(("x", 1.0))
