"""Writes tests/golden/pinned_outputs.json: SHA-256 digests of `evaluate` outputs over
seeded random designs, one sweep front and two explore fronts. The digests pin the
behaviour of the code at the commit that generated them; tests/test_pinned_outputs.py
recomputes them. Regenerate only when a change of results is intended and explained
in the commit message:  python tools/gen_pinned_outputs.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from pinned import compute_all  # noqa: E402


def main() -> None:
    import subprocess

    rev = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
        text=True, check=False,
    ).stdout.strip()  # fmt: skip
    data = {"generated_at_commit": rev, "digests": compute_all()}
    out = ROOT / "tests" / "golden" / "pinned_outputs.json"
    out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out} ({len(data['digests'])} digests)")


if __name__ == "__main__":
    main()
