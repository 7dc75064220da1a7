"""Room clock deadlines: absolute (no drift), smooth catch-up at 2x, skip instead of a burst."""

import pytest

from sfu.tickschedule import TickSchedule


def run(schedule: TickSchedule, stall_at: int, stall: float, ticks: int) -> list[float]:
    """Simulate a clock whose tick `stall_at` takes `stall` seconds; return tick start times."""
    starts, previous, now = [], float("-inf"), schedule.start
    for k in range(ticks):
        now = max(now, schedule.wake_at(previous))
        starts.append(now)
        previous = now
        now += stall if k == stall_at else 0.001
        schedule.advance(now)
    return starts


def test_deadlines_are_absolute_whatever_the_wakeup_error() -> None:
    s = TickSchedule(100.0, period=0.02)
    for _ in range(5000):
        s.advance(s.deadline + 0.0013)  # every wakeup 1.3 ms late
    assert s.deadline == pytest.approx(100.0 + 5000 * 0.02)
    assert s.skipped == 0


def test_a_stall_is_caught_up_at_double_speed_not_in_a_burst() -> None:
    s = TickSchedule(0.0, period=0.02, max_late=10)
    starts = run(s, stall_at=10, stall=0.1, ticks=40)  # one tick took 100 ms
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert min(gaps) >= 0.01 - 1e-9  # never closer than half a period: no burst
    assert s.skipped == 0
    assert starts[-1] == pytest.approx(39 * 0.02)  # back on the grid: no frame lost, no drift


def test_a_long_stall_skips_to_now() -> None:
    s = TickSchedule(0.0, period=0.02, max_late=10)
    due = s.advance(1.0)  # stalled a whole second
    assert due == pytest.approx(1.0)
    assert s.skipped == 49
    assert s.lateness(1.0) == pytest.approx(0.0)
