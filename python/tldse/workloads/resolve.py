"""The one workload resolver: what a workload argument means, everywhere.

Every entry point (``tldse.evaluate``, ``simulate``, ``sweep``, ``explore``,
datasets, experiments and every ``--workload`` flag) turns its workload argument
into a :class:`Workload` with :func:`resolve_workload`:

- a :class:`Workload` (or a list of :class:`Layer`) is used as it is;
- a path to an existing file is read (SCALE-Sim conv/GEMM topology or tldse layer
  CSV); a string that looks like a path (``/``, ``\\``, or ending in ``.csv``,
  ``.txt``, ``.onnx``) but names no file is an error;
- anything else is a zoo name, optionally with options:
  ``name:key=value,key=value`` (``bert_base:seq_len=256``, ``gpt2:kv_len=512``).

Where several workloads are weighted (``explore``), the weight is written
``NAME*WEIGHT`` (``bert_base*2``; quote it in a shell) and :func:`parse_workload_list`
splits lists.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path

from tldse.workloads.layer import Layer, Workload

_FILE_SUFFIXES = (".csv", ".txt", ".onnx")

WorkloadSpec = Workload | Iterable[Layer] | str | Path


def _check_batch(batch: int) -> None:
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be an integer >= 1, got {batch!r}")


def looks_like_path(text: str) -> bool:
    """Whether a workload string names a file rather than a zoo network."""
    return any(ch in text for ch in "/\\") or text.lower().endswith(_FILE_SUFFIXES)


def resolve_workload(spec: WorkloadSpec, batch: int = 1) -> Workload:
    """A :class:`Workload` from any workload argument (see the module docstring);
    ``batch`` (>= 1) replaces the batch size of files and zoo networks and scales
    a given Workload's. Errors raise ValueError with a one-line message."""
    _check_batch(batch)
    if isinstance(spec, Workload):
        return spec.with_batch(batch) if batch != 1 else spec
    if isinstance(spec, Path):
        if not spec.is_file():
            raise ValueError(f"{spec}: no such file")
        wl = Workload.read(spec)
        return wl.with_batch(batch) if batch != 1 else wl
    if not isinstance(spec, str):
        layers = list(spec)
        if not all(isinstance(x, Layer) for x in layers):
            raise ValueError(
                "workload must be a Workload, a list of Layer, a file path or a "
                "zoo name"
            )
        wl = Workload("workload", layers)
        return wl.with_batch(batch) if batch != 1 else wl
    text = spec.strip()
    if not text:
        raise ValueError("workload: empty name")
    if Path(text).is_file():
        wl = Workload.read(text)
        return wl.with_batch(batch) if batch != 1 else wl
    if looks_like_path(text):
        raise ValueError(f"{text}: no such file")
    from tldse.workloads import zoo

    name, _, rest = text.partition(":")
    options: dict[str, int] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            hint = (
                f"; a weight is written {name.strip()}*{item}"
                if _is_number(item)
                else ""
            )
            raise ValueError(
                f"workload {text!r}: options are key=integer, got {item!r}{hint}"
            )
        if not value.strip().isdigit():
            raise ValueError(
                f"workload {text!r}: option {key.strip()} must be a positive "
                f"integer, got {value.strip()!r}"
            )
        options[key.strip()] = int(value)
    try:
        return zoo.get(name.strip(), batch=batch, **options)
    except ValueError as exc:
        raise ValueError(f"{exc} (or give a topology file path)") from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def split_weight(item: str) -> tuple[str, float]:
    """``"bert_base*2"`` -> ``("bert_base", 2.0)``; no ``*``: weight 1."""
    text = item.strip()
    spec, sep, w = text.rpartition("*")
    if not sep:
        return text, 1.0
    try:
        weight = float(w)
    except ValueError:
        raise ValueError(
            f"workload {text!r}: the weight after '*' must be a number, got {w!r}"
        ) from None
    if not (weight > 0 and math.isfinite(weight)) or not spec.strip():
        raise ValueError(f"workload {text!r}: the weight must be a number > 0")
    return spec.strip(), weight


def parse_workload_list(items: str | Sequence[str]) -> list[tuple[str, float]]:
    """Workload arguments, each possibly a comma list, as ``(spec, weight)``
    pairs: ``["resnet18,bert_base:seq_len=256*2"]`` ->
    ``[("resnet18", 1.0), ("bert_base:seq_len=256", 2.0)]``. A comma part of the
    form ``key=value`` continues the previous workload's options."""
    out: list[str] = []
    for item in [items] if isinstance(items, str) else list(items):
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            if out and "=" in part and ":" not in part and "/" not in part:
                out[-1] += "," + part
            else:
                out.append(part)
    return [split_weight(p) for p in out]
