"""A paced outbound microphone for a bot: 20 ms frames from a ToneSource/WavSource.

aiortc's sender does no pacing, so ``recv()`` waits for each frame's absolute deadline
(start + k * 20 ms on the loop clock: no drift). A bot stalled for more than
``RESYNC_AFTER`` seconds restarts its schedule instead of sending a burst.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from rtc.audioformat import FRAME_SAMPLES, FRAME_SECONDS, SAMPLE_RATE, TIME_BASE

RESYNC_AFTER = 0.2


class FrameSource(Protocol):
    """Anything that yields 960 mono int16 samples per call."""

    def next_frame(self) -> np.ndarray: ...


class SourceTrack(MediaStreamTrack):
    """Mono s16 48 kHz frames at real-time pace with consecutive pts."""

    kind = "audio"

    def __init__(self, source: FrameSource) -> None:
        super().__init__()
        self.source = source
        self.frames_sent = 0
        self.sent_at: deque[tuple[int, float]] = deque(maxlen=50 * 600)  # (first sample index, loop time)
        self._samples = 0
        self._start: float | None = None
        self._index = 0
        self._pts = 0

    async def recv(self) -> av.AudioFrame:
        """Wait for the next deadline and return that frame."""
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
        frame = av.AudioFrame.from_ndarray(self.source.next_frame().reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.time_base = TIME_BASE
        frame.pts = self._pts
        self._pts += FRAME_SAMPLES
        self.frames_sent += 1
        self.sent_at.append((self._samples, loop.time()))
        self._samples += FRAME_SAMPLES
        return frame
