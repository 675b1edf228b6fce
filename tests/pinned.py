"""Digests of results that refactors must not change (see tools/gen_pinned_outputs.py).

Each case builds its inputs from a seeded numpy generator and public APIs only, so the
same digests can be computed before and after code moves."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np

import tldse

EVAL_FIELDS = ("latency_cycles", "energy_pj", "status", "compute_cycles", "dram_bytes")


def _digest(*arrays: Any) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(np.asarray(a))
        h.update(str(a.dtype).encode())
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def random_designs(dataflow: str, n: int, seed: int) -> Any:
    """n random designs of one dataflow as a DataFrame of config columns."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    p2 = lambda lo, hi: 2 ** rng.integers(lo, hi + 1, n)  # noqa: E731
    glb = p2(12, 21)
    return pd.DataFrame(
        {
            "dataflow": dataflow,
            "pe_rows": p2(2, 6),
            "pe_cols": p2(2, 6),
            "rf_bytes": p2(4, 10),
            "glb_bytes": glb,
            "dram_bw_bytes_per_cycle": p2(1, 6),
            "glb_bw_bytes_per_cycle": p2(3, 8),
            "multicast": rng.integers(0, 2, n).astype(bool),
            "weight_bits": rng.choice([8, 16], n),
            "act_bits": rng.choice([8, 16], n),
            "clock_mhz": rng.choice([200.0, 500.0, 1000.0], n),
        }
    )


def _eval_case(dataflow: str, workload: str, objective: str, mapper: str, n: int):
    def run() -> str:
        designs = random_designs(dataflow, n, seed=hash_seed(dataflow, workload))
        net = tldse.workloads.get(workload)
        kw: dict[str, Any] = {"mapper": mapper}
        # the rs mapper's objective; the keyword is the same in old and new APIs
        kw["objective" if _old_api() else "mapper_objective"] = objective
        ev = tldse.evaluate(designs, net, threads=2, **kw)
        return _digest(*(ev[f] for f in EVAL_FIELDS), ev["area_um2"])

    return run


def _old_api() -> bool:
    import inspect

    return "mapper_objective" not in inspect.signature(tldse.evaluate).parameters


def hash_seed(*parts: str) -> int:
    return int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:8], 16)


def _sweep_case() -> str:
    res = tldse.sweep("tiny", "resnet18")
    f = res.front.sort_values(["latency_ms", "energy_uj", "area_mm2"])
    cols = ["latency_ms", "energy_uj", "area_mm2"]
    return _digest(f[cols].to_numpy(np.float64))


def _explore_case(method: str) -> Callable[[], str]:
    def run() -> str:
        import torch

        from_ = getattr(tldse, "explore", None)
        if not callable(from_):  # before the restructure: a module of that name
            from_ = __import__("tldse.explore", fromlist=["explore"]).explore
        torch.set_num_threads(1)
        res = from_("tiny", "resnet18", budget=60, method=method, seed=3)
        cols = ["latency_ms", "energy_uj", "area_mm2"]
        f = res.front.sort_values(["index"])
        return _digest(
            f["index"].to_numpy(np.int64),
            f[cols].to_numpy(np.float64),
            np.sort(np.asarray(res.indices, dtype=np.int64)),
        )

    return run


def cases() -> dict[str, Callable[[], str]]:
    out: dict[str, Callable[[], str]] = {}
    for df in ("ws", "os", "is"):
        for wl in ("mobilenet_v2", "resnet50"):
            out[f"evaluate/{df}/{wl}"] = _eval_case(df, wl, "edp", "heuristic", 1500)
    for wl in ("mobilenet_v2", "resnet50"):
        for obj in ("latency", "energy", "edp"):
            out[f"evaluate/rs/{wl}/{obj}"] = _eval_case("rs", wl, obj, "heuristic", 400)
    out["evaluate/rs/mobilenet_v2/edp/exhaustive"] = _eval_case(
        "rs", "mobilenet_v2", "edp", "exhaustive", 8
    )
    out["sweep/tiny/resnet18"] = _sweep_case
    out["explore/tiny/resnet18/random"] = _explore_case("random")
    out["explore/tiny/resnet18/surrogate"] = _explore_case("surrogate")
    return out


def compute_all() -> dict[str, str]:
    return {name: fn() for name, fn in cases().items()}
