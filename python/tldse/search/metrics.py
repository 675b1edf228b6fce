"""Network-level metrics of a sweep, constraints on them and objectives.

Every design gets, for the whole network (layers summed with their counts):

==================  =======================================================
``latency_cycles``  total cycles
``latency_ms``      ``latency_cycles / clock``
``energy_uj``       total energy (dynamic + leakage)
``edp_uj_ms``       ``energy_uj * latency_ms`` (1 uJ*ms = 1e-9 J*s)
``area_mm2``        the design's area
``power_mw``        ``energy_uj / latency_ms`` (average power over the run)
``utilization``     network MACs over busy PE-cycles (docs/model.md)
``dram_bytes``      DRAM traffic
==================  =======================================================
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tldse.arch import CONFIG_COLUMNS

METRICS: tuple[str, ...] = (
    "latency_cycles",
    "latency_ms",
    "energy_uj",
    "edp_uj_ms",
    "area_mm2",
    "power_mw",
    "utilization",
    "dram_bytes",
)
METRIC_INDEX = {name: i for i, name in enumerate(METRICS)}

# name -> (metric column, factor): value in the named unit = column * factor
UNITS: dict[str, tuple[str, float]] = {
    "latency_cycles": ("latency_cycles", 1.0),
    "latency_s": ("latency_ms", 1e-3),
    "latency_ms": ("latency_ms", 1.0),
    "latency_us": ("latency_ms", 1e3),
    "energy_j": ("energy_uj", 1e-6),
    "energy_mj": ("energy_uj", 1e-3),
    "energy_uj": ("energy_uj", 1.0),
    "energy_nj": ("energy_uj", 1e3),
    "energy_pj": ("energy_uj", 1e6),
    "edp_j_s": ("edp_uj_ms", 1e-9),
    "edp_uj_ms": ("edp_uj_ms", 1.0),
    "area_mm2": ("area_mm2", 1.0),
    "area_um2": ("area_mm2", 1e6),
    "power_w": ("power_mw", 1e-3),
    "power_mw": ("power_mw", 1.0),
    "power_uw": ("power_mw", 1e3),
    "utilization": ("utilization", 1.0),
    "dram_bytes": ("dram_bytes", 1.0),
    "dram_mib": ("dram_bytes", 1.0 / 2**20),
}

OBJECTIVES: dict[str, str] = {
    "latency": "latency_ms",
    "energy": "energy_uj",
    "area": "area_mm2",
    "edp": "edp_uj_ms",
    "power": "power_mw",
    "latency_cycles": "latency_cycles",
    "dram_bytes": "dram_bytes",
}

_OPS: dict[str, Callable[[npt.NDArray[np.float64], float], npt.NDArray[np.bool_]]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
}
_CONSTRAINT_RE = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>|=<|=>)\s*(\S+)\s*$"
)


@dataclass(frozen=True)
class Constraint:
    """``metric op value`` with the metric in the unit of its name, e.g.
    ``Constraint("area_mm2", "<=", 4.0)``."""

    metric: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value:g}"

    @property
    def metric_column(self) -> str:
        """The column of :data:`METRICS` it constrains."""
        return UNITS[self.metric][0]

    def mask(self, metrics: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """Which rows of a ``(n, len(METRICS))`` table satisfy it (NaN: False)."""
        column, factor = UNITS[self.metric]
        values = metrics[:, METRIC_INDEX[column]] * factor
        return np.asarray(_OPS[self.op](values, self.value))


def parse_constraint(text: str | Constraint) -> Constraint:
    """``"area_mm2<=4"``, ``"power_mw < 500"``, ``"latency_ms<=10"``; ValueError
    listing the valid metrics and operators otherwise."""
    if isinstance(text, Constraint):
        return text
    m = _CONSTRAINT_RE.match(str(text))
    valid = (
        f"valid metrics: {', '.join(UNITS)}; operators: <=, <, >=, >; e.g. area_mm2<=4"
    )
    if m is None:
        raise ValueError(f"constraint {text!r}: expected METRIC OP NUMBER ({valid})")
    name, op, raw = m.group(1).lower(), m.group(2), m.group(3)
    op = {"=<": "<=", "=>": ">="}.get(op, op)
    if name not in UNITS:
        raise ValueError(f"constraint {text!r}: unknown metric {name!r} ({valid})")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(
            f"constraint {text!r}: {raw!r} is not a number ({valid})"
        ) from None
    if not math.isfinite(value):
        raise ValueError(f"constraint {text!r}: the bound must be finite")
    return Constraint(name, op, value)


def parse_constraints(
    items: Iterable[str | Constraint] | str | None,
) -> list[Constraint]:
    """A list of constraints; a string may hold several separated by commas."""
    if items is None:
        return []
    if isinstance(items, (str, Constraint)):
        items = [items]
    out: list[Constraint] = []
    for item in items:
        if isinstance(item, Constraint):
            out.append(item)
            continue
        for part in str(item).split(","):
            if part.strip():
                out.append(parse_constraint(part))
    return out


def parse_objectives(spec: str | Sequence[str]) -> list[str]:
    """``"latency,energy"`` or ``["edp", "area"]`` -> objective names (1 to 4,
    distinct, all minimised); ValueError listing the valid names otherwise."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    names = [s.strip().lower() for s in items if s.strip()]
    valid = ", ".join(OBJECTIVES)
    if not 1 <= len(names) <= 4:
        raise ValueError(f"objectives: give 1 to 4 of {valid}; got {spec!r}")
    for name in names:
        if name not in OBJECTIVES:
            raise ValueError(f"objectives: unknown {name!r}; valid: {valid}")
    if len(set(names)) != len(names):
        raise ValueError(f"objectives: each may appear once; got {spec!r}")
    return names


def objective_columns(objectives: Sequence[str]) -> list[int]:
    """Column numbers in the metric table of the objectives."""
    return [METRIC_INDEX[OBJECTIVES[o]] for o in objectives]


def network_metrics(
    arrays: Mapping[str, npt.NDArray[np.floating]],
    configs: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Per-network ``evaluate`` arrays + their config table -> the ``(n, 8)``
    metric table (columns ``METRICS``); infeasible designs are rows of NaN."""
    cycles = np.asarray(arrays["latency_cycles"], dtype=np.float64)
    clock_mhz = configs[:, CONFIG_COLUMNS.index("clock_mhz")]
    out = np.empty((len(cycles), len(METRICS)), dtype=np.float64)
    latency_ms = cycles / (clock_mhz * 1e3)
    energy_uj = np.asarray(arrays["energy_pj"], dtype=np.float64) * 1e-6
    out[:, 0] = cycles
    out[:, 1] = latency_ms
    out[:, 2] = energy_uj
    out[:, 3] = energy_uj * latency_ms
    out[:, 4] = np.asarray(arrays["area_um2"], dtype=np.float64) * 1e-6
    with np.errstate(divide="ignore", invalid="ignore"):
        out[:, 5] = energy_uj / latency_ms
    out[:, 6] = arrays["utilization"]
    out[:, 7] = arrays["dram_bytes"]
    bad = np.asarray(arrays["status"]) != 0
    out[bad] = np.nan
    return out
