"""The stored corpus: every input that once crashed, hung or exhausted memory in a
Python reader (issue 16 and what the fuzzers found since), kept as a regression
case. Each must now be refused with one clear line naming the file, quickly, except
the entries of ``READ``: bytes that are not UTF-8 in a layer name are escaped as
``\\xNN`` by the C++ reader (the same name in tldse-sim and Python): that file is read.

Add a file under ``corpus/KIND/`` (KIND: a key of ``readers.READERS``) whenever a
fuzzer finds a new failure; model and manifest entries are the ``model.json`` /
``manifest.json`` of an otherwise valid folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .readers import FOLDER_FILE, READERS, check, dataset_folder, model_folder

CORPUS = Path(__file__).parent / "corpus"
ENTRIES = sorted(p for p in CORPUS.glob("*/*") if p.is_file())
#: Entries that take more than a second (PyYAML parses deep nesting slowly).
SLOW = {"space/deep-nesting.yaml"}
#: Entries that are read, with the first layer's name they must give (0xC0 0xAF is an
#: overlong '/', escaped byte by byte).
READ = {"topology/overlong-utf8-layer-name.csv": "\\xC0\\xAFConv1"}


def _param(entry: Path) -> object:
    name = f"{entry.parent.name}/{entry.name}"
    marks = [pytest.mark.slow] if name in SLOW else []
    return pytest.param(entry, id=name, marks=marks)


def test_corpus_covers_every_reader() -> None:
    assert {p.parent.name for p in ENTRIES} == set(READERS)


@pytest.mark.parametrize("entry", [_param(e) for e in ENTRIES])
def test_corpus_entry_is_refused_cleanly(
    entry: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    kind = entry.parent.name
    if kind == "model":
        path = model_folder(tmp_path / "model", entry.read_bytes())
    elif kind == "manifest":
        cache = tmp_path_factory.getbasetemp() / "fuzz-dataset"
        path = dataset_folder(tmp_path / "dataset", cache, entry.read_bytes())
    else:
        path = tmp_path / entry.name
        path.write_bytes(entry.read_bytes())
    name = f"{kind}/{entry.name}"
    if name in READ:
        assert READERS[kind](path).layers[0].name == READ[name]
        return
    with pytest.raises(ValueError):
        READERS[kind](path)  # every other entry is a bad input
    check(kind, path)
    assert kind in FOLDER_FILE or path.is_file()
