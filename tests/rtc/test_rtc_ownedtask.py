"""Stopping an owned task: it is cancelled and awaited, and the caller's own cancellation is never lost."""

from __future__ import annotations

import asyncio

import pytest

from rtc.ownedtask import cancel_and_wait


async def test_the_task_is_cancelled_and_finished_when_it_returns() -> None:
    cleaned = asyncio.Event()

    async def owned() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0.01)  # cleanup that takes a moment
            cleaned.set()

    task = asyncio.create_task(owned())
    await asyncio.sleep(0)
    await cancel_and_wait(task)
    assert task.cancelled() and cleaned.is_set()
    await cancel_and_wait(task)  # again: nothing to do
    await cancel_and_wait(None)


async def test_a_failure_of_the_task_still_reaches_the_caller() -> None:
    async def owned() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise RuntimeError("broke while stopping") from None

    task = asyncio.create_task(owned())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="broke while stopping"):
        await cancel_and_wait(task)


async def test_the_callers_own_cancellation_is_not_swallowed() -> None:
    """A stop that is itself cancelled (say, shutdown timing out) must end, not carry on as if stopped."""
    release = asyncio.Event()
    carried_on = False

    async def owned() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await release.wait()  # slow to stop

    async def stop() -> None:
        nonlocal carried_on
        await cancel_and_wait(task)
        carried_on = True

    task = asyncio.create_task(owned())
    await asyncio.sleep(0)
    stopper = asyncio.create_task(stop())
    await asyncio.sleep(0.01)  # the stopper now waits for the owned task
    stopper.cancel()
    release.set()
    await asyncio.wait({stopper, task}, timeout=1)
    assert stopper.cancelled() and not carried_on
    assert task.done()
