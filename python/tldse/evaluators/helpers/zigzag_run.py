"""Runs ZigZag (PyPI ``zigzag-dse``) for the ``zigzag`` evaluator.

Started by tldse with the interpreter that has ZigZag installed; speaks the
evaluator protocol (``_protocol.py``). tldse sends ZigZag's hardware description
and, per layer, the workload entry and the mapping; this script writes the
hardware and mapping YAML, runs ``zigzag.api.get_hardware_performance_zigzag`` on
the one-layer workload in the layer's own folder and reports its latency
(``latency_total2``), energy and their parts.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from _protocol import serve  # type: ignore[import-not-found]

LEVELS = ("rf", "glb", "dram")


def run_layer(
    request: dict[str, Any], layer: dict[str, Any], workdir: str
) -> dict[str, Any]:
    import yaml  # type: ignore[import-untyped,unused-ignore]
    from zigzag.api import (  # type: ignore[import-not-found]
        get_hardware_performance_zigzag,
    )

    spec = request["zigzag"]
    hardware = os.path.join(workdir, "hardware.yaml")
    mapping = os.path.join(workdir, "mapping.yaml")
    with open(hardware, "w") as f:
        yaml.safe_dump(spec["hardware"], f, sort_keys=False)
    with open(mapping, "w") as f:
        yaml.safe_dump(layer["zigzag"]["mapping"], f, sort_keys=False)
    opt = spec["objective"]
    energy, latency, cmes = get_hardware_performance_zigzag(
        [layer["zigzag"]["workload"]],
        hardware,
        mapping,
        opt=opt,
        lpf_limit=int(spec["lpf_limit"]),
        dump_folder=os.path.join(workdir, "out"),
        loma_show_progress_bar=False,
    )
    cme = cmes[0][1][0][0]
    extras: dict[str, float] = {
        "compute_cycles": float(cme.ideal_temporal_cycle),
        "ideal_cycles": float(cme.ideal_cycle),
        "stall_cycles": float(cme.stall_slack_comb),
        "onloading_cycles": float(cme.data_onloading_cycle),
        "offloading_cycles": float(cme.data_offloading_cycle),
        "systolic_drain_cycles": float(getattr(cme, "systolic_drain_cycle", 0.0)),
        "energy_mac_pj": float(cme.mac_energy),
        "spatial_utilization": float(cme.mac_spatial_utilization),
    }
    for level in LEVELS:
        extras[f"energy_{level}_pj"] = 0.0
    hierarchy = cme.accelerator.memory_hierarchy
    for op, per_level in cme.mem_energy_breakdown.items():
        mem_op = cme.memory_operand_links.layer_to_mem_op(op)
        levels = hierarchy.get_memory_levels(mem_op)
        for level, value in zip(levels, per_level, strict=False):
            name = str(level.name).split("_")[0]
            key = f"energy_{name}_pj"
            extras[key] = extras.get(key, 0.0) + float(value)
    return {
        "latency_cycles": float(latency),
        "energy_pj": float(energy),
        "extras": extras,
    }


def main() -> int:
    # ZigZag configures logging at INFO on first use; keep its log to warnings.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return int(serve(run_layer, "ZigZag"))


if __name__ == "__main__":
    sys.exit(main())
