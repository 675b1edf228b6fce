"""Surrogate-pruned search: predict every design, simulate only the promising ones.

The loop (:func:`surrogate_search`):

1. simulate an initial Sobol sample of the space (or fewer designs when a trained
   model is given) and train a multi-task surrogate (targets log latency and log
   energy) of (design, layer) pairs (features :data:`tldse.data.PAIR_FEATURES`;
   a network's prediction is the count-weighted sum over its layer shapes) or,
   when the space is too large to predict layer by layer every round, of whole
   networks (:data:`tldse.data.NETWORK_FEATURES`; ``PrunedConfig.granularity``);
2. predict every design of the space, streamed in chunks of ``chunk_size``
   model rows (torch inference batched). Area is not predicted: it depends only on
   the design and is computed exactly (``EnergyTable.area_um2``, microseconds per
   design, no simulation);
3. score every unsimulated design that the predictions say meets the
   constraints by its distance to the predicted Pareto front, in log units
   (``d = min over front q of max over objectives (log p - log q)``: 0 on the
   front, ``log 1.05`` for a design 5% worse than the front in its best
   dimension), and simulate the ``round_size`` closest;
4. fine-tune the surrogate on everything simulated so far and repeat until the
   budget is spent, or until no unsimulated design lies within ``margin`` of the
   predicted front and the last two rounds left the simulated front unchanged.

The answer is the constrained Pareto front of the *simulated* designs only:
predictions choose what to simulate, never what is reported.

:class:`Problem` (space, weighted workloads, objectives, constraints) and
:class:`Oracle` (cached, counted simulations under a budget) are shared with the
baselines in :mod:`tldse.search.baselines`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tldse.arch import CONFIG_COLUMNS, EnergyTable
from tldse.search.exhaustive import (
    _energy_from_spec,
    best_designs,
    energy_spec,
    evaluate_designs,
    results_frame,
)
from tldse.search.metrics import (
    METRIC_INDEX,
    METRICS,
    OBJECTIVES,
    Constraint,
    objective_columns,
    parse_constraints,
    parse_objectives,
)
from tldse.search.pareto import ParetoArchive, pareto_mask
from tldse.space import DesignSpace
from tldse.workloads.fold import fold
from tldse.workloads.layer import Workload

if TYPE_CHECKING:
    import pandas as pd

    from tldse.surrogate import Surrogate, TrainConfig

DEFAULT_CHUNK_SIZE = 65536
#: Objectives the surrogate can predict (they derive from latency, energy, area).
PREDICTABLE = ("latency", "energy", "area", "edp", "power", "latency_cycles")
_CLOCK = CONFIG_COLUMNS.index("clock_mhz")


#: Precomputed per-workload metric tables of the whole space (or one table).
Lookup = npt.NDArray[np.float64] | Sequence[npt.NDArray[np.float64]] | None


class SearchError(ValueError):
    """A search that cannot run as asked."""


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
    ) -> Problem:
        from tldse.search.exhaustive import _load_workload

        sp = space if isinstance(space, DesignSpace) else DesignSpace.load(space)
        sp._check_indexable()
        items: list[Workload | str] = (
            [workloads] if isinstance(workloads, (Workload, str)) else list(workloads)
        )
        if not items:
            raise SearchError("give at least one workload")
        wls = [_load_workload(w) for w in items]
        w = [1.0] * len(wls) if weights is None else [float(x) for x in weights]
        if len(w) != len(wls) or any(not (x > 0 and math.isfinite(x)) for x in w):
            raise SearchError(
                f"weights: expected {len(wls)} positive numbers, got {list(w)}"
            )
        return cls(
            space=sp,
            workloads=wls,
            weights=w,
            objectives=parse_objectives(objectives),
            constraints=parse_constraints(constraints),
            energy=energy_spec(energy),
            mapper=mapper,
            mapper_objective=mapper_objective,
            threads=threads,
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

    def _simulate_layers(
        self, idx: npt.NDArray[np.int64]
    ) -> list[npt.NDArray[np.float64]]:
        from tldse.sim import evaluate

        configs = self.space.configs(idx)
        table = _energy_from_spec(self.energy) if self.energy else None
        out = []
        for wl in self.folded:
            ev = evaluate(
                configs,
                wl,
                energy=table,
                threads=self.threads,
                objective=self.mapper_objective,  # type: ignore[arg-type]
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
        ok = ~np.isnan(metrics).any(axis=1)
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
        from tldse.search.exhaustive import _differences, _version, write_atomic

        self.path = Path(path)
        folded = problem.folded
        self.header: dict[str, Any] = {
            "format": self.FORMAT,
            "tldse_version": _version(),
            "space": problem.space.to_dict(),
            "workloads": [
                {"name": w.name, "layers": w.table().tolist()} for w in folded
            ],
            "energy": problem.energy,
            "mapper": problem.mapper,
            "mapper_objective": problem.mapper_objective,
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
        diff = _differences(old, self.header)
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
        self._rows: list[npt.NDArray[np.float64]] = []
        self._parts: list[list[npt.NDArray[np.float64]]] = []
        self._seen: dict[int, int] = {}
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
            for k, row in zip(new, m, strict=True):
                self._seen[k] = len(self.order)
                self.order.append(k)
                self._rows.append(row)
        out = np.full((len(idx), len(METRICS)), np.nan)
        for j, k in enumerate(idx.tolist()):
            pos = self._seen.get(k)
            if pos is not None:
                out[j] = self._rows[pos]
        return out

    def known(self, indices: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        return np.array([k in self._seen for k in idx.tolist()], dtype=bool)

    def indices(self) -> npt.NDArray[np.int64]:
        return np.asarray(self.order, dtype=np.int64)

    def metrics(self) -> npt.NDArray[np.float64]:
        if not self._rows:
            return np.empty((0, len(METRICS)))
        return np.stack(self._rows)

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
            "rounds": self.rounds,
            "best": self.best,
        }


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


def exhaustive_search(
    problem: Problem,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    lookup: Lookup = None,
) -> SearchResult:
    """Simulates every design (the budget is the space's size)."""
    t0 = time.perf_counter()
    n = len(problem.space)
    oracle = Oracle(problem, n, lookup)
    for lo, hi in problem.space.chunks(chunk_size):
        oracle.simulate(np.arange(lo, hi, dtype=np.int64))
    return finish("exhaustive", oracle, t0, stopped="space")


# ---------------------------------------------------------------- the surrogate


@dataclass
class PrunedConfig:
    """Knobs of :func:`surrogate_search` (defaults tuned on the quick search
    experiment; see docs/explore.md)."""

    #: initial sample, as a fraction of the budget: a fresh per-layer model, a
    #: fresh per-network model (it needs more designs), a given model (--model)
    init_fraction: float = 0.1
    init_fraction_network: float = 0.3
    init_fraction_pretrained: float = 0.03
    min_init: int = 32
    #: rounds after the initial sample (the round size follows): per-layer or
    #: given model, fresh per-network model
    rounds: int = 12
    rounds_network: int = 6
    #: what the surrogate models: "layer" ((design, layer) pairs, PAIR_FEATURES;
    #: network totals are predicted sums: more accurate from few designs),
    #: "network" (one row per design and workload, NETWORK_FEATURES: cheaper to
    #: predict), or "auto": layer when one prediction of the space is at most
    #: ``auto_layer_rows`` model rows (designs x distinct layer shapes)
    granularity: str = "auto"
    auto_layer_rows: int = 2_000_000
    margin: float = 0.05  # convergence: no unsimulated design within 5% of front
    hidden: tuple[int, ...] = (64, 64)
    head_hidden: tuple[int, ...] = (32,)
    epochs: int = 150
    finetune_epochs: int = 40
    batch_size: int = 512
    lr: float = 3e-3
    finetune_lr: float = 1e-3
    #: minibatches per fine-tuning epoch at most (the batch grows with the data;
    #: 0: always batch_size)
    finetune_steps: int = 8
    patience: int = 25
    chunk_size: int = DEFAULT_CHUNK_SIZE
    #: torch threads: 1 is fastest for this small network (more threads spin
    #: against the simulator's and each other on small batches)
    threads: int | None = 1
    device: str = "cpu"


def _area_um2(space: DesignSpace, energy: dict[str, Any], chunk: int) -> Any:
    """Exact area of every design (no simulation: it depends on the design)."""
    table = (
        _energy_from_spec(energy) if energy else _energy_from_spec(energy_spec(None))
    )
    out = np.empty(len(space), dtype=np.float64)
    for lo, hi in space.chunks(chunk):
        configs = space.configs(np.arange(lo, hi, dtype=np.int64))
        out[lo:hi] = [table.area_um2(row) for row in configs]
    return out


GRANULARITIES = ("auto", "layer", "network")


def _per_layer(
    cfg: PrunedConfig, model: Surrogate | None, n: int, folded: Sequence[Workload]
) -> bool:
    """Whether the surrogate works on (design, layer) pairs (see PrunedConfig)."""
    from tldse.data import NETWORK_FEATURES, PAIR_FEATURES

    if cfg.granularity not in GRANULARITIES:
        raise SearchError(
            f"granularity must be one of {', '.join(GRANULARITIES)}; got "
            f"{cfg.granularity!r}"
        )
    if model is not None:
        names = tuple(model.feature_names)
        if names not in (NETWORK_FEATURES, PAIR_FEATURES) or tuple(
            model.targets[:2]
        ) != ("latency", "energy"):
            raise SearchError(
                "--model must be a surrogate of (design, layer) pairs (features "
                "tldse.data.PAIR_FEATURES) or of networks (NETWORK_FEATURES) with "
                "targets latency, energy first; train one with `tldse train`"
            )
        per_layer = names == PAIR_FEATURES
        if cfg.granularity != "auto" and (cfg.granularity == "layer") != per_layer:
            raise SearchError(
                f"granularity {cfg.granularity} disagrees with the --model, a "
                f"surrogate of {'(design, layer) pairs' if per_layer else 'networks'}"
                " (leave --granularity at auto)"
            )
        return per_layer
    if cfg.granularity != "auto":
        return cfg.granularity == "layer"
    return n * sum(len(w.layers) for w in folded) <= cfg.auto_layer_rows


def _new_model(cfg: PrunedConfig, seed: int, per_layer: bool) -> Surrogate:
    from tldse.data import NETWORK_FEATURES, PAIR_FEATURES
    from tldse.surrogate import Surrogate

    return Surrogate.create(
        PAIR_FEATURES if per_layer else NETWORK_FEATURES,
        ("latency", "energy"),
        hidden=cfg.hidden,
        head_hidden=cfg.head_hidden,
        seed=seed,
    )


def _pairs(
    configs: npt.NDArray[np.float64], workload: Workload
) -> npt.NDArray[np.float64]:
    """Features of every (design, layer) pair, design-major."""
    from tldse.data import pair_features_grid

    return pair_features_grid(configs, workload.table())


class TrainingSet:
    """Training rows of the designs simulated so far, grown as they come: one
    row per (design, workload) with targets the network's log latency_cycles
    and log energy_pj, or (``per_layer``) one row per (design, workload, layer
    shape) with the layer's. Infeasible designs / layers give no row. Per-layer
    targets come from :meth:`Problem.simulate_layers` (the oracle keeps network
    totals only; microseconds per design, and kept in the problem's cache)."""

    def __init__(
        self, problem: Problem, folded: Sequence[Workload], per_layer: bool
    ) -> None:
        self.problem, self.folded, self.per_layer = problem, list(folded), per_layer
        self._x: list[npt.NDArray[np.float64]] = []
        self._y: list[npt.NDArray[np.float64]] = []
        self.designs = 0

    def add(
        self, idx: npt.NDArray[np.int64], per_wl: Sequence[npt.NDArray[np.float64]]
    ) -> None:
        """Rows of newly simulated designs ``idx`` (``per_wl``: their metric
        tables, one per workload, as :meth:`Problem.simulate_parts` gives)."""
        if not len(idx):
            return
        self.designs += len(idx)
        configs = self.problem.space.configs(idx)
        if self.per_layer:
            layers = self.problem.simulate_layers(idx)
            for wl, res in zip(self.folded, layers, strict=True):
                n_l = len(wl.layers)
                lat, en = res[:, :n_l].reshape(-1), res[:, n_l:].reshape(-1)
                ok = ~np.isnan(lat)
                self._x.append(_pairs(configs, wl)[ok])
                self._y.append(np.stack([np.log(lat[ok]), np.log(en[ok])], axis=1))
            return
        from tldse.data import network_features

        i = METRIC_INDEX
        for wl, m in zip(self.folded, per_wl, strict=True):
            good = ~np.isnan(m).any(axis=1)
            self._x.append(network_features(configs, wl)[good])
            self._y.append(
                np.stack(
                    [
                        np.log(m[good, i["latency_cycles"]]),
                        np.log(m[good, i["energy_uj"]] * 1e6),
                    ],
                    axis=1,
                )
            )

    def arrays(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        if not self._x:
            return np.empty((0, 0)), np.empty((0, 2))
        return np.concatenate(self._x), np.concatenate(self._y)


def _predict_network(
    configs: npt.NDArray[np.float64],
    workload: Workload,
    model: Surrogate,
    per_layer: bool,
) -> npt.NDArray[np.float64]:
    """Predicted network latency_cycles and energy_pj ``(k, 2)`` of designs."""
    if not per_layer:
        from tldse.data import network_features

        y = np.exp(model.predict(network_features(configs, workload))[:, :2])
        return np.asarray(y, dtype=np.float64)
    counts = workload.table()[:, -1]
    y = np.exp(model.predict(_pairs(configs, workload))[:, :2])
    total = np.einsum("kmt,m->kt", y.reshape(len(configs), len(counts), 2), counts)
    return np.asarray(total, dtype=np.float64)


def _predict_all(
    problem: Problem,
    folded: Sequence[Workload],
    model: Surrogate,
    area_um2: npt.NDArray[np.float64],
    chunk: int,
    per_layer: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Predicted metric table of every design, streamed (``chunk`` model rows at
    a time): ``(metrics, per-workload predicted latency_cycles and energy_pj
    (n, 2 * n_workloads))``."""
    space = problem.space
    n = len(space)
    metrics = np.empty((n, len(METRICS)), dtype=np.float64)
    raw = np.empty((n, 2 * len(folded)), dtype=np.float64)
    i = METRIC_INDEX
    rows_per_design = max(len(w.layers) for w in folded) if per_layer else 1
    for lo, hi in space.chunks(max(1, chunk // rows_per_design)):
        configs = space.configs(np.arange(lo, hi, dtype=np.int64))
        clock = configs[:, _CLOCK]
        parts = []
        for w, wl in enumerate(folded):
            y = _predict_network(configs, wl, model, per_layer)
            raw[lo:hi, 2 * w : 2 * w + 2] = y
            m = np.full((hi - lo, len(METRICS)), np.nan)
            m[:, i["latency_cycles"]] = y[:, 0]
            m[:, i["latency_ms"]] = y[:, 0] / (clock * 1e3)
            m[:, i["energy_uj"]] = y[:, 1] * 1e-6
            m[:, i["area_mm2"]] = area_um2[lo:hi] * 1e-6
            m[:, i["edp_uj_ms"]] = m[:, i["energy_uj"]] * m[:, i["latency_ms"]]
            m[:, i["power_mw"]] = m[:, i["energy_uj"]] / m[:, i["latency_ms"]]
            m[:, i["utilization"]] = 0.0
            m[:, i["dram_bytes"]] = 0.0
            parts.append(m)
        metrics[lo:hi] = combine(parts, problem.weights)
    return metrics, raw


def front_distance(
    points: npt.NDArray[np.float64],
    front: npt.NDArray[np.float64],
    point_ids: npt.NDArray[np.int64] | None = None,
    front_ids: npt.NDArray[np.int64] | None = None,
    block: int = 2048,
) -> npt.NDArray[np.float64]:
    """``d[i] = min_q max_j (points[i, j] - front[q, j])`` over front rows ``q``
    other than the point itself (same id): the additive epsilon indicator. With
    log objectives, > 0 is how much worse than the front a point is in its best
    dimension; <= 0 (on the front) how far it leads its nearest neighbour, so
    isolated front points come first. ``inf`` when nothing is left to compare."""
    out = np.full(len(points), np.inf)
    if not len(front):
        return out
    for lo in range(0, len(points), block):
        p = points[lo : lo + block]
        d = (p[:, None, :] - front[None, :, :]).max(axis=2)
        if point_ids is not None and front_ids is not None:
            d[point_ids[lo : lo + block, None] == front_ids[None, :]] = np.inf
        out[lo : lo + block] = d.min(axis=1)
    return out


def _pool(
    points: npt.NDArray[np.float64], want: int, max_layers: int = 4
) -> npt.NDArray[np.int64]:
    """Rows in the first non-dominated layers of ``points`` (at least ``want``
    rows when ``max_layers`` layers hold them)."""
    if points.shape[1] == 1:
        order = np.argsort(points[:, 0], kind="stable")
        return np.asarray(order[: max(2 * want, 1)], dtype=np.int64)
    remaining = np.arange(len(points))
    chosen: list[npt.NDArray[np.int64]] = []
    got = 0
    for _ in range(max_layers):
        if not len(remaining) or got >= want:
            break
        m = pareto_mask(points[remaining])
        chosen.append(remaining[m])
        got += int(m.sum())
        remaining = remaining[~m]
    return np.sort(np.concatenate(chosen)) if chosen else remaining[:0]


def surrogate_search(
    problem: Problem,
    budget: int,
    *,
    seed: int = 0,
    model: Surrogate | None = None,
    config: PrunedConfig | None = None,
    lookup: Lookup = None,
    progress: Callable[[str], None] | None = None,
) -> SearchResult:
    """Surrogate-pruned search (see the module docstring). ``model``: a trained
    surrogate (of (design, layer) pairs or of networks) to start from,
    fine-tuned on what is simulated; otherwise one is trained from scratch.
    Deterministic for a given seed and torch thread count."""
    import torch

    from tldse.surrogate import fit
    from tldse.surrogate.model import resolve_device

    cfg = config or PrunedConfig()
    resolve_device(cfg.device)  # a bad device fails before anything is simulated
    bad = [o for o in problem.objectives if o not in PREDICTABLE]
    if bad:
        raise SearchError(
            f"the surrogate method cannot predict {', '.join(bad)}; objectives it "
            f"supports: {', '.join(PREDICTABLE)} (use --method exhaustive, random "
            "or nsga2)"
        )
    t0 = time.perf_counter()
    space = problem.space
    n = len(space)
    if budget >= n:  # everything fits: that is the exhaustive answer
        res = exhaustive_search(problem, chunk_size=cfg.chunk_size, lookup=lookup)
        res.method, res.budget, res.stopped = "surrogate", budget, "space"
        return res
    folded = problem.folded
    oracle = Oracle(problem, budget, lookup)

    def simulate(idx: npt.NDArray[np.int64]) -> None:
        idx = idx[~oracle.known(idx)][: oracle.remaining]
        if len(idx):
            oracle.simulate(idx)

    def note(msg: str) -> None:
        if progress is not None:
            progress(msg)

    per_layer = _per_layer(cfg, model, n, folded)
    rows_per_prediction = n * (sum(len(w.layers) for w in folded) if per_layer else 1)
    note(
        f"surrogate of {'(design, layer) pairs' if per_layer else 'networks'}"
        f"{' (given model)' if model is not None else ''}: "
        f"{rows_per_prediction:,} model rows per prediction of the space"
    )
    if model is not None:
        model = model.copy()
        init_frac, n_rounds = cfg.init_fraction_pretrained, cfg.rounds
    elif per_layer:
        init_frac, n_rounds = cfg.init_fraction, cfg.rounds
    else:
        init_frac, n_rounds = cfg.init_fraction_network, cfg.rounds_network
    n_init = min(budget, max(cfg.min_init, round(init_frac * budget)))
    simulate(space.sample(n_init, "sobol", seed))
    if oracle.used < n_init:  # Sobol repeats designs on small spaces
        extra = space.sample(min(n, 4 * n_init), "random", seed)
        extra = extra[~oracle.known(extra)][: n_init - oracle.used]
        simulate(extra)
    round_size = max(8, -(-(budget - oracle.used) // max(n_rounds, 1)))
    area = _area_um2(space, problem.energy, cfg.chunk_size)
    cols = objective_columns(problem.objectives)
    rounds: list[dict[str, Any]] = []
    preds: list[npt.NDArray[np.float64]] = []
    stopped = "budget"
    threads_before = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        fresh = model is None
        if model is None:
            model = _new_model(cfg, seed, per_layer)
        rows = TrainingSet(problem, folded, per_layer)
        r = 0
        calm = 0  # rounds in a row that left the simulated front unchanged
        while True:
            done = rows.designs
            new = oracle.indices()[done:]
            rows.add(new, [] if per_layer else [p[done:] for p in oracle.parts()])
            x, y = rows.arrays()
            if len(x) >= 2:
                fit(model, x, y, _train_config(cfg, fresh, seed + r, len(x)))
                fresh = False
            if not oracle.remaining:
                break
            if fresh:  # nothing feasible to learn from yet: sample more designs
                more = space.sample(min(n, 4 * round_size), "random", seed + 1 + r)
                more = more[~oracle.known(more)][: min(round_size, oracle.remaining)]
                r += 1
                note(f"round {r}: no feasible design yet, sampled {len(more)} more")
                if not len(more):
                    stopped = "no candidates"
                    break
                simulate(more)
                rounds.append(
                    {
                        "round": r,
                        "simulated": len(more),
                        "total": oracle.used,
                        "near_front": "-",
                        "front_changed": "-",
                    }
                )
                continue
            pred, raw = _predict_all(
                problem, folded, model, area, cfg.chunk_size, per_layer
            )
            # a design "passes" when its predictions meet the constraints
            # (relaxed by the margin for predicted metrics; area is exact)
            ok = np.ones(n, dtype=bool)
            for c in problem.constraints:
                exact = c.metric.startswith("area")
                slack = 0.0 if exact else cfg.margin
                bound = c.value * (1 + slack if c.op in ("<=", "<") else 1 - slack)
                ok &= Constraint(c.metric, c.op, bound).mask(pred)
            sim_idx = oracle.indices()
            sim_met = oracle.metrics()
            sim_ok = problem.valid(sim_met)
            # candidates: the first predicted Pareto layers of the unsimulated
            # designs that pass; ranked by their distance to the reference
            # front (simulated truth + those predictions)
            logp = np.log(np.maximum(pred[:, cols], 1e-300))
            unsim = np.ones(n, dtype=bool)
            unsim[sim_idx] = False
            cand = np.flatnonzero(ok & unsim)
            cand = cand[_pool(logp[cand], 2 * round_size)]
            true_pts = np.log(sim_met[sim_ok][:, cols])
            ref_pts = np.concatenate((true_pts, logp[cand]), axis=0)
            ref_ids = np.concatenate((sim_idx[sim_ok], cand))
            on = pareto_mask(ref_pts)
            d = front_distance(logp[cand], ref_pts[on], cand, ref_ids[on])
            order = np.lexsort((cand, d))
            near = int((d <= math.log1p(cfg.margin)).sum())
            take = cand[order[: min(round_size, oracle.remaining)]]
            before = set(_front_keys(problem, sim_idx, sim_met))
            preds.append(
                np.concatenate((take[:, None].astype(np.float64), raw[take]), axis=1)
            )
            simulate(take)
            after = set(_front_keys(problem, oracle.indices(), oracle.metrics()))
            r += 1
            rounds.append(
                {
                    "round": r,
                    "simulated": len(take),
                    "total": oracle.used,
                    "near_front": near,
                    "front_changed": before != after,
                }
            )
            note(
                f"round {r}: simulated {len(take)} (total {oracle.used}/{budget}), "
                f"{near} predicted within {cfg.margin:.0%} of the front"
            )
            if not len(take):
                stopped = "no candidates"
                break
            calm = calm + 1 if before == after else 0
            if near <= len(take) and calm >= 2:
                stopped = "converged"
                break
    finally:
        if cfg.threads:
            torch.set_num_threads(threads_before)
    return finish(
        "surrogate",
        oracle,
        t0,
        rounds=rounds,
        surrogate=model,
        predictions=np.concatenate(preds) if preds else None,
        stopped=stopped,
        granularity="layer" if per_layer else "network",
    )


def _train_config(
    cfg: PrunedConfig, fresh: bool, seed: int, rows: int = 0
) -> TrainConfig:
    from tldse.surrogate import TrainConfig

    # fine-tuning: at most finetune_steps minibatches per epoch, however many rows
    bs = cfg.batch_size
    if not fresh and cfg.finetune_steps:
        bs = max(bs, -(-rows // cfg.finetune_steps))
    return TrainConfig(
        epochs=cfg.epochs if fresh else cfg.finetune_epochs,
        lr=cfg.lr if fresh else cfg.finetune_lr,
        batch_size=bs,
        patience=cfg.patience,
        seed=seed,
        device=cfg.device,
        threads=cfg.threads,
    )


def pretrain(
    problem: Problem,
    designs: int,
    *,
    seed: int = 0,
    config: PrunedConfig | None = None,
    per_layer: bool = True,
) -> tuple[Surrogate, int]:
    """A surrogate (of (design, layer) pairs, or of networks) trained from
    scratch on ``designs`` Sobol-sampled designs of ``problem``'s space, each
    simulated on every one of its workloads: the source model for a search on a
    new workload (``surrogate_search(model=...)``, ``tldse explore --model``).
    Returns the model and the number of (design, workload) simulations it
    took."""
    from tldse.surrogate import fit

    cfg = config or PrunedConfig()
    if designs < 2:
        raise SearchError(f"designs: need at least 2 to train on, got {designs}")
    n = min(designs, len(problem.space))
    idx = np.unique(problem.space.sample(n, "sobol", seed))
    rows = TrainingSet(problem, problem.folded, per_layer)
    rows.add(idx, [] if per_layer else problem.simulate_parts(idx))
    x, y = rows.arrays()
    model = _new_model(cfg, seed, per_layer)
    fit(model, x, y, _train_config(cfg, True, seed))  # sets cfg.threads, and restores
    return model, len(idx) * len(problem.workloads)


def _front_keys(
    problem: Problem, idx: npt.NDArray[np.int64], met: npt.NDArray[np.float64]
) -> list[int]:
    ok = problem.valid(met)
    if not ok.any():
        return []
    pts = problem.objective_values(met[ok])
    return [int(k) for k in idx[ok][pareto_mask(pts)]]


def objective_names(problem: Problem) -> list[str]:
    """Metric column names of the problem's objectives."""
    return [OBJECTIVES[o] for o in problem.objectives]
