"""Room clock deadlines: absolute (no drift), bounded catch-up, skip instead of a burst."""

import pytest

from sfu.tickschedule import TickSchedule


def test_deadlines_are_absolute_whatever_the_wakeup_error() -> None:
    s = TickSchedule(100.0, period=0.02, max_late=3)
    now = 100.0
    for _ in range(5000):
        now = s.deadline + 0.0013  # every wakeup 1.3 ms late
        s.advance(now)
    assert s.deadline == pytest.approx(100.0 + 5000 * 0.02)
    assert s.skipped == 0


def test_a_short_stall_is_caught_up_tick_by_tick() -> None:
    s = TickSchedule(0.0, period=0.02, max_late=3)
    next_due = s.advance(0.05)  # the tick at 0.00 ran 50 ms late
    assert next_due == pytest.approx(0.02)  # still due: run it now, then 0.04 ...
    assert s.skipped == 0


def test_a_long_stall_skips_to_now_instead_of_bursting() -> None:
    s = TickSchedule(0.0, period=0.02, max_late=3)
    due = s.advance(1.0)  # stalled a whole second
    assert due == pytest.approx(1.0)
    assert s.skipped == 49
    assert s.lateness(1.0) == pytest.approx(0.0)
