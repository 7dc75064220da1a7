"""Outbound track: the room clock's pts (gaps stay gaps), bounded queue that never blocks the clock, sentinel end."""

import asyncio
import fractions

import pytest
from aiortc.mediastreams import MediaStreamError

from sfu.mixtrack import MixTrack


def packet(tag: int) -> bytes:
    return bytes([tag]) * 10


async def test_pts_come_from_the_clock_in_48k_units() -> None:
    track = MixTrack(maxsize=5)
    for i, pts in enumerate((0, 960, 1920, 5760, 6720)):  # three silent ticks sent nothing: a DTX gap
        track.feed(packet(i), pts)
    got = [await track.recv() for _ in range(5)]
    assert [p.pts for p in got] == [0, 960, 1920, 5760, 6720]
    assert all(p.time_base == fractions.Fraction(1, 48000) for p in got)
    assert [bytes(p)[0] for p in got] == [0, 1, 2, 3, 4]


async def test_full_queue_drops_oldest_without_blocking() -> None:
    track = MixTrack(maxsize=2)
    for i in range(6):
        track.feed(packet(i), 0)  # synchronous: cannot block the clock
    assert track.dropped == 4
    assert bytes(await track.recv())[0] == 4


async def test_recv_waits_for_the_clock() -> None:
    track = MixTrack()
    pending = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.01)
    assert not pending.done()
    track.feed(packet(9), 0)
    assert bytes(await asyncio.wait_for(pending, 1))[0] == 9


async def test_end_is_a_sentinel_after_queued_packets() -> None:
    track = MixTrack()
    track.feed(packet(1), 0)
    track.end()
    track.feed(packet(2), 0)  # ignored after end
    assert bytes(await track.recv())[0] == 1
    with pytest.raises(MediaStreamError):
        await track.recv()
    assert track.readyState == "ended"


async def test_stop_wakes_a_waiting_recv() -> None:
    track = MixTrack()
    pending = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0)
    track.stop()
    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(pending, 1)
