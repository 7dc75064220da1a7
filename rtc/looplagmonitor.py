"""Measures event-loop lag: how late a periodic timer fires (a blocked loop fires late)."""

from __future__ import annotations

import asyncio
import logging

from .ownedtask import cancel_and_wait
from .rollingstats import RollingStats

logger = logging.getLogger(__name__)


class LoopLagMonitor:
    """One owned task sleeping ``interval`` and recording the oversleep; start()/stop()."""

    def __init__(self, interval: float = 0.05, window: int = 1200) -> None:
        self.interval = interval
        self.lag = RollingStats(window)
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """True while the probe task is alive."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start probing on the running loop (idempotent)."""
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="hubbub-loop-lag")

    async def stop(self) -> None:
        """Cancel and await the probe task (idempotent)."""
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + self.interval
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            now = loop.time()
            self.lag.add(max(0.0, now - due))
            due = max(due + self.interval, now)  # absolute schedule; no backlog after a stall
