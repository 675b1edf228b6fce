"""Type stubs for the compiled core (cpp/bindings). Keep in step with the bindings."""

from typing import Any

import numpy as np
import numpy.typing as npt

config_columns: tuple[str, ...]
layer_columns: tuple[str, ...]
result_fields: tuple[str, ...]
status_names: tuple[str, ...]
dataflows: tuple[str, ...]

class EnergyTable:
    name: str
    ref_bits: float
    mac_pj: float
    rf_pj: float
    rf_ref_bytes: float
    noc_pj: float
    glb_pj: float
    glb_ref_bytes: float
    sram_size_exponent: float
    dram_pj: float
    leakage_mw_per_mm2: float
    mac_um2: float
    rf_um2_per_byte: float
    glb_um2_per_byte: float
    noc_um2_per_pe: float
    def __init__(self, name: str = "horowitz45") -> None: ...
    @staticmethod
    def from_file(path: str) -> EnergyTable: ...
    def set(self, key: str, value: float) -> None: ...
    def __copy__(self) -> EnergyTable: ...
    def __deepcopy__(self, memo: dict[int, object]) -> EnergyTable: ...
    def validate(self) -> None: ...
    def area_um2(self, config: npt.ArrayLike) -> float: ...

def evaluate(
    configs: npt.ArrayLike,
    layers: npt.ArrayLike,
    table: EnergyTable,
    threads: int = 0,
    per_network: bool = False,
    objective: str = "edp",
    mapper: str = "heuristic",
) -> dict[str, npt.NDArray[Any]]: ...
def evaluate_layer(
    config: npt.ArrayLike,
    layer: npt.ArrayLike,
    table: EnergyTable,
    objective: str = "edp",
    mapper: str = "heuristic",
) -> dict[str, Any]: ...
def systolic_cycles(
    dataflow: str, sr: int, sc: int, t: int, rows: int, cols: int
) -> float: ...
def default_threads() -> int: ...
def check_config(row: npt.ArrayLike) -> str: ...
def read_topology(path: str) -> tuple[list[str], npt.NDArray[np.int64], str]: ...
def read_scalesim_config(path: str) -> npt.NDArray[np.float64]: ...
def read_arch_file(path: str, base: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
def presets() -> list[tuple[str, str, str, npt.NDArray[np.float64]]]: ...
def builtin_workload(
    name: str, batch: int = 1
) -> tuple[list[str], npt.NDArray[np.int64]]: ...
def builtin_workload_names() -> list[str]: ...
