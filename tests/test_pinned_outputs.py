"""Results pinned before the code was reorganised: `evaluate` over seeded random
designs (four dataflows, three mapper objectives, both mappers), the tiny sweep's front
and two explore runs must stay bit-identical. tests/golden/pinned_outputs.json was
written by tools/gen_pinned_outputs.py at the commit it names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.pinned import cases

GOLDEN = json.loads(
    (Path(__file__).parent / "golden" / "pinned_outputs.json").read_text()
)["digests"]
CASES = cases()


def test_every_case_is_pinned() -> None:
    assert sorted(GOLDEN) == sorted(CASES)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.slow) if n.startswith("explore/") else n
        for n in sorted(CASES)
    ],
)
def test_pinned(name: str) -> None:
    assert CASES[name]() == GOLDEN[name], f"{name} changed"
