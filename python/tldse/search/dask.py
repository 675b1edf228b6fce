"""Dask (``distributed``) backend: shards a sweep's chunks across workers.

The driver (the process that calls :func:`tldse.search.sweep`) keeps the Pareto
front and writes every checkpoint and output; workers only evaluate chunks
(:func:`tldse.search.sweep.run_chunk`) and send back each chunk's front, so the
workers need tldse installed (the same version) but no shared file system. The
same code runs on a ``LocalCluster`` (``workers=N``; the scheduler, the workers
and the dashboard listen on 127.0.0.1 only) and on a real scheduler::

    from tldse.search.dask import TLSFiles, connect, dask_executor
    tls = TLSFiles(ca_file="ca.pem", cert="client.pem", key="client-key.pem")
    with connect(scheduler="tls://10.0.0.5:8786", tls=tls) as client:
        result = sweep("cloud", "resnet50", executor=dask_executor(client))

Dask sends pickled functions: a scheduler reached over plain ``tcp://`` runs code
for anyone who can reach its port. Use ``tls://`` with certificates (Dask's
``Security``) outside a trusted private network (docs/sweep.md).

Results are identical to a local run: a chunk's result does not depend on where
it runs, and fronts merge the same in any order.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
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


@dataclass(frozen=True)
class TLSFiles:
    """PEM files for a ``tls://`` scheduler (Dask's ``Security``): the CA that
    signed the scheduler's certificate, and this client's certificate and key
    (``key`` may be omitted when ``cert`` holds both)."""

    ca_file: str | Path
    cert: str | Path
    key: str | Path | None = None

    def security(self) -> Any:
        """The ``distributed.Security`` of these files (each must exist)."""
        distributed = _import_distributed()
        for field, value in (
            ("--tls-ca-file", self.ca_file),
            ("--tls-cert", self.cert),
            ("--tls-key", self.key),
        ):
            if value is not None and not Path(value).is_file():
                raise DaskUnavailableError(f"{field}: {value}: no such file")
        return distributed.Security(
            tls_ca_file=str(self.ca_file),
            tls_client_cert=str(self.cert),
            tls_client_key=None if self.key is None else str(self.key),
            require_encryption=True,
        )


def _security(scheduler: str, tls: TLSFiles | None) -> Any:
    """The Security for ``scheduler``: ``tls`` (or Dask's own
    ``distributed.comm.tls`` configuration) for ``tls://``; none for others."""
    distributed = _import_distributed()
    if not scheduler.startswith("tls://"):
        if tls is not None:
            raise DaskUnavailableError(
                f"TLS files given but the scheduler address {scheduler} is not tls://"
            )
        return None
    if tls is not None:
        return tls.security()
    configured = distributed.Security()  # Dask's configuration files, if any
    if not configured.tls_ca_file or not configured.tls_client_cert:
        raise DaskUnavailableError(
            f"{scheduler}: a tls:// scheduler needs --tls-ca-file, --tls-cert and "
            "--tls-key (or Dask's distributed.comm.tls configuration)"
        )
    return configured


@contextlib.contextmanager
def connect(
    scheduler: str | None = None,
    workers: int | None = None,
    *,
    threads_per_worker: int = 1,
    timeout_s: float = 30,
    tls: TLSFiles | None = None,
) -> Iterator[Any]:
    """A ``distributed.Client``: to ``scheduler`` (an address such as
    ``tls://host:8786``, with ``tls`` files, or ``tcp://host:8786``) or, without
    one, to a ``LocalCluster`` of ``workers`` processes (default: one per core)
    bound to 127.0.0.1, dashboard included, that is shut down on exit."""
    distributed = _import_distributed()
    if scheduler and workers:
        raise DaskUnavailableError(
            "give a scheduler address or a worker count, not both"
        )
    if scheduler:
        security = _security(scheduler, tls)
        try:
            client = distributed.Client(scheduler, timeout=timeout_s, security=security)
        except (OSError, TimeoutError) as exc:
            raise DaskUnavailableError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}"
            ) from None
        except Exception as exc:  # a peer that is not a Dask scheduler
            raise DaskUnavailableError(
                f"{scheduler} did not answer as a Dask scheduler "
                f"({type(exc).__name__}: {str(exc)[:120]})"
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
            host="127.0.0.1",  # scheduler and workers: this machine only
            dashboard_address="127.0.0.1:0",  # a free port: several may run
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
