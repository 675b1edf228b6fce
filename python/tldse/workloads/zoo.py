"""Built-in networks, written as layer tables (our own definitions; papers cited)."""

from __future__ import annotations

from collections.abc import Callable

from tldse.workloads.layer import Layer, Workload


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
                    f"{pre}b", c=width, k=width, h=size, r=3, stride=stride, pad=1, n=batch
                )
            )
            size //= stride
            layers.append(Layer.conv(f"{pre}c", c=width, k=out, h=size, r=1, n=batch))
            if b == 0:
                layers.append(
                    Layer.conv(
                        f"{pre}_proj", c=c_in, k=out, h=size * stride, r=1,
                        stride=stride, n=batch,
                    )  # fmt: skip
                )
            c_in = out
    layers.append(Layer.gemm("fc", m=batch, n=1000, k=2048))
    return Workload("resnet50", layers)


_ZOO: dict[str, Callable[[int], Workload]] = {"resnet50": resnet50}


def names() -> list[str]:
    """Names of the built-in networks."""
    return sorted(_ZOO)


def get(name: str, batch: int = 1) -> Workload:
    """A built-in network by name."""
    key = name.lower().replace("-", "").replace("_", "")
    for known, fn in _ZOO.items():
        if known.replace("_", "") == key:
            if batch < 1:
                raise ValueError(f"batch must be >= 1, got {batch}")
            return fn(batch)
    raise ValueError(f"unknown workload {name!r}; built-in: {', '.join(names())}")
