"""``tldse experiment transfer``: transfer learning against training from
scratch.

:func:`run_experiment` pretrains on source tasks (classic CNNs on the
``ws``/``os``/``is`` dataflows), then for each target kind (a new workload, a new
dataflow, a new fidelity), each number of target samples N and each seed compares
transfer against (a) one single-task MLP per target and (b) the multi-task model,
both trained from scratch on the same N samples, on held-out designs of the target.
It writes ``results.json`` (every number), ``results.md`` (tables) and PNG plots.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tldse._util.io import (
    jsonable,
    package_version,
    write_atomic,
    write_json_atomic,
)
from tldse._util.progress import Progress, note
from tldse._util.table import plural
from tldse.experiments import mean_std
from tldse.learn.dataset import Dataset, DatasetSpec, Fidelity, generate, load
from tldse.learn.model import Surrogate
from tldse.learn.train import DEFAULT_THREADS, TrainConfig, fit
from tldse.learn.transfer import (
    STRATEGIES,
    fine_tune,
    finetune_config,
    raw_targets,
    score,
    score_predictions,
    scratch_config,
    scratch_models,
    with_layer_counts,
)
from tldse.reporting.plots import figure, log_axes, save_png
from tldse.workloads.layer import Layer, Workload

TARGET_KINDS: tuple[str, ...] = ("workload", "dataflow", "fidelity", "outside")


def convnext_style(batch: int = 1) -> Workload:
    """A ConvNeXt-T-like network written as a layer table (not in the zoo): a
    4x4/4 stem, stages of [7x7 depthwise (pad 3), 1x1 expansion x4, 1x1
    projection] with depths (3, 3, 9, 3) and widths (96, 192, 384, 768), 2x2/2
    downsampling convolutions between stages and a 768 -> 1000 classifier, at
    224x224 (after Liu et al., CVPR 2022; norms and activations are not
    simulated)."""
    layers = [Layer.conv("stem", c=3, k=96, h=224, r=4, stride=4, n=batch)]
    size, dims, depths = 56, (96, 192, 384, 768), (3, 3, 9, 3)
    for si, (d, depth) in enumerate(zip(dims, depths, strict=True)):
        if si:
            layers.append(Layer.conv(f"down{si}", c=dims[si - 1], k=d, h=size * 2,
                                     r=2, stride=2, n=batch))  # fmt: skip
        for b in range(depth):
            pre = f"s{si}b{b}"
            layers += [
                Layer.conv(f"{pre}.dw", c=d, k=d, h=size, r=7, pad=3, groups=d,
                           n=batch),
                Layer.conv(f"{pre}.pw1", c=d, k=4 * d, h=size, r=1, n=batch),
                Layer.conv(f"{pre}.pw2", c=4 * d, k=d, h=size, r=1, n=batch),
            ]  # fmt: skip
        size //= 2
    layers.append(Layer.gemm("head", m=batch, n=1000, k=768))
    return Workload("convnext_style", layers)


@dataclass
class ExperimentConfig:
    """Everything the transfer experiment does; ``sizes()`` holds the presets."""

    size: str = "full"
    space: str = "edge"
    source_workloads: tuple[str, ...] = ("alexnet", "vgg16", "resnet18", "resnet50")
    source_dataflows: tuple[str, ...] = ("ws", "os", "is")
    target_workload: str = "mobilenet_v2"
    target_dataflows: tuple[str, ...] = ("rs",)
    fidelity: Fidelity = field(
        default_factory=lambda: Fidelity(
            energy_overrides={"dram_pj": 400.0, "glb_pj": 2.5}, dram_bw_scale=0.5
        )
    )
    kinds: tuple[str, ...] = TARGET_KINDS
    #: the "outside" kind's network (a layer CSV is written to OUT/data)
    outside_workload: str = "convnext_style"
    targets: tuple[str, ...] = ("latency", "energy")
    #: the multi-fidelity model (tldse.learn.pretrain size; "" leaves it out):
    #: pretrained once on the analytical model, transferred to each target by
    #: cross-validation (method "fidelity")
    fidelity_pretrained: str = "quick"
    source_configs: int = 2500
    test_configs: int = 300
    pool_configs: int = 1000
    ns: tuple[int, ...] = (50, 100, 200, 500, 1000, 5000)
    seeds: tuple[int, ...] = (0, 1, 2)
    hidden: tuple[int, ...] = (256, 256, 256)
    head_hidden: tuple[int, ...] = (64,)
    strategies: tuple[str, ...] = STRATEGIES
    last_k: int = 1
    pretrain: TrainConfig = field(
        default_factory=lambda: TrainConfig(
            epochs=40, batch_size=1024, lr=2e-3, patience=10
        )
    )
    finetune_epochs: int = 300
    finetune_patience: int = 30
    scratch_epochs: int = 500
    scratch_patience: int = 50
    batch_size: int = 512
    top_k: int = 10
    data_seed: int = 1000
    device: str = "cpu"
    #: torch CPU threads for the whole experiment (None or 0: torch's default)
    threads: int | None = DEFAULT_THREADS

    def check(self) -> None:
        bad = [k for k in self.kinds if k not in TARGET_KINDS]
        if bad or not self.kinds:
            raise ValueError(
                f"kinds: expected some of {', '.join(TARGET_KINDS)}, got {bad}"
            )
        bad = [s for s in self.strategies if s not in STRATEGIES]
        if bad or not self.strategies:
            raise ValueError(
                f"strategies: expected some of {', '.join(STRATEGIES)}, got {bad}"
            )
        if not self.ns or min(self.ns) < 2:
            raise ValueError(f"ns: sample counts must be >= 2, got {list(self.ns)}")
        if not self.seeds:
            raise ValueError("seeds: at least one seed")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["fidelity"] = self.fidelity.to_dict()
        d["pretrain"] = self.pretrain.to_dict()
        return d


def sizes() -> dict[str, ExperimentConfig]:
    """The presets: ``full`` (the issue's), ``medium``, ``quick`` and ``tiny``."""
    full = ExperimentConfig()
    medium = replace(full, size="medium", ns=(50, 100, 200, 500, 1000))
    quick = replace(
        full,
        size="quick",
        source_configs=1000,
        test_configs=150,
        pool_configs=300,
        ns=(50, 100, 500),
        seeds=(0,),
        hidden=(128, 128, 128),
        pretrain=TrainConfig(epochs=30, batch_size=1024, lr=3e-3, patience=10),
        finetune_epochs=200,
        scratch_epochs=300,
        scratch_patience=30,
    )
    tiny = replace(
        quick,
        size="tiny",
        source_workloads=("alexnet", "resnet18"),
        source_configs=60,
        test_configs=20,
        pool_configs=30,
        ns=(50, 100),
        hidden=(32, 32),
        head_hidden=(16,),
        fidelity_pretrained="tiny",
        pretrain=TrainConfig(epochs=5, batch_size=512, lr=3e-3, patience=5),
        finetune_epochs=10,
        finetune_patience=5,
        scratch_epochs=10,
        scratch_patience=5,
    )
    return {c.size: c for c in (full, medium, quick, tiny)}


def experiment_config(size: str = "full", **changes: Any) -> ExperimentConfig:
    presets = sizes()
    if size not in presets:
        raise ValueError(f"size must be one of {', '.join(presets)}, got {size!r}")
    return replace(presets[size], **changes)


def _task_specs(
    cfg: ExperimentConfig, data_dir: Path | None = None
) -> dict[str, DatasetSpec]:
    n_target = cfg.pool_configs + cfg.test_configs
    outside = cfg.outside_workload
    if "outside" in cfg.kinds and outside == "convnext_style":
        from tldse.workloads.importers.scalesim import to_layer_csv

        path = Path(data_dir or ".") / "convnext_style.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        outside = str(to_layer_csv(convnext_style(), path).resolve())
    common = {"space": cfg.space, "shard_size": 512}
    specs = {
        "source": DatasetSpec(
            workloads=cfg.source_workloads,
            n_configs=cfg.source_configs + cfg.test_configs,
            dataflows=cfg.source_dataflows,
            seed=cfg.data_seed,
            **common,  # type: ignore[arg-type]
        ),
        "workload": DatasetSpec(
            workloads=(cfg.target_workload,),
            n_configs=n_target,
            dataflows=cfg.source_dataflows,
            seed=cfg.data_seed + 1,
            **common,  # type: ignore[arg-type]
        ),
        "dataflow": DatasetSpec(
            workloads=cfg.source_workloads,
            n_configs=n_target,
            dataflows=cfg.target_dataflows,
            seed=cfg.data_seed + 2,
            **common,  # type: ignore[arg-type]
        ),
        "fidelity": DatasetSpec(
            workloads=cfg.source_workloads,
            n_configs=n_target,
            dataflows=cfg.source_dataflows,
            fidelity=cfg.fidelity,
            seed=cfg.data_seed + 3,
            **common,  # type: ignore[arg-type]
        ),
        "outside": DatasetSpec(
            workloads=(outside,),
            n_configs=n_target,
            dataflows=cfg.source_dataflows,
            seed=cfg.data_seed + 4,
            **common,  # type: ignore[arg-type]
        ),
    }
    return {k: v for k, v in specs.items() if k == "source" or k in cfg.kinds}


def _split_test(ds: Dataset, n_test: int, seed: int) -> tuple[Dataset, Dataset]:
    """(train pool, test): ``n_test`` designs held out."""
    designs = np.unique(ds.designs())
    frac = min(max(n_test / len(designs), 0.0), 1.0)
    pool, test = ds.split_designs((1.0 - frac, frac), seed=seed)
    return pool, test


@dataclass
class _Run:
    method: str
    metrics: dict[str, float]
    seconds: float
    cpu_seconds: float
    epochs: int
    extra: dict[str, Any] = field(default_factory=dict)


def run_experiment(
    config: ExperimentConfig,
    out: str | Path,
    *,
    progress: bool = True,
    plots: bool = True,
) -> dict[str, Any]:
    """Runs the experiment, writes ``out/results.{json,md}`` and plots; returns
    the results dictionary (also in ``results.json``)."""
    import torch

    cfg = config
    cfg.check()

    def say(msg: str) -> None:
        note(progress, msg)

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    say(f"torch: {plural(torch.get_num_threads(), 'CPU thread')}, {cfg.device}")

    # ---- data (resumable, cached in out/data)
    specs = _task_specs(cfg, out_dir / "data")
    data: dict[str, Dataset] = {}
    t_data = time.perf_counter()
    for name, spec in specs.items():
        folder = generate(spec, out_dir / "data" / name, progress=progress)
        data[name] = with_layer_counts(load(folder))
    data_seconds = time.perf_counter() - t_data
    source_pool, source_test = _split_test(
        data["source"], cfg.test_configs, cfg.data_seed
    )
    source_pool, source_test = source_pool.feasible(), source_test.feasible()
    tasks = {
        k: tuple(
            d.feasible() for d in _split_test(data[k], cfg.test_configs, cfg.data_seed)
        )
        for k in cfg.kinds
    }
    names = data["source"].feature_names
    tg = cfg.targets
    say(
        f"data: source {len(source_pool)} train rows / {len(source_test)} test rows; "
        + ", ".join(f"{k} pool {len(p)} / test {len(t)}" for k, (p, t) in tasks.items())
        + f" ({data_seconds:.1f} s)"
    )

    def create(targets: Sequence[str], seed: int) -> Surrogate:
        return Surrogate.create(
            names, targets, hidden=cfg.hidden, head_hidden=cfg.head_hidden, seed=seed
        )

    def raw_pred(model: Surrogate, ds: Dataset) -> dict[str, npt.NDArray[Any]]:
        return model.predict_values(ds.x(names))

    results: dict[str, Any] = {
        "experiment": "transfer",
        "config": cfg.to_dict(),
        "environment": _environment(),
        "data": {
            "seconds": data_seconds,
            "source_train_rows": len(source_pool),
            "source_test_rows": len(source_test),
            "tasks": {
                k: {"pool_rows": len(p), "test_rows": len(t)}
                for k, (p, t) in tasks.items()
            },
            "specs": {k: v.to_dict() for k, v in specs.items()},
        },
        "pretrain": [],
        "runs": [],
    }
    fid_pre, fid_pairs = None, {}
    if cfg.fidelity_pretrained:
        from tldse.learn.pretrain import pretrained_model

        t_fid = time.perf_counter()
        fid_pre = pretrained_model(cfg.fidelity_pretrained, say=say)
        results["fidelity_pretrain"] = {
            **fid_pre.metadata.get("pretraining", {}),
            "load_or_build_seconds": time.perf_counter() - t_fid,
        }
        fid_pairs = {k: tuple(_pairs(d) for d in tasks[k]) for k in cfg.kinds}
    n_runs = len(cfg.seeds) * (1 + len(cfg.kinds) * len(cfg.ns))
    parity: dict[str, Any] = {"_n": _parity_n(cfg.ns), "_seed": cfg.seeds[0]}
    with Progress(progress, n_runs, "transfer experiment", "steps") as bar:
        for seed in cfg.seeds:
            # ---- pretraining on the source tasks
            pre = create(tg, seed)
            x_src, y_src = source_pool.x(names), source_pool.y(tg)
            r = fit(
                pre,
                x_src,
                y_src,
                replace(cfg.pretrain, seed=seed, device=cfg.device),
            )
            pre.metadata["dataset"] = {"spec": specs["source"].to_dict()}
            in_dist = score(pre, source_test, top_k=cfg.top_k)
            results["pretrain"].append(
                {
                    "seed": seed,
                    "seconds": r.seconds,
                    "cpu_seconds": r.cpu_seconds,
                    "epochs": r.epochs,
                    "best_epoch": r.best_epoch,
                    "stopped": r.stopped,
                    "n_train": r.n_train,
                    "parameters": pre.n_parameters(),
                    "in_distribution": in_dist,
                }
            )
            say(
                f"seed {seed}: pretrained in {r.seconds:.1f} s "
                f"({plural(r.epochs, 'epoch')}); "
                "in-distribution MAPE "
                + ", ".join(f"{t} {in_dist[f'mape_{t}']:.2f}%" for t in tg)
            )
            if seed == cfg.seeds[0]:
                pre.save(out_dir / "models" / f"pretrained-seed{seed}")
                parity["in_distribution"] = _parity(
                    source_test, raw_pred(pre, source_test), tg
                )
            bar.advance()
            for kind in cfg.kinds:
                pool, test = tasks[kind]
                x_pool, y_pool = pool.x(names), pool.y(tg)
                zero = score_predictions(test, raw_pred(pre, test), top_k=cfg.top_k)
                results["runs"].append(
                    {"seed": seed, "kind": kind, "n": 0, "method": "zero-shot",
                     "metrics": zero, "seconds": 0.0, "cpu_seconds": 0.0,
                     "epochs": 0}
                )  # fmt: skip
                if fid_pre is not None:
                    fz = fid_pre.predict(fid_pairs[kind][1]).values
                    results["runs"].append(
                        {"seed": seed, "kind": kind, "n": 0,
                         "method": "fidelity-zero-shot",
                         "metrics": score_predictions(test, fz, top_k=cfg.top_k),
                         "seconds": 0.0, "cpu_seconds": 0.0, "epochs": 0}
                    )  # fmt: skip
                for n in cfg.ns:
                    rng = np.random.default_rng([seed, n, TARGET_KINDS.index(kind)])
                    if n > len(x_pool):
                        say(f"{kind}: N={n} > pool of {len(x_pool)} rows; skipped")
                        bar.advance()
                        continue
                    idx = rng.choice(len(x_pool), size=n, replace=False)
                    x, y = x_pool[idx], y_pool[idx]
                    runs = _one_setting(cfg, pre, x, y, seed, test, names)
                    if fid_pre is not None:
                        runs.append(
                            _fidelity_run(fid_pre, fid_pairs[kind], pool, idx, test,
                                          tg, seed, cfg.top_k)
                        )  # fmt: skip
                    for run in runs:
                        pts = run.extra.pop("_parity", None)
                        if seed == cfg.seeds[0] and n == _parity_n(cfg.ns):
                            parity.setdefault(kind, {})[run.method] = pts
                        results["runs"].append(
                            {
                                "seed": seed,
                                "kind": kind,
                                "n": n,
                                "method": run.method,
                                "metrics": run.metrics,
                                "seconds": run.seconds,
                                "cpu_seconds": run.cpu_seconds,
                                "epochs": run.epochs,
                                **run.extra,
                            }
                        )
                    msg = ", ".join(
                        f"{rr.method} {_err(rr.metrics, tg):.2f}% {rr.seconds:.1f}s"
                        for rr in runs
                    )
                    say(f"seed {seed} {kind} N={n}: {msg}")
                    bar.advance()
    results["seconds"] = time.perf_counter() - t_start
    results["environment"]["load_average_at_end"] = list(os.getloadavg())
    results["summary"] = summarise(results)
    results["targets_check"] = check_targets(results)
    write_json_atomic(out_dir / "results.json", jsonable(results))
    write_atomic(out_dir / "results.md", markdown(results))
    write_json_atomic(out_dir / "parity.json", jsonable(parity))
    if plots:
        results["plots"] = write_plots(results, parity, out_dir)
    return results


def _pairs(ds: Dataset) -> Any:
    """The (design, layer) rows of a dataset as fidelity-model pairs."""
    from tldse.arch import CONFIG_COLUMNS
    from tldse.learn.fidelity import Pairs
    from tldse.workloads.layer import LAYER_COLUMNS

    f = ds.frame
    cfg = f[[f"cfg_{c}" for c in CONFIG_COLUMNS]].to_numpy(np.float64)
    lay = np.array(f[[f"layer_{c}" for c in LAYER_COLUMNS]].to_numpy(np.float64))
    lay[:, -1] = 1
    return Pairs(cfg, lay)


def _fidelity_run(
    pre: Any,
    pairs: tuple[Any, Any],
    pool: Dataset,
    idx: npt.NDArray[np.int64],
    test: Dataset,
    targets: Sequence[str],
    seed: int,
    top_k: int,
) -> _Run:
    """The multi-fidelity model on a target: the pretrained model (the prior
    as features and reference) adapted to the N samples by cross-validation
    among the prior alone, zero-shot, offset and fine-tuning candidates."""
    import torch

    from tldse.learn.transfer import transfer

    truth = raw_targets(pool, targets)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small networks, full batches: one thread is fastest
    try:
        res = transfer(
            pre, pairs[0].take(idx), {t: v[idx] for t, v in truth.items()},
            targets, seed=seed,
        )  # fmt: skip
        pred = res.model.predict(pairs[1]).values
    finally:
        torch.set_num_threads(threads)
    return _Run(
        "fidelity",
        score_predictions(test, pred, top_k=top_k),
        res.seconds,
        res.cpu_seconds,
        0,
        {"chosen": res.chosen, "cv": res.cv, "_parity": _parity(test, pred, targets)},
    )


def _parity_n(ns: Sequence[int]) -> int:
    return 100 if 100 in ns else min(ns)


def _err(metrics: Mapping[str, float], targets: Sequence[str]) -> float:
    return float(np.mean([metrics[f"mape_{t}"] for t in targets]))


def _one_setting(
    cfg: ExperimentConfig,
    pre: Surrogate,
    x: npt.NDArray[np.float32],
    y: npt.NDArray[np.float32],
    seed: int,
    test: Dataset,
    names: Sequence[str],
) -> list[_Run]:
    tg = cfg.targets
    x_test = test.x(names)
    common = {"seed": seed, "device": cfg.device, "batch_size": cfg.batch_size}
    runs: list[_Run] = []
    # transfer: every strategy, the one with the best validation error is kept
    cands = []
    for strategy in cfg.strategies:
        ft_cfg = finetune_config(
            strategy,
            epochs=cfg.finetune_epochs,
            patience=cfg.finetune_patience,
            **common,
        )
        model, r = fine_tune(pre, x, y, strategy, k=cfg.last_k, config=ft_cfg)
        pred = model.predict_values(x_test)
        cands.append((r.best_val, strategy, model, r, pred))
    best = min(cands, key=lambda c: c[0])
    per_strategy: dict[str, dict[str, Any]] = {
        s: {
            "val": v,
            "seconds": rr.seconds,
            "cpu_seconds": rr.cpu_seconds,
            "epochs": rr.epochs,
            "metrics": score_predictions(test, p, top_k=cfg.top_k),
        }
        for v, s, _, rr, p in cands
    }
    runs.append(
        _Run(
            "transfer",
            per_strategy[best[1]]["metrics"],
            sum(c[3].seconds for c in cands),
            sum(c[3].cpu_seconds for c in cands),
            best[3].epochs,
            {
                "strategy": best[1],
                "chosen_seconds": best[3].seconds,
                "strategies": per_strategy,
                "_parity": _parity(test, best[4], tg),
            },
        )
    )
    # (b) the multi-task model from scratch, (a) one single-task MLP per target
    sc_cfg = scratch_config(
        epochs=cfg.scratch_epochs, patience=cfg.scratch_patience, **common
    )
    (mt, r), singles = scratch_models(
        names, x, y, tg, sc_cfg, seed=seed, hidden=cfg.hidden,
        head_hidden=cfg.head_hidden,
    )  # fmt: skip
    pred = mt.predict_values(x_test)
    runs.append(
        _Run(
            "scratch-mt",
            score_predictions(test, pred, top_k=cfg.top_k),
            r.seconds,
            r.cpu_seconds,
            r.epochs,
            {"_parity": _parity(test, pred, tg)},
        )
    )
    preds = {t: st.predict_values(x_test)[t] for (st, _), t in
             zip(singles, tg, strict=True)}  # fmt: skip
    epochs = [rr.epochs for _, rr in singles]
    runs.append(
        _Run(
            "mlp",
            score_predictions(test, preds, top_k=cfg.top_k),
            sum(rr.seconds for _, rr in singles),
            sum(rr.cpu_seconds for _, rr in singles),
            int(sum(epochs)),
            {"epochs_per_target": epochs, "_parity": _parity(test, preds, tg)},
        )
    )
    return runs


def _parity(
    ds: Dataset, pred: Mapping[str, npt.NDArray[Any]], targets: Sequence[str]
) -> dict[str, Any]:
    """Up to 3000 (true, predicted) pairs per target for the parity plots."""
    n = len(ds)
    idx = np.random.default_rng(0).permutation(n)[:3000]
    true = raw_targets(ds, targets)
    return {
        t: {"true": true[t][idx].tolist(), "pred": np.asarray(pred[t])[idx].tolist()}
        for t in targets
    }


def _environment() -> dict[str, Any]:
    import torch

    return {
        "tldse": package_version(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
        "load_average_at_start": list(os.getloadavg()),
    }


# ---------------------------------------------------------------- summaries

METHODS: tuple[str, ...] = ("transfer", "scratch-mt", "mlp")
METHOD_LABELS = {
    "transfer": "transfer",
    "scratch-mt": "multi-task, scratch",
    "mlp": "single-task MLPs",
    "zero-shot": "pretrained, no fine-tuning",
}
_SUMMARY_KEYS = ("mape_latency", "mape_energy", "tau_latency", "tau_energy",
                 "net_mape_latency", "net_mape_energy", "layer_tau_latency",
                 "layer_tau_energy")  # fmt: skip


def summarise(results: Mapping[str, Any]) -> dict[str, Any]:
    """Mean and std over seeds per (kind, N, method)."""
    groups: dict[tuple[str, int, str], list[Mapping[str, Any]]] = {}
    for run in results["runs"]:
        groups.setdefault((run["kind"], run["n"], run["method"]), []).append(run)
    rows = []
    for (kind, n, method), runs in sorted(groups.items()):
        row: dict[str, Any] = {"kind": kind, "n": n, "method": method,
                               "seeds": len(runs)}  # fmt: skip
        keys = {k for r in runs for k in r["metrics"] if k != "rows"}
        for key in sorted(keys):
            m, s = mean_std([r["metrics"].get(key) for r in runs])
            row[key], row[f"{key}_std"] = m, s
        row["seconds"], row["seconds_std"] = mean_std([r["seconds"] for r in runs])
        row["cpu_seconds"], _ = mean_std([r["cpu_seconds"] for r in runs])
        row["epochs"], _ = mean_std([r["epochs"] for r in runs])
        if method == "fidelity":
            picks = [str(r.get("chosen")) for r in runs]
            row["chosen"] = {s: picks.count(s) for s in sorted(set(picks))}
        if method == "transfer":
            picks = [str(r.get("strategy")) for r in runs]
            row["strategies"] = {s: picks.count(s) for s in sorted(set(picks))}
            row["chosen_seconds"], _ = mean_std([r["chosen_seconds"] for r in runs])
        rows.append(row)
    pre = results["pretrain"]
    in_dist: dict[str, Any] = {}
    if pre:
        keys = {k for p in pre for k in p["in_distribution"] if k != "rows"}
        for key in sorted(keys):
            m, s = mean_std([p["in_distribution"].get(key) for p in pre])
            in_dist[key], in_dist[f"{key}_std"] = m, s
        in_dist["seconds"], _ = mean_std([p["seconds"] for p in pre])
        in_dist["epochs"], _ = mean_std([p["epochs"] for p in pre])
    return {"rows": rows, "in_distribution": in_dist}


def _row(summary: Mapping[str, Any], kind: str, n: int, method: str) -> dict[str, Any]:
    for row in summary["rows"]:
        if (row["kind"], row["n"], row["method"]) == (kind, n, method):
            return dict(row)
    return {}


def _worst(row: Mapping[str, Any], targets: Sequence[str]) -> float:
    vals = [row.get(f"mape_{t}", math.nan) for t in targets]
    return float(max(vals)) if vals else math.nan


def check_targets(results: Mapping[str, Any]) -> dict[str, Any]:
    """The issue's three targets, measured (mean over seeds)."""
    summ = results["summary"]
    cfg = results["config"]
    tg = list(cfg["targets"])
    ind = summ["in_distribution"]
    checks: dict[str, Any] = {}
    if ind:
        checks["in_distribution"] = {
            "mape": {t: ind.get(f"mape_{t}") for t in tg},
            "tau": {t: ind.get(f"tau_{t}") for t in tg},
            "target": "MAPE <= 3% (latency, energy), Kendall tau >= 0.95",
            "met": all(ind.get(f"mape_{t}", math.inf) <= 3.0 for t in tg)
            and all(ind.get(f"tau_{t}", -1) >= 0.95 for t in tg),
        }
    n_ref = 100 if 100 in cfg["ns"] else min(cfg["ns"])
    per_kind: dict[str, Any] = {}
    for kind in cfg["kinds"]:
        tr = _row(summ, kind, n_ref, "transfer")
        sc = _row(summ, kind, n_ref, "scratch-mt")
        if not tr or not sc:
            continue
        t_err, s_err = _worst(tr, tg), _worst(sc, tg)
        reduction = {
            t: 1.0 - tr[f"mape_{t}"] / sc[f"mape_{t}"] for t in tg if sc[f"mape_{t}"]
        }
        per_kind[kind] = {
            "n": n_ref,
            "transfer_mape": {t: tr[f"mape_{t}"] for t in tg},
            "scratch_mape": {t: sc[f"mape_{t}"] for t in tg},
            "error_reduction": reduction,
            "met_mape": t_err <= 5.0,
            "met_reduction": all(v >= 0.5 for v in reduction.values()),
            "worst_transfer_mape": t_err,
            "worst_scratch_mape": s_err,
        }
        per_kind[kind]["time_to_accuracy"] = _time_to_accuracy(summ, kind, cfg, tg)
        fi = _row(summ, kind, n_ref, "fidelity")
        if fi:
            per_kind[kind]["fidelity_mape"] = {t: fi[f"mape_{t}"] for t in tg}
            per_kind[kind]["fidelity_met_mape"] = _worst(fi, tg) <= 5.0
            per_kind[kind]["fidelity_error_reduction"] = {
                t: 1.0 - fi[f"mape_{t}"] / sc[f"mape_{t}"]
                for t in tg
                if sc[f"mape_{t}"]
            }
    checks["transfer_at_n"] = per_kind
    return checks


def fidelity_section(results: Mapping[str, Any]) -> list[str]:
    """The multi-fidelity model's table and its honest time accounting."""
    pre = results.get("fidelity_pretrain")
    if not pre:
        return []
    summ, cfg = results["summary"], results["config"]
    runs = [r for r in results["runs"] if r["method"] == "fidelity"]
    k = len(runs)
    sel = float(np.mean([r["seconds"] for r in runs])) if runs else math.nan
    build, cpu = pre.get("seconds", math.nan), pre.get("cpu_seconds", math.nan)
    built = pre.get("load_or_build_seconds", 0) > 0.5 * build
    where = "was built" if built else "came from the cache"
    out = [
        "## Multi-fidelity transfer (the prior as features and reference)",
        "",
        "The model pretrained once on the analytical model (`tldse pretrain --size "
        f"{cfg['fidelity_pretrained']}`: {pre.get('rows', 0):,} rows of zoo and "
        "synthetic layer shapes on edge and small-buffer designs, all four "
        "dataflows; targets log(tldse / prior)), adapted to each target by 5-fold "
        "cross-validation on its N samples among the prior alone, the pretrained "
        "model as it is (zero-shot), a constant offset and head / last-block / "
        "full fine-tuning with L2-SP (`tldse.learn.transfer.transfer`). Same "
        "samples and held-out designs as the table above.",
        "",
        "| target | N | MAPE lat / en % | tau lat | s (selection + fit) | chosen |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for kind in cfg["kinds"]:
        z = _row(summ, kind, 0, "fidelity-zero-shot")
        if z:
            out.append(
                f"| {_kind_label(kind, cfg)} | 0 | {_f(z.get('mape_latency'), 1)} / "
                f"{_f(z.get('mape_energy'), 1)} | {_f(z.get('tau_latency'), 3)} | 0 "
                "| zero-shot |"
            )
        for n in cfg["ns"]:
            r = _row(summ, kind, n, "fidelity")
            if not r:
                continue
            picks = ", ".join(f"{a} {b}" for a, b in r.get("chosen", {}).items())
            out.append(
                f"| {_kind_label(kind, cfg)} | {n} | "
                f"{_f(r.get('mape_latency'), 1)} ± {_f(r.get('mape_latency_std'), 1)}"
                f" / {_f(r.get('mape_energy'), 1)} ± "
                f"{_f(r.get('mape_energy_std'), 1)} | {_f(r.get('tau_latency'), 3)} | "
                f"{_f(r.get('seconds'), 1)} | {picks} |"
            )
    out += [
        "",
        f"Time, honestly: pretraining ran once ({_f(build, 0)} s wall, "
        f"{_f(cpu, 0)} CPU-s on this machine; "
        f"{_f(pre.get('load_or_build_seconds'), 1)} s in this run, where it "
        f"{where}) and served the K = {k} targets of this run: "
        f"{_f(build / max(k, 1), 1)} s of pretraining per target, plus a mean "
        f"{_f(sel, 1)} s of candidate selection and fitting per target. For one "
        "more target the pretrained model is usable at once (its zero-shot row "
        f"above); the choice among the candidates adds {_f(sel, 1)} s. The "
        f"paper's baseline trains from nothing per target (the MLP rows above); "
        f"pretraining breaks even after about {_f(build / max(sel, 1e-9), 0)} "
        "targets only if the baselines were as accurate, which at these N they "
        "are not.",
        "",
    ]
    return out


def _time_to_accuracy(
    summ: Mapping[str, Any], kind: str, cfg: Mapping[str, Any], tg: Sequence[str]
) -> list[dict[str, Any]]:
    """For each N: the transfer error, the smallest N' at which the single-task
    MLPs are at least as accurate (worst target MAPE), and the ratio of their
    training time to transfer's."""
    out = []
    ns = sorted(cfg["ns"])
    for n in ns:
        tr = _row(summ, kind, n, "transfer")
        if not tr:
            continue
        err = _worst(tr, tg)
        entry: dict[str, Any] = {
            "n": n,
            "transfer_worst_mape": err,
            "transfer_seconds": tr["seconds"],
        }
        for n2 in ns:
            mlp = _row(summ, kind, n2, "mlp")
            if mlp and _worst(mlp, tg) <= err:
                entry.update(
                    mlp_n=n2,
                    mlp_worst_mape=_worst(mlp, tg),
                    mlp_seconds=mlp["seconds"],
                    speedup=mlp["seconds"] / tr["seconds"],
                )
                break
        else:
            mlp = _row(summ, kind, ns[-1], "mlp")
            entry.update(
                mlp_n=None,
                mlp_best_worst_mape=_worst(mlp, tg) if mlp else None,
                mlp_seconds_at_max_n=mlp.get("seconds") if mlp else None,
                speedup_lower_bound=(mlp["seconds"] / tr["seconds"]) if mlp else None,
            )
        out.append(entry)
    return out


def _f(v: Any, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{v:.{digits}f}"


KIND_LABELS = {
    "workload": "new workload",
    "dataflow": "new dataflow",
    "fidelity": "new fidelity",
    "outside": "new workload outside the zoo",
}


def _kind_label(kind: str, cfg: Mapping[str, Any]) -> str:
    if kind == "workload":
        return f"new workload ({cfg['target_workload']})"
    if kind == "dataflow":
        return f"new dataflow ({', '.join(cfg['target_dataflows'])})"
    if kind == "outside":
        return f"new workload outside the zoo ({cfg['outside_workload']})"
    fid = cfg["fidelity"]
    parts = [f"{k}={v:g}" for k, v in fid["energy_overrides"].items()]
    if fid["dram_bw_scale"] != 1:
        parts.append(f"DRAM bw x{fid['dram_bw_scale']:g}")
    if fid["glb_bw_scale"] != 1:
        parts.append(f"GLB bw x{fid['glb_bw_scale']:g}")
    return f"new fidelity ({', '.join(parts)})"


def headline_table(results: Mapping[str, Any]) -> str:
    """The Markdown table the README quotes: per target kind and N, MAPE
    (latency / energy, %), Kendall tau of network latency, training seconds and
    epochs for transfer and both baselines (means over seeds)."""
    summ = results["summary"]
    cfg = results["config"]
    lines = [
        "| target | N | transfer MAPE lat / en | tau | s | ep "
        "| MT scratch MAPE lat / en | tau | s | ep "
        "| MLPs MAPE lat / en | tau | s | ep |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    n_seeds = len(cfg["seeds"])
    for kind in cfg["kinds"]:
        for n in cfg["ns"]:
            seeds = _row(summ, kind, n, "transfer").get("seeds", n_seeds)
            note = "" if seeds == n_seeds else f" ({seeds} seed{'s' * (seeds > 1)})"
            cells = [KIND_LABELS[kind], f"{n}{note}"]
            for method in METHODS:
                r = _row(summ, kind, n, method)
                if not r:
                    cells += ["-"] * 4
                    continue
                cells += [
                    f"{_f(r.get('mape_latency'), 1)} / {_f(r.get('mape_energy'), 1)}",
                    _f(r.get("tau_latency"), 3),
                    _f(r.get("seconds"), 1),
                    _f(r.get("epochs"), 0),
                ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(results: Mapping[str, Any]) -> str:
    cfg = results["config"]
    summ = results["summary"]
    env = results["environment"]
    ind = summ["in_distribution"]
    tg = cfg["targets"]
    out = [
        f"# Transfer experiment ({cfg['size']})",
        "",
        f"tldse {env['tldse']}, torch {env['torch']}, {env['cpu_count']} CPUs "
        f"({env['torch_threads']} torch threads), device {cfg['device']}; "
        f"seeds {', '.join(map(str, cfg['seeds']))}; total "
        f"{results['seconds'] / 60:.1f} min; 1-min load average "
        f"{env['load_average_at_start'][0]:.1f} at the start, "
        f"{env.get('load_average_at_end', [math.nan])[0]:.1f} at the end (times "
        "are wall clock and grow when other jobs share the machine; "
        "results.json also has CPU seconds).",
        "",
        f"Source: {', '.join(cfg['source_workloads'])} on "
        f"{', '.join(cfg['source_dataflows'])} ({cfg['space']} space, "
        f"{cfg['source_configs']} designs -> {results['data']['source_train_rows']} "
        f"(design, layer) rows). Targets: "
        + "; ".join(_kind_label(k, cfg) for k in cfg["kinds"])
        + f". Each target: N (design, layer) samples drawn from {cfg['pool_configs']}"
        f" designs, scored on {cfg['test_configs']} held-out designs. Model: trunk "
        f"{'x'.join(map(str, cfg['hidden']))}, heads "
        f"{'x'.join(map(str, cfg['head_hidden']))}.",
        "",
        "MAPE is per (design, layer) row, in %; tau is Kendall's tau between true "
        "and predicted network latency across the held-out designs (mean over "
        "target workloads); s is wall-clock training seconds (transfer: all "
        f"strategies tried, {', '.join(cfg['strategies'])}, the best on the "
        "validation split kept); ep is epochs (MLPs: summed over the per-target "
        "models). Means over seeds.",
        "",
        "## In distribution (held-out designs of the source tasks)",
        "",
        "| target | MAPE % | network MAPE % | Kendall tau (network) | "
        "Kendall tau (per layer) | top-k recall |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    topk = f"top{cfg['top_k']}_"
    for t in tg:
        out.append(
            f"| {t} | {_f(ind.get(f'mape_{t}'))} ± {_f(ind.get(f'mape_{t}_std'))} | "
            f"{_f(ind.get(f'net_mape_{t}'))} | {_f(ind.get(f'tau_{t}'), 3)} | "
            f"{_f(ind.get(f'layer_tau_{t}'), 3)} | "
            f"{_f(ind.get(topk + t))} |"
        )
    out += [
        "",
        f"Pretraining: {_f(ind.get('seconds'), 1)} s, {_f(ind.get('epochs'), 0)} "
        f"epochs on {results['data']['source_train_rows']} rows (mean over seeds).",
        "",
        "## Transfer vs baselines",
        "",
        headline_table(results),
        "",
        "Pretrained model without fine-tuning (zero-shot), MAPE latency / energy: "
        + "; ".join(
            f"{KIND_LABELS[k]} {_f(z.get('mape_latency'), 1)}"
            f" / {_f(z.get('mape_energy'), 1)}"
            for k in cfg["kinds"]
            for z in [_row(summ, k, 0, "zero-shot")]
        )
        + ".",
        "",
        "Strategy picked on validation (count over seeds): "
        + "; ".join(
            f"{KIND_LABELS[k]} N={n}: "
            + ", ".join(
                f"{s} {c}"
                for s, c in _row(summ, k, n, "transfer").get("strategies", {}).items()
            )
            for k in cfg["kinds"]
            for n in cfg["ns"]
            if _row(summ, k, n, "transfer")
        )
        + ".",
        "",
        *fidelity_section(results),
        "## Targets",
        "",
    ]
    chk = results["targets_check"]
    if "in_distribution" in chk:
        c = chk["in_distribution"]
        out.append(
            f"- In distribution ({c['target']}): "
            + ", ".join(
                f"{t} MAPE {_f(c['mape'][t])}%, tau {_f(c['tau'][t], 3)}" for t in tg
            )
            + f" -> **{'met' if c['met'] else 'missed'}**."
        )
    for kind, c in chk["transfer_at_n"].items():
        out.append(
            f"- {KIND_LABELS[kind]}, N={c['n']}: transfer MAPE "
            + ", ".join(f"{t} {_f(c['transfer_mape'][t])}%" for t in tg)
            + f" (<= 5%: **{'met' if c['met_mape'] else 'missed'}**); vs multi-task "
            "from scratch "
            + ", ".join(f"{t} {_f(c['scratch_mape'][t])}%" for t in tg)
            + ", error reduction "
            + ", ".join(f"{t} {100 * c['error_reduction'][t]:.0f}%" for t in tg)
            + f" (>= 50%: **{'met' if c['met_reduction'] else 'missed'}**)."
        )
        if "fidelity_mape" in c:
            out.append(
                f"  - multi-fidelity transfer, N={c['n']}: MAPE "
                + ", ".join(f"{t} {_f(c['fidelity_mape'][t])}%" for t in tg)
                + f" (<= 5%: **{'met' if c['fidelity_met_mape'] else 'missed'}**), "
                "error reduction vs multi-task from scratch "
                + ", ".join(
                    f"{t} {100 * v:.0f}%"
                    for t, v in c["fidelity_error_reduction"].items()
                )
                + "."
            )
        for e in c["time_to_accuracy"]:
            if e.get("mlp_n") is not None:
                out.append(
                    f"  - N={e['n']}: transfer worst-target MAPE "
                    f"{_f(e['transfer_worst_mape'])}% in {_f(e['transfer_seconds'], 1)}"
                    f" s; the MLPs first match it at N={e['mlp_n']} "
                    f"({_f(e['mlp_worst_mape'])}%) in {_f(e['mlp_seconds'], 1)} s: "
                    f"**{_f(e['speedup'], 1)}x** less training time with transfer."
                )
            else:
                out.append(
                    f"  - N={e['n']}: transfer worst-target MAPE "
                    f"{_f(e['transfer_worst_mape'])}% in {_f(e['transfer_seconds'], 1)}"
                    f" s; the MLPs never match it (best "
                    f"{_f(e.get('mlp_best_worst_mape'))}% at N={max(cfg['ns'])}, "
                    f"{_f(e.get('mlp_seconds_at_max_n'), 1)} s): speedup > "
                    f"{_f(e.get('speedup_lower_bound'), 1)}x."
                )
    out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------- plots


#: Units of the raw targets in the parity plots (per (design, layer) row).
TARGET_UNITS = {
    "latency": " (cycles)",
    "energy": " (pJ)",
    "area": " (um$^2$)",
    "utilization": "",
}


def write_plots(
    results: Mapping[str, Any], parity: Mapping[str, Any], out: Path
) -> list[str]:
    """error_vs_n.png, time_vs_n.png, parity.png; returns the file names."""
    cfg = results["config"]
    summ = results["summary"]
    kinds = list(cfg["kinds"])
    tg = list(cfg["targets"])
    colors = {"transfer": "C0", "scratch-mt": "C1", "mlp": "C2"}
    written = []

    fig = figure(figsize=(4.2 * len(kinds), 3.4 * len(tg)), dpi=110)
    axes = fig.subplots(len(tg), len(kinds), squeeze=False)
    for j, kind in enumerate(kinds):
        for i, t in enumerate(tg):
            ax = axes[i][j]
            for method in METHODS:
                rows = [_row(summ, kind, n, method) for n in cfg["ns"]]
                pts = [(r["n"], r[f"mape_{t}"], r[f"mape_{t}_std"]) for r in rows if r]
                if pts:
                    n_, m_, s_ = zip(*pts, strict=True)
                    ax.errorbar(
                        n_, m_, yerr=s_, marker="o", ms=3, capsize=2,
                        color=colors[method], label=METHOD_LABELS[method],
                    )  # fmt: skip
            zero = _row(summ, kind, 0, "zero-shot")
            if zero:
                ax.axhline(zero[f"mape_{t}"], color="0.6", ls=":", label="zero-shot")
            ax.axhline(5.0, color="r", lw=0.8, ls="--", label="5% target")
            log_axes(ax)
            ax.set_title(f"{KIND_LABELS[kind]}: {t}", fontsize=9)
            ax.set_xlabel("target samples N")
            ax.set_ylabel("MAPE (%)")
            ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    save_png(fig, out / "error_vs_n.png")
    written.append("error_vs_n.png")

    fig = figure(figsize=(4.2 * len(kinds), 3.4), dpi=110)
    axes = fig.subplots(1, len(kinds), squeeze=False)
    for j, kind in enumerate(kinds):
        ax = axes[0][j]
        for method in METHODS:
            rows = [_row(summ, kind, n, method) for n in cfg["ns"]]
            pts = [(r["n"], r["seconds"], r["seconds_std"]) for r in rows if r]
            if pts:
                n_, m_, s_ = zip(*pts, strict=True)
                ax.errorbar(
                    n_, m_, yerr=s_, marker="o", ms=3, capsize=2,
                    color=colors[method], label=METHOD_LABELS[method],
                )  # fmt: skip
        log_axes(ax)
        ax.set_title(KIND_LABELS[kind], fontsize=9)
        ax.set_xlabel("target samples N")
        ax.set_ylabel("training time (s)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    save_png(fig, out / "time_vs_n.png")
    written.append("time_vs_n.png")

    # parity: one row per task (in distribution, then each target kind), one
    # column per (method, target)
    grid: list[tuple[str, list[tuple[str, Mapping[str, Any]]]]] = []
    if "in_distribution" in parity:
        grid.append(("in distribution", [("pretrained", parity["in_distribution"])]))
    for kind in kinds:
        cells = [
            (METHOD_LABELS[m], parity[kind][m])
            for m in METHODS
            if m in parity.get(kind, {})
        ]
        if cells:
            n_par = parity.get("_n", _parity_n(cfg["ns"]))
            grid.append((f"{KIND_LABELS[kind]}, N={n_par}", cells))
    if grid:
        n_cols = max(len(cells) for _, cells in grid) * len(tg)
        fig = figure(figsize=(2.6 * n_cols, 2.6 * len(grid)), dpi=100)
        axes = fig.subplots(len(grid), n_cols, squeeze=False)
        for i, (title, cells) in enumerate(grid):
            for j in range(n_cols):
                axes[i][j].set_visible(j < len(cells) * len(tg))
            for c, (label, pp) in enumerate(cells):
                for k, t in enumerate(tg):
                    ax = axes[i][c * len(tg) + k]
                    tv = np.asarray(pp[t]["true"])
                    pv = np.asarray(pp[t]["pred"])
                    ax.scatter(tv, pv, s=2, alpha=0.4, lw=0)
                    lo = float(min(tv.min(), pv.min()))
                    hi = float(max(tv.max(), pv.max()))
                    ax.plot([lo, hi], [lo, hi], "k-", lw=0.6)
                    log_axes(ax)
                    unit = TARGET_UNITS.get(t, "")
                    ax.set_title(f"{title}\n{label}: {t}", fontsize=7)
                    ax.set_xlabel(f"simulated {t}{unit}", fontsize=7)
                    ax.set_ylabel(f"predicted {t}{unit}", fontsize=7)
                    ax.tick_params(labelsize=6)
        fig.tight_layout()
        save_png(fig, out / "parity.png")
        written.append("parity.png")
    return written


def load_results(path: str | Path) -> dict[str, Any]:
    """``results.json`` of an experiment folder."""
    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    data: dict[str, Any] = json.loads(p.read_text())
    return data


def merge(folders: Sequence[str | Path], out: str | Path) -> dict[str, Any]:
    """Combines experiment runs made in parts (e.g. ``--ns 50,...,1000`` with
    three seeds and ``--ns 5000`` with one) into one ``results.{json,md}`` and
    plots in ``out``. The parts must share everything but ``ns`` and ``seeds``;
    pretraining entries and runs are pooled (a (kind, N) row averages the seeds
    that ran it), parity points come from the first part that has them."""
    parts = [load_results(f) for f in folders]
    if not parts:
        raise ValueError("merge: no experiment folders given")
    base = dict(parts[0]["config"])
    for f, p in zip(folders[1:], parts[1:], strict=True):
        cfg = p["config"]
        diff = [
            k
            for k in sorted(set(base) | set(cfg))
            if k not in ("ns", "seeds", "size") and base.get(k) != cfg.get(k)
        ]
        if diff:
            raise ValueError(f"merge: {f} differs in {', '.join(diff)}")
    ns = sorted({n for p in parts for n in p["config"]["ns"]})
    seeds = sorted({s for p in parts for s in p["config"]["seeds"]})
    sizes_ = sorted({p["config"]["size"] for p in parts})
    merged: dict[str, Any] = {
        **parts[0],
        "config": {**base, "ns": ns, "seeds": seeds, "size": "+".join(sizes_)},
        "parts": [str(Path(f)) for f in folders],
        "seconds": sum(p["seconds"] for p in parts),
    }
    seen: set[int] = set()
    merged["pretrain"] = []
    for p in parts:  # one pretraining per seed (identical across parts)
        for entry in p["pretrain"]:
            if entry["seed"] not in seen:
                seen.add(entry["seed"])
                merged["pretrain"].append(entry)
    runs = []
    keys: set[tuple[Any, ...]] = set()
    for p in parts:
        for r in p["runs"]:
            key = (r["seed"], r["kind"], r["n"], r["method"])
            if key not in keys:
                keys.add(key)
                runs.append(r)
    merged["runs"] = runs
    merged["summary"] = summarise(merged)
    merged["targets_check"] = check_targets(merged)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out_dir / "results.json", jsonable(merged))
    write_atomic(out_dir / "results.md", markdown(merged))
    parity: dict[str, Any] = {}
    for f in folders:
        path = Path(f) / "parity.json"
        if path.is_file():
            parity = json.loads(path.read_text())
            break
    write_json_atomic(out_dir / "parity.json", parity)
    merged["plots"] = write_plots(merged, parity, out_dir)
    return merged


def replot(folder: str | Path) -> list[str]:
    """Redraws the plots of an experiment folder from ``results.json`` and
    ``parity.json``."""
    out = Path(folder)
    parity = json.loads((out / "parity.json").read_text())
    return write_plots(load_results(out), parity, out)
