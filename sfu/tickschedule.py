"""Absolute 20 ms deadlines for a room clock (pure: the time is always an argument).

Tick k is due at ``start + k * period``: deadlines never accumulate sleep error (no drift).
A clock that fell behind runs the missed ticks back-to-back only while it is at most
``max_late`` ticks late (a short, bounded catch-up that keeps 50 frames/s); further behind,
it skips to the most recent grid point instead of firing a burst, and counts what it skipped.
"""

from __future__ import annotations

import math


class TickSchedule:
    """Deadline arithmetic for one room clock."""

    def __init__(self, start: float, *, period: float = 0.02, max_late: int = 3) -> None:
        self.start = start
        self.period = period
        self.max_late = max_late
        self.index = 0  # the tick whose deadline is `deadline`
        self.skipped = 0

    @property
    def deadline(self) -> float:
        """When the current tick is due."""
        return self.start + self.index * self.period

    def lateness(self, now: float) -> float:
        """Seconds the current tick runs behind its deadline (>= 0 when on time or late)."""
        return now - self.deadline

    def advance(self, now: float) -> float:
        """Move to the next tick after running one; returns its deadline (maybe in the past)."""
        self.index += 1
        behind = (now - self.deadline) / self.period
        if behind > self.max_late:
            latest = math.floor((now - self.start) / self.period)
            self.skipped += latest - self.index
            self.index = latest
        return self.deadline
