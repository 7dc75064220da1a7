"""A load client's microphone: pre-encoded Opus packets from a Clip at real-time pace, never encoded here.

aiortc's sender packs an ``av.Packet`` that a track's ``recv()`` returns as it is (RTP timestamp
from ``pts``). Frame k of the loop is due at start + k * 20 ms (absolute deadlines: no drift).
DTX frames are skipped: the next packet goes out at its own deadline with its own ``pts``, so
the RTP timestamp jumps while sequence numbers stay contiguous, as in WebRTC. A client that fell
more than ``RESYNC_AFTER`` behind skips to now instead of sending a burst, and counts it.
"""

from __future__ import annotations

import asyncio

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from bench.opusclip import Clip
from rtc.audioformat import FRAME_SAMPLES, FRAME_SECONDS, TIME_BASE

RESYNC_AFTER = 0.2


class PacketTrack(MediaStreamTrack):
    """Loops one clip from ``offset`` (so clients are not in step); optional send-lateness log."""

    kind = "audio"

    def __init__(self, clip: Clip, offset: int = 0) -> None:
        super().__init__()
        if not any(frame is not None for frame in clip.frames):
            raise ValueError(f"clip {clip.name!r} has no packet to send")
        self.clip = clip
        self.offset = offset
        self.sent = 0
        self.skipped_frames = 0
        self.lateness: list[float] | None = None  # seconds each packet left after its deadline, while set
        self._start: float | None = None
        self._index = 0

    async def recv(self) -> av.Packet:
        """Wait for the next sent frame's deadline and return its packet."""
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        frames = self.clip.frames
        while (payload := frames[(self.offset + self._index) % len(frames)]) is None:
            self._index += 1
        due = self._start + self._index * FRAME_SECONDS
        now = loop.time()
        if now - due > RESYNC_AFTER:
            behind = int((now - due) / FRAME_SECONDS)
            self._index += behind
            self.skipped_frames += behind
            return await self.recv()
        if due > now:
            await asyncio.sleep(due - now)
        if self.lateness is not None:
            self.lateness.append(loop.time() - due)
        packet = av.Packet(payload)
        packet.pts = self._index * FRAME_SAMPLES
        packet.time_base = TIME_BASE
        self._index += 1
        self.sent += 1
        return packet
