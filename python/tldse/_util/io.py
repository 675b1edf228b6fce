"""Crash-safe files shared by every command that writes results.

Every file a command produces is written through :func:`atomic_write` (a temp file
in the same folder, fsynced, then renamed over the target), so a reader sees the old
file or the whole new one, never a part, also after ``kill -9`` or a full disk.
:func:`output_lock` keeps two processes from writing one output folder at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


class OutputLockedError(ValueError):
    """Another process is writing the same output folder."""


class UnsafeNameError(ValueError):
    """A name read from a file (a manifest key) that is not a plain file name."""


#: The largest text input file (space, manifest, model.json) read whole: 64 MiB.
MAX_TEXT_BYTES = 64 * 1024**2


def atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Writes through a temp file in the same folder, fsyncs, then renames: readers see
    the old file or the whole new one, never a part (also after kill -9)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_atomic(path: Path, data: bytes | str) -> None:
    """``data`` (text is UTF-8 encoded) as the whole content of ``path``."""
    raw = data.encode() if isinstance(data, str) else data

    def write(f: IO[bytes]) -> None:
        f.write(raw)

    atomic_write(Path(path), write)


def write_json_atomic(
    path: Path, data: Any, *, sort_keys: bool = True, default: Any = None
) -> None:
    """``data`` as indented JSON (one space), ending with a newline."""
    text = json.dumps(data, indent=1, sort_keys=sort_keys, default=default) + "\n"
    write_atomic(path, text)


def write_parquet_atomic(path: Path, frame: pd.DataFrame) -> None:
    """A DataFrame as one Parquet file (pyarrow, no index)."""
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    table = pa.Table.from_pandas(frame, preserve_index=False)
    atomic_write(Path(path), lambda f: pq.write_table(table, f))


def remove_stale_temps(folder: Path) -> None:
    """Deletes temp files that a killed :func:`atomic_write` left in ``folder``."""
    if folder.is_dir():
        for stale in folder.glob(".*.tmp-*"):
            with contextlib.suppress(OSError):
                stale.unlink()


_held: dict[str, int] = {}
_held_guard = threading.Lock()


@contextlib.contextmanager
def output_lock(out: Path, what: str = "tldse") -> Iterator[None]:
    """Holds an exclusive lock on ``out/.lock`` (created) while the block runs;
    raises :class:`OutputLockedError` at once when another process holds it.
    ``what`` names the holder in the message (``"tldse sweep"``). Re-entrant
    within one process: a command that locks its folder may call a library
    function that locks the same folder. When the block fails having written
    nothing, the folders that the lock created are removed again: a command that
    stops on bad input leaves no trace."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    out = Path(out)
    created = [p for p in (out, *out.parents) if not p.exists()]
    out.mkdir(parents=True, exist_ok=True)
    key = str(out.resolve())
    with _held_guard:
        if key in _held:
            _held[key] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    with open(out / ".lock", "a+b") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OutputLockedError(
                f"{out}: another {what} is writing here (wait for it to finish, "
                "or use another output folder)"
            ) from None
        with _held_guard:
            _held[key] = 1
        try:
            yield
        except BaseException:
            if created and [p.name for p in out.iterdir()] == [".lock"]:
                with contextlib.suppress(OSError):
                    (out / ".lock").unlink()
                    for folder in created:  # the deepest first
                        folder.rmdir()
            raise
        finally:
            with _held_guard:
                del _held[key]
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def plain_name(folder: Path, name: Any, field: str) -> Path:
    """``folder / name`` for a file name read from a manifest, after checking
    that it is a plain name inside ``folder``: a non-empty string with no path
    separator, not ``.`` or ``..``, no NUL or control character. Anything else
    (``../x``, ``/etc/passwd``, ``a/b``) raises :class:`UnsafeNameError` naming
    ``field``."""
    ok = (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and len(name) <= 255
        and not any(ch in name for ch in "/\\")
        and all(ch.isprintable() for ch in name)
    )
    if not ok:
        raise UnsafeNameError(
            f"{field}: {name!r} is not a plain file name inside {folder} (a "
            "manifest names only files in its own folder)"
        )
    return Path(folder) / str(name)


def parse_json(text: str, where: str) -> Any:
    """JSON text; text that is not JSON, nested too deeply for the parser, or with
    a key given twice in one object is a ValueError naming ``where``."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise ValueError(f"{where}: key {key!r} given twice")
            out[key] = value
        return out

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: not valid JSON ({exc})") from None
    except RecursionError:
        raise ValueError(f"{where}: not valid JSON (nested too deeply)") from None


def read_text(path: Path, what: str = "file", max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of a user's input file, at most ``max_bytes`` long. A file
    too large, not UTF-8 or unreadable raises ValueError (OSError for a missing
    file) naming the file: never a bare ``UnicodeDecodeError``."""
    path = Path(path)
    with open(path, "rb") as f:
        raw = f.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise ValueError(f"{path}: {what} larger than the limit of {max_bytes:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValueError(
            f"{path}: {what} is not UTF-8 text (byte 0x{raw[exc.start]:02X} at "
            f"offset {exc.start}, line {line})"
        ) from None


def differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The keys whose values differ between two manifests (sorted)."""
    return [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]


def package_version() -> str:
    """The installed tldse version (recorded in manifests; ``tldse.__version__``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tldse")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def jsonable(obj: Any) -> Any:
    """``obj`` with numpy scalars as Python numbers, tuples as lists, keys as
    strings and non-finite floats as None (JSON has no NaN)."""
    import math

    import numpy as np

    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
