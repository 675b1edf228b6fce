"""Dask (``distributed``) backend: shards a sweep's chunks across workers.

The driver (the process that calls :func:`tldse.search.sweep`) keeps the Pareto
front and writes every checkpoint and output; workers only evaluate chunks
(:func:`tldse.search.sweep.run_chunk`) and send back each chunk's front, so the
workers need tldse installed (the same version) but no shared file system. The
same code runs on a ``LocalCluster`` (``workers=N``) and on a real scheduler
(``scheduler="tcp://host:8786"``)::

    from tldse.search.dask import connect, dask_executor
    with connect(scheduler="tcp://10.0.0.5:8786") as client:
        result = sweep("cloud", "resnet50", executor=dask_executor(client))

Results are identical to a local run: a chunk's result does not depend on where
it runs, and fronts merge the same in any order.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from tldse._util.io import package_version
from tldse.search.sweep import ChunkResult, ChunkTask, Executor, run_chunk


class DaskUnavailableError(ValueError):
    """The ``distributed`` package is missing, or the cluster cannot be reached."""


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise DaskUnavailableError(
            "Dask scale-out needs the 'distributed' package: "
            "pip install 'tldse[dask]' (or pip install distributed)"
        ) from exc
    return distributed


def _worker_version() -> str:
    return package_version()


@contextlib.contextmanager
def connect(
    scheduler: str | None = None,
    workers: int | None = None,
    *,
    threads_per_worker: int = 1,
    timeout_s: float = 30,
) -> Iterator[Any]:
    """A ``distributed.Client``: to ``scheduler`` (an address such as
    ``tcp://host:8786``) or, without one, to a ``LocalCluster`` of ``workers``
    processes (default: one per core) that is shut down on exit."""
    distributed = _import_distributed()
    if scheduler and workers:
        raise DaskUnavailableError(
            "give a scheduler address or a worker count, not both"
        )
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout=timeout_s)
        except (OSError, TimeoutError) as exc:
            raise DaskUnavailableError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    n = workers if workers else (os.cpu_count() or 1)
    if n < 1:
        raise DaskUnavailableError(f"workers must be >= 1, got {n}")
    with (
        distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=threads_per_worker,
            processes=True,
            dashboard_address=":0",  # a free port: several clusters may run
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def dask_executor(client: Any, *, max_in_flight: int | None = None) -> Executor:
    """An executor for :func:`tldse.search.sweep` that runs chunks on ``client``'s
    workers, at most ``max_in_flight`` at a time (default: twice the worker
    threads), yielding results as they finish."""
    distributed = _import_distributed()
    versions = set(client.run(_worker_version).values())
    mine = _worker_version()
    if versions - {mine}:
        raise DaskUnavailableError(
            f"the Dask workers run tldse {', '.join(sorted(versions))} but this is "
            f"{mine}; install the same version on every worker"
        )

    def run(tasks: Iterable[ChunkTask]) -> Iterator[ChunkResult]:
        it = iter(tasks)
        threads = sum(client.nthreads().values()) or 1
        limit = max_in_flight or 2 * threads
        pending = distributed.as_completed()
        for task in islice(it, limit):
            pending.add(client.submit(run_chunk, task, pure=False))
        for future in pending:
            result: ChunkResult = future.result()
            future.release()
            nxt = next(it, None)
            if nxt is not None:
                pending.add(client.submit(run_chunk, nxt, pure=False))
            yield result

    return run
