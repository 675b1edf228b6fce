"""Exhaustive sweeps: every design of a space on a workload, streamed in chunks,
with a constrained Pareto front, resumable checkpoints and optional Dask scale-out.

A chunk is a contiguous range ``[start, stop)`` of design indices, so any process can
regenerate its designs from ``(space, start, stop)``. :func:`run_chunk` evaluates one
chunk and returns its own front (a few hundred rows), never the whole chunk unless
``save_all``; the driver merges chunk fronts into a :class:`ParetoArchive`, whose
result does not depend on chunk size, order or machine. With ``out=DIR`` every
finished chunk is written to ``DIR/chunks/`` (temp file, then rename) under a
``DIR/manifest.json`` that records what is being swept; a re-run with the same
arguments loads the finished chunks and evaluates only the rest.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import shutil
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tldse._util.io import (
    atomic_write,
    differences,
    output_lock,
    package_version,
    remove_stale_temps,
    write_atomic,
    write_json_atomic,
    write_parquet_atomic,
)
from tldse._util.progress import Progress
from tldse._util.table import plural, to_html, wrap
from tldse.arch import EnergyTable, energy_from_spec, energy_spec
from tldse.search.metrics import (
    METRICS,
    Constraint,
    network_metrics,
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
from tldse.sim import evaluate, per_layer_breakdown
from tldse.space import DesignSpace
from tldse.workloads.fold import fold
from tldse.workloads.layer import Workload
from tldse.workloads.resolve import resolve_workload

if TYPE_CHECKING:
    import pandas as pd

FORMAT_VERSION = 1
DEFAULT_CHUNK_SIZE = 32768
DEFAULT_OBJECTIVES = ("latency", "energy", "area")
SAMPLE_POINTS = 20000  # background points kept for the plot (every k-th design)
OUTPUT_FILES = ("front.csv", "best.json", "pareto.png", "front_layers.csv")
#: Names of the front files before they were named as explore's (still
#: recognised as this sweep's, and replaced by the new names when it finishes).
LEGACY_FILES = ("pareto.csv", "pareto_layers.csv")


#: Relative cost of evaluating one design per dataflow (``tldse bench`` on the
#: 2-core machine, README "Speed": ws, os, is 8.1 M evaluations/s; rs with the
#: heuristic mapper 0.87 M/s, with the exhaustive one 4.6 k/s). Weights of the
#: sweep's ETA only; nothing else depends on them.
DATAFLOW_COST: dict[str, float] = {"ws": 1.0, "os": 1.0, "is": 1.0, "rs": 9.3}
RS_EXHAUSTIVE_COST = 1760.0


def chunk_costs(
    space: DesignSpace, chunk_size: int, mapper: str = "heuristic"
) -> npt.NDArray[np.float64]:
    """The expected relative cost of each chunk of a sweep: the sum over its
    designs of :data:`DATAFLOW_COST` of their dataflow (the space's dataflow mix
    over the chunk's index range; its base design's dataflow when the space does
    not vary it). The sweep's progress weights its ETA with these."""
    n = len(space)
    n_chunks = -(-n // chunk_size)
    cost = dict(DATAFLOW_COST)
    if mapper == "exhaustive":
        cost["rs"] = RS_EXHAUSTIVE_COST
    if "dataflow" not in space.names:
        per = cost.get(str(space.base.dataflow), 1.0)
        sizes = np.minimum(chunk_size, n - chunk_size * np.arange(n_chunks))
        return sizes.astype(np.float64) * per
    j = space.names.index("dataflow")
    per_choice = np.array([cost.get(str(v), 1.0) for v in space["dataflow"].values])
    out = np.empty(n_chunks, dtype=np.float64)
    for k, (lo, hi) in enumerate(space.chunks(chunk_size)):
        digits = space.digits(np.arange(lo, hi, dtype=np.int64))[:, j]
        out[k] = per_choice[digits].sum()
    return out


class SweepError(ValueError):
    """A sweep that cannot run as asked (e.g. DIR holds a different sweep)."""


# ---------------------------------------------------------------- one chunk


@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs to evaluate designs ``[start, stop)``."""

    space: DesignSpace
    workload: Workload  # folded
    objectives: tuple[str, ...]
    constraints: tuple[Constraint, ...]
    energy: dict[str, Any]
    mapper: str
    mapper_objective: str
    sample_stride: int
    start: int
    stop: int
    threads: int = 0
    save_all: bool = False
    unique: bool = True


@dataclass
class ChunkResult:
    """A chunk's counts, its own Pareto front and plot sample (and, with
    ``save_all``, every design's status and metrics)."""

    start: int
    stop: int
    n_feasible: int
    n_valid: int
    front_index: npt.NDArray[np.int64]
    front_metrics: npt.NDArray[np.float64]
    front_counts: npt.NDArray[np.int64]
    sample_index: npt.NDArray[np.int64]
    sample_metrics: npt.NDArray[np.float64]
    all_status: npt.NDArray[np.int32] | None = None
    all_metrics: npt.NDArray[np.float64] | None = None

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        return {
            "range": np.array([self.start, self.stop, self.n_feasible, self.n_valid]),
            "front_index": self.front_index,
            "front_metrics": self.front_metrics,
            "front_counts": self.front_counts,
            "sample_index": self.sample_index,
            "sample_metrics": self.sample_metrics,
        }

    @classmethod
    def from_arrays(cls, data: Any) -> ChunkResult:
        start, stop, n_feasible, n_valid = (int(v) for v in data["range"])
        return cls(
            start,
            stop,
            n_feasible,
            n_valid,
            np.asarray(data["front_index"], dtype=np.int64),
            np.asarray(data["front_metrics"], dtype=np.float64),
            np.asarray(data["front_counts"], dtype=np.int64),
            np.asarray(data["sample_index"], dtype=np.int64),
            np.asarray(data["sample_metrics"], dtype=np.float64),
        )


def evaluate_designs(
    space: DesignSpace,
    indices: npt.ArrayLike,
    workload: Workload,
    *,
    energy: str | Path | EnergyTable | dict[str, Any] | None = None,
    threads: int | None = None,
    mapper: str = "heuristic",
    mapper_objective: str = "edp",
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32]]:
    """``(metrics, status)`` of designs of ``space`` on ``workload`` (fold it
    first): ``metrics`` is ``(n, len(METRICS))``, NaN where ``status != 0``."""
    configs = space.configs(indices)
    table = energy_from_spec(energy) if isinstance(energy, dict) else energy
    ev = evaluate(
        configs,
        workload,
        energy=table,
        threads=threads,
        per_network=True,
        mapper_objective=mapper_objective,  # type: ignore[arg-type]
        mapper=mapper,  # type: ignore[arg-type]
    )
    status = np.asarray(ev["status"], dtype=np.int32)
    return network_metrics(ev.arrays, configs), status


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Evaluates one chunk: counts, its constrained front, its plot sample."""
    idx = np.arange(task.start, task.stop, dtype=np.int64)
    metrics, status = evaluate_designs(
        task.space,
        idx,
        task.workload,
        energy=task.energy,
        threads=task.threads,
        mapper=task.mapper,
        mapper_objective=task.mapper_objective,
    )
    feasible = status == 0
    valid = feasible.copy()
    for c in task.constraints:
        valid &= c.mask(metrics)
    v_idx, v_metrics = idx[valid], metrics[valid]
    archive = ParetoArchive(
        len(METRICS), objective_columns(task.objectives), unique=task.unique
    )
    archive.add(v_idx, v_metrics)
    pick = v_idx % task.sample_stride == 0
    return ChunkResult(
        task.start,
        task.stop,
        int(feasible.sum()),
        int(valid.sum()),
        archive.keys,
        archive.values,
        archive.counts,
        v_idx[pick],
        v_metrics[pick],
        status if task.save_all else None,
        metrics if task.save_all else None,
    )


# ---------------------------------------------------------------- the result


@dataclass
class SweepResult:
    """A finished sweep: the Pareto front (one row per design, sorted by design
    index), the best design per objective, and counts."""

    space: DesignSpace
    workload: Workload
    objectives: list[str]
    constraints: list[Constraint]
    front: pd.DataFrame
    best: dict[str, dict[str, Any]]
    n_designs: int
    n_feasible: int
    n_valid: int
    chunks: int
    chunks_resumed: int
    n_evaluated: int
    seconds: float
    sample: pd.DataFrame
    out: Path | None = None
    energy: dict[str, Any] = field(default_factory=dict)
    mapper: str = "heuristic"
    mapper_objective: str = "edp"
    #: every chunk is done (``stop_after`` can leave a sweep unfinished)
    complete: bool = True

    def summary(self) -> dict[str, Any]:
        """What was swept and found (the body of ``best.json``)."""
        return {
            "workload": self.workload.name,
            "space": self.space.name,
            "objectives": self.objectives,
            "constraints": [str(c) for c in self.constraints],
            "designs": self.n_designs,
            "feasible": self.n_feasible,
            "meet_constraints": self.n_valid,
            "front_size": len(self.front),
            "units": {
                "latency_ms": "ms",
                "energy_uj": "uJ",
                "edp_uj_ms": "uJ*ms",
                "area_mm2": "mm^2",
                "power_mw": "mW",
            },
            "best": self.best,
        }

    def _headline(self) -> str:
        ties = (
            f" (standing for {plural(int(self.front['ties'].sum()), 'design')})"
            if "ties" in self.front and len(self.front)
            else ""
        )
        cons = ", ".join(str(c) for c in self.constraints)
        valid = f", {self.n_valid:,} meet {cons}" if cons else ""
        return (
            f"sweep of {self.workload.name} on {self.space.name}: "
            f"{plural(self.n_designs, 'design')} in {self.seconds:.1f} s, "
            f"{self.n_feasible:,} feasible{valid}\n"
            f"Pareto front over {', '.join(self.objectives)}: "
            f"{plural(len(self.front), 'design')}{ties}"
            + ("" if self.complete else " (unfinished: some chunks not evaluated)")
        )

    def __repr__(self) -> str:
        table = front_table(self.front, self.space.names, self.objectives)
        return f"{wrap(self._headline())}\n{table}"

    def _repr_html_(self) -> str:
        cols = design_columns(
            self.space.names, self.objectives, ties="ties" in self.front
        )
        head = "<br>".join(html.escape(x) for x in self._headline().splitlines())
        rows = self.front.head(60).to_dict("records")
        return f"<p>{head}</p>" + to_html(cols, rows)

    def per_layer(self) -> pd.DataFrame:
        """The front designs layer by layer (``pareto_layers.csv``): one row per
        (design, layer of the workload), the design ``index`` and ``workload`` in
        front of the report schema (:data:`tldse.sim.REPORT_COLUMNS`: latency
        split, bound, energy by level and tensor, accesses, area, mapping)."""
        idx = self.front["index"].to_numpy(dtype=np.int64)
        return per_layer_breakdown(
            self.space.configs(idx),
            self.workload,
            index=idx,
            energy=energy_from_spec(self.energy) if self.energy else None,
            mapper_objective=self.mapper_objective,  # type: ignore[arg-type]
            mapper=self.mapper,  # type: ignore[arg-type]
        )


# ---------------------------------------------------------------- files


def _chunk_path(out: Path, number: int) -> Path:
    return out / "chunks" / f"chunk-{number:08d}.npz"


def _chunk_number(path: Path) -> int | None:
    digits = path.stem.partition("-")[2]
    return int(digits) if digits.isdigit() else None


def _part_path(out: Path, number: int) -> Path:
    return out / "all" / f"part-{number:08d}.parquet"


def _clear(out: Path) -> None:
    """Removes what a sweep writes in ``out`` (and nothing else)."""
    for sub in ("chunks", "all"):
        shutil.rmtree(out / sub, ignore_errors=True)
    for name in ("manifest.json", *OUTPUT_FILES):
        with contextlib.suppress(FileNotFoundError):
            (out / name).unlink()


# ---------------------------------------------------------------- executors

Executor = Callable[[Iterable[ChunkTask]], Iterator[ChunkResult]]


def local_executor(tasks: Iterable[ChunkTask]) -> Iterator[ChunkResult]:
    """Runs chunks here, one at a time (each uses every core in C++)."""
    for task in tasks:
        yield run_chunk(task)


# ---------------------------------------------------------------- the sweep


def sweep(
    space: DesignSpace | str | Path,
    workload: Workload | str | Path,
    *,
    objectives: str | Sequence[str] = DEFAULT_OBJECTIVES,
    constraints: Iterable[str | Constraint] | str | None = None,
    out: str | Path | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    energy: str | Path | EnergyTable | None = None,
    mapper: str = "heuristic",
    mapper_objective: str = "edp",
    threads: int | None = None,
    save_all: bool = False,
    ties: str = "first",
    overwrite: bool = False,
    executor: Executor | None = None,
    progress: bool = False,
    stop_after: int | None = None,
) -> SweepResult:
    """Evaluates every design of ``space`` on ``workload`` and returns the
    constrained Pareto front over ``objectives``.

    ``space``: a :class:`DesignSpace`, a built-in name or a space file.
    ``workload``: a :class:`Workload`, a zoo name or a topology file (folded so
    each distinct layer shape is simulated once). ``objectives``: 1-4 of latency,
    energy, area, edp, power (``"latency,energy"``). ``constraints``: strings
    such as ``"area_mm2<=4"`` (see :mod:`tldse.search.metrics`). ``out``: a
    folder for checkpoints and outputs (``front.csv``, ``best.json``,
    ``all/*.parquet`` with ``save_all``); re-running with the same
    arguments resumes. ``executor``: how chunks run (default here, in C++
    threads; :func:`tldse.search.dask.dask_executor` for a cluster).
    ``ties``: ``"first"`` keeps one design per distinct objective vector on the
    front (the lowest index; column ``ties`` counts the designs it stands for),
    ``"all"`` keeps every tied design. ``stop_after``: evaluate at most that many
    new chunks, then stop (for tests of resuming; the result then covers only the
    finished chunks, and no output file is written).
    """
    if isinstance(space, (str, Path)):
        space = DesignSpace.load(space)
    wl = resolve_workload(workload)
    objs = parse_objectives(objectives)
    cons = parse_constraints(constraints)
    if chunk_size < 1:
        raise SweepError(f"chunk_size must be >= 1, got {chunk_size}")
    if ties not in ("first", "all"):
        raise SweepError(f"ties must be 'first' or 'all', got {ties!r}")
    unique = ties == "first"
    space._check_indexable()
    folded, _ = fold(wl)
    espec = energy_spec(energy)
    n = len(space)
    stride = max(1, n // SAMPLE_POINTS)
    n_chunks = -(-n // chunk_size)

    def bounds(k: int) -> tuple[int, int]:
        return k * chunk_size, min((k + 1) * chunk_size, n)

    archive = ParetoArchive(len(METRICS), objective_columns(objs), unique=unique)
    samples: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]] = []
    counts = [0, 0]
    done: set[int] = set()
    out_dir = Path(out) if out is not None else None
    t0 = time.perf_counter()

    def absorb(res: ChunkResult) -> None:
        archive.add(res.front_index, res.front_metrics, res.front_counts)
        samples.append((res.sample_index, res.sample_metrics))
        counts[0] += res.n_feasible
        counts[1] += res.n_valid

    manifest = {
        "format": FORMAT_VERSION,
        "tldse_version": package_version(),
        "space": space.to_dict(),
        "workload": {
            "name": folded.name,
            "layers": folded.table().tolist(),
        },
        "objectives": objs,
        "constraints": [str(c) for c in cons],
        "chunk_size": chunk_size,
        "energy": espec,
        "mapper": mapper,
        "mapper_objective": mapper_objective,
        "save_all": save_all,
        "ties": ties,
        "designs": n,
    }
    with contextlib.ExitStack() as stack:
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            stack.enter_context(output_lock(out_dir, "tldse sweep"))
            _prepare_dir(out_dir, manifest, overwrite, save_all)
            for path in sorted((out_dir / "chunks").glob("chunk-*.npz")):
                number = _chunk_number(path)
                if number is None or number >= n_chunks:
                    continue
                res = _load_chunk(out_dir, number, *bounds(number), save_all)
                if res is not None:
                    absorb(res)
                    done.add(number)
        resumed = len(done)
        todo: Iterable[int] = (k for k in range(n_chunks) if k not in done)
        if stop_after is not None:
            todo = itertools.islice(todo, max(0, stop_after))
        tasks = (
            ChunkTask(
                space=space,
                workload=folded,
                objectives=tuple(objs),
                constraints=tuple(cons),
                energy=espec,
                mapper=mapper,
                mapper_objective=mapper_objective,
                sample_stride=stride,
                start=bounds(k)[0],
                stop=bounds(k)[1],
                threads=0 if threads is None else threads,
                save_all=save_all,
                unique=unique,
            )
            for k in todo
        )
        run = executor or local_executor
        label = f"{wl.name} on {space.name}"
        evaluated = 0
        costs = chunk_costs(space, chunk_size, mapper) if progress else None
        work = float(costs.sum()) if costs is not None else None
        with Progress(progress, n, label, "designs", rate=True, total_work=work) as bar:
            bar.start_at(
                sum(bounds(k)[1] - bounds(k)[0] for k in done),
                None if costs is None else float(costs[sorted(done)].sum()),
            )
            for res in run(tasks):
                number = res.start // chunk_size
                if out_dir is not None:
                    _save_chunk(out_dir, number, res, space)
                absorb(res)
                done.add(number)
                bar.advance(
                    res.stop - res.start,
                    work=None if costs is None else float(costs[number]),
                )
                evaluated += res.stop - res.start
        front = _front_frame(space, archive)
        result = SweepResult(
            space=space,
            workload=wl,
            objectives=objs,
            constraints=cons,
            front=front,
            best=best_designs(front, objs),
            n_designs=n,
            n_feasible=counts[0],
            n_valid=counts[1],
            chunks=n_chunks,
            chunks_resumed=resumed,
            n_evaluated=evaluated,
            seconds=time.perf_counter() - t0,
            sample=_sample_frame(samples),
            out=out_dir,
            energy=espec,
            mapper=mapper,
            mapper_objective=mapper_objective,
            complete=len(done) == n_chunks,
        )
        if out_dir is not None and result.complete:
            write_outputs(result, out_dir)
    return result


def _prepare_dir(
    out: Path, manifest: dict[str, Any], overwrite: bool, save_all: bool
) -> None:
    path = out / "manifest.json"
    if overwrite:
        _clear(out)
    elif path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError, RecursionError):
            old = {}
        diff = differences(old, manifest)
        if diff:
            raise SweepError(
                f"{out} holds a different sweep (differs in: {', '.join(diff)}); "
                "use --overwrite to start it afresh, or another --out"
            )
    else:
        ours = [n for n in OUTPUT_FILES + LEGACY_FILES if (out / n).exists()]
        if ours or (out / "chunks").exists():
            raise SweepError(
                f"{out} holds sweep outputs but no manifest.json; use --overwrite "
                "to replace them, or another --out"
            )
    (out / "chunks").mkdir(exist_ok=True)
    if save_all:
        (out / "all").mkdir(exist_ok=True)
    for sub in ("chunks", "all", "."):
        remove_stale_temps(out / sub)
    if not path.exists():
        write_json_atomic(path, manifest)


def _load_chunk(
    out: Path, number: int, lo: int, hi: int, save_all: bool
) -> ChunkResult | None:
    path = _chunk_path(out, number)
    if not path.exists() or (save_all and not _part_path(out, number).exists()):
        return None
    try:
        # our own handle: np.load leaks its file when the zip is damaged
        with open(path, "rb") as f, np.load(f) as data:
            res = ChunkResult.from_arrays(data)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error):
        return None  # truncated, empty or corrupt: evaluate the chunk again
    if (res.start, res.stop) != (lo, hi):
        return None
    return res


def _save_chunk(out: Path, number: int, res: ChunkResult, space: DesignSpace) -> None:
    if res.all_metrics is not None and res.all_status is not None:
        idx = np.arange(res.start, res.stop, dtype=np.int64)
        df = results_frame(space, idx, res.all_metrics, res.all_status)
        write_parquet_atomic(_part_path(out, number), df)
    arrays = res.arrays()

    def write(f: IO[bytes]) -> None:
        np.savez(f, **arrays)  # type: ignore[arg-type]

    atomic_write(_chunk_path(out, number), write)


def _front_frame(space: DesignSpace, archive: ParetoArchive) -> pd.DataFrame:
    front = results_frame(space, archive.keys, archive.values)
    if archive.unique:
        front["ties"] = archive.counts
    return front


def _sample_frame(
    samples: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]],
) -> pd.DataFrame:
    import pandas as pd

    if not samples:
        return pd.DataFrame(columns=["index", *METRICS])
    s_idx = np.concatenate([s[0] for s in samples])
    s_met = np.concatenate([s[1] for s in samples])
    order = np.argsort(s_idx, kind="stable")
    sample = pd.DataFrame(s_met[order], columns=list(METRICS))
    sample.insert(0, "index", s_idx[order])
    return sample


def write_outputs(result: SweepResult, out: Path, *, per_layer: bool = False) -> None:
    """``front.csv``, ``best.json`` (and ``front_layers.csv`` with
    ``per_layer``), each written whole or not at all; the files' older names
    (``pareto.csv``, ``pareto_layers.csv``) are removed. The plot ``pareto.png``
    is the reporting layer's (:func:`tldse.reporting.sweep.write_sweep_report`)."""
    write_json_atomic(out / "best.json", result.summary(), sort_keys=False)
    if per_layer:
        write_atomic(out / "front_layers.csv", result.per_layer().to_csv(index=False))
    write_atomic(out / "front.csv", result.front.to_csv(index=False))
    for name in LEGACY_FILES:
        with contextlib.suppress(OSError):
            (out / name).unlink()
