"""``tldse compare`` and ``tldse evaluations export|stats``.

``compare`` runs an evaluator (SCALE-Sim, ZigZag, a ``command:PATH``) and tldse's
analytical model on the same designs and layers and prints their per-layer
agreement and speed ratio; ``evaluations`` reads an evaluation store.
:func:`register` adds both to the ``tldse`` parser; handlers return an exit code and
raise ValueError with a one-line message on bad input.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import numpy as np
from rich.markup import escape
from rich.table import Table

from tldse._util.io import write_atomic
from tldse.arch import Accelerator
from tldse.cli._common import (
    add_evaluator_args,
    add_mapper_args,
    add_quiet_arg,
    add_workload_arg,
    console,
    evaluator_settings,
    parse_value,
    show_help,
)
from tldse.evaluators import EVALUATORS, EvaluationStore, get_evaluator
from tldse.evaluators.compare import Comparison, compare
from tldse.space import DesignSpace
from tldse.workloads.layer import Workload
from tldse.workloads.resolve import resolve_workload

DEFAULT_STORE = "tldse-evaluations.sqlite"
MAX_SAMPLE = 10_000  # designs per compare: each runs an expensive tool


# ------------------------------------------------------------ parsing


def parse_design(spec: str) -> Accelerator:
    """``--design``: comma-separated items; one without ``=`` is the base (a preset
    name or an architecture file), the others set fields:
    ``tpu-v1,glb_bytes=65536`` or ``dataflow=ws,pe_rows=32,pe_cols=32``."""
    base: Accelerator | None = None
    changes: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in spec.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            if base is not None:
                raise ValueError(f"--design {spec!r}: two bases ({item!r})")
            base = (
                Accelerator.from_file(item)
                if Path(item).is_file()
                else Accelerator.preset(item)
            )
            continue
        changes[key.strip()] = parse_value(value)
    acc = (base or Accelerator()).replace(**changes)
    why = acc.infeasibility()
    if why:
        raise ValueError(f"--design {spec!r}: infeasible architecture: {why}")
    return acc


def _select_layers(wl: Workload, names: str | None) -> Workload:
    if not names:
        return wl
    wanted = [x.strip() for x in names.split(",") if x.strip()]
    known = {layer.name for layer in wl}
    missing = [x for x in wanted if x not in known]
    if missing:
        raise ValueError(
            f"--layers: {', '.join(missing)} not in {wl.name} "
            f"(its layers: {', '.join(list(known)[:12])}...)"
        )
    return Workload(wl.name, [layer for layer in wl if layer.name in wanted])


# ------------------------------------------------------------ compare


def _designs(args: argparse.Namespace) -> np.ndarray[Any, Any]:
    if args.space and args.design:
        raise ValueError("give --design or --space, not both")
    if args.space:
        if args.sample is None or not 1 <= args.sample <= MAX_SAMPLE:
            raise ValueError(f"--space needs --sample N (1 <= N <= {MAX_SAMPLE:,})")
        space = DesignSpace.load(args.space)
        idx = space.sample(args.sample, "random", args.seed)
        return np.asarray(space.configs(idx), dtype=np.float64)
    specs = args.design or ["default"]
    accs = [Accelerator() if s == "default" else parse_design(s) for s in specs]
    return np.stack([a.row() for a in accs])


def _fmt(x: float, digits: str = ",.0f") -> str:
    return "-" if not math.isfinite(x) else format(x, digits)


def _print_comparison(cmp: Comparison, name: str, limit: int) -> None:
    df = cmp.frame
    t = Table(title=f"{escape(name)} vs tldse, per layer (ratio = {name} / tldse)")
    for col in ("design", "layer", "status", "tldse cyc", "cyc", "ratio",
                "tldse compute", "compute", "tldse stall", "stall", "energy ratio",
                "differs in"):  # fmt: skip
        left = col in ("layer", "status", "differs in")
        t.add_column(col, justify="left" if left else "right")
    for _, r in df.head(limit).iterrows():
        t.add_row(
            str(r["design"]),
            escape(str(r["layer"])),
            str(r["status"]),
            _fmt(r["tldse_latency_cycles"]),
            _fmt(r["latency_cycles"]),
            _fmt(r["latency_ratio"], ".3f"),
            _fmt(r["tldse_compute_cycles"]),
            _fmt(r["compute_cycles"]),
            _fmt(r["tldse_stall_cycles"]),
            _fmt(r["stall_cycles"]),
            _fmt(r["energy_ratio"], ".3f"),
            escape(str(r["differs_in"] or r["message"])[:60]),
        )
    console.print(t)
    if len(df) > limit:
        console.print(f"({len(df) - limit} more rows: --csv FILE writes them all)")
    bad = df[df["status"] != "ok"]
    for (status, message), group in list(bad.groupby(["status", "message"]))[:3]:
        console.print(
            f"[yellow]{status}[/] ({len(group)} pairs): {escape(str(message))}"
        )
    s = cmp.summary
    console.print(f"pairs: {s['ok']:.0f} of {s['pairs']:.0f} evaluated by both")
    if s.get("ok"):
        console.print(
            f"latency: MAPE {s['latency_mape_pct']:.1f}% of {name}'s; ratio "
            f"{name}/tldse median {s['latency_ratio_median']:.3f}, range "
            f"[{s['latency_ratio_min']:.3f}, {s['latency_ratio_max']:.3f}]"
        )
        if s.get("compute_compared"):
            console.print(
                f"compute cycles: exactly equal on {s['compute_exact']:.0f} of "
                f"{s['compute_compared']:.0f} pairs"
            )
        if "energy_mape_pct" in s:
            console.print(
                f"energy: MAPE {s['energy_mape_pct']:.1f}%; ratio median "
                f"{s['energy_ratio_median']:.3f}, range [{s['energy_ratio_min']:.3f}, "
                f"{s['energy_ratio_max']:.3f}]"
            )
    when = (
        "measured in this run"
        if s.get("evaluator_timed_in_this_run")
        else "evaluator time from the store"
        if math.isfinite(s["speed_ratio"])
        else "nothing evaluated"
    )
    console.print(
        f"speed: {name} {_fmt(s['evaluator_cpu_s_per_eval'], '.3g')} CPU-s per "
        f"layer (median {_fmt(s['evaluator_cpu_s_median'], '.3g')}), tldse "
        f"{_fmt(s['tldse_cpu_s_per_eval'] * 1e6, '.3g')} us per layer: "
        f"{_fmt(s['speed_ratio'], ',.0f')}x ({when})"
    )
    console.print(cmp.batch.stats.summary())


def cmd_compare(args: argparse.Namespace) -> int:
    evaluator = get_evaluator(args.evaluator, **evaluator_settings(args))
    if not evaluator.expensive:
        raise ValueError(
            f"--evaluator {args.evaluator}: compare tldse with another evaluator "
            f"({', '.join(EVALUATORS[1:])} or command:PATH)"
        )
    if args.jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {args.jobs}")
    wl = _select_layers(resolve_workload(args.workload, args.batch), args.layers)
    designs = _designs(args)
    store = None if args.no_store else args.store
    name = evaluator.name if len(evaluator.name) < 30 else "command"
    if store:
        args.interrupt_hint = (
            f"finished results are kept in {store}; run the same command again to "
            "continue"
        )
    cmp = compare(
        evaluator,
        designs,
        wl,
        energy=args.energy,
        mapper_objective=args.mapper_objective,
        mapper=args.mapper,
        store=store,
        jobs=args.jobs,
        scheduler=args.scheduler,
        timeout_s=args.timeout,
        retry_failed=args.retry_failed,
        progress=not args.quiet,
    )
    _print_comparison(cmp, name, args.rows)
    if args.csv:
        write_atomic(Path(args.csv), cmp.frame.to_csv(index=False))
        console.print(f"wrote {args.csv}")
    return 0


# ------------------------------------------------------------ evaluations


def _open_store(path: str) -> EvaluationStore:
    if not Path(path).is_file():
        raise ValueError(f"--store {path}: no such file")
    return EvaluationStore(path)


def cmd_stats(args: argparse.Namespace) -> int:
    with _open_store(args.store) as st:
        stats = st.stats()
    if not stats:
        console.print(f"{escape(args.store)}: no evaluations")
        return 0
    t = Table(title=f"evaluations in {escape(args.store)}")
    for col in ("evaluator", "version", "settings", "results", "by status",
                "tool CPU-s", "CPU-s / result"):  # fmt: skip
        t.add_column(col, justify="right" if "CPU" in col else "left")
    for s in stats:
        t.add_row(
            escape(s.name),
            escape(s.version),
            escape(", ".join(f"{k}={v}" for k, v in sorted(s.settings.items()))),
            str(s.total),
            ", ".join(f"{k} {v}" for k, v in sorted(s.counts.items())),
            f"{s.cpu_s:,.1f}",
            f"{s.cpu_s / max(1, s.total):.3g}",
        )
    console.print(t)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    with _open_store(args.store) as st:
        n = st.export(args.out, args.evaluator)
    console.print(f"wrote {n} results to {escape(args.out)}")
    return 0


def register(subparsers: Any) -> None:
    """Adds ``compare`` and ``evaluations`` to the ``tldse`` parser."""
    c = subparsers.add_parser(
        "compare",
        help="per-layer agreement of tldse with SCALE-Sim, ZigZag or your simulator",
        description="Runs an evaluator and tldse's analytical model on the same "
        "designs and distinct layers; prints per-layer latency, compute and stall "
        "cycles and energy of both with ratios, MAPE, where they differ, and the "
        "speed ratio measured in this run. Results are kept in an evaluation store "
        "(a rerun evaluates nothing twice). See docs/evaluators.md.",
    )
    add_evaluator_args(c, required=True)
    add_workload_arg(c, "resnet18")
    c.add_argument("--layers", help="only these layers (comma list of names)")
    c.add_argument(
        "--design",
        action="append",
        help="a design: preset or arch file, and/or field=value items, comma "
        "separated (repeatable; default: the default Accelerator)",
    )
    c.add_argument("--space", help="sample designs from a space (name or file)")
    c.add_argument("--sample", type=int, help="how many designs to sample")
    c.add_argument("--seed", type=int, default=0, help="sampling seed (0)")
    c.add_argument(
        "--store",
        default=DEFAULT_STORE,
        help=f"evaluation store file ({DEFAULT_STORE})",
    )
    c.add_argument("--no-store", action="store_true", help="keep no results")
    c.add_argument("--retry-failed", action="store_true", help="rerun stored failures")
    c.add_argument(
        "--energy",
        help="tldse's energy table (default: the evaluator's, else horowitz45)",
    )
    add_mapper_args(c)
    c.add_argument("--csv", help="write every per-layer row to this CSV")
    c.add_argument("--rows", type=int, default=40, help="table rows shown (40)")
    add_quiet_arg(c)
    c.set_defaults(func=cmd_compare)

    e = subparsers.add_parser(
        "evaluations",
        help="the evaluation store: stats, export to Parquet/CSV",
        description="Reads an evaluation store (tldse compare --store, explore).",
    )
    esub = e.add_subparsers(dest="evaluations_command", metavar="COMMAND")
    s = esub.add_parser("stats", help="results and tool time per evaluator")
    s.add_argument("--store", default=DEFAULT_STORE, help=f"({DEFAULT_STORE})")
    s.set_defaults(func=cmd_stats)
    x = esub.add_parser("export", help="write the results to .parquet or .csv")
    x.add_argument("--store", default=DEFAULT_STORE, help=f"({DEFAULT_STORE})")
    x.add_argument("--out", required=True, help="FILE.parquet or FILE.csv")
    x.add_argument("--evaluator", help="only this evaluator (name or key)")
    x.set_defaults(func=cmd_export)
    e.set_defaults(func=show_help(e))
