#!/usr/bin/env python3
"""An example evaluator for tldse: a roofline model speaking the command protocol.

Plug it in with::

    tldse compare --evaluator command:examples/evaluator_command.py \\
        --workload resnet18 --design tpu-v1

Replace :func:`evaluate` with a call to your RTL simulation, Timeloop or in-house
flow; keep :func:`main`. The protocol (docs/evaluators.md):

* stdin: one JSON object, ``{"protocol": "tldse-evaluator/1", "design": {...},
  "layers": [{"id": 0, "name": ..., "kind": ..., "n": ..., "k": ..., ...}],
  "settings": {...}}``;
* stdout: one JSON line per layer, in the order given, as soon as it is done:
  ``{"id": 0, "status": "ok", "latency_cycles": ..., "energy_pj": ...,
  "extras": {...}}`` or ``{"id": 0, "status": "failed", "message": "why"}``;
  ``energy_pj`` may be null (no energy model); anything else you print must go to
  stderr.

This model: compute cycles ``ceil(MACs / PEs)``; DRAM cycles: every weight, input
and output moved once, at its width, over ``dram_bw_bytes_per_cycle``; latency the
larger of the two; energy ``0.25 pJ`` per MAC plus ``160 pJ`` per DRAM byte (the
``settings`` ``mac_pj`` and ``dram_pj`` override them).
"""

import json
import math
import sys


def layer_bytes(design, layer):
    """Bytes of weights, inputs and outputs, each moved once."""
    g = layer["groups"]
    weights = layer["k"] * (layer["c"] // g) * layer["r"] * layer["s"]
    h = (layer["p"] - 1) * layer["stride_h"] + layer["dil_h"] * (layer["r"] - 1) + 1
    w = (layer["q"] - 1) * layer["stride_w"] + layer["dil_w"] * (layer["s"] - 1) + 1
    h = max(1, h - 2 * layer["pad_h"])
    w = max(1, w - 2 * layer["pad_w"])
    inputs = layer["n"] * layer["c"] * h * w
    outputs = layer["n"] * layer["k"] * layer["p"] * layer["q"]
    return (
        weights * design["weight_bits"] / 8
        + inputs * design["act_bits"] / 8
        + outputs * design["act_bits"] / 8
    )


def evaluate(design, layer, settings):
    """One layer on one design: the numbers tldse asks for."""
    if design["dataflow"] not in ("ws", "os", "is", "rs"):
        raise ValueError(f"unknown dataflow {design['dataflow']}")
    pes = design["pe_rows"] * design["pe_cols"]
    compute = math.ceil(layer["macs"] / pes)
    moved = layer_bytes(design, layer)
    memory = math.ceil(moved / design["dram_bw_bytes_per_cycle"])
    mac_pj = float(settings.get("mac_pj", 0.25))
    dram_pj = float(settings.get("dram_pj", 160.0))
    return {
        "latency_cycles": max(compute, memory),
        "energy_pj": layer["macs"] * mac_pj + moved * dram_pj,
        "extras": {
            "compute_cycles": compute,
            "stall_cycles": max(0, memory - compute),
            "dram_bytes": moved,
        },
    }


def main():
    request = json.load(sys.stdin)
    settings = request.get("settings", {})
    for layer in request["layers"]:
        try:
            result = {"status": "ok", **evaluate(request["design"], layer, settings)}
        except Exception as exc:  # a failed layer, not a failed run
            result = {"status": "failed", "message": f"{type(exc).__name__}: {exc}"}
        result["id"] = layer["id"]
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
