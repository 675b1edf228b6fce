"""Validation of the model against published silicon measurements.

Eyeriss (Chen, Krishna, Emer, Sze, "Eyeriss: An Energy-Efficient Reconfigurable
Accelerator for Deep Convolutional Neural Networks", IEEE JSSC 52(1), 2017, the
per-layer AlexNet table): the five conv layers of the original two-group AlexNet at
batch 4, 200 MHz. The chip's DRAM figures are after its run-length compression of zeros,
which tldse does not model, so our (dense) DRAM traffic is expected to be higher.
"""

from __future__ import annotations

from dataclasses import dataclass

from tldse.arch import Accelerator
from tldse.sim import MapperMode, MapperObjective, simulate
from tldse.workloads.zoo import get

# Measured per-layer processing latency (ms) and DRAM accesses (MB) at batch 4,
# 200 MHz (JSSC 2017, AlexNet CONV1-CONV5 table).
EYERISS_ALEXNET_MEASURED: dict[str, tuple[float, float]] = {
    "conv1": (20.9, 5.0),
    "conv2": (41.9, 4.0),
    "conv3": (23.6, 3.0),
    "conv4": (18.4, 2.1),
    "conv5": (10.5, 1.3),
}
EYERISS_TOTAL_MS = 115.3

# The bounds the test suite enforces (tests/test_eyeriss_validation.py).
LATENCY_LAYER_BOUND = 0.35  # |error| per layer
LATENCY_TOTAL_BOUND = 0.10  # |error| of the five-layer sum


@dataclass(frozen=True)
class LayerComparison:
    layer: str
    ours_ms: float
    measured_ms: float
    ours_dram_mb: float
    measured_dram_mb: float
    mapping: dict[str, int]

    @property
    def latency_error(self) -> float:
        return (self.ours_ms - self.measured_ms) / self.measured_ms

    @property
    def dram_ratio(self) -> float:
        return self.ours_dram_mb / self.measured_dram_mb


def eyeriss_alexnet(
    mapper_objective: MapperObjective = "edp", mapper: MapperMode = "heuristic"
) -> list[LayerComparison]:
    """Our rs model with the ``eyeriss`` preset vs the chip, AlexNet conv layers."""
    acc = Accelerator.preset("eyeriss")
    convs = [layer for layer in get("alexnet", batch=4).layers if layer.kind == "conv"]
    rep = simulate(acc, convs, mapper_objective=mapper_objective, mapper=mapper)
    word_bytes = acc.act_bits / 8  # 16-bit words everywhere on Eyeriss
    out = []
    for layer in rep.layers:
        ms = layer.metrics["latency_cycles"] / (acc.clock_mhz * 1e3)
        dram = layer.accesses["dram_reads"] + layer.accesses["dram_writes"]
        measured_ms, measured_mb = EYERISS_ALEXNET_MEASURED[layer.name]
        out.append(
            LayerComparison(
                layer.name,
                ms,
                measured_ms,
                dram * word_bytes / 1e6,
                measured_mb,
                {k: int(v) for k, v in layer.mapping.items()},
            )
        )
    return out


def markdown_table(rows: list[LayerComparison]) -> str:
    lines = [
        "| layer | ours (ms) | Eyeriss (ms) | error | ours DRAM (MB) | "
        "Eyeriss DRAM (MB, compressed) | ratio | mapping p, q, tf, tc |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        m = r.mapping
        lines.append(
            f"| {r.layer} | {r.ours_ms:.1f} | {r.measured_ms:.1f} | "
            f"{r.latency_error:+.0%} | {r.ours_dram_mb:.2f} | "
            f"{r.measured_dram_mb:.1f} | "
            f"{r.dram_ratio:.2f} | {m.get('p')}, {m.get('q')}, {m.get('tf')}, "
            f"{m.get('tc')} |"
        )
    ours = sum(r.ours_ms for r in rows)
    lines.append(
        f"| total | {ours:.1f} | {EYERISS_TOTAL_MS:.1f} | "
        f"{(ours - EYERISS_TOTAL_MS) / EYERISS_TOTAL_MS:+.0%} | "
        f"{sum(r.ours_dram_mb for r in rows):.2f} | "
        f"{sum(r.measured_dram_mb for r in rows):.1f} | | |"
    )
    return "\n".join(lines)
