"""``tldse workloads``: list the zoo, show a network's layers, import ONNX models.

:func:`register` adds the subcommand to the ``tldse`` parser; every handler returns
an exit code and raises ValueError with a one-line message on bad input.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any

from tldse._util.table import Column, integer, plural
from tldse.cli._common import add_format_args, console, print_rows, say, show_help
from tldse.workloads import zoo
from tldse.workloads.importers.pytorch import SkippedLayersWarning
from tldse.workloads.layer import Layer, Workload
from tldse.workloads.resolve import resolve_workload


def _si(x: float) -> str:
    """1234567 -> '1.23M' (counts, not bytes)."""
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{suffix}"
    return f"{x:.0f}"


def layer_sizes(layer: Layer) -> tuple[int, int, int]:
    """(weight, input, output) elements of one occurrence; the input is what the
    layer reads (padding removed, the halo a stride skips not counted). For a GEMM
    the "weight" is the ``K x N`` right operand, the input ``M x K``."""
    weights = layer.k * (layer.c // layer.groups) * layer.r * layer.s
    h = max(
        1,
        (layer.p - 1) * layer.stride_h
        + layer.dil_h * (layer.r - 1)
        + 1
        - 2 * layer.pad_h,
    )
    w = max(
        1,
        (layer.q - 1) * layer.stride_w
        + layer.dil_w * (layer.s - 1)
        + 1
        - 2 * layer.pad_w,
    )
    inputs = layer.n * layer.c * h * w
    outputs = layer.n * layer.k * layer.p * layer.q
    return weights, inputs, outputs


def _shape(layer: Layer) -> str:
    if layer.kind == "gemm":
        batch = f"n{layer.n} " if layer.n > 1 else ""
        return f"{batch}M{layer.p} N{layer.k} K{layer.c}"
    text = f"n{layer.n} c{layer.c} k{layer.k} {layer.p}x{layer.q} {layer.r}x{layer.s}"
    stride = {layer.stride_h, layer.stride_w}
    if stride != {1}:
        text += f" /{layer.stride_h}" + (
            "" if len(stride) == 1 else f"x{layer.stride_w}"
        )
    if layer.pad_h or layer.pad_w:
        text += f" pad{layer.pad_h}" + (
            "" if layer.pad_h == layer.pad_w else f"x{layer.pad_w}"
        )
    if layer.dil_h != 1 or layer.dil_w != 1:
        text += f" dil{layer.dil_h}x{layer.dil_w}"
    if layer.groups > 1:
        text += f" g{layer.groups}"
    return text


def _parse_options(items: list[str] | None) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"--option expects KEY=VALUE, got {item!r}")
        try:
            num = int(value)
        except ValueError:
            raise ValueError(
                f"option {key}: expected a positive integer, got {value.strip()!r}"
            ) from None
        if num < 1:
            raise ValueError(f"option {key}: expected a positive integer, got {num}")
        opts[key] = num
    return opts


def _title(name: str) -> str:
    text = zoo.describe(name)
    return text.split("(")[0].strip().rstrip(",") or name


_LIST_COLUMNS = (
    Column("name", "name", priority=0, text=True),
    Column("network", "network", priority=2, text=True),
    Column("layers", "layers", integer, priority=1),
    Column("unique", "unique", integer, priority=1),
    Column("macs", "MACs", _si, priority=0),
    Column("options", "options", priority=1, text=True),
)


def cmd_list(args: argparse.Namespace) -> int:
    """``tldse workloads list``: the zoo with layer counts and MACs at batch 1."""
    from tldse.workloads.fold import fold

    rows = []
    for name in zoo.names():
        wl = zoo.get(name)
        opts = (
            ", ".join(
                k if v is None else f"{k}={v}" for k, v in zoo.options(name).items()
            )
            or "-"
        )
        rows.append(
            {
                "name": name,
                "network": _title(name),
                "layers": len(wl),
                "unique": len(fold(wl)[0]),
                "macs": wl.macs,
                "options": opts,
            }
        )
    print_rows(
        args, _LIST_COLUMNS, rows, title="tldse workload zoo (batch 1, default options)"
    )
    return 0


def _load(spec: str, batch: int, opts: dict[str, Any]) -> Workload:
    if not opts:
        return resolve_workload(spec, batch)
    if Path(spec).is_file():
        raise ValueError("--option applies to zoo networks, not to files")
    return zoo.get(spec, batch=batch, **opts)


_SHOW_COLUMNS = (
    Column("number", "#", integer, priority=2),
    Column("layer", "layer", priority=0, text=True),
    Column("kind", "kind", priority=2, text=True),
    Column("count", "n", integer, priority=1),
    Column("shape", "shape", priority=1, text=True),
    Column("macs", "MACs", integer, priority=0),
    Column("weights", "weights", integer, priority=1),
    Column("inputs", "inputs", integer, priority=1),
    Column("outputs", "outputs", integer, priority=1),
)


def cmd_show(args: argparse.Namespace) -> int:
    """``tldse workloads show NAME``: per-layer MACs, weights, inputs and outputs."""
    if args.batch < 1:
        raise ValueError(f"--batch must be a positive integer, got {args.batch}")
    wl = _load(args.name, args.batch, _parse_options(args.option))
    if args.fold:
        from tldse.workloads.fold import fold

        wl = fold(wl)[0]
    rows: list[dict[str, Any]] = []
    tot = [0, 0, 0, 0]
    for i, layer in enumerate(wl.layers, 1):
        sizes = layer_sizes(layer)
        for j, v in enumerate((layer.macs, *sizes)):
            tot[j] += v * layer.count
        rows.append(
            {
                "number": i,
                "layer": layer.name,
                "kind": layer.kind,
                "count": layer.count,
                "shape": _shape(layer),
                "macs": layer.macs,
                "weights": sizes[0],
                "inputs": sizes[1],
                "outputs": sizes[2],
            }
        )
    occurrences = sum(layer.count for layer in wl.layers)
    total = {
        "number": None,
        "layer": "total",
        "kind": "",
        "count": occurrences,
        "shape": plural(len(wl), "row"),
        "macs": tot[0],
        "weights": tot[1],
        "inputs": tot[2],
        "outputs": tot[3],
    }
    print_rows(
        args,
        _SHOW_COLUMNS,
        [*rows, total] if args.format == "table" else rows,
        title=f"{wl.name} (sizes in elements, per occurrence; totals x count)",
    )
    say(args).print(
        f"{wl.name}: {plural(len(wl), 'layer')}, {_si(tot[0])} MACs, "
        f"{_si(tot[1])} weights",
        markup=False,
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """``tldse workloads import MODEL.onnx --out net.csv``."""
    from tldse.workloads.importers.onnx_model import from_onnx
    from tldse.workloads.importers.scalesim import to_layer_csv, to_scalesim_topology

    model = Path(args.model)
    if model.suffix.lower() != ".onnx":
        raise ValueError(
            f"{model}: only ONNX models (.onnx) import from the command line; "
            "use tldse.workloads.from_torch(module, inputs) for PyTorch"
        )
    out = Path(args.out)
    if not out.parent.is_dir():
        raise ValueError(f"--out: directory {out.parent} does not exist")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SkippedLayersWarning)
        wl = from_onnx(model, name=args.name)
    if args.format == "tldse":
        to_layer_csv(wl, out)
    else:
        to_scalesim_topology(
            wl, out, form="conv" if args.format == "scalesim-conv" else "gemm"
        )
    console.print(
        f"{model.name}: {plural(len(wl), 'layer')}, {_si(wl.macs)} MACs -> {out} "
        f"({args.format})",
        highlight=False,
    )
    for w in caught:
        if issubclass(w.category, SkippedLayersWarning):
            console.print(f"note: {w.message}", style="yellow", highlight=False)
    return 0


def register(subparsers: Any) -> None:
    """Adds ``workloads {list,show,import}`` to the ``tldse`` subcommands."""
    p = subparsers.add_parser(
        "workloads",
        help="list the zoo, show a network's layers, import ONNX models",
        description="Built-in networks (the zoo), per-layer tables, and ONNX import "
        "to a tldse layer CSV.",
    )
    sub = p.add_subparsers(dest="workloads_command", metavar="ACTION")
    p.set_defaults(func=show_help(p))

    lst = sub.add_parser("list", help="the built-in networks with their MACs")
    add_format_args(lst, "one row per network")
    lst.set_defaults(func=cmd_list)

    show = sub.add_parser(
        "show",
        help="per-layer MACs, weight and activation sizes of a network",
        description="Per-layer table of a zoo network or a topology file, with totals "
        "weighted by count.",
    )
    show.add_argument("name", help=f"zoo name ({', '.join(zoo.names())}) or a file")
    show.add_argument("--batch", type=int, default=1, help="batch size (default 1)")
    show.add_argument(
        "-o",
        "--option",
        action="append",
        metavar="KEY=VALUE",
        help="network option, e.g. -o seq_len=256 or -o kv_len=512 (repeatable)",
    )
    show.add_argument("--fold", action="store_true", help="one row per distinct shape")
    add_format_args(show, "one row per layer (no total row)")
    show.set_defaults(func=cmd_show)

    imp = sub.add_parser(
        "import",
        help="import an ONNX model to a layer CSV",
        description="Reads Conv, Gemm and MatMul nodes (shapes from ONNX shape "
        "inference) and writes a file Workload.read / tldse simulate --workload read.",
    )
    imp.add_argument("model", help="MODEL.onnx (fixed input shapes)")
    imp.add_argument("--out", required=True, help="output CSV path")
    imp.add_argument("--name", help="workload name (default: the file's stem)")
    imp.add_argument(
        "--format",
        choices=("tldse", "scalesim-conv", "scalesim-gemm"),
        default="tldse",
        help="tldse layer CSV (default) or a SCALE-Sim topology",
    )
    imp.set_defaults(func=cmd_import)
