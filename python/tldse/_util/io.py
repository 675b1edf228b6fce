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
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


class OutputLockedError(ValueError):
    """Another process is writing the same output folder."""


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


@contextlib.contextmanager
def output_lock(out: Path, what: str = "tldse") -> Iterator[None]:
    """Holds an exclusive lock on ``out/.lock`` (created) while the block runs;
    raises :class:`OutputLockedError` at once when another process holds it.
    ``what`` names the holder in the message (``"tldse sweep"``)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "a+b") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OutputLockedError(
                f"{out}: another {what} is writing here (wait for it to finish, "
                "or use another output folder)"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


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
