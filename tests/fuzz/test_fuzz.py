"""Hypothesis fuzzers for the Python readers: space files (TOML and YAML),
topology CSVs, architecture, energy and SCALE-Sim config files read through
Python, model.json and dataset manifests.

Two kinds of input: byte mutations of valid files (inserted, deleted and replaced
bytes, tokens that broke readers before: huge and tiny numbers, NaN, overlong and
surrogate UTF-8, brackets), and structured documents (space files and JSON
descriptions with values drawn from the same nasty set). Every input must satisfy
``readers.check``: a result, or one clear ValueError line naming the file.

The normal suite runs a few derandomized examples per fuzzer. ``.ci/fuzz`` runs
more; the long run is documented in docs/reliability.md::

    TLDSE_FUZZ_EXAMPLES=20000 TLDSE_FUZZ_RANDOM=1 python -m pytest tests/fuzz -x

``TLDSE_FUZZ_RANDOM=1`` draws fresh random inputs (and keeps failures in
hypothesis' example database, ``.hypothesis/``) instead of the fixed sequence.
A failure found this way is shrunk by hypothesis; store the shrunk input under
``tests/fuzz/corpus/KIND/``.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .readers import check, dataset_folder, model_folder, valid_seeds

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).parents[2]
EXAMPLES = int(os.environ.get("TLDSE_FUZZ_EXAMPLES", "15"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("TLDSE_FUZZ_RANDOM"),
    database=None if not os.environ.get("TLDSE_FUZZ_RANDOM") else settings().database,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SEEDS = valid_seeds(ROOT)

# ------------------------------------------------------------ strategies

TOKENS = [
    b"1e300", b"-1", b"nan", b"inf", b"-inf", b"2147483648", b"1000000000",
    b"18446744073709551617", b"0", b"5e-324", b"1e-320", b"0.5", b"16.9",
    b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00", b"\t",
    b"[", b"]", b"{", b"}", b"=", b",", b":", b"\n", b"\r", b'"', b"'", b"#",
    b"pow2", b"linear", b"log", b"num", b"step", b"KiB", b"TiB", b"-", b" ",
    b"pe_count", b"pe_aspect", b"params", b"base", b"preset", b"dataflow",
    b"conv", b"gemm", b"dwconv", b"groups", b"count",
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with 1-8 random edits."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(
            st.sampled_from(
                ["insert", "delete", "replace", "token", "token", "line", "cut"]
            )
        )
        i = draw(st.integers(0, len(data)))
        if op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete":
            del data[i : i + draw(st.integers(1, 16))]
        elif op == "replace" and i < len(data):
            data[i] = draw(st.integers(0, 255))
        elif op == "token":
            n = draw(st.integers(0, 12))
            data[i : i + n] = draw(st.sampled_from(TOKENS))
        elif op == "line":
            lines = bytes(data).split(b"\n")
            j = draw(st.integers(0, len(lines) - 1))
            lines.insert(draw(st.integers(0, len(lines))), lines[j])
            data = bytearray(b"\n".join(lines))
        elif op == "cut":
            data = data[:i]
    return bytes(data)


NASTY_NUMBERS = st.one_of(
    st.integers(-3, 300),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, 1, 2**31, 2**40, 2**40 + 1, 2**60, 10**9, 2147483648]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([5e-324, 1e300, 0.5, 16.9, -0.0]),
)
NASTY_TEXT = st.one_of(
    st.sampled_from(["64KiB", "1e3", "ws", "rs", "shared", "1:1:2", "8/8/32", "",
                     "nan", "x", "1:0:0", "0:0:0", "16/0"]),
    st.text(max_size=12),
)  # fmt: skip
NASTY_SCALAR = st.one_of(NASTY_NUMBERS, NASTY_TEXT, st.booleans(), st.none())


def nasty_json(depth: int = 2) -> st.SearchStrategy[Any]:
    return st.recursive(
        NASTY_SCALAR,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.text(max_size=8), inner, max_size=4),
        ),
        max_leaves=8,
    )


PARAM_NAMES = [
    "dataflow", "pe_rows", "pe_cols", "pe_count", "pe_aspect", "rf_bytes",
    "glb_bytes", "glb_split", "rf_split", "precision", "multicast", "clock_mhz",
    "dram_bw_bytes_per_cycle", "rf_input_bytes", "psum_bits", "nonsense",
]  # fmt: skip


@st.composite
def range_table(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["pow2", "linear", "log", "both", "none"]))
    table: dict[str, Any] = {}
    if kind == "both":
        table["pow2"] = [draw(NASTY_SCALAR), draw(NASTY_SCALAR)]
        table["linear"] = [draw(NASTY_SCALAR), draw(NASTY_SCALAR)]
    elif kind != "none":
        table[kind] = draw(st.lists(NASTY_SCALAR, min_size=1, max_size=3))
    for key in draw(st.lists(st.sampled_from(["step", "num", "foo", 1]), max_size=2)):
        table[key] = draw(NASTY_SCALAR)
    return table


@st.composite
def space_document(draw: st.DrawFn) -> dict[Any, Any]:
    names = draw(st.lists(st.sampled_from(PARAM_NAMES), min_size=1, max_size=5))
    params = {
        n: draw(
            st.one_of(range_table(), st.lists(NASTY_SCALAR, max_size=4), NASTY_SCALAR)
        )
        for n in names
    }
    doc: dict[Any, Any] = {"params": params}
    if draw(st.booleans()):
        doc["base"] = draw(
            st.dictionaries(
                st.sampled_from([*PARAM_NAMES, "preset"]), NASTY_SCALAR, max_size=3
            )
        )
    if draw(st.integers(0, 5)) == 0:
        doc[draw(st.sampled_from(["name", "description", "extra", 7]))] = draw(
            NASTY_SCALAR
        )
    return doc


def _paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a JSON tree."""
    out = [prefix]
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def json_edit(draw: st.DrawFn, base: Any) -> bytes:
    """``base`` with 1-3 values replaced, deleted or added, as JSON text."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        op = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if op == "delete":
            del parent[path[-1]]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(nasty_json())
        else:
            parent[path[-1]] = draw(nasty_json())
    return json.dumps(doc, allow_nan=True).encode()


# ------------------------------------------------------------ fuzzers


def _suffix(kind: str, text: bytes) -> str:
    return {"space": ".toml", "topology": ".csv", "cfg": ".cfg"}.get(kind, ".toml")


@pytest.mark.parametrize("kind", ["space", "topology", "arch", "energy", "cfg"])
@FUZZ
@given(data=st.data())
def test_mutated_files(kind: str, data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(SEEDS[kind]))
    content = data.draw(mutated(seed))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz{_suffix(kind, content)}"
        path.write_bytes(content)
        check(kind, path)


@FUZZ
@given(data=st.data())
def test_mutated_yaml_space_files(data: st.DataObject) -> None:
    yaml = pytest.importorskip("yaml")
    seed = tomllib.loads(data.draw(st.sampled_from(SEEDS["space"])).decode())
    content = data.draw(mutated(yaml.safe_dump(seed).encode()))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        path.write_bytes(content)
        check("space", path)


@FUZZ
@given(doc=space_document())
def test_structured_space_files(doc: dict[Any, Any]) -> None:
    yaml = pytest.importorskip("yaml")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        path.write_text(yaml.safe_dump(doc))
        check("space", path)


@pytest.fixture(scope="module")
def base_model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = model_folder(tmp_path_factory.mktemp("fuzz") / "model")
    data: dict[str, Any] = json.loads((folder / "model.json").read_text())
    return data


@FUZZ
@given(data=st.data())
def test_model_json(base_model: dict[str, Any], data: st.DataObject) -> None:
    text = data.draw(
        st.one_of(json_edit(base_model), mutated(json.dumps(base_model).encode()))
    )
    with tempfile.TemporaryDirectory() as tmp:
        check("model", model_folder(Path(tmp) / "model", text))


@pytest.fixture(scope="module")
def dataset_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-dataset")


@FUZZ
@given(data=st.data())
def test_dataset_manifest(dataset_cache: Path, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = dataset_folder(Path(tmp) / "ds", dataset_cache)
        base = json.loads((folder / "manifest.json").read_text())
        text = data.draw(st.one_of(json_edit(base), mutated(json.dumps(base).encode())))
        (folder / "manifest.json").write_bytes(text)
        outside = Path(tmp) / "outside.parquet"
        outside.write_bytes(b"keep")
        check("manifest", folder)
        assert outside.read_bytes() == b"keep"
