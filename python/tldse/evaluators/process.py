"""Runs a tool that speaks the evaluator protocol, in its own process and temp dir.

The protocol (docs/evaluators.md): the tool reads one JSON request on stdin (a
design and its layers, each with an integer ``id``) and prints one JSON object per
layer on stdout, as each finishes::

    {"id": 0, "status": "ok", "latency_cycles": 1234, "energy_pj": 5.6e6,
     "extras": {"stall_cycles": 12}}
    {"id": 1, "status": "failed", "message": "layer too large"}

Other stdout lines are ignored (kept for the failure message). SCALE-Sim and ZigZag
run through helper scripts speaking the same protocol, so one driver handles every
external tool:

* layers are answered in request order: a layer without a result before the last
  result fails (the tool went on without it);
* each result must come within ``timeout_s`` of the previous one (or of the start):
  otherwise the process group is killed, the layer after the last result is
  recorded as a ``timeout`` and the remaining ones run in a fresh process;
* a tool that dies gets the layer after its last result recorded as ``crashed``
  (with its exit status and the end of its stderr) and the remaining ones rerun in
  a fresh process; a tool that never gave a result and died twice (a broken tool)
  fails every pending layer with that message instead of retrying in a loop;
* a tool that exits 0 without a layer's result fails that layer (``failed``);
* ``memory_limit_mb`` caps the address space (RLIMIT_AS) of the tool's process;
* CPU time comes from the kernel (``wait4``), so it counts the whole process.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import selectors
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tldse.arch import Accelerator
from tldse.evaluators.base import (
    STATUS_CRASHED,
    STATUS_FAILED,
    STATUS_OK,
    STATUS_TIMEOUT,
    Evaluator,
    EvaluatorError,
    LayerResult,
    ResultCallback,
    TaskOutcome,
    design_fields,
    failure,
    layer_fields,
)
from tldse.workloads.layer import Layer

PROTOCOL = "tldse-evaluator/1"
_STDERR_TAIL = 4096
_NOISE_LINES = 5
_POLL_S = 0.2


class Cancelled(Exception):
    """The run was cancelled (Ctrl-C) while a tool was running."""


@dataclass
class ProcessOutcome:
    """Results by layer id, and the tool's total CPU and wall time."""

    results: dict[int, LayerResult] = field(default_factory=dict)
    cpu_s: float = 0.0
    wall_s: float = 0.0
    processes: int = 0


@dataclass
class _Attempt:
    results: dict[int, LayerResult]
    returncode: int | None
    timed_out: bool
    cpu_s: float
    wall_s: float
    stderr_tail: str
    noise: list[str]


def run_protocol(
    argv: Sequence[str],
    request: Mapping[str, Any],
    layers: Sequence[Mapping[str, Any]],
    *,
    timeout_s: float | None = None,
    memory_limit_mb: float | None = None,
    env: Mapping[str, str] | None = None,
    cancel: threading.Event | None = None,
    on_result: ResultCallback | None = None,
    tool: str = "the tool",
) -> ProcessOutcome:
    """Evaluates ``layers`` (dicts with an integer ``id``) with the tool ``argv``;
    ``request`` holds the rest of the request (design, settings). Returns a result
    for every layer id, calling ``on_result(id, result)`` as each is known; raises
    :class:`Cancelled` when ``cancel`` is set."""
    pending = [int(layer["id"]) for layer in layers]
    by_id = {int(layer["id"]): layer for layer in layers}
    out = ProcessOutcome()

    def done(lid: int, result: LayerResult) -> None:
        out.results[lid] = result
        if on_result is not None:
            on_result(lid, result)

    ever_got = False
    empty_crashes = 0
    while pending:
        payload = dict(request)
        payload["protocol"] = PROTOCOL
        payload["layers"] = [by_id[i] for i in pending]
        attempt = _run_once(
            argv, payload, timeout_s, memory_limit_mb, env, cancel, done
        )
        out.processes += 1
        out.cpu_s += attempt.cpu_s
        out.wall_s += attempt.wall_s
        got = [i for i in pending if i in attempt.results]
        for i in got:  # with the CPU share of tools that report none
            out.results[i] = attempt.results[i]
        ever_got = ever_got or bool(got)
        # Layers come in request order: one without a result before the last
        # result was passed over; the first one after it is where the tool was.
        last = max((pending.index(i) for i in got), default=-1)
        for i in pending[: max(last, 0)]:
            if i not in attempt.results:
                done(
                    i,
                    failure(
                        STATUS_FAILED,
                        f"{tool} went on without a result for this layer"
                        + _noise_hint(attempt),
                    ),
                )
        pending = pending[last + 1 :]
        if not pending:
            break
        if attempt.timed_out:
            done(
                pending[0],
                failure(
                    STATUS_TIMEOUT,
                    f"{tool} gave no result within {timeout_s:g} s "
                    "(raise the timeout, or use a smaller layer or array)",
                ),
            )
            pending = pending[1:]
            continue
        if attempt.returncode not in (0, None):
            why = _exit_message(tool, attempt, memory_limit_mb)
            empty_crashes = 0 if got else empty_crashes + 1
            # It died on this layer: the others get a fresh process, unless
            # the tool never gave a result and died twice (a broken tool).
            if ever_got or empty_crashes < 2:
                done(pending[0], failure(STATUS_CRASHED, why))
                pending = pending[1:]
                continue
            for i in pending:
                done(i, failure(STATUS_CRASHED, why))
            break
        why = f"{tool} exited without a result for this layer" + _noise_hint(attempt)
        for i in pending:
            done(i, failure(STATUS_FAILED, why))
        break
    return out


class ProtocolEvaluator(Evaluator):
    """An evaluator whose tool is a process speaking the protocol: subclasses give
    the command line (:meth:`argv`), what the request adds (:meth:`request_extra`,
    :meth:`layer_extra`) and the environment."""

    memory_limit_mb: float | None = None

    def set_memory_limit(self, memory_limit_mb: float | None) -> None:
        if memory_limit_mb is not None and not (
            isinstance(memory_limit_mb, (int, float))
            and not isinstance(memory_limit_mb, bool)
            and math.isfinite(memory_limit_mb)
            and memory_limit_mb > 0
        ):
            raise EvaluatorError(
                f"memory_limit_mb must be a number > 0, got {memory_limit_mb!r}"
            )
        self.memory_limit_mb = memory_limit_mb

    def argv(self) -> list[str]:
        raise NotImplementedError

    def tool_label(self) -> str:
        return self.name

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def request_extra(self, design: Accelerator) -> dict[str, Any]:
        return {}

    def layer_extra(self, design: Accelerator, layer: Layer) -> dict[str, Any]:
        return {}

    def run_layers(
        self,
        design: Accelerator,
        layers: Sequence[Layer],
        *,
        timeout_s: float | None = None,
        cancel: Any = None,
        on_result: ResultCallback | None = None,
    ) -> TaskOutcome:
        entries = []
        for i, layer in enumerate(layers):
            entry: dict[str, Any] = {"id": i, "name": layer.name}
            entry.update(layer_fields(layer))
            entry["macs"] = layer.macs
            entry.update(self.layer_extra(design, layer))
            entries.append(entry)
        request = {"design": design_fields(design), "settings": self.settings()}
        request.update(self.request_extra(design))
        outcome = run_protocol(
            self.argv(),
            request,
            entries,
            timeout_s=timeout_s,
            memory_limit_mb=self.memory_limit_mb,
            env=self.environment(),
            cancel=cancel,
            on_result=on_result,
            tool=self.tool_label(),
        )
        return TaskOutcome(
            [outcome.results[i] for i in range(len(layers))],
            outcome.cpu_s,
            outcome.wall_s,
            outcome.processes,
        )


def _exit_message(tool: str, attempt: _Attempt, memory_limit_mb: float | None) -> str:
    rc = attempt.returncode
    if rc is not None and rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = f"signal {-rc}"
        what = f"{tool} was killed by {name}"
        if -rc == signal.SIGKILL:
            what += " (out of memory?)"
    else:
        what = f"{tool} exited with status {rc}"
    tail = attempt.stderr_tail.strip()
    if "MemoryError" in tail:
        limit = f" (memory limit {memory_limit_mb:g} MB)" if memory_limit_mb else ""
        what += f": out of memory{limit}"
    last = _last_lines(tail, 3)
    if last:
        what += f": {last}"
    return what


def _noise_hint(attempt: _Attempt) -> str:
    if not attempt.noise:
        return ""
    shown = " | ".join(line[:120] for line in attempt.noise)
    return f"; its output was not a result: {shown}"


def _last_lines(text: str, n: int) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " / ".join(lines[-n:])[-600:]


def parse_result(obj: Any, expected: set[int]) -> tuple[int, LayerResult] | None:
    """A protocol result line (parsed JSON) as ``(id, result)``; None when it is
    not a result for one of the ``expected`` ids."""
    if not isinstance(obj, dict):
        return None
    lid = obj.get("id")
    if isinstance(lid, bool) or not isinstance(lid, int) or lid not in expected:
        return None
    status = obj.get("status", STATUS_OK)
    message = obj.get("message", "")
    message = message if isinstance(message, str) else json.dumps(message)
    if status != STATUS_OK:
        text = message or "the tool reported a failure without a message"
        if status != STATUS_FAILED:
            text = f"status {status!r}: {text}"
        return lid, failure(STATUS_FAILED, text)
    latency = _number(obj.get("latency_cycles"))
    if latency is None:
        return lid, failure(
            STATUS_FAILED,
            "malformed result: latency_cycles must be a finite number >= 0, got "
            f"{obj.get('latency_cycles')!r}",
        )
    raw_energy = obj.get("energy_pj")
    energy = math.nan if raw_energy is None else _number(raw_energy)
    if energy is None:
        return lid, failure(
            STATUS_FAILED,
            "malformed result: energy_pj must be a finite number >= 0 or null, got "
            f"{raw_energy!r}",
        )
    extras_in = obj.get("extras") or {}
    extras: dict[str, float] = {}
    if isinstance(extras_in, dict):
        for key, value in extras_in.items():
            num = _number(value, allow_negative=True)
            if num is not None:
                extras[str(key)] = num
    cpu = _number(obj.get("cpu_s"))
    return lid, LayerResult(
        status=STATUS_OK,
        latency_cycles=latency,
        energy_pj=energy,
        message=message,
        extras=extras,
        cpu_s=math.nan if cpu is None else cpu,
    )


def _number(value: Any, allow_negative: bool = False) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    v = float(value)
    if not math.isfinite(v) or (v < 0 and not allow_negative):
        return None
    return v


def _set_memory_limit(pid: int, memory_limit_mb: float | None) -> None:
    if not memory_limit_mb:
        return
    try:
        import resource

        limit = int(memory_limit_mb * 1024 * 1024)
        resource.prlimit(pid, resource.RLIMIT_AS, (limit, limit))
    except (ImportError, AttributeError, OSError, ValueError):  # pragma: no cover
        pass  # not Linux: no limit


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(proc.pid, signal.SIGKILL)


def _reap(proc: subprocess.Popen[bytes], grace_s: float = 10.0) -> tuple[int, float]:
    """Waits for the process (killing it when it outlives its closed output by
    ``grace_s``); (return code, CPU seconds of user + system)."""
    deadline = time.perf_counter() + grace_s
    while True:
        try:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        except ChildProcessError:  # pragma: no cover - already reaped
            return int(proc.returncode or 0), math.nan
        if pid:
            break
        if time.perf_counter() > deadline:
            _kill(proc)
            _, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.01)
    rc = os.waitstatus_to_exitcode(status)
    proc.returncode = rc
    return rc, float(usage.ru_utime + usage.ru_stime)


def _run_once(
    argv: Sequence[str],
    payload: Mapping[str, Any],
    timeout_s: float | None,
    memory_limit_mb: float | None,
    env: Mapping[str, str] | None,
    cancel: threading.Event | None,
    on_result: ResultCallback,
) -> _Attempt:
    expected = {int(layer["id"]) for layer in payload["layers"]}
    results: dict[int, LayerResult] = {}
    noise: list[str] = []
    stderr = bytearray()
    timed_out = False
    with tempfile.TemporaryDirectory(prefix="tldse-eval-") as tmp:
        t0 = time.perf_counter()
        try:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=tmp,
                env=dict(env) if env is not None else None,
                start_new_session=True,
            )
        except OSError as exc:
            return _Attempt({}, 127, False, 0.0, 0.0, f"cannot start: {exc}", [])
        _set_memory_limit(proc.pid, memory_limit_mb)
        assert proc.stdin and proc.stdout and proc.stderr
        to_send = memoryview(json.dumps(payload).encode() + b"\n")
        sel = selectors.DefaultSelector()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            os.set_blocking(pipe.fileno(), False)
        sel.register(proc.stdin, selectors.EVENT_WRITE)
        sel.register(proc.stdout, selectors.EVENT_READ)
        sel.register(proc.stderr, selectors.EVENT_READ)
        line = bytearray()
        last = t0
        open_reads = 2
        try:
            while open_reads:
                if cancel is not None and cancel.is_set():
                    _kill(proc)
                    raise Cancelled
                wait = _POLL_S
                if timeout_s is not None:
                    left = last + timeout_s - time.perf_counter()
                    if left <= 0:
                        timed_out = True
                        _kill(proc)
                        break
                    wait = min(wait, left)
                for key, _ in sel.select(wait):
                    if key.fileobj is proc.stdin:
                        try:
                            sent = os.write(proc.stdin.fileno(), to_send[:65536])
                        except (BrokenPipeError, OSError):
                            sent = len(to_send)
                        to_send = to_send[sent:]
                        if not to_send:
                            sel.unregister(proc.stdin)
                            proc.stdin.close()
                        continue
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        sel.unregister(key.fileobj)
                        open_reads -= 1
                        continue
                    if key.fileobj is proc.stderr:
                        stderr += chunk
                        del stderr[:-_STDERR_TAIL]
                        continue
                    line += chunk
                    while b"\n" in line:
                        raw, _, rest = bytes(line).partition(b"\n")
                        line = bytearray(rest)
                        now = time.perf_counter()
                        lid = _take_line(raw, expected, results, noise, now - last)
                        if lid is not None:
                            last = now
                            on_result(lid, results[lid])
            if line.strip():
                lid = _take_line(bytes(line), expected, results, noise, 0.0)
                if lid is not None:
                    on_result(lid, results[lid])
        finally:
            sel.close()
            if timed_out or (cancel is not None and cancel.is_set()):
                _kill(proc)  # not reaped yet: the pid is still this process's
            rc, cpu = _reap(proc)
            for pipe in (proc.stdin, proc.stdout, proc.stderr):
                with contextlib.suppress(OSError):
                    pipe.close()
        wall = time.perf_counter() - t0
    if results:
        share = cpu / len(results) if math.isfinite(cpu) else math.nan
        for lid, res in results.items():
            if math.isnan(res.cpu_s):
                results[lid] = res.with_times(share, res.wall_s)
    return _Attempt(
        results,
        None if timed_out else rc,
        timed_out,
        cpu,
        wall,
        stderr.decode(errors="replace"),
        noise,
    )


def _take_line(
    raw: bytes,
    expected: set[int],
    results: dict[int, LayerResult],
    noise: list[str],
    wall_s: float,
) -> int | None:
    """Parses one stdout line; the layer id when it was a new result."""
    text = raw.decode(errors="replace").strip()
    if not text:
        return None
    parsed: tuple[int, LayerResult] | None = None
    if text.startswith("{"):
        try:
            parsed = parse_result(json.loads(text), expected - set(results))
        except (ValueError, RecursionError):
            parsed = None
    if parsed is None:
        if len(noise) < _NOISE_LINES:
            noise.append(text)
        return None
    lid, res = parsed
    results[lid] = res.with_times(res.cpu_s, wall_s)
    return lid
