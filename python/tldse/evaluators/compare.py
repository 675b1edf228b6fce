"""Agreement of tldse's analytical model with another evaluator, layer by layer.

:func:`compare` runs the evaluator (through :func:`evaluate_designs`: store,
parallelism, timeouts) and tldse's model on the same designs and distinct layers,
and reports per pair the two latencies, compute and stall cycles and energies with
their ratios (evaluator / tldse), where they differ (``compute``, ``stall``, an
energy level), and over all pairs the mean absolute percentage error and the speed
ratio: the evaluator's CPU seconds per evaluation over tldse's, with tldse timed in
the same run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tldse import _core
from tldse.arch import Accelerator
from tldse.evaluators.analytical import AnalyticalEvaluator
from tldse.evaluators.base import STATUSES, Evaluator
from tldse.evaluators.runner import (
    EvaluationBatch,
    evaluate_designs,
)
from tldse.evaluators.store import EvaluationStore
from tldse.sim import evaluate
from tldse.workloads.layer import Layer, Workload

if TYPE_CHECKING:
    import pandas as pd

#: tldse's energy levels as the evaluators name them.
ENERGY_LEVELS: tuple[str, ...] = ("mac", "rf", "noc", "glb", "dram")
_TIMING_S = 0.2


@dataclass
class Comparison:
    """Per-pair ``frame`` (one row per design x distinct layer) and the
    ``summary`` numbers (see :func:`compare`)."""

    frame: pd.DataFrame
    summary: dict[str, float]
    batch: EvaluationBatch
    notes: list[str] = field(default_factory=list)


def _tldse_breakdown(
    design: Accelerator,
    layer: Layer,
    energy: str,
    mapper_objective: str,
    mapper: str,
) -> dict[str, float]:
    table = (
        _core.EnergyTable(energy)
        if energy in ("horowitz45", "eyeriss")
        else (_core.EnergyTable.from_file(energy))
    )
    lrow = np.asarray(layer.row(), dtype=np.float64)
    d = _core.evaluate_layer(design.row(), lrow, table, mapper_objective, mapper)
    out = {f"energy_{lv}_pj": 0.0 for lv in ENERGY_LEVELS}
    out["energy_mac_pj"] = float(d["mac_energy_pj"])
    for key, value in d["energy_breakdown"].items():
        level = str(key).split("_")[0]
        out[f"energy_{level}_pj"] += float(value)
    return out


def _time_tldse(model: AnalyticalEvaluator, designs: Any, wl: Workload) -> float:
    """CPU seconds per (design, layer) evaluation of tldse's model on these pairs
    (one thread; repeated until 0.2 s have passed)."""
    pairs = len(designs) * len(wl)
    reps, cpu = 0, 0.0
    while cpu < _TIMING_S:
        c0 = time.process_time()
        evaluate(
            designs,
            wl,
            energy=model.energy,
            threads=1,
            mapper_objective=model.mapper_objective,
            mapper=model.mapper,
        )
        cpu += time.process_time() - c0
        reps += 1
    return cpu / (reps * pairs)


def compare(
    evaluator: Evaluator,
    designs: Sequence[Accelerator] | npt.ArrayLike,
    workload: Workload | Sequence[Layer],
    *,
    energy: str | None = None,
    mapper_objective: str = "edp",
    mapper: str = "heuristic",
    store: EvaluationStore | str | None = None,
    jobs: int = 1,
    scheduler: Any = None,
    timeout_s: float | None = None,
    retry_failed: bool = False,
    progress: bool = False,
) -> Comparison:
    """Runs ``evaluator`` and tldse's model on ``designs`` x the distinct layers of
    ``workload``. ``energy`` (tldse's table) defaults to the evaluator's own
    ``energy`` setting when it has one, else ``horowitz45``.

    Summary keys: ``pairs``, ``ok`` (pairs both evaluated), ``latency_mape_pct``,
    ``latency_ratio_median/min/max``, ``compute_exact`` (pairs whose compute cycles
    agree exactly, where the evaluator reports them), ``energy_mape_pct``,
    ``energy_ratio_median/min/max`` (when it has energy),
    ``evaluator_cpu_s_per_eval`` (the tool's processes' CPU over the pairs run,
    start-up and failures included), ``evaluator_cpu_s_median`` (the median of the
    ok pairs' own CPU time), ``tldse_cpu_s_per_eval``, ``speed_ratio`` (the
    first over tldse's).
    """
    import pandas as pd

    energy = energy or str(getattr(evaluator, "energy", "horowitz45"))
    model = AnalyticalEvaluator(
        energy=energy,
        mapper_objective=mapper_objective,  # type: ignore[arg-type]
        mapper=mapper,  # type: ignore[arg-type]
    )
    batch = evaluate_designs(
        evaluator,
        designs,
        workload,
        store=store,
        jobs=jobs,
        scheduler=scheduler,
        timeout_s=timeout_s,
        retry_failed=retry_failed,
        progress=progress,
    )
    ours = evaluate_designs(model, batch.designs, batch.layers)
    per_eval = _time_tldse(model, batch.designs, batch.layers)
    peer_compute = batch.extra("compute_cycles")
    peer_stall = batch.extra("stall_cycles")
    our_compute = ours.extra("compute_cycles")
    our_stall = ours.extra("stall_cycles")
    rows = []
    for i, row in enumerate(batch.designs):
        acc = Accelerator.from_row(row)
        for j, layer in enumerate(batch.layers):
            both = bool(batch.ok[i, j] and ours.ok[i, j])
            rec: dict[str, Any] = {
                "design": i,
                "dataflow": acc.dataflow,
                "layer": layer.name,
                "count": layer.count,
                "status": STATUSES[batch.status[i, j]],
                "message": batch.message[i, j],
                "cached": bool(batch.cached[i, j]),
                "tldse_latency_cycles": ours.latency_cycles[i, j],
                "latency_cycles": batch.latency_cycles[i, j],
                "latency_ratio": batch.latency_cycles[i, j] / ours.latency_cycles[i, j],
                "tldse_compute_cycles": our_compute[i, j],
                "compute_cycles": peer_compute[i, j],
                "tldse_stall_cycles": our_stall[i, j],
                "stall_cycles": peer_stall[i, j],
                "tldse_energy_pj": ours.energy_pj[i, j],
                "energy_pj": batch.energy_pj[i, j],
                "energy_ratio": batch.energy_pj[i, j] / ours.energy_pj[i, j],
            }
            peer_extras = batch.extras_of(i, j)
            levels = {}
            if (
                both
                and evaluator.has_energy
                and any(f"energy_{lv}_pj" in peer_extras for lv in ENERGY_LEVELS)
            ):
                levels = _tldse_breakdown(acc, layer, energy, mapper_objective, mapper)
                for lv in ENERGY_LEVELS:
                    rec[f"tldse_energy_{lv}_pj"] = levels[f"energy_{lv}_pj"]
                    rec[f"energy_{lv}_pj"] = float(
                        peer_extras.get(f"energy_{lv}_pj", 0.0)
                    )
            rec["differs_in"] = _where(rec, levels) if both else ""
            rec["cpu_s"] = batch.cpu_s[i, j]
            rows.append(rec)
    frame = pd.DataFrame(rows)
    ok = frame[frame["status"] == "ok"]
    summary: dict[str, float] = {"pairs": float(len(frame)), "ok": float(len(ok))}
    if len(ok):
        summary.update(_agreement(ok, "latency_cycles", "latency"))
        comp = ok.dropna(subset=["compute_cycles"])
        summary["compute_compared"] = float(len(comp))
        summary["compute_exact"] = float(
            (comp["compute_cycles"] == comp["tldse_compute_cycles"]).sum()
        )
        if evaluator.has_energy and ok["energy_pj"].notna().any():
            summary.update(_agreement(ok, "energy_pj", "energy"))
    stats = batch.stats
    if stats.evaluated and stats.evaluator_cpu_s > 0:
        peer_per_eval = stats.evaluator_cpu_s / stats.evaluated
        summary["evaluator_timed_in_this_run"] = 1.0
    else:  # everything came from the store: the time the results took then
        cpu = batch.cpu_s[batch.ok]
        cpu = cpu[np.isfinite(cpu)]
        peer_per_eval = float(cpu.mean()) if cpu.size else math.nan
        summary["evaluator_timed_in_this_run"] = 0.0
    summary["evaluator_cpu_s_per_eval"] = peer_per_eval
    layer_cpu = batch.cpu_s[batch.ok]
    layer_cpu = layer_cpu[np.isfinite(layer_cpu)]
    summary["evaluator_cpu_s_median"] = (
        float(np.median(layer_cpu)) if layer_cpu.size else math.nan
    )
    summary["tldse_cpu_s_per_eval"] = per_eval
    summary["speed_ratio"] = peer_per_eval / per_eval
    return Comparison(frame, summary, batch)


def _agreement(ok: pd.DataFrame, column: str, prefix: str) -> dict[str, float]:
    """MAPE (relative to the evaluator) and the evaluator / tldse ratio range."""
    peer = ok[column].to_numpy(dtype=float)
    ours = ok[f"tldse_{column}"].to_numpy(dtype=float)
    ratio = peer / ours
    return {
        f"{prefix}_mape_pct": float(np.mean(np.abs(ours - peer) / peer) * 100),
        f"{prefix}_ratio_median": float(np.median(ratio)),
        f"{prefix}_ratio_min": float(ratio.min()),
        f"{prefix}_ratio_max": float(ratio.max()),
    }


def _where(rec: dict[str, Any], levels: dict[str, float]) -> str:
    """Where the evaluator and tldse differ most: ``exact``, ``compute``,
    ``stall``, and the energy level with the largest absolute gap."""
    parts = []
    lat, tl = rec["latency_cycles"], rec["tldse_latency_cycles"]
    comp, tc = rec["compute_cycles"], rec["tldse_compute_cycles"]
    if lat == tl:
        parts.append("exact")
    elif not math.isfinite(comp):
        parts.append("latency")  # the evaluator gives no compute/stall split
    elif comp != tc:
        parts.append("compute")
    else:
        parts.append("stall")
    if levels:
        gaps = {
            lv: abs(rec[f"energy_{lv}_pj"] - rec[f"tldse_energy_{lv}_pj"])
            for lv in ENERGY_LEVELS
        }
        parts.append("energy:" + max(gaps, key=lambda k: gaps[k]))
    return " ".join(parts)
