"""A fixed-size window of recent samples with percentiles, for /metrics figures."""

from __future__ import annotations

from collections import deque

import numpy as np


class RollingStats:
    """Keeps the last ``size`` samples (e.g. 10 s of ticks) and summarises them on demand."""

    def __init__(self, size: int = 500) -> None:
        self._values: deque[float] = deque(maxlen=size)
        self.count = 0

    def add(self, value: float) -> None:
        """Record one sample (cheap: called every tick)."""
        self._values.append(value)
        self.count += 1

    def values(self) -> list[float]:
        """The samples in the window, oldest first (e.g. to pool several processes' windows)."""
        return list(self._values)

    def summary(self, scale: float = 1.0, digits: int = 3) -> dict[str, float | None]:
        """p50/p99/max of the window, multiplied by ``scale`` (e.g. 1000 for ms)."""
        if not self._values:
            return {"p50": None, "p99": None, "max": None}
        arr = np.fromiter(self._values, dtype=np.float64, count=len(self._values)) * scale
        p50, p99 = np.percentile(arr, [50, 99])
        return {"p50": round(float(p50), digits), "p99": round(float(p99), digits),
                "max": round(float(arr.max()), digits)}
