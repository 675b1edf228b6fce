"""Topology files: SCALE-Sim conv/GEMM topologies and tldse layer CSVs.

SCALE-Sim (v2) topologies describe one layer per row with no padding, groups, batch,
dilation or repeat count, and compute a conv's output as
``ceil((H - R) / stride) + 1``. :func:`to_scalesim_topology` therefore writes:

* padding: the padded input rows/columns actually read, ``H' = (p - 1) * stride + R``,
  so SCALE-Sim's formula gives back our ``p`` (and ``q``) exactly;
* groups: one row per group (``name_g1``, ...) with ``C / g`` channels and ``K / g``
  filters;
* count (and, in conv form, a batch ``n > 1``): the row repeated (``name_r1``, ...),
  since SCALE-Sim simulates every row on its own;
* GEMM form: ``M = n x p x q`` (batch folded into the rows), ``N = K / g``,
  ``K = (C / g) x R x S`` (the im2col product), which also covers dilation and
  unequal strides;
* conv form: a GEMM layer as a 1x1 conv on an ``(n x p) x 1`` input; dilation and
  unequal strides cannot be written and raise ValueError naming the layer.

:func:`scalesim_equivalent` gives the layers the reader returns for those rows, and
MACs are preserved exactly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from tldse import _core
from tldse._util.io import write_atomic
from tldse._util.text import utf8_errors
from tldse.arch import warn_scalesim
from tldse.workloads.layer import LAYER_COLUMNS, Layer, Workload, as_workload

ScalesimForm = Literal["conv", "gemm"]

SCALESIM_CONV_HEADER = (
    "Layer name",
    "IFMAP Height",
    "IFMAP Width",
    "Filter Height",
    "Filter Width",
    "Channels",
    "Num Filter",
    "Strides",
)
SCALESIM_GEMM_HEADER = ("Layer", "M", "N", "K")
LAYER_CSV_HEADER = ("name", *LAYER_COLUMNS)


def _clean_name(name: str) -> str:
    """A name that survives the CSV readers: no commas or newlines, no leading '#'."""
    out = "".join("_" if ch in ",\r\n\"'" else ch for ch in name).strip()
    return "_" + out if out.startswith("#") else out or "layer"


def _copies(layer: Layer, form: ScalesimForm) -> tuple[int, int]:
    """(groups written as separate rows, repeats of each row)."""
    reps = layer.count * (layer.n if form == "conv" and layer.kind != "gemm" else 1)
    return layer.groups, reps


def _row_names(name: str, groups: int, reps: int) -> list[str]:
    base = _clean_name(name)
    out = []
    for g in range(1, groups + 1):
        gname = f"{base}_g{g}" if groups > 1 else base
        out += [f"{gname}_r{r}" if reps > 1 else gname for r in range(1, reps + 1)]
    return out


def scalesim_equivalent(layer: Layer, form: ScalesimForm = "conv") -> list[Layer]:
    """The layers SCALE-Sim (and ``Workload.read``) sees for ``layer``'s rows."""
    if form not in ("conv", "gemm"):
        raise ValueError(f"form must be 'conv' or 'gemm', got {form!r}")
    groups, reps = _copies(layer, form)
    names = _row_names(layer.name, groups, reps)
    cg, kg = layer.c // layer.groups, layer.k // layer.groups
    if form == "gemm":
        if layer.kind == "gemm":
            m, n, k = layer.n * layer.p, layer.k, layer.c
        else:
            m, n, k = layer.n * layer.p * layer.q, kg, cg * layer.r * layer.s
        return [Layer.gemm(nm, m=m, n=n, k=k) for nm in names]
    if layer.kind == "gemm":
        return [
            Layer(nm, "conv", k=layer.k, c=layer.c, p=layer.n * layer.p) for nm in names
        ]
    if layer.dil_h != 1 or layer.dil_w != 1:
        raise ValueError(
            f"layer {layer.name!r}: dilation {layer.dil_h}x{layer.dil_w} cannot be "
            "written in a SCALE-Sim conv topology (use form='gemm')"
        )
    if layer.stride_h != layer.stride_w:
        raise ValueError(
            f"layer {layer.name!r}: strides {layer.stride_h}x{layer.stride_w} differ; "
            "a SCALE-Sim conv topology has one stride (use form='gemm')"
        )
    return [
        Layer(
            nm,
            "conv",
            k=kg,
            c=cg,
            p=layer.p,
            q=layer.q,
            r=layer.r,
            s=layer.s,
            stride_h=layer.stride_h,
            stride_w=layer.stride_w,
        )
        for nm in names
    ]


def _scalesim_row(layer: Layer, form: ScalesimForm) -> list[int]:
    if form == "gemm":
        return [layer.p, layer.k, layer.c]
    h = (layer.p - 1) * layer.stride_h + layer.r
    w = (layer.q - 1) * layer.stride_w + layer.s
    return [h, w, layer.r, layer.s, layer.c, layer.k, layer.stride_h]


def to_scalesim_topology(
    workload: Workload | Iterable[Layer] | str | Path,
    path: str | Path,
    *,
    form: ScalesimForm | Literal["auto"] = "auto",
) -> Path:
    """Writes a SCALE-Sim topology CSV (conv or GEMM form); returns the path.

    ``form="auto"`` writes the GEMM form when every layer is a GEMM, else the conv
    form. See the module docstring for how padding, groups, batch and count are
    written; what cannot be written raises ValueError naming the layer.
    """
    wl = as_workload(workload)
    if form == "auto":
        form = "gemm" if wl.layers and all(x.kind == "gemm" for x in wl) else "conv"
    if form not in ("conv", "gemm"):
        raise ValueError(f"form must be 'conv', 'gemm' or 'auto', got {form!r}")
    if not wl.layers:
        raise ValueError(f"workload {wl.name!r} has no layers")
    rows: list[list[str]] = []
    for layer in wl:
        for eq in scalesim_equivalent(layer, form):
            rows.append([eq.name, *(str(v) for v in _scalesim_row(eq, form))])
    header = SCALESIM_GEMM_HEADER if form == "gemm" else SCALESIM_CONV_HEADER
    out = Path(path)
    write_atomic(out, "".join(", ".join(r) + ",\n" for r in [list(header), *rows]))
    return out


def read_scalesim_topology(path: str | Path) -> Workload:
    """Reads a SCALE-Sim conv or GEMM topology (the C++ reader behind
    ``Workload.read``); a tldse layer CSV is refused, so a mix-up is caught."""
    with utf8_errors(path):
        names, table, fmt, messages = _core.read_topology(str(path))
    warn_scalesim(messages)
    if not str(fmt).startswith("scalesim"):
        raise ValueError(f"{path}: a tldse layer CSV, not a SCALE-Sim topology")
    return Workload.from_table(Path(path).stem, table, names)


def to_layer_csv(
    workload: Workload | Iterable[Layer] | str | Path, path: str | Path
) -> Path:
    """Writes a tldse layer CSV (``name,kind,n,k,c,...,count``, kind as text) that
    ``Workload.read`` reads back exactly (names lose commas and quotes)."""
    wl = as_workload(workload)
    if not wl.layers:
        raise ValueError(f"workload {wl.name!r} has no layers")
    out = Path(path)
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(LAYER_CSV_HEADER)
    for layer in wl:
        writer.writerow(
            [_clean_name(layer.name), layer.kind]
            + [int(getattr(layer, col)) for col in LAYER_COLUMNS[1:]]
        )
    write_atomic(out, text.getvalue())
    return out
