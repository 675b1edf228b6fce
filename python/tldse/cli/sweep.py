"""``tldse sweep``: every design of a space on a workload -> the Pareto front.

:func:`register` adds the subcommand to the ``tldse`` parser. With no arguments it
sweeps the built-in ``edge`` space on ResNet-18 into ``./sweep-resnet18-edge``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import numpy as np
from rich.markup import escape
from rich.table import Table

from tldse.cli._common import (
    add_energy_arg,
    add_mapper_args,
    add_threads_arg,
    add_workload_arg,
    console,
    default_out,
)
from tldse.reporting.sweep import write_sweep_report
from tldse.search.metrics import OBJECTIVES, UNITS, parse_constraints, parse_objectives
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

_SHORT = {
    "dataflow": "flow",
    "pe_rows": "rows",
    "pe_cols": "cols",
    "pe_count": "PEs",
    "pe_aspect": "aspect",
    "rf_bytes": "RF B",
    "glb_bytes": "GLB KiB",
    "glb_split": "GLB split",
    "rf_split": "RF split",
    "dram_bw_bytes_per_cycle": "DRAM B/c",
    "glb_bw_bytes_per_cycle": "GLB B/c",
    "precision": "bits",
    "clock_mhz": "MHz",
}


def _fmt(name: str, v: Any) -> str:
    if name == "glb_bytes":
        return f"{float(v) / 1024:g}"
    if isinstance(v, (float, np.floating)):
        return f"{float(v):g}"
    return str(v)


def _spread(n: int, k: int) -> list[int]:
    """``k`` row numbers spread evenly over ``0..n-1`` (all when ``n <= k``)."""
    if n <= k:
        return list(range(n))
    return sorted({round(float(x)) for x in np.linspace(0, n - 1, k)})


def _print_result(r: SweepResult, top: int) -> None:
    rate = r.n_evaluated / max(r.seconds, 1e-9)
    resumed = (
        f"; {r.chunks_resumed} of {r.chunks} chunks were already done"
        if r.chunks_resumed
        else ""
    )
    ties = f" (standing for {int(r.front['ties'].sum())})" if "ties" in r.front else ""
    done = (
        f"{r.n_evaluated:,} designs evaluated in {r.seconds:.1f} s ({rate:,.0f}/s"
        f"{resumed})"
        if r.n_evaluated
        else f"all {r.chunks} chunks were already done (loaded in {r.seconds:.1f} s)"
    )
    console.print(
        f"{done}. Of {r.n_designs:,}: {r.n_feasible:,} feasible, "
        f"{r.n_valid:,} meet the constraints; Pareto front over "
        f"{', '.join(r.objectives)}: {len(r.front)} designs{ties}",
        highlight=False,
    )
    if r.front.empty:
        console.print("[yellow]no design meets the constraints[/]")
        return
    keys = [OBJECTIVES[o] for o in r.objectives]
    f = r.front.sort_values([*keys, "index"]).reset_index(drop=True)
    rows = _spread(len(f), top)
    title = f"Pareto front, sorted by {r.objectives[0]}" + (
        f" ({len(rows)} of {len(f)} shown, evenly spread)" if len(rows) < len(f) else ""
    )
    t = Table(title=title, title_justify="left")
    params = list(r.space.names)
    metrics = ["latency_ms", "energy_uj", "area_mm2", "power_mw", "utilization"]
    headers = {
        "latency_ms": "lat ms",
        "energy_uj": "energy uJ",
        "area_mm2": "mm^2",
        "power_mw": "mW",
        "utilization": "util",
    }
    t.add_column("index", justify="right")
    for p in params:
        t.add_column(_SHORT.get(p, p), justify="left" if p in (
            "dataflow", "glb_split", "rf_split", "precision") else "right")  # fmt: skip
    for m in metrics:
        t.add_column(headers[m], justify="right")
    if "ties" in f:
        t.add_column("ties", justify="right")
    for i in rows:
        row = f.iloc[i]
        cells = [str(int(row["index"]))]
        cells += [escape(_fmt(p, row[p])) for p in params]
        cells += [
            f"{row['latency_ms']:.3g}",
            f"{row['energy_uj']:,.0f}",
            f"{row['area_mm2']:.3f}",
            f"{row['power_mw']:,.0f}",
            f"{row['utilization']:.2f}",
        ]
        if "ties" in f:
            cells.append(str(int(row["ties"])))
        t.add_row(*cells)
    console.print(t)
    for obj, best in r.best.items():
        arr = f"{best['pe_rows']}x{best['pe_cols']}"
        console.print(
            f"best {obj}: #{best['index']} {best['dataflow']} {arr}, GLB "
            f"{best['glb_bytes'] / 1024:g} KiB, DRAM "
            f"{best['dram_bw_bytes_per_cycle']:g} B/cycle, "
            f"{best['weight_bits']}/{best['act_bits']} bit, "
            f"{best['clock_mhz']:g} MHz: {best['latency_ms']:.4g} ms, "
            f"{best['energy_uj']:,.1f} uJ, {best['area_mm2']:.3f} mm^2, "
            f"{best['power_mw']:,.0f} mW",
            highlight=False,
        )


def cmd_list_spaces() -> int:
    t = Table(title="built-in design spaces (tldse sweep --space NAME)")
    for col in ("name", "designs", "parameters", "description"):
        t.add_column(col, justify="right" if col == "designs" else "left")
    for name, text in builtin_spaces().items():
        s = DesignSpace.builtin(name)
        params = ", ".join(f"{p.name}[{p.size}]" for p in s.params)
        t.add_row(name, f"{len(s):,}", params, text)
    console.print(t)
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    if args.list_spaces:
        return cmd_list_spaces()
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
    out = Path(args.out) if args.out else default_out("sweep", [wl.name], space.name)
    console.print(
        f"[bold]{escape(wl.name)}[/] ({len(wl)} layers, {len(fold(wl)[0])} distinct "
        "shapes) on space "
        f"[bold]{escape(space.name)}[/] ({len(space):,} designs, "
        f"{len(space.params)} parameters); objectives {', '.join(objectives)}; "
        f"constraints {', '.join(str(c) for c in constraints) or 'none'}; out {out}",
        highlight=False,
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
    try:
        if args.workers is not None or args.scheduler:
            from tldse.search.dask import TLSFiles, connect, dask_executor

            if args.workers is not None and args.threads is None:
                kwargs["threads"] = max(1, (os.cpu_count() or 1) // args.workers)
            tls = (
                TLSFiles(args.tls_ca_file, args.tls_cert, args.tls_key)
                if args.tls_ca_file and args.tls_cert
                else None
            )
            with connect(
                scheduler=args.scheduler, workers=args.workers, tls=tls
            ) as client:
                result = sweep(space, wl, executor=dask_executor(client), **kwargs)
        else:
            result = sweep(space, wl, **kwargs)
    except KeyboardInterrupt:
        done = len(list((out / "chunks").glob("chunk-*.npz")))
        console.print(
            f"interrupted: {done} finished chunks are saved in {out}; run the same "
            "command again to continue",
            highlight=False,
        )
        return 130
    if args.per_layer:
        write_outputs(result, out, per_layer=True)
    if result.complete:
        write_sweep_report(result, out)
    _print_result(result, args.top)
    files = ["pareto.csv", "best.json", "pareto.png"]
    if args.per_layer:
        files.append("pareto_layers.csv")
    if args.save_all:
        files.append("all/*.parquet")
    console.print(f"wrote {', '.join(str(out / f) for f in files)}", highlight=False)
    return 0


def register(subparsers: Any) -> None:
    """Adds ``sweep`` to the ``tldse`` subcommands."""
    p = subparsers.add_parser(
        "sweep",
        help="evaluate every design of a space on a workload; Pareto front",
        description="Exhaustive sweep of a design space on a workload: writes "
        "DIR/pareto.csv (the constrained Pareto front: design parameters and "
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
    p.add_argument("--top", type=int, default=20, help="front rows to print (20)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--list-spaces", action="store_true", help="list the built-in spaces and exit"
    )
    p.set_defaults(func=cmd_sweep)
