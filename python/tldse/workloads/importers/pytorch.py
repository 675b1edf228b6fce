"""Import a ``torch.nn.Module`` as a layer table (:func:`from_torch`).

Two ways to find the layers, both run the model once on ``example_inputs`` to get
real shapes:

* ``fx`` (tried first): ``torch.fx`` symbolic tracing with Conv1d/Conv2d, Linear,
  MultiheadAttention and childless ``torch.nn`` modules as leaves, then
  ``ShapeProp`` for the shapes; functional ``conv1d/conv2d``, ``linear``,
  ``matmul``/``@``, ``bmm``, ``mm``, ``addmm``, ``baddbmm`` and
  ``scaled_dot_product_attention`` calls are read from the graph.
* ``hooks`` (fallback when tracing fails, e.g. on data-dependent control flow):
  forward hooks on every module plus a ``TorchFunctionMode`` that sees the same
  functional calls while the model runs eagerly.

Operations without multiply-accumulates (pooling, norms, activations, softmax,
dropout) are reported in ``ImportedWorkload.skipped`` and in one
:class:`SkippedLayersWarning`, never a failure. ``torch`` is imported lazily, so the
rest of tldse works without it. :class:`LayerRecorder` (no torch) is shared with the
ONNX importer.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tldse.workloads.layer import Layer, LayerKind, Workload

Shape = tuple[int, ...]
ImportMethod = Literal["auto", "fx", "hooks"]


class SkippedLayersWarning(UserWarning):
    """Some operations of an imported model were not turned into layers."""


@dataclass(frozen=True)
class SkippedOp:
    """An operation an importer did not turn into a layer, and why."""

    name: str
    op: str
    reason: str


@dataclass
class ImportedWorkload(Workload):
    """A :class:`Workload` from an importer, with what it skipped and how it ran."""

    skipped: list[SkippedOp] = field(default_factory=list)
    method: str = ""


NO_MACS = "no MACs"
UNSUPPORTED = "unsupported: has MACs that are not imported"

_NO_MAC_SUBSTRINGS = ("pool", "norm", "relu", "softmax", "dropout", "sigmoid")
_NO_MAC_NAMES = frozenset(
    {
        "elu",
        "selu",
        "celu",
        "gelu",
        "silu",
        "swish",
        "mish",
        "tanh",
        "hardtanh",
        "hardswish",
        "hardsigmoid",
        "softplus",
        "softsign",
        "prelu",
        "rrelu",
        "glu",
        "logsigmoid",
        "erf",
        "clip",
        "clamp",
        "interpolate",
        "upsample",
        "resize",
        "upsample_nearest2d",
        "upsample_bilinear2d",
        "embedding",
        "embedding_bag",
    }
)
_UNSUPPORTED_NAMES = frozenset(
    {
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "convtranspose",
        "convtranspose1d",
        "convtranspose2d",
        "convtranspose3d",
        "lazyconv3d",
        "einsum",
        "bilinear",
        "tensordot",
        "lstm",
        "gru",
        "rnn",
        "lstmcell",
        "grucell",
        "rnncell",
        "multi_head_attention_forward",
        "qlinearconv",
        "qlinearmatmul",
        "convinteger",
        "matmulinteger",
        "attention",
    }
)


def skip_reason(op: str) -> str | None:
    """Why an operation named ``op`` is skipped; None when it is not worth reporting
    (reshapes, indexing, element-wise arithmetic)."""
    low = op.lower()
    if low in _UNSUPPORTED_NAMES:
        return UNSUPPORTED
    if low in _NO_MAC_NAMES or any(w in low for w in _NO_MAC_SUBSTRINGS):
        return NO_MACS
    return None


def _ints(values: Iterable[Any]) -> Shape:
    return tuple(int(v) for v in values)


def _per_dim(value: Any, dims: int, what: str) -> Shape:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (int(value),) * dims
    out = _ints(value)
    if len(out) == 1:
        return out * dims
    if len(out) != dims:
        raise ValueError(f"{what} {value!r} does not match a {dims}-D convolution")
    return out


def _prod(values: Iterable[int]) -> int:
    return math.prod(values)


def _broadcast(a: Shape, b: Shape) -> Shape:
    """NumPy broadcasting of two batch shapes."""
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + a
    b = (1,) * (n - len(b)) + b
    out = []
    for x, y in zip(a, b, strict=True):
        if x != y and 1 not in (x, y):
            raise ValueError(f"batch shapes {a} and {b} do not broadcast")
        out.append(max(x, y))
    return tuple(out)


class LayerRecorder:
    """Collects layers and skipped operations (no torch needed).

    Callers pass names made unique with :meth:`unique`; multi-GEMM operations
    (attention) suffix them with ``.qk``, ``.av``, ...
    """

    def __init__(self) -> None:
        self.layers: list[Layer] = []
        self.skipped: list[SkippedOp] = []
        self._used: Counter[str] = Counter()

    def unique(self, base: str) -> str:
        n = self._used[base]
        self._used[base] += 1
        return base if n == 0 else f"{base}_{n}"

    def skip(self, name: str, op: str, reason: str) -> None:
        self.skipped.append(SkippedOp(name, op, reason))

    def add(self, layer: Layer) -> None:
        self.layers.append(layer)

    def gemm(self, name: str, m: int, n: int, k: int, count: int = 1) -> None:
        """``count`` independent ``(m x k) @ (k x n)`` products."""
        self.add(Layer.gemm(name, m=m, n=n, k=k, count=count))

    def conv(
        self,
        name: str,
        *,
        x: Shape,
        w: Shape,
        y: Shape,
        stride: Any,
        padding: Any,
        dilation: Any,
        groups: int,
    ) -> None:
        """A 1-D or 2-D convolution from its input, weight and output shapes.

        ``w`` is ``(K, C / groups, [R,] S)``; ``x`` and ``y`` may lack the batch.
        A 1-D convolution becomes a 2-D one with ``r = p = 1``. ``padding`` may be
        "valid"/"same" (``dilation * (kernel - 1) // 2`` per side).
        """
        dims = len(w) - 2
        if dims not in (1, 2):
            raise ValueError(f"{name}: only 1-D and 2-D convolutions are supported")
        batched = len(x) == dims + 2
        n, c = (x[0], x[1]) if batched else (1, x[0])
        out = y[-dims:]
        kernel = w[2:]
        strides = _per_dim(stride, dims, "stride")
        dilations = _per_dim(dilation, dims, "dilation")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{name}: unknown padding {padding!r}")
            pads: Shape = tuple(
                0 if padding == "valid" else d * (kk - 1) // 2
                for d, kk in zip(dilations, kernel, strict=True)
            )
        else:
            pads = _per_dim(padding, dims, "padding")
        if dims == 1:
            out, kernel = (1, *out), (1, *kernel)
            strides, pads, dilations = (1, *strides), (0, *pads), (1, *dilations)
        kind: LayerKind = "dwconv" if groups == c and c > 1 else "conv"
        self.add(
            Layer(
                name,
                kind,
                n=n,
                k=w[0],
                c=c,
                p=out[0],
                q=out[1],
                r=kernel[0],
                s=kernel[1],
                stride_h=strides[0],
                stride_w=strides[1],
                pad_h=pads[0],
                pad_w=pads[1],
                dil_h=dilations[0],
                dil_w=dilations[1],
                groups=int(groups),
            )
        )

    def linear(self, name: str, x: Shape, out_features: int) -> None:
        """``x[..., in] @ W^T``: every leading dimension folds into the rows."""
        self.gemm(name, m=_prod(x[:-1]), n=out_features, k=x[-1])

    def matmul(self, name: str, a: Shape, b: Shape) -> None:
        """``torch.matmul`` / ONNX ``MatMul`` semantics.

        A 2-D (or 1-D) right operand is shared, so the left operand's leading
        dimensions fold into the rows (like a Linear layer); otherwise every broadcast
        batch element is an independent product (``count``).
        """
        if not a or not b:
            raise ValueError(f"{name}: matmul of a scalar")
        a2 = a if len(a) >= 2 else (1, *a)
        b2 = b if len(b) >= 2 else (*b, 1)
        if a2[-1] != b2[-2]:
            raise ValueError(f"{name}: inner sizes differ in {a} @ {b}")
        if len(b) <= 2:
            self.gemm(name, m=_prod(a2[:-1]), n=b2[-1], k=a2[-1])
        else:
            count = _prod(_broadcast(a2[:-2], b2[:-2]))
            self.gemm(name, m=a2[-2], n=b2[-1], k=a2[-1], count=count)

    def attention(self, name: str, q: Shape, k: Shape, v: Shape) -> None:
        """Scaled dot-product attention on ``(..., L, E)`` queries, ``(..., S, E)``
        keys and ``(..., S, Ev)`` values: ``qk`` and ``av`` per batch x head."""
        count = _prod(q[:-2])
        self.gemm(f"{name}.qk", m=q[-2], n=k[-2], k=q[-1], count=count)
        self.gemm(f"{name}.av", m=q[-2], n=v[-1], k=k[-2], count=count)

    def multihead_attention(
        self,
        name: str,
        *,
        q: Shape,
        k: Shape,
        v: Shape,
        embed_dim: int,
        heads: int,
        batch_first: bool,
    ) -> None:
        """``nn.MultiheadAttention``: Q/K/V projections, per-head ``qk`` and ``av``,
        output projection (the same GEMMs as the zoo's transformer blocks)."""
        if len(q) == 3:
            n, length = (q[0], q[1]) if batch_first else (q[1], q[0])
            keys = k[1] if batch_first else k[0]
        else:
            n, length, keys = 1, q[0], k[0]
        dh = embed_dim // heads
        self.gemm(f"{name}.q_proj", m=n * length, n=embed_dim, k=q[-1])
        self.gemm(f"{name}.k_proj", m=n * keys, n=embed_dim, k=k[-1])
        self.gemm(f"{name}.v_proj", m=n * keys, n=embed_dim, k=v[-1])
        self.gemm(f"{name}.qk", m=length, n=keys, k=dh, count=n * heads)
        self.gemm(f"{name}.av", m=length, n=dh, k=keys, count=n * heads)
        self.gemm(f"{name}.out_proj", m=n * length, n=embed_dim, k=embed_dim)


def finish_import(
    rec: LayerRecorder, name: str, method: str, source: str
) -> ImportedWorkload:
    """The workload of a recorder; warns once about what was skipped."""
    if not rec.layers:
        seen = ", ".join(sorted({s.op for s in rec.skipped})) or "nothing"
        raise ValueError(
            f"{source}: no conv, linear or matmul operation found (saw: {seen})"
        )
    if rec.skipped:
        kinds = Counter(s.op for s in rec.skipped)
        summary = ", ".join(f"{op} x{n}" for op, n in kinds.most_common(6))
        more = "" if len(kinds) <= 6 else f", ... ({len(kinds)} kinds)"
        lost = [s for s in rec.skipped if s.reason == UNSUPPORTED]
        msg = f"{source}: {len(rec.skipped)} operations skipped ({summary}{more})"
        if lost:
            msg += "; NOT imported although they have MACs: " + ", ".join(
                f"{s.name} ({s.op})" for s in lost[:5]
            )
        warnings.warn(msg + "; see .skipped", SkippedLayersWarning, stacklevel=3)
    return ImportedWorkload(name, list(rec.layers), list(rec.skipped), method)


# ------------------------------------------------------------------ torch specific


class _TraceError(Exception):
    def __init__(self, module_name: str, module_type: str, cause: BaseException):
        super().__init__(str(cause))
        self.module_name = module_name
        self.module_type = module_type
        self.cause = cause


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}{'...' if len(text) > 200 else ''}"


def _function_keys(torch: Any) -> dict[Any, str]:
    """Callables (functions, Tensor methods, operators) -> our op key."""
    F = torch.nn.functional
    T = torch.Tensor
    keys: dict[Any, str] = {
        F.conv1d: "conv1d",
        F.conv2d: "conv2d",
        F.linear: "linear",
        F.scaled_dot_product_attention: "sdpa",
        operator.matmul: "matmul",
        torch.matmul: "matmul",
        T.matmul: "matmul",
        T.__matmul__: "matmul",
        T.__rmatmul__: "rmatmul",
        torch.bmm: "matmul",
        T.bmm: "matmul",
        torch.mm: "matmul",
        T.mm: "matmul",
        torch.addmm: "addmm",
        T.addmm: "addmm",
        torch.baddbmm: "addmm",
        T.baddbmm: "addmm",
    }
    return keys


_METHOD_KEYS = {
    "matmul": "matmul",
    "__matmul__": "matmul",
    "__rmatmul__": "rmatmul",
    "bmm": "matmul",
    "mm": "matmul",
    "addmm": "addmm",
    "baddbmm": "addmm",
}


def _bind(
    args: Sequence[Any], kwargs: Mapping[str, Any], names: Sequence[str]
) -> dict[str, Any]:
    out = dict(zip(names, args, strict=False))
    out.update({k: v for k, v in kwargs.items() if k in names})
    return out


def _record_call(
    rec: LayerRecorder,
    key: str,
    name: str,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    shape: Callable[[Any], Shape],
    out_shape: Callable[[], Shape],
) -> None:
    """One functional call (conv, linear, matmul, sdpa) with arguments as given."""
    if key in ("conv1d", "conv2d"):
        a = _bind(
            args,
            kwargs,
            ("input", "weight", "bias", "stride", "padding", "dilation", "groups"),
        )
        rec.conv(
            name,
            x=shape(a["input"]),
            w=shape(a["weight"]),
            y=out_shape(),
            stride=a.get("stride", 1),
            padding=a.get("padding", 0),
            dilation=a.get("dilation", 1),
            groups=int(a.get("groups", 1)),
        )
    elif key == "linear":
        a = _bind(args, kwargs, ("input", "weight", "bias"))
        rec.linear(name, shape(a["input"]), shape(a["weight"])[0])
    elif key == "matmul":
        a = _bind(args, kwargs, ("input", "other"))
        if "other" not in a:  # Tensor.mm(mat2=...), bmm(mat2=...)
            a["other"] = kwargs.get("mat2", kwargs.get("vec2"))
        rec.matmul(name, shape(a["input"]), shape(a["other"]))
    elif key == "rmatmul":
        rec.matmul(name, shape(args[1]), shape(args[0]))
    elif key == "addmm":
        a = _bind(args, kwargs, ("input", "mat1", "mat2"))
        a.setdefault("mat1", kwargs.get("batch1"))
        a.setdefault("mat2", kwargs.get("batch2"))
        rec.matmul(name, shape(a["mat1"]), shape(a["mat2"]))
    elif key == "sdpa":
        a = _bind(args, kwargs, ("query", "key", "value"))
        rec.attention(name, shape(a["query"]), shape(a["key"]), shape(a["value"]))
    else:  # pragma: no cover - keys come from our own tables
        raise AssertionError(key)


def _record_module(
    torch: Any,
    rec: LayerRecorder,
    mod: Any,
    name: str,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    shape: Callable[[Any], Shape],
    out_shape: Callable[[], Shape],
) -> None:
    """A leaf module: Conv1d/Conv2d, Linear, MultiheadAttention, or a skipped one."""
    nn = torch.nn
    if isinstance(mod, (nn.Conv1d, nn.Conv2d)):
        x = args[0] if args else kwargs["input"]
        rec.conv(
            name,
            x=shape(x),
            w=_ints(mod.weight.shape),
            y=out_shape(),
            stride=mod.stride,
            padding=mod.padding,
            dilation=mod.dilation,
            groups=int(mod.groups),
        )
    elif isinstance(mod, nn.Linear):
        x = args[0] if args else kwargs["input"]
        rec.linear(name, shape(x), int(mod.out_features))
    elif isinstance(mod, nn.MultiheadAttention):
        a = _bind(args, kwargs, ("query", "key", "value"))
        rec.multihead_attention(
            name,
            q=shape(a["query"]),
            k=shape(a["key"]),
            v=shape(a["value"]),
            embed_dim=int(mod.embed_dim),
            heads=int(mod.num_heads),
            batch_first=bool(mod.batch_first),
        )
    else:
        op = type(mod).__name__
        reason = skip_reason(op)
        if reason is None and any(True for _ in mod.parameters(recurse=False)):
            reason = UNSUPPORTED
        if reason is not None:
            rec.skip(name, op, reason)


def _recognised(torch: Any) -> tuple[type, ...]:
    nn = torch.nn
    return (nn.Conv1d, nn.Conv2d, nn.Linear, nn.MultiheadAttention)


def _is_leaf(torch: Any, mod: Any) -> bool:
    """Recognised compute modules, and childless ``torch.nn`` modules (norms,
    activations, pooling, RNNs): their insides are not looked at."""
    if isinstance(mod, _recognised(torch)):
        return True
    nn = torch.nn
    if isinstance(mod, (nn.Sequential, nn.ModuleList, nn.ModuleDict)):
        return False
    builtin = type(mod).__module__.startswith("torch.nn")
    return builtin and next(iter(mod.children()), None) is None


def _scoped(scope: str, key: str) -> str:
    return f"{scope}.{key}" if scope else key


def _fx_import(
    torch: Any, module: Any, inputs: tuple[Any, ...], rec: LayerRecorder
) -> None:
    from torch.fx.passes.shape_prop import ShapeProp

    fx = torch.fx

    class Tracer(fx.Tracer):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.tldse_stack: list[str] = []
            self.failed: tuple[str, str] | None = None

        def is_leaf_module(self, m: Any, qualname: str) -> bool:
            return _is_leaf(torch, m)

        def call_module(self, m: Any, forward: Any, args: Any, kwargs: Any) -> Any:
            name = self.path_of_module(m)
            self.tldse_stack.append(name)
            try:
                return super().call_module(m, forward, args, kwargs)
            except Exception:
                if self.failed is None:
                    self.failed = (name, type(m).__name__)
                raise
            finally:
                self.tldse_stack.pop()

        def create_node(self, *args: Any, **kwargs: Any) -> Any:
            node = super().create_node(*args, **kwargs)
            node.meta["tldse_scope"] = self.tldse_stack[-1] if self.tldse_stack else ""
            return node

    tracer = Tracer()
    try:
        graph = tracer.trace(module)
    except Exception as exc:
        where, kind = tracer.failed or ("<root>", type(module).__name__)
        raise _TraceError(where, kind, exc) from exc
    gm = fx.GraphModule(tracer.root, graph)

    class Prop(ShapeProp):
        current: Any = None

        def run_node(self, n: Any) -> Any:
            self.current = n
            return super().run_node(n)

    prop = Prop(gm)
    try:
        with torch.no_grad():
            prop.propagate(*inputs)
    except Exception as err:
        cause: BaseException = err.__cause__ or err  # ShapeProp wraps the real error
        node = prop.current
        scope = node.meta.get("tldse_scope", "") if node is not None else ""
        what = f"module '{scope}'" if scope else "the top-level forward"
        raise ValueError(
            f"from_torch: running the traced model failed in {what} (node "
            f"{getattr(node, 'name', '?')}): {_short(cause)}; check example_inputs"
        ) from err

    def shape(arg: Any) -> Shape:
        meta = getattr(arg, "meta", {}).get("tensor_meta")
        if meta is None or not hasattr(meta, "shape"):
            raise ValueError(f"from_torch: no tensor shape for {arg!r}")
        return _ints(meta.shape)

    keys = _function_keys(torch)
    for node in gm.graph.nodes:
        scope = node.meta.get("tldse_scope", "")
        out = lambda n=node: shape(n)  # noqa: E731
        if node.op == "call_module":
            mod = gm.get_submodule(node.target)
            name = rec.unique(str(node.target))
            _record_module(torch, rec, mod, name, node.args, node.kwargs, shape, out)
        elif node.op in ("call_function", "call_method"):
            if node.op == "call_method":
                op_name = str(node.target)
                key = _METHOD_KEYS.get(op_name)
            else:
                op_name = getattr(node.target, "__name__", str(node.target))
                key = keys.get(node.target)
            if key is not None:
                name = rec.unique(_scoped(scope, key.replace("rmatmul", "matmul")))
                _record_call(rec, key, name, node.args, node.kwargs, shape, out)
            else:
                reason = skip_reason(op_name)
                if reason is not None:
                    rec.skip(rec.unique(_scoped(scope, op_name)), op_name, reason)


def _hooks_import(
    torch: Any, module: Any, inputs: tuple[Any, ...], rec: LayerRecorder
) -> None:
    from torch.overrides import TorchFunctionMode

    names = {id(m): n for n, m in module.named_modules()}
    stack: list[str] = []
    depth = [0]  # > 0 while inside a leaf module: its own calls are not recorded
    keys = _function_keys(torch)

    def shape(arg: Any) -> Shape:
        if not isinstance(arg, torch.Tensor):
            raise ValueError(f"from_torch: expected a tensor, got {type(arg).__name__}")
        return _ints(arg.shape)

    def pre(mod: Any, args: Any, kwargs: Any) -> None:
        stack.append(names.get(id(mod), type(mod).__name__.lower()))
        if _is_leaf(torch, mod):
            depth[0] += 1

    def post(mod: Any, args: Any, kwargs: Any, output: Any) -> None:
        name = stack.pop() or type(mod).__name__.lower()
        if not _is_leaf(torch, mod):
            return
        depth[0] -= 1
        first = output[0] if isinstance(output, (tuple, list)) else output

        def out() -> Shape:
            return shape(first)

        _record_module(torch, rec, mod, rec.unique(name), args, kwargs, shape, out)

    class Mode(TorchFunctionMode):
        def __torch_function__(
            self, func: Any, types: Any, args: Any = (), kwargs: Any = None
        ) -> Any:
            kwargs = kwargs or {}
            result = func(*args, **kwargs)
            if depth[0] == 0:
                scope = stack[-1] if stack else ""
                key = keys.get(func)
                if key is not None:
                    first = result[0] if isinstance(result, (tuple, list)) else result
                    name = rec.unique(_scoped(scope, key.replace("rmatmul", "matmul")))
                    _record_call(
                        rec, key, name, args, kwargs, shape, lambda: shape(first)
                    )
                else:
                    op = getattr(func, "__name__", "")
                    reason = skip_reason(op) if op else None
                    if reason is not None:
                        rec.skip(rec.unique(_scoped(scope, op)), op, reason)
            return result

    handles = []
    for m in module.modules():
        handles.append(m.register_forward_pre_hook(pre, with_kwargs=True))
        handles.append(m.register_forward_hook(post, with_kwargs=True))
    try:
        with torch.no_grad(), Mode():
            module(*inputs)
    except Exception as exc:
        where = next((s for s in reversed(stack) if s), "")
        what = f"module '{where}'" if where else "the top-level forward"
        raise ValueError(
            f"from_torch: running the model failed in {what}: {_short(exc)}; "
            "check example_inputs"
        ) from exc
    finally:
        for h in handles:
            h.remove()


def from_torch(
    module: Any,
    example_inputs: Any,
    *,
    method: ImportMethod = "auto",
    name: str | None = None,
) -> ImportedWorkload:
    """The layers of a ``torch.nn.Module`` run on ``example_inputs``.

    ``example_inputs``: a tensor or a tuple of positional arguments to ``forward``.
    Records Conv1d/Conv2d (groups, strides, padding, dilation), Linear, matmul/@,
    bmm, mm, addmm, baddbmm, ``scaled_dot_product_attention`` and
    ``nn.MultiheadAttention`` with their real shapes; the batch is the one of the
    example inputs. ``method``: "fx" (symbolic tracing), "hooks" (eager run with
    forward hooks and a TorchFunctionMode) or "auto" (fx, then hooks with a warning
    when tracing fails). The model runs in eval mode under ``no_grad``; its
    training flags are restored afterwards.

    Returns an :class:`ImportedWorkload`; ``.skipped`` lists operations without
    MACs (pooling, norms, activations) and unsupported ones, also summarised in a
    :class:`SkippedLayersWarning`.
    """
    import torch

    if not isinstance(module, torch.nn.Module):
        raise ValueError(
            f"from_torch expects a torch.nn.Module, got {type(module).__name__}"
        )
    if method not in ("auto", "fx", "hooks"):
        raise ValueError(f"method must be 'auto', 'fx' or 'hooks', got {method!r}")
    inputs = (
        (example_inputs,)
        if isinstance(example_inputs, torch.Tensor)
        else example_inputs
    )
    if not isinstance(inputs, (tuple, list)) or not inputs:
        raise ValueError(
            "example_inputs must be a tensor or a non-empty tuple of inputs"
        )
    inputs = tuple(inputs)
    title = name or type(module).__name__.lower()
    modes = {m: m.training for m in module.modules()}
    module.eval()
    try:
        rec = LayerRecorder()
        used = method
        if _is_leaf(torch, module):  # a bare Linear, MultiheadAttention, ...
            used = "hooks"
        elif method in ("auto", "fx"):
            try:
                _fx_import(torch, module, inputs, rec)
                used = "fx"
            except _TraceError as err:
                where = f"module '{err.module_name}' ({err.module_type})"
                if method == "fx":
                    raise ValueError(
                        f"from_torch: torch.fx cannot trace {where}: "
                        f"{_short(err.cause)}. Hint: use method='hooks' (forward hooks "
                        "record what runs eagerly) or make that module traceable"
                    ) from err
                warnings.warn(
                    f"from_torch: torch.fx cannot trace {where} ({_short(err.cause)}); "
                    "falling back to forward hooks",
                    stacklevel=2,
                )
                rec = LayerRecorder()
                used = "hooks"
        if used == "hooks":
            _hooks_import(torch, module, inputs, rec)
    finally:
        for m, training in modes.items():
            m.training = training
    return finish_import(rec, title, used, f"from_torch({type(module).__name__})")
