"""Importers (PyTorch, ONNX) and topology files (SCALE-Sim, tldse CSV).

The torch models are written here by hand (no torchvision): a ResNet-18 that must
import to exactly the zoo's ResNet-18, and a small transformer whose expected
GEMMs are written out below.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tldse.workloads import (
    ImportedWorkload,
    Layer,
    SkippedLayersWarning,
    Workload,
    from_onnx,
    from_torch,
    read_scalesim_topology,
    scalesim_equivalent,
    to_layer_csv,
    to_scalesim_topology,
    zoo,
)


def keys(layers: Workload | list[Layer]) -> list[tuple[int, ...]]:
    return [layer.shape_key() for layer in layers]


# ------------------------------------------------------------------ torch models


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.down: nn.Module | None = None
        if stride != 1 or c_in != c_out:
            self.down = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.down is None else self.down(x)
        return F.relu(out + shortcut)


class ResNet18(nn.Module):
    """He et al. 2016, Table 1, 18-layer column, written from the paper."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.pool = nn.MaxPool2d(3, 2, 1)
        blocks, c_in = [], 64
        for stage, width in enumerate((64, 128, 256, 512)):
            for b in range(2):
                stride = 2 if b == 0 and stage > 0 else 1
                blocks.append(BasicBlock(c_in, width, stride))
                c_in = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = self.blocks(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class SelfAttention(nn.Module):
    def __init__(self, d: int, heads: int, use_sdpa: bool) -> None:
        super().__init__()
        self.heads, self.use_sdpa = heads, use_sdpa
        self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.out = nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, self.heads, d // self.heads).transpose(1, 2)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        if self.use_sdpa:
            a = F.scaled_dot_product_attention(q, k, v)
        else:
            scores = q @ k.transpose(-2, -1) / (d // self.heads) ** 0.5
            a = torch.matmul(scores.softmax(-1), v)
        return self.out(a.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, d: int, heads: int, ff: int, use_sdpa: bool) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = SelfAttention(d, heads, use_sdpa)
        self.fc1, self.fc2 = nn.Linear(d, ff), nn.Linear(ff, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class TinyTransformer(nn.Module):
    """Two pre-norm blocks (one with SDPA, one with explicit matmuls) + a head on
    the first token."""

    def __init__(self, d: int = 32, heads: int = 4, ff: int = 64) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            [Block(d, heads, ff, use_sdpa=True), Block(d, heads, ff, use_sdpa=False)]
        )
        self.head = nn.Linear(d, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.head(x[:, 0])


def tiny_expected(batch: int, tokens: int) -> list[Layer]:
    """By hand: per block Q, K, V (batch*tokens x 32 @ 32 x 32), per (sequence,
    head) Q K^T (tokens x 8 @ 8 x tokens) and A V (tokens x tokens @ tokens x 8),
    output projection, MLP 32 -> 64 -> 32; head on one token per sequence."""
    m, per_head = batch * tokens, batch * 4
    block = [
        Layer.gemm("q", m=m, n=32, k=32),
        Layer.gemm("k", m=m, n=32, k=32),
        Layer.gemm("v", m=m, n=32, k=32),
        Layer.gemm("qk", m=tokens, n=tokens, k=8, count=per_head),
        Layer.gemm("av", m=tokens, n=8, k=tokens, count=per_head),
        Layer.gemm("out", m=m, n=32, k=32),
        Layer.gemm("fc1", m=m, n=64, k=32),
        Layer.gemm("fc2", m=m, n=32, k=64),
    ]
    return [*block, *block, Layer.gemm("head", m=batch, n=10, k=32)]


@pytest.fixture(scope="module")
def resnet18() -> nn.Module:
    torch.manual_seed(0)
    return ResNet18()


# ------------------------------------------------------------------------- torch


@pytest.mark.parametrize(("method", "batch"), [("fx", 1), ("hooks", 2)])
def test_resnet18_imports_to_the_zoo(
    resnet18: nn.Module, method: str, batch: int
) -> None:
    x = torch.randn(batch, 3, 224, 224)
    with pytest.warns(SkippedLayersWarning, match="BatchNorm2d x20"):
        wl = from_torch(resnet18, x, method=method)  # type: ignore[arg-type]
    assert isinstance(wl, ImportedWorkload) and wl.method == method
    assert keys(wl) == keys(zoo.get("resnet18", batch=batch))
    assert wl.names[:3] == ["conv1", "blocks.0.conv1", "blocks.0.conv2"]
    assert "blocks.2.down.0" in wl.names
    ops = {s.op for s in wl.skipped}
    assert {"BatchNorm2d", "MaxPool2d", "relu", "adaptive_avg_pool2d"} <= ops
    assert all(s.reason == "no MACs" for s in wl.skipped)


def test_import_restores_training_mode(resnet18: nn.Module) -> None:
    resnet18.train()
    with pytest.warns(SkippedLayersWarning):
        from_torch(resnet18, torch.randn(1, 3, 64, 64))
    assert all(m.training for m in resnet18.modules())


@pytest.mark.parametrize("method", ["fx", "hooks"])
def test_tiny_transformer(method: str) -> None:
    torch.manual_seed(0)
    with pytest.warns(SkippedLayersWarning, match="LayerNorm x4"):
        wl = from_torch(TinyTransformer(), torch.randn(3, 6, 32), method=method)  # type: ignore[arg-type]
    assert keys(wl) == keys(tiny_expected(batch=3, tokens=6))
    assert wl.names[3:5] == ["blocks.0.attn.sdpa.qk", "blocks.0.attn.sdpa.av"]
    assert wl.names[11:13] == ["blocks.1.attn.matmul", "blocks.1.attn.matmul_1"]


def test_transformer_encoder_layer_falls_back_to_hooks() -> None:
    """nn.TransformerEncoderLayer branches on tensor properties, which torch.fx
    cannot trace; the eager fallback sees nn.MultiheadAttention and the MLP, the
    same GEMMs as a zoo transformer block."""
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wl = from_torch(layer, torch.randn(2, 5, 16))
    messages = [str(w.message) for w in caught]
    assert any("falling back to forward hooks" in m for m in messages)
    assert wl.method == "hooks"
    expected = zoo.transformer_block(
        "b", batch=2, tokens=5, d_model=16, heads=4, d_ff=32
    )
    assert keys(wl) == keys(expected)


class CrossAttention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.mha = nn.MultiheadAttention(16, 4, batch_first=True, kdim=8, vdim=12)

    def forward(self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> Any:
        return self.mha(x, k, v, need_weights=False)[0]


@pytest.mark.parametrize("method", ["fx", "hooks"])
def test_multihead_attention_with_kdim_vdim(method: str) -> None:
    """Batch 2, 5 queries of 16, 7 keys of 8 and values of 12, 4 heads of 4."""
    args = (torch.randn(2, 5, 16), torch.randn(2, 7, 8), torch.randn(2, 7, 12))
    wl = from_torch(CrossAttention(), args, method=method)  # type: ignore[arg-type]
    assert wl.method == method
    assert keys(wl) == keys(
        [
            Layer.gemm("q", m=10, n=16, k=16),
            Layer.gemm("k", m=14, n=16, k=8),
            Layer.gemm("v", m=14, n=16, k=12),
            Layer.gemm("qk", m=5, n=7, k=4, count=8),
            Layer.gemm("av", m=5, n=4, k=7, count=8),
            Layer.gemm("out", m=10, n=16, k=16),
        ]
    )


class Gate(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.b = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(x) if x.sum() > 0 else self.b(-x)  # data-dependent branch


class Branchy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(8, 8)
        self.gate = Gate()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.gate(self.a(x))


def test_untraceable_module_is_named_with_a_hint() -> None:
    with pytest.raises(ValueError, match=r"cannot trace module 'gate' \(Gate\).*hooks"):
        from_torch(Branchy(), torch.randn(3, 8), method="fx")
    with pytest.warns(UserWarning, match="module 'gate'.*falling back"):
        wl = from_torch(Branchy(), torch.randn(3, 8))
    assert wl.method == "hooks" and wl.names == ["a", "gate.b"]
    assert keys(wl) == keys([Layer.gemm("a", 3, 8, 8), Layer.gemm("b", 3, 4, 8)])


@pytest.mark.parametrize("method", ["fx", "hooks"])
def test_failing_forward_names_the_module(method: str) -> None:
    model = nn.Sequential(nn.Linear(8, 8), nn.Linear(7, 2))
    with pytest.raises(ValueError, match=r"failed in module '1'.*check example_inputs"):
        from_torch(model, torch.randn(3, 8), method=method)  # type: ignore[arg-type]


class ConvZoo(nn.Module):
    """Depthwise with a channel multiplier, dilated grouped, strided rectangular,
    1-D "same", a functional grouped conv, and an unsupported ConvTranspose2d."""

    def __init__(self) -> None:
        super().__init__()
        self.dw = nn.Conv2d(4, 8, 3, padding=1, groups=4)
        self.dil = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=2)
        self.rect = nn.Conv2d(8, 6, (3, 5), stride=(2, 1), padding=(1, 2))
        self.c1d = nn.Conv1d(6, 6, 3, padding="same", dilation=2)
        self.up = nn.ConvTranspose2d(6, 6, 2, stride=2)
        self.w = nn.Parameter(torch.randn(6, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.rect(self.dil(self.dw(x)))  # (N, 6, 5, 10)
        n, c, h, w = y.shape
        y = self.c1d(y.flatten(2)).view(n, c, h, w)
        y = F.conv2d(y, self.w, groups=2)
        return self.up(y)


def test_convolution_parameters() -> None:
    expected = [
        Layer(
            "dw",
            "dwconv",
            n=2,
            k=8,
            c=4,
            p=10,
            q=10,
            r=3,
            s=3,
            pad_h=1,
            pad_w=1,
            groups=4,
        ),
        Layer(
            "dil",
            "conv",
            n=2,
            k=8,
            c=8,
            p=10,
            q=10,
            r=3,
            s=3,
            pad_h=2,
            pad_w=2,
            dil_h=2,
            dil_w=2,
            groups=2,
        ),
        Layer(
            "rect",
            "conv",
            n=2,
            k=6,
            c=8,
            p=5,
            q=10,
            r=3,
            s=5,
            stride_h=2,
            pad_h=1,
            pad_w=2,
        ),
        Layer("c1d", "conv", n=2, k=6, c=6, p=1, q=50, r=1, s=3, pad_w=2, dil_w=2),
        Layer("f", "conv", n=2, k=6, c=6, p=5, q=10, groups=2),
    ]
    for method in ("fx", "hooks"):
        with pytest.warns(SkippedLayersWarning, match="NOT imported.*ConvTranspose2d"):
            wl = from_torch(ConvZoo(), torch.randn(2, 4, 10, 10), method=method)
        assert keys(wl) == keys(expected)
        assert wl.names[-1] == "conv2d"
        assert [(s.name, s.op) for s in wl.skipped] == [("up", "ConvTranspose2d")]
        assert wl.skipped[0].reason.startswith("unsupported")


def test_matmul_shapes() -> None:
    class Mats(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.randn(16, 5))

        def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            x = a @ self.w  # (2, 3, 7, 16) @ (16, 5): shared weight, rows fold
            y = torch.bmm(b, b.transpose(1, 2))  # 4 x (6 x 9 @ 9 x 6)
            z = torch.addmm(torch.zeros(6, 6), b[0], b[1].t())  # 6 x 9 @ 9 x 6
            return x.sum() + y.sum() + z.sum()

    expected = [
        Layer.gemm("x", m=2 * 3 * 7, n=5, k=16),
        Layer.gemm("y", m=6, n=6, k=9, count=4),
        Layer.gemm("z", m=6, n=6, k=9),
    ]
    args = (torch.randn(2, 3, 7, 16), torch.randn(4, 6, 9))
    for method in ("fx", "hooks"):
        wl = from_torch(Mats(), args, method=method)
        assert keys(wl) == keys(expected)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"expects a torch\.nn\.Module"):
        from_torch("resnet", torch.randn(1))
    with pytest.raises(ValueError, match="method must be"):
        from_torch(nn.Linear(2, 2), torch.randn(1, 2), method="jit")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="example_inputs"):
        from_torch(nn.Linear(2, 2), ())
    with pytest.raises(ValueError, match="no conv, linear or matmul"):
        from_torch(nn.Sequential(nn.ReLU()), torch.randn(2, 2))


# -------------------------------------------------------------------------- ONNX


def _export(model: nn.Module, x: torch.Tensor, path: Path, **kw: Any) -> Path:
    """torch.onnx.export with the TorchScript exporter (``dynamo=False``): the
    default torch.export-based exporter needs the onnxscript package."""
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(path), dynamo=False, **kw)
    return path


def test_onnx_transformer_matches_torch_import(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = TinyTransformer()
    path = _export(model, torch.randn(2, 6, 32), tmp_path / "tiny.onnx")
    with pytest.warns(SkippedLayersWarning, match="LayerNormalization x4"):
        wl = from_onnx(path)
    assert wl.name == "tiny" and wl.method == "onnx"
    # Linear on 3-D input exports as MatMul with a 2-D initializer (rows fold), the
    # head on 2-D input as Gemm(transB=1), attention as batched MatMuls.
    assert keys(wl) == keys(tiny_expected(batch=2, tokens=6))


@pytest.mark.slow  # a torch ONNX export
def test_onnx_cnn(tmp_path: Path, resnet18: nn.Module) -> None:
    path = _export(resnet18, torch.randn(1, 3, 64, 64), tmp_path / "r18.onnx")
    with pytest.warns(SkippedLayersWarning):
        wl = from_onnx(path)
    with pytest.warns(SkippedLayersWarning):
        ref = from_torch(resnet18, torch.randn(1, 3, 64, 64))
    assert keys(wl) == keys(ref) and len(wl) == 21
    with pytest.warns(SkippedLayersWarning):
        convs = from_onnx(
            _export(ConvZoo(), torch.randn(2, 4, 10, 10), tmp_path / "c.onnx")
        )
    with pytest.warns(SkippedLayersWarning):
        ref = from_torch(ConvZoo(), torch.randn(2, 4, 10, 10))
    assert keys(convs) == keys(ref)
    assert "ConvTranspose" in {s.op for s in convs.skipped}


def test_onnx_needs_fixed_shapes(tmp_path: Path) -> None:
    path = _export(
        nn.Sequential(nn.Linear(8, 4)),
        torch.randn(3, 8),
        tmp_path / "dyn.onnx",
        input_names=["x"],
        dynamic_axes={"x": {0: "batch"}},
    )
    with pytest.raises(ValueError, match=r"not known as positive integers.*fixed"):
        from_onnx(path)
    with pytest.raises(ValueError, match="no such ONNX file"):
        from_onnx(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_text("not a model")
    with pytest.raises(ValueError, match="not a readable ONNX model"):
        from_onnx(tmp_path / "junk.onnx")


# -------------------------------------------------------------- topology files


def test_scalesim_conv_rows_by_hand(tmp_path: Path) -> None:
    """SCALE-Sim has no padding and computes P = ceil((H - R) / stride) + 1, so we
    write the input rows actually read, (P - 1) * stride + R. For a 3x3 pad 1 conv
    on 56x56 that is the padded 58; at stride 2 it is 57, not the padded 58 (SCALE-
    Sim would give ceil(55 / 2) + 1 = 29 from 58, PyTorch gives 28)."""
    wl = Workload(
        "t",
        [
            Layer.conv("same", c=64, k=64, h=56, r=3, pad=1),
            Layer.conv("down", c=64, k=128, h=56, r=3, pad=1, stride=2),
            Layer.conv("grouped", c=8, k=4, h=10, r=3, groups=2, count=2),
            Layer.gemm("fc", m=2, n=10, k=512),
        ],
    )
    path = to_scalesim_topology(wl, tmp_path / "t.csv")
    lines = path.read_text().splitlines()
    assert lines == [
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
        "Channels, Num Filter, Strides,",
        "same, 58, 58, 3, 3, 64, 64, 1,",
        "down, 57, 57, 3, 3, 64, 128, 2,",
        "grouped_g1_r1, 10, 10, 3, 3, 4, 2, 1,",
        "grouped_g1_r2, 10, 10, 3, 3, 4, 2, 1,",
        "grouped_g2_r1, 10, 10, 3, 3, 4, 2, 1,",
        "grouped_g2_r2, 10, 10, 3, 3, 4, 2, 1,",
        "fc, 2, 1, 1, 1, 512, 10, 1,",
    ]
    back = Workload.read(path)
    assert [(x.p, x.q) for x in back] == [(56, 56), (28, 28), *[(8, 8)] * 4, (2, 1)]
    assert back.macs == wl.macs
    gemm = to_scalesim_topology(wl, tmp_path / "g.csv", form="gemm")
    assert gemm.read_text().splitlines()[0] == "Layer, M, N, K,"
    # im2col: M = P*Q, N = K/g, K = (C/g)*R*S
    assert "down, 784, 128, 576," in gemm.read_text().splitlines()
    assert Workload.read(gemm).macs == wl.macs


def test_scalesim_round_trip_unpadded_is_exact(tmp_path: Path) -> None:
    layers = [
        Layer.conv("a", c=3, k=16, h=32, r=3),
        Layer.conv("b", c=16, k=32, h=30, w=20, r=5, s=3, stride=3),
        Layer.conv("c", c=32, k=8, h=9, r=1),
    ]
    back = Workload.read(to_scalesim_topology(layers, tmp_path / "a.csv"))
    assert keys(back) == keys(layers) and back.names == ["a", "b", "c"]
    gemms = [Layer.gemm("x", m=197, n=2304, k=768), Layer.gemm("y", m=1, n=7, k=3)]
    back = read_scalesim_topology(to_scalesim_topology(gemms, tmp_path / "g.csv"))
    assert keys(back) == keys(gemms)


@pytest.mark.parametrize("name", zoo.names())
@pytest.mark.parametrize("form", ["conv", "gemm"])
def test_scalesim_round_trip_zoo(tmp_path: Path, name: str, form: str) -> None:
    opts = {"seq_len": 16} if name in ("bert_base", "gpt2") else {}
    wl = zoo.get(name, batch=2, **opts)
    back = Workload.read(to_scalesim_topology(wl, tmp_path / "t.csv", form=form))  # type: ignore[arg-type]
    eq = [e for layer in wl for e in scalesim_equivalent(layer, form)]  # type: ignore[arg-type]
    assert keys(back) == keys(eq) and back.names == [e.name for e in eq]
    assert back.macs == wl.macs  # padding, groups, batch and count all preserved
    if form == "conv":  # the conv's own geometry survives, padding made explicit
        convs = [x for x in wl if x.kind != "gemm" and x.groups == 1]
        got = {x.name.split("_r")[0]: x for x in back}
        for x in convs:
            y = got[x.name]
            assert (y.c, y.k, y.p, y.q, y.r, y.s, y.stride_h, y.pad_h) == (
                x.c,
                x.k,
                x.p,
                x.q,
                x.r,
                x.s,
                x.stride_h,
                0,
            )


def test_scalesim_refuses_what_it_cannot_express(tmp_path: Path) -> None:
    dil = Layer.conv("atrous", c=8, k=8, h=16, r=3, pad=2, dilation=2)
    with pytest.raises(ValueError, match="'atrous': dilation 2x2 cannot be written"):
        to_scalesim_topology([dil], tmp_path / "d.csv", form="conv")
    rect = Layer("rect", k=4, c=4, p=5, q=10, r=3, s=3, stride_h=2, stride_w=1)
    with pytest.raises(ValueError, match="'rect': strides 2x1 differ"):
        to_scalesim_topology([rect], tmp_path / "r.csv")
    back = Workload.read(
        to_scalesim_topology([dil, rect], tmp_path / "g.csv", form="gemm")
    )
    assert back.macs == dil.macs + rect.macs
    with pytest.raises(ValueError, match="form must be"):
        to_scalesim_topology([dil], tmp_path / "x.csv", form="timeloop")  # type: ignore[arg-type]
    csv = to_layer_csv([dil], tmp_path / "l.csv")
    with pytest.raises(ValueError, match="not a SCALE-Sim topology"):
        read_scalesim_topology(csv)


def test_layer_csv_round_trip_is_exact(tmp_path: Path) -> None:
    wl = zoo.get("mobilenet_v2", batch=3)
    odd = [
        Layer.conv("a,b", c=8, k=8, h=16, r=3, pad=2, dilation=2, count=5),
        Layer("#rect", k=4, c=4, p=5, q=10, r=3, s=1, stride_h=2, pad_h=1),
    ]
    path = to_layer_csv([*wl.layers, *odd], tmp_path / "net.csv")
    assert path.read_text().splitlines()[0] == (
        "name,kind,n,k,c,p,q,r,s,stride_h,stride_w,pad_h,pad_w,dil_h,dil_w,groups,count"
    )
    back = Workload.read(path)
    assert back.layers[: len(wl)] == wl.layers
    assert keys(back.layers[len(wl) :]) == keys(odd)
    assert back.names[len(wl) :] == ["a_b", "_#rect"]
    assert [x.count for x in back.layers[len(wl) :]] == [5, 1]
