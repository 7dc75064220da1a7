"""A paced outbound microphone for a bot: 20 ms frames from a ToneSource/WavSource, Opus-encoded
here (mono, 32 kbit/s, voip, in-band FEC: what a browser sends) and handed to aiortc as packets.

aiortc's sender does no pacing, so ``recv()`` waits for each frame's absolute deadline
(start + k * 20 ms on the loop clock: no drift). A bot stalled for more than
``RESYNC_AFTER`` seconds restarts its schedule instead of sending a burst. Silence is sent as
WebRTC's DTX sends it: after a few silent frames nothing but one small packet every 400 ms, the
RTP timestamp jumping over the gap (aiortc derives it from ``pts``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from rtc import libopus
from rtc.audioformat import FRAME_SAMPLES, FRAME_SECONDS, TIME_BASE

RESYNC_AFTER = 0.2
HANGOVER_FRAMES = 10  # silent frames still sent before DTX (libopus waits 10 too)
REFRESH_FRAMES = 20  # then one packet per 400 ms


class FrameSource(Protocol):
    """Anything that yields 960 mono int16 samples per call."""

    def next_frame(self) -> np.ndarray: ...


class SourceTrack(MediaStreamTrack):
    """Opus packets of a mono source at real-time pace; DTX while the source is digitally silent."""

    kind = "audio"

    def __init__(self, source: FrameSource, *, bitrate: int = 32000, dtx: bool = True) -> None:
        super().__init__()
        self.source = source
        self._encoder = libopus.Encoder(bitrate, application="voip", channels=1, fec=True, expected_loss_percent=5)
        self._dtx = dtx
        self._silent = 0  # consecutive digitally silent frames
        self.frames_sent = 0  # 20 ms frames of the timeline (sent as packets, or skipped in DTX)
        self.packets_sent = 0
        self.sent_at: deque[tuple[int, float]] = deque(maxlen=50 * 600)  # (first sample index, loop time)
        self._samples = 0
        self._start: float | None = None
        self._index = 0
        self._pts = 0

    async def recv(self) -> av.Packet:
        """Wait for the next deadline and return that frame's packet (skipping frames in DTX)."""
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            loop = asyncio.get_running_loop()
            now = loop.time()
            if self._start is None:
                self._start = now
            due = self._start + self._index * FRAME_SECONDS
            if now - due > RESYNC_AFTER:
                self._start, self._index, due = now, 0, now
            if due > now:
                await asyncio.sleep(due - now)
            self._index += 1
            samples = self.source.next_frame()
            pts = self._pts
            self._pts += FRAME_SAMPLES
            self.frames_sent += 1
            self.sent_at.append((self._samples, loop.time()))
            self._samples += FRAME_SAMPLES
            if self._skip(samples):
                continue
            packet = av.Packet(self._encoder.encode(samples))
            packet.pts = packet.dts = pts
            packet.time_base = TIME_BASE
            self.packets_sent += 1
            return packet

    def _skip(self, samples: np.ndarray) -> bool:
        """DTX: silent beyond the hangover, and not a refresh frame."""
        self._silent = 0 if samples.any() else self._silent + 1
        beyond = self._silent - HANGOVER_FRAMES
        return self._dtx and beyond > 0 and beyond % REFRESH_FRAMES != 0
