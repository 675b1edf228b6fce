"""The ``command`` evaluator: any executable speaking the evaluator protocol.

For RTL simulation, Timeloop or an in-house flow: ``command:PATH`` runs ``PATH``
once per design (with that design's pending layers), sends the request on stdin and
reads one JSON result per layer from stdout (docs/evaluators.md has the protocol;
``examples/evaluator_command.py`` is a complete command). The command's version,
for the store, is a digest of its files' contents: editing the script starts a
fresh set of results.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tldse.evaluators.base import (
    CONFIG_FIELDS,
    EvaluatorError,
    canonical_json,
)
from tldse.evaluators.process import ProtocolEvaluator


class CommandEvaluator(ProtocolEvaluator):
    """Runs ``command`` (a path, or a command line split like a shell would) as a
    protocol tool. ``settings`` (JSON values) are sent in every request and are part
    of the identity; ``memory_limit_mb`` caps each process; ``env`` adds environment
    variables."""

    has_energy = True
    expensive = True

    def __init__(
        self,
        command: str | Sequence[str],
        *,
        settings: Mapping[str, Any] | None = None,
        memory_limit_mb: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        argv = shlex.split(command) if isinstance(command, str) else list(command)
        if not argv or not all(isinstance(a, str) and a for a in argv):
            raise EvaluatorError("command: give the path of an executable")
        # The tool runs in a temp dir: paths are made absolute here.
        if os.sep in argv[0] or (os.altsep and os.altsep in argv[0]):
            argv[0] = str(Path(argv[0]).resolve())
        argv[1:] = [str(Path(a).resolve()) if Path(a).exists() else a for a in argv[1:]]
        self.words = argv
        self.command = shlex.join(argv)
        self.name = f"command:{self.command}"
        try:
            canonical_json(dict(settings or {}))
        except (TypeError, ValueError) as exc:
            raise EvaluatorError(
                f"command settings must be JSON values: {exc}"
            ) from exc
        self._settings = dict(settings or {})
        self.set_memory_limit(memory_limit_mb)
        self.env = dict(env or {})

    def _resolved(self) -> str | None:
        exe = self.words[0]
        if os.sep in exe or (os.altsep and os.altsep in exe):
            path = Path(exe)
            return str(path) if path.is_file() and os.access(path, os.X_OK) else None
        return shutil.which(exe)

    def unavailable(self) -> str:
        if self._resolved() is None:
            return (
                f"command {self.words[0]!r} is not an executable file (give its path, "
                "make it executable with chmod +x, or put it on PATH)"
            )
        return ""

    def _tool_name(self) -> str:
        files = [a for a in self.words[1:] if Path(a).is_file()]
        return Path(files[-1] if files else self.words[0]).name

    def version(self) -> str:
        """A digest of the executable and of every argument that is a file."""
        digest = hashlib.sha256()
        exe = self._resolved()
        files = [exe] if exe else []
        files += [a for a in self.words[1:] if Path(a).is_file()]
        for f in files:
            digest.update(Path(f).read_bytes())
        return "sha256:" + digest.hexdigest()[:12]

    def settings(self) -> dict[str, Any]:
        return dict(self._settings)

    def field_support(self) -> dict[str, str]:
        return {name: "sent to the command as is" for name in CONFIG_FIELDS}

    def argv(self) -> list[str]:
        return [self._resolved() or self.words[0], *self.words[1:]]

    def tool_label(self) -> str:
        return f"command {self._tool_name()}"

    def environment(self) -> dict[str, str]:
        return {**os.environ, **self.env}
