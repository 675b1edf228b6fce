"""The one progress display of every long command (sweeps, datasets, training,
explore, experiments).

:class:`Progress` draws a rich bar on stderr when stderr is a terminal, and prints a
plain line every ``interval`` seconds (and one at the end) when it is not, so a
redirected run still shows that it is alive and when it will finish. Work can be
weighted: ``total_work`` and ``advance(n, work=w)`` make the ETA follow the expected
cost of each step (an rs chunk costs more than a systolic one) while the counts
shown stay in the caller's unit. :func:`note` prints one message line.
``TLDSE_PROGRESS_INTERVAL`` sets the seconds between plain lines.
"""

from __future__ import annotations

import os
import sys
import time
from typing import IO, Any


def _default_interval() -> float:
    """Seconds between plain lines: ``TLDSE_PROGRESS_INTERVAL`` or 10."""
    try:
        return max(0.0, float(os.environ.get("TLDSE_PROGRESS_INTERVAL", "10")))
    except ValueError:
        return 10.0


def _fmt_seconds(s: float) -> str:
    if s != s or s == float("inf"):  # NaN or inf
        return "?"
    s = round(s)
    if s < 60:
        return f"{s} s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m} m {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} m"


def note(enabled: bool, message: str, stream: IO[str] | None = None) -> None:
    """``message`` as one line on stderr when ``enabled``."""
    if enabled:
        out = stream or sys.stderr
        out.write(message.rstrip("\n") + "\n")
        out.flush()


class Progress:
    """A progress display over ``total`` items of ``unit`` (a no-op when not
    ``enabled``); use as a context manager."""

    def __init__(
        self,
        enabled: bool,
        total: int,
        description: str,
        unit: str = "",
        *,
        total_work: float | None = None,
        rate: bool = False,
        interval: float | None = None,
        stream: IO[str] | None = None,
        force_plain: bool = False,
    ) -> None:
        self.enabled = enabled
        self.total = int(total)
        self.description = description
        self.unit = unit
        self.total_work = float(total if total_work is None else total_work)
        self.count = 0
        self.work = 0.0
        self._rate = rate
        self._interval = _default_interval() if interval is None else interval
        #: extra text after the counts (``"3 from the store, 1 failed"``)
        self.detail = ""
        self._stream = stream or sys.stderr
        self._t0 = time.perf_counter()
        self._count0 = 0
        self._work0 = 0.0
        self._last_line = self._t0
        self._rich: Any = None
        self._task: Any = None
        self._plain = False
        if not enabled:
            return
        tty = bool(getattr(self._stream, "isatty", lambda: False)())
        if tty and not force_plain:
            self._make_rich()
        else:
            self._plain = True

    def _make_rich(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as RichProgress,
        )

        self._rich = RichProgress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=24),
            TaskProgressColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=self._stream),
            transient=False,
        )
        self._task = self._rich.add_task(
            self.description, total=max(self.total_work, 1e-12), counts=""
        )

    # -------------------------------------------------------------- context

    def __enter__(self) -> Progress:
        if self._rich is not None:
            self._rich.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.stop()
        elif self._plain and self.count > self._count0:
            self._line(final=True, stopped=bool(exc and exc[0] is not None))

    # -------------------------------------------------------------- updates

    def start_at(self, count: int, work: float | None = None) -> None:
        """Items already done before this run (resumed work): not counted in the
        rate or the ETA."""
        self.count = self._count0 = int(count)
        self.work = self._work0 = float(count if work is None else work)
        self._refresh()

    def advance(self, n: int = 1, *, work: float | None = None) -> None:
        """``n`` more items done, costing ``work`` (default ``n``) of the total."""
        self.count += int(n)
        self.work += float(n if work is None else work)
        self._refresh()

    def update(self, count: int) -> None:
        """Sets the items done (unweighted)."""
        self.advance(int(count) - self.count)

    # -------------------------------------------------------------- output

    def _counts(self) -> str:
        text = f"{self.count:,}/{self.total:,}" + (f" {self.unit}" if self.unit else "")
        if self.detail:
            text += f" ({self.detail})"
        if self._rate:
            elapsed = max(time.perf_counter() - self._t0, 1e-9)
            text += f", {(self.count - self._count0) / elapsed:,.0f}/s"
        return text

    def eta(self) -> float:
        """Seconds left, from the weighted rate of this run (inf when unknown)."""
        done = self.work - self._work0
        if done <= 0:
            return float("inf")
        elapsed = time.perf_counter() - self._t0
        return max(0.0, (self.total_work - self.work) * elapsed / done)

    def _refresh(self) -> None:
        if not self.enabled:
            return
        if self._rich is not None:
            self._rich.update(self._task, completed=self.work, counts=self._counts())
            return
        now = time.perf_counter()
        if now - self._last_line >= self._interval:
            self._line()

    def _line(self, final: bool = False, stopped: bool = False) -> None:
        self._last_line = time.perf_counter()
        pct = 100.0 * self.work / self.total_work if self.total_work else 100.0
        elapsed = _fmt_seconds(self._last_line - self._t0)
        tail = f"ETA {_fmt_seconds(self.eta())}"
        if final:
            tail = "stopped" if stopped else "done"
        self._stream.write(
            f"{self.description}: {self._counts()} ({pct:.0f}%), {elapsed} "
            f"elapsed, {tail}\n"
        )
        self._stream.flush()
