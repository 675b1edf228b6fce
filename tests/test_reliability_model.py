"""Model folders: saving never leaves an unloadable folder, and every broken or
hostile folder is a SurrogateError naming the file (issue 16, items 7 and 9)."""

from __future__ import annotations

import json
import os
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from tldse.cli.main import main
from tldse.learn import model as model_mod
from tldse.learn.model import Normalizer, Surrogate, SurrogateError

N_FEATURES = 5


def _model(seed: int, hidden: tuple[int, ...] = (8, 8)) -> Surrogate:
    rng = np.random.default_rng(seed)
    m = Surrogate.create(
        [f"f{i}" for i in range(N_FEATURES)],
        ("latency", "energy"),
        hidden=hidden,
        head_hidden=(4,),
        seed=seed,
    )
    x = rng.normal(size=(50, N_FEATURES)).astype(np.float32)
    y = rng.normal(size=(50, 2)).astype(np.float32)
    m.normalizer = Normalizer.fit(x, y)
    return m


X = np.random.default_rng(9).normal(size=(7, N_FEATURES))


def _saved(tmp_path: Path, seed: int = 0) -> tuple[Path, Surrogate]:
    m = _model(seed)
    return m.save(tmp_path / "m"), m


# ------------------------------------------------------------ saving (item 7)


def test_full_disk_while_saving_keeps_the_old_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, old = _saved(tmp_path)
    new = _model(1, hidden=(16,))  # another architecture: a mix would not load

    def disk_full(obj: Any, f: Any) -> None:
        f.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(OSError, match="No space left"):
        new.save(folder)
    monkeypatch.undo()
    back = Surrogate.load(folder)
    np.testing.assert_array_equal(back.predict(X), old.predict(X))
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "model.pt"]


def test_killed_between_the_two_files_loads_the_new_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, _ = _saved(tmp_path)
    new = _model(1, hidden=(16,))
    from tldse._util import io  # save imports its helpers from here

    def killed(path: Path, data: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(io, "write_atomic", killed)
    with pytest.raises(KeyboardInterrupt):
        new.save(folder)
    monkeypatch.undo()
    # model.json still describes the old network; model.pt holds the new one
    assert json.loads((folder / "model.json").read_text())["architecture"][
        "hidden"
    ] == [8, 8]
    back = Surrogate.load(folder)
    assert back.arch.hidden == (16,)
    np.testing.assert_array_equal(back.predict(X), new.predict(X))


def test_model_saved_by_an_older_tldse_still_loads(tmp_path: Path) -> None:
    """model.pt without the embedded description (older saves): model.json used."""
    folder, m = _saved(tmp_path)
    state = {k: v.detach() for k, v in m.net.state_dict().items()}
    torch.save({"state_dict": state}, folder / "model.pt")
    np.testing.assert_array_equal(Surrogate.load(folder).predict(X), m.predict(X))


# ------------------------------------------------------------ loading (item 9)


class _Evil:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("touch pwned",))


def _edit_json(folder: Path, edit: Any) -> None:
    meta = json.loads((folder / "model.json").read_text())
    edit(meta)
    text = json.dumps(meta)
    (folder / "model.json").write_text(text)
    # the weights' copy of the description would win: keep the two equal
    blob = torch.load(folder / "model.pt", weights_only=True)
    blob["meta"] = text
    torch.save(blob, folder / "model.pt")


def _set(path: tuple[str, ...], value: Any) -> Any:
    def edit(meta: dict[str, Any]) -> None:
        d = meta
        for key in path[:-1]:
            d = d[key]
        d[path[-1]] = value

    return edit


def _drop(key: str) -> Any:
    return lambda meta: meta.pop(key)


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (_set(("architecture", "hidden"), [200000] * 3), "widths up to 65,536"),
        (_set(("architecture", "hidden"), [60000] * 3), "parameters; at most"),
        (_set(("architecture", "hidden"), [8] * 100), "at most 64"),
        (_set(("architecture", "hidden"), [8.5, 8]), "architecture.hidden"),
        (_set(("architecture", "hidden"), "8,8"), "architecture.hidden"),
        (_set(("architecture", "n_inputs"), True), "architecture.n_inputs"),
        (_set(("architecture", "targets"), ["latency", "speed"]), "targets"),
        (_set(("architecture", "activation"), ["silu"]), "activation"),
        (_drop("architecture"), "architecture"),
        (_drop("feature_names"), "feature_names"),
        (_set(("feature_names",), ["a", "b"]), "2 names for 5 inputs"),
        (_set(("normalizer", "x_mean"), [float("nan")] * 5), "normalizer.x_mean"),
        (_set(("normalizer", "y_std"), [0.0, 1.0]), "in [1e-06, 1e+06]"),
        (_set(("normalizer", "x_std"), [1e-300] * 5), "normalizer.x_std"),
        (_set(("normalizer", "y_mean"), [1e300] * 2), "normalizer.y_mean"),
        (_set(("normalizer", "x_std"), [1.0] * 4), "expected 5 numbers"),
        (_set(("normalizer",), [1, 2]), "normalizer"),
        (_set(("metadata",), [1]), "metadata"),
        (_set(("format_version",), 99), "format_version 99"),
        (_set(("format",), "pickle"), "not a tldse surrogate"),
    ],
)
def test_bad_model_json(tmp_path: Path, edit: Any, needle: str) -> None:
    folder, _ = _saved(tmp_path)
    _edit_json(folder, edit)
    t0 = time.perf_counter()
    with pytest.raises(SurrogateError, match="model") as info:
        Surrogate.load(folder)
    assert time.perf_counter() - t0 < 2  # nothing large was allocated
    assert needle in str(info.value)
    assert str(folder) in str(info.value)


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _evil(p: Path) -> None:
    torch.save({"state_dict": _Evil()}, p)


def _nan_weights(p: Path) -> None:
    blob = torch.load(p, weights_only=True)
    first = next(iter(blob["state_dict"]))
    blob["state_dict"][first] = blob["state_dict"][first] * float("nan")
    torch.save(blob, p)


def _wrong_shape(p: Path) -> None:
    blob = torch.load(p, weights_only=True)
    first = next(iter(blob["state_dict"]))
    blob["state_dict"][first] = torch.zeros(3)
    torch.save(blob, p)


def _not_a_dict(p: Path) -> None:
    torch.save([1, 2, 3], p)


def _extra_key(p: Path) -> None:
    blob = torch.load(p, weights_only=True)
    blob["code"] = "x"
    torch.save(blob, p)


@pytest.mark.parametrize(
    ("damage", "needle"),
    [
        (_truncate, "truncated or corrupt"),  # was: zipfile/EOF/RuntimeError
        (lambda p: p.write_bytes(b""), "truncated or corrupt"),  # was: EOFError
        (lambda p: p.write_bytes(b"\x80\x04K\x01."), "truncated or corrupt"),
        (_evil, "cannot read the weights (UnpicklingError"),
        (_nan_weights, "NaN or infinite weights"),
        (_wrong_shape, "weights do not fit"),
        (_not_a_dict, "not a tldse surrogate's weights"),
        (_extra_key, "not a tldse surrogate's weights"),
        (lambda p: p.unlink(), "no model.pt"),
    ],
)
def test_bad_model_pt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: Any, needle: str
) -> None:
    folder, _ = _saved(tmp_path)
    damage(folder / "model.pt")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SurrogateError) as info:
        Surrogate.load(folder)
    assert needle in str(info.value)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "not a tldse surrogate"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),  # was: RecursionError
    ],
)
def test_bad_model_json_text(tmp_path: Path, content: bytes, needle: str) -> None:
    folder, m = _saved(tmp_path)
    state = {k: v.detach() for k, v in m.net.state_dict().items()}
    torch.save({"state_dict": state}, folder / "model.pt")  # no embedded copy
    (folder / "model.json").write_bytes(content)
    with pytest.raises(SurrogateError, match=needle):
        Surrogate.load(folder)


def test_weights_larger_than_the_limit_are_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, _ = _saved(tmp_path)
    with zipfile.ZipFile(folder / "model.pt") as z:
        total = sum(i.file_size for i in z.infolist())
    monkeypatch.setattr(model_mod, "MAX_WEIGHT_BYTES", 100)
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("read"))
    with pytest.raises(SurrogateError, match=f"{total:,} bytes of weights"):
        Surrogate.load(folder)


def test_create_refuses_huge_widths() -> None:
    """tldse train --hidden 200000,200000,200000 used to try 160 GB."""
    with pytest.raises(SurrogateError, match="widths up to"):
        Surrogate.create(["a"], ("latency",), hidden=(200000,) * 3)


def test_architecture_parameter_count_matches_torch() -> None:
    for hidden, head in [((8, 8), (4,)), ((3,), ()), ((16, 4, 2), (5, 3))]:
        m = Surrogate.create(
            ["a", "b", "c"],
            ("latency", "energy", "area"),
            hidden=hidden,
            head_hidden=head,
        )
        assert m.arch.n_parameters() == m.n_parameters()


def test_cli_broken_model_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = _saved(tmp_path)
    (folder / "model.pt").write_bytes(b"")
    code = main(
        [
            "transfer",
            "--model",
            str(folder),
            "--data",
            str(tmp_path),
            "--out",
            str(tmp_path / "x"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "model.pt" in err and "Traceback" not in err
