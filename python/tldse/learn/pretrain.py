"""Pretraining on the analytical model, and the cache of pretrained models.

The analytical model labels about a million (design, layer) pairs per second, so
a fidelity model (:mod:`tldse.learn.fidelity`) is pretrained once on a broad
distribution of layers and designs and reused for every target:

- **layers**: the distinct layer shapes of the zoo networks without depthwise
  layers (:data:`PRETRAIN_ZOO`: MobileNetV2 and EfficientNet stay unseen) plus
  random synthetic shapes (:func:`synthetic_layers`): plain, grouped, strided and
  dilated convolutions, depthwise convolutions, GEMMs with many rows and the two
  attention matmuls;
- **designs**: random designs of the ``edge`` space (all four dataflows) and of
  :func:`small_buffer_space` (systolic arrays with three small SRAMs and little
  DRAM bandwidth, where SCALE-Sim-like tools and tldse differ most);
- **targets**: ``log(tldse / prior)`` of latency and energy; **features**: the
  level-0 groups (:data:`tldse.learn.fidelity.PRETRAIN_GROUPS`);
- **model**: a trunk of 3 Linear + SiLU blocks, 128 wide, one zero-initialised
  linear output per target; an ensemble of members that differ in their seed
  (weights and minibatch order) and share the rows.

:func:`pretrained_model` returns the model of a size (``quick``: 200,000 rows,
``full``: 1,000,000 rows), building it on first use and keeping it in the user
cache folder (``TLDSE_CACHE_DIR``, else ``$XDG_CACHE_HOME/tldse``, else
``~/.cache/tldse``) under a key of the tldse version, the feature columns, the
config (and :data:`tldse.learn.fidelity.FEATURES_VERSION`) and a fingerprint of
the analytical model, the prior, the closed forms, the spaces and the layers on
a probe grid (:func:`model_fingerprint`), so a new version, feature list or
model never reuses a stale model.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tldse.arch import Accelerator
from tldse.learn.fidelity import (
    FEATURES_VERSION,
    FIDELITY_TARGETS,
    PRETRAIN_GROUPS,
    FeatureSet,
    FidelityError,
    FidelityModel,
    Pairs,
    log_ratio_targets,
    reference_values,
)
from tldse.space import DesignSpace
from tldse.workloads.layer import LAYER_INDEX, Layer

#: Zoo networks whose layer shapes are pretrained on (no depthwise layers).
PRETRAIN_ZOO: tuple[str, ...] = (
    "alexnet",
    "vgg16",
    "resnet18",
    "resnet50",
    "vit_b16",
    "bert_base",
    "gpt2",
)


def small_buffer_space() -> DesignSpace:
    """Systolic arrays (ws, os, is) of 4..32 x 4..32 PEs with three SRAMs of
    1..64 KiB, 1..16 bytes/cycle of DRAM bandwidth, one-byte words and
    three-byte PEs: SCALE-Sim's memory system in tldse's template."""
    base = Accelerator(
        rf_bytes=3,
        multicast=False,
        weight_bits=8,
        act_bits=8,
        psum_bits=8,
        glb_bytes=3 * 64 * 1024,
        glb_input_bytes=64 * 1024,
        glb_weight_bytes=64 * 1024,
        glb_output_bytes=64 * 1024,
        glb_bw_bytes_per_cycle=1024,
    )
    kib = [1024 * 2**i for i in range(7)]
    return DesignSpace(
        {
            "dataflow": ["ws", "os", "is"],
            "pe_rows": {"pow2": [4, 32]},
            "pe_cols": {"pow2": [4, 32]},
            "glb_input_bytes": kib,
            "glb_weight_bytes": kib,
            "glb_output_bytes": kib,
            "dram_bw_bytes_per_cycle": [1, 2, 4, 8, 16],
        },
        base=base,
        name="small-buffer",
    )


def synthetic_layers(n: int, seed: int) -> npt.NDArray[np.float64]:
    """``n`` random layer shapes as a layer table (count 1): 35% convolutions
    (C 1..1024, K 4..1024, 1x1..7x7, stride 1/2/4, dilation 1/2/4, 15% grouped),
    25% depthwise (C 8..2048, 3x3..7x7, stride 1/2), 25% GEMMs with up to 4096
    rows, 15% attention matmuls (QK^T and AV; sequence 32..2048, head size 32,
    64, 128)."""
    rng = np.random.default_rng(seed)
    rows: list[list[int]] = []

    def lg(lo: float, hi: float) -> int:
        return round(2 ** rng.uniform(lo, hi))

    while len(rows) < n:
        u = rng.random()
        try:
            if u < 0.35:
                c, k = lg(0, 10), lg(2, 10)
                h, r = lg(1, 8), int(rng.choice([1, 1, 3, 3, 5, 7]))
                stride = int(rng.choice([1, 1, 1, 2, 2, 4]))
                dil = int(rng.choice([1, 1, 1, 1, 2, 4])) if r > 1 else 1
                g = 1
                if rng.random() < 0.15:
                    g = int(rng.choice([2, 4, 8, 32]))
                    c, k = max(c // g, 1) * g, max(k // g, 1) * g
                h = max(h, dil * (r - 1) + 1)
                layer = Layer.conv(
                    "x",
                    c=c,
                    k=k,
                    h=h,
                    r=r,
                    stride=stride,
                    pad=(dil * (r - 1)) // 2,
                    dilation=dil,
                    groups=g,
                )
            elif u < 0.6:
                c = lg(3, 11)
                h, r = lg(2, 8), int(rng.choice([3, 3, 5, 7]))
                stride = int(rng.choice([1, 1, 2]))
                layer = Layer.conv(
                    "x", c=c, k=c, h=h, r=r, stride=stride, pad=r // 2, groups=c
                )
            elif u < 0.85:
                layer = Layer.gemm("x", m=lg(0, 12), n=lg(4, 12), k=lg(4, 12))
            else:
                seq, dh = lg(5, 11), int(rng.choice([32, 64, 128]))
                layer = (
                    Layer.gemm("x", m=seq, n=seq, k=dh)
                    if rng.random() < 0.5
                    else Layer.gemm("x", m=seq, n=dh, k=seq)
                )
        except ValueError:
            continue
        rows.append(layer.row())
    table = np.asarray(rows, dtype=np.float64)
    table[:, LAYER_INDEX["count"]] = 1
    return table


def pretrain_layers(synthetic: int, seed: int) -> npt.NDArray[np.float64]:
    """The distinct layer shapes of :data:`PRETRAIN_ZOO` plus ``synthetic``
    random shapes, as one layer table (count 1)."""
    from tldse.workloads import fold, get

    tables = [fold(get(name))[0].table() for name in PRETRAIN_ZOO]
    zoo = np.unique(np.concatenate(tables).astype(np.float64), axis=0)
    zoo[:, LAYER_INDEX["count"]] = 1
    if synthetic <= 0:
        return zoo
    return np.concatenate([zoo, synthetic_layers(synthetic, seed)])


@dataclass(frozen=True)
class PretrainConfig:
    """What :func:`pretrain` does; :func:`pretrain_config` has the sizes."""

    size: str = "quick"
    rows: int = 200_000
    synthetic_layers: int = 1500
    layers_per_design: int = 300
    #: share of the designs drawn from :func:`small_buffer_space` (the rest
    #: from ``edge``)
    small_buffer_share: float = 0.25
    groups: tuple[str, ...] = PRETRAIN_GROUPS
    targets: tuple[str, ...] = FIDELITY_TARGETS
    members: int = 3
    hidden: tuple[int, ...] = (128, 128, 128)
    epochs: int = 30
    batch_size: int = 1024
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    threads: int | None = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


PRETRAIN_SIZES: tuple[str, ...] = ("tiny", "quick", "full")


def pretrain_config(size: str = "quick", **changes: Any) -> PretrainConfig:
    """``quick`` (200,000 rows, about a minute of CPU per member), ``full``
    (1,000,000 rows) or ``tiny`` (tests)."""
    presets = {
        "quick": PretrainConfig(),
        "full": PretrainConfig(size="full", rows=1_000_000),
        "tiny": PretrainConfig(
            size="tiny",
            rows=3000,
            synthetic_layers=100,
            layers_per_design=40,
            members=2,
            hidden=(32, 32),
            epochs=3,
        ),
    }
    if size not in presets:
        raise FidelityError(
            f"size must be one of {', '.join(PRETRAIN_SIZES)}, got {size!r}"
        )
    return replace(presets[size], **changes)


def pretrain_pairs(cfg: PretrainConfig) -> Pairs:
    """The pretraining rows of ``cfg`` (a pure function of it): random designs,
    each on ``layers_per_design`` random pretraining layers, evaluated as grids
    and subsampled to ``rows`` feasible pairs."""
    layers = pretrain_layers(cfg.synthetic_layers, cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    per = min(cfg.layers_per_design, len(layers))
    n_designs = max(8, int(np.ceil(1.25 * cfg.rows / per)))
    n_small = round(cfg.small_buffer_share * n_designs)
    edge, small = DesignSpace.builtin("edge"), small_buffer_space()
    configs = np.concatenate(
        [
            edge.configs(edge.sample(n_designs - n_small, "random", cfg.seed + 1)),
            small.configs(small.sample(n_small, "random", cfg.seed + 2)),
        ]
    )
    configs = configs[rng.permutation(len(configs))]
    parts_c, parts_l, parts_a = [], [], []
    chunk = 64
    for lo in range(0, len(configs), chunk):
        sub = layers[np.sort(rng.choice(len(layers), per, replace=False))]
        p = Pairs.grid(configs[lo : lo + chunk], sub, threads=cfg.threads)
        ok = p.analytical["status"] == 0
        parts_c.append(p.configs[ok])
        parts_l.append(p.layers[ok])
        parts_a.append({k: v[ok] for k, v in p.analytical.items()})
    cfg_all = np.concatenate(parts_c)
    keep = np.sort(rng.choice(len(cfg_all), min(cfg.rows, len(cfg_all)), replace=False))
    out = Pairs(cfg_all[keep], np.concatenate(parts_l)[keep], threads=cfg.threads)
    out.set_analytical(
        {k: np.concatenate([a[k] for a in parts_a])[keep] for k in parts_a[0]}
    )
    return out


def analytical_truth(pairs: Pairs) -> dict[str, npt.NDArray[np.float64]]:
    """The analytical model's latency and energy per row: the pretraining
    targets' numerators."""
    a = pairs.analytical
    return {"latency": a["latency_cycles"], "energy": a["energy_pj"]}


def pretrain(
    cfg: PretrainConfig,
    *,
    progress: bool = False,
    say: Callable[[str], None] | None = None,
) -> FidelityModel:
    """Pretrains a fidelity model of the analytical model (reference: the
    prior) on :func:`pretrain_pairs`; ``metadata["pretraining"]`` records the
    rows, seconds (data, features, training per member) and the validation
    error on 5% of the designs' rows held out."""
    import torch

    from tldse.learn.model import Surrogate
    from tldse.learn.train import TrainConfig, fit

    fs = FeatureSet(tuple(cfg.groups))
    t0, c0 = time.perf_counter(), time.process_time()
    pairs = pretrain_pairs(cfg)
    t_data = time.perf_counter() - t0
    x = fs.compute(pairs)
    y = log_ratio_targets(
        analytical_truth(pairs), reference_values(pairs, "prior"), cfg.targets
    )
    t_feat = time.perf_counter() - t0 - t_data
    if say:
        say(
            f"pretraining data: {len(x):,} rows, {x.shape[1]} features "
            f"({t_data:.1f} s + {t_feat:.1f} s)"
        )
    val = np.random.default_rng(cfg.seed).random(len(x)) < 0.05
    members, member_s = [], []
    threads_before = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        for i in range(cfg.members):
            seed = cfg.seed + i
            m = Surrogate.create(
                fs.names,
                cfg.targets,
                hidden=cfg.hidden,
                head_hidden=(),
                seed=seed,
                zero_output=True,
            )
            tc = TrainConfig(
                epochs=cfg.epochs,
                batch_size=cfg.batch_size,
                lr=cfg.lr,
                weight_decay=cfg.weight_decay,
                weighting="fixed",
                seed=seed,
                patience=cfg.epochs,
                center_targets=False,
                progress=progress,
            )
            r = fit(m, x[~val], y[~val], tc, x_val=x[val], y_val=y[val])
            members.append(m)
            member_s.append(r.seconds)
            if say:
                say(
                    f"member {i + 1}/{cfg.members}: {r.epochs} epochs, "
                    f"{r.seconds:.1f} s"
                )
    finally:
        if cfg.threads:
            torch.set_num_threads(threads_before)
    model = FidelityModel(fs, "prior", tuple(cfg.targets), members)
    mu, _ = model.log_ratio(x[val])
    err = np.abs(np.exp(mu - y[val]) - 1.0).mean(axis=0) * 100
    err0 = np.abs(np.exp(-y[val]) - 1.0).mean(axis=0) * 100
    model.metadata["pretraining"] = {
        "config": cfg.to_dict(),
        "rows": len(x),
        "validation_rows": int(val.sum()),
        "data_seconds": t_data,
        "feature_seconds": t_feat,
        "train_seconds": member_s,
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - c0,
        "validation_mape": dict(zip(cfg.targets, map(float, err), strict=True)),
        "prior_mape": dict(zip(cfg.targets, map(float, err0), strict=True)),
    }
    return model


# ---------------------------------------------------------------- the cache


def cache_dir() -> Path:
    """Where pretrained models are kept (see the module docstring)."""
    env = os.environ.get("TLDSE_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "tldse"


def model_fingerprint(cfg: PretrainConfig) -> str:
    """A digest of what the pretraining rows of ``cfg`` depend on besides the
    config: the pretraining layer table (the zoo, the synthetic shapes), the
    design spaces drawn from (``edge``, :func:`small_buffer_space`) and the
    analytical model (C++ core, default energy table), the prior and the
    systolic closed forms on a small fixed probe grid (12 designs x about 24
    layers; milliseconds)."""
    import json

    layers = pretrain_layers(cfg.synthetic_layers, cfg.seed)
    edge, small = DesignSpace.builtin("edge"), small_buffer_space()
    configs = np.concatenate(
        [
            edge.configs(edge.sample(6, "random", 0)),
            small.configs(small.sample(6, "random", 0)),
        ]
    )
    probe = Pairs.grid(configs, layers[:: max(1, len(layers) // 24)], threads=1)
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(layers, dtype=np.float64).tobytes())
    spaces = [edge.to_dict(), small.to_dict()]
    h.update(json.dumps(spaces, sort_keys=True, default=str).encode())
    for level in ("analytical", "prior", "systolic"):
        values = getattr(probe, level)
        for k in sorted(values):
            h.update(f"{level}.{k}".encode())
            h.update(np.ascontiguousarray(values[k], dtype=np.float64).tobytes())
    return h.hexdigest()


def cache_key(cfg: PretrainConfig) -> str:
    """``<version>-<size>-<digest>``: the digest of the config, the feature
    columns and :func:`model_fingerprint` (so a changed analytical model, prior,
    closed form, space or zoo never reuses a stale model, even without a new
    version)."""
    import json

    from tldse._util.io import package_version

    names = FeatureSet(tuple(cfg.groups)).names
    text = json.dumps(
        [cfg.to_dict(), list(names), FEATURES_VERSION, model_fingerprint(cfg)],
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    version = package_version().replace("+", "_").replace("/", "_")
    return f"{version}-{cfg.size}-{digest}"


def pretrained_path(cfg: PretrainConfig) -> Path:
    return cache_dir() / "pretrained" / cache_key(cfg)


def pretrained_model(
    size: str | PretrainConfig = "quick",
    *,
    rebuild: bool = False,
    progress: bool = False,
    say: Callable[[str], None] | None = None,
) -> FidelityModel:
    """The pretrained model of ``size`` from the cache, built (and said so
    through ``say``) when it is not there or ``rebuild``. The build is written
    to a temporary folder (removed whatever happens) and renamed into place;
    when a concurrent build got there first, its model is used."""
    import shutil

    from tldse._util.io import write_atomic

    cfg = size if isinstance(size, PretrainConfig) else pretrain_config(size)
    path = pretrained_path(cfg)
    replace_old = rebuild or path.exists()
    if not rebuild and (path / "fidelity.json").is_file():
        try:
            return FidelityModel.load(path)
        except FidelityError as exc:
            if say:
                say(f"the cached pretrained model is unusable ({exc}); rebuilding it")
    if say:
        say(
            f"building the pretrained model ({cfg.size}: {cfg.rows:,} rows, "
            f"{cfg.members} members) in {path}; this happens once per tldse version "
            "(and again when the analytical model or its closed forms change)"
        )
    model = pretrain(cfg, progress=progress, say=say)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    try:
        model.save(tmp)
        write_atomic(tmp / "KEY", path.name + "\n")
        if replace_old:
            shutil.rmtree(path, ignore_errors=True)
        try:
            tmp.rename(path)
        except OSError as exc:
            # another process built the same model meanwhile: use its copy
            try:
                return FidelityModel.load(path)
            except FidelityError:
                raise FidelityError(
                    f"{path}: cannot move the built model into place ({exc})"
                ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return model
