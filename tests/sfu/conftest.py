"""Fixtures for in-process media tests: a MediaPlane and real aiortc bot peers over 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bots import BotPeer, ToneSource
from bots.sourcetrack import FrameSource
from serverproc import LOOPBACK
from sfu import MediaConfig, MediaPlane, SessionClosed
from sfu_media_helpers import loopback_config


class Harness:
    """A plane plus the bots connected to it; records on_closed/on_activity calls."""

    def __init__(self, config: MediaConfig) -> None:
        self.closed: list[tuple[str, str, SessionClosed]] = []
        self.activity: list[tuple[str, dict]] = []
        self.plane = MediaPlane(
            config,
            on_closed=lambda r, p, why: self.closed.append((r, p, why)),
            on_activity=lambda r, a: self.activity.append((r, a)),
        )
        self.bots: list[BotPeer] = []

    async def join(
        self, room: str, pid: str, *, tone: float | None, at: tuple[float, float, float] = (0, 0, 0),
        keep: bool = False, connect: bool = True, source: FrameSource | None = None,
    ) -> BotPeer:
        bot = BotPeer(source or (ToneSource(tone) if tone else None), keep_samples=keep, ice_addresses=LOOPBACK)
        self.bots.append(bot)
        answer = await self.plane.open_session(room, pid, await bot.create_offer(), x=at[0], y=at[1], heading=at[2])
        await bot.accept_answer(answer)
        if connect:
            await bot.wait_until_connected(10)
        return bot

    async def wait_closed(self, pid: str, timeout: float = 10.0) -> SessionClosed:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while loop.time() < end:
            for _, p, why in self.closed:
                if p == pid:
                    return why
            await asyncio.sleep(0.05)
        raise TimeoutError(f"{pid} not closed after {timeout} s; closed={self.closed}")

    async def aclose(self) -> None:
        for bot in self.bots:
            await bot.close()
        await self.plane.close()


@pytest.fixture
async def harness_factory() -> AsyncIterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(**config: object) -> Harness:
        h = Harness(loopback_config(**config))
        made.append(h)
        return h

    yield make
    for h in made:
        await h.aclose()
