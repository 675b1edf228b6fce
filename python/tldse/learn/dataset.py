"""Datasets for the surrogate: (design, layer) pairs labelled by the simulator.

A dataset is a folder of Parquet shards plus ``manifest.json``::

    spec = DatasetSpec(space="edge", workloads=["resnet50", "vgg16"], n_configs=2000)
    path = generate(spec, "data/src")            # resumable: re-run continues
    ds = load("data/src")                         # Dataset: frame + manifest
    X, Y = ds.arrays()                            # features, targets (feasible rows)

**Sampling.** ``n_configs`` designs are drawn from the design space (``random``,
``lhs`` or ``sobol``, seeded); a per-layer dataset pairs every design with every
distinct layer shape of every workload (``tldse.workloads.fold``), a per-network
dataset (``kind="network"``) has one row per (design, workload) with the network
totals. Designs are cut into shards of ``shard_size`` designs; each shard is written
atomically (temp file + ``os.replace``) and recorded in the manifest, so an
interrupted run loses at most the shard in progress and a re-run with the same
spec computes only the missing shards. A different spec in the same folder is an
error (or ``overwrite=True``).

**Features** are those of :mod:`tldse.learn.features`. **Targets** are
``log_latency_cycles``, ``log_energy_pj`` (natural logs of the per occurrence
values), ``log_area_um2`` and ``utilization``; the raw values are stored too.
Infeasible pairs are kept with their ``status`` and NaN targets;
:meth:`Dataset.arrays` drops them.

**Fidelity.** ``Fidelity`` changes how labels are made without changing the
features: another energy table (or overrides of one), or an effective DRAM / GLB
bandwidth scale (the hardware delivers ``scale x`` the nominal bandwidth). This
stands in for labels measured on real hardware.
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from tldse._util.io import (
    UnsafeNameError,
    differences,
    output_lock,
    package_version,
    parse_json,
    plain_name,
    read_text,
    remove_stale_temps,
    write_json_atomic,
    write_parquet_atomic,
)
from tldse._util.progress import Progress
from tldse._util.table import plural
from tldse.arch import (
    CONFIG_COLUMNS,
    CONFIG_INDEX,
    DATAFLOWS,
    ENERGY_FIELDS,
    EnergyTable,
    energy_table,
)
from tldse.learn.features import (
    NETWORK_FEATURES,
    PAIR_FEATURES,
    TARGETS,
    DatasetError,
    network_features,
    pair_features,
)
from tldse.sim import evaluate
from tldse.workloads.fold import fold
from tldse.workloads.layer import LAYER_COLUMNS, LAYER_INDEX, Workload

if TYPE_CHECKING:
    import pandas as pd

    from tldse.space import DesignSpace

FORMAT = "tldse-dataset"
FORMAT_VERSION = 1
DatasetKind = Literal["layer", "network"]

# ---------------------------------------------------------------- spec


@dataclass(frozen=True)
class Fidelity:
    """How labels are made (features never change): an energy table (``None`` =
    the default ``horowitz45``, a name or a file), overrides of its fields, and
    effective bandwidth scales applied to the simulated design only."""

    energy: str | None = None
    energy_overrides: Mapping[str, float] = field(default_factory=dict)
    dram_bw_scale: float = 1.0
    glb_bw_scale: float = 1.0

    def __post_init__(self) -> None:
        for name in ("dram_bw_scale", "glb_bw_scale"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise DatasetError(f"fidelity.{name}: expected a number > 0, got {v!r}")
        self.table()  # validates the table and the override keys

    def table(self) -> EnergyTable:
        try:
            t = energy_table(self.energy)
        except (ValueError, OSError, RuntimeError) as exc:
            raise DatasetError(f"fidelity.energy: {exc}") from None
        for key, value in self.energy_overrides.items():
            if key not in ENERGY_FIELDS:
                raise DatasetError(f"fidelity.energy_overrides: unknown field {key!r}")
            try:
                t.set(key, float(value))
            except (ValueError, RuntimeError) as exc:
                raise DatasetError(f"fidelity.energy_overrides.{key}: {exc}") from None
        return t

    def apply(self, configs: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The configs as simulated (effective bandwidths)."""
        if self.dram_bw_scale == 1.0 and self.glb_bw_scale == 1.0:
            return configs
        out = np.array(configs, dtype=np.float64, copy=True)
        out[:, CONFIG_INDEX["dram_bw_bytes_per_cycle"]] *= self.dram_bw_scale
        out[:, CONFIG_INDEX["glb_bw_bytes_per_cycle"]] *= self.glb_bw_scale
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "energy": self.energy,
            "energy_overrides": {k: float(v) for k, v in self.energy_overrides.items()},
            "dram_bw_scale": float(self.dram_bw_scale),
            "glb_bw_scale": float(self.glb_bw_scale),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fidelity:
        unknown = set(data) - {
            "energy", "energy_overrides", "dram_bw_scale", "glb_bw_scale",
        }  # fmt: skip
        if unknown:
            raise DatasetError(f"fidelity: unknown key(s) {sorted(unknown)}")
        return cls(
            energy=data.get("energy"),
            energy_overrides=dict(data.get("energy_overrides") or {}),
            dram_bw_scale=float(data.get("dram_bw_scale", 1.0)),
            glb_bw_scale=float(data.get("glb_bw_scale", 1.0)),
        )


def parse_workload(spec: str, batch: int = 1) -> Workload:
    """:func:`tldse.workloads.resolve_workload`, errors raised as
    :class:`DatasetError` naming the field."""
    from tldse.workloads.resolve import resolve_workload

    try:
        return resolve_workload(spec, batch=batch)
    except (ValueError, TypeError, OSError) as exc:
        raise DatasetError(f"workloads: {exc}") from None


def restrict_space(space: DesignSpace, **choices: Sequence[Any]) -> DesignSpace:
    """The same space with some parameters limited to the given choices (e.g.
    ``dataflow=["ws", "os"]``); a parameter the space does not vary is added."""
    from tldse.space import DesignSpace

    d = space.to_dict()
    params = dict(d["params"])
    for name, values in choices.items():
        vals = list(values)
        if name in params:
            keep = [v for v in params[name] if v in vals]
            missing = [v for v in vals if v not in params[name]]
            if missing:
                raise DatasetError(
                    f"{name}: {missing} not among the space's choices {params[name]}"
                )
            params[name] = keep
        else:
            params[name] = vals
    d["params"] = params
    out = DesignSpace.from_dict(d)
    return out


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset holds; equal specs give identical datasets."""

    space: str | DesignSpace = "edge"
    workloads: Sequence[str] = ("resnet50",)
    n_configs: int = 1000
    method: str = "random"
    seed: int = 0
    kind: DatasetKind = "layer"
    batch: int = 1
    dataflows: Sequence[str] | None = None
    fidelity: Fidelity = field(default_factory=Fidelity)
    shard_size: int = 256
    mapper_objective: str = "edp"
    mapper: str = "heuristic"

    def resolved_space(self) -> DesignSpace:
        from tldse.space import DesignSpace

        sp = self.space
        space = sp if isinstance(sp, DesignSpace) else DesignSpace.load(sp)
        if self.dataflows is not None:
            bad = [d for d in self.dataflows if d not in DATAFLOWS]
            if bad or not self.dataflows:
                raise DatasetError(
                    f"dataflows: expected some of {', '.join(DATAFLOWS)}, got "
                    f"{list(self.dataflows)}"
                )
            space = restrict_space(space, dataflow=list(self.dataflows))
        return space

    def check(self) -> None:
        if self.kind not in ("layer", "network"):
            raise DatasetError(
                f"kind: expected 'layer' or 'network', got {self.kind!r}"
            )
        if self.n_configs < 1:
            raise DatasetError(f"n_configs: expected >= 1, got {self.n_configs}")
        if self.shard_size < 1:
            raise DatasetError(f"shard_size: expected >= 1, got {self.shard_size}")
        if self.batch < 1:
            raise DatasetError(f"batch: expected >= 1, got {self.batch}")
        if not self.workloads:
            raise DatasetError("workloads: at least one workload is needed")
        if self.method not in ("random", "lhs", "sobol"):
            raise DatasetError(
                f"method: expected random, lhs or sobol, got {self.method!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; what the manifest compares on resume."""
        return {
            "space": self.resolved_space().to_dict(),
            "workloads": list(self.workloads),
            "n_configs": int(self.n_configs),
            "method": self.method,
            "seed": int(self.seed),
            "kind": self.kind,
            "batch": int(self.batch),
            "dataflows": None if self.dataflows is None else list(self.dataflows),
            "fidelity": self.fidelity.to_dict(),
            "shard_size": int(self.shard_size),
            "mapper_objective": self.mapper_objective,
            "mapper": self.mapper,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetSpec:
        from tldse.space import DesignSpace

        return cls(
            space=DesignSpace.from_dict(data["space"]),
            workloads=tuple(data["workloads"]),
            n_configs=int(data["n_configs"]),
            method=str(data["method"]),
            seed=int(data["seed"]),
            kind=data["kind"],
            batch=int(data["batch"]),
            dataflows=None if data["dataflows"] is None else tuple(data["dataflows"]),
            fidelity=Fidelity.from_dict(data["fidelity"]),
            shard_size=int(data["shard_size"]),
            mapper_objective=str(
                data.get("mapper_objective", data.get("objective", "edp"))
            ),
            mapper=str(data["mapper"]),
        )


# ---------------------------------------------------------------- labelling


def feature_names(kind: DatasetKind) -> tuple[str, ...]:
    return PAIR_FEATURES if kind == "layer" else NETWORK_FEATURES


def _targets_from(
    latency: npt.NDArray[np.float64],
    energy: npt.NDArray[np.float64],
    area: npt.NDArray[np.float64],
    util: npt.NDArray[np.float64],
) -> dict[str, npt.NDArray[np.float64]]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "latency_cycles": latency,
            "energy_pj": energy,
            "area_um2": area,
            "log_latency_cycles": np.log(latency),
            "log_energy_pj": np.log(energy),
            "log_area_um2": np.log(area),
            "utilization": util,
        }


def label_layers(
    configs: npt.NDArray[np.float64],
    workloads: Sequence[Workload],
    *,
    fidelity: Fidelity | None = None,
    design: npt.NDArray[np.int64] | None = None,
    mapper_objective: str = "edp",
    mapper: str = "heuristic",
    threads: int | None = None,
) -> pd.DataFrame:
    """Simulates every config on every distinct layer of each workload: one row
    per (config, workload, layer shape) with config, layer, feature and target
    columns (see the module docstring)."""
    import pandas as pd

    fid = fidelity or Fidelity()
    table = fid.table()
    cfg = np.asarray(configs, dtype=np.float64)
    n = len(cfg)
    design = np.arange(n, dtype=np.int64) if design is None else design
    sim_cfg = fid.apply(cfg)
    frames = []
    for wl in workloads:
        folded, _ = fold(wl)
        lay = folded.table()
        m = len(lay)
        ev = evaluate(
            sim_cfg,
            folded,
            energy=table,
            threads=threads,
            mapper_objective=mapper_objective,  # type: ignore[arg-type]
            mapper=mapper,  # type: ignore[arg-type]
        )
        ci = np.repeat(np.arange(n), m)
        li = np.tile(np.arange(m), n)
        pair_cfg, pair_lay = cfg[ci], lay[li]
        data: dict[str, Any] = {
            "design": design[ci],
            "workload": np.full(n * m, wl.name, dtype=object),
            "layer": np.asarray(folded.names, dtype=object)[li],
            "layer_index": li.astype(np.int64),
            "count": pair_lay[:, LAYER_INDEX["count"]].astype(np.int64),
            "status": ev["status"].reshape(-1).astype(np.int64),
        }
        for j, c in enumerate(CONFIG_COLUMNS):
            data[f"cfg_{c}"] = pair_cfg[:, j]
        for j, c in enumerate(LAYER_COLUMNS):
            data[f"layer_{c}"] = pair_lay[:, j].astype(np.int64)
        x = pair_features(pair_cfg, pair_lay)
        for j, c in enumerate(PAIR_FEATURES):
            data[f"x_{c}"] = x[:, j]
        data.update(
            _targets_from(
                ev["latency_cycles"].reshape(-1),
                ev["energy_pj"].reshape(-1),
                np.repeat(ev["area_um2"], m),
                ev["utilization"].reshape(-1),
            )
        )
        frames.append(pd.DataFrame(data))
    return pd.concat(frames, ignore_index=True)


def label_networks(
    configs: npt.NDArray[np.float64],
    workloads: Sequence[Workload],
    *,
    fidelity: Fidelity | None = None,
    design: npt.NDArray[np.int64] | None = None,
    mapper_objective: str = "edp",
    mapper: str = "heuristic",
    threads: int | None = None,
) -> pd.DataFrame:
    """One row per (config, workload) with network totals (latency and energy
    summed over layers x count; utilization = MACs / (latency x PEs))."""
    import pandas as pd

    fid = fidelity or Fidelity()
    table = fid.table()
    cfg = np.asarray(configs, dtype=np.float64)
    n = len(cfg)
    design = np.arange(n, dtype=np.int64) if design is None else design
    frames = []
    for wl in workloads:
        folded, _ = fold(wl)
        ev = evaluate(
            fid.apply(cfg),
            folded,
            energy=table,
            threads=threads,
            per_network=True,
            mapper_objective=mapper_objective,  # type: ignore[arg-type]
            mapper=mapper,  # type: ignore[arg-type]
        )
        lat = np.asarray(ev["latency_cycles"], dtype=np.float64)
        pes = cfg[:, CONFIG_INDEX["pe_rows"]] * cfg[:, CONFIG_INDEX["pe_cols"]]
        with np.errstate(divide="ignore", invalid="ignore"):
            util = float(folded.macs) / (lat * pes)
        data: dict[str, Any] = {
            "design": design,
            "workload": np.full(n, wl.name, dtype=object),
            "status": ev["status"].astype(np.int64),
        }
        for j, c in enumerate(CONFIG_COLUMNS):
            data[f"cfg_{c}"] = cfg[:, j]
        x = network_features(cfg, folded)
        for j, c in enumerate(NETWORK_FEATURES):
            data[f"x_{c}"] = x[:, j]
        data.update(
            _targets_from(lat, np.asarray(ev["energy_pj"]), ev["area_um2"], util)
        )
        frames.append(pd.DataFrame(data))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- files


def _shard_name(i: int) -> str:
    return f"shard-{i:05d}.parquet"


def generate(
    spec: DatasetSpec,
    out: str | Path,
    *,
    overwrite: bool = False,
    progress: bool = False,
    threads: int | None = None,
) -> Path:
    """Writes (or completes) the dataset ``spec`` in folder ``out``; returns it.

    Shards already listed in ``out/manifest.json`` are kept; the rest are
    simulated and written one at a time (temp file + rename, then the manifest).
    The folder is locked while this runs (another process writing it gets an
    :class:`~tldse._util.io.OutputLockedError` at once).
    """
    spec.check()
    out_dir = Path(out)
    with output_lock(out_dir, "tldse dataset"):
        return _generate(spec, out_dir, overwrite, progress, threads)


def _generate(
    spec: DatasetSpec,
    out_dir: Path,
    overwrite: bool,
    progress: bool,
    threads: int | None,
) -> Path:
    space = spec.resolved_space()
    wls = [parse_workload(w, spec.batch) for w in spec.workloads]
    spec_dict = spec.to_dict()
    mpath = out_dir / "manifest.json"
    shards: dict[str, Any] = {}
    if mpath.exists() and overwrite:
        old = _read_manifest(out_dir)
        for name in old["shards"]:
            with contextlib.suppress(FileNotFoundError):
                (out_dir / name).unlink()
        mpath.unlink()
    elif mpath.exists():
        old = _read_manifest(out_dir)
        diff = differences(old.get("spec", {}), spec_dict)
        if diff:
            raise DatasetError(
                f"{out_dir} holds a different dataset (differs in: "
                f"{', '.join(diff)}); use overwrite (--overwrite) or another folder"
            )
        shards = {k: v for k, v in old["shards"].items() if (out_dir / k).is_file()}
    elif any(out_dir.glob("shard-*.parquet")):
        raise DatasetError(
            f"{out_dir} holds shards but no manifest.json; use overwrite or another "
            "folder"
        )
    remove_stale_temps(out_dir)
    n_target = min(spec.n_configs, len(space))
    if n_target < spec.n_configs and spec.method == "random":
        raise DatasetError(
            f"n_configs: the space has only {plural(len(space), 'design')}, asked for "
            f"{spec.n_configs}"
        )
    indices = space.sample(spec.n_configs, method=spec.method, seed=spec.seed)  # type: ignore[arg-type]
    n_shards = math.ceil(len(indices) / spec.shard_size)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tldse_version": package_version(),
        "spec": spec_dict,
        "workload_names": [w.name for w in wls],
        "feature_names": list(feature_names(spec.kind)),
        "targets": {k: v[0] for k, v in TARGETS.items()},
        "n_shards": n_shards,
        "shards": shards,
        "complete": False,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    label = label_layers if spec.kind == "layer" else label_networks
    todo = [i for i in range(n_shards) if _shard_name(i) not in shards]
    write_json_atomic(mpath, manifest)
    with Progress(progress, len(indices), f"dataset {out_dir.name}", "designs") as bar:
        bar.start_at(
            len(indices) - sum(_shard_len(i, spec, len(indices)) for i in todo)
        )
        for i in todo:
            lo, hi = i * spec.shard_size, min((i + 1) * spec.shard_size, len(indices))
            idx = indices[lo:hi]
            df = label(
                space.configs(idx),
                wls,
                fidelity=spec.fidelity,
                design=idx,
                mapper_objective=spec.mapper_objective,
                mapper=spec.mapper,
                threads=threads,
            )
            df.insert(0, "shard", np.int64(i))
            write_parquet_atomic(out_dir / _shard_name(i), df)
            shards[_shard_name(i)] = {
                "rows": len(df),
                "designs": [lo, hi],
                "feasible": int((df["status"] == 0).sum()),
            }
            manifest["shards"] = dict(sorted(shards.items()))
            write_json_atomic(mpath, manifest)
            bar.advance(hi - lo)
    manifest["complete"] = True
    manifest["rows"] = sum(int(v["rows"]) for v in shards.values())
    write_json_atomic(mpath, manifest)
    return out_dir


def _shard_len(i: int, spec: DatasetSpec, total: int) -> int:
    return min((i + 1) * spec.shard_size, total) - i * spec.shard_size


_SHARD_RE = re.compile(r"shard-[0-9]{5,}\.parquet")


def _read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a dataset folder, its ``shards`` checked to be shard file
    names in the folder itself (a manifest never makes tldse read or delete
    anything else)."""
    path = folder / "manifest.json"
    try:
        data = parse_json(read_text(path, "dataset manifest"), str(path))
    except FileNotFoundError:
        raise DatasetError(
            f"{folder}: no manifest.json (not a tldse dataset)"
        ) from None
    except ValueError as exc:  # not UTF-8, not JSON, a key given twice
        raise DatasetError(str(exc)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DatasetError(f"{path}: not a tldse dataset manifest")
    spec = data.setdefault("spec", {})
    if not isinstance(spec, dict) or spec.get("kind", "layer") not in (
        "layer",
        "network",
    ):
        raise DatasetError(f"{path}: spec: expected a table with kind layer or network")
    shards = data.setdefault("shards", {})
    if not isinstance(shards, dict):
        raise DatasetError(f"{path}: shards: expected a table of shard files")
    for name in shards:
        try:
            plain_name(folder, name, f"{path}: shards")
        except UnsafeNameError as exc:
            raise DatasetError(str(exc)) from None
        if not _SHARD_RE.fullmatch(name):
            raise DatasetError(
                f"{path}: shards: {name!r} is not a shard file name "
                "(shard-NNNNN.parquet)"
            )
    return data


# ---------------------------------------------------------------- reading


@dataclass
class Dataset:
    """A labelled table: features ``x_*``, targets, and what made it."""

    frame: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    kind: DatasetKind = "layer"

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(c[2:] for c in self.frame.columns if c.startswith("x_"))

    def feasible(self) -> Dataset:
        """Only rows with status ok (finite targets)."""
        keep = (self.frame["status"] == 0).to_numpy()
        return Dataset(
            self.frame[keep].reset_index(drop=True), self.manifest, self.kind
        )

    def subset(self, mask: npt.ArrayLike) -> Dataset:
        m = np.asarray(mask)
        return Dataset(self.frame[m].reset_index(drop=True), self.manifest, self.kind)

    def arrays(
        self,
        targets: Sequence[str] = ("latency", "energy"),
        features: Sequence[str] | None = None,
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """``(X, Y)`` of the feasible rows; ``Y`` holds the transformed targets
        (``TARGETS``) in the order given."""
        ds = self.feasible()
        return ds.x(features), ds.y(targets)

    def x(self, features: Sequence[str] | None = None) -> npt.NDArray[np.float32]:
        names = list(features) if features is not None else list(self.feature_names)
        missing = [f for f in names if f"x_{f}" not in self.frame.columns]
        if missing:
            raise DatasetError(f"dataset lacks feature column(s): {', '.join(missing)}")
        return np.ascontiguousarray(
            self.frame[[f"x_{f}" for f in names]].to_numpy(np.float32)
        )

    def y(
        self, targets: Sequence[str] = ("latency", "energy")
    ) -> npt.NDArray[np.float32]:
        cols = []
        for t in targets:
            if t not in TARGETS:
                raise DatasetError(f"unknown target {t!r}; valid: {', '.join(TARGETS)}")
            cols.append(TARGETS[t][0])
        missing = [c for c in cols if c not in self.frame.columns]
        if missing:
            raise DatasetError(f"dataset lacks target column(s): {', '.join(missing)}")
        return np.ascontiguousarray(self.frame[cols].to_numpy(np.float32))

    def designs(self) -> npt.NDArray[np.int64]:
        return np.asarray(self.frame["design"].to_numpy(), dtype=np.int64)

    def split_designs(self, fractions: Sequence[float], seed: int = 0) -> list[Dataset]:
        """Splits by design (all rows of a design land in one part), e.g.
        ``(0.8, 0.2)``; the parts are disjoint and cover the dataset."""
        fr = np.asarray(fractions, dtype=np.float64)
        if fr.ndim != 1 or (fr < 0).any() or not math.isclose(fr.sum(), 1.0):
            raise DatasetError(f"fractions must be >= 0 and sum to 1, got {fractions}")
        uniq = np.unique(self.designs())
        rng = np.random.default_rng(seed)
        perm = rng.permutation(uniq)
        cuts = np.round(np.cumsum(fr)[:-1] * len(uniq)).astype(int)
        parts = np.split(perm, cuts)
        d = self.designs()
        return [self.subset(np.isin(d, p)) for p in parts]


def load(folder: str | Path, *, require_complete: bool = True) -> Dataset:
    """Reads a dataset folder written by :func:`generate`."""
    import pandas as pd

    path = Path(folder)
    manifest = _read_manifest(path)
    if require_complete and not manifest.get("complete"):
        raise DatasetError(
            f"{path}: dataset is incomplete ({len(manifest.get('shards', {}))} of "
            f"{manifest.get('n_shards')} shards); re-run tldse dataset to finish it"
        )
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    names = sorted(manifest["shards"])
    if not names:
        raise DatasetError(f"{path}: dataset has no shards (empty)")
    frames = []
    for name in names:
        try:
            frames.append(pq.read_table(path / name).to_pandas())
        except (OSError, ValueError) as exc:
            raise DatasetError(f"{path / name}: cannot read shard ({exc})") from None
    frame = pd.concat(frames, ignore_index=True)
    kind = manifest.get("spec", {}).get("kind", "layer")
    return Dataset(frame, manifest, kind)
