"""Absolute 20 ms deadlines for a room clock (pure: the time is always an argument).

Tick k is due at ``start + k * period``: deadlines never accumulate sleep error (no drift).
A clock that fell behind catches up smoothly: late ticks run at most twice as fast as normal
(``wake_at`` keeps at least ``min_spacing`` periods between tick starts), so a stall never
turns into a burst of back-to-back frames, and the long-run rate stays exactly 50/s.
Further behind than ``max_late`` ticks, it skips to the most recent grid point instead and
counts what it skipped (a listener then hears a gap rather than ever-growing latency).
"""

from __future__ import annotations

import math


class TickSchedule:
    """Deadline arithmetic for one room clock."""

    def __init__(self, start: float, *, period: float = 0.02, max_late: int = 10, min_spacing: float = 0.5) -> None:
        self.start = start
        self.period = period
        self.max_late = max_late
        self.min_spacing = min_spacing
        self.index = 0  # the tick whose deadline is `deadline`
        self.skipped = 0

    @property
    def deadline(self) -> float:
        """When the current tick is due."""
        return self.start + self.index * self.period

    def lateness(self, now: float) -> float:
        """Seconds the current tick runs behind its deadline (>= 0 when on time or late)."""
        return now - self.deadline

    def wake_at(self, previous_start: float) -> float:
        """When to start the current tick: its deadline, but never sooner than min_spacing after the last."""
        return max(self.deadline, previous_start + self.min_spacing * self.period)

    def advance(self, now: float) -> float:
        """Move to the next tick after running one; returns its deadline (maybe in the past)."""
        self.index += 1
        behind = (now - self.deadline) / self.period
        if behind > self.max_late:
            latest = math.floor((now - self.start) / self.period)
            self.skipped += latest - self.index
            self.index = latest
        return self.deadline
