"""100 open/close cycles with real peers leave no tasks, threads, sessions or memory behind."""

from __future__ import annotations

import asyncio
import gc
import threading
import tracemalloc
import weakref

from bots import BotPeer, ToneSource
from serverproc import LOOPBACK
from sfu import MediaPlane
from sfu_media_helpers import loopback_config


def own_threads() -> list[str]:
    """Threads that are not pool workers (pools grow lazily up to a fixed size, which is no leak)."""
    return sorted(t.name for t in threading.enumerate()
                  if not t.name.startswith(("ThreadPoolExecutor-", "asyncio_", "hubbub-mix")))


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4


async def cycle(plane: MediaPlane, sessions: weakref.WeakSet, i: int, *, connect: bool) -> None:
    bot = BotPeer(ToneSource(440 + i), ice_addresses=LOOPBACK)
    try:
        answer = await plane.open_session("leak", f"p{i % 3}", await bot.create_offer(), x=i % 5, y=0, heading=0)
        sessions.add(plane.rooms["leak"].sessions[f"p{i % 3}"])
        await bot.accept_answer(answer)
        if connect:
            await bot.wait_until_connected(10)
            await asyncio.sleep(0.06)  # a few ticks of real media
    finally:
        await plane.close_session("leak", f"p{i % 3}")
        await bot.close()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.05)
    gc.collect()


async def test_no_leaks_across_100_open_close_cycles() -> None:
    plane = MediaPlane(loopback_config())
    sessions: weakref.WeakSet = weakref.WeakSet()
    try:
        for i in range(5):  # warm up lazily created pools, codecs and caches
            await cycle(plane, sessions, i, connect=True)
        await settle()
        tasks0 = len(asyncio.all_tasks())
        threads0 = own_threads()
        rss0 = rss_kib()
        tracemalloc.start()
        traced0 = tracemalloc.get_traced_memory()[0]

        for i in range(100):
            await cycle(plane, sessions, i, connect=i % 2 == 0)
        await settle()

        traced_growth = tracemalloc.get_traced_memory()[0] - traced0
        tracemalloc.stop()
        rss_growth = rss_kib() - rss0
        print(f"\nleak check: tasks {tasks0}->{len(asyncio.all_tasks())}, threads {threads0}->"
              f"{own_threads()}, traced +{traced_growth / 1024:.0f} KiB, RSS +{rss_growth} KiB")
        assert len(asyncio.all_tasks()) == tasks0
        assert own_threads() == threads0  # every aiortc decoder thread was joined
        assert threading.active_count() <= len(threads0) + 2 + 6  # + bounded pools (ours, asyncio's default)
        assert len(sessions) == 0  # every Session object was freed
        assert not plane.rooms
        assert traced_growth < 1024 * 1024  # < 1 MiB over 100 cycles (one leaked session is more)
        assert rss_growth < 20 * 1024
    finally:
        await plane.close()
