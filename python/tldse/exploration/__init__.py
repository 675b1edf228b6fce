"""Exploration within a budget: the problem and its counted simulations
(:mod:`~tldse.exploration.problem`), the surrogate-pruned loop
(:mod:`~tldse.exploration.surrogate`), the exhaustive, random and NSGA-II baselines
(:mod:`~tldse.exploration.baselines`) and :func:`~tldse.exploration.api.explore`
(with its report: ``tldse.explore``)."""
