"""Built-in networks, written as layer tables (our own definitions; papers cited).

Every network is a plain function ``f(batch, **options) -> Workload`` listed in
``_ZOO``; :func:`get` looks one up by name and checks its options.

Conventions (docs/workloads.md):

* Only layers with multiply-accumulates are listed: convolutions, depthwise
  convolutions and matrix products. Pooling, normalisation, activations, softmax,
  residual additions and embedding look-ups are not layers here.
* Convolutions keep the batch in ``n``. Fully connected layers and the projections
  of transformers are GEMMs with the batch folded into the rows: ``m = batch x
  tokens``.
* Attention is listed per transformer block as two GEMMs per head, ``qk``
  (``Q K^T``: tokens x head_dim @ head_dim x keys) and ``av`` (``A V``: tokens x
  keys @ keys x head_dim), each with ``count = batch x heads`` because every
  (sequence, head) pair is an independent product with its own operands.
* Causal masking (GPT-2) is not subtracted: dense kernels compute the full square.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from tldse.workloads.layer import Layer, Workload

ZooBuilder = Callable[..., Workload]


def _positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _fc(name: str, batch: int, c_in: int, c_out: int) -> Layer:
    """A fully connected layer on ``batch`` vectors: (batch x c_in) @ (c_in x c_out)."""
    return Layer.gemm(name, m=batch, n=c_out, k=c_in)


# --------------------------------------------------------------------------- CNNs


def alexnet(batch: int = 1) -> Workload:
    """AlexNet, the original two-group network (Krizhevsky, Sutskever and Hinton,
    NeurIPS 2012), at 227x227 as the Eyeriss chip ran it (Chen et al., JSSC 2017).

    conv2, conv4 and conv5 are split over the paper's two GPUs (groups = 2).
    724 MMACs at batch 1: 666 M in the five convolutions, 58.6 M in fc6-fc8.
    """
    b = batch
    conv1 = Layer.conv("conv1", c=3, k=96, h=227, r=11, stride=4, n=b)  # -> 55
    # 3x3/2 max pool: 55 -> 27
    conv2 = Layer.conv("conv2", c=96, k=256, h=27, r=5, pad=2, groups=2, n=b)
    # 3x3/2 max pool: 27 -> 13
    conv3 = Layer.conv("conv3", c=256, k=384, h=13, r=3, pad=1, n=b)
    conv4 = Layer.conv("conv4", c=384, k=384, h=13, r=3, pad=1, groups=2, n=b)
    conv5 = Layer.conv("conv5", c=384, k=256, h=13, r=3, pad=1, groups=2, n=b)
    # 3x3/2 max pool: 13 -> 6, so fc6 sees 256 x 6 x 6 = 9216 inputs
    layers = [conv1, conv2, conv3, conv4, conv5]
    layers += [
        _fc("fc6", b, 256 * 6 * 6, 4096),
        _fc("fc7", b, 4096, 4096),
        _fc("fc8", b, 4096, 1000),
    ]
    return Workload("alexnet", layers)


def vgg16(batch: int = 1) -> Workload:
    """VGG-16, configuration D (Simonyan and Zisserman, ICLR 2015), 224x224:
    13 3x3 convolutions (stride 1, pad 1), 2x2/2 max pools, three fully connected
    layers. 15.5 GMACs at batch 1."""
    plan = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]
    layers: list[Layer] = []
    size, c_in = 224, 3
    for block, widths in enumerate(plan, 1):
        for i, width in enumerate(widths, 1):
            conv = Layer.conv(
                f"conv{block}_{i}", c=c_in, k=width, h=size, r=3, pad=1, n=batch
            )
            layers.append(conv)
            c_in = width
        size //= 2  # 2x2/2 max pool
    layers += [
        _fc("fc6", batch, 512 * size * size, 4096),
        _fc("fc7", batch, 4096, 4096),
        _fc("fc8", batch, 4096, 1000),
    ]
    return Workload("vgg16", layers)


def resnet18(batch: int = 1) -> Workload:
    """ResNet-18 at 224x224 (He et al., CVPR 2016, Table 1): basic blocks of two 3x3
    convolutions, stride 2 on the first 3x3 of stages 3-5, 1x1 stride-2 projection
    shortcuts there. 1.8 GMACs at batch 1."""
    layers = [Layer.conv("conv1", c=3, k=64, h=224, r=7, stride=2, pad=3, n=batch)]
    size, c_in = 56, 64  # 112 -> 56 by the 3x3/2 max pool (pad 1)
    for stage, width in enumerate((64, 128, 256, 512), 2):
        for b in range(2):
            stride = 2 if b == 0 and stage > 2 else 1
            pre = f"conv{stage}_{b + 1}"
            first = Layer.conv(
                f"{pre}a", c=c_in, k=width, h=size, r=3, stride=stride, pad=1, n=batch
            )
            layers.append(first)
            layers.append(
                Layer.conv(f"{pre}b", c=width, k=width, h=first.p, r=3, pad=1, n=batch)
            )
            if stride != 1 or c_in != width:
                layers.append(
                    Layer.conv(
                        f"{pre}_proj",
                        c=c_in,
                        k=width,
                        h=size,
                        r=1,
                        stride=stride,
                        n=batch,
                    )
                )
            size, c_in = first.p, width
    layers.append(_fc("fc", batch, 512, 1000))
    return Workload("resnet18", layers)


def resnet50(batch: int = 1) -> Workload:
    """ResNet-50 at 224x224 (He et al., CVPR 2016), stride on the 3x3 conv of each
    downsampling bottleneck as in the common "v1.5" variant: 4.09 GMACs at batch 1."""
    layers = [Layer.conv("conv1", c=3, k=64, h=224, r=7, stride=2, pad=3, n=batch)]
    size, c_in = 56, 64  # after the 3x3/2 max pool
    for stage, (width, blocks) in enumerate(((64, 3), (128, 4), (256, 6), (512, 3)), 2):
        out = 4 * width
        for b in range(blocks):
            stride = 2 if b == 0 and stage > 2 else 1
            pre = f"conv{stage}_{b + 1}"
            layers.append(Layer.conv(f"{pre}a", c=c_in, k=width, h=size, r=1, n=batch))
            layers.append(
                Layer.conv(
                    f"{pre}b",
                    c=width,
                    k=width,
                    h=size,
                    r=3,
                    stride=stride,
                    pad=1,
                    n=batch,
                )
            )
            size //= stride
            layers.append(Layer.conv(f"{pre}c", c=width, k=out, h=size, r=1, n=batch))
            if b == 0:
                layers.append(
                    Layer.conv(
                        f"{pre}_proj",
                        c=c_in,
                        k=out,
                        h=size * stride,
                        r=1,
                        stride=stride,
                        n=batch,
                    )
                )
            c_in = out
    layers.append(Layer.gemm("fc", m=batch, n=1000, k=2048))
    return Workload("resnet50", layers)


def _inverted_residual(
    pre: str,
    *,
    c_in: int,
    c_out: int,
    size: int,
    expand: int,
    kernel: int,
    stride: int,
    batch: int,
    se_ratio: float = 0.0,
) -> tuple[list[Layer], int]:
    """MobileNetV2 / MBConv block: 1x1 expansion (skipped when ``expand == 1``),
    depthwise ``kernel x kernel`` (pad ``kernel // 2``), optional squeeze-and-
    excitation (two 1x1 convs on the pooled 1x1 map), 1x1 linear projection."""
    hidden = c_in * expand
    layers: list[Layer] = []
    if expand != 1:
        layers.append(
            Layer.conv(f"{pre}.expand", c=c_in, k=hidden, h=size, r=1, n=batch)
        )
    dw = Layer.conv(
        f"{pre}.dw",
        c=hidden,
        k=hidden,
        h=size,
        r=kernel,
        stride=stride,
        pad=kernel // 2,
        groups=hidden,
        n=batch,
    )
    layers.append(dw)
    if se_ratio:
        squeeze = max(1, int(c_in * se_ratio))
        layers.append(Layer.conv(f"{pre}.se1", c=hidden, k=squeeze, h=1, r=1, n=batch))
        layers.append(Layer.conv(f"{pre}.se2", c=squeeze, k=hidden, h=1, r=1, n=batch))
    layers.append(Layer.conv(f"{pre}.project", c=hidden, k=c_out, h=dw.p, r=1, n=batch))
    return layers, dw.p


def mobilenet_v2(batch: int = 1) -> Workload:
    """MobileNetV2, width 1.0, 224x224 (Sandler et al., CVPR 2018, Table 2):
    inverted residual blocks (expansion t, 3x3 depthwise, linear bottleneck).
    300 MMACs at batch 1 (the paper's Table 4)."""
    layers = [Layer.conv("conv1", c=3, k=32, h=224, r=3, stride=2, pad=1, n=batch)]
    size, c_in = layers[0].p, 32
    # (expansion t, output channels c, repeats n, first stride s): Table 2
    plan = [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ]
    for stage, (t, c, n, s) in enumerate(plan, 1):
        for i in range(n):
            block, size = _inverted_residual(
                f"block{stage}_{i + 1}",
                c_in=c_in,
                c_out=c,
                size=size,
                expand=t,
                kernel=3,
                stride=s if i == 0 else 1,
                batch=batch,
            )
            layers += block
            c_in = c
    layers.append(Layer.conv("conv_last", c=c_in, k=1280, h=size, r=1, n=batch))
    layers.append(_fc("fc", batch, 1280, 1000))
    return Workload("mobilenet_v2", layers)


def efficientnet_b0(batch: int = 1) -> Workload:
    """EfficientNet-B0, 224x224 (Tan and Le, ICML 2019, Table 1): MBConv blocks with
    squeeze-and-excitation (ratio 0.25 of the block's input channels, as in MnasNet),
    "same" padding (``kernel // 2``; the output sizes equal TensorFlow's). 0.386 G
    multiply-adds at batch 1 (the paper's Table 2: 0.39B "FLOPs")."""
    layers = [Layer.conv("stem", c=3, k=32, h=224, r=3, stride=2, pad=1, n=batch)]
    size, c_in = layers[0].p, 32
    # (expansion, kernel, first stride, output channels, repeats): Table 1, stages 2-8
    plan = [
        (1, 3, 1, 16, 1),
        (6, 3, 2, 24, 2),
        (6, 5, 2, 40, 2),
        (6, 3, 2, 80, 3),
        (6, 5, 1, 112, 3),
        (6, 5, 2, 192, 4),
        (6, 3, 1, 320, 1),
    ]
    for stage, (t, kernel, s, c, n) in enumerate(plan, 2):
        for i in range(n):
            block, size = _inverted_residual(
                f"stage{stage}_{i + 1}",
                c_in=c_in,
                c_out=c,
                size=size,
                expand=t,
                kernel=kernel,
                stride=s if i == 0 else 1,
                batch=batch,
                se_ratio=0.25,
            )
            layers += block
            c_in = c
    layers.append(Layer.conv("head", c=c_in, k=1280, h=size, r=1, n=batch))
    layers.append(_fc("fc", batch, 1280, 1000))
    return Workload("efficientnet_b0", layers)


# -------------------------------------------------------------------- transformers


def transformer_block(
    pre: str,
    *,
    batch: int,
    tokens: int,
    d_model: int,
    heads: int,
    d_ff: int,
    keys: int | None = None,
    fused_qkv: bool = False,
) -> list[Layer]:
    """The GEMMs of one transformer block (self-attention + two-layer MLP).

    ``tokens`` query positions per sequence attend to ``keys`` positions (default
    ``tokens``; a decode step with a KV cache has ``tokens = 1``). Projections are
    ``(batch*tokens x d) @ (d x d)``; attention is ``qk`` and ``av`` per head with
    ``count = batch * heads``. ``fused_qkv`` writes Q, K and V as one ``d -> 3d``
    GEMM (GPT-2's ``c_attn``) instead of three ``d -> d`` GEMMs.
    """
    if d_model % heads:
        raise ValueError(f"{pre}: heads ({heads}) must divide d_model ({d_model})")
    keys = tokens if keys is None else keys
    m, dh, per_head = batch * tokens, d_model // heads, batch * heads
    if fused_qkv:
        qkv = [Layer.gemm(f"{pre}.attn.qkv", m=m, n=3 * d_model, k=d_model)]
    else:
        qkv = [Layer.gemm(f"{pre}.attn.{x}", m=m, n=d_model, k=d_model) for x in "qkv"]
    return [
        *qkv,
        Layer.gemm(f"{pre}.attn.qk", m=tokens, n=keys, k=dh, count=per_head),
        Layer.gemm(f"{pre}.attn.av", m=tokens, n=dh, k=keys, count=per_head),
        Layer.gemm(f"{pre}.attn.out", m=m, n=d_model, k=d_model),
        Layer.gemm(f"{pre}.mlp.fc1", m=m, n=d_ff, k=d_model),
        Layer.gemm(f"{pre}.mlp.fc2", m=m, n=d_model, k=d_ff),
    ]


def vit_b16(batch: int = 1, *, image_size: int = 224) -> Workload:
    """ViT-B/16 (Dosovitskiy et al., ICLR 2021, Table 1: 12 layers, d = 768, MLP
    3072, 12 heads, 16x16 patches). At 224x224: a 16x16/16 patch-embedding conv,
    196 patches + the class token = 197 tokens, and the classifier on the class
    token. 17.6 G multiply-adds at batch 1.

    Option ``image_size`` (a multiple of 16, default 224).
    """
    _positive("image_size", image_size)
    if image_size % 16:
        raise ValueError(f"image_size must be a multiple of 16, got {image_size}")
    d = 768
    embed = Layer.conv("patch_embed", c=3, k=d, h=image_size, r=16, stride=16, n=batch)
    tokens = embed.p * embed.q + 1
    layers = [embed]
    for i in range(1, 13):
        layers += transformer_block(
            f"block{i}", batch=batch, tokens=tokens, d_model=d, heads=12, d_ff=3072
        )
    layers.append(_fc("head", batch, d, 1000))
    return Workload("vit_b16", layers)


def bert_base(batch: int = 1, *, seq_len: int = 128) -> Workload:
    """BERT-base encoder (Devlin et al., NAACL 2019: L = 12, H = 768, A = 12, feed-
    forward 4H = 3072) on ``seq_len`` tokens (default 128, the length of 90% of
    BERT's pre-training steps; at most 512). Only the 12 encoder layers: embeddings
    are look-ups and the pooler and task heads vary with the task.

    Option ``seq_len`` (1-512).
    """
    _positive("seq_len", seq_len)
    if seq_len > 512:
        raise ValueError(f"seq_len must be <= 512 (BERT's positions), got {seq_len}")
    layers: list[Layer] = []
    for i in range(1, 13):
        layers += transformer_block(
            f"layer{i}", batch=batch, tokens=seq_len, d_model=768, heads=12, d_ff=3072
        )
    return Workload("bert_base", layers)


GPT2_VOCAB = 50257
GPT2_CONTEXT = 1024


def gpt2(
    batch: int = 1, *, seq_len: int = GPT2_CONTEXT, kv_len: int | None = None
) -> Workload:
    """GPT-2 small, 124M parameters (Radford et al., 2019: 12 layers, d = 768, 12
    heads, MLP 3072, vocabulary 50257, context 1024), fused Q/K/V projection
    (``c_attn``) as in its code.

    Two modes:

    * prefill (default): ``seq_len`` tokens (default 1024) go through every layer;
    * decode step (give ``kv_len``): one new token per sequence attends to
      ``kv_len`` keys (the KV cache including its own key).

    The tied language-model head (``d x vocab``) runs on the last position only,
    which is what generation needs. Options ``seq_len`` and ``kv_len`` (<= 1024;
    ``seq_len`` does not apply to a decode step).
    """
    if kv_len is not None and seq_len != GPT2_CONTEXT:
        raise ValueError("give seq_len (prefill) or kv_len (decode step), not both")
    for opt, value in (("seq_len", seq_len), ("kv_len", kv_len)):
        if value is not None:
            _positive(opt, value)
            if value > GPT2_CONTEXT:
                raise ValueError(f"{opt} must be <= {GPT2_CONTEXT}, got {value}")
    if kv_len is None:
        tokens, keys, name = seq_len, None, "gpt2"
    else:
        tokens, keys, name = 1, kv_len, "gpt2_decode"
    layers: list[Layer] = []
    for i in range(1, 13):
        layers += transformer_block(
            f"h{i}",
            batch=batch,
            tokens=tokens,
            d_model=768,
            heads=12,
            d_ff=3072,
            keys=keys,
            fused_qkv=True,
        )
    layers.append(_fc("lm_head", batch, 768, GPT2_VOCAB))
    return Workload(name, layers)


# ---------------------------------------------------------------------------- API

_ZOO: dict[str, ZooBuilder] = {
    "alexnet": alexnet,
    "vgg16": vgg16,
    "resnet18": resnet18,
    "resnet50": resnet50,
    "mobilenet_v2": mobilenet_v2,
    "efficientnet_b0": efficientnet_b0,
    "vit_b16": vit_b16,
    "bert_base": bert_base,
    "gpt2": gpt2,
}


def names() -> list[str]:
    """Names of the built-in networks."""
    return sorted(_ZOO)


def _builder(name: str) -> tuple[str, ZooBuilder]:
    if not isinstance(name, str):
        raise ValueError(f"a workload name must be a string, got {name!r}")
    key = name.lower().replace("-", "").replace("_", "").replace("/", "")
    for known, fn in _ZOO.items():
        if known.replace("_", "") == key:
            return known, fn
    raise ValueError(f"unknown workload {name!r}; built-in: {', '.join(names())}")


def options(name: str) -> dict[str, Any]:
    """The options a built-in network takes, with their defaults."""
    _, fn = _builder(name)
    params = inspect.signature(fn).parameters.values()
    return {p.name: p.default for p in params if p.kind is p.KEYWORD_ONLY}


def describe(name: str) -> str:
    """The first line of a built-in network's docstring."""
    _, fn = _builder(name)
    return " ".join((inspect.getdoc(fn) or "").split("\n\n")[0].split())


def get(name: str, batch: int = 1, **opts: Any) -> Workload:
    """A built-in network by name (case, ``-`` and ``_`` ignored).

    ``opts`` are the network's options (see :func:`options`), e.g.
    ``get("gpt2", kv_len=512)``; unknown names raise ValueError listing valid ones.
    """
    known, fn = _builder(name)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be an integer >= 1, got {batch!r}")
    valid = options(known)
    unknown = sorted(set(opts) - set(valid))
    if unknown:
        have = ", ".join(valid) if valid else "none"
        raise ValueError(
            f"{known}: unknown option(s) {', '.join(unknown)}; valid options: {have}"
        )
    return fn(batch, **opts)
