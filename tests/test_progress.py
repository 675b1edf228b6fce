"""The one progress display when stderr is not a terminal: plain lines every
``interval`` seconds and at the end, an ETA weighted by the work of each step,
and a last line that says whether the work finished."""

from __future__ import annotations

import io

import pytest

from tldse._util import progress as progress_module
from tldse._util.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(progress_module.time, "perf_counter", c)
    return c


def test_plain_lines_with_a_weighted_eta(clock: Clock) -> None:
    out = io.StringIO()
    # 4 chunks: two cheap ones (1 each) then two that cost 4 each (rs-like)
    with Progress(True, 4, "sweep", "chunks", total_work=10.0, stream=out) as bar:
        clock.now = 5.0
        bar.advance(1, work=1.0)
        assert out.getvalue() == ""  # nothing before the 10 s interval
        clock.now = 10.0
        bar.advance(1, work=1.0)
        # 2 of 10 units in 10 s: 8 units left take 40 s (by count it would be 10 s)
        assert out.getvalue() == ("sweep: 2/4 chunks (20%), 10 s elapsed, ETA 40 s\n")
        assert bar.eta() == pytest.approx(40.0)
        clock.now = 30.0
        bar.advance(1, work=4.0)
        clock.now = 50.0
        bar.advance(1, work=4.0)
    lines = out.getvalue().splitlines()
    assert lines[1] == "sweep: 3/4 chunks (60%), 30 s elapsed, ETA 20 s"
    assert lines[-1] == "sweep: 4/4 chunks (100%), 50 s elapsed, done"


def test_resumed_work_is_not_counted_in_the_rate(clock: Clock) -> None:
    out = io.StringIO()
    with Progress(True, 10, "d", "designs", interval=1.0, stream=out) as bar:
        bar.start_at(6)  # done by an earlier run: no time spent here
        clock.now = 2.0
        bar.advance(2)
        assert out.getvalue() == "d: 8/10 designs (80%), 2 s elapsed, ETA 2 s\n"


def test_an_interrupted_run_ends_with_stopped_not_done(clock: Clock) -> None:
    out = io.StringIO()
    with (
        pytest.raises(KeyboardInterrupt),
        Progress(True, 5, "train", "epochs", stream=out) as bar,
    ):
        clock.now = 3.0
        bar.advance()
        raise KeyboardInterrupt
    assert out.getvalue() == "train: 1/5 epochs (20%), 3 s elapsed, stopped\n"


def test_disabled_progress_prints_nothing(clock: Clock) -> None:
    out = io.StringIO()
    with Progress(False, 3, "x", stream=out) as bar:
        clock.now = 100.0
        bar.advance(3)
    assert out.getvalue() == ""
