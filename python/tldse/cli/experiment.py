"""``tldse experiment transfer | search | fidelity``: the experiments behind the
README's measured tables."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tldse._util.table import plural
from tldse.cli._common import (
    CliError,
    add_quiet_arg,
    add_torch_threads_arg,
    console,
    csv_list,
    int_list,
    locks_out,
    show_help,
    torch_threads,
)

# Copies of the choices in tldse.experiments.transfer and tldse.learn.transfer, so
# that building the parser does not import torch (tests check that they agree).
_TARGET_KINDS = ("workload", "dataflow", "fidelity", "outside")
_STRATEGIES = ("head", "last-k", "full")
_TRANSFER_SIZES = ("quick", "medium", "full", "tiny")


@locks_out("tldse experiment transfer")
def cmd_experiment_transfer(args: argparse.Namespace) -> int:
    from tldse.experiments.transfer import experiment_config, merge, run_experiment

    out = Path(args.out or f"experiment-transfer-{args.size}")
    if args.merge:
        if not args.out:
            raise CliError("--merge needs --out, the folder to merge into")
        res = merge(args.merge, out)
        console.print(
            f"merged {plural(len(args.merge), 'run')} into {out / 'results.md'}, "
            f"{out / 'results.json'}"
            + "".join(f", {out / p}" for p in res.get("plots", [])),
            highlight=False,
        )
        if args.print:
            sys.stdout.write((out / "results.md").read_text())
        return 0

    changes: dict[str, Any] = {"device": args.device, "threads": torch_threads(args)}
    if args.ns:
        changes["ns"] = int_list(args.ns, "--ns")
    if args.seeds:
        changes["seeds"] = int_list(args.seeds, "--seeds")
    if args.kinds:
        changes["kinds"] = tuple(csv_list(args.kinds))
    if args.strategies:
        changes["strategies"] = tuple(csv_list(args.strategies))
    if args.space:
        changes["space"] = args.space
    cfg = experiment_config(args.size, **changes)
    args.interrupt_hint = (
        f"the datasets generated so far are kept in {out / 'data'} and reused by a "
        "re-run with the same --out (training runs start again)"
    )
    res = run_experiment(
        cfg,
        out,
        progress=not args.quiet,
        plots=not args.no_plots,
    )
    args.interrupt_hint = None
    console.print(
        f"wrote {out / 'results.md'}, {out / 'results.json'}"
        + "".join(f", {out / p}" for p in res.get("plots", [])),
        highlight=False,
    )
    if args.print:
        sys.stdout.write((out / "results.md").read_text())
    return 0


@locks_out("tldse experiment search")
def cmd_experiment_search(args: argparse.Namespace) -> int:
    from tldse.experiments.search import run_experiment

    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else None
    wls = [w.strip() for w in args.workloads.split(",")] if args.workloads else None
    methods = [m.strip() for m in args.methods.split(",")] if args.methods else None
    out = Path(args.out or f"experiment-search-{args.size}")
    args.interrupt_hint = (
        f"finished runs are kept in {out / 'runs.jsonl'}; run the same command "
        "again to continue"
    )
    run_experiment(
        args.size,
        out,
        seeds=seeds,
        workloads=wls,
        methods=methods,
        progress=not args.quiet,
        plots=not args.no_plots,
    )
    args.interrupt_hint = None
    sys.stdout.write((out / "results.md").read_text())
    return 0


_FIDELITY_SIZES = ("quick", "full")
_PEERS = ("scalesim", "zigzag")


@locks_out("tldse experiment fidelity")
def cmd_experiment_fidelity(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from tldse.experiments.fidelity import run_experiment, sizes

    cfg = sizes()[args.size]
    changes: dict[str, Any] = {"jobs": args.jobs}
    if args.evaluators:
        bad = [e for e in csv_list(args.evaluators) if e not in _PEERS]
        if bad:
            raise ValueError(
                f"--evaluators: unknown {', '.join(bad)}; valid: {', '.join(_PEERS)}"
            )
        changes["evaluators"] = tuple(csv_list(args.evaluators))
    if args.ns:
        changes["ns"] = tuple(int_list(args.ns, "--ns"))
        if min(changes["ns"]) < 2:
            raise ValueError(f"--ns: each sample count must be >= 2, got {args.ns}")
    if args.seeds:
        changes["seeds"] = tuple(int_list(args.seeds, "--seeds"))
        if min(changes["seeds"]) < 0:
            raise ValueError(f"--seeds: each seed must be >= 0, got {args.seeds}")
        changes["search_seeds"] = changes["seeds"]
    if args.no_search:
        changes["search"] = False
    if args.jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {args.jobs}")
    pythons = {
        k: v
        for k, v in (("scalesim", args.scalesim_python), ("zigzag", args.zigzag_python))
        if v
    }
    store = Path(args.store or Path(args.out) / "evaluations.sqlite")
    args.interrupt_hint = lambda: (
        f"the evaluations made so far are kept in {store}; run the same command "
        "again to continue"
        if store.exists()
        else "nothing was evaluated yet; run the same command again"
    )
    run_experiment(
        replace(cfg, **changes),
        args.out,
        store=args.store,
        pythons=pythons,
        pretrained=args.pretrained,
        progress=not args.quiet,
    )
    args.interrupt_hint = None
    out = Path(args.out)
    console.print(f"wrote {out / 'results.md'}, {out / 'results.json'}",
                  highlight=False)  # fmt: skip
    if args.print:
        sys.stdout.write((out / "results.md").read_text())
    return 0


def _add_fidelity(esub: Any) -> None:
    x = esub.add_parser(
        "fidelity",
        help="transfer to SCALE-Sim and ZigZag: accuracy with few samples, search",
        description="For SCALE-Sim and ZigZag (each from its own venv: "
        "TLDSE_SCALESIM_PYTHON / TLDSE_ZIGZAG_PYTHON or the options below; an "
        "evaluator that is not installed is skipped with the reason): random "
        "designs x tiny layers evaluated once through the evaluation store; MAPE "
        "and Kendall tau on held-out designs for N evaluator samples of the "
        "analytical model alone, transfer, multi-task from scratch and single-task "
        "MLPs; and a search on a space evaluated exhaustively once (surrogate with "
        "transfer, the analytical model's front re-evaluated, NSGA-II, random at "
        "equal budgets). Writes results.md and results.json to --out; the store "
        "makes a rerun evaluate nothing twice.",
    )
    x.add_argument(
        "--size",
        choices=_FIDELITY_SIZES,
        default="quick",
        help="quick (minutes: 16 / 10 designs, N = 10, 20, one seed, 16-design "
        "search spaces) or full (N = 25, 50, 100, 200, 3 seeds; hours)",
    )
    x.add_argument("--out", default="experiment-fidelity", help="output folder")
    x.add_argument("--store", help="evaluation store (default OUT/evaluations.sqlite)")
    x.add_argument("--evaluators", help="subset of scalesim,zigzag")
    x.add_argument("--scalesim-python", help="the interpreter with SCALE-Sim")
    x.add_argument("--zigzag-python", help="the interpreter with ZigZag")
    x.add_argument("--ns", help="override the sample counts, e.g. 25,100")
    x.add_argument("--seeds", help="override the seeds, e.g. 0,1,2")
    x.add_argument("--jobs", type=int, default=2, help="evaluator processes (2)")
    x.add_argument(
        "--pretrained", choices=("tiny", "quick", "full"), default="quick",
        help="the pretrained model (tldse pretrain --size; tiny: seconds to build, "
        "a smoke test)",
    )  # fmt: skip
    x.add_argument("--no-search", action="store_true", help="accuracy part only")
    add_quiet_arg(x)
    x.add_argument("--print", action="store_true", help="print results.md at the end")
    x.set_defaults(func=cmd_experiment_fidelity)


def _add_search(esub: Any) -> None:
    from tldse.experiments.search import experiment_sizes

    x = esub.add_parser(
        "search",
        help="surrogate-pruned search vs exhaustive, random and NSGA-II",
        description="On a space small enough to sweep: 5 workloads x 5 seeds, "
        "scenarios EDP, latency under an area bound and the (latency, energy, "
        "area) front; per method regret, simulations, hypervolume fraction, "
        "simulations to reach a hypervolume level and wall time. Methods: "
        "surrogate, surrogate-network (a model of whole networks), "
        "surrogate-transfer (pretrained on the other workloads), "
        "random, nsga2. Writes results.md, results.json and best_so_far.png to "
        "--out; runs.jsonl grows as runs finish, and re-running with the same "
        "--out resumes.",
    )
    x.add_argument("--size", choices=tuple(experiment_sizes()), default="quick")
    x.add_argument(
        "--out",
        help="output folder (default ./experiment-search-SIZE); re-running with "
        "the same --out resumes",
    )
    x.add_argument("--seeds", help="override the seeds, e.g. 0,1,2")
    x.add_argument("--workloads", help="override the workloads (comma list)")
    x.add_argument(
        "--methods",
        help="override the methods (comma list of surrogate, surrogate-network, "
        "surrogate-transfer, random, nsga2)",
    )
    x.add_argument("--no-plots", action="store_true")
    add_quiet_arg(x)
    x.set_defaults(func=cmd_experiment_search)


def _add_transfer(esub: Any) -> None:
    x = esub.add_parser(
        "transfer",
        help="transfer vs single-task MLPs vs multi-task from scratch",
        description="Pretrains on classic CNNs (ws/os/is), fine-tunes on a new "
        "workload, a new dataflow and a new fidelity for several sample counts and "
        "seeds, and compares MAPE, Kendall tau, training time and epochs with the "
        "baselines. Writes results.md, results.json and PNG plots to --out.",
    )
    x.add_argument(
        "--size",
        choices=_TRANSFER_SIZES,
        default="quick",
        help="quick (minutes on 2 cores), medium, full (N up to 5000, 3 seeds), "
        "tiny (a smoke test)",
    )
    x.add_argument(
        "--out",
        help="output folder (default ./experiment-transfer-SIZE); its datasets "
        "are cached there and reused by a re-run",
    )
    x.add_argument("--ns", help="override the sample counts, e.g. 50,100,200")
    x.add_argument("--seeds", help="override the seeds, e.g. 0,1,2")
    x.add_argument("--kinds", help=f"subset of {','.join(_TARGET_KINDS)}")
    x.add_argument("--strategies", help=f"subset of {','.join(_STRATEGIES)}")
    x.add_argument("--space", help="design space (default edge)")
    x.add_argument("--device", default="cpu", help="cpu (default), cuda, auto")
    add_torch_threads_arg(x)
    x.add_argument(
        "--merge",
        nargs="+",
        metavar="DIR",
        help="instead of running: combine the results of runs made in parts "
        "(e.g. different --ns or --seeds) into --out",
    )
    x.add_argument("--no-plots", action="store_true")
    add_quiet_arg(x)
    x.add_argument("--print", action="store_true", help="print results.md at the end")
    x.set_defaults(func=cmd_experiment_transfer)


def register(subparsers: Any) -> None:
    """Adds ``experiment transfer`` and ``experiment search``."""
    e = subparsers.add_parser(
        "experiment",
        help="reproducible experiments (transfer, search, fidelity)",
        description="Reproducible experiments; see docs/surrogate.md and "
        "docs/explore.md.",
    )
    esub = e.add_subparsers(dest="experiment_command", metavar="EXPERIMENT")
    e.set_defaults(func=show_help(e))
    _add_transfer(esub)
    _add_search(esub)
    _add_fidelity(esub)
