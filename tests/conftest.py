from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"


def find_tldse_sim() -> str:
    local = Path(sys.executable).parent / "tldse-sim"
    if local.exists():
        return str(local)
    found = shutil.which("tldse-sim")
    if found is None:
        pytest.fail("tldse-sim is not installed next to this Python or on PATH")
    return found


@pytest.fixture(scope="session")
def tldse_sim() -> str:
    return find_tldse_sim()


@pytest.fixture(autouse=True, scope="session")
def _private_model_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Pretrained models built by tests go to a temporary cache, never the
    user's (tldse.learn.pretrain.cache_dir)."""
    import os

    os.environ["TLDSE_CACHE_DIR"] = str(tmp_path_factory.mktemp("tldse-cache"))
