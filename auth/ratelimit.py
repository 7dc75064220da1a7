"""In-memory rate limiter (per process; enough for one server): O(1) per check, bounded memory.

GCRA, the "generic cell rate algorithm" of leaky-bucket limiters (nginx `limit_req`, redis-cell):
each key keeps one number, the time at which its bucket is empty again. `limit` attempts may
come at once; after that one more every `window / limit` seconds, so over any long stretch at
most `limit` per `window` get through.

Keys live in insertion-ordered dict, least recently touched first. A key whose bucket has
drained is forgotten as soon as it reaches the front, and the dict never holds more than
`max_keys`: at the cap the least recently touched key is dropped (its count starts again),
as nginx does when a `limit_req` zone is full.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from auth.errors import RateLimited


class RateLimiter:
    """At most `limit` hits per `window` seconds per key (a burst of `limit`, then refilled evenly)."""

    def __init__(
        self, limit: int, window: float, *, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window <= 0 or max_keys < 1:
            raise ValueError("limit and max_keys must be at least 1 and window positive")
        self._interval = window / limit  # one hit's worth of the bucket
        self._tolerance = window - self._interval  # how far ahead of now the bucket may run
        self._max_keys = max_keys
        self._clock = clock
        self._empty_at: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._empty_at)

    def hit(self, key: str) -> float:
        """Record an attempt; returns 0 if allowed, else the seconds until one would be."""
        now = self._clock()
        self._expire(now)
        empty_at = self._empty_at.get(key)
        if empty_at is None:
            if len(self._empty_at) >= self._max_keys:
                self._empty_at.popitem(last=False)  # the least recently touched key
            empty_at = now
        else:
            self._empty_at.move_to_end(key)
            empty_at = max(empty_at, now)
        if empty_at - now > self._tolerance + 1e-9:  # (float sums of `interval` must not cost a hit)
            self._empty_at[key] = empty_at  # refused attempts do not fill the bucket further
            return max(empty_at - self._tolerance - now, 0.001)
        self._empty_at[key] = empty_at + self._interval
        return 0.0

    def charge(self, key: str) -> None:
        """`hit`, raising RateLimited (with the wait) when the attempt is refused."""
        wait = self.hit(key)
        if wait > 0:
            raise RateLimited(wait)

    def _expire(self, now: float) -> None:
        """Forget drained keys at the front: each key leaves once, so this is O(1) amortised.
        Keys are ordered by last touch and a bucket drains within `window` of it, so whatever
        stays behind a still-filled front key drains soon after it."""
        entries = self._empty_at
        while entries:
            key, empty_at = next(iter(entries.items()))
            if empty_at > now:
                return
            del entries[key]
