"""Learning from the simulator (PyTorch): features and targets, datasets, the
multi-task surrogate, its training, metrics and transfer learning.

``Surrogate.create(feature_names, targets)`` builds a shared-trunk network with one
head per target; :func:`fit` trains it; :func:`~tldse.learn.transfer.score`
measures it (MAPE, Kendall tau, top-k recall); ``save`` / ``Surrogate.load`` store
it with its normalisation. See docs/surrogate.md.

Importing this package does not import torch: the names below are loaded on first
use, so the features and datasets are usable (and cheap to import) on their own.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tldse.learn.metrics import kendall_tau, mae, mape, top_k_recall
    from tldse.learn.model import (
        Architecture,
        MultiTaskNet,
        Normalizer,
        Surrogate,
        SurrogateError,
        from_transformed,
        resolve_device,
        to_transformed,
    )
    from tldse.learn.train import TrainConfig, TrainResult, fit

_LAZY = {
    "kendall_tau": "tldse.learn.metrics",
    "mae": "tldse.learn.metrics",
    "mape": "tldse.learn.metrics",
    "top_k_recall": "tldse.learn.metrics",
    "Architecture": "tldse.learn.model",
    "MultiTaskNet": "tldse.learn.model",
    "Normalizer": "tldse.learn.model",
    "Surrogate": "tldse.learn.model",
    "SurrogateError": "tldse.learn.model",
    "from_transformed": "tldse.learn.model",
    "resolve_device": "tldse.learn.model",
    "to_transformed": "tldse.learn.model",
    "TrainConfig": "tldse.learn.train",
    "TrainResult": "tldse.learn.train",
    "fit": "tldse.learn.train",
}

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tldse.learn' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
