"""Surrogate-pruned search: predict every design, simulate only the promising ones.

The loop (:func:`surrogate_search`):

1. simulate an initial Sobol sample of the space (or fewer designs when a trained
   model is given) and train a multi-task surrogate (targets log latency and log
   energy) of (design, layer) pairs (features :data:`tldse.data.PAIR_FEATURES`;
   a network's prediction is the count-weighted sum over its layer shapes) or,
   when the space is too large to predict layer by layer every round, of whole
   networks (:data:`tldse.data.NETWORK_FEATURES`; ``PrunedConfig.granularity``);
2. predict every design of the space, streamed in chunks of ``chunk_size``
   model rows (torch inference batched). Area is not predicted: it depends only on
   the design and is computed exactly (``EnergyTable.area_um2``, microseconds per
   design, no simulation);
3. score every unsimulated design that the predictions say meets the
   constraints by its distance to the predicted Pareto front, in log units
   (``d = min over front q of max over objectives (log p - log q)``: 0 on the
   front, ``log 1.05`` for a design 5% worse than the front in its best
   dimension), and simulate the ``round_size`` closest;
4. fine-tune the surrogate on everything simulated so far and repeat until the
   budget is spent, or until no unsimulated design lies within ``margin`` of the
   predicted front and the last two rounds left the simulated front unchanged.

The answer is the constrained Pareto front of the *simulated* designs only:
predictions choose what to simulate, never what is reported.

:class:`~tldse.exploration.problem.Problem` and
:class:`~tldse.exploration.problem.Oracle` are shared with the baselines in
:mod:`tldse.exploration.baselines`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tldse._util.progress import Progress
from tldse._util.progress import note as _note
from tldse._util.table import plural
from tldse.arch import CONFIG_INDEX
from tldse.search.metrics import (
    METRIC_INDEX,
    METRICS,
    Constraint,
    objective_columns,
)
from tldse.search.pareto import pareto_mask
from tldse.search.results import design_areas_um2
from tldse.workloads.layer import Workload

if TYPE_CHECKING:
    from tldse.learn.model import Surrogate
    from tldse.learn.train import TrainConfig

from tldse.exploration.baselines import exhaustive_search
from tldse.exploration.fidelity import FidelityLearner
from tldse.exploration.problem import (
    Lookup,
    Oracle,
    Problem,
    SearchError,
    SearchResult,
    combine,
    finish,
)

DEFAULT_CHUNK_SIZE = 65536
#: Objectives the surrogate can predict (they derive from latency, energy, area).
PREDICTABLE = ("latency", "energy", "area", "edp", "power", "latency_cycles")
_CLOCK = CONFIG_INDEX["clock_mhz"]


# ---------------------------------------------------------------- the surrogate


@dataclass
class PrunedConfig:
    """Knobs of :func:`surrogate_search` (defaults tuned on the quick search
    experiment; see docs/explore.md)."""

    #: initial sample, as a fraction of the budget: a fresh per-layer model, a
    #: fresh per-network model (it needs more designs), a given model (--model)
    init_fraction: float = 0.1
    init_fraction_network: float = 0.3
    init_fraction_pretrained: float = 0.03
    min_init: int = 32
    #: rounds after the initial sample (the round size follows): per-layer or
    #: given model, fresh per-network model
    rounds: int = 12
    rounds_network: int = 6
    #: what the surrogate models: "layer" ((design, layer) pairs, PAIR_FEATURES;
    #: network totals are predicted sums: more accurate from few designs),
    #: "network" (one row per design and workload, NETWORK_FEATURES: cheaper to
    #: predict), or "auto": layer when one prediction of the space is at most
    #: ``auto_layer_rows`` model rows (designs x distinct layer shapes)
    granularity: str = "auto"
    auto_layer_rows: int = 2_000_000
    margin: float = 0.05  # convergence: no unsimulated design within 5% of front
    hidden: tuple[int, ...] = (64, 64)
    head_hidden: tuple[int, ...] = (32,)
    epochs: int = 150
    finetune_epochs: int = 40
    batch_size: int = 512
    lr: float = 3e-3
    finetune_lr: float = 1e-3
    #: minibatches per fine-tuning epoch at most (the batch grows with the data;
    #: 0: always batch_size)
    finetune_steps: int = 8
    patience: int = 25
    chunk_size: int = DEFAULT_CHUNK_SIZE
    #: torch threads: 1 is fastest for this small network (more threads spin
    #: against the simulator's and each other on small batches)
    threads: int | None = 1
    device: str = "cpu"
    #: an expensive evaluator without a given model: the pretrained fidelity
    #: model of this size (tldse.learn.pretrain; built and cached on first use)
    #: transferred to the evaluator's samples (tldse.exploration.fidelity)
    pretrained: str = "quick"
    #: pretrained members fine-tuned (the ensemble whose spread is the margin)
    fidelity_members: int = 3
    #: folds of the cross-validation that chooses the transfer candidate
    fidelity_folds: int = 3
    #: an expensive evaluator's search: initial sample (fraction of the budget,
    #: at least fidelity_min_init designs), rounds and the least round size (the
    #: pretrained model and the analytical model make a small start enough)
    fidelity_init_fraction: float = 0.1
    fidelity_min_init: int = 4
    fidelity_rounds: int = 6
    fidelity_min_round: int = 2
    #: candidates are ranked by their optimistic prediction, the predicted log
    #: value minus this many sigmas (the model's calibrated spread)
    sigma_margin: float = 1.0


GRANULARITIES = ("auto", "layer", "network")


def _per_layer(
    cfg: PrunedConfig, model: Surrogate | None, n: int, folded: Sequence[Workload]
) -> bool:
    """Whether the surrogate works on (design, layer) pairs (see PrunedConfig)."""
    from tldse.learn.features import NETWORK_FEATURES, PAIR_FEATURES

    if cfg.granularity not in GRANULARITIES:
        raise SearchError(
            f"granularity must be one of {', '.join(GRANULARITIES)}; got "
            f"{cfg.granularity!r}"
        )
    if model is not None:
        names = tuple(model.feature_names)
        if names not in (NETWORK_FEATURES, PAIR_FEATURES) or tuple(
            model.targets[:2]
        ) != ("latency", "energy"):
            raise SearchError(
                "--model must be a surrogate of (design, layer) pairs (features "
                "tldse.data.PAIR_FEATURES) or of networks (NETWORK_FEATURES) with "
                "targets latency, energy first; train one with `tldse train`"
            )
        per_layer = names == PAIR_FEATURES
        if cfg.granularity != "auto" and (cfg.granularity == "layer") != per_layer:
            raise SearchError(
                f"granularity {cfg.granularity} disagrees with the --model, a "
                f"surrogate of {'(design, layer) pairs' if per_layer else 'networks'}"
                " (leave --granularity at auto)"
            )
        return per_layer
    if cfg.granularity != "auto":
        return cfg.granularity == "layer"
    return n * sum(len(w.layers) for w in folded) <= cfg.auto_layer_rows


def _new_model(cfg: PrunedConfig, seed: int, per_layer: bool) -> Surrogate:
    from tldse.learn.features import NETWORK_FEATURES, PAIR_FEATURES
    from tldse.learn.model import Surrogate

    return Surrogate.create(
        PAIR_FEATURES if per_layer else NETWORK_FEATURES,
        ("latency", "energy"),
        hidden=cfg.hidden,
        head_hidden=cfg.head_hidden,
        seed=seed,
    )


def _pairs(
    configs: npt.NDArray[np.float64], workload: Workload
) -> npt.NDArray[np.float64]:
    """Features of every (design, layer) pair, design-major."""
    from tldse.learn.features import pair_features_grid

    return pair_features_grid(configs, workload.table())


class TrainingSet:
    """Training rows of the designs simulated so far, grown as they come: one
    row per (design, workload) with targets the network's log latency_cycles
    and log energy_pj, or (``per_layer``) one row per (design, workload, layer
    shape) with the layer's. Infeasible designs / layers give no row. Per-layer
    targets come from :meth:`Problem.simulate_layers` (the oracle keeps network
    totals only; microseconds per design, and kept in the problem's cache)."""

    def __init__(
        self, problem: Problem, folded: Sequence[Workload], per_layer: bool
    ) -> None:
        self.problem, self.folded, self.per_layer = problem, list(folded), per_layer
        self._x: list[npt.NDArray[np.float64]] = []
        self._y: list[npt.NDArray[np.float64]] = []
        self.designs = 0

    def add(
        self, idx: npt.NDArray[np.int64], per_wl: Sequence[npt.NDArray[np.float64]]
    ) -> None:
        """Rows of newly simulated designs ``idx`` (``per_wl``: their metric
        tables, one per workload, as :meth:`Problem.simulate_parts` gives)."""
        if not len(idx):
            return
        self.designs += len(idx)
        configs = self.problem.space.configs(idx)
        if self.per_layer:
            layers = self.problem.simulate_layers(idx)
            for wl, res in zip(self.folded, layers, strict=True):
                n_l = len(wl.layers)
                lat, en = res[:, :n_l].reshape(-1), res[:, n_l:].reshape(-1)
                ok = ~np.isnan(lat)
                self._x.append(_pairs(configs, wl)[ok])
                self._y.append(np.stack([np.log(lat[ok]), np.log(en[ok])], axis=1))
            return
        from tldse.learn.features import network_features

        i = METRIC_INDEX
        for wl, m in zip(self.folded, per_wl, strict=True):
            good = ~np.isnan(m).any(axis=1)
            self._x.append(network_features(configs, wl)[good])
            self._y.append(
                np.stack(
                    [
                        np.log(m[good, i["latency_cycles"]]),
                        np.log(m[good, i["energy_uj"]] * 1e6),
                    ],
                    axis=1,
                )
            )

    def arrays(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        if not self._x:
            return np.empty((0, 0)), np.empty((0, 2))
        return np.concatenate(self._x), np.concatenate(self._y)


def _predict_network(
    configs: npt.NDArray[np.float64],
    workload: Workload,
    model: Surrogate,
    per_layer: bool,
) -> npt.NDArray[np.float64]:
    """Predicted network latency_cycles and energy_pj ``(k, 2)`` of designs."""
    if not per_layer:
        from tldse.learn.features import network_features

        y = np.exp(model.predict(network_features(configs, workload))[:, :2])
        return np.asarray(y, dtype=np.float64)
    counts = workload.table()[:, -1]
    y = np.exp(model.predict(_pairs(configs, workload))[:, :2])
    total = np.einsum("kmt,m->kt", y.reshape(len(configs), len(counts), 2), counts)
    return np.asarray(total, dtype=np.float64)


def _predict_all(
    problem: Problem,
    folded: Sequence[Workload],
    model: Surrogate,
    area_um2: npt.NDArray[np.float64],
    chunk: int,
    per_layer: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Predicted metric table of every design, streamed (``chunk`` model rows at
    a time): ``(metrics, per-workload predicted latency_cycles and energy_pj
    (n, 2 * n_workloads))``."""
    from tldse.exploration.fidelity import predicted_metrics

    space = problem.space
    n = len(space)
    metrics = np.empty((n, len(METRICS)), dtype=np.float64)
    raw = np.empty((n, 2 * len(folded)), dtype=np.float64)
    rows_per_design = max(len(w.layers) for w in folded) if per_layer else 1
    for lo, hi in space.chunks(max(1, chunk // rows_per_design)):
        configs = space.configs(np.arange(lo, hi, dtype=np.int64))
        clock = configs[:, _CLOCK]
        parts = []
        for w, wl in enumerate(folded):
            y = _predict_network(configs, wl, model, per_layer)
            raw[lo:hi, 2 * w : 2 * w + 2] = y
            parts.append(predicted_metrics(y, clock, area_um2[lo:hi]))
        metrics[lo:hi] = combine(parts, problem.weights)
    return metrics, raw


def front_distance(
    points: npt.NDArray[np.float64],
    front: npt.NDArray[np.float64],
    point_ids: npt.NDArray[np.int64] | None = None,
    front_ids: npt.NDArray[np.int64] | None = None,
    block: int = 2048,
) -> npt.NDArray[np.float64]:
    """``d[i] = min_q max_j (points[i, j] - front[q, j])`` over front rows ``q``
    other than the point itself (same id): the additive epsilon indicator. With
    log objectives, > 0 is how much worse than the front a point is in its best
    dimension; <= 0 (on the front) how far it leads its nearest neighbour, so
    isolated front points come first. ``inf`` when nothing is left to compare."""
    out = np.full(len(points), np.inf)
    if not len(front):
        return out
    for lo in range(0, len(points), block):
        p = points[lo : lo + block]
        d = (p[:, None, :] - front[None, :, :]).max(axis=2)
        if point_ids is not None and front_ids is not None:
            d[point_ids[lo : lo + block, None] == front_ids[None, :]] = np.inf
        out[lo : lo + block] = d.min(axis=1)
    return out


def _pool(
    points: npt.NDArray[np.float64], want: int, max_layers: int = 4
) -> npt.NDArray[np.int64]:
    """Rows in the first non-dominated layers of ``points`` (at least ``want``
    rows when ``max_layers`` layers hold them)."""
    if points.shape[1] == 1:
        order = np.argsort(points[:, 0], kind="stable")
        return np.asarray(order[: max(2 * want, 1)], dtype=np.int64)
    remaining = np.arange(len(points))
    chosen: list[npt.NDArray[np.int64]] = []
    got = 0
    for _ in range(max_layers):
        if not len(remaining) or got >= want:
            break
        m = pareto_mask(points[remaining])
        chosen.append(remaining[m])
        got += int(m.sum())
        remaining = remaining[~m]
    return np.sort(np.concatenate(chosen)) if chosen else remaining[:0]


def surrogate_search(
    problem: Problem,
    budget: int,
    *,
    seed: int = 0,
    model: Surrogate | None = None,
    config: PrunedConfig | None = None,
    lookup: Lookup = None,
    progress: bool = False,
) -> SearchResult:
    """Surrogate-pruned search (see the module docstring). ``model``: a trained
    surrogate (of (design, layer) pairs or of networks) to start from,
    fine-tuned on what is simulated; otherwise one is trained from scratch.
    Deterministic for a given seed and torch thread count."""
    import torch

    from tldse.learn.model import resolve_device
    from tldse.learn.train import fit

    cfg = config or PrunedConfig()
    resolve_device(cfg.device)  # a bad device fails before anything is simulated
    fidelity = problem.evaluator is not None and model is None
    bad = [o for o in problem.objectives if o not in PREDICTABLE]
    if bad:
        raise SearchError(
            f"the surrogate method cannot predict {', '.join(bad)}; objectives it "
            f"supports: {', '.join(PREDICTABLE)} (use --method exhaustive, random "
            "or nsga2)"
        )
    t0 = time.perf_counter()
    space = problem.space
    n = len(space)
    if budget >= n:  # everything fits: that is the exhaustive answer
        res = exhaustive_search(problem, chunk_size=cfg.chunk_size, lookup=lookup)
        res.method, res.budget, res.stopped = "surrogate", budget, "space"
        return res
    folded = problem.folded
    oracle = Oracle(problem, budget, lookup)

    def simulate(idx: npt.NDArray[np.int64]) -> None:
        idx = idx[~oracle.known(idx)][: oracle.remaining]
        if len(idx):
            oracle.simulate(idx)

    def note(msg: str) -> None:
        _note(progress, msg)

    per_layer = fidelity or _per_layer(cfg, model, n, folded)
    threads = cfg.threads or torch.get_num_threads()
    cpu_threads = f", {plural(threads, 'CPU thread')}" if cfg.device == "cpu" else ""
    rows_per_prediction = n * (sum(len(w.layers) for w in folded) if per_layer else 1)
    note(
        f"surrogate of {'(design, layer) pairs' if per_layer else 'networks'}"
        f"{' (given model)' if model is not None else ''}"
        f"{' (pretrained, transferred to the evaluator)' if fidelity else ''}: "
        f"{rows_per_prediction:,} model rows per prediction of the space; "
        f"torch on {cfg.device}{cpu_threads}"
    )
    learner: FidelityLearner | None = None
    if fidelity:
        learner = FidelityLearner(
            problem,
            pretrained=cfg.pretrained,
            members=cfg.fidelity_members,
            folds=cfg.fidelity_folds,
            seed=seed,
            say=note,
        )
    min_init, min_round = cfg.min_init, 8
    if fidelity:
        init_frac, n_rounds = cfg.fidelity_init_fraction, cfg.fidelity_rounds
        min_init, min_round = cfg.fidelity_min_init, cfg.fidelity_min_round
    elif model is not None:
        model = model.copy()
        init_frac, n_rounds = cfg.init_fraction_pretrained, cfg.rounds
    elif per_layer:
        init_frac, n_rounds = cfg.init_fraction, cfg.rounds
    else:
        init_frac, n_rounds = cfg.init_fraction_network, cfg.rounds_network
    slow = rows_per_prediction > cfg.auto_layer_rows
    cpu = resolve_device(cfg.device).type == "cpu"
    if per_layer and slow and cpu and learner is None:
        net = model or _new_model(cfg, seed, True)
        given = model is not None
        _warn_slow(problem, folded, net, cfg, rows_per_prediction, n_rounds, given)
    n_init = min(budget, max(min_init, round(init_frac * budget)))
    area = design_areas_um2(space, problem.energy, cfg.chunk_size)
    if learner is not None:  # the references' fronts: no sample needed
        simulate(learner.seed_designs(n_init, area, cfg.chunk_size))
    else:
        simulate(space.sample(n_init, "sobol", seed))
    if oracle.used < n_init:  # Sobol repeats designs on small spaces
        extra = space.sample(min(n, 4 * n_init), "random", seed)
        extra = extra[~oracle.known(extra)][: n_init - oracle.used]
        simulate(extra)
    round_size = max(min_round, -(-(budget - oracle.used) // max(n_rounds, 1)))
    cols = objective_columns(problem.objectives)
    rounds: list[dict[str, Any]] = []
    preds: list[npt.NDArray[np.float64]] = []
    stopped = "budget"
    threads_before = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    bar = Progress(progress, budget, "explore", "simulations")
    try:
        bar.__enter__()
        bar.start_at(oracle.used)
        fresh = model is None
        if model is None and learner is None:
            model = _new_model(cfg, seed, per_layer)
        rows = TrainingSet(problem, folded, per_layer)
        r = 0
        calm = 0  # rounds in a row that left the simulated front unchanged
        while True:
            if learner is not None:
                learner.add(oracle.indices()[learner.designs :])
                if oracle.remaining:
                    learner.fit()
                fresh = not learner.ready
            else:
                assert model is not None
                done = rows.designs
                new = oracle.indices()[done:]
                rows.add(new, [] if per_layer else [p[done:] for p in oracle.parts()])
                x, y = rows.arrays()
                if len(x) >= 2:
                    fit(model, x, y, _train_config(cfg, fresh, seed + r, len(x)))
                    fresh = False
            if not oracle.remaining:
                break
            if fresh:  # nothing feasible to learn from yet: sample more designs
                more = space.sample(min(n, 4 * round_size), "random", seed + 1 + r)
                more = more[~oracle.known(more)][: min(round_size, oracle.remaining)]
                r += 1
                note(f"round {r}: no feasible design yet, sampled {len(more)} more")
                if not len(more):
                    stopped = "no candidates"
                    break
                simulate(more)
                rounds.append(
                    {
                        "round": r,
                        "simulated": len(more),
                        "total": oracle.used,
                        "near_front": "-",
                        "front_changed": "-",
                    }
                )
                continue
            sigma = None
            if learner is not None:
                pred, raw, sigma = learner.predict_all(area, cfg.chunk_size)
            else:
                assert model is not None
                pred, raw = _predict_all(
                    problem, folded, model, area, cfg.chunk_size, per_layer
                )
            # a design "passes" when its predictions meet the constraints
            # (relaxed by the margin for predicted metrics; area is exact)
            ok = np.ones(n, dtype=bool)
            for c in problem.constraints:
                exact = c.metric.startswith("area")
                slack = 0.0 if exact else cfg.margin
                bound = c.value * (1 + slack if c.op in ("<=", "<") else 1 - slack)
                ok &= Constraint(c.metric, c.op, bound).mask(pred)
            sim_idx = oracle.indices()
            sim_met = oracle.metrics()
            sim_ok = problem.valid(sim_met)
            # candidates: the first predicted Pareto layers of the unsimulated
            # designs that pass; ranked by their distance to the reference
            # front (simulated truth + those predictions)
            logp = np.log(np.maximum(pred[:, cols], 1e-300))
            # with a spread, candidates are ranked by their optimistic value
            opt = logp if sigma is None else logp - cfg.sigma_margin * sigma[:, cols]
            unsim = np.ones(n, dtype=bool)
            unsim[sim_idx] = False
            cand = np.flatnonzero(ok & unsim)
            cand = cand[_pool(opt[cand], 2 * round_size)]
            true_pts = np.log(sim_met[sim_ok][:, cols])
            ref_pts = np.concatenate((true_pts, logp[cand]), axis=0)
            ref_ids = np.concatenate((sim_idx[sim_ok], cand))
            on = pareto_mask(ref_pts)
            d = front_distance(opt[cand], ref_pts[on], cand, ref_ids[on])
            order = np.lexsort((cand, d))
            near = int((d <= math.log1p(cfg.margin)).sum())
            take = cand[order[: min(round_size, oracle.remaining)]]
            before = set(_front_keys(problem, sim_idx, sim_met))
            preds.append(
                np.concatenate((take[:, None].astype(np.float64), raw[take]), axis=1)
            )
            simulate(take)
            bar.update(oracle.used)
            after = set(_front_keys(problem, oracle.indices(), oracle.metrics()))
            r += 1
            rounds.append(
                {
                    "round": r,
                    "simulated": len(take),
                    "total": oracle.used,
                    "near_front": near,
                    "front_changed": before != after,
                }
            )
            note(
                f"round {r}: simulated {len(take)} (total {oracle.used}/{budget}), "
                f"{near} predicted within {cfg.margin:.0%} of the front"
            )
            if not len(take):
                stopped = "no candidates"
                break
            calm = calm + 1 if before == after else 0
            if near <= len(take) and calm >= 2:
                stopped = "converged"
                break
    finally:
        bar.__exit__()
        if cfg.threads:
            torch.set_num_threads(threads_before)
    return finish(
        "surrogate",
        oracle,
        t0,
        rounds=rounds,
        surrogate=model,
        predictions=np.concatenate(preds) if preds else None,
        stopped=stopped,
        granularity="layer" if per_layer else "network",
        fidelity=learner.summary() if learner is not None else None,
    )


class SlowPredictionWarning(UserWarning):
    """A per-layer surrogate on a space so large that predicting it every round
    takes minutes."""


def _warn_slow(
    problem: Problem,
    folded: Sequence[Workload],
    model: Surrogate,
    cfg: PrunedConfig,
    rows: int,
    rounds: int,
    given: bool,
) -> None:
    """Warns, with an estimate timed here on one chunk, that predicting ``rows``
    model rows every round will take long (before anything is simulated)."""
    import warnings

    import torch

    from tldse.learn.train import torch_threads

    space = problem.space
    shapes = sum(len(w.layers) for w in folded)
    k = max(1, min(len(space), cfg.chunk_size // max(1, shapes)))
    configs = space.configs(space.sample(k, "random", 0))
    net = model.net.to("cpu").eval()
    with torch_threads(cfg.threads), torch.no_grad():
        net(torch.from_numpy(_pairs(configs[:8], folded[0]).astype(np.float32)))
        t0 = time.perf_counter()  # after a first, warm-up call
        for wl in folded:
            net(torch.from_numpy(_pairs(configs, wl).astype(np.float32)))
        per_row = (time.perf_counter() - t0) / (k * shapes)
    seconds = per_row * rows * rounds
    fix = (
        "a surrogate of networks predicts the space in seconds: give --model a "
        "model of networks, or leave --model out (auto picks networks here)"
        if given
        else "--granularity network (or auto) predicts the space in seconds"
    )
    warnings.warn(
        f"the surrogate of (design, layer) pairs predicts {rows:,} model rows "
        f"per round ({len(space):,} designs x {shapes} layer shapes): at "
        f"{1 / per_row:,.0f} rows/s on this machine, up to {plural(rounds, 'round')} "
        "take "
        f"about {_duration(seconds)} of predictions; {fix}",
        SlowPredictionWarning,
        stacklevel=3,
    )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _train_config(
    cfg: PrunedConfig, fresh: bool, seed: int, rows: int = 0
) -> TrainConfig:
    from tldse.learn.train import TrainConfig

    # fine-tuning: at most finetune_steps minibatches per epoch, however many rows
    bs = cfg.batch_size
    if not fresh and cfg.finetune_steps:
        bs = max(bs, -(-rows // cfg.finetune_steps))
    return TrainConfig(
        epochs=cfg.epochs if fresh else cfg.finetune_epochs,
        lr=cfg.lr if fresh else cfg.finetune_lr,
        batch_size=bs,
        patience=cfg.patience,
        seed=seed,
        device=cfg.device,
        threads=cfg.threads,
    )


def pretrain(
    problem: Problem,
    designs: int,
    *,
    seed: int = 0,
    config: PrunedConfig | None = None,
    per_layer: bool = True,
) -> tuple[Surrogate, int]:
    """A surrogate (of (design, layer) pairs, or of networks) trained from
    scratch on ``designs`` Sobol-sampled designs of ``problem``'s space, each
    simulated on every one of its workloads: the source model for a search on a
    new workload (``surrogate_search(model=...)``, ``tldse explore --model``).
    Returns the model and the number of (design, workload) simulations it
    took."""
    from tldse.learn.train import fit

    cfg = config or PrunedConfig()
    if designs < 2:
        raise SearchError(f"designs: need at least 2 to train on, got {designs}")
    n = min(designs, len(problem.space))
    idx = np.unique(problem.space.sample(n, "sobol", seed))
    rows = TrainingSet(problem, problem.folded, per_layer)
    rows.add(idx, [] if per_layer else problem.simulate_parts(idx))
    x, y = rows.arrays()
    model = _new_model(cfg, seed, per_layer)
    fit(model, x, y, _train_config(cfg, True, seed))  # sets cfg.threads, and restores
    return model, len(idx) * len(problem.workloads)


def _front_keys(
    problem: Problem, idx: npt.NDArray[np.int64], met: npt.NDArray[np.float64]
) -> list[int]:
    ok = problem.valid(met)
    if not ok.any():
        return []
    pts = problem.objective_values(met[ok])
    return [int(k) for k in idx[ok][pareto_mask(pts)]]
