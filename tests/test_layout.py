"""The package's layering (README "Architecture"): imports point one way, no
private names cross packages, and every entry point resolves workloads alike."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import numpy as np
import pytest

import tldse
from tldse.workloads import parse_workload_list, resolve_workload, split_weight

ROOT = Path(tldse.__file__).parent

#: Layers in order: a module may import from its own layer and those before it.
LAYERS = [
    ("_util",),
    ("_core", "arch"),
    ("workloads",),
    ("sim", "space", "bench", "validation"),
    ("search",),
    ("evaluators",),
    ("learn",),
    ("exploration",),
    ("reporting",),
    ("experiments",),
    ("api", "__init__"),
    ("cli", "__main__"),
]
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}


def _unit(module: str) -> str:
    """``tldse.search.sweep`` -> ``search``; ``tldse`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, imported names, line) of every tldse import in a file, including
    those inside functions."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "tldse" or node.module.startswith("tldse."):
                names = [a.name for a in node.names]
                if node.module == "tldse":  # from tldse import sub, _core, ...
                    for n in names:
                        sub = ROOT / n
                        known = sub.is_dir() or sub.with_suffix(".py").exists()
                        is_core = n == "_core"
                        # a submodule, or a name of the facade (tldse/__init__.py)
                        mod = f"tldse.{n}" if known or is_core else "tldse"
                        out.append((mod, [], node.lineno))
                else:
                    out.append((node.module, names, node.lineno))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "tldse" or a.name.startswith("tldse."):
                    out.append((a.name, [], node.lineno))
    return out


def _modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py"))


def _own(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    return rel.parts[0]


def test_every_module_belongs_to_a_layer() -> None:
    assert {_own(p) for p in _modules()} <= set(RANK)


def test_imports_point_one_way() -> None:
    bad = []
    for path in _modules():
        me = _own(path)
        for module, _, line in _imports(path):
            them = _unit(module)
            if them in RANK and RANK[them] > RANK[me]:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not bad, "\n".join(bad)


def test_no_private_names_across_packages() -> None:
    bad = []
    for path in _modules():
        me = _own(path)
        for module, names, line in _imports(path):
            if _unit(module) == me or module == "tldse._core":
                continue
            private = [n for n in names if n.startswith("_")]
            if private:
                bad.append(f"{path.relative_to(ROOT)}:{line} {module}: {private}")
    assert not bad, "\n".join(bad)


def test_library_code_never_switches_the_matplotlib_backend() -> None:
    for path in _modules():
        text = path.read_text()
        assert "matplotlib.use(" not in text, path
        assert "import matplotlib.pyplot" not in text, path
        assert "from matplotlib import pyplot" not in text, path


def test_one_resolver_everywhere(tmp_path: Path) -> None:
    net = tldse.workloads.get("bert_base", seq_len=64)
    assert resolve_workload("bert_base:seq_len=64") == net
    assert tldse.workloads.load("bert_base:seq_len=64") == net
    # the facade's evaluate takes the same strings as the command line
    acc = [tldse.Accelerator()]
    a = tldse.evaluate(acc, "bert_base:seq_len=64", per_network=True)
    b = tldse.evaluate(acc, net, per_network=True)
    np.testing.assert_array_equal(a["latency_cycles"], b["latency_cycles"])
    # files, by path or Path
    path = tmp_path / "t.csv"
    path.write_text("name,kind,n,k,c,p,q,r,s\nl1,conv,1,8,8,4,4,3,3\n")
    assert len(resolve_workload(str(path))) == len(resolve_workload(path)) == 1
    with pytest.raises(ValueError, match="no such file"):
        resolve_workload("sub/none.csv")
    with pytest.raises(ValueError, match=r"a weight is written resnet18\*2"):
        resolve_workload("resnet18:2")
    with pytest.raises(ValueError, match="unknown workload"):
        resolve_workload("resnet19")
    assert resolve_workload("resnet18", batch=4).layers[0].n == 4


def test_workload_lists_and_weights() -> None:
    assert parse_workload_list(["resnet18,bert_base:seq_len=256,heads=4*2"]) == [
        ("resnet18", 1.0),
        ("bert_base:seq_len=256,heads=4", 2.0),
    ]
    assert parse_workload_list("a, b*0.5") == [("a", 1.0), ("b", 0.5)]
    assert split_weight("gpt2:kv_len=512*3") == ("gpt2:kv_len=512", 3.0)
    for bad in ("x*0", "x*-1", "x*y", "*2"):
        with pytest.raises(ValueError, match="weight"):
            split_weight(bad)


def test_mapper_objective_and_its_deprecated_spelling() -> None:
    acc = [tldse.Accelerator(dataflow="rs")]
    net = tldse.workloads.get("alexnet")
    new = tldse.evaluate(acc, net, mapper_objective="latency")
    with pytest.warns(DeprecationWarning, match="mapper_objective"):
        old = tldse.evaluate(acc, net, objective="latency")  # type: ignore[call-arg]
    np.testing.assert_array_equal(new["latency_cycles"], old["latency_cycles"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tldse.simulate(acc[0], net, mapper_objective="energy")
    with pytest.raises(ValueError, match="mapper_objective must be one of"):
        tldse.evaluate(acc, net, mapper_objective="speed")  # type: ignore[arg-type]
