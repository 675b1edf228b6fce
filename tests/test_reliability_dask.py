"""Dask security (issue 16, item 10): a local cluster listens on 127.0.0.1 only
(dashboard included), a tls:// scheduler is reached with certificates, and a
port that is not a Dask scheduler is a one-line error, not a traceback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tldse.cli.main import main
from tldse.search.dask import DaskUnavailableError, TLSFiles, connect, dask_executor
from tldse.search.sweep import sweep

SWEEP = ["sweep", "--space", "tiny", "--workload", "alexnet", "--quiet"]


@pytest.fixture
def not_dask() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that answers like a web server."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.recv(1024)
                    conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n" * 8)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{srv.getsockname()[1]}"
    stop.set()
    thread.join()
    srv.close()


@pytest.mark.slow
def test_a_port_that_is_not_dask_is_a_clear_error(
    not_dask: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # distributed read a length from the answer and tried to allocate 3 EiB
    t0 = time.perf_counter()
    with (
        pytest.raises(DaskUnavailableError, match="did not answer as a Dask"),
        connect(scheduler=not_dask, timeout_s=5),
    ):
        pass
    assert time.perf_counter() - t0 < 20
    code = main([*SWEEP, "--scheduler", not_dask, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "did not answer as a Dask scheduler" in err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--scheduler", "tls://127.0.0.1:1"], "needs --tls-ca-file, --tls-cert"),
        (
            [
                "--scheduler",
                "tls://127.0.0.1:1",
                "--tls-ca-file",
                "no.pem",
                "--tls-cert",
                "no.pem",
            ],
            "--tls-ca-file: no.pem: no such file",
        ),
        (["--tls-ca-file", "ca.pem"], "need --scheduler tls://"),
        (
            [
                "--scheduler",
                "tcp://127.0.0.1:1",
                "--tls-ca-file",
                "a",
                "--tls-cert",
                "b",
            ],
            "need --scheduler tls://",
        ),
    ],
)
def test_tls_options_are_checked_before_connecting(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    needle: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DASK_CONFIG", str(tmp_path))  # no TLS configuration here
    code = main([*SWEEP, "--out", "o", *argv])
    err = capsys.readouterr().err
    assert code == 2 and needle in err, err


def _listening(pid: int | None = None) -> set[str]:
    import psutil

    procs = [psutil.Process(pid)] if pid else []
    found = set()
    for p in procs + (procs[0].children(recursive=True) if procs else []):
        for c in p.net_connections(kind="inet"):
            if c.status == psutil.CONN_LISTEN:
                found.add(c.laddr.ip)
    return found


@pytest.mark.slow
def test_local_cluster_listens_on_loopback_only() -> None:
    import os

    before = _listening(os.getpid())
    with connect(workers=2) as client:
        info = client.scheduler_info()
        assert client.scheduler.address.startswith("tcp://127.0.0.1:")
        assert all(a.startswith("tcp://127.0.0.1:") for a in info["workers"])
        assert client.dashboard_link.startswith("http://127.0.0.1:")
        # every socket that the cluster opened for listening, in this process
        # (scheduler, dashboard) and in the worker processes
        opened = _listening(os.getpid()) - before
        assert opened == {"127.0.0.1"}, opened


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and one certificate it signed (for 127.0.0.1), made with openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=folder, check=True, capture_output=True)

    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "1",
        "-subj",
        "/CN=tldse test CA",
    )
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "node.key",
        "-out",
        "node.csr",
        "-subj",
        "/CN=127.0.0.1",
    )
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run(
        "x509",
        "-req",
        "-in",
        "node.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "node.pem",
        "-days",
        "1",
        "-extfile",
        "ext.cnf",
    )
    return folder / "ca.pem", folder / "node.pem", folder / "node.key"


@pytest.mark.slow
def test_sweep_over_a_tls_scheduler_equals_local(tmp_path: Path) -> None:
    import distributed

    ca, cert, key = _certificates(tmp_path)
    server = distributed.Security(
        tls_ca_file=str(ca),
        tls_scheduler_cert=str(cert),
        tls_scheduler_key=str(key),
        tls_worker_cert=str(cert),
        tls_worker_key=str(key),
        tls_client_cert=str(cert),
        tls_client_key=str(key),
        require_encryption=True,
    )
    kwargs: dict[str, Any] = dict(chunk_size=150, threads=1)
    local = sweep("tiny", "alexnet", **kwargs)
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        host="tls://127.0.0.1",
        security=server,
        dashboard_address=None,
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tls://127.0.0.1:")
        with connect(scheduler=address, tls=TLSFiles(ca, cert, key)) as client:
            remote = sweep("tiny", "alexnet", executor=dask_executor(client), **kwargs)
        pd.testing.assert_frame_equal(remote.front, local.front)
        # the same scheduler refuses a client without certificates
        plain = address.replace("tls://", "tcp://")
        with (
            pytest.raises(DaskUnavailableError),
            connect(scheduler=plain, timeout_s=3),
        ):
            pass
