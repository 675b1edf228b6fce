"""Import an ONNX model as a layer table (:func:`from_onnx`).

Needs the optional ``onnx`` package (``pip install 'tldse[onnx]'``). Shapes come
from ``onnx.shape_inference`` (with data propagation, so reshapes computed from
``Shape`` ops resolve), so the model must have fixed input shapes. ``Conv``
(1-D/2-D, ``group``, ``strides``, ``pads``/``auto_pad``, ``dilations``), ``Gemm``
(``transA``/``transB``) and ``MatMul`` (NumPy semantics, as ``torch.matmul``)
become layers; pooling, normalisation, activations and softmax are reported in
``.skipped``; reshapes and element-wise arithmetic are ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tldse.workloads.importers.pytorch import (
    UNSUPPORTED,
    ImportedWorkload,
    LayerRecorder,
    Shape,
    finish_import,
    skip_reason,
)

_ONNX_UNSUPPORTED = frozenset(
    {
        "ConvTranspose",
        "ConvInteger",
        "QLinearConv",
        "MatMulInteger",
        "QLinearMatMul",
        "Einsum",
        "LSTM",
        "GRU",
        "RNN",
        "Attention",
        "MultiHeadAttention",
    }
)


def _import_onnx() -> Any:
    try:
        import onnx
    except ImportError as exc:
        raise ValueError(
            "the ONNX importer needs the onnx package: pip install 'tldse[onnx]'"
        ) from exc
    return onnx


def _attrs(onnx: Any, node: Any) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _clean(name: str) -> str:
    return name.strip("/").replace("/", ".")


class _Shapes:
    """Known tensor shapes of a graph after shape inference."""

    def __init__(self, graph: Any) -> None:
        self.known: dict[str, Shape | None] = {}
        for vi in [*graph.input, *graph.value_info, *graph.output]:
            t = vi.type.tensor_type
            if not t.HasField("shape"):
                self.known[vi.name] = None
                continue
            dims = [d.dim_value if d.HasField("dim_value") else 0 for d in t.shape.dim]
            self.known[vi.name] = tuple(dims) if all(d > 0 for d in dims) else None
        for init in graph.initializer:
            self.known[init.name] = tuple(int(d) for d in init.dims)

    def __call__(
        self, tensor: str, node: str, op: str, ranks: tuple[int, ...] = ()
    ) -> Shape:
        """The shape of ``tensor``, with ``len(shape)`` one of ``ranks`` (any when
        empty); ValueError naming the node otherwise."""
        shape = self.known.get(tensor)
        if not shape:
            raise ValueError(
                f"ONNX node {node!r} ({op}): the shape of {tensor!r} is not known as "
                "positive integers after shape inference; export the model with "
                "fixed input shapes"
            )
        if ranks and len(shape) not in ranks:
            dims = " or ".join(f"{r}-D" for r in ranks)
            raise ValueError(
                f"ONNX node {node!r} ({op}): {tensor!r} must be {dims}, got shape "
                f"{list(shape)}"
            )
        return shape


def _conv_pads(attrs: dict[str, Any], x: Shape, w: Shape, y: Shape) -> list[int]:
    dims = len(w) - 2
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    strides = list(attrs.get("strides", [1] * dims))
    dil = list(attrs.get("dilations", [1] * dims))
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = []
        for i in range(dims):
            need = (y[2 + i] - 1) * strides[i] + dil[i] * (w[2 + i] - 1) + 1
            pads.append(max(0, need - x[2 + i]) // 2)
        return pads
    if auto == "VALID":
        return [0] * dims
    # Our layers pad symmetrically; an asymmetric pad keeps its leading side (the
    # output size comes from the graph, so the layer's p and q stay exact).
    return list(attrs.get("pads", [0] * (2 * dims)))[:dims]


def from_onnx(model: str | Path | Any, *, name: str | None = None) -> ImportedWorkload:
    """The layers of an ONNX model (a file path or a loaded ``ModelProto``).

    Conv, Gemm and MatMul become conv/dwconv/gemm layers with shapes from
    ``onnx.shape_inference``; a MatMul whose right operand is 2-D folds the left
    operand's leading dimensions into the rows, a batched one becomes ``count``
    independent GEMMs (per batch x head in attention). Other operators are reported
    in ``.skipped`` (and one :class:`SkippedLayersWarning`) when they matter.
    """
    onnx = _import_onnx()
    if isinstance(model, (str, Path)):
        path = Path(model)
        if not path.is_file():
            raise ValueError(f"{path}: no such ONNX file")
        try:
            proto = onnx.load(str(path))
        except Exception as exc:
            raise ValueError(f"{path}: not a readable ONNX model ({exc})") from exc
        title = name or path.stem
    else:
        proto, title = model, name or "onnx_model"
    try:
        proto = onnx.shape_inference.infer_shapes(proto, data_prop=True)
    except Exception as exc:
        raise ValueError(f"{title}: ONNX shape inference failed: {exc}") from exc
    graph = proto.graph
    shape = _Shapes(graph)
    rec = LayerRecorder()
    for i, node in enumerate(graph.node):
        op = node.op_type
        nm = rec.unique(_clean(node.name) or f"{op.lower()}{i}")
        if node.domain not in ("", "ai.onnx"):
            reason = UNSUPPORTED if op in _ONNX_UNSUPPORTED else skip_reason(op)
            if reason:
                rec.skip(nm, op, reason)
            continue
        a = _attrs(onnx, node)
        if op == "Conv":
            w = shape(node.input[1], nm, op, (3, 4))  # 1-D or 2-D convolution
            x = shape(node.input[0], nm, op, (len(w),))
            y = shape(node.output[0], nm, op, (len(w),))
            rec.conv(
                nm,
                x=x,
                w=w,
                y=y,
                stride=list(a.get("strides", [1] * (len(w) - 2))),
                padding=_conv_pads(a, x, w, y),
                dilation=list(a.get("dilations", [1] * (len(w) - 2))),
                groups=int(a.get("group", 1)),
            )
        elif op == "Gemm":
            ash = shape(node.input[0], nm, op, (2,))  # Gemm takes matrices only
            bsh = shape(node.input[1], nm, op, (2,))
            m, k = (ash[1], ash[0]) if a.get("transA", 0) else (ash[0], ash[1])
            n = bsh[0] if a.get("transB", 0) else bsh[1]
            rec.gemm(nm, m=m, n=n, k=k)
        elif op == "MatMul":
            rec.matmul(nm, shape(node.input[0], nm, op), shape(node.input[1], nm, op))
        else:
            reason = UNSUPPORTED if op in _ONNX_UNSUPPORTED else skip_reason(op)
            if reason is not None:
                rec.skip(nm, op, reason)
    return finish_import(rec, title, "onnx", f"from_onnx({title})")
