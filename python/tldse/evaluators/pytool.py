"""Evaluators backed by a Python tool (SCALE-Sim, ZigZag) run by a helper script.

The tool may live in this interpreter or in another one (its own virtual
environment, since such tools pin old dependencies): the interpreter is the
``python`` option, else the tool's environment variable (``TLDSE_SCALESIM_PYTHON``,
``TLDSE_ZIGZAG_PYTHON``), else this interpreter. The helper script
(``helpers/<tool>_run.py``) runs under that interpreter, in a subprocess with its
own temp dir, and speaks the evaluator protocol (:mod:`tldse.evaluators.process`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from abc import abstractmethod
from pathlib import Path
from typing import Any

from tldse.arch import Accelerator
from tldse.evaluators.base import EvaluatorError
from tldse.evaluators.process import ProtocolEvaluator
from tldse.workloads.layer import Layer

HELPERS = Path(__file__).parent / "helpers"

_probe_lock = threading.Lock()
_probes: dict[tuple[str, str], tuple[str, str]] = {}


def probe_version(python: str, distribution: str, module: str) -> tuple[str, str]:
    """``(version, "")`` when ``python`` can import ``module``, else ``("", why)``;
    cached per interpreter."""
    key = (python, module)
    with _probe_lock:
        if key in _probes:
            return _probes[key]
    code = (
        "import importlib.metadata as m, sys\n"
        f"import {module}\n"
        f"sys.stdout.write(m.version({distribution!r}))\n"
    )
    try:
        run = subprocess.run(
            [python, "-c", code],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=HELPERS.parent.parent.parent,  # never a folder named like the tool
        )
        if run.returncode == 0 and run.stdout.strip():
            found = (run.stdout.strip(), "")
        else:
            lines = [x for x in run.stderr.strip().splitlines() if x.strip()]
            found = ("", lines[-1] if lines else f"exit status {run.returncode}")
    except (OSError, subprocess.TimeoutExpired) as exc:
        found = ("", str(exc))
    with _probe_lock:
        _probes[key] = found
    return found


class PythonToolEvaluator(ProtocolEvaluator):
    """Common part of the SCALE-Sim and ZigZag evaluators."""

    field_table: dict[str, str] = {}  # noqa: RUF012 - read-only, set per subclass
    distribution: str = ""  # PyPI name
    module: str = ""  # import name
    env_var: str = ""
    helper: str = ""  # file in helpers/
    tool: str = ""  # human name
    install: str = ""  # how to install it in a side venv

    def __init__(
        self, *, python: str | None = None, memory_limit_mb: float | None = None
    ) -> None:
        chosen = python or os.environ.get(self.env_var) or sys.executable
        self.python = str(chosen)
        self.set_memory_limit(memory_limit_mb)

    def _probe(self) -> tuple[str, str]:
        return probe_version(self.python, self.distribution, self.module)

    def unavailable(self) -> str:
        found, why = self._probe()
        if found:
            return ""
        return (
            f"{self.tool} is not usable with {self.python} ({why}). Install it in a "
            f"separate venv: {self.install}; then set {self.env_var}=<venv>/bin/python "
            "(or name that interpreter with the command's option)"
        )

    def version(self) -> str:
        found, _ = self._probe()
        if not found:
            raise EvaluatorError(self.unavailable())
        return found

    @abstractmethod
    def tool_request(self, design: Accelerator) -> dict[str, Any]:
        """The tool-specific part of the request for one design."""

    @abstractmethod
    def tool_layer(self, design: Accelerator, layer: Layer) -> dict[str, Any]:
        """The tool-specific part of one layer's entry."""

    def argv(self) -> list[str]:
        return [self.python, str(HELPERS / self.helper)]

    def tool_label(self) -> str:
        return self.tool

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("PYTHONHASHSEED", "0")
        return env

    def request_extra(self, design: Accelerator) -> dict[str, Any]:
        return {self.module: self.tool_request(design)}

    def layer_extra(self, design: Accelerator, layer: Layer) -> dict[str, Any]:
        return {self.module: self.tool_layer(design, layer)}

    def field_support(self) -> dict[str, str]:
        return dict(self.field_table)
