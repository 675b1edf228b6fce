"""The evaluation store: every expensive result on disk as soon as it finishes.

One SQLite file (standard library; WAL journal, so several processes may read and
write it at once). A result is keyed by the evaluator's identity key (name, version,
result-affecting settings), the design (its config fields as canonical JSON) and the
layer shape (its fields without name and count): a rerun finds every result it
already has and evaluates nothing twice, and a run killed at any point loses only
the evaluations still running. Kept statuses: ``ok``, ``failed``, ``timeout``,
``crashed`` (``rejected`` and ``unavailable`` are decided without running).

``export`` writes Parquet (or CSV) with one row per result and one column per
design and layer field; ``stats`` counts results and time per evaluator.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tldse.evaluators.base import (
    STORED_STATUSES,
    EvaluatorIdentity,
    LayerResult,
)

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evaluators (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    settings TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    evaluator TEXT NOT NULL,
    design TEXT NOT NULL,
    layer TEXT NOT NULL,
    status TEXT NOT NULL,
    latency_cycles REAL,
    energy_pj REAL,
    message TEXT NOT NULL DEFAULT '',
    extras TEXT NOT NULL DEFAULT '{}',
    cpu_s REAL,
    wall_s REAL,
    finished REAL NOT NULL,
    PRIMARY KEY (evaluator, design, layer)
);
"""
_LOOKUP_CHUNK = 400


class StoreError(ValueError):
    """The store file is not an evaluation store, or is of another schema."""


@dataclass(frozen=True)
class StoreStats:
    """Per evaluator: counts by status and the tool time the results took."""

    evaluator: str
    name: str
    version: str
    settings: dict[str, Any]
    counts: dict[str, int]
    cpu_s: float
    wall_s: float

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _num(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


class EvaluationStore:
    """An evaluation store at ``path`` (created when missing). Use one instance per
    thread; several processes may share the file."""

    def __init__(self, path: str | Path, *, timeout_s: float = 60.0) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder, not an evaluation store file")
        if self.path.parent and not self.path.parent.exists():
            raise StoreError(f"{self.path.parent}: no such folder for the store")
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(
                str(self.path), timeout=timeout_s, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            with self._db:
                self._db.executescript(_SCHEMA)
                self._db.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,)
                )
            row = self._db.execute(
                "SELECT value FROM meta WHERE key='schema'"
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not an evaluation store ({exc})") from None
        if row is None or row[0] != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: evaluation store schema {row[0] if row else '?'}, "
                f"this tldse reads schema {SCHEMA_VERSION}"
            )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> EvaluationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ writing

    def register(self, identity: EvaluatorIdentity) -> str:
        """Records an evaluator's identity; returns its key."""
        key = identity.key
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO evaluators VALUES (?, ?, ?, ?)",
                (
                    key,
                    identity.name,
                    identity.version,
                    json.dumps(dict(identity.settings), sort_keys=True),
                ),
            )
        return key

    def put(self, evaluator: str, design: str, layer: str, result: LayerResult) -> bool:
        """Keeps one result (committed before returning); False when its status is
        not one a store keeps."""
        return self.put_many(evaluator, [(design, layer, result)]) == 1

    def put_many(
        self, evaluator: str, items: Iterable[tuple[str, str, LayerResult]]
    ) -> int:
        rows = [
            (
                evaluator,
                design,
                layer,
                r.status,
                _num(r.latency_cycles),
                _num(r.energy_pj),
                r.message,
                json.dumps(dict(r.extras), sort_keys=True),
                _num(r.cpu_s),
                _num(r.wall_s),
                time.time(),
            )
            for design, layer, r in items
            if r.status in STORED_STATUSES
        ]
        if rows:
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO results VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        return len(rows)

    # ------------------------------------------------------------ reading

    def get_many(
        self, evaluator: str, pairs: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], LayerResult]:
        """The stored results among ``(design, layer)`` pairs."""
        out: dict[tuple[str, str], LayerResult] = {}
        designs = sorted({d for d, _ in pairs})
        wanted = set(pairs)
        with self._lock:
            for i in range(0, len(designs), _LOOKUP_CHUNK):
                chunk = designs[i : i + _LOOKUP_CHUNK]
                marks = ",".join("?" * len(chunk))
                query = (
                    "SELECT design, layer, status, latency_cycles, energy_pj, message, "
                    "extras, cpu_s, wall_s FROM results WHERE evaluator = ? AND "
                    f"design IN ({marks})"
                )
                for row in self._db.execute(query, (evaluator, *chunk)):
                    key = (row[0], row[1])
                    if key in wanted:
                        out[key] = _result(row[2:])
        return out

    def get(self, evaluator: str, design: str, layer: str) -> LayerResult | None:
        return self.get_many(evaluator, [(design, layer)]).get((design, layer))

    def identities(self) -> list[EvaluatorIdentity]:
        with self._lock:
            rows = self._db.execute(
                "SELECT name, version, settings FROM evaluators ORDER BY name, version"
            ).fetchall()
        return [EvaluatorIdentity(r[0], r[1], json.loads(r[2])) for r in rows]

    def rows(self, evaluator: str | None = None) -> Iterator[dict[str, Any]]:
        """Every result as a flat dict: evaluator name/version/key, the design and
        layer fields, status, numbers, message and the extras (``extra_*``)."""
        query = (
            "SELECT r.evaluator, e.name, e.version, e.settings, r.design, r.layer, "
            "r.status, r.latency_cycles, r.energy_pj, r.message, r.extras, r.cpu_s, "
            "r.wall_s, r.finished FROM results r LEFT JOIN evaluators e "
            "ON e.key = r.evaluator"
        )
        args: tuple[str, ...] = ()
        if evaluator:
            query += " WHERE r.evaluator = ? OR e.name = ?"
            args = (evaluator, evaluator)
        query += " ORDER BY r.finished"
        with self._lock:
            fetched = self._db.execute(query, args).fetchall()
        for row in fetched:
            out: dict[str, Any] = {
                "evaluator": row[1],
                "evaluator_version": row[2],
                "evaluator_key": row[0],
                "evaluator_settings": row[3],
            }
            out.update({f"design_{k}": v for k, v in json.loads(row[4]).items()})
            out.update({f"layer_{k}": v for k, v in json.loads(row[5]).items()})
            out.update(
                status=row[6],
                latency_cycles=_nan(row[7]),
                energy_pj=_nan(row[8]),
                message=row[9],
                cpu_s=_nan(row[11]),
                wall_s=_nan(row[12]),
                finished=row[13],
            )
            out.update({f"extra_{k}": v for k, v in json.loads(row[10]).items()})
            yield out

    def to_pandas(self, evaluator: str | None = None) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(list(self.rows(evaluator)))

    def export(self, path: str | Path, evaluator: str | None = None) -> int:
        """Writes the results to Parquet (``.parquet``) or CSV (``.csv``); returns
        the number of rows. The file is replaced atomically."""
        from tldse._util.io import atomic_write

        out = Path(path)
        suffix = out.suffix.lower()
        if suffix not in (".parquet", ".csv"):
            raise ValueError(f"{out}: export to a .parquet or .csv file")
        df = self.to_pandas(evaluator)

        def write(f: IO[bytes]) -> None:
            if suffix == ".parquet":
                df.to_parquet(f, index=False)
            else:
                f.write(df.to_csv(index=False).encode())

        atomic_write(out, write)
        return len(df)

    def stats(self) -> list[StoreStats]:
        with self._lock:
            rows = self._db.execute(
                "SELECT r.evaluator, e.name, e.version, e.settings, r.status, "
                "COUNT(*), SUM(r.cpu_s), SUM(r.wall_s) FROM results r "
                "LEFT JOIN evaluators e ON e.key = r.evaluator "
                "GROUP BY r.evaluator, r.status ORDER BY e.name, r.evaluator"
            ).fetchall()
        out: dict[str, StoreStats] = {}
        for key, name, version, settings, status, count, cpu, wall in rows:
            st = out.get(key)
            if st is None:
                st = StoreStats(
                    key,
                    name or "?",
                    version or "?",
                    json.loads(settings) if settings else {},
                    {},
                    0.0,
                    0.0,
                )
                out[key] = st
            st.counts[status] = int(count)
            out[key] = StoreStats(
                st.evaluator,
                st.name,
                st.version,
                st.settings,
                st.counts,
                st.cpu_s + float(cpu or 0.0),
                st.wall_s + float(wall or 0.0),
            )
        return list(out.values())


def _result(row: Sequence[Any]) -> LayerResult:
    status, latency, energy, message, extras, cpu, wall = row
    return LayerResult(
        status=status,
        latency_cycles=_nan(latency),
        energy_pj=_nan(energy),
        message=message or "",
        extras=json.loads(extras or "{}"),
        cpu_s=_nan(cpu),
        wall_s=_nan(wall),
    )
