"""``tldse simulate | bench | validate``: one design, the simulator's speed, and
the model against published silicon."""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

from tldse.arch import Accelerator, ScaleSimWarning, presets
from tldse.cli._common import (
    CliError,
    add_energy_arg,
    add_format_args,
    add_mapper_args,
    add_workload_arg,
    console,
    errors,
    print_rows,
)
from tldse.sim import LAYER_COLUMNS, simulate
from tldse.workloads.resolve import resolve_workload


def _accelerator(args: argparse.Namespace) -> Accelerator:
    given = [
        flag
        for flag, value in (
            ("--preset", args.preset),
            ("--config", args.config),
            ("--arch", args.arch),
        )
        if value
    ]
    if len(given) > 1:
        got = " and ".join(given)
        raise CliError(f"give at most one of --preset, --config, --arch (got {got})")
    acc = Accelerator()
    if args.preset:
        acc = Accelerator.preset(args.preset)
    if args.config:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ScaleSimWarning)
            acc = Accelerator.from_scalesim_config(args.config)
        for w in caught:
            errors.print(f"tldse: warning: {w.message}", markup=False)
    if args.arch:
        acc = Accelerator.from_file(args.arch)
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise CliError(f"--set expects KEY=VALUE, got {item!r}")
        acc = acc.set_from_text(key, value)  # tldse-sim's --set rules
    why = acc.infeasibility()
    if why:
        raise CliError(f"infeasible architecture: {why}")
    return acc


def cmd_simulate(args: argparse.Namespace) -> int:
    wl = resolve_workload(args.workload, args.batch)
    acc = _accelerator(args)
    rep = simulate(
        acc,
        wl,
        energy=args.energy_table,
        mapper_objective=args.mapper_objective,
        mapper=args.mapper,
    )
    if args.format != "table" and not args.columns:
        # Every column of the report: tldse-sim --format csv|json's text.
        sys.stdout.write(rep.to_csv() if args.format == "csv" else rep.to_json())
    else:
        head, totals = rep.headline().split("\n", 1)
        print_rows(args, LAYER_COLUMNS, rep.rows(), head=head)
        if args.format == "table":
            style = "" if rep.ok else "yellow"
            console.print(totals, style=style, markup=False)
            if args.mapping:
                for i, layer in enumerate(rep.layers):
                    text = rep.mapping(i) or f"no mapping ({layer.status})\n"
                    console.print(f"\n{layer.name}: {text}", end="", markup=False)
    if args.reports:
        for path in rep.write_scalesim_reports(args.reports):
            errors.print(f"wrote {path}", markup=False)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from tldse.bench import compare_mappers, run_bench

    if args.compare_mappers:
        console.print(
            f"rs mapper: heuristic vs exhaustive over {args.configs} random designs x "
            "ResNet-50 conv layers (ratio of objective values, 1 = same)",
            highlight=False,
        )
        for d in compare_mappers(args.configs, threads=args.threads):
            console.print(
                f"objective={d.objective} pairs={d.pairs} mean={d.mean:.4f} "
                f"median={d.median:.4f} p90={d.p90:.4f} p99={d.p99:.4f} "
                f"worst={d.worst:.4f} equal={d.equal_fraction:.1%} "
                f"heuristic_per_second={d.heuristic_rate:.0f} "
                f"exhaustive_per_second={d.exhaustive_rate:.0f}",
                highlight=False,
            )
        return 0

    flows = [f.strip() for f in args.dataflow.split(",") if f.strip()]
    for f in flows:
        if f not in ("ws", "os", "is", "rs"):
            raise CliError(f"--dataflow: {f!r} is not one of ws, os, is, rs")
    if args.configs < 1:
        raise CliError("--configs must be >= 1")
    for f in flows:
        r = run_bench(f, args.configs, args.threads, args.repeat, args.mapper)
        console.print(
            f"dataflow={r.dataflow} configs={r.configs} layers={r.layers} "
            f"threads={r.threads} seconds={r.seconds:.4f} "
            f"evaluations_per_second={r.evaluations_per_second:.0f}",
            highlight=False,
        )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from tldse.validation import eyeriss_alexnet, markdown_table

    rows = eyeriss_alexnet(args.mapper_objective, args.mapper)
    console.print(
        "Eyeriss (JSSC 2017) vs tldse rs model, preset eyeriss, AlexNet conv layers, "
        f"batch 4, 200 MHz, mapper {args.mapper}/{args.mapper_objective}",
        highlight=False,
    )
    sys.stdout.write(markdown_table(rows) + "\n")
    return 0


def _add_arch_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--preset",
        help=f"a published design as the base ({', '.join(presets())}); "
        "see docs/presets.md",
    )
    p.add_argument(
        "--config",
        help="SCALE-Sim v2 or v3 .cfg file (docs/model.md, 'SCALE-Sim files')",
    )
    p.add_argument("--arch", help="tldse architecture file (key = value lines)")
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override one field, e.g. --set pe_rows=32 --set dataflow=os "
        "(repeatable; applied after --preset/--config/--arch)",
    )
    add_energy_arg(p)


def register(subparsers: Any) -> None:
    """Adds ``simulate``, ``bench`` and ``validate``."""
    p = subparsers.add_parser(
        "simulate",
        help="simulate one design on a workload (default: resnet50, 16x16 ws)",
        description="Per-layer latency, energy and accesses of one design. With no "
        "arguments: ResNet-50 (batch 1) on the default Accelerator (16x16 ws, 128 KiB "
        "GLB, 16 B/cycle DRAM, 8-bit, 1 GHz).",
    )
    add_workload_arg(p, "resnet50")
    _add_arch_args(p)
    add_format_args(
        p,
        "every column of the report, the same as tldse-sim --format (docs/model.md, "
        "'The report'); with --columns, the named ones",
    )
    p.add_argument(
        "--mapping",
        action="store_true",
        help="with the table, print each layer's mapping as a loop nest",
    )
    p.add_argument(
        "--reports",
        metavar="DIR",
        help="also write SCALE-Sim's COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and "
        "DETAILED_ACCESS_REPORT.csv into DIR (its column names, tldse's numbers)",
    )
    add_mapper_args(p)
    p.set_defaults(func=cmd_simulate)

    b = subparsers.add_parser(
        "bench",
        help="measure evaluate() throughput on this machine",
        description="Times tldse.evaluate over ResNet-50's conv layers x N random "
        "designs and prints evaluations_per_second for each dataflow (default ws, os, "
        "is; add rs with --dataflow rs).",
    )
    b.add_argument("--configs", type=int, default=10_000, help="random designs (10000)")
    b.add_argument("--dataflow", default="ws,os,is", help="comma list (ws,os,is)")
    b.add_argument("--threads", type=int, default=0, help="0 = all cores (default)")
    b.add_argument("--repeat", type=int, default=3, help="best of R timed runs (3)")
    b.add_argument(
        "--mapper",
        choices=("heuristic", "exhaustive"),
        default="heuristic",
        help="rs mapper mode to time (heuristic)",
    )
    b.add_argument(
        "--compare-mappers",
        action="store_true",
        help="measure the rs heuristic mapper's distance from exhaustive instead "
        "(use --configs 200)",
    )
    b.set_defaults(func=cmd_bench)

    v = subparsers.add_parser(
        "validate",
        help="compare the model with published silicon (Eyeriss, AlexNet)",
        description="Runs the rs model with the eyeriss preset on AlexNet's conv "
        "layers at batch 4 and prints ours vs the measured latency and DRAM accesses "
        "of the Eyeriss chip (Chen et al., JSSC 2017) as a Markdown table.",
    )
    v.add_argument("target", nargs="?", default="eyeriss", choices=("eyeriss",))
    add_mapper_args(v)
    v.set_defaults(func=cmd_validate)
