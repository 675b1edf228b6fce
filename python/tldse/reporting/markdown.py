"""Markdown tables for reports and experiment results."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def md_value(v: Any) -> str:
    """A cell: floats to 4 significant digits, NaN / inf as ``-``."""
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if not math.isfinite(v):
            return "-"
        return f"{v:.4g}"
    return str(v)


def md_table(rows: Sequence[dict[str, Any]], cols: Sequence[str]) -> str:
    """A Markdown table of ``rows`` (dicts) with columns ``cols`` in order."""
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join(md_value(r.get(c, "")) for c in cols) + " |")
    return "\n".join(lines)
