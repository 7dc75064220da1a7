"""A room's quality under load: when its ticks run long or start late, it mixes fewer sources per
listener and encodes more cheaply, step by step, instead of falling behind and collapsing; when
the load goes, full quality comes back within a couple of seconds.

Pure: the room's worker job reports each tick's cost and lateness and applies the level it gets
back. The first steps drop each listener's least audible sources (level at the listener: the
mixer's max_sources cap, as High Fidelity's mixer throttles), the next ones lower the Opus
encoder's complexity (libopus ~98 us per stereo frame at 5, ~54 us at 0 here), then fewer
sources again.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quality:
    """What a room does per tick at one level."""

    max_sources: int | None  # per listener; None = everyone audible
    complexity: int | None  # Opus encoder complexity; None = the configured one


LEVELS = (
    Quality(None, None),
    Quality(8, None),
    Quality(6, 2),
    Quality(4, 1),
    Quality(3, 0),
    Quality(2, 0),
)


class OverloadControl:
    """Tick cost and lateness in, quality level out (hysteresis both ways)."""

    def __init__(
        self, *, budget: float = 0.015, late_limit: float = 0.015, up_after: int = 2, cooldown: int = 5,
        down_after: int = 10, max_down_after: int = 40, bounce_ticks: int = 50,
    ) -> None:
        self.budget = budget  # seconds of worker time per 20 ms tick before it counts as overloaded
        self.late_limit = late_limit  # seconds a tick may start late before it counts
        self._up_after = up_after
        self._cooldown = cooldown
        self._down_after = down_after
        self._max_down = max_down_after
        self._bounce = bounce_ticks
        self._sticky: dict[int, int] = {}  # level -> calm ticks needed to leave it (after a bounce)
        self.level = 0
        self._over = 0
        self._calm = 0
        self._since_change = 1 << 30
        self._stepped_down_from: int | None = None
        self.raised = 0  # times the level went up (counters for /metrics)

    @property
    def quality(self) -> Quality:
        """What to do at the current level."""
        return LEVELS[self.level]

    def update(self, tick_seconds: float, lateness: float) -> bool:
        """One tick's worker time and how late it started; True when the level changed."""
        self._since_change += 1
        over = tick_seconds > self.budget or lateness > self.late_limit
        calm = tick_seconds < 0.6 * self.budget and lateness < 0.5 * self.late_limit
        self._over = self._over + 1 if over else 0
        self._calm = self._calm + 1 if calm else 0
        if self._since_change > 10 * self._bounce:
            self._sticky.clear()  # a long steady spell: forget where it bounced
        if over and self._over >= self._up_after and self._since_change >= self._cooldown and \
                self.level < len(LEVELS) - 1:
            if self._stepped_down_from == self.level + 1 and self._since_change < self._bounce:
                # that step down did not hold: leaving this level again takes longer (damped, per level)
                left = self.level + 1
                self._sticky[left] = min(self._max_down, 2 * self._sticky.get(left, self._down_after))
            self._change(+1)
            self.raised += 1
            return True
        if self.level > 0 and self._calm >= self._sticky.get(self.level, self._down_after):
            self._stepped_down_from = self.level
            self._change(-1)
            return True
        return False

    def _change(self, step: int) -> None:
        self.level += step
        if step > 0:
            self._stepped_down_from = None
        self._over = self._calm = 0
        self._since_change = 0
