"""The tool side of the evaluator protocol, for the helper scripts in this folder.

A helper runs under the tool's own interpreter (which need not have tldse), reads
one JSON request from stdin and prints one JSON result line per layer as each
finishes (docs/evaluators.md). Only the standard library is used here.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, TextIO

LayerRunner = Callable[[dict[str, Any], dict[str, Any], str], dict[str, Any]]


def serve(run_layer: LayerRunner, tool: str) -> int:
    """Reads the request and runs ``run_layer(request, layer, workdir)`` for each
    layer, in a folder of its own; the tool's own prints go to stderr so that
    stdout holds only results."""
    request = json.loads(sys.stdin.read())
    out: TextIO = sys.stdout
    for layer in request["layers"]:
        workdir = os.path.abspath(f"layer{layer['id']}")
        os.makedirs(workdir, exist_ok=True)
        cpu0 = time.process_time()
        result: dict[str, Any]
        try:
            with contextlib.redirect_stdout(sys.stderr):
                result = {"status": "ok", **run_layer(request, layer, workdir)}
        except MemoryError:
            result = {"status": "failed", "message": f"{tool} ran out of memory"}
        except BaseException as exc:  # tools call exit() on errors
            if isinstance(exc, KeyboardInterrupt):
                raise
            traceback.print_exc(file=sys.stderr)
            text = str(exc).strip().splitlines()
            why = f"{type(exc).__name__}: {text[-1] if text else ''}".strip(": ")
            result = {"status": "failed", "message": f"{tool} failed: {why}"}
        result["id"] = layer["id"]
        result["cpu_s"] = time.process_time() - cpu0
        out.write(json.dumps(result) + "\n")
        out.flush()
    return 0
