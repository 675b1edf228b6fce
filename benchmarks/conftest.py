from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_model_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Pretrained models built by benchmarks go to a temporary cache, never the
    user's (tldse.learn.pretrain.cache_dir), as in tests/conftest.py."""
    import os

    os.environ["TLDSE_CACHE_DIR"] = str(tmp_path_factory.mktemp("tldse-cache"))
