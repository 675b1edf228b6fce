"""Helpers shared by the test modules (one copy each)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import tldse

BIG = 1 << 20  # a GLB / bandwidth large enough to never matter


def unbounded(dataflow: str, **kw: Any) -> tldse.Accelerator:
    """A design whose buffers and bandwidths never limit: 16-bit weights,
    activations and partial sums, ``BIG`` global buffer and bandwidths; ``kw``
    overrides any field."""
    base: dict[str, Any] = {
        "dataflow": dataflow,
        "glb_bytes": BIG,
        "dram_bw_bytes_per_cycle": BIG,
        "glb_bw_bytes_per_cycle": BIG,
        "weight_bits": 16,
        "act_bits": 16,
        "psum_bits": 16,
    }
    base.update(kw)
    return tldse.Accelerator(**base)


def peer_python(var: str, venv: str, tool: str) -> str:
    """The interpreter of a peer tool's own venv (``$var``, else /tmp/VENV); skips
    the test, saying how to get it, when it is missing."""
    path = os.environ.get(var) or f"/tmp/{venv}/bin/python"
    if not Path(path).exists():
        pytest.skip(
            f"{tool} is not installed: make its venv (docs/evaluators.md) or set {var}"
        )
    return path
