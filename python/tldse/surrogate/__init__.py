"""Multi-task surrogate models of the simulator (PyTorch).

``Surrogate.create(feature_names, targets)`` builds a shared-trunk network with one
head per target; :func:`fit` trains it; :func:`score` measures it (MAPE, Kendall
tau, top-k recall); ``save`` / ``Surrogate.load`` store it with its normalisation.
See docs/surrogate.md.
"""

from tldse.surrogate.metrics import kendall_tau, mae, mape, top_k_recall
from tldse.surrogate.model import (
    Architecture,
    MultiTaskNet,
    Normalizer,
    Surrogate,
    SurrogateError,
    from_transformed,
    resolve_device,
    to_transformed,
)
from tldse.surrogate.train import TrainConfig, TrainResult, fit

__all__ = [
    "Architecture",
    "MultiTaskNet",
    "Normalizer",
    "Surrogate",
    "SurrogateError",
    "TrainConfig",
    "TrainResult",
    "fit",
    "from_transformed",
    "kendall_tau",
    "mae",
    "mape",
    "resolve_device",
    "to_transformed",
    "top_k_recall",
]
