"""``tldse explore``: search a design space within a simulation budget and write
a report (:func:`tldse.api.explore`)."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from tldse._util.io import output_lock
from tldse._util.table import plural, select
from tldse.cli._common import (
    CliError,
    add_energy_arg,
    add_evaluator_args,
    add_front_args,
    add_mapper_args,
    add_quiet_arg,
    add_threads_arg,
    add_workload_arg,
    default_out,
    errors,
    evaluator_settings,
    print_front,
    say,
)
from tldse.exploration.api import DEFAULT_BUDGET, METHODS
from tldse.search.metrics import parse_constraints, parse_objectives
from tldse.search.results import design_columns, front_keys
from tldse.space import DesignSpace
from tldse.workloads.resolve import parse_workload_list, resolve_workload

_DEFAULT_WORKLOAD = "resnet18"
_DEFAULT_SPACE = "edge"


def cmd_explore(args: argparse.Namespace) -> int:
    from tldse.api import explore

    objectives = parse_objectives(args.objectives)
    constraints = parse_constraints(args.constraint or [])
    specs = parse_workload_list(args.workload or [_DEFAULT_WORKLOAD])
    workloads = [resolve_workload(s, args.batch) for s, _ in specs]
    weights = [w for _, w in specs]
    space = DesignSpace.load(args.space)
    budget = args.budget
    if budget is not None and budget < 1:
        raise CliError(f"--budget must be >= 1, got {budget}")
    if args.top < 1:
        raise CliError(f"--top must be >= 1, got {args.top}")
    if args.columns:  # a bad name fails before the search, not after
        select(design_columns(space.names, objectives), args.columns, front_keys(space))
    names = [w.name for w in workloads]
    out = Path(args.out) if args.out else default_out("explore", names, space.name)
    argv = args.argv[args.argv.index("explore") + 1 :] if "explore" in args.argv else []
    command = "tldse explore " + " ".join(shlex.quote(a) for a in argv)
    if not args.evaluator and (args.setting or args.evaluator_python):
        raise CliError("--setting and --evaluator-python need --evaluator")
    who = f", evaluator {args.evaluator}" if args.evaluator else ""
    errors.print(
        f"exploring {space.name} for {'+'.join(names)} ({args.method}{who}, budget "
        f"{budget or f'min({DEFAULT_BUDGET:,}, space)'}) -> {out}",
        markup=False,
    )

    def hint() -> str:
        kept = [out / n for n in ("simulations.jsonl", "evaluations.sqlite")]
        kept = [p for p in kept if p.exists()]
        if not kept:
            return "nothing was saved yet; run the same command again"
        return (
            f"the evaluations made so far are kept in "
            f"{' and '.join(str(p) for p in kept)}; run the same command again to "
            "continue"
        )

    args.interrupt_hint = hint
    with output_lock(out, "tldse explore"):
        res = explore(
            space,
            workloads,
            weights=weights,
            objectives=objectives,
            constraints=[str(c) for c in constraints],
            budget=budget,
            method=args.method,
            model=args.model,
            out=out,
            seed=args.seed,
            granularity=args.granularity,
            device=args.device,
            fresh=args.fresh,
            energy=args.energy_table,
            mapper=args.mapper,
            mapper_objective=args.mapper_objective,
            threads=args.threads,
            evaluator=args.evaluator,
            evaluator_settings=evaluator_settings(args) if args.evaluator else None,
            jobs=args.jobs,
            timeout_s=args.timeout,
            scheduler=args.scheduler,
            progress=not args.quiet,
            command=command.strip(),
            pretrained=args.pretrained,
        )
    args.interrupt_hint = None
    p = res.problem
    say(args).print(
        f"{p.name} on {p.space.name}: {plural(len(res.front), 'Pareto design')} "
        f"from {plural(res.n_simulations, 'evaluation')} ({res.seconds:.1f} s)",
        markup=False,
    )
    print_front(args, res.front, p.space.names, p.objectives, args.top)
    say(args).print(f"report: {out / 'report.md'}", markup=False)
    return 0


def register(subparsers: Any) -> None:
    """Adds ``explore``."""
    p = subparsers.add_parser(
        "explore",
        help="search a design space within a simulation budget, write a report",
        description="Searches a design space for the Pareto front of a workload. "
        "With tldse's analytical model (default) on a space it can sweep in "
        "seconds, every design is simulated (the exact front); otherwise, and "
        "always with an expensive --evaluator (SCALE-Sim, ZigZag, your simulator), "
        "a surrogate-pruned search: evaluate a sample, train a surrogate, predict "
        "every design, evaluate those nearest the predicted front, fine-tune, "
        "repeat until the budget or convergence. The answer holds only evaluated "
        "designs. Writes DIR/report.md with the front, the best designs, a "
        "per-layer breakdown, the surrogate's errors and where the time went. With "
        "no arguments: the edge space on ResNet-18.",
    )
    add_workload_arg(p, _DEFAULT_WORKLOAD, several=True)
    p.add_argument("--space", default=_DEFAULT_SPACE, help="built-in or file (edge)")
    p.add_argument(
        "--objectives",
        default="latency,energy,area",
        help="1-4 of latency, energy, area, edp, power (latency,energy,area)",
    )
    p.add_argument(
        "--constraint",
        action="append",
        help="e.g. area_mm2<=4 (repeatable; see docs/sweep.md for the metrics)",
    )
    p.add_argument(
        "--budget",
        type=int,
        default=None,
        help="evaluations allowed: designs evaluated, each on every distinct layer "
        "(default min(2000, space size))",
    )
    p.add_argument(
        "--method",
        choices=METHODS,
        default="auto",
        help="auto (default): every design where simulating them all is cheaper "
        "than the surrogate search (the analytical model on spaces up to millions "
        "of designs: the exact front), the surrogate search otherwise (always "
        "with an expensive --evaluator); or surrogate, exhaustive, random, nsga2",
    )
    p.add_argument(
        "--model",
        help="a saved surrogate (folder with model.json: from an earlier explore's "
        "DIR/model or `tldse train`) of (design, layer) pairs or of networks, to "
        "start from",
    )
    p.add_argument(
        "--granularity",
        choices=("auto", "layer", "network"),
        default="auto",
        help="what the surrogate models: (design, layer) pairs (more accurate "
        "from few simulations), whole networks (cheaper to predict), or auto: "
        "layer unless designs x distinct layer shapes exceeds 2,000,000 (auto)",
    )
    p.add_argument(
        "--out",
        help="output folder (explore-WORKLOAD-SPACE); its simulations.jsonl keeps "
        "every simulation, so a killed run re-run with the same --out simulates "
        "nothing twice",
    )
    p.add_argument(
        "--device",
        default="cpu",
        help="where the surrogate trains and predicts: cpu (default), cuda, "
        "cuda:N, auto",
    )
    p.add_argument(
        "--fresh",
        action="store_true",
        help="discard the simulations kept in --out before starting",
    )
    add_evaluator_args(p, required=False)
    p.add_argument(
        "--pretrained",
        choices=("quick", "full"),
        default="quick",
        help="with an expensive --evaluator: the surrogate is the model pretrained "
        "on tldse's analytical model (quick: 200,000 rows, full: 1,000,000; built "
        "once per tldse version and analytical model, kept in the user cache, "
        "`tldse pretrain`) "
        "transferred to the evaluator's samples (quick)",
    )
    add_energy_arg(p)
    add_mapper_args(p)
    add_threads_arg(p, "C++ simulator")
    p.add_argument("--seed", type=int, default=0, help="sampling and training (0)")
    add_front_args(p, 15)
    add_quiet_arg(p)
    p.set_defaults(func=cmd_explore)
