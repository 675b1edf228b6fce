"""``tldse sweep``: every design of a space on a workload -> the Pareto front.

:func:`register` adds the subcommand to the ``tldse`` parser. With no arguments it
sweeps the built-in ``edge`` space on ResNet-18 into ``./sweep-resnet18-edge``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from tldse._util.table import Column, integer, plural, select
from tldse.cli._common import (
    add_energy_arg,
    add_front_args,
    add_mapper_args,
    add_quiet_arg,
    add_threads_arg,
    add_workload_arg,
    default_out,
    print_front,
    print_rows,
    say,
)
from tldse.reporting.sweep import write_sweep_report
from tldse.search.metrics import OBJECTIVES, UNITS, parse_constraints, parse_objectives
from tldse.search.results import design_columns, front_keys
from tldse.search.sweep import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_OBJECTIVES,
    SweepResult,
    sweep,
    write_outputs,
)
from tldse.space import DesignSpace, builtin_spaces
from tldse.workloads import fold
from tldse.workloads.resolve import resolve_workload


def _print_result(args: argparse.Namespace, r: SweepResult) -> None:
    out = say(args)
    rate = r.n_evaluated / max(r.seconds, 1e-9)
    resumed = (
        f"; {r.chunks_resumed} of {plural(r.chunks, 'chunk')} were already done"
        if r.chunks_resumed
        else ""
    )
    ties = (
        f" (standing for {plural(int(r.front['ties'].sum()), 'design')})"
        if "ties" in r.front and len(r.front)
        else ""
    )
    done = (
        f"{plural(r.n_evaluated, 'design')} evaluated in {r.seconds:.1f} s "
        f"({rate:,.0f}/s{resumed})"
        if r.n_evaluated
        else f"every chunk ({r.chunks:,}) was already done (loaded in "
        f"{r.seconds:.1f} s)"
    )
    out.print(
        f"{done}. Of {r.n_designs:,}: {r.n_feasible:,} feasible, "
        f"{r.n_valid:,} meet the constraints; Pareto front over "
        f"{', '.join(r.objectives)}: {plural(len(r.front), 'design')}{ties}",
        markup=False,
    )
    if r.front.empty:
        out.print("no design meets the constraints", style="yellow")
        if args.format != "table":
            print_front(args, r.front, r.space.names, r.objectives, args.top)
        return
    print_front(args, r.front, r.space.names, r.objectives, args.top)
    for obj, best in r.best.items():
        arr = f"{best['pe_rows']}x{best['pe_cols']}"
        out.print(
            f"best {obj}: #{best['index']} {best['dataflow']} {arr}, GLB "
            f"{best['glb_bytes'] / 1024:g} KiB, DRAM "
            f"{best['dram_bw_bytes_per_cycle']:g} B/cycle, "
            f"{best['weight_bits']}/{best['act_bits']} bit, "
            f"{best['clock_mhz']:g} MHz: {best['latency_ms']:.4g} ms, "
            f"{best['energy_uj']:,.1f} uJ, {best['area_mm2']:.3f} mm^2, "
            f"{best['power_mw']:,.0f} mW",
            markup=False,
        )


_SPACE_COLUMNS = (
    Column("name", "name", priority=0, text=True),
    Column("designs", "designs", integer, priority=0),
    Column("parameters", "parameters [choices]", priority=1, text=True),
    Column("description", "description", priority=0, text=True),
)


def cmd_list_spaces(args: argparse.Namespace) -> int:
    rows = []
    for name, text in builtin_spaces().items():
        s = DesignSpace.builtin(name)
        params = ", ".join(f"{p.name}[{p.size}]" for p in s.params)
        rows.append(
            {"name": name, "designs": len(s), "parameters": params, "description": text}
        )
    print_rows(
        args, _SPACE_COLUMNS, rows, title="built-in spaces (tldse sweep --space NAME)"
    )
    return 0


def _saved_chunks(out: Path) -> str:
    done = len(list((out / "chunks").glob("chunk-*.npz")))
    return (
        f"{plural(done, 'finished chunk')} saved in {out}; run the same command "
        "again to continue"
    )


def cmd_sweep(args: argparse.Namespace) -> int:
    if args.list_spaces:
        return cmd_list_spaces(args)
    space = DesignSpace.load(args.space)
    wl = resolve_workload(args.workload, args.batch)
    objectives = parse_objectives(args.objectives)
    constraints = parse_constraints(args.constraint)
    if args.workers is not None and args.scheduler:
        raise ValueError("give --workers or --scheduler, not both")
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {args.workers}")
    tls_given = [args.tls_ca_file, args.tls_cert, args.tls_key]
    if any(tls_given) and not (args.scheduler or "").startswith("tls://"):
        raise ValueError("--tls-ca-file/--tls-cert/--tls-key need --scheduler tls://")
    if args.chunk_size < 1:
        raise ValueError(f"--chunk-size must be >= 1, got {args.chunk_size}")
    if args.top < 1:
        raise ValueError(f"--top must be >= 1, got {args.top}")
    if args.columns:  # a bad name fails before the sweep, not after
        select(design_columns(space.names, objectives), args.columns, front_keys(space))
    out = Path(args.out) if args.out else default_out("sweep", [wl.name], space.name)
    say(args).print(
        f"{wl.name} ({plural(len(wl), 'layer')}, "
        f"{plural(len(fold(wl)[0]), 'distinct shape')}) on space {space.name} "
        f"({plural(len(space), 'design')}, {plural(len(space.params), 'parameter')})"
        f"; objectives {', '.join(objectives)}; constraints "
        f"{', '.join(str(c) for c in constraints) or 'none'}; out {out}",
        markup=False,
    )
    kwargs: dict[str, Any] = dict(
        objectives=objectives,
        constraints=constraints,
        out=out,
        chunk_size=args.chunk_size,
        energy=args.energy_table,
        mapper=args.mapper,
        mapper_objective=args.mapper_objective,
        save_all=args.save_all,
        ties=args.ties,
        overwrite=args.overwrite,
        progress=not args.quiet,
        threads=args.threads,
    )
    args.interrupt_hint = lambda: _saved_chunks(out)
    if args.workers is not None or args.scheduler:
        from tldse.search.dask import TLSFiles, connect, dask_executor

        if args.workers is not None and args.threads is None:
            kwargs["threads"] = max(1, (os.cpu_count() or 1) // args.workers)
        tls = (
            TLSFiles(args.tls_ca_file, args.tls_cert, args.tls_key)
            if args.tls_ca_file and args.tls_cert
            else None
        )
        with connect(scheduler=args.scheduler, workers=args.workers, tls=tls) as client:
            result = sweep(space, wl, executor=dask_executor(client), **kwargs)
    else:
        result = sweep(space, wl, **kwargs)
    if args.per_layer:
        write_outputs(result, out, per_layer=True)
    if result.complete:
        write_sweep_report(result, out)
    args.interrupt_hint = None
    _print_result(args, result)
    files = ["front.csv", "best.json", "pareto.png"]
    if args.per_layer:
        files.append("front_layers.csv")
    if args.save_all:
        files.append("all/*.parquet")
    say(args).print(f"wrote {', '.join(str(out / f) for f in files)}", markup=False)
    return 0


def register(subparsers: Any) -> None:
    """Adds ``sweep`` to the ``tldse`` subcommands."""
    p = subparsers.add_parser(
        "sweep",
        help="evaluate every design of a space on a workload; Pareto front",
        description="Exhaustive sweep of a design space on a workload: writes "
        "DIR/front.csv (the constrained Pareto front: design parameters and "
        "metrics), DIR/best.json (best design per objective) and DIR/pareto.png. "
        "Re-running with the same arguments resumes from the finished chunks. "
        "With no arguments: resnet18 on the built-in 'edge' space. "
        "See docs/sweep.md.",
    )
    add_workload_arg(p, "resnet18")
    p.add_argument(
        "--space",
        default="edge",
        help=f"built-in space ({', '.join(builtin_spaces())}) or a .toml/.yaml "
        "space file (default edge); --list-spaces shows them",
    )
    p.add_argument(
        "--objectives",
        default=",".join(DEFAULT_OBJECTIVES),
        help=f"comma list, all minimised, of {', '.join(OBJECTIVES)} "
        f"(default {','.join(DEFAULT_OBJECTIVES)})",
    )
    p.add_argument(
        "--constraint",
        action="append",
        metavar="METRIC<=VALUE",
        help="e.g. area_mm2<=4, power_mw<=500, latency_ms<=10 (repeatable or comma "
        f"separated; operators <=, <, >=, >; metrics {', '.join(UNITS)})",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help="output and checkpoint folder (default ./sweep-WORKLOAD-SPACE)",
    )
    p.add_argument(
        "--save-all",
        action="store_true",
        help="also write every design's metrics as Parquet shards DIR/all/*.parquet",
    )
    p.add_argument(
        "--per-layer",
        action="store_true",
        help="also write per-layer detail of the front designs (pareto_layers.csv)",
    )
    p.add_argument(
        "--ties",
        choices=("first", "all"),
        default="first",
        help="designs with equal objectives on the front: one (lowest index, "
        "column 'ties' counts them; default) or all",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="discard a previous sweep in DIR instead of resuming it",
    )
    p.add_argument(
        "--chunk-size",
        type=int,
        default=DEFAULT_CHUNK_SIZE,
        help=f"designs per chunk (checkpoint unit; default {DEFAULT_CHUNK_SIZE})",
    )
    add_energy_arg(p)
    add_mapper_args(p)
    add_threads_arg(p, "C++ simulator (per chunk)")
    p.add_argument(
        "--workers",
        type=int,
        help="run chunks on a local Dask cluster of N worker processes",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run chunks on a Dask cluster, e.g. tls://10.0.0.5:8786 with the "
        "--tls-* files (plain tcp:// is unauthenticated: anyone who reaches the "
        "port runs code; see docs/sweep.md)",
    )
    p.add_argument(
        "--tls-ca-file", metavar="PEM", help="CA certificate of a tls:// scheduler"
    )
    p.add_argument("--tls-cert", metavar="PEM", help="this client's certificate")
    p.add_argument(
        "--tls-key",
        metavar="PEM",
        help="this client's private key (if not in --tls-cert)",
    )
    add_front_args(p, 20)
    add_quiet_arg(p)
    p.add_argument(
        "--list-spaces", action="store_true", help="list the built-in spaces and exit"
    )
    p.set_defaults(func=cmd_sweep)
