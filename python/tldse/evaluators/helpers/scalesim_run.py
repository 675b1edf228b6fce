"""Runs SCALE-Sim (v2 or v3, PyPI ``scalesim``) for the ``scalesim`` evaluator.

Started by tldse with the interpreter that has SCALE-Sim installed; speaks the
evaluator protocol (``_protocol.py``). tldse sends the SCALE-Sim config values and,
per layer, one topology row (conv or GEMM form) and the number of groups it stands
for; this script writes the config, topology (and v3 layout) files, runs SCALE-Sim
in the layer's own folder and reads back COMPUTE_REPORT.csv and
DETAILED_ACCESS_REPORT.csv. Counts are multiplied by the number of groups (each
group is the same topology row).
"""

from __future__ import annotations

import csv
import os
import sys
from importlib.metadata import version
from typing import Any

from _protocol import serve  # type: ignore[import-not-found]

V3_ONLY_SECTIONS = ("layout", "sparsity")
V3_ONLY_KEYS = ("ReadRequestBuffer", "WriteRequestBuffer", "UseRamulatorTrace")
CONV_HEADER = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
    "Num Filter, Strides,"
)
GEMM_HEADER = "Layer, M, N, K,"
# v3 reads a layout row per layer even with custom layouts off; these are the
# row's 20 numbers (factors 1, the orders of SCALE-Sim's example layouts).
LAYOUT_ROW = "1, 1, 1, 1, 1, 1, 0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 0, 1, 2, 3"


def major_version() -> int:
    return int(version("scalesim").split(".")[0])


def write_config(path: str, config: dict[str, dict[str, Any]], v3: bool) -> None:
    lines = ["[general]", "run_name = run", ""]
    for section, values in config.items():
        if not v3 and section in V3_ONLY_SECTIONS:
            continue
        lines.append(f"[{section}]")
        for key, value in values.items():
            if not v3 and key in V3_ONLY_KEYS:
                continue
            lines.append(f"{key} = {value}")
        lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines))


def read_report(path: str) -> dict[str, float]:
    with open(path) as f:
        rows = [[c.strip() for c in row] for row in csv.reader(f)]
    header, values = rows[0], rows[1]
    return {h: float(v) for h, v in zip(header, values, strict=False) if h and v}


def run_layer(
    request: dict[str, Any], layer: dict[str, Any], workdir: str
) -> dict[str, Any]:
    from scalesim.scale_sim import scalesim  # type: ignore[import-not-found]

    request_config: dict[str, dict[str, Any]] = request["scalesim"]["config"]
    spec = layer["scalesim"]
    v3 = major_version() >= 3
    config = {k: dict(v) for k, v in request_config.items()}
    offsets = spec["offsets"]
    config["architecture_presets"].update(
        IfmapOffset=offsets[0], FilterOffset=offsets[1], OfmapOffset=offsets[2]
    )
    cfg = os.path.join(workdir, "scale.cfg")
    topo = os.path.join(workdir, "topology.csv")
    write_config(cfg, config, v3)
    gemm = spec["form"] == "gemm"
    with open(topo, "w") as f:
        f.write((GEMM_HEADER if gemm else CONV_HEADER) + "\n")
        f.write("L0, " + ", ".join(str(v) for v in spec["row"]) + ",\n")
    kwargs: dict[str, Any] = {}
    if v3:
        layout = os.path.join(workdir, "layout.csv")
        with open(layout, "w") as f:
            f.write("Layer name," + ",".join(["x"] * 20) + ",\n")
            f.write(f"L0, {LAYOUT_ROW},\n")
        kwargs["layout"] = layout
    sim = scalesim(
        save_disk_space=True,
        verbose=False,
        config=cfg,
        topology=topo,
        input_type_gemm=gemm,
        **kwargs,
    )
    sim.run_scale(top_path=os.path.join(workdir, "out"))
    report = os.path.join(workdir, "out", "run")
    compute = read_report(os.path.join(report, "COMPUTE_REPORT.csv"))
    access = read_report(os.path.join(report, "DETAILED_ACCESS_REPORT.csv"))
    g = int(spec["groups"])
    total = compute["Total Cycles"]
    stall = compute["Stall Cycles"]
    extras = {
        "compute_cycles": (total - stall) * g,
        "stall_cycles": stall * g,
        "sram_ifmap_reads": access["SRAM IFMAP Reads"] * g,
        "sram_filter_reads": access["SRAM Filter Reads"] * g,
        "sram_ofmap_writes": access["SRAM OFMAP Writes"] * g,
        "dram_ifmap_reads": access["DRAM IFMAP Reads"] * g,
        "dram_filter_reads": access["DRAM Filter Reads"] * g,
        "dram_ofmap_writes": access["DRAM OFMAP Writes"] * g,
        "overall_util_pct": compute["Overall Util %"],
        "mapping_efficiency_pct": compute["Mapping Efficiency %"],
        "groups": g,
    }
    extras["dram_bytes"] = (  # SCALE-Sim's word is one byte
        extras["dram_ifmap_reads"]
        + extras["dram_filter_reads"]
        + extras["dram_ofmap_writes"]
    )
    if "Total Cycles (incl. prefetch)" in compute:
        extras["total_cycles_incl_prefetch"] = (
            compute["Total Cycles (incl. prefetch)"] * g
        )
    return {"latency_cycles": total * g, "energy_pj": None, "extras": extras}


def main() -> int:
    return int(serve(run_layer, "SCALE-Sim"))


if __name__ == "__main__":
    sys.exit(main())
