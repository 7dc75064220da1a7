"""Joining, leaving, rejoining and shutting down with real media sessions up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from audiocheck import band_db, total_db
from world import MakeWorld, World
from serverproc import start_server, stop_server

from bots.client import Bot


async def _wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)


def _hears(bot: Bot, hz: float, seconds: float = 1.0) -> float:
    """Level (dB, arbitrary reference) of ``hz`` in the last ``seconds`` of the bot's mix."""
    return total_db(*band_db(bot.peer.recorder.samples(seconds), hz))


async def test_join_leave_rejoin(world: MakeWorld) -> None:
    w = world()
    talker = await w.bot(tone=440, at=(8, 10))
    key = w.member_key()
    first = await w.bot(key=key, at=(10, 10))
    await asyncio.sleep(1.5)
    heard_first = _hears(first, 440)
    await first.close()
    await _wait_for(lambda: first.user_id not in talker.members)
    assert w.server.health()["sessions"] == 1

    again = await w.bot(key=key, at=(10, 10))
    assert again.user_id == first.user_id
    assert talker.user_id in again.members
    await asyncio.sleep(1.5)
    assert again.peer.recorder.frames >= 50
    assert abs(_hears(again, 440) - heard_first) < 3  # the same mix as before leaving
    assert again.peer.recorder.gaps == 0


async def test_two_leave_at_once(world: MakeWorld) -> None:
    w: World = world()
    stay = await w.bot(at=(10, 10))
    a = await w.bot(tone=440, at=(8, 10))
    b = await w.bot(tone=660, at=(12, 10))
    await asyncio.sleep(1.0)
    assert _hears(stay, 440) - _hears(stay, 1000) > 30
    heard = _hears(stay, 440, 0.5)
    await asyncio.gather(a.close(), b.close())
    await _wait_for(lambda: set(stay.members) == {stay.user_id})
    written = stay.peer.recorder.samples_written
    await asyncio.sleep(2.0)
    # the survivor's stream keeps real time: its silent mix now arrives as DTX (a packet per 400 ms,
    # the gaps written as silence), served by the clock at 50 ticks/s and costing no encode
    assert stay.peer.recorder.samples_written - written >= 1.2 * 48000
    assert stay.peer.recorder.gaps == 0 and stay.peer.recorder.dtx_gaps >= 2
    session = next(iter(w.server.health()["media"]["rooms"].values()))["sessions"][0]
    assert session["frames_out_per_s"] >= 45 and session["encode_skipped"] >= 50
    assert _hears(stay, 440, 0.5) < heard - 60  # and the leavers are gone from it
    assert w.server.health()["sessions"] == 1


async def test_server_shutdown_with_participants_connected(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data", tmp_path / "server.log")
    w = World(srv)
    try:
        bots = [await w.bot(tone=440, at=(8, 10)), await w.bot(at=(10, 10))]
        await asyncio.sleep(1.0)
        assert bots[1].peer.recorder.frames > 20
        loop = asyncio.get_running_loop()
        code = await loop.run_in_executor(None, stop_server, srv)
        assert code == 0
        await _wait_for(lambda: all(b.close_code is not None for b in bots))
        assert {b.close_code for b in bots} == {1001}
        assert "Traceback" not in srv.log_text(), srv.log_text()[-3000:]
    finally:
        stop_server(srv)
        for b in w.bots:
            await b.close()
