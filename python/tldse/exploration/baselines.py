"""Search methods other than the surrogate loop, with the same budgets.

* :func:`exhaustive_search`: every design (the budget is the space's size).
* :func:`random_search`: ``budget`` designs drawn uniformly without replacement.
* :func:`nsga2_search`: NSGA-II (pymoo) on the integer-coded design: one variable
  per parameter, its choice number in ``[0, size)``; integer random sampling,
  SBX crossover (eta 15, probability 0.9) and polynomial mutation (eta 20),
  both rounded to integers, duplicate elimination. Population
  ``clip(budget // 10, 20, 100)``: at least ten generations at any budget,
  a population large enough for a 3-objective front at large budgets. Objectives
  are the logs of the metrics; constraints are pymoo inequality constraints
  (``value - bound <= 0``, relative to the bound); infeasible designs get large
  objectives and constraint values. Each distinct design counts once (a
  revisited design is not simulated again); the generation that would exceed the
  budget is cut to what remains, so a run never uses more than ``budget``.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from tldse.exploration.problem import (
    Lookup,
    Oracle,
    Problem,
    SearchResult,
    finish,
)
from tldse.search.metrics import METRIC_INDEX as _MI
from tldse.search.metrics import UNITS

_PENALTY = 1e6


def random_search(
    problem: Problem, budget: int, *, seed: int = 0, lookup: Lookup = None
) -> SearchResult:
    """``budget`` designs drawn uniformly (without replacement)."""
    t0 = time.perf_counter()
    n = len(problem.space)
    oracle = Oracle(problem, min(budget, n), lookup)
    idx = problem.space.sample(min(budget, n), "random", seed)
    for lo in range(0, len(idx), 65536):
        oracle.simulate(idx[lo : lo + 65536])
    return finish("random", oracle, t0, stopped="budget")


def nsga2_population(budget: int) -> int:
    """The population size used for a budget (see the module docstring)."""
    return int(min(100, max(20, budget // 10)))


def nsga2_search(
    problem: Problem,
    budget: int,
    *,
    seed: int = 0,
    lookup: Lookup = None,
    pop_size: int | None = None,
    max_stall: int = 20,
) -> SearchResult:
    """NSGA-II (pymoo) within ``budget`` distinct simulated designs. Stops at the
    budget or after ``max_stall`` generations that simulated nothing new."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.problem import Problem as PymooProblem
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.operators.sampling.rnd import IntegerRandomSampling

    t0 = time.perf_counter()
    space = problem.space
    n = len(space)
    oracle = Oracle(problem, min(budget, n), lookup)
    sizes = np.array([p.size for p in space.params], dtype=np.int64)
    strides = np.ones(len(sizes), dtype=np.int64)
    for i in range(len(sizes) - 2, -1, -1):
        strides[i] = strides[i + 1] * sizes[i + 1]
    n_obj = len(problem.objectives)
    n_con = len(problem.constraints)
    pymoo_problem = PymooProblem(
        n_var=len(sizes),
        n_obj=n_obj,
        n_ieq_constr=n_con,
        xl=np.zeros(len(sizes)),
        xu=(sizes - 1).astype(np.float64),
        vtype=int,
    )
    pop = pop_size or nsga2_population(budget)
    algorithm = NSGA2(
        pop_size=pop,
        sampling=IntegerRandomSampling(),
        crossover=SBX(prob=0.9, eta=15, vtype=float, repair=RoundingRepair()),
        mutation=PM(eta=20, vtype=float, repair=RoundingRepair()),
        eliminate_duplicates=True,
    )
    algorithm.setup(pymoo_problem, termination=("n_gen", 10**9), seed=seed)
    stall = 0
    generations = 0
    while oracle.remaining > 0 and stall < max_stall:
        offspring = algorithm.ask()
        x = np.asarray(offspring.get("X"), dtype=np.float64)
        digits = np.clip(np.rint(x).astype(np.int64), 0, sizes - 1)
        idx = digits @ strides
        before = oracle.used
        met = oracle.simulate(idx)
        known = oracle.known(idx)
        f, g = _objectives(problem, met, known)
        offspring.set("F", f)
        if n_con:
            offspring.set("G", g)
        # designs cut by the budget are given to pymoo as infeasible; the
        # loop ends right after
        algorithm.tell(infills=offspring)
        generations += 1
        stall = stall + 1 if oracle.used == before else 0
    return finish(
        "nsga2",
        oracle,
        t0,
        stopped="budget" if oracle.remaining == 0 else "stalled",
        rounds=[{"generations": generations, "population": pop}],
    )


def _objectives(
    problem: Problem,
    metrics: npt.NDArray[np.float64],
    known: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """pymoo F (log objectives) and G (constraint violations, <= 0 is met)."""
    vals = problem.objective_values(metrics)
    have = [_MI[c] for c in problem.available_metrics()]  # an evaluator's own
    ok = known & ~np.isnan(metrics[:, have]).any(axis=1)
    f = np.full(vals.shape, _PENALTY)
    with np.errstate(divide="ignore", invalid="ignore"):
        f[ok] = np.log(np.maximum(vals[ok], 1e-300))
    g = np.full((len(metrics), len(problem.constraints)), _PENALTY)
    for j, c in enumerate(problem.constraints):
        column, factor = UNITS[c.metric]
        v = metrics[ok, _MI[column]] * factor
        scale = max(abs(c.value), 1e-12)
        viol = (v - c.value) / scale if c.op in ("<=", "<") else (c.value - v) / scale
        if c.op in ("<", ">"):
            viol = np.where(viol == 0, 1e-9, viol)
        g[ok, j] = viol
    return f, g


def front_layers(
    problem: Problem,
    metrics: npt.NDArray[np.float64],
    k: int,
    exclude: npt.ArrayLike | None = None,
) -> npt.NDArray[np.int64]:
    """Up to ``k`` designs (rows of ``metrics``, a metric table of the whole
    space) on the constrained Pareto front of ``problem``'s objectives, then on
    the next non-dominated layers; a layer that does not fit whole is thinned
    evenly along its first objective. ``exclude``: designs not to choose."""
    from tldse.search.pareto import pareto_mask

    mask = problem.valid(metrics)
    if exclude is not None:
        mask[np.asarray(exclude, dtype=np.int64)] = False
    ok = np.flatnonzero(mask)
    vals = np.log(np.maximum(problem.objective_values(metrics[ok]), 1e-300))
    chosen: list[npt.NDArray[np.int64]] = []
    left, remaining = np.arange(len(ok)), k
    while remaining > 0 and len(left):
        layer = left[pareto_mask(vals[left])]
        if len(layer) > remaining:
            layer = layer[np.argsort(vals[layer, 0], kind="stable")]
            pick = np.linspace(0, len(layer) - 1, remaining).round().astype(np.int64)
            layer = layer[np.unique(pick)]
        chosen.append(ok[layer])
        remaining -= len(layer)
        left = np.setdiff1d(left, layer)
    if not chosen:
        return np.empty(0, dtype=np.int64)
    return np.asarray(np.concatenate(chosen), dtype=np.int64)


def reference_front_search(
    problem: Problem,
    budget: int,
    reference: npt.NDArray[np.float64],
    *,
    lookup: Lookup = None,
) -> SearchResult:
    """Evaluates the designs that a cheaper model's metric table ``reference``
    (one row per design of the space, e.g. the analytical model's when the
    problem's evaluator is an expensive one) puts on its constrained Pareto
    front, then on the next non-dominated layers, up to ``budget`` designs; a
    layer that does not fit whole is thinned evenly along its first objective.
    The answer is the front of what was evaluated (:func:`front_layers`)."""
    t0 = time.perf_counter()
    n = len(problem.space)
    oracle = Oracle(problem, min(budget, n), lookup)
    chosen = front_layers(problem, reference, oracle.remaining)
    if len(chosen):
        oracle.simulate(chosen)
    return finish("reference-front", oracle, t0, stopped="budget")


def exhaustive_search(
    problem: Problem,
    *,
    chunk_size: int = 65536,
    lookup: Lookup = None,
) -> SearchResult:
    """Simulates every design (the budget is the space's size)."""
    t0 = time.perf_counter()
    n = len(problem.space)
    oracle = Oracle(problem, n, lookup)
    for lo, hi in problem.space.chunks(chunk_size):
        oracle.simulate(np.arange(lo, hi, dtype=np.int64))
    return finish("exhaustive", oracle, t0, stopped="space")
