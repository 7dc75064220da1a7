"""The outbound track of one listener: hands the room clock's Opus packets to aiortc's sender.

Modelled on aiortc's ``AudioStreamTrack``: ``recv()`` awaits a small bounded queue that the
room clock fills (``feed`` never blocks: a full queue drops its oldest packet) and ends on a
sentinel. Each packet carries its ``pts`` in 1/48000 units from the room clock (aiortc derives
the RTP timestamp from it), so ticks with nothing to send (a silent mix) leave a timestamp gap
with consecutive sequence numbers: DTX, as receivers expect it. aiortc does no pacing, so the
clock's 20 ms ticks are the pacing.
"""

from __future__ import annotations

import asyncio
from collections import deque

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from rtc.audioformat import TIME_BASE


class MixTrack(MediaStreamTrack):
    """Pre-encoded personal mix for one listener."""

    kind = "audio"

    def __init__(self, maxsize: int = 3) -> None:
        super().__init__()
        self._packets: deque[av.Packet | None] = deque()
        self._maxsize = maxsize
        self._wakeup: asyncio.Event = asyncio.Event()
        self._ended = False
        self.fed = 0
        self.sent = 0
        self.dropped = 0

    def feed(self, payload: bytes, pts: int) -> None:
        """Queue one Opus packet for the sender (from the room clock; never blocks)."""
        if self._ended:
            return
        packet = av.Packet(payload)
        packet.pts = packet.dts = pts
        packet.time_base = TIME_BASE
        if len(self._packets) >= self._maxsize:
            self._packets.popleft()
            self.dropped += 1
        self._packets.append(packet)
        self.fed += 1
        self._wakeup.set()

    def end(self) -> None:
        """Let the sender drain and then stop: recv() raises MediaStreamError after this."""
        if not self._ended:
            self._ended = True
            self._packets.append(None)
            self._wakeup.set()

    async def recv(self) -> av.Packet:
        """Next packet; MediaStreamError once ended."""
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            if self._packets:
                packet = self._packets.popleft()
                if packet is None:
                    self.stop()
                    raise MediaStreamError
                self.sent += 1
                return packet
            self._wakeup.clear()
            await self._wakeup.wait()

    def stop(self) -> None:
        """Stop the track and wake a pending recv() (aiortc calls this when the sender ends)."""
        self._ended = True
        self._wakeup.set()
        super().stop()
