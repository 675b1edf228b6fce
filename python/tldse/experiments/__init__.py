"""Reproducible experiments behind the README's measured tables:
:mod:`~tldse.experiments.transfer` (transfer learning against training from
scratch) and :mod:`~tldse.experiments.search` (surrogate-pruned search against
the exhaustive optimum and the baselines)."""
