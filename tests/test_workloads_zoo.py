"""The model zoo against published MAC and parameter counts and hand formulas.

Conventions of the sources, so that like is compared with like:

* He et al. 2016, Sandler et al. 2018, Tan and Le 2019 and the ViT literature write
  "FLOPs" or "Mult-Adds" for multiply-accumulates (one MAC = one "FLOP" there);
  nobody below means 2 x MACs.
* torchvision's model tables (``_ops`` in the weights metadata, shown as "GFLOPS"
  in its docs) count MACs of conv and linear layers, 3 decimals.
* Sze et al., "Efficient Processing of Deep Neural Networks", Proc. IEEE 2017,
  Table III, splits AlexNet/VGG-16 into CONV and FC MACs and weights.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tldse.workloads import Layer, Workload, to_layer_csv, zoo

G, M = 1e9, 1e6

# (network, published MACs, source). Each must be within 1% of our total at the
# network's standard input, batch 1.
PUBLISHED_MACS = [
    # Sze et al. 2017 Table III: AlexNet 724M MACs (666M CONV + 58.6M FC), the
    # two-group original at 227x227 as Eyeriss ran it.
    ("alexnet", 724 * M, "Sze et al. 2017, Table III"),
    # Sze et al. 2017 Table III: 15.5G (15.3G CONV + 124M FC); torchvision 15.47.
    ("vgg16", 15.5 * G, "Sze et al. 2017, Table III"),
    ("vgg16", 15.47 * G, "torchvision VGG16_Weights _ops"),
    # He et al. 2016, Table 1: ResNet-18 1.8 x 10^9 FLOPs (multiply-adds).
    ("resnet18", 1.8 * G, "He et al. 2016, Table 1"),
    ("resnet18", 1.814 * G, "torchvision ResNet18_Weights _ops"),
    # Our ResNet-50 is "v1.5" (stride on the 3x3), torchvision's variant: 4.089.
    # He et al.'s 3.8G is v1 (stride on the first 1x1): see test_resnet50_v1.
    ("resnet50", 4.1 * G, "ResNet-50 v1.5, commonly quoted"),
    ("resnet50", 4.089 * G, "torchvision ResNet50_Weights _ops"),
    # Sandler et al. 2018, Table 4: MobileNetV2 (1.0) 300M multiply-adds.
    ("mobilenet_v2", 300 * M, "Sandler et al. 2018, Table 4"),
    ("mobilenet_v2", 0.301 * G, "torchvision MobileNet_V2_Weights _ops"),
    # Tan and Le 2019, Table 2: 0.39B FLOPS (= multiply-adds), two significant
    # digits. Ours, 0.3858G, rounds to it but is 1.07% below 0.39 itself, so the 1%
    # comparison uses torchvision's three-digit 0.386 (weights ported from the
    # paper's); test_efficientnet_b0_rounds_to_paper checks the paper's figure.
    ("efficientnet_b0", 0.386 * G, "torchvision EfficientNet_B0_Weights _ops"),
    # ViT-B/16 at 224: 17.6G as usually quoted (torchvision 17.564; Liu et al. 2021,
    # Swin, Table 1: DeiT-B, the same network, 17.5G).
    ("vit_b16", 17.6 * G, "ViT-B/16 at 224, commonly quoted"),
    ("vit_b16", 17.564 * G, "torchvision ViT_B_16_Weights _ops"),
    ("vit_b16", 17.5 * G, "Liu et al. 2021 (Swin), Table 1, DeiT-B"),
]


@pytest.mark.parametrize(("name", "published", "source"), PUBLISHED_MACS)
def test_total_macs_within_one_percent_of_published(
    name: str, published: float, source: str
) -> None:
    macs = zoo.get(name).macs
    assert abs(macs - published) / published < 0.01, (name, macs, published, source)


def test_efficientnet_b0_rounds_to_paper() -> None:
    # Tan and Le 2019, Table 2: 0.39B at two significant digits.
    assert round(zoo.get("efficientnet_b0").macs / G, 2) == 0.39


def test_vit_b16_at_384() -> None:
    # Liu et al. 2021 (Swin), Table 1: ViT-B/16 at 384x384, 55.4G FLOPs (MACs);
    # 24 x 24 patches + class token = 577 tokens.
    wl = zoo.get("vit_b16", image_size=384)
    assert wl.layers[1].p == 577
    assert abs(wl.macs - 55.4 * G) / (55.4 * G) < 0.01


def test_alexnet_layers_by_hand() -> None:
    """Original AlexNet: output sizes and per-layer MACs P*Q*K*(C/g)*R*S."""
    wl = zoo.get("alexnet")
    by = {layer.name: layer for layer in wl}
    assert [by[f"conv{i}"].p for i in range(1, 6)] == [55, 27, 13, 13, 13]
    assert [by[n].groups for n in ("conv1", "conv2", "conv3", "conv4", "conv5")] == [
        1,
        2,
        1,
        2,
        2,
    ]
    expected = {
        "conv1": 55 * 55 * 96 * 3 * 11 * 11,
        "conv2": 27 * 27 * 256 * 48 * 5 * 5,
        "conv3": 13 * 13 * 384 * 256 * 3 * 3,
        "conv4": 13 * 13 * 384 * 192 * 3 * 3,
        "conv5": 13 * 13 * 256 * 192 * 3 * 3,
        "fc6": 9216 * 4096,
        "fc7": 4096 * 4096,
        "fc8": 4096 * 1000,
    }
    assert {n: by[n].macs for n in expected} == expected
    conv = sum(v for n, v in expected.items() if n.startswith("conv"))
    fc = sum(v for n, v in expected.items() if n.startswith("fc"))
    # Sze et al. 2017 Table III (and Chen et al., Eyeriss, JSSC 2017): 666M CONV
    # MACs; 58.6M FC MACs.
    assert round(conv / M) == 666
    assert round(fc / M, 1) == 58.6


def _weights(layer: Layer) -> int:
    return layer.k * (layer.c // layer.groups) * layer.r * layer.s


def _is_attention(layer: Layer) -> bool:
    return layer.name.endswith((".qk", ".av"))


@pytest.mark.parametrize(
    ("name", "torchvision_params"),
    [
        ("resnet18", 11_689_512),
        ("resnet50", 25_557_032),
        ("vgg16", 138_357_544),
        ("mobilenet_v2", 3_504_872),
        ("efficientnet_b0", 5_288_548),
    ],
)
def test_cnn_parameters_equal_torchvision(name: str, torchvision_params: int) -> None:
    """Weights + biases + batch-norm (scale, shift) equal torchvision's num_params
    exactly: an independent check of every channel count and kernel size.

    Biases: VGG convs, every fully connected layer and EfficientNet's SE 1x1 convs;
    every other conv is followed by a batch norm with 2 parameters per channel.
    """
    total = 0
    for layer in zoo.get(name):
        total += _weights(layer)
        biased = layer.kind == "gemm" or ".se" in layer.name or name == "vgg16"
        total += layer.k if biased else 2 * layer.k
    assert total == torchvision_params


def test_alexnet_weights_match_sze_table() -> None:
    # Sze et al. 2017 Table III: CONV weights 2.3M, FC weights 58.6M, total 61M.
    wl = zoo.get("alexnet")
    conv = sum(_weights(x) for x in wl if x.kind != "gemm")
    fc = sum(_weights(x) for x in wl if x.kind == "gemm")
    assert (round(conv / M, 1), round(fc / M, 1), round((conv + fc) / M)) == (
        2.3,
        58.6,
        61,
    )


def test_vit_parameters_equal_torchvision() -> None:
    # torchvision vit_b_16: 86,567,656 parameters = our weights + biases of every
    # projection, MLP, patch embedding and head + 25 LayerNorms (2 x 768 each) +
    # 197 x 768 position embeddings + the 768 class token.
    d = 768
    wl = zoo.get("vit_b16")
    total = sum(_weights(x) + x.k for x in wl if not _is_attention(x))
    total += 25 * 2 * d + 197 * d + d
    assert total == 86_567_656


D, FF, LAYERS, HEADS, VOCAB = 768, 3072, 12, 12, 50257


def _encoder_macs(batch: int, tokens: int, keys: int) -> int:
    """One transformer stack by hand. Per layer and sequence: Q, K, V and output
    projections 4 d^2 per token, MLP 2 d ff per token; attention scores Q K^T
    tokens x keys x d (all heads: h x (d/h)), and A V the same."""
    per_layer = tokens * (4 * D * D + 2 * D * FF) + 2 * tokens * keys * D
    return LAYERS * batch * per_layer


@pytest.mark.parametrize(("batch", "seq"), [(1, 128), (1, 512), (4, 64)])
def test_bert_base_by_formula(batch: int, seq: int) -> None:
    wl = zoo.get("bert_base", batch=batch, seq_len=seq)
    assert wl.macs == _encoder_macs(batch, seq, seq)
    # BERT-base at 128 tokens: 11.17 GMACs (22.3 GFLOPs at 2 FLOPs per MAC).
    if (batch, seq) == (1, 128):
        assert wl.macs == 11_173_625_856


def test_bert_base_weights_add_up_to_published_parameters() -> None:
    # bert-base-uncased has 109,482,240 parameters: our encoder weights + per layer
    # biases (4d + ff + d) and 2 LayerNorms (4d) + embeddings (30522 word, 512
    # position, 2 type, 1 LayerNorm: 23,837,184) + pooler (d^2 + d).
    wl = zoo.get("bert_base")
    encoder = sum(_weights(x) for x in wl if not _is_attention(x))
    total = encoder + LAYERS * (4 * D + FF + D + 4 * D)
    total += (30522 + 512 + 2) * D + 2 * D + D * D + D
    assert total == 109_482_240


@pytest.mark.parametrize(("batch", "seq"), [(1, 1024), (2, 128)])
def test_gpt2_prefill_by_formula(batch: int, seq: int) -> None:
    # The LM head runs on the last position of each sequence: batch x d x vocab.
    wl = zoo.get("gpt2", batch=batch, seq_len=seq)
    assert wl.macs == _encoder_macs(batch, seq, seq) + batch * D * VOCAB


@pytest.mark.parametrize(("batch", "kv"), [(1, 1024), (8, 100)])
def test_gpt2_decode_by_formula(batch: int, kv: int) -> None:
    # One new token per sequence attends to kv keys.
    wl = zoo.get("gpt2", batch=batch, kv_len=kv)
    assert wl.name == "gpt2_decode"
    assert wl.macs == _encoder_macs(batch, 1, kv) + batch * D * VOCAB


def test_gpt2_projection_macs_equal_non_embedding_parameters() -> None:
    # A decode step does one MAC per weight of every projection/MLP matrix, i.e.
    # per "non-embedding parameter" (Kaplan et al. 2020) less biases and norms:
    # GPT-2 small's 124,439,808 parameters - 38,597,376 token and 786,432 position
    # embeddings - 12 x (6,912 biases + 3,072 LayerNorm) - 1,536 final LayerNorm.
    non_embedding = 124_439_808 - 38_597_376 - 786_432 - 12 * (6912 + 3072) - 1536
    wl = zoo.get("gpt2", kv_len=1)
    proj = sum(x.macs * x.count for x in wl if not _is_attention(x))
    assert proj - D * VOCAB == non_embedding == 84_934_656


def test_attention_gemms_are_per_head_with_batch_times_heads_count() -> None:
    wl = zoo.get("bert_base", batch=3, seq_len=40)
    qk = [x for x in wl if x.name.endswith(".qk")]
    av = [x for x in wl if x.name.endswith(".av")]
    assert len(qk) == len(av) == LAYERS
    assert {(x.p, x.k, x.c, x.count) for x in qk} == {(40, 40, 64, 3 * HEADS)}
    assert {(x.p, x.k, x.c, x.count) for x in av} == {(40, 64, 40, 3 * HEADS)}
    q = next(x for x in wl if x.name == "layer1.attn.q")
    assert (q.p, q.k, q.c) == (3 * 40, D, D)  # batch folded into the rows


def test_resnet50_unchanged() -> None:
    wl = zoo.get("resnet50")
    convs = [x for x in wl if x.kind == "conv"]
    assert len(convs) == 53 and len(wl) == 54 and wl.layers[-1].kind == "gemm"
    assert wl.macs == 4_089_184_256


def test_resnet50_v1_matches_he_et_al() -> None:
    """He et al.'s ResNet-50 ("v1") strides the first 1x1 of a downsampling
    bottleneck, so that 1x1 runs on a quarter of the pixels: v1 = v1.5 - 3/4 of
    those three 1x1 convs. He et al. Table 1 gives 3.8 x 10^9, Sze et al. 2017
    Table III 3.9G; 3.858G lies between (both are two-digit figures)."""
    wl = zoo.get("resnet50")
    first_1x1 = [x for x in wl if x.name in ("conv3_1a", "conv4_1a", "conv5_1a")]
    v1 = wl.macs - sum(3 * x.macs // 4 for x in first_1x1)
    assert 3.8 * G < v1 < 3.9 * G
    assert round(v1 / G, 1) == 3.9


@pytest.mark.parametrize("name", zoo.names())
def test_batch_scales_macs(name: str) -> None:
    one, four = zoo.get(name), zoo.get(name, batch=4)
    assert four.macs == 4 * one.macs
    assert len(four) == len(one)


def test_strides_padding_and_groups() -> None:
    mb = {x.name: x for x in zoo.get("mobilenet_v2")}
    dw = mb["block2_1.dw"]  # the first stride-2 depthwise: 112 -> 56
    assert (dw.kind, dw.groups, dw.c, dw.k, dw.p, dw.stride_h, dw.pad_h) == (
        "dwconv",
        96,
        96,
        96,
        56,
        2,
        1,
    )
    assert "block1_1.expand" not in mb  # t = 1: no expansion conv
    eff = {x.name: x for x in zoo.get("efficientnet_b0")}
    k5 = eff["stage4_1.dw"]  # 5x5 stride 2, "same" padding: 56 -> 28
    assert (k5.r, k5.pad_h, k5.stride_h, k5.p) == (5, 2, 2, 28)
    assert (eff["stage4_1.se1"].k, eff["stage4_1.se2"].k) == (6, 144)  # 24/4, 6 x 24
    assert eff["head"].p == 7
    r18 = {x.name: x for x in zoo.get("resnet18")}
    assert (r18["conv3_1a"].stride_h, r18["conv3_1a"].p) == (2, 28)
    assert (r18["conv3_1_proj"].r, r18["conv3_1_proj"].stride_h) == (1, 2)
    assert "conv2_1_proj" not in r18  # identity shortcut in stage 2


def test_names_and_aliases() -> None:
    assert zoo.names() == sorted(
        [
            "alexnet",
            "vgg16",
            "resnet18",
            "resnet50",
            "mobilenet_v2",
            "efficientnet_b0",
            "vit_b16",
            "bert_base",
            "gpt2",
        ]
    )
    assert zoo.get("ResNet-50").macs == zoo.get("resnet50").macs
    assert zoo.get("MobileNetV2").name == "mobilenet_v2"
    assert zoo.get("ViT-B/16").name == "vit_b16"
    for name in zoo.names():
        wl = zoo.get(name)
        assert isinstance(wl, Workload) and wl.table().shape == (len(wl), 16)
        assert zoo.describe(name)


def test_options_are_validated() -> None:
    assert zoo.options("gpt2") == {"seq_len": 1024, "kv_len": None}
    assert zoo.options("resnet50") == {}
    with pytest.raises(
        ValueError,
        match=r"unknown option\(s\) seqlen; valid options: "
        r"seq_len, kv_len",
    ):
        zoo.get("gpt2", seqlen=3)
    with pytest.raises(ValueError, match="valid options: none"):
        zoo.get("vgg16", image_size=224)
    with pytest.raises(
        ValueError, match="unknown workload 'resnet51'; built-in: alexnet"
    ):
        zoo.get("resnet51")
    with pytest.raises(ValueError, match="batch must be an integer >= 1"):
        zoo.get("alexnet", batch=0)
    with pytest.raises(ValueError, match="seq_len must be a positive integer"):
        zoo.get("bert_base", seq_len=0)
    with pytest.raises(ValueError, match="seq_len must be a positive integer"):
        zoo.get("bert_base", seq_len=2.5)
    with pytest.raises(ValueError, match="seq_len must be <= 512"):
        zoo.get("bert_base", seq_len=513)
    with pytest.raises(ValueError, match="not both"):
        zoo.get("gpt2", seq_len=10, kv_len=10)
    with pytest.raises(ValueError, match="multiple of 16"):
        zoo.get("vit_b16", image_size=100)


def test_every_layer_is_valid_for_the_simulator(tmp_path: Path) -> None:
    """All zoo layers pass the C++ layer validation (the layer-CSV reader runs it)."""
    for name in zoo.names():
        wl = zoo.get(name, batch=2)
        back = Workload.read(to_layer_csv(wl, tmp_path / f"{name}.csv"))
        assert back.layers == wl.layers
