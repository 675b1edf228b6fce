"""The surrogate of an expensive evaluator in a search: the analytical model as
prior and features, a pretrained model transferred to the evaluator's samples.

:class:`FidelityLearner` is what :func:`tldse.exploration.surrogate.surrogate_search`
uses when the problem's evaluator is an expensive one (SCALE-Sim, ZigZag, a
command): every (design, layer) pair the evaluator ran on is a sample; the
model is the pretrained fidelity model (:func:`tldse.learn.pretrain.pretrained_model`,
built and cached on first use) adapted to the samples by
:func:`tldse.learn.transfer.transfer`, whose candidates include the analytical
model alone, the analytical model times a constant, the closed form of a
SCALE-Sim-like memory system, fine-tuned pretrained members and corrections
learned on top of a reference (:data:`SEARCH_CANDIDATES`); the chosen candidate
is refitted every round and the choice is made again each time the samples
have grown fourfold. Predictions over the
space are per (design, layer) pair with a calibrated spread; a design's network
value is the count-weighted sum of its layers, and its spread in log units the
value-weighted mean of its layers' (errors of one design's layers are taken as
fully correlated: the conservative choice).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from tldse.arch import CONFIG_INDEX, energy_from_spec
from tldse.exploration.problem import Problem, combine
from tldse.search.metrics import METRIC_INDEX, METRICS
from tldse.workloads.layer import Workload

#: The references an evaluator's candidates are built on.
EVALUATOR_REFERENCES: tuple[str, ...] = (
    "analytical",
    "analytical_compute",
    "systolic",
    "unrolled",
)
#: The candidates a search chooses among (the cheap ones of
#: :func:`tldse.learn.transfer.candidates`: a search refits its model every
#: round, and its own time should stay small next to the evaluator's).
SEARCH_CANDIDATES: tuple[str, ...] = (
    "zero-shot",
    "offset",
    "full-l2sp-strong",
    *EVALUATOR_REFERENCES,
    *(f"{r} x const" for r in EVALUATOR_REFERENCES),
    "ridge/systolic",
    "ridge/unrolled",
)


class FidelityLearner:
    """Samples, model and predictions of a search against an expensive
    evaluator (see the module docstring). ``pretrained``: the pretrained size
    (``quick``, ``full``) or a :class:`~tldse.learn.fidelity.FidelityModel`."""

    def __init__(
        self,
        problem: Problem,
        *,
        pretrained: Any = "quick",
        members: int = 3,
        folds: int = 3,
        reselect: float = 4.0,
        seed: int = 0,
        say: Callable[[str], None] | None = None,
    ) -> None:
        from tldse.learn.fidelity import EVALUATOR_GROUPS, FeatureSet
        from tldse.learn.pretrain import pretrained_model
        from tldse.learn.transfer import candidates

        assert problem.evaluator is not None
        self.problem = problem
        self.folded = problem.folded
        self.targets: tuple[str, ...] = (
            ("latency", "energy") if problem.evaluator.has_energy else ("latency",)
        )
        t0 = time.perf_counter()
        self.pretrained = (
            pretrained
            if not isinstance(pretrained, str)
            else pretrained_model(pretrained, say=say)
        )
        self.pretrain_load_seconds = time.perf_counter() - t0
        self.features = FeatureSet(EVALUATOR_GROUPS)
        self.candidates = [
            c
            for c in candidates(True, EVALUATOR_REFERENCES)
            if c.name in SEARCH_CANDIDATES
        ]
        self.members, self.folds, self.seed = members, folds, seed
        self.reselect = reselect
        self.energy = energy_from_spec(problem.energy) if problem.energy else None
        self.designs = 0
        self._cfg: list[npt.NDArray[np.float64]] = []
        self._lay: list[npt.NDArray[np.float64]] = []
        self._truth: dict[str, list[npt.NDArray[np.float64]]] = {
            t: [] for t in self.targets
        }
        self._group: list[npt.NDArray[np.int64]] = []
        self.model: Any = None
        self.chosen: str = ""
        self._selected_at = 0
        self.history: list[dict[str, Any]] = []
        self.fit_seconds = 0.0

    def _pairs(self, configs: Any, layers: Any) -> Any:
        from tldse.learn.fidelity import Pairs

        p = self.problem
        return Pairs(
            configs,
            layers,
            energy=self.energy,
            mapper=p.mapper,
            mapper_objective=p.mapper_objective,
            threads=p.threads,
        )

    def add(self, idx: npt.NDArray[np.int64]) -> None:
        """The per-layer samples of newly evaluated designs ``idx``."""
        if not len(idx):
            return
        self.designs += len(idx)
        configs = self.problem.space.configs(idx)
        per_wl = self.problem.simulate_layers(idx)  # the evaluator's, memoised
        for wl, res in zip(self.folded, per_wl, strict=True):
            lay = wl.table().astype(np.float64)
            m = len(lay)
            lat, en = res[:, :m].reshape(-1), res[:, m:].reshape(-1)
            ok = np.isfinite(lat) & (lat > 0)
            self._cfg.append(np.repeat(configs, m, axis=0)[ok])
            self._lay.append(np.tile(lay, (len(idx), 1))[ok])
            self._group.append(np.repeat(idx, m)[ok])
            self._truth["latency"].append(lat[ok])
            if "energy" in self._truth:
                self._truth["energy"].append(en[ok])

    @property
    def samples(self) -> int:
        return int(sum(len(c) for c in self._cfg))

    def fit(self) -> None:
        """Chooses the candidate by cross-validation when the samples have
        grown ``reselect``-fold (fourfold by default) since the last choice (or
        on the first fit), else refits the chosen one on every sample (keeping
        the last choice's sigma calibration)."""
        from tldse.learn.transfer import fit_candidate, transfer

        n = self.samples
        if n < 2:
            return
        t0 = time.perf_counter()
        pairs = self._pairs(np.concatenate(self._cfg), np.concatenate(self._lay))
        truth = {t: np.concatenate(v) for t, v in self._truth.items()}
        groups = np.concatenate(self._group)
        # pairs the analytical model cannot map have no reference: left out
        fits = np.flatnonzero(pairs.analytical["status"] == 0)
        if len(fits) < n:
            pairs, groups = pairs.take(fits), groups[fits]
            truth = {t: v[fits] for t, v in truth.items()}
            n = len(fits)
            if n < 2:
                return
        if self.model is None or n >= self.reselect * self._selected_at:
            res = transfer(
                self.pretrained,
                pairs,
                truth,
                self.targets,
                cands=self.candidates,
                features=self.features,
                folds=self.folds,
                groups=groups,
                members=self.members,
                seed=self.seed,
            )
            self.model, self.chosen, self._selected_at = res.model, res.chosen, n
            cv = res.cv[res.chosen]
        else:
            chosen = next(c for c in self.candidates if c.name == self.chosen)
            calib = (self.model.sigma_scale, self.model.sigma_floor)
            self.model = fit_candidate(
                chosen,
                self.pretrained,
                pairs,
                truth,
                self.targets,
                features=self.features,
                members=self.members,
                seed=self.seed,
            )
            self.model.sigma_scale, self.model.sigma_floor = calib
            cv = math.nan
        dt = time.perf_counter() - t0
        self.fit_seconds += dt
        self.history.append(
            {
                "samples": n,
                "chosen": self.chosen,
                "cv_mape": cv if math.isfinite(cv) else None,
                "seconds": dt,
            }
        )

    @property
    def ready(self) -> bool:
        return self.model is not None

    def predict_network(
        self, configs: npt.NDArray[np.float64], workload: Workload
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Per design: predicted network latency_cycles and energy_pj ``(k, 2)``
        (energy NaN without an energy target) and their sigmas in log units."""
        from tldse.learn.fidelity import Pairs

        lay = workload.table().astype(np.float64)
        counts = lay[:, -1]
        grid = Pairs.grid(
            configs,
            lay,
            energy=self.energy,
            mapper=self.problem.mapper,
            mapper_objective=self.problem.mapper_objective,
            threads=self.problem.threads,
        )
        pred = self.model.predict(grid)
        k, m = len(configs), len(lay)
        vals = np.full((k, 2), np.nan)
        sig = np.zeros((k, 2))
        for j, t in enumerate(("latency", "energy")):
            if t not in pred.values:
                continue
            v = pred.values[t].reshape(k, m) * counts
            total = v.sum(axis=1)
            vals[:, j] = total
            sig[:, j] = (v * pred.sigma[t].reshape(k, m)).sum(axis=1) / total
        return vals, sig

    def predict_all(
        self,
        area_um2: npt.NDArray[np.float64],
        chunk: int,
    ) -> tuple[
        npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]
    ]:
        """``(metrics, raw, sigma)`` of every design: the predicted metric table,
        per-workload predicted latency and energy ``(n, 2 w)``, and per metric
        column the spread in log units (0 for area, which is exact)."""
        space = self.problem.space
        n = len(space)
        metrics = np.empty((n, len(METRICS)))
        raw = np.empty((n, 2 * len(self.folded)))
        sigma = np.zeros((n, len(METRICS)))
        i = METRIC_INDEX
        rows = max(len(w.layers) for w in self.folded)
        for lo, hi in space.chunks(max(1, chunk // rows)):
            configs = space.configs(np.arange(lo, hi, dtype=np.int64))
            clock = configs[:, CONFIG_INDEX["clock_mhz"]]
            parts, sig_parts = [], []
            for w, wl in enumerate(self.folded):
                y, s = self.predict_network(configs, wl)
                raw[lo:hi, 2 * w : 2 * w + 2] = y
                parts.append(predicted_metrics(y, clock, area_um2[lo:hi]))
                sig_parts.append(s)
            metrics[lo:hi] = combine(parts, self.problem.weights)
            s = _combine_sigma(
                [p[:, [i["latency_cycles"], i["energy_uj"]]] for p in parts],
                sig_parts,
                self.problem.weights,
            )
            for col in ("latency_cycles", "latency_ms"):
                sigma[lo:hi, i[col]] = s[:, 0]
            sigma[lo:hi, i["energy_uj"]] = s[:, 1]
            sigma[lo:hi, i["edp_uj_ms"]] = s[:, 0] + s[:, 1]
            sigma[lo:hi, i["power_mw"]] = s[:, 0] + s[:, 1]
        return metrics, raw, sigma

    def seed_designs(
        self, k: int, area_um2: npt.NDArray[np.float64], chunk: int
    ) -> npt.NDArray[np.int64]:
        """``k`` designs to evaluate before any sample: an equal share from the
        predicted front of each reference alone (the analytical model, its
        compute cycles, the SCALE-Sim-like closed form, the unrolled loop nest),
        the next layers when a front is small; the references cost microseconds
        per design. Of each reference's share, the first design of its front
        (:func:`~tldse.exploration.baselines.front_layers`) is always taken and
        the rest drawn by the learner's seed from twice as many front designs,
        so that searches with different seeds start differently."""
        from tldse.exploration.baselines import front_layers
        from tldse.learn.fidelity import FidelityModel

        refs = EVALUATOR_REFERENCES
        rng = np.random.default_rng(self.seed)
        out: list[int] = []
        saved = self.model
        try:
            for j, ref in enumerate(refs):
                self.model = FidelityModel(self.features, ref, self.targets)
                pred, _, _ = self.predict_all(area_um2, chunk)
                share = -(-(k - len(out)) // (len(refs) - j))
                if share <= 0:
                    continue
                pool = front_layers(self.problem, pred, 2 * share, exclude=out)
                pick = pool[:share]
                if len(pool) > share:
                    rest = rng.choice(len(pool) - 1, share - 1, replace=False)
                    pick = np.concatenate([pool[:1], pool[1 + np.sort(rest)]])
                out += [int(i) for i in pick]
        finally:
            self.model = saved
        return np.asarray(out[:k], dtype=np.int64)

    def summary(self) -> dict[str, Any]:
        return {
            "model": "fidelity",
            "targets": list(self.targets),
            "chosen": self.chosen,
            "samples": self.samples,
            "fits": self.history,
            "fit_seconds": self.fit_seconds,
            "pretrained": self.pretrained.metadata.get("pretraining", {}).get(
                "config", {}
            ),
            "pretrained_load_seconds": self.pretrain_load_seconds,
        }


def predicted_metrics(
    y: npt.NDArray[np.float64],
    clock: npt.NDArray[np.float64],
    area_um2: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """The metric table of predicted network ``latency_cycles`` and ``energy_pj``
    ``(k, 2)`` (area exact; utilization and DRAM bytes are not predicted: 0)."""
    i = METRIC_INDEX
    m = np.full((len(y), len(METRICS)), np.nan)
    m[:, i["latency_cycles"]] = y[:, 0]
    m[:, i["latency_ms"]] = y[:, 0] / (clock * 1e3)
    m[:, i["energy_uj"]] = y[:, 1] * 1e-6
    m[:, i["area_mm2"]] = area_um2 * 1e-6
    m[:, i["edp_uj_ms"]] = m[:, i["energy_uj"]] * m[:, i["latency_ms"]]
    m[:, i["power_mw"]] = m[:, i["energy_uj"]] / m[:, i["latency_ms"]]
    m[:, i["utilization"]] = 0.0
    m[:, i["dram_bytes"]] = 0.0
    return m


def _combine_sigma(
    values: Sequence[npt.NDArray[np.float64]],
    sigmas: Sequence[npt.NDArray[np.float64]],
    weights: Sequence[float],
) -> npt.NDArray[np.float64]:
    """The log-unit spread of weighted sums of per-workload values (correlated:
    the value-weighted mean of the spreads)."""
    num = sum(w * v * s for v, s, w in zip(values, sigmas, weights, strict=True))
    den = sum(w * v for v, w in zip(values, weights, strict=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.asarray(num / den, dtype=np.float64)
    return np.nan_to_num(out, nan=0.0)
