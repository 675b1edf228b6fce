"""The Python readers under fuzzing, and the rule every input must satisfy.

Each reader takes a path (a file, or for models and datasets a folder) and either
returns what it read or raises a ValueError whose message is one line of valid
UTF-8 naming the file; within a time bound; never another exception (no
UnicodeDecodeError, IndexError, KeyError, MemoryError, RecursionError, ...).
A :class:`~tldse.arch.ScaleSimWarning` (a SCALE-Sim file tldse reads differently)
is an allowed outcome, not an error. ``check(kind, path)`` applies the rule;
``READERS`` names the kinds.
"""

from __future__ import annotations

import json
import shutil
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import tldse
from tldse.arch import ScaleSimWarning
from tldse.learn.dataset import load as load_dataset

#: Seconds one input may take (generous: CI machines are shared).
TIME_LIMIT_S = 20.0


def _space(path: Path) -> Any:
    space = tldse.DesignSpace.read(path)
    if len(space) <= 2**62:  # indexable: the first design must build
        space.configs(np.array([0]))
    return space


def _topology(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScaleSimWarning)
        return tldse.Workload.read(path)


def _arch(path: Path) -> Any:
    return tldse.Accelerator.from_file(path)


def _energy(path: Path) -> Any:
    return tldse.energy_table(path)


def _cfg(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScaleSimWarning)
        return tldse.Accelerator.from_scalesim_config(path)


def _model(path: Path) -> Any:
    from tldse.learn.model import Surrogate

    model = Surrogate.load(path)
    if model.normalizer is not None:
        x = np.zeros((2, len(model.feature_names)))
        model.predict(x)  # runs (huge finite weights may give inf: not an error)
    return model


def _manifest(path: Path) -> Any:
    return load_dataset(path, require_complete=False)


READERS: dict[str, Callable[[Path], Any]] = {
    "space": _space,
    "topology": _topology,
    "arch": _arch,
    "energy": _energy,
    "cfg": _cfg,
    "model": _model,
    "manifest": _manifest,
}

#: The file each kind reads inside its folder (models and datasets are folders).
FOLDER_FILE = {"model": "model.json", "manifest": "manifest.json"}


def check(kind: str, path: Path) -> None:
    """Runs the reader of ``kind`` on ``path`` and asserts the rule above."""
    t0 = time.perf_counter()
    try:
        READERS[kind](path)
    except ValueError as exc:
        assert not isinstance(exc, UnicodeError), f"{type(exc).__name__}: {exc}"
        msg = str(exc)
        assert msg and "\n" not in msg.strip("\n"), repr(msg)
        msg.encode("utf-8")  # strict: no lone surrogates
        named = path.name if kind not in FOLDER_FILE else str(path)
        assert named in msg, f"the message does not name {named}: {msg}"
    took = time.perf_counter() - t0
    assert took < TIME_LIMIT_S, f"{kind} reader took {took:.1f} s"


def model_folder(folder: Path, json_text: bytes | None = None) -> Path:
    """A valid saved model in ``folder`` (tiny), its model.json replaced by
    ``json_text`` when given (the weights then carry no copy of it)."""
    import torch

    from tldse.learn.model import Normalizer, Surrogate

    m = Surrogate.create(
        ["a", "b", "c"], ("latency", "energy"), hidden=(4,), head_hidden=(2,)
    )
    rng = np.random.default_rng(0)
    m.normalizer = Normalizer.fit(
        rng.normal(size=(8, 3)).astype(np.float32),
        rng.normal(size=(8, 2)).astype(np.float32),
    )
    m.save(folder)
    if json_text is not None:
        state = {k: v.detach() for k, v in m.net.state_dict().items()}
        torch.save({"state_dict": state}, folder / "model.pt")
        (folder / "model.json").write_bytes(json_text)
    return folder


_DATASETS: dict[str, Path] = {}


def dataset_folder(folder: Path, cache: Path, json_text: bytes | None = None) -> Path:
    """A valid dataset in ``folder`` (a copy of one generated once into
    ``cache``), its manifest replaced by ``json_text`` when given."""
    from tldse.learn.dataset import DatasetSpec, generate

    key = str(cache)
    if key not in _DATASETS:
        spec = DatasetSpec(
            space="tiny", workloads=("alexnet",), n_configs=4, shard_size=2
        )
        _DATASETS[key] = generate(spec, cache / "dataset")
    shutil.copytree(_DATASETS[key], folder)
    if json_text is not None:
        (folder / "manifest.json").write_bytes(json_text)
    return folder


def valid_seeds(root: Path) -> dict[str, list[bytes]]:
    """Valid inputs of each file kind, the starting points of mutation."""
    ex = root / "examples"
    space = DesignSpaceText.toml()
    return {
        "space": [(ex / "space.toml").read_bytes(), space.encode()],
        "topology": [
            (ex / "resnet_convs.csv").read_bytes(),
            (ex / "gemm.csv").read_bytes(),
            b"name,kind,n,k,c,p,q,r,s,groups\nl1,dwconv,1,8,8,4,4,3,3,8\n",
        ],
        "arch": [(ex / "arch.toml").read_bytes()],
        "energy": [(ex / "energy_7nm_guess.toml").read_bytes()],
        "cfg": [(ex / "scalesim_32x32_os.cfg").read_bytes()],
    }


class DesignSpaceText:
    """Space files as text, for the structured fuzzer."""

    @staticmethod
    def toml() -> str:
        return (
            'name = "seed"\n[base]\npreset = "eyeriss"\n[params]\n'
            'dataflow = ["ws", "rs"]\npe_count = { pow2 = [16, 256] }\n'
            "pe_aspect = [0.5, 1]\nrf_bytes = { linear = [16, 64], step = 16 }\n"
            'glb_bytes = { log = ["64KiB", "1MiB"], num = 3 }\n'
            'glb_split = ["shared", "1:1:2"]\nprecision = ["8", "16/16/32"]\n'
        )


def json_text(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()
