"""Output folders: damaged checkpoints are recomputed, manifests name only files
in their own folder, every long command locks its output folder, every file a
command writes goes through the atomic writer (issue 16, items 6 and 8)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pandas as pd
import pytest

from tldse._util.io import OutputLockedError, UnsafeNameError, output_lock, plain_name
from tldse.learn.dataset import DatasetError, DatasetSpec, generate, load
from tldse.search.sweep import sweep

PACKAGE = Path(__file__).parents[1] / "python" / "tldse"


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # was: zipfile.BadZipFile
        lambda b: b"",  # was: EOFError
        lambda b: b[:4],
        lambda b: b"PK\x05\x06" + b"\x00" * 18,  # an empty zip: no arrays
    ],
)
def test_damaged_sweep_chunk_is_recomputed(tmp_path: Path, damage: object) -> None:
    ref = sweep("tiny", "alexnet", chunk_size=200, out=tmp_path / "ref")
    out = tmp_path / "run"
    sweep("tiny", "alexnet", chunk_size=200, out=out)
    chunk = out / "chunks" / "chunk-00000001.npz"
    chunk.write_bytes(damage(chunk.read_bytes()))  # type: ignore[operator]
    again = sweep("tiny", "alexnet", chunk_size=200, out=out)
    assert (again.chunks_resumed, again.n_evaluated) == (2, 200)
    pd.testing.assert_frame_equal(again.front, ref.front)


@pytest.mark.parametrize(
    "name", ["../x", "/etc/passwd", "a/b", "..", ".", "", "a\\b", "x\x00y", 7, None]
)
def test_plain_name_rejects_anything_but_a_file_name(name: object) -> None:
    with pytest.raises(UnsafeNameError, match="shards"):
        plain_name(Path("d"), name, "shards")


def test_plain_name_accepts_file_names() -> None:
    for name in ("shard-00001.parquet", ".lock", "a b", "é.parquet", "..x"):
        assert plain_name(Path("d"), name, "f") == Path("d") / name


SPEC = DatasetSpec(space="tiny", workloads=("alexnet",), n_configs=8, seed=0)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return generate(SPEC, tmp_path / "ds")


def _poison(folder: Path, key: str) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["shards"][key] = {"rows": 1, "designs": [0, 1], "feasible": 1}
    path.write_text(json.dumps(manifest))


@pytest.mark.parametrize("kind", ["relative", "absolute"])
def test_dataset_overwrite_never_deletes_outside_its_folder(
    dataset: Path, tmp_path: Path, kind: str
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    _poison(dataset, "../victim.txt" if kind == "relative" else str(victim))
    with pytest.raises(DatasetError, match="not a plain file name"):
        generate(SPEC, dataset, overwrite=True)
    assert victim.read_text() == "keep me"
    with pytest.raises(DatasetError, match="not a plain file name"):
        load(dataset)  # was: read any path named there


def test_dataset_manifest_with_other_names_is_refused(dataset: Path) -> None:
    _poison(dataset, "notes.txt")  # inside the folder, but not a shard name
    with pytest.raises(DatasetError, match=r"shards: 'notes\.txt'"):
        load(dataset)


def test_dataset_manifest_damaged_is_a_message(dataset: Path) -> None:
    path = dataset / "manifest.json"
    for text, needle in [
        ('{"format": "tldse-dataset", "shards": [1]}', "shards"),
        ("[1]", "not a tldse dataset manifest"),
        ("{", "not valid JSON"),
    ]:
        path.write_text(text)
        with pytest.raises(DatasetError, match=needle):
            load(dataset)


def test_dataset_overwrite_still_replaces_its_own_shards(dataset: Path) -> None:
    before = load(dataset).frame
    (dataset / "shard-00000.parquet").write_bytes(b"junk")  # replaced, not read
    generate(SPEC, dataset, overwrite=True)
    pd.testing.assert_frame_equal(load(dataset).frame, before)


@pytest.mark.slow  # starts a second Python process
def test_dataset_folder_is_locked(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    with output_lock(out, "tldse test"), pytest.raises(OutputLockedError):
        _other_process_locks(out)
    generate(SPEC, out)  # free again


def _other_process_locks(out: Path) -> None:
    """Takes the lock as another process would (a fresh process)."""
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; "
        "from tldse._util.io import output_lock, OutputLockedError\n"
        "try:\n"
        f"    with output_lock(Path({str(out)!r}), 'tldse dataset'): pass\n"
        "except OutputLockedError as e:\n"
        "    print(e); sys.exit(3)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if r.returncode == 3:
        raise OutputLockedError(r.stdout.strip())
    assert r.returncode == 0, r.stderr


def test_output_lock_is_reentrant_in_one_process(tmp_path: Path) -> None:
    with output_lock(tmp_path, "a"), output_lock(tmp_path / ".", "b"):
        pass
    with output_lock(tmp_path, "a"):  # released by both exits
        pass


# Calls that write a file in place; every output goes through tldse._util.io.
_DIRECT_WRITES = {"write_text", "write_bytes", "to_csv", "to_parquet", "savefig"}


def _scan(source: str) -> list[tuple[int, str]]:
    """(line, call) of every in-place file write in ``source``: ``Path.write_*``,
    ``to_csv``/``to_parquet``/``savefig`` given a path, ``torch.save`` to a path,
    ``open`` for writing. Calls given the writer's file object ``f`` or an
    in-memory ``buf`` are fine, and so is ``to_csv()`` without a path."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        target = node.args[0] if node.args else None
        if (
            name == "save"
            and getattr(getattr(func, "value", None), "id", "") == "torch"
        ):
            target = node.args[1] if len(node.args) > 1 else None
            bad = not _in_memory(target)
        elif name in ("write_text", "write_bytes"):
            bad = True
        elif name in _DIRECT_WRITES:
            bad = target is not None and not _in_memory(target)
        elif name == "open":
            modes = [a for a in node.args[1:] if isinstance(a, ast.Constant)]
            modes += [k.value for k in node.keywords if k.arg == "mode"]
            if isinstance(func, ast.Attribute) and node.args:
                modes.append(node.args[0])  # Path.open(mode)
            bad = any(
                isinstance(m, ast.Constant)
                and isinstance(m.value, str)
                and "w" in m.value
                for m in modes
            )
        else:
            bad = False
        if bad:
            found.append((node.lineno, name))
    return found


def _in_memory(arg: ast.expr | None) -> bool:
    return isinstance(arg, ast.Name) and arg.id in ("buf", "f")


def test_every_output_file_is_written_atomically() -> None:
    """No module outside _util writes a file in place (append-only logs, opened
    with "a", are records that a resumed run reads back line by line). The
    evaluator helper scripts are exempt: they run in the tool's own interpreter
    (without tldse) and write the tool's input files into its private temp folder."""
    found = [
        f"{path.relative_to(PACKAGE)}:{line} {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.parent.name not in ("_util", "helpers")
        for line, name in _scan(path.read_text())
    ]
    assert found == []


def test_the_scan_sees_each_kind_of_in_place_write() -> None:
    source = (
        "p.write_text('x')\n"  # 1
        "df.to_csv(p)\n"  # 2
        "torch.save(s, p)\n"  # 3
        "fig.savefig(p)\n"  # 4
        "open(p, 'w')\n"  # 5
        "p.open('w', newline='')\n"  # 6
        "df.to_csv(index=False)\n"
        "torch.save(s, f)\n"
        "fig.savefig(buf, format='png')\n"
        "open(p, 'a')\n"
        "p.open()\n"
    )
    assert [line for line, _ in _scan(source)] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    ("argv", "what"),
    [
        (["dataset", "--space", "tiny", "--configs", "4", "OUT"], "tldse dataset"),
        (["train", "nowhere", "--out", "OUT"], "tldse train"),
        (["transfer", "--model", "m", "--data", "d", "--out", "OUT"], "tldse transfer"),
        (
            ["explore", "--space", "tiny", "--workload", "alexnet", "--out", "OUT"],
            "tldse explore",
        ),
        (
            ["sweep", "--space", "tiny", "--workload", "alexnet", "--out", "OUT"],
            "tldse sweep",
        ),
        (
            ["experiment", "transfer", "--size", "tiny", "--out", "OUT"],
            "tldse experiment transfer",
        ),
        (
            ["experiment", "search", "--size", "quick", "--out", "OUT"],
            "tldse experiment search",
        ),
    ],
)
def test_every_long_command_locks_its_output_folder(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    what: str,
) -> None:
    import fcntl

    from tldse.cli.main import main

    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".lock", "a+b") as held:  # another writer holds it
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        code = main([str(out) if a == "OUT" else a for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"another {what} is writing here" in err
    assert sorted(p.name for p in out.iterdir()) == [".lock"]


def test_a_command_that_fails_before_writing_leaves_no_folder(tmp_path: Path) -> None:
    out = tmp_path / "new" / "out"
    with pytest.raises(ValueError, match="bad input"), output_lock(out, "t"):
        raise ValueError("bad input")
    assert not (tmp_path / "new").exists()
    out.mkdir(parents=True)  # a folder that was there stays, and so does work
    with pytest.raises(ValueError), output_lock(out, "t"):
        raise ValueError("bad input")
    assert out.is_dir()
    other = tmp_path / "other"
    with pytest.raises(ValueError), output_lock(other, "t"):
        (other / "result.csv").write_text("x")
        raise ValueError("later")
    assert (other / "result.csv").exists()
