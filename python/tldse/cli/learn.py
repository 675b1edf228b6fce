"""``tldse dataset | train | transfer | pretrain``: learning commands.

:func:`register` adds the subcommands to the ``tldse`` parser; every handler
returns an exit code and raises ValueError with a one-line message on bad input.
torch is imported only by the commands that need it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tldse._util.table import Column, plural
from tldse.cli._common import (
    add_energy_arg,
    add_format_args,
    add_mapper_args,
    add_quiet_arg,
    add_threads_arg,
    add_torch_threads_arg,
    csv_list,
    default_out,
    errors,
    int_list,
    locks_out,
    print_rows,
    say,
    torch_threads,
)

if TYPE_CHECKING:
    from tldse.learn.dataset import Dataset

# Copies of the choices in tldse.learn.train / tldse.learn.transfer, so that
# building the parser does not import torch (tests check that they agree).
LOSSES = ("mse", "huber", "l1")
SCHEDULES = ("cosine", "plateau", "constant")
WEIGHTINGS = ("fixed", "uncertainty")
STRATEGIES = ("head", "last-k", "full")
PRETRAIN_SIZES = ("quick", "full", "tiny")


def _key_values(items: Sequence[str] | None, what: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise ValueError(f"{what} expects KEY=NUMBER, got {item!r}")
    return out


# ---------------------------------------------------------------- dataset


def _workload_specs(text: str) -> list[str]:
    """``--workloads``: a comma list of workload arguments (no weights)."""
    from tldse.workloads.resolve import parse_workload_list

    specs = parse_workload_list(text)
    weighted = [s for s, w in specs if w != 1.0]
    if weighted:
        raise ValueError(f"--workloads: a dataset has no weights (got {weighted[0]}*)")
    return [s for s, _ in specs]


def _names(specs: Sequence[str]) -> list[str]:
    from tldse.workloads.resolve import resolve_workload

    return [resolve_workload(s).name for s in specs]


def _dataset_tag(ds: Dataset) -> tuple[list[str], str]:
    """(workload names, space name) of a dataset, for default folder names."""
    m = ds.manifest
    space = (m.get("spec") or {}).get("space") or {}
    name = space.get("name", "space") if isinstance(space, dict) else str(space)
    return list(m.get("workload_names") or ["data"]), Path(name).stem


def cmd_dataset(args: argparse.Namespace) -> int:
    from tldse.learn.dataset import DatasetSpec, Fidelity, generate, load
    from tldse.space import DesignSpace

    workloads = tuple(_workload_specs(args.workloads))
    out_arg = args.out or default_out(
        "dataset", _names(workloads), DesignSpace.load(args.space).name
    )
    spec = DatasetSpec(
        space=args.space,
        workloads=workloads,
        n_configs=args.configs,
        method=args.method,
        seed=args.seed,
        kind="network" if args.per_network else "layer",
        batch=args.batch,
        dataflows=tuple(csv_list(args.dataflows)) if args.dataflows else None,
        fidelity=Fidelity(
            energy=args.energy_table,
            energy_overrides=_key_values(args.energy_set, "--energy-set"),
            dram_bw_scale=args.dram_bw_scale,
            glb_bw_scale=args.glb_bw_scale,
        ),
        shard_size=args.shard_size,
        mapper_objective=args.mapper_objective,
        mapper=args.mapper,
    )
    errors.print(
        f"dataset: {plural(spec.n_configs, 'design')} of {args.space} x "
        f"{', '.join(workloads)} ({spec.kind} rows) -> {out_arg}",
        markup=False,
    )
    args.interrupt_hint = (
        f"the finished shards are kept in {out_arg} (manifest.json); run the same "
        "command again to continue"
    )
    out = generate(
        spec,
        out_arg,
        overwrite=args.overwrite,
        progress=not args.quiet,
        threads=args.threads,
    )
    args.interrupt_hint = None
    ds = load(out)
    m = ds.manifest
    feasible = int((ds.frame["status"] == 0).sum())
    say(args).print(
        f"{out}: {plural(len(ds), 'row')} ({feasible:,} feasible) in "
        f"{plural(m['n_shards'], 'shard')}, {plural(len(ds.feature_names), 'feature')}"
        f", {plural(spec.n_configs, 'design')} x {', '.join(m['workload_names'])} "
        f"({spec.kind})",
        markup=False,
    )
    return 0


# ---------------------------------------------------------------- train


def _train_config(args: argparse.Namespace, **changes: Any) -> Any:
    from tldse.learn.train import TrainConfig

    weights = tuple(float(w) for w in csv_list(args.weights)) if args.weights else None
    cfg = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        schedule=args.schedule,
        patience=args.patience,
        val_fraction=args.val_fraction,
        loss=args.loss,
        weighting=args.weighting,
        weights=weights,
        seed=args.seed,
        device=args.device,
        threads=torch_threads(args),
        progress=not args.quiet,
    )
    return replace(cfg, **changes)


def _print_metrics(
    args: argparse.Namespace, title: str, results: dict[str, dict[str, float]]
) -> None:
    """One row per metric, one column per model."""
    keys: list[str] = []
    for m in results.values():
        keys += [k for k in m if k not in keys and k != "rows"]
    cols = [Column("metric", priority=0, text=True)]
    cols += [Column(name, priority=1) for name in results]
    rows = [
        {"metric": k, **{name: m.get(k, float("nan")) for name, m in results.items()}}
        for k in keys
    ]
    print_rows(args, cols, rows, title=title)


def _test_split(ds: Dataset, fraction: float, seed: int) -> tuple[Dataset, Dataset]:
    if not 0 < fraction < 1:
        raise ValueError(f"--test-fraction must be in (0, 1), got {fraction}")
    train, test = ds.split_designs((1 - fraction, fraction), seed=seed)
    return train.feasible(), test


@locks_out("tldse train")
def cmd_train(args: argparse.Namespace) -> int:
    from tldse.learn.dataset import load
    from tldse.learn.train import torch_threads as using_threads
    from tldse.learn.transfer import with_layer_counts

    threads = torch_threads(args)
    ds = with_layer_counts(load(args.data))
    out = Path(args.out) if args.out else default_out("train", *_dataset_tag(ds))
    saved: list[str] = []
    args.interrupt_hint = lambda: (
        (
            f"saved {', '.join(saved)}; "
            if saved
            else "no model was saved (a model is written when its training ends); "
        )
        + "run the command again (fewer --epochs end sooner)"
    )
    with using_threads(threads):
        results, n_test = _train(args, ds, out, saved)
    args.interrupt_hint = None
    _print_metrics(args, f"held-out designs ({plural(n_test, 'row')})", results)
    return 0


def _train(
    args: argparse.Namespace, ds: Dataset, out: Path, saved: list[str]
) -> tuple[dict[str, dict[str, float]], int]:
    """Trains the model(s) of ``tldse train``, saving each to ``out`` (listed in
    ``saved``); returns the held-out metrics per model and the test rows."""
    from tldse.learn.model import Surrogate
    from tldse.learn.train import fit
    from tldse.learn.transfer import score

    targets = csv_list(args.targets)
    train, test = _test_split(ds, args.test_fraction, args.seed)
    names = ds.feature_names
    x, y = train.x(names), train.y(targets)
    hidden = int_list(args.hidden, "--hidden")
    head = int_list(args.head_hidden, "--head-hidden")
    results: dict[str, dict[str, float]] = {}
    groups = [(t,) for t in targets] if args.single_task else [tuple(targets)]
    for group in groups:
        model = Surrogate.create(
            names, group, hidden=hidden, head_hidden=head, seed=args.seed
        )
        cols = [targets.index(t) for t in group]
        cfg = _train_config(args)
        if len(group) == 1:
            cfg = replace(cfg, weighting="fixed", weights=None)
        r = fit(model, x, y[:, cols], cfg)
        model.metadata["dataset"] = {
            "path": str(Path(args.data).resolve()),
            "spec": ds.manifest.get("spec"),
            "test_fraction": args.test_fraction,
        }
        metrics = score(model, test) if len(test) else {}
        model.metadata["test_metrics"] = metrics
        where = out / group[0] if args.single_task else out
        model.save(where)
        saved.append(str(where))
        name = "+".join(group)
        results[name] = metrics
        say(args).print(
            f"{name}: {plural(r.epochs, 'epoch')} (best {r.best_epoch}, {r.stopped}) "
            f"in {r.seconds:.1f} s on {plural(r.n_train, 'row')}; saved to {where}",
            markup=False,
        )
    return results, len(test)


# ---------------------------------------------------------------- transfer


@locks_out("tldse transfer")
def cmd_transfer(args: argparse.Namespace) -> int:
    import numpy as np

    from tldse.learn.dataset import load
    from tldse.learn.model import Surrogate
    from tldse.learn.train import torch_threads as using_threads
    from tldse.learn.transfer import (
        STRATEGY_LR,
        fine_tune,
        finetune_config,
        score,
        with_layer_counts,
    )

    threads = torch_threads(args)
    pre = Surrogate.load(args.model)
    ds = with_layer_counts(load(args.data))
    missing = [f for f in pre.feature_names if f not in ds.feature_names]
    if missing:
        raise ValueError(
            f"{args.data}: lacks the model's feature column(s) {', '.join(missing)}"
        )
    pool, test = _test_split(ds, args.test_fraction, args.seed)
    names = pre.feature_names
    targets = pre.targets
    if args.n < 2:
        raise ValueError(f"--n must be >= 2, got {args.n}")
    if args.n > len(pool):
        raise ValueError(f"--n {args.n}: only {len(pool)} training rows available")
    rng = np.random.default_rng(args.seed)
    idx = rng.choice(len(pool), size=args.n, replace=False)
    x, y = pool.x(names)[idx], pool.y(targets)[idx]
    cfg = finetune_config(
        args.strategy,
        epochs=args.epochs,
        patience=args.patience,
        lr=args.lr if args.lr is not None else STRATEGY_LR[args.strategy],
        batch_size=args.batch_size,
        seed=args.seed,
        device=args.device,
        threads=threads,
        progress=not args.quiet,
    )
    out = Path(args.out) if args.out else default_out("transfer", *_dataset_tag(ds))
    args.interrupt_hint = (
        "nothing was saved (the model is written when fine-tuning ends); run the "
        "command again"
    )
    with using_threads(threads):
        model, r = fine_tune(pre, x, y, args.strategy, k=args.k, config=cfg)
        results = {"pretrained (no fine-tuning)": score(pre, test)}
        results[f"fine-tuned ({args.strategy})"] = score(model, test)
    model.metadata["dataset"] = {
        "path": str(Path(args.data).resolve()),
        "spec": ds.manifest.get("spec"),
        "n": args.n,
    }
    model.metadata["test_metrics"] = results[f"fine-tuned ({args.strategy})"]
    model.save(out)
    args.interrupt_hint = None
    say(args).print(
        f"fine-tuned on {plural(args.n, 'sample')} ({args.strategy}): "
        f"{plural(r.epochs, 'epoch')} (best {r.best_epoch}, {r.stopped}) in "
        f"{r.seconds:.2f} s; saved to {out}",
        markup=False,
    )
    _print_metrics(args, f"held-out designs ({plural(len(test), 'row')})", results)
    return 0


# ---------------------------------------------------------------- parser


def cmd_pretrain(args: argparse.Namespace) -> int:
    from tldse.learn.fidelity import FidelityError, FidelityModel
    from tldse.learn.pretrain import pretrain_config, pretrained_model, pretrained_path

    cfg = pretrain_config(args.size)
    path = pretrained_path(cfg)
    if args.where:
        say(args).print(str(path), markup=False)
        return 0
    model, state = None, "cached"
    if (path / "fidelity.json").is_file() and not args.rebuild:
        try:
            model = FidelityModel.load(path)
        except FidelityError as exc:
            state = f"rebuilt (the cached one was unusable: {exc})"
    if model is None:
        model = pretrained_model(
            cfg,
            rebuild=True,
            progress=not args.quiet,
            say=None if args.quiet else lambda m: errors.print(m, markup=False),
        )
        state = "built" if state == "cached" else state
    meta = model.metadata.get("pretraining", {})
    val, prior = meta.get("validation_mape", {}), meta.get("prior_mape", {})
    say(args).print(
        f"{state} pretrained model ({cfg.size}: "
        f"{meta.get('rows', 0):,} rows, {len(model.members)} members, "
        f"{meta.get('seconds', 0):.0f} s to build, "
        f"{meta.get('cpu_seconds', 0):.0f} CPU-s) in {path}; held-out MAPE "
        + ", ".join(
            f"{t} {val[t]:.2f}% (prior alone {prior.get(t, float('nan')):.1f}%)"
            for t in val
        ),
        markup=False,
    )
    return 0


def _add_train_args(p: argparse.ArgumentParser, *, finetune: bool = False) -> None:
    p.add_argument("--epochs", type=int, default=300, help="maximum epochs (300)")
    p.add_argument(
        "--patience",
        type=int,
        default=30,
        help="stop after this many epochs without validation gain (30)",
    )
    p.add_argument(
        "--batch-size", type=int, default=512 if finetune else 1024, help="minibatch"
    )
    p.add_argument("--seed", type=int, default=0, help="seed (0)")
    p.add_argument(
        "--device",
        default="cpu",
        help="cpu (default), cuda, cuda:N, or auto (cuda when available)",
    )
    add_torch_threads_arg(p)
    p.add_argument(
        "--test-fraction",
        type=float,
        default=0.2,
        help="share of designs held out for the reported metrics (0.2)",
    )
    add_quiet_arg(p)
    add_format_args(p, "the held-out metrics")


def register(subparsers: Any) -> None:
    """Adds ``dataset``, ``train`` and ``transfer`` to ``tldse``."""

    # dataset
    d = subparsers.add_parser(
        "dataset",
        help="sample designs x layers, label them with the simulator (Parquet)",
        description="Samples designs from a space, simulates them on every distinct "
        "layer of the workloads (or per network with --per-network) and writes "
        "features and targets as Parquet shards with a manifest. Re-running with "
        "the same arguments continues an interrupted run.",
    )
    d.add_argument(
        "out",
        nargs="?",
        help="output folder (default ./dataset-WORKLOADS-SPACE)",
    )
    d.add_argument(
        "--space", default="edge", help="built-in space (edge, cloud, tiny) or file"
    )
    d.add_argument(
        "--workloads",
        default="resnet50",
        help="comma list of workloads: zoo names (NAME:KEY=VALUE for options) or "
        "topology files",
    )
    d.add_argument("--configs", type=int, default=1000, help="designs sampled (1000)")
    d.add_argument("--method", choices=("random", "lhs", "sobol"), default="random")
    d.add_argument("--seed", type=int, default=0, help="sampling seed (0)")
    d.add_argument("--batch", type=int, default=1, help="workload batch size (1)")
    d.add_argument("--dataflows", help="restrict the space's dataflows, e.g. ws,os,is")
    d.add_argument(
        "--per-network",
        action="store_true",
        help="one row per (design, workload) with network totals",
    )
    add_energy_arg(d, default=None)
    d.add_argument(
        "--energy-set",
        action="append",
        metavar="KEY=VALUE",
        help="override an energy-table field for labelling, e.g. dram_pj=400",
    )
    d.add_argument(
        "--dram-bw-scale",
        type=float,
        default=1.0,
        help="simulate with this x the nominal DRAM bandwidth (features unchanged)",
    )
    d.add_argument("--glb-bw-scale", type=float, default=1.0, help="same for the GLB")
    d.add_argument("--shard-size", type=int, default=256, help="designs per shard")
    add_mapper_args(d)
    add_threads_arg(d)
    d.add_argument("--overwrite", action="store_true", help="replace another dataset")
    add_quiet_arg(d)
    d.set_defaults(func=cmd_dataset)

    # train
    t = subparsers.add_parser(
        "train",
        help="train the multi-task surrogate on a dataset",
        description="Trains a shared-trunk multi-task network (or --single-task "
        "MLPs) on a dataset folder, reports MAPE / Kendall tau / top-k recall on "
        "held-out designs and saves model.pt + model.json.",
    )
    t.add_argument("data", help="dataset folder (tldse dataset)")
    t.add_argument(
        "--out", help="model folder (default ./train-WORKLOADS-SPACE of the dataset)"
    )
    t.add_argument(
        "--targets",
        default="latency,energy",
        help="comma list of latency, energy, area, utilization",
    )
    t.add_argument(
        "--single-task",
        action="store_true",
        help="one MLP per target (saved in OUT/<target>)",
    )
    t.add_argument("--hidden", default="256,256,256", help="trunk widths")
    t.add_argument("--head-hidden", default="64", help="head hidden widths")
    t.add_argument("--lr", type=float, default=2e-3, help="AdamW learning rate")
    t.add_argument("--weight-decay", type=float, default=1e-4)
    t.add_argument("--schedule", choices=SCHEDULES, default="cosine")
    t.add_argument("--loss", choices=LOSSES, default="mse")
    t.add_argument(
        "--weighting",
        choices=WEIGHTINGS,
        default="uncertainty",
        help="multi-task loss: learned uncertainty weights or fixed --weights",
    )
    t.add_argument("--weights", help="fixed loss weights, one per target")
    t.add_argument("--val-fraction", type=float, default=0.1)
    _add_train_args(t)
    t.set_defaults(func=cmd_train)

    # transfer
    f = subparsers.add_parser(
        "transfer",
        help="fine-tune a trained surrogate on a few samples of a new task",
        description="Fine-tunes a saved model on --n samples of a target dataset "
        "(strategy head, last-k or full) and reports it against the pretrained "
        "model on held-out designs of the target.",
    )
    f.add_argument("--model", required=True, help="pretrained model folder")
    f.add_argument("--data", required=True, help="target dataset folder")
    f.add_argument(
        "--out",
        help="fine-tuned model folder (default ./transfer-WORKLOADS-SPACE of the "
        "target dataset)",
    )
    f.add_argument("--n", type=int, default=100, help="target samples (100)")
    f.add_argument("--strategy", choices=STRATEGIES, default="full")
    f.add_argument("--k", type=int, default=1, help="trunk blocks for last-k (1)")
    f.add_argument(
        "--lr", type=float, default=None, help="learning rate (default per strategy)"
    )
    _add_train_args(f, finetune=True)
    f.set_defaults(func=cmd_transfer)

    # pretrain
    pr = subparsers.add_parser(
        "pretrain",
        help="build (or show) the model pretrained on the analytical model",
        description="Pretrains the multi-fidelity model on the analytical model "
        "(zoo and synthetic layer shapes, edge and small-buffer designs, all four "
        "dataflows; targets log(tldse / prior)) and keeps it in the user cache "
        "($TLDSE_CACHE_DIR, else $XDG_CACHE_HOME/tldse or ~/.cache/tldse), keyed "
        "by the tldse version and the feature list. Commands that need it (explore "
        "with an expensive --evaluator, experiment fidelity) build it on first use.",
    )
    pr.add_argument(
        "--size",
        choices=PRETRAIN_SIZES,
        default="quick",
        help="quick (default): 200,000 rows, 3 members (a few CPU-minutes); "
        "full: 1,000,000 rows; tiny: 3,000 rows (seconds, a smoke test)",
    )
    pr.add_argument("--rebuild", action="store_true", help="build it again")
    pr.add_argument(
        "--where", action="store_true", help="print the cache folder and exit"
    )
    add_quiet_arg(pr)
    pr.set_defaults(func=cmd_pretrain)
