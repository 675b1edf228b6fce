"""What an exploration searches and how its simulations are made and counted.

:class:`Problem` (space, weighted workloads, objectives, constraints, energy table,
mapper) simulates designs; :class:`SimulationCache` keeps its simulations in a file
so a killed search simulates nothing twice; :class:`Oracle` counts distinct
simulated designs under a budget; :class:`SearchResult` (built by :func:`finish`)
is what every search method returns. Shared by the surrogate loop
(:mod:`tldse.exploration.surrogate`) and the baselines
(:mod:`tldse.exploration.baselines`).
"""

from __future__ import annotations

import html
import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tldse._util.io import differences, package_version, write_atomic
from tldse._util.table import plural, to_html, wrap
from tldse.arch import CONFIG_INDEX, EnergyTable, energy_from_spec, energy_spec
from tldse.evaluators.runner import RunStats
from tldse.search.metrics import (
    METRIC_INDEX,
    METRICS,
    OBJECTIVES,
    Constraint,
    objective_columns,
    parse_constraints,
    parse_objectives,
)
from tldse.search.pareto import ParetoArchive
from tldse.search.results import (
    best_designs,
    design_columns,
    front_table,
    results_frame,
)
from tldse.search.sweep import evaluate_designs
from tldse.sim import evaluate
from tldse.space import DesignSpace
from tldse.workloads.fold import fold
from tldse.workloads.layer import Workload
from tldse.workloads.resolve import resolve_workload

if TYPE_CHECKING:
    import pandas as pd

    from tldse.evaluators.base import Evaluator
    from tldse.evaluators.runner import EvaluationBatch
    from tldse.evaluators.store import EvaluationStore
    from tldse.learn.model import Surrogate

#: Precomputed per-workload metric tables of the whole space (or one table).
Lookup = npt.NDArray[np.float64] | Sequence[npt.NDArray[np.float64]] | None


class SearchError(ValueError):
    """A search that cannot run as asked."""


def _expensive(evaluator: Evaluator | str | None) -> Evaluator | None:
    """The evaluator to run through the evaluation machinery, or ``None`` for
    tldse's analytical model (called in C++ directly: the cheap path)."""
    if evaluator is None:
        return None
    from tldse.evaluators import get_evaluator

    ev = get_evaluator(evaluator) if isinstance(evaluator, str) else evaluator
    if not ev.expensive:
        return None  # the analytical model: same numbers, the direct path
    return ev


# ---------------------------------------------------------------- the problem


@dataclass
class Problem:
    """What is searched: a space, one or more weighted workloads, objectives and
    constraints. With several workloads the metrics are weighted sums (latency,
    energy, DRAM bytes; utilization a weighted mean), area is the design's, and
    EDP / power derive from the summed latency and energy."""

    space: DesignSpace
    workloads: list[Workload]
    weights: list[float]
    objectives: list[str]
    constraints: list[Constraint]
    energy: dict[str, Any] = field(default_factory=dict)
    mapper: str = "heuristic"
    mapper_objective: str = "edp"
    threads: int | None = None
    #: where simulations are kept and found again (``tldse explore --out``)
    cache: SimulationCache | None = field(default=None, repr=False, compare=False)
    #: who evaluates designs: ``None`` is tldse's analytical model, called in C++
    #: directly; an expensive :class:`~tldse.evaluators.Evaluator` (SCALE-Sim,
    #: ZigZag, a command) runs through :func:`tldse.evaluators.evaluate_designs`
    #: with the settings below
    evaluator: Evaluator | None = field(default=None, repr=False, compare=False)
    #: the evaluation store of an expensive evaluator (results kept as they finish)
    store: EvaluationStore | None = field(default=None, repr=False, compare=False)
    jobs: int = 1
    timeout_s: float | None = None
    scheduler: Any = field(default=None, repr=False, compare=False)
    progress: bool = field(default=False, repr=False, compare=False)
    #: what the expensive evaluator's calls cost so far (summed over calls)
    evaluator_stats: RunStats = field(
        default_factory=RunStats, repr=False, compare=False
    )
    #: per design, per workload: (latency, energy) of its folded layers (NaN where
    #: not ok) from the expensive evaluator, so network metrics and per-layer
    #: training rows of one design come from one evaluation
    _layer_memo: dict[int, list[npt.NDArray[np.float64]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def create(
        cls,
        space: DesignSpace | str | Path,
        workloads: Workload | str | Sequence[Workload | str],
        *,
        weights: Sequence[float] | None = None,
        objectives: str | Sequence[str] = "latency,energy,area",
        constraints: Iterable[str | Constraint] | str | None = None,
        energy: str | Path | EnergyTable | None = None,
        mapper: str = "heuristic",
        mapper_objective: str = "edp",
        threads: int | None = None,
        evaluator: Evaluator | str | None = None,
        store: EvaluationStore | str | Path | None = None,
        jobs: int = 1,
        timeout_s: float | None = None,
        scheduler: Any = None,
        progress: bool = False,
    ) -> Problem:
        """``evaluator``: ``None`` or ``"analytical"`` (tldse's model), or an
        expensive evaluator (an :class:`~tldse.evaluators.Evaluator` or a name for
        :func:`~tldse.evaluators.get_evaluator`), run ``jobs`` processes at a time
        (or on the Dask ``scheduler``) with ``timeout_s`` per layer, its results
        kept in ``store`` as they finish. Objectives and constraints on metrics the
        evaluator does not report (energy, for SCALE-Sim) are refused."""
        ev = _expensive(evaluator)
        sp = space if isinstance(space, DesignSpace) else DesignSpace.load(space)
        sp._check_indexable()
        items: list[Workload | str] = (
            [workloads] if isinstance(workloads, (Workload, str)) else list(workloads)
        )
        if not items:
            raise SearchError("give at least one workload")
        wls = [resolve_workload(w) for w in items]
        w = [1.0] * len(wls) if weights is None else [float(x) for x in weights]
        if len(w) != len(wls) or any(not (x > 0 and math.isfinite(x)) for x in w):
            raise SearchError(
                f"weights: expected {len(wls)} positive numbers, got {list(w)}"
            )
        problem = cls(
            space=sp,
            workloads=wls,
            weights=w,
            objectives=parse_objectives(objectives),
            constraints=parse_constraints(constraints),
            energy=energy_spec(energy),
            mapper=mapper,
            mapper_objective=mapper_objective,
            threads=threads,
            evaluator=ev,
            jobs=jobs,
            timeout_s=timeout_s,
            scheduler=scheduler,
            progress=progress,
        )
        problem._check_metrics()
        if ev is not None and store is not None:
            from tldse.evaluators.store import EvaluationStore

            problem.store = (
                store if isinstance(store, EvaluationStore) else EvaluationStore(store)
            )
        return problem

    @property
    def evaluator_name(self) -> str:
        """``analytical`` or the expensive evaluator's name."""
        return "analytical" if self.evaluator is None else self.evaluator.name

    def available_metrics(self) -> list[str]:
        """The metric columns this problem's evaluator gives (all of them for the
        analytical model; no energy, EDP or power for an evaluator without energy,
        no DRAM bytes for one that does not report DRAM traffic)."""
        if self.evaluator is None:
            return list(METRICS)
        out = ["latency_cycles", "latency_ms", "area_mm2", "utilization"]
        if self.evaluator.has_energy:
            out += ["energy_uj", "edp_uj_ms", "power_mw"]
        return [m for m in METRICS if m in out]

    def _check_metrics(self) -> None:
        have = set(self.available_metrics())
        wanted = [(o, OBJECTIVES[o]) for o in self.objectives]
        wanted += [(str(c), c.metric_column) for c in self.constraints]
        bad = [what for what, col in wanted if col not in have]
        if bad:
            raise SearchError(
                f"the {self.evaluator_name} evaluator does not report what "
                f"{', '.join(bad)} needs; its metrics: {', '.join(sorted(have))}"
            )

    @property
    def folded(self) -> list[Workload]:
        return [fold(w)[0] for w in self.workloads]

    @property
    def name(self) -> str:
        parts = [
            w.name if x == 1.0 else f"{w.name}*{x:g}"
            for w, x in zip(self.workloads, self.weights, strict=True)
        ]
        return "+".join(parts)

    def simulate(self, indices: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """The ``(n, len(METRICS))`` metric table of designs (NaN: infeasible on
        some workload)."""
        return combine(self.simulate_parts(indices), self.weights)

    def simulate_parts(self, indices: npt.ArrayLike) -> list[npt.NDArray[np.float64]]:
        """One metric table per workload (designs in :attr:`cache` are read from
        it; the others are simulated and added to it)."""
        return self._cached(indices, "m", self._simulate_parts)

    def simulate_layers(self, indices: npt.ArrayLike) -> list[npt.NDArray[np.float64]]:
        """Per workload, ``(n, 2 * m)``: latency_cycles of the ``m`` folded layer
        shapes, then their energy_pj (per occurrence; NaN where the layer does
        not fit). Through :attr:`cache` like :meth:`simulate_parts`."""
        return self._cached(indices, "l", self._simulate_layers)

    def _cached(
        self,
        indices: npt.ArrayLike,
        kind: str,
        simulate: Callable[[npt.NDArray[np.int64]], list[npt.NDArray[np.float64]]],
    ) -> list[npt.NDArray[np.float64]]:
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if self.cache is None:
            return simulate(idx)
        hit = self.cache.contains(idx, kind)
        out = [np.empty((len(idx), w)) for w in self.cache.widths[kind]]
        if (~hit).any():
            new = simulate(idx[~hit])
            self.cache.put(idx[~hit], new, kind)
            for o, m in zip(out, new, strict=True):
                o[~hit] = m
        if hit.any():
            for o, m in zip(out, self.cache.get(idx[hit], kind), strict=True):
                o[hit] = m
        return out

    def _simulate_parts(
        self, idx: npt.NDArray[np.int64]
    ) -> list[npt.NDArray[np.float64]]:
        if self.evaluator is not None:
            return [self._metrics_of(b) for b in self._evaluate(idx)]
        return [
            evaluate_designs(
                self.space,
                idx,
                wl,
                energy=self.energy,
                threads=self.threads,
                mapper=self.mapper,
                mapper_objective=self.mapper_objective,
            )[0]
            for wl in self.folded
        ]

    def _evaluate(self, idx: npt.NDArray[np.int64]) -> list[EvaluationBatch]:
        """The expensive evaluator on designs ``idx``, one batch per workload."""
        from tldse.evaluators.runner import evaluate_designs

        assert self.evaluator is not None
        configs = self.space.configs(idx)
        out = []
        for wl in self.folded:
            batch = evaluate_designs(
                self.evaluator,
                configs,
                wl,
                store=self.store,
                jobs=self.jobs,
                scheduler=self.scheduler,
                timeout_s=self.timeout_s,
                progress=self.progress,
            )
            self.evaluator_stats.add(batch.stats)
            out.append(batch)
        has_energy = self.evaluator.has_energy
        for j, k in enumerate(idx.tolist()):
            self._layer_memo[int(k)] = [
                np.concatenate(
                    [
                        np.where(b.ok[j], b.latency_cycles[j], np.nan),
                        np.where(
                            b.ok[j], b.energy_pj[j] if has_energy else 1.0, np.nan
                        ),
                    ]
                )
                for b in out
            ]
        return out

    def _metrics_of(self, batch: EvaluationBatch) -> npt.NDArray[np.float64]:
        """The metric table of an expensive evaluator's batch (NaN rows: a layer
        that failed; NaN columns: metrics the evaluator does not report)."""
        cfg = batch.designs
        lat = batch.total_latency_cycles
        clock = cfg[:, CONFIG_INDEX["clock_mhz"]]
        pes = cfg[:, CONFIG_INDEX["pe_rows"]] * cfg[:, CONFIG_INDEX["pe_cols"]]
        table = energy_from_spec(self.energy)
        area = np.array([table.area_um2(row) for row in cfg], dtype=np.float64)
        i = METRIC_INDEX
        m = np.full((len(cfg), len(METRICS)), np.nan)
        m[:, i["latency_cycles"]] = lat
        m[:, i["latency_ms"]] = lat / (clock * 1e3)
        m[:, i["area_mm2"]] = area * 1e-6
        macs = float(batch.layers.macs)
        with np.errstate(divide="ignore", invalid="ignore"):
            m[:, i["utilization"]] = macs / (lat * pes)
        if self.evaluator is not None and self.evaluator.has_energy:
            en = batch.total_energy_pj * 1e-6
            m[:, i["energy_uj"]] = en
            m[:, i["edp_uj_ms"]] = en * m[:, i["latency_ms"]]
            with np.errstate(divide="ignore", invalid="ignore"):
                m[:, i["power_mw"]] = en / m[:, i["latency_ms"]]
        m[~np.isfinite(lat)] = np.nan
        return m

    def _simulate_layers(
        self, idx: npt.NDArray[np.int64]
    ) -> list[npt.NDArray[np.float64]]:
        if self.evaluator is not None:
            # (an evaluator without energy gets 1.0: the shape is kept, never used)
            missing = np.array([int(k) not in self._layer_memo for k in idx])
            if missing.any():
                self._evaluate(idx[missing])
            rows = [self._layer_memo[int(k)] for k in idx]
            return [np.stack([r[w] for r in rows]) for w in range(len(self.workloads))]
        configs = self.space.configs(idx)
        table = energy_from_spec(self.energy) if self.energy else None
        out = []
        for wl in self.folded:
            ev = evaluate(
                configs,
                wl,
                energy=table,
                threads=self.threads,
                mapper_objective=self.mapper_objective,  # type: ignore[arg-type]
                mapper=self.mapper,  # type: ignore[arg-type]
            )
            ok = np.asarray(ev["status"]) == 0
            lat = np.asarray(ev["latency_cycles"], dtype=np.float64)
            en = np.asarray(ev["energy_pj"], dtype=np.float64)
            both = np.concatenate([lat, en], axis=1)  # (designs, 2 x layers)
            out.append(np.where(np.concatenate([ok, ok], axis=1), both, np.nan))
        return out

    def valid(self, metrics: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """Feasible and meeting every constraint."""
        cols = [METRIC_INDEX[c] for c in self.available_metrics()]
        ok = ~np.isnan(metrics[:, cols]).any(axis=1)
        for c in self.constraints:
            ok &= c.mask(metrics)
        return np.asarray(ok, dtype=bool)

    def objective_values(
        self, metrics: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        return metrics[:, objective_columns(self.objectives)]


class SimulationCache:
    """Simulations of one problem's space, workloads, energy table and mapper,
    kept in a JSON-lines file as they are made (a header line, then one line
    per design and kind: ``{"i": index, "m": [metric row per workload]}`` for
    network metrics, ``{"i": index, "l": [layer latencies and energies per
    workload]}`` for per-layer results), so a killed search re-run with the same
    file simulates nothing twice. Objectives and constraints are not part of
    it: any search of the same designs may reuse it. A torn last line (a kill
    mid-write) is dropped on opening."""

    FORMAT = "tldse-simulations"

    def __init__(self, path: str | Path, problem: Problem) -> None:
        self.path = Path(path)
        folded = problem.folded
        self.header: dict[str, Any] = {
            "format": self.FORMAT,
            "tldse_version": package_version(),
            "space": problem.space.to_dict(),
            "workloads": [
                {"name": w.name, "layers": w.table().tolist()} for w in folded
            ],
            "energy": problem.energy,
            "mapper": problem.mapper,
            "mapper_objective": problem.mapper_objective,
        }
        if problem.evaluator is not None:  # results of another evaluator never mix
            ident = problem.evaluator.identity()
            self.header["evaluator"] = {
                "name": ident.name,
                "version": ident.version,
                "settings": ident.settings,
            }
        # through JSON, so that it compares equal to what is read back
        self.header = json.loads(json.dumps(self.header))
        #: row width per workload of each kind
        self.widths = {
            "m": [len(METRICS)] * len(folded),
            "l": [2 * len(w.layers) for w in folded],
        }
        self._data: dict[str, dict[int, list[list[float]]]] = {"m": {}, "l": {}}
        text = self.path.read_text() if self.path.exists() else ""
        lines = text.splitlines()
        if not lines:  # new, or killed while the header was written
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps(self.header) + "\n")
            return
        try:
            old = json.loads(lines[0])
        except json.JSONDecodeError:
            old = {}
        if not isinstance(old, dict) or old.get("format") != self.FORMAT:
            raise SearchError(
                f"{self.path} is not a tldse simulation file; remove it or use "
                "another --out"
            )
        diff = differences(old, self.header)
        if diff:
            raise SearchError(
                f"{self.path} holds simulations of another problem (differs in: "
                f"{', '.join(diff)}); use --fresh to discard them, or another --out"
            )
        good = 1
        for line in lines[1:]:
            try:
                kind, k, rows = self._parse(line)
            except (ValueError, KeyError, TypeError):
                break  # a torn line: everything after it is dropped too
            self._data[kind][k] = rows
            good += 1
        if good < len(lines) or not text.endswith("\n"):
            # drop the torn tail, and end the file with a newline before appending
            write_atomic(self.path, "\n".join(lines[:good]) + "\n")

    def _parse(self, line: str) -> tuple[str, int, list[list[float]]]:
        rec = json.loads(line)
        kind = "m" if "m" in rec else "l"
        rows = rec[kind]
        widths = self.widths[kind]
        if len(rows) != len(widths) or any(
            len(r) != w for r, w in zip(rows, widths, strict=True)
        ):
            raise ValueError(line)
        return kind, int(rec["i"]), rows

    def __len__(self) -> int:
        """Designs with network metrics in the file."""
        return len(self._data["m"])

    def contains(
        self, idx: npt.NDArray[np.int64], kind: str = "m"
    ) -> npt.NDArray[np.bool_]:
        d = self._data[kind]
        return np.array([int(k) in d for k in idx], dtype=bool)

    def get(
        self, idx: npt.NDArray[np.int64], kind: str = "m"
    ) -> list[npt.NDArray[np.float64]]:
        """Per-workload tables of cached designs ``idx``."""
        rows = [self._data[kind][int(k)] for k in idx]
        return [
            np.array([r[w] for r in rows], dtype=np.float64).reshape(-1, width)
            for w, width in enumerate(self.widths[kind])
        ]

    def put(
        self,
        idx: npt.NDArray[np.int64],
        parts: Sequence[npt.NDArray[np.float64]],
        kind: str = "m",
    ) -> None:
        """Adds simulated designs (appended to the file before returning)."""
        lines = []
        for j, k in enumerate(idx.tolist()):
            rows = [[float(v) for v in m[j]] for m in parts]
            self._data[kind][int(k)] = rows
            lines.append(json.dumps({"i": int(k), kind: rows}))
        if lines:
            with self.path.open("a") as f:
                f.write("\n".join(lines) + "\n")
                f.flush()


def combine(
    parts: Sequence[npt.NDArray[np.float64]], weights: Sequence[float]
) -> npt.NDArray[np.float64]:
    """Per-workload metric tables -> one (see :class:`Problem`)."""
    if len(parts) == 1 and weights[0] == 1.0:
        return parts[0]
    i = METRIC_INDEX
    out = np.zeros_like(parts[0])
    wsum = float(sum(weights))
    for m, w in zip(parts, weights, strict=True):
        for name in ("latency_cycles", "latency_ms", "energy_uj", "dram_bytes"):
            out[:, i[name]] += w * m[:, i[name]]
        out[:, i["utilization"]] += w / wsum * m[:, i["utilization"]]
    out[:, i["area_mm2"]] = parts[0][:, i["area_mm2"]]
    out[:, i["edp_uj_ms"]] = out[:, i["energy_uj"]] * out[:, i["latency_ms"]]
    with np.errstate(divide="ignore", invalid="ignore"):
        out[:, i["power_mw"]] = out[:, i["energy_uj"]] / out[:, i["latency_ms"]]
    bad = np.zeros(len(out), dtype=bool)
    for m in parts:
        bad |= np.isnan(m).any(axis=1)
    out[bad] = np.nan
    return out


# ---------------------------------------------------------------- simulations


class Oracle:
    """Simulations under a budget: each distinct design is simulated once
    (cached) and counts once. ``simulate`` never exceeds the budget: designs
    past it are dropped (``remaining`` tells callers what is left). ``lookup``
    (full per-workload metric tables of the space) replaces the simulator, for
    experiments that already swept the space; the counting is the same."""

    def __init__(
        self,
        problem: Problem,
        budget: int,
        lookup: Lookup = None,
    ) -> None:
        if budget < 1:
            raise SearchError(f"budget must be >= 1, got {budget}")
        self.problem = problem
        self.budget = int(budget)
        self.lookup: list[npt.NDArray[np.float64]] | None = (
            None
            if lookup is None
            else [lookup]
            if isinstance(lookup, np.ndarray)
            else list(lookup)
        )
        self.order: list[int] = []  # simulated designs, in simulation order
        self._blocks: list[npt.NDArray[np.float64]] = []  # their metric rows
        self._table: npt.NDArray[np.float64] | None = None  # the blocks, joined
        self._parts: list[list[npt.NDArray[np.float64]]] = []
        self._seen: dict[int, int] = {}  # design -> its row
        self.sim_seconds = 0.0

    @property
    def used(self) -> int:
        return len(self.order)

    @property
    def remaining(self) -> int:
        return self.budget - len(self.order)

    def simulate(self, indices: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Metrics of ``indices`` (in their order); designs not yet simulated
        are simulated while the budget lasts, the rest come back as NaN rows
        (``known`` tells which are real)."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        new: list[int] = []
        seen_new: set[int] = set()
        for k in idx.tolist():
            if k not in self._seen and k not in seen_new:
                if len(new) >= self.remaining:
                    break
                new.append(k)
                seen_new.add(k)
        if new:
            arr = np.asarray(new, dtype=np.int64)
            t0 = time.perf_counter()
            if self.lookup is not None:
                parts = [t[arr] for t in self.lookup]
            else:
                parts = self.problem.simulate_parts(arr)
            m = combine(parts, self.problem.weights)
            self._parts.append(parts)
            self.sim_seconds += time.perf_counter() - t0
            first = len(self.order)
            self._seen.update(zip(new, range(first, first + len(new)), strict=True))
            self.order.extend(new)
            self._blocks.append(np.asarray(m, dtype=np.float64))
            self._table = None
        pos = np.fromiter(
            (self._seen.get(k, -1) for k in idx.tolist()),
            dtype=np.int64,
            count=len(idx),
        )
        out = np.full((len(idx), len(METRICS)), np.nan)
        hit = pos >= 0
        if hit.any():
            out[hit] = self.metrics()[pos[hit]]
        return out

    def known(self, indices: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        return np.array([k in self._seen for k in idx.tolist()], dtype=bool)

    def indices(self) -> npt.NDArray[np.int64]:
        return np.asarray(self.order, dtype=np.int64)

    def metrics(self) -> npt.NDArray[np.float64]:
        """The metric rows of the simulated designs, in simulation order."""
        if not self._blocks:
            return np.empty((0, len(METRICS)))
        if self._table is None:
            self._table = np.concatenate(self._blocks)
            self._table.flags.writeable = False  # shared: callers copy to change
            self._blocks = [self._table]
        return self._table

    def parts(self) -> list[npt.NDArray[np.float64]]:
        """Per-workload metric tables of the simulated designs (in order)."""
        if not self._parts:
            return []
        n_w = len(self._parts[0])
        return [np.concatenate([p[w] for p in self._parts]) for w in range(n_w)]


# ---------------------------------------------------------------- the result


@dataclass
class SearchResult:
    """A finished search. ``indices`` / ``metrics``: every simulated design in
    simulation order; ``front``: the constrained Pareto front of the simulated
    designs (one row per distinct objective vector, the lowest index; sorted by
    index); ``best``: the best front design per objective."""

    method: str
    problem: Problem
    budget: int
    indices: npt.NDArray[np.int64]
    metrics: npt.NDArray[np.float64]
    front: pd.DataFrame
    best: dict[str, dict[str, Any]]
    seconds: float
    sim_seconds: float
    rounds: list[dict[str, Any]] = field(default_factory=list)
    surrogate: Surrogate | None = None
    #: out-of-sample predictions: (index, predicted latency_cycles, energy_pj)
    #: of each design, made before it was simulated (surrogate method only)
    predictions: npt.NDArray[np.float64] | None = None
    stopped: str = "budget"
    #: what the surrogate modelled: "layer" or "network" (surrogate method only)
    granularity: str | None = None
    #: what :func:`tldse.exploration.api.write_outputs` computed for the files
    #: (set by ``explore(out=...)``; the report reuses it)
    outputs: Any = None
    #: why ``explore(method="auto")`` chose the method
    method_reason: str = ""
    #: the surrogate of an expensive evaluator: which transfer candidate it
    #: chose, its fits and their seconds (surrogate method only)
    fidelity: dict[str, Any] | None = None

    @property
    def n_simulations(self) -> int:
        return len(self.indices)

    @property
    def valid(self) -> npt.NDArray[np.bool_]:
        return self.problem.valid(self.metrics)

    def front_indices(self) -> npt.NDArray[np.int64]:
        return np.asarray(self.front["index"].to_numpy(), dtype=np.int64)

    def summary(self) -> dict[str, Any]:
        p = self.problem
        return {
            "method": self.method,
            "method_reason": self.method_reason,
            "space": p.space.name,
            "designs": len(p.space),
            "workloads": [w.name for w in p.workloads],
            "weights": p.weights,
            "objectives": p.objectives,
            "constraints": [str(c) for c in p.constraints],
            "budget": self.budget,
            "simulations": self.n_simulations,
            "valid_simulated": int(self.valid.sum()),
            "front_size": len(self.front),
            "seconds": self.seconds,
            "sim_seconds": self.sim_seconds,
            "stopped": self.stopped,
            "granularity": self.granularity,
            "evaluator": self.evaluator_summary(),
            "fidelity": self.fidelity,
            "rounds": self.rounds,
            "best": self.best,
        }

    def evaluator_summary(self) -> dict[str, Any]:
        """Who evaluated the designs and what it cost: the evaluator's identity,
        its pairs (evaluated, from the store, failed), its CPU and wall seconds,
        and tldse's own time (the search's wall time minus the time spent waiting
        for evaluations)."""
        p = self.problem
        out: dict[str, Any] = {"name": p.evaluator_name}
        if p.evaluator is not None:
            ident = p.evaluator.identity()
            st = p.evaluator_stats
            out.update(
                version=ident.version,
                settings=ident.settings,
                key=ident.key,
                pairs=st.pairs,
                evaluated_pairs=st.evaluated,
                stored_pairs=st.cached,
                failed_pairs=st.failed,
                evaluator_cpu_s=st.evaluator_cpu_s,
                evaluator_wall_s=st.evaluator_wall_s,
                jobs=p.jobs,
            )
        out["evaluation_seconds"] = self.sim_seconds
        out["tldse_seconds"] = max(0.0, self.seconds - self.sim_seconds)
        return out

    def _headline(self) -> str:
        p = self.problem
        cons = ", ".join(str(c) for c in p.constraints)
        return (
            f"{self.method} search of {p.name} on {p.space.name}: "
            f"{plural(self.n_simulations, 'evaluation')} of "
            f"{plural(len(p.space), 'design')} in {self.seconds:.1f} s (budget "
            f"{self.budget:,}, stopped: {self.stopped})\nPareto front over "
            f"{', '.join(p.objectives)}{f' ({cons})' if cons else ''}: "
            f"{plural(len(self.front), 'design')}"
        )

    def __repr__(self) -> str:
        p = self.problem
        table = front_table(self.front, p.space.names, p.objectives)
        return f"{wrap(self._headline())}\n{table}"

    def _repr_html_(self) -> str:
        p = self.problem
        cols = design_columns(p.space.names, p.objectives, ties="ties" in self.front)
        head = "<br>".join(html.escape(x) for x in self._headline().splitlines())
        return f"<p>{head}</p>" + to_html(cols, self.front.head(60).to_dict("records"))


def finish(
    method: str,
    oracle: Oracle,
    t0: float,
    **extra: Any,
) -> SearchResult:
    """The result of a search from what its oracle simulated."""
    p = oracle.problem
    idx, met = oracle.indices(), oracle.metrics()
    ok = p.valid(met)
    archive = ParetoArchive(len(METRICS), objective_columns(p.objectives), unique=True)
    archive.add(idx[ok], met[ok])
    front = results_frame(p.space, archive.keys, archive.values)
    front["ties"] = archive.counts
    return SearchResult(
        method=method,
        problem=p,
        budget=oracle.budget,
        indices=idx,
        metrics=met,
        front=front,
        best=best_designs(front, p.objectives),
        seconds=time.perf_counter() - t0,
        sim_seconds=oracle.sim_seconds,
        **extra,
    )
