"""Accelerator design points and energy tables."""

from __future__ import annotations

import copy
import dataclasses
import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple, cast

import numpy as np
import numpy.typing as npt

from tldse import _core
from tldse._util.text import utf8_errors

Dataflow = Literal["ws", "os", "is", "rs"]
DATAFLOWS: tuple[Dataflow, ...] = ("ws", "os", "is", "rs")
#: The config fields as the C++ core defines them, once (``cpp/.../schema.hpp``):
#: name, type (``int``, ``float``, ``bool``, ``enum``), default, bounds, doc.
CONFIG_FIELDS: tuple[_core.FieldInfo, ...] = tuple(_core.config_fields())
CONFIG_COLUMNS: tuple[str, ...] = tuple(f.name for f in CONFIG_FIELDS)
#: Config fields that hold whole numbers (``int`` fields, and the enum / bool codes).
INT_COLUMNS: frozenset[str] = frozenset(
    f.name for f in CONFIG_FIELDS if f.type in ("int", "enum", "bool")
)
_DEFAULT = {f.name: f.default for f in CONFIG_FIELDS}
#: Column name -> its position in a config row.
CONFIG_INDEX: dict[str, int] = {name: i for i, name in enumerate(CONFIG_COLUMNS)}

EnergyTable = _core.EnergyTable


class ScaleSimWarning(UserWarning):
    """A SCALE-Sim file means something tldse models differently (one shared DRAM
    port instead of one per buffer, sparsity, custom layouts): the message says
    what and how tldse reads it (docs/model.md, "SCALE-Sim files")."""


def warn_scalesim(messages: Iterable[str], stacklevel: int = 3) -> None:
    """Emits one :class:`ScaleSimWarning` per message of a C++ reader."""
    for message in messages:
        warnings.warn(str(message), ScaleSimWarning, stacklevel=stacklevel)


@dataclass(frozen=True)
class Accelerator:
    """One accelerator design point: the architecture template of docs/model.md.

    Sizes are bytes, bandwidths bytes per cycle. ``glb_input_bytes``,
    ``glb_weight_bytes`` and ``glb_output_bytes`` split the global buffer into
    per-tensor partitions (SCALE-Sim's three SRAMs); 0 means one shared buffer.
    ``rf_input_bytes``, ``rf_weight_bytes`` and ``rf_output_bytes`` do the same for
    each PE's register file (Eyeriss's three scratchpads).
    """

    # The fields, their types and defaults are those of CONFIG_FIELDS (the C++
    # schema); they are spelled out here for type checkers, and a test holds them
    # equal to the schema.
    dataflow: Dataflow = DATAFLOWS[int(_DEFAULT["dataflow"])]
    pe_rows: int = int(_DEFAULT["pe_rows"])
    pe_cols: int = int(_DEFAULT["pe_cols"])
    rf_bytes: int = int(_DEFAULT["rf_bytes"])
    rf_input_bytes: int = int(_DEFAULT["rf_input_bytes"])
    rf_weight_bytes: int = int(_DEFAULT["rf_weight_bytes"])
    rf_output_bytes: int = int(_DEFAULT["rf_output_bytes"])
    glb_bytes: int = int(_DEFAULT["glb_bytes"])
    glb_input_bytes: int = int(_DEFAULT["glb_input_bytes"])
    glb_weight_bytes: int = int(_DEFAULT["glb_weight_bytes"])
    glb_output_bytes: int = int(_DEFAULT["glb_output_bytes"])
    dram_bw_bytes_per_cycle: float = _DEFAULT["dram_bw_bytes_per_cycle"]
    glb_bw_bytes_per_cycle: float = _DEFAULT["glb_bw_bytes_per_cycle"]
    multicast: bool = bool(_DEFAULT["multicast"])
    weight_bits: int = int(_DEFAULT["weight_bits"])
    act_bits: int = int(_DEFAULT["act_bits"])
    psum_bits: int = int(_DEFAULT["psum_bits"])
    clock_mhz: float = _DEFAULT["clock_mhz"]

    def __post_init__(self) -> None:
        if self.dataflow not in DATAFLOWS:
            raise ValueError(
                f"dataflow must be one of {', '.join(DATAFLOWS)}; got {self.dataflow!r}"
            )
        for name in CONFIG_COLUMNS[1:]:
            v = getattr(self, name)
            if isinstance(v, str) or not isinstance(v, (int, float, np.number, bool)):
                raise ValueError(f"{name} must be a number, got {v!r}")
            try:
                fv = float(v)
            except OverflowError:
                fv = math.inf
            if not math.isfinite(fv) or fv < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
        # The C++ side checks everything else (integers, precisions) with named fields.
        _core.check_config(self.row())

    def row(self) -> npt.NDArray[np.float64]:
        """This design as one row of the config table."""
        values = [float(DATAFLOWS.index(self.dataflow))] + [
            float(getattr(self, name)) for name in CONFIG_COLUMNS[1:]
        ]
        return np.array(values, dtype=np.float64)

    @classmethod
    def from_row(cls, row: npt.ArrayLike) -> Accelerator:
        """The design of one config-table row; the same rules as ``evaluate``:
        ``dataflow`` a code 0..3, ``multicast`` 0 or 1, PE counts and precisions
        integers (ValueError naming the column otherwise, never a rounding)."""
        arr = np.asarray(row, dtype=np.float64).reshape(-1)
        if arr.shape[0] != len(CONFIG_COLUMNS):
            raise ValueError(f"a config row has {len(CONFIG_COLUMNS)} values")
        _core.check_config(arr)
        kwargs: dict[str, Any] = {}
        for f, v in zip(CONFIG_FIELDS, arr, strict=True):
            fv = float(v)
            whole = math.isfinite(fv) and fv.is_integer()
            if f.type in ("int", "enum") and not whole:
                raise ValueError(f"{f.name} must be an integer, got {fv!r}")
            if f.type == "enum":
                if fv not in range(len(DATAFLOWS)):
                    raise ValueError(
                        f"dataflow must be a code 0..{len(DATAFLOWS) - 1} "
                        f"({', '.join(DATAFLOWS)}), got {fv!r}"
                    )
                kwargs[f.name] = DATAFLOWS[int(fv)]
            elif f.type == "bool":
                if fv not in (0.0, 1.0):
                    raise ValueError(f"{f.name} must be 0 or 1, got {fv!r}")
                kwargs[f.name] = fv == 1.0
            elif f.type == "int":
                kwargs[f.name] = int(fv)
            else:
                kwargs[f.name] = fv
        return cls(**kwargs)

    def replace(self, **changes: Any) -> Accelerator:
        unknown = set(changes) - set(CONFIG_COLUMNS)
        if unknown:
            raise ValueError(
                f"unknown field(s) {sorted(unknown)}; "
                f"valid: {', '.join(CONFIG_COLUMNS)}"
            )
        return dataclasses.replace(self, **changes)

    def set_from_text(self, key: str, value: str) -> Accelerator:
        """A copy with one field set from text by ``tldse-sim --set``'s rules (the
        same C++ parser): ``dataflow`` ws/os/is/rs, ``multicast``
        true/false/on/off/yes/no/1/0, whole numbers for integer fields, decimal
        numbers otherwise; anything else is a ValueError naming the field."""
        # bytes: text from argv that is not UTF-8 (surrogate escapes) reaches the C++
        # parser as it was typed, and its message escapes it
        raw = [t.encode("utf-8", "surrogateescape") for t in (key, value)]
        return Accelerator.from_row(_core.set_arch_field(self.row(), *raw))

    def infeasibility(self) -> str:
        """Why this design cannot be built ('' when it can)."""
        return str(_core.check_config(self.row()))

    @property
    def num_pes(self) -> int:
        return self.pe_rows * self.pe_cols

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> Accelerator:
        """A published design (see :func:`presets` and docs/presets.md), with
        ``overrides`` applied field by field, e.g.
        ``Accelerator.preset("eyeriss", glb_bytes=65536)``.

        Names are case-insensitive; unknown names or fields raise ValueError
        listing the valid ones.
        """
        acc = cls.from_row(_preset_entry(name)[2])
        return acc.replace(**overrides) if overrides else acc

    @classmethod
    def from_scalesim_config(cls, path: str | Path) -> Accelerator:
        """Reads a SCALE-Sim v2 or v3 ``.cfg`` as docs/model.md ("SCALE-Sim files")
        describes: ``InterfaceBandwidth: CALC`` is no DRAM limit; in ``USER`` mode
        the buffers' DRAM ports (v3: ``[layout]`` bank bandwidths for ifmap and
        filter, ``Bandwidth`` for ofmap) become one shared port, which a
        :class:`ScaleSimWarning` points out."""
        with utf8_errors(path):
            row, _version, _calc, messages = _core.read_scalesim_config(str(path))
        warn_scalesim(messages)
        return cls.from_row(row)

    @classmethod
    def from_file(
        cls, path: str | Path, base: Accelerator | None = None
    ) -> Accelerator:
        """Reads a tldse ``key = value`` architecture file over ``base``."""
        base = base or cls()
        with utf8_errors(path):
            row = _core.read_arch_file(str(path), base.row())
        return cls.from_row(row)


class PresetInfo(NamedTuple):
    """What a preset models and where its numbers come from."""

    description: str
    source: str


def _preset_table() -> dict[str, tuple[str, str, npt.NDArray[np.float64]]]:
    return {
        name: (description, source, row)
        for name, description, source, row in _core.presets()
    }


def presets() -> list[str]:
    """Names of the accelerator presets (``Accelerator.preset(name)``)."""
    return [entry[0] for entry in _core.presets()]


def _preset_entry(name: str) -> tuple[str, str, npt.NDArray[np.float64]]:
    if not isinstance(name, str):
        raise ValueError(f"a preset name must be a string, got {name!r}")
    table = _preset_table()
    entry = table.get(name.strip().lower())
    if entry is None:
        raise ValueError(f"unknown preset {name!r}; valid: {', '.join(table)}")
    return entry


def preset_info(name: str) -> PresetInfo:
    """The description and source of a preset; ValueError for an unknown name."""
    description, source, _ = _preset_entry(name)
    return PresetInfo(description, source)


#: Names of the built-in energy tables (``default`` is ``horowitz45``).
BUILTIN_TABLES: tuple[str, ...] = ("horowitz45", "default", "eyeriss")


def _unknown_table(name: str) -> str:
    import difflib

    near = difflib.get_close_matches(name.lower(), BUILTIN_TABLES, n=1, cutoff=0.5)
    hint = f" (did you mean {near[0]}?)" if near else ""
    return (
        f"energy table {name!r} is neither a built-in table "
        f"({', '.join(BUILTIN_TABLES)}) nor an existing file{hint}"
    )


def energy_table(
    table: str | Path | EnergyTable | None = None,
    overrides: Mapping[str, float] | None = None,
) -> EnergyTable:
    """``horowitz45`` (default), ``eyeriss``, a file path, or an EnergyTable."""
    if table is None:
        t = _core.EnergyTable("horowitz45")
    elif isinstance(table, _core.EnergyTable):
        if not overrides:
            return table
        t = copy.copy(table)  # overrides never change the caller's table
    elif str(table) in BUILTIN_TABLES:
        t = _core.EnergyTable(str(table))
    elif not Path(table).is_file():
        raise ValueError(_unknown_table(str(table)))
    else:
        with utf8_errors(table):
            t = _core.EnergyTable.from_file(str(table))
    for key, value in (overrides or {}).items():
        t.set(key, float(value))
    return t


def config_table(
    configs: Iterable[Accelerator] | npt.ArrayLike | Any,
) -> npt.NDArray[np.float64]:
    """Converts designs to the (n, 18) float64 config table.

    Accepts a list of Accelerator, a pandas DataFrame with config-column names
    (missing columns take the Accelerator defaults; ``dataflow`` may be text), or a
    numeric array with the 18 columns of CONFIG_COLUMNS in order.
    """
    if isinstance(configs, Accelerator):
        return configs.row()[None, :]
    if hasattr(configs, "columns") and hasattr(configs, "to_numpy"):
        return _frame_to_table(configs)
    if isinstance(configs, np.ndarray):
        arr = configs
    else:
        items = list(cast(Iterable[Any], configs))
        if items and all(isinstance(x, Accelerator) for x in items):
            return np.stack([x.row() for x in items])
        arr = np.asarray(items)
    if arr.dtype.kind not in "fiub":
        raise ValueError(
            "configs must be numeric (or a DataFrame / list of Accelerator)"
        )
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != len(CONFIG_COLUMNS):
        raise ValueError(
            f"configs must have shape (n, {len(CONFIG_COLUMNS)}) with columns "
            f"{', '.join(CONFIG_COLUMNS)}; got {arr.shape}"
        )
    return np.ascontiguousarray(arr)


def _frame_to_table(df: Any) -> npt.NDArray[np.float64]:
    names = [str(c) for c in df.columns]
    twice = sorted({c for c in names if names.count(c) > 1})
    if twice:
        raise ValueError(f"config column(s) given twice: {', '.join(twice)}")
    unknown = [c for c in df.columns if c not in CONFIG_COLUMNS]
    if unknown:
        raise ValueError(
            f"unknown config column(s) {unknown}; valid: {', '.join(CONFIG_COLUMNS)}"
        )
    defaults = Accelerator().row()
    out = np.repeat(defaults[None, :], len(df), axis=0)
    for j, name in enumerate(CONFIG_COLUMNS):
        if name not in df.columns:
            continue
        col = df[name].to_numpy()
        if name == "dataflow" and col.dtype.kind in "OUS":
            codes = []
            for v in col:
                if str(v) not in DATAFLOWS:
                    raise ValueError(
                        f"dataflow must be one of {', '.join(DATAFLOWS)}; got {v!r}"
                    )
                codes.append(DATAFLOWS.index(str(v)))
            out[:, j] = codes
        else:
            try:
                out[:, j] = np.asarray(col, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"config column {name} must be numeric") from exc
    return out


#: The numeric fields of an energy table (every field but ``name``), from the C++
#: schema.
ENERGY_FIELDS: tuple[str, ...] = tuple(f.name for f in _core.energy_fields())


def energy_spec(energy: str | Path | EnergyTable | None) -> dict[str, Any]:
    """An energy table as plain data (name + every field): JSON-ready, comparable
    in manifests, and picklable for worker processes."""
    t = energy_table(energy)
    return {"name": str(t.name), **{k: float(getattr(t, k)) for k in ENERGY_FIELDS}}


def energy_from_spec(spec: Mapping[str, Any]) -> EnergyTable:
    """The :class:`EnergyTable` of an :func:`energy_spec`."""
    base = str(spec["name"])
    t = energy_table(base if base in ("horowitz45", "eyeriss") else None)
    for key in ENERGY_FIELDS:
        t.set(key, float(spec[key]))
    return t
