"""Per-connection flood control: token buckets with the time passed in (pure, unit-testable)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TokenBucket:
    """`rate` tokens per second up to `burst`; `take(now)` spends one if there is one."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._at = now

    def take(self, now: float) -> bool:
        """Refill for the time since the last call, then spend one token if available."""
        if now > self._at:
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class Verdict(enum.Enum):
    """What to do with one incoming message."""

    ACCEPT = "accept"
    DROP_AND_WARN = "drop_and_warn"  # first drop of a flood: send one rate_limited error
    DROP = "drop"  # later drops of the same flood: silently
    CLOSE = "close"  # too many drops: close the socket (CloseCode.FLOOD)


@dataclass(frozen=True)
class FloodPolicy:
    """Messages per second a client may send (with a burst), and how much excess it may try."""

    rate: float = 50.0
    burst: float = 100.0
    excess_burst: float = 200.0
    excess_rate: float = 10.0


class FloodGuard:
    """Drops messages beyond the rate; warns once per flood; closes after `excess_burst` drops
    that were not paid back at `excess_rate` per second."""

    def __init__(self, policy: FloodPolicy, now: float) -> None:
        self._messages = TokenBucket(policy.rate, policy.burst, now)
        self._tolerance = TokenBucket(policy.excess_rate, policy.excess_burst, now)
        self._flooding = False
        self.dropped = 0

    def check(self, now: float) -> Verdict:
        """Classify the message that arrived at `now`."""
        if self._messages.take(now):
            self._flooding = False
            return Verdict.ACCEPT
        self.dropped += 1
        if not self._tolerance.take(now):
            return Verdict.CLOSE
        if self._flooding:
            return Verdict.DROP
        self._flooding = True
        return Verdict.DROP_AND_WARN
