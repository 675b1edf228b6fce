"""Evaluating designs x layers with an evaluator: store, parallelism, timeouts.

:func:`evaluate_designs` is the one entry point (``tldse compare`` and explore use
it). For a batch of designs and a workload it

1. folds the workload to its distinct layer shapes (``tldse.workloads.fold``);
2. marks the pairs the evaluator cannot represent (``rejected``, with its reason)
   and, when the tool is not installed, every other pair (``unavailable``, with
   how to install it);
3. takes every pair the store already holds from the store, without running the
   tool (stored failures too, unless ``retry_failed``);
4. runs the rest in parallel: ``jobs`` tool processes at a time here, or one task
   per pair on a Dask cluster (``scheduler``), each with ``timeout_s`` per layer;
   results are written to the store the moment each finishes, so a killed run loses
   only what was running, and failures are recorded, never fatal;
5. returns per-(design, layer) arrays, per-design totals (count-weighted sums; a
   design with any layer not ``ok`` has NaN totals) and what the run cost
   (:class:`RunStats`: the tool's CPU and wall time, tldse's own overhead).

The analytical evaluator skips 2-4: it evaluates the whole table in C++.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tldse._util.progress import Progress
from tldse.arch import Accelerator
from tldse.evaluators.base import (
    STATUS_CODES,
    STATUS_FAILED,
    STATUS_OK,
    STATUS_REJECTED,
    STATUS_UNAVAILABLE,
    STATUSES,
    Evaluator,
    EvaluatorError,
    EvaluatorIdentity,
    LayerResult,
    TaskOutcome,
    as_config_table,
    design_key,
    failure,
    layer_key,
)
from tldse.evaluators.process import Cancelled
from tldse.evaluators.store import EvaluationStore
from tldse.workloads import fold
from tldse.workloads.layer import Layer, Workload

if TYPE_CHECKING:
    import pandas as pd

_RETRYABLE = frozenset({"failed", "timeout", "crashed"})


@dataclass
class RunStats:
    """What one :func:`evaluate_designs` call did and cost.

    ``evaluator_cpu_s`` / ``evaluator_wall_s``: CPU and wall seconds of the tool's
    processes (start-up included; wall summed over processes, so it can exceed
    ``elapsed_s`` with several jobs); ``elapsed_s``: wall time of the call;
    ``overhead_s``: the part of ``elapsed_s`` not covered by the tool running
    (``elapsed_s - evaluator_wall_s / jobs``, at least 0)."""

    pairs: int = 0
    cached: int = 0
    evaluated: int = 0
    failed: int = 0
    rejected: int = 0
    evaluator_cpu_s: float = 0.0
    evaluator_wall_s: float = 0.0
    elapsed_s: float = 0.0
    processes: int = 0
    jobs: int = 1

    def add(self, other: RunStats) -> None:
        """Adds another call's counts and times to these (``jobs`` is kept)."""
        names = ("pairs", "cached", "evaluated", "failed", "rejected", "processes",
                 "evaluator_cpu_s", "evaluator_wall_s", "elapsed_s")  # fmt: skip
        for name in names:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.jobs = max(self.jobs, other.jobs)

    @property
    def overhead_s(self) -> float:
        return max(0.0, self.elapsed_s - self.evaluator_wall_s / max(1, self.jobs))

    def summary(self) -> str:
        parts = [
            f"{self.pairs} (design, layer) pairs: {self.evaluated} evaluated, "
            f"{self.cached} from the store, {self.failed} not ok"
            + (f" ({self.rejected} rejected)" if self.rejected else ""),
            f"evaluator {self.evaluator_cpu_s:.2f} CPU-s, "
            f"{self.evaluator_wall_s:.2f} s in {self.processes} process(es)",
            f"elapsed {self.elapsed_s:.2f} s with {self.jobs} job(s), "
            f"tldse overhead {self.overhead_s:.2f} s",
        ]
        return "; ".join(parts)


@dataclass
class EvaluationBatch:
    """Results of :func:`evaluate_designs`.

    Per (design, distinct layer shape): ``latency_cycles``, ``energy_pj``,
    ``status`` (codes into ``STATUSES``), ``message``, ``extras`` (one
    ``[n_designs, n_layers]`` array per extra the tool reported, NaN where absent),
    ``cached``, and ``cpu_s``/``wall_s``, the tool's time for the pair (when it
    ran, also for cached results; NaN when unknown). ``layers`` is the folded
    workload (``count`` = occurrences) and ``index[i]`` the folded layer of
    original layer ``i``.
    """

    identity: EvaluatorIdentity | None
    designs: npt.NDArray[np.float64]
    layers: Workload
    index: npt.NDArray[np.intp]
    latency_cycles: npt.NDArray[np.float64]
    energy_pj: npt.NDArray[np.float64]
    status: npt.NDArray[np.int8]
    message: npt.NDArray[np.object_]
    extras: dict[str, npt.NDArray[np.float64]]
    cached: npt.NDArray[np.bool_]
    cpu_s: npt.NDArray[np.float64]
    wall_s: npt.NDArray[np.float64]
    stats: RunStats = field(default_factory=RunStats)

    @property
    def ok(self) -> npt.NDArray[np.bool_]:
        return np.asarray(self.status == STATUS_CODES[STATUS_OK])

    @property
    def design_ok(self) -> npt.NDArray[np.bool_]:
        """A design is ok when every one of its layers is."""
        return np.asarray(self.ok.all(axis=1))

    def _total(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        counts = np.array([layer.count for layer in self.layers], dtype=np.float64)
        total = np.where(self.ok, values, 0.0) @ counts
        return np.where(self.design_ok, total, np.nan)

    @property
    def total_latency_cycles(self) -> npt.NDArray[np.float64]:
        """Network latency per design (count-weighted); NaN for a failed design."""
        return self._total(self.latency_cycles)

    @property
    def total_energy_pj(self) -> npt.NDArray[np.float64]:
        """Network energy per design; NaN for a failed design or a tool without
        energy."""
        return self._total(self.energy_pj)

    def design_message(self, i: int) -> str:
        """Why design ``i`` failed: its first layer that is not ok ('' if none)."""
        for j in range(len(self.layers)):
            if not self.ok[i, j]:
                return (
                    f"{self.layers.layers[j].name}: {STATUSES[self.status[i, j]]}: "
                    f"{self.message[i, j]}"
                )
        return ""

    def extra(self, name: str) -> npt.NDArray[np.float64]:
        """One extra as an ``[n_designs, n_layers]`` array (NaN where missing)."""
        found = self.extras.get(name)
        if found is None:
            return np.full(self.latency_cycles.shape, np.nan)
        return found

    def extras_of(self, i: int, j: int) -> dict[str, float]:
        """The extras of one pair (those it has)."""
        return {
            k: float(v[i, j]) for k, v in self.extras.items() if not np.isnan(v[i, j])
        }

    def _set_extras(self, i: int, j: int, extras: Mapping[str, float]) -> None:
        for k, arr in self.extras.items():
            arr[i, j] = extras.get(k, np.nan)
        for k, v in extras.items():
            if k not in self.extras:
                arr = np.full(self.latency_cycles.shape, np.nan)
                arr[i, j] = v
                self.extras[k] = arr

    def to_pandas(self) -> pd.DataFrame:
        """Long format: one row per (design, distinct layer)."""
        import pandas as pd

        rows = []
        for i in range(len(self.designs)):
            for j, layer in enumerate(self.layers):
                row: dict[str, Any] = {
                    "design": i,
                    "layer": layer.name,
                    "count": layer.count,
                    "status": STATUSES[self.status[i, j]],
                    "latency_cycles": self.latency_cycles[i, j],
                    "energy_pj": self.energy_pj[i, j],
                    "cached": bool(self.cached[i, j]),
                    "message": self.message[i, j],
                }
                row.update({f"extra_{k}": v[i, j] for k, v in self.extras.items()})
                rows.append(row)
        return pd.DataFrame(rows)


@dataclass
class _Counts:
    t0: float
    t_run: float | None = None
    done: int = 0
    failed: int = 0
    ran: int = 0


@dataclass
class _Task:
    design: int  # row of the unique-design list
    layers: list[int]  # folded layer indices


def _split_tasks(
    pending: dict[int, list[int]], jobs: int, per_pair: bool
) -> list[_Task]:
    tasks: list[_Task] = []
    if per_pair:
        for d, layers in pending.items():
            tasks += [_Task(d, [j]) for j in layers]
        return tasks
    parts = max(1, math.ceil(jobs / max(1, len(pending))))
    for d, layers in pending.items():
        k = min(parts, len(layers))
        for p in range(k):
            chunk = layers[p::k]
            if chunk:
                tasks.append(_Task(d, chunk))
    return tasks


def _as_workload(workload: Workload | Sequence[Layer]) -> Workload:
    if isinstance(workload, Workload):
        return workload
    layers = list(workload)
    if not layers or not all(isinstance(x, Layer) for x in layers):
        raise EvaluatorError("workload must be a Workload or a non-empty list of Layer")
    return Workload("layers", layers)


def evaluate_designs(
    evaluator: Evaluator,
    designs: Sequence[Accelerator] | npt.ArrayLike,
    workload: Workload | Sequence[Layer],
    *,
    store: EvaluationStore | str | Path | None = None,
    jobs: int = 1,
    scheduler: Any = None,
    timeout_s: float | None = None,
    retry_failed: bool = False,
    progress: bool = False,
) -> EvaluationBatch:
    """Evaluates every design on every distinct layer of ``workload`` (see the
    module docstring). ``store``: an :class:`EvaluationStore` or a path (opened
    and closed here); ``jobs``: tool processes at a time (local); ``scheduler``: a
    Dask scheduler address or ``distributed.Client`` instead; ``timeout_s``: per
    layer; ``progress``: show the progress on stderr (pairs done, from the
    store, not ok; ETA from the pairs that ran).
    KeyboardInterrupt stops the tools; what finished is already stored."""
    t0 = time.perf_counter()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise EvaluatorError(f"jobs must be an integer >= 1, got {jobs!r}")
    if timeout_s is not None and not timeout_s > 0:
        raise EvaluatorError(f"timeout_s must be > 0, got {timeout_s!r}")
    table = as_config_table(designs)
    folded, index = fold(_as_workload(workload))
    n, m = len(table), len(folded)
    batch = EvaluationBatch(
        identity=None,
        designs=table,
        layers=folded,
        index=index,
        latency_cycles=np.full((n, m), np.nan),
        energy_pj=np.full((n, m), np.nan),
        status=np.full((n, m), STATUS_CODES[STATUS_FAILED], dtype=np.int8),
        message=np.full((n, m), "", dtype=object),
        extras={},
        cached=np.zeros((n, m), dtype=bool),
        cpu_s=np.full((n, m), np.nan),
        wall_s=np.full((n, m), np.nan),
        stats=RunStats(pairs=n * m, jobs=jobs),
    )
    if not evaluator.expensive and hasattr(evaluator, "evaluate_table"):
        _evaluate_cheap(evaluator, batch)
    else:
        st: EvaluationStore | None = None
        own = store is not None and not isinstance(store, EvaluationStore)
        if isinstance(store, EvaluationStore):
            st = store
        elif store is not None:
            st = EvaluationStore(store)
        try:
            _evaluate_expensive(
                evaluator, batch, st, jobs, scheduler, timeout_s, retry_failed, progress
            )
        finally:
            if own and st is not None:
                st.close()
    stats = batch.stats
    stats.failed = int((~batch.ok).sum())
    stats.rejected = int((batch.status == STATUS_CODES[STATUS_REJECTED]).sum())
    stats.elapsed_s = time.perf_counter() - t0
    return batch


def _evaluate_cheap(evaluator: Evaluator, batch: EvaluationBatch) -> None:
    from tldse.evaluators.analytical import EXTRA_FIELDS, infeasible_message

    cpu0, wall0 = time.process_time(), time.perf_counter()
    arrays = evaluator.evaluate_table(batch.designs, batch.layers)  # type: ignore[attr-defined]
    batch.stats.evaluator_cpu_s = time.process_time() - cpu0
    batch.stats.evaluator_wall_s = time.perf_counter() - wall0
    batch.identity = evaluator.identity()
    codes = np.asarray(arrays["status"])
    ok = codes == 0
    batch.latency_cycles[:] = np.where(ok, arrays["latency_cycles"], np.nan)
    batch.energy_pj[:] = np.where(ok, arrays["energy_pj"], np.nan)
    batch.status[:] = np.where(ok, STATUS_CODES[STATUS_OK], STATUS_CODES[STATUS_FAILED])
    # one message per (design, status): the reason depends on nothing else
    for i in np.nonzero(~ok.all(axis=1))[0]:
        row_codes = codes[i]
        for code in np.unique(row_codes[row_codes != 0]):
            why = infeasible_message(batch.designs[i], int(code))
            batch.message[i, row_codes == code] = why
    for f in EXTRA_FIELDS:
        if f in arrays:
            batch.extras[f] = np.asarray(arrays[f], dtype=np.float64)
    batch.stats.evaluated = batch.stats.pairs


def _evaluate_expensive(
    evaluator: Evaluator,
    batch: EvaluationBatch,
    store: EvaluationStore | None,
    jobs: int,
    scheduler: Any,
    timeout_s: float | None,
    retry_failed: bool,
    progress: bool,
) -> None:
    with Progress(
        progress, batch.stats.pairs, evaluator.name, "(design, layer) pairs"
    ) as bar:
        _run_expensive(evaluator, batch, store, jobs, scheduler, timeout_s,
                       retry_failed, bar)  # fmt: skip


def _run_expensive(
    evaluator: Evaluator,
    batch: EvaluationBatch,
    store: EvaluationStore | None,
    jobs: int,
    scheduler: Any,
    timeout_s: float | None,
    retry_failed: bool,
    bar: Progress,
) -> None:
    m = batch.latency_cycles.shape[1]
    stats = batch.stats
    count = _Counts(time.perf_counter())

    def record(i: int, j: int, res: LayerResult, cached: bool = False) -> None:
        batch.status[i, j] = STATUS_CODES[res.status]
        batch.latency_cycles[i, j] = res.latency_cycles if res.ok else np.nan
        batch.energy_pj[i, j] = res.energy_pj if res.ok else np.nan
        batch.message[i, j] = res.message
        batch._set_extras(i, j, res.extras)
        batch.cached[i, j] = cached
        batch.cpu_s[i, j] = res.cpu_s
        batch.wall_s[i, j] = res.wall_s
        count.done += 1
        count.failed += 0 if res.ok else 1

    def report(last: str = "") -> None:
        bar.detail = f"{stats.cached} from the store, {count.failed} not ok"
        if last:
            bar.detail += f"; {last}"
        if count.t_run is None:
            bar.start_at(count.done)  # stored and rejected pairs: no ETA from them
        else:
            bar.update(count.done)

    # 2. what the evaluator cannot represent (vectorised: spaces can be large)
    layer_reasons = np.array(
        [evaluator.check_layer(layer) for layer in batch.layers], dtype=object
    )
    design_reasons = np.asarray(evaluator.check_designs(batch.designs), dtype=object)
    why = np.where(
        (design_reasons != "")[:, None], design_reasons[:, None], layer_reasons[None, :]
    )
    rejected = why != ""
    batch.status[rejected] = STATUS_CODES[STATUS_REJECTED]
    batch.message[rejected] = why[rejected]
    count.done += int(rejected.sum())
    count.failed += int(rejected.sum())
    todo = ~rejected
    if not todo.any():
        report()
        return
    why_not = evaluator.unavailable()
    if why_not:
        for i, j in zip(*np.nonzero(todo), strict=True):
            record(int(i), int(j), failure(STATUS_UNAVAILABLE, why_not))
        report()
        return
    identity = evaluator.identity()
    batch.identity = identity
    ekey = store.register(identity) if store is not None else identity.key
    dkeys = [design_key(row) for row in batch.designs]
    lkeys = [layer_key(layer) for layer in batch.layers]
    unique: dict[str, list[int]] = {}
    for i, k in enumerate(dkeys):
        unique.setdefault(k, []).append(i)
    ukeys = list(unique)
    # 3. the store
    if store is not None:
        pairs = [(dkeys[i], lkeys[j]) for i, j in zip(*np.nonzero(todo), strict=True)]
        found = store.get_many(ekey, pairs)
        for (dk, lk), res in found.items():
            if retry_failed and res.status in _RETRYABLE:
                continue
            j = lkeys.index(lk)
            for i in unique[dk]:
                if todo[i, j]:
                    record(i, j, res, cached=True)
                    todo[i, j] = False
                    stats.cached += 1
    report()
    # 4. run the rest, once per unique design
    pending: dict[int, list[int]] = {}
    for u, k in enumerate(ukeys):
        first = unique[k][0]
        cols = [j for j in range(m) if todo[first, j]]
        if cols:
            pending[u] = cols
    if not pending:
        return
    tasks = _split_tasks(pending, jobs, per_pair=scheduler is not None)
    events: queue.Queue[tuple[str, Any]] = queue.Queue()
    accs = [Accelerator.from_row(batch.designs[unique[k][0]]) for k in ukeys]
    count.t_run = time.perf_counter()

    def on_result(task: _Task, local: int, res: LayerResult) -> None:
        events.put(("result", (task, task.layers[local], res)))

    if scheduler is not None:
        runner: _Backend = _DaskBackend(scheduler)
    else:
        runner = _LocalBackend(jobs)
    runner.start(
        _Job(evaluator, tasks, accs, batch.layers, timeout_s, events, on_result)
    )
    remaining = len(tasks)
    try:
        while remaining:
            kind, payload = events.get()
            if kind == "result":
                task, j, res = payload
                k = ukeys[task.design]
                if store is not None:
                    store.put(ekey, k, lkeys[j], res)
                for i in unique[k]:
                    record(i, j, res)
                    count.ran += 1
                stats.evaluated += len(unique[k])
                report(f"{batch.layers.layers[j].name}: {res.status}")
            elif kind == "task":
                task, outcome = payload
                _late_cpu(task, outcome, ukeys, unique, lkeys, batch, store, ekey)
                stats.evaluator_cpu_s += outcome.cpu_s
                stats.evaluator_wall_s += outcome.wall_s
                stats.processes += outcome.processes
                remaining -= 1
            elif kind == "error":
                raise payload
    except BaseException:
        runner.cancel()
        raise
    finally:
        runner.close()


def _late_cpu(
    task: _Task,
    outcome: TaskOutcome,
    ukeys: list[str],
    unique: dict[str, list[int]],
    lkeys: list[str],
    batch: EvaluationBatch,
    store: EvaluationStore | None,
    ekey: str,
) -> None:
    """Tools that report no CPU time get a share of their process's, known only
    when it ends: written to the batch and the store then."""
    k = ukeys[task.design]
    for local, res in enumerate(outcome.results):
        j = task.layers[local]
        first = unique[k][0]
        if math.isfinite(res.cpu_s) and not math.isfinite(batch.cpu_s[first, j]):
            for i in unique[k]:
                batch.cpu_s[i, j] = res.cpu_s
            if store is not None:
                store.put(ekey, k, lkeys[j], res)


@dataclass
class _Job:
    """What a backend runs: ``tasks`` over ``designs`` x ``layers``; results go to
    ``on_result`` as they come, each finished task to ``events``."""

    evaluator: Evaluator
    tasks: list[_Task]
    designs: list[Accelerator]
    layers: Workload
    timeout_s: float | None
    events: queue.Queue[tuple[str, Any]]
    on_result: Callable[[_Task, int, LayerResult], None]


class _Backend:
    def start(self, job: _Job) -> None:
        raise NotImplementedError

    def cancel(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _LocalBackend(_Backend):
    """``jobs`` threads, each driving one tool process at a time."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, job: _Job) -> None:
        work: queue.Queue[_Task] = queue.Queue()
        for task in job.tasks:
            work.put(task)

        def worker() -> None:
            while not self.stop.is_set():
                try:
                    task = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    outcome = job.evaluator.run_layers(
                        job.designs[task.design],
                        [job.layers.layers[j] for j in task.layers],
                        timeout_s=job.timeout_s,
                        cancel=self.stop,
                        on_result=_bind(job.on_result, task),
                    )
                    job.events.put(("task", (task, outcome)))
                except Cancelled:
                    return
                except BaseException as exc:  # a bug: surface it in the caller
                    job.events.put(("error", exc))
                    return

        for _ in range(min(self.jobs, len(job.tasks))):
            t = threading.Thread(target=worker, daemon=True)
            t.start()
            self.threads.append(t)

    def cancel(self) -> None:
        self.stop.set()

    def close(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()


def _bind(
    on_result: Callable[[_Task, int, LayerResult], None], task: _Task
) -> Callable[[int, LayerResult], None]:
    def call(i: int, res: LayerResult) -> None:
        on_result(task, i, res)

    return call


def _run_remote(
    evaluator: Evaluator, design: Accelerator, layer: Layer, timeout_s: float | None
) -> TaskOutcome:
    """One (design, layer) evaluation on a Dask worker."""
    return evaluator.run_layers(design, [layer], timeout_s=timeout_s)


class _DaskBackend(_Backend):
    """One Dask task per (design, layer) pair: each result comes back (and is
    stored) as it finishes. Workers need tldse and the tool installed."""

    def __init__(self, scheduler: Any) -> None:
        try:
            import distributed
        except ImportError as exc:
            raise EvaluatorError(
                "--scheduler needs the 'distributed' package: pip install 'tldse[dask]'"
            ) from exc
        self.distributed = distributed
        self.own = isinstance(scheduler, str)
        if self.own:
            try:
                self.client = distributed.Client(  # type: ignore[no-untyped-call]
                    scheduler, timeout=30
                )
            except (OSError, TimeoutError) as exc:
                raise EvaluatorError(
                    f"cannot reach the Dask scheduler at {scheduler}: {exc}"
                ) from None
        else:
            self.client = scheduler
        self.futures: list[Any] = []
        self.thread: threading.Thread | None = None
        self.stop = threading.Event()

    def start(self, job: _Job) -> None:
        by_future: dict[Any, _Task] = {}
        for task in job.tasks:
            fut = self.client.submit(
                _run_remote,
                job.evaluator,
                job.designs[task.design],
                job.layers.layers[task.layers[0]],
                job.timeout_s,
                pure=False,
            )
            by_future[fut] = task
        self.futures = list(by_future)

        def collect() -> None:
            try:
                for fut in self.distributed.as_completed(self.futures):
                    if self.stop.is_set():
                        return
                    task = by_future[fut]
                    try:
                        outcome: TaskOutcome = fut.result()
                    except Exception as exc:  # the worker died or raised
                        res = failure("crashed", f"Dask task failed: {exc}")
                        outcome = TaskOutcome([res])
                    job.on_result(task, 0, outcome.results[0])
                    job.events.put(("task", (task, outcome)))
            except BaseException as exc:
                job.events.put(("error", exc))

        self.thread = threading.Thread(target=collect, daemon=True)
        self.thread.start()

    def cancel(self) -> None:
        self.stop.set()
        if self.futures:
            self.client.cancel(self.futures)  # type: ignore[no-untyped-call,unused-ignore]

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=10)
        if self.own:
            self.client.close()  # type: ignore[no-untyped-call,unused-ignore]
