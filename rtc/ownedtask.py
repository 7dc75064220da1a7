"""Stopping a task we own: cancel it and wait until it has really finished."""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` (if any) and wait for it, so nothing of it runs after the caller's stop.

    The wait never raises the task's own CancelledError, so one raised here is the caller's and
    propagates: a stop that is itself cancelled must end, not carry on. A task that fails while
    stopping still raises its error here."""
    if task is None:
        return
    task.cancel()
    await asyncio.wait({task})
    if not task.cancelled():
        task.result()
