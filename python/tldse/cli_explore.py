"""``tldse explore`` and ``tldse experiment search``.

Wiring in ``cli.py``::

    from tldse.cli_explore import register as register_explore
    register_explore(sub)   # after cli_learn's register(sub), if any

``register`` adds ``explore`` and, when an ``experiment`` command already exists
(``cli_learn`` adds one for ``experiment transfer``), adds ``search`` under it;
otherwise it creates ``experiment`` itself. ``register_experiment(esub)`` adds
just ``search`` to a given ``experiment`` subparsers object.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from tldse._cli import experiment_subparsers
from tldse.search.metrics import parse_constraints, parse_objectives

_DEFAULT_WORKLOAD = "resnet18"
_DEFAULT_SPACE = "edge"


def cmd_explore(args: argparse.Namespace) -> int:
    from rich.console import Console

    from tldse.explore import DEFAULT_BUDGET, METHODS, explore, parse_workloads

    err = Console(stderr=True, highlight=False)
    if args.method not in METHODS:  # pragma: no cover - argparse checks it
        raise ValueError(f"--method: valid: {', '.join(METHODS)}")
    objectives = parse_objectives(args.objectives)
    constraints = parse_constraints(args.constraint or [])
    names, weights = parse_workloads(args.workload or [_DEFAULT_WORKLOAD])
    tag = "+".join(names)
    out = Path(args.out or f"explore-{tag}-{Path(str(args.space)).stem}")
    argv = args.argv
    if argv is None:
        argv = (
            sys.argv[sys.argv.index("explore") + 1 :] if "explore" in sys.argv else []
        )
    command = "tldse explore " + " ".join(shlex.quote(a) for a in argv)
    budget = args.budget
    err.print(
        f"exploring {args.space} for {tag} ({args.method}, budget "
        f"{budget or f'min({DEFAULT_BUDGET}, space)'}) -> {out}"
    )
    res = explore(
        args.space,
        names,
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
        command=command.strip(),
        progress=None if args.quiet else (lambda m: err.print(m)),
    )
    from rich.console import Console as C
    from rich.table import Table

    console = C(width=None if sys.stdout.isatty() else 160)
    t = Table(
        title=f"{res.problem.name} on {res.problem.space.name}: {len(res.front)} "
        f"Pareto designs from {res.n_simulations:,} simulations "
        f"({res.seconds:.1f} s)"
    )
    cols = ["index", *res.problem.space.names, "latency_ms", "energy_uj",
            "area_mm2", "edp_uj_ms"]  # fmt: skip
    for c in cols:
        t.add_column(c, justify="right")
    from tldse.search.metrics import OBJECTIVES

    front = res.front.sort_values(OBJECTIVES[res.problem.objectives[0]])
    for _, row in front.head(args.top).iterrows():
        t.add_row(
            *(
                f"{row[c]:.4g}" if isinstance(row[c], float) else str(row[c])
                for c in cols
            )
        )
    console.print(t)
    console.print(f"report: {out / 'report.md'}")
    return 0


def _add_explore(subparsers: Any) -> None:
    from tldse.explore import METHODS

    p = subparsers.add_parser(
        "explore",
        help="search a design space within a simulation budget, write a report",
        description="Surrogate-pruned search (default): simulate a sample, train a "
        "surrogate, predict every design, simulate those nearest the predicted "
        "Pareto front, fine-tune, repeat until the budget or convergence. The "
        "answer holds only simulated designs. Writes DIR/report.md with the front, "
        "the best designs, a per-layer breakdown and the surrogate's errors. With "
        "no arguments: the edge space on ResNet-18, 2000 simulations.",
    )
    p.add_argument(
        "--workload",
        action="append",
        help="zoo name or topology file; repeat (or comma-separate) for several, "
        "NAME:WEIGHT to weight one (default resnet18)",
    )
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
        help="simulations allowed (default min(2000, space size))",
    )
    p.add_argument("--method", choices=METHODS, default="surrogate")
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
    p.add_argument("--seed", type=int, default=0, help="sampling and training (0)")
    p.add_argument("--top", type=int, default=15, help="front rows to print (15)")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.set_defaults(func=cmd_explore, argv=None)


def cmd_experiment_search(args: argparse.Namespace) -> int:
    from rich.console import Console

    from tldse.explore_experiment import run_experiment

    err = Console(stderr=True, highlight=False)
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else None
    wls = [w.strip() for w in args.workloads.split(",")] if args.workloads else None
    methods = [m.strip() for m in args.methods.split(",")] if args.methods else None
    run_experiment(
        args.size,
        args.out,
        seeds=seeds,
        workloads=wls,
        methods=methods,
        progress=None if args.quiet else (lambda m: err.print(m)),
        plots=not args.no_plots,
    )
    text = (Path(args.out) / "results.md").read_text()
    print(text)
    return 0


def register_experiment(experiment_subparsers: Any) -> None:
    """Adds ``search`` to the ``experiment`` command's subparsers."""
    from tldse.explore_experiment import experiment_sizes

    x = experiment_subparsers.add_parser(
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
    x.add_argument("--out", default="experiment-search", help="output folder")
    x.add_argument("--seeds", help="override the seeds, e.g. 0,1,2")
    x.add_argument("--workloads", help="override the workloads (comma list)")
    x.add_argument(
        "--methods",
        help="override the methods (comma list of surrogate, surrogate-network, "
        "surrogate-transfer, random, nsga2)",
    )
    x.add_argument("--no-plots", action="store_true")
    x.add_argument("--quiet", action="store_true")
    x.set_defaults(func=cmd_experiment_search)


def register(subparsers: Any) -> None:
    """Adds ``explore``, and ``search`` under ``experiment`` (created here unless
    another module already added ``experiment``)."""
    _add_explore(subparsers)
    esub = experiment_subparsers(subparsers)
    register_experiment(esub)


def main(argv: list[str] | None = None) -> int:
    """``python -m tldse.cli_explore ...`` (tests; cli.py wires the real one)."""
    parser = argparse.ArgumentParser(prog="tldse")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    args = parser.parse_args(argv)
    if argv is not None and getattr(args, "command", None) == "explore":
        args.argv = argv[1:]
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args))
    except ValueError as exc:
        print(f"tldse: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
