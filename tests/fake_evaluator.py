#!/usr/bin/env python3
"""A fake slow evaluator for the interface tests: speaks the tldse evaluator
protocol (docs/evaluators.md) with deterministic answers and injected faults.

Answers (hand-checkable): ``latency_cycles = ceil(macs / (pe_rows * pe_cols)) + 10``,
``energy_pj = 2 * macs``, extras ``{"pes": pe_rows * pe_cols}``.

Faults, chosen by the layer's output channels ``k``:
  13: hangs (sleeps an hour)            17: exits with status 3 and a message
  19: prints garbage, no result         23: answers "failed" with a message
  29: kills itself with SIGKILL         31: allocates 2 GB (MemoryError under a limit)
  37: prints a malformed result (latency_cycles "fast")
A design with dataflow rs is answered "failed" ("fake: no rs").

Settings: ``sleep_s`` sleeps before every answer; ``log`` is a file that gets one
line per evaluation ("start|end <pid> <time> <dataflow> <k>") so that tests can
count evaluations and overlapping processes.
"""

import json
import math
import os
import signal
import sys
import time


def log(path, what, design, layer):
    if path:
        with open(path, "a") as f:
            f.write(
                f"{what} {os.getpid()} {time.time():.6f} {design['dataflow']} "
                f"{layer['k']}\n"
            )


def answer(design, layer, settings):
    k = layer["k"]
    if k == 13:
        time.sleep(3600)
    if k == 17:
        sys.stderr.write("fake: segmentation fault in the simulator\n")
        sys.stderr.flush()
        os._exit(3)
    if k == 19:
        print("garbage ### this is not a result", flush=True)
        return None
    if k == 23:
        return {"status": "failed", "message": "fake: layer unsupported"}
    if k == 29:
        os.kill(os.getpid(), signal.SIGKILL)
    if k == 31:
        block = bytearray(2 * 1024**3)
        block[-1] = 1
    if k == 37:
        return {"status": "ok", "latency_cycles": "fast"}
    if design["dataflow"] == "rs":
        return {"status": "failed", "message": "fake: no rs"}
    pes = design["pe_rows"] * design["pe_cols"]
    return {
        "status": "ok",
        "latency_cycles": math.ceil(layer["macs"] / pes) + 10,
        "energy_pj": 2.0 * layer["macs"],
        "extras": {"pes": pes},
    }


def main():
    request = json.loads(sys.stdin.read())
    assert request["protocol"] == "tldse-evaluator/1", request["protocol"]
    settings = request.get("settings", {})
    design = request["design"]
    for layer in request["layers"]:
        log(settings.get("log"), "start", design, layer)
        time.sleep(float(settings.get("sleep_s", 0)))
        result = answer(design, layer, settings)
        log(settings.get("log"), "end", design, layer)
        if result is None:
            continue
        result["id"] = layer["id"]
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
