"""Replacements for aiortc's audio jitter buffer: hand each inbound Opus RTP packet to aiortc's
decoder at once (AudioJitterBuffer, the bots), or to our own code instead of aiortc's decoder
(PacketTap, the server: it decodes in the room's worker job).

aiortc's receiver builds ``JitterBuffer(capacity=16, prefetch=4)`` for audio: a packet is only
released once four later frames have arrived (+80 ms on every voice), and one lost packet
stalls the stream until the ring overflows (16 packets, 320 ms) after which it stays ~280 ms
behind for good (it releases at most one frame per arriving packet). For Opus every RTP packet is
a whole frame, so nothing needs reassembling: this buffer releases packets in arrival order,
drops duplicates and late (reordered) ones, notes where the sender paused (DTX) and the bot's
recorder counts what is missing. :func:`install` swaps a buffer into one receiver (aiortc has
no public hook, so it sets the receiver's private ``__jitter_buffer``; a newer aiortc without
that attribute is detected and left alone, with a warning).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from aiortc import RTCRtpReceiver
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_add

from .audioformat import FRAME_SAMPLES

logger = logging.getLogger(__name__)

_ATTRIBUTE = "_RTCRtpReceiver__jitter_buffer"
RESYNC_AFTER = 50  # consecutive "late" packets mean the sender restarted its sequence numbers


class AudioJitterBuffer:
    """The part of aiortc's JitterBuffer interface the receiver uses, without prefetch."""

    capacity = 16

    def __init__(self) -> None:
        self._last: int | None = None
        self._late_run = 0
        self._origin: int | None = None  # first timestamp: pts are measured from it, as aiortc maps them
        self._last_ts = 0
        self._dtx_resumes: deque[int] = deque(maxlen=1000)  # pts where a stream resumed after DTX
        self.passed = 0
        self.late = 0

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        """Return the packet as a frame unless it is a duplicate or older than the last one."""
        seq = packet.sequence_number
        if self._last is not None:
            ahead = uint16_add(seq, -self._last)
            if ahead == 0 or ahead >= 0x8000:
                self.late += 1
                self._late_run += 1
                if self._late_run < RESYNC_AFTER:
                    return False, None
        self._late_run = 0
        contiguous = self._last is not None and uint16_add(seq, -self._last) == 1
        self._last = seq
        self.passed += 1
        self._note_dtx(packet.timestamp, contiguous)
        return False, JitterFrame(data=packet._data, timestamp=packet.timestamp)  # type: ignore[attr-defined]

    def _note_dtx(self, timestamp: int, contiguous: bool) -> None:
        """The next sequence number with a timestamp jump: the sender was silent (DTX), nothing was lost."""
        if self._origin is None:
            self._origin = timestamp
        elif timestamp < self._last_ts:
            self._origin -= 1 << 32
        if contiguous and timestamp - self._last_ts > FRAME_SAMPLES:
            self._dtx_resumes.append(timestamp - self._origin)
        self._last_ts = timestamp

    def resumed_after_dtx(self, pts: int) -> bool:
        """Whether the frame at ``pts`` (aiortc's mapping: RTP time since the first packet) follows a DTX gap."""
        return pts in self._dtx_resumes


PacketSink = Callable[[int, int, bytes, float], None]  # (sequence number, RTP timestamp, payload, arrival)


class PacketTap:
    """Gives every packet to ``sink`` with its arrival time and nothing to aiortc's decoder thread,
    which then idles: no per-packet queue hand-off, no decode on aiortc's side."""

    capacity = 16

    def __init__(self, sink: PacketSink, clock: Callable[[], float] = time.monotonic) -> None:
        self._sink = sink
        self._clock = clock

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        """Pass the packet on; aiortc gets no frame to decode."""
        self._sink(packet.sequence_number, packet.timestamp, packet.payload, self._clock())
        return False, None


class JitterBufferLike(Protocol):
    """What aiortc's receiver calls on its jitter buffer."""

    capacity: int

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]: ...


def install(receiver: RTCRtpReceiver, buffer: JitterBufferLike | None = None) -> JitterBufferLike | None:
    """Put ``buffer`` (default: a new AudioJitterBuffer) into an audio receiver before media flows;
    None if this aiortc has no such slot (then its own buffer stays, with a warning)."""
    if not hasattr(receiver, _ATTRIBUTE):
        logger.warning("aiortc's RTCRtpReceiver has no %s: keeping its prefetching jitter buffer", _ATTRIBUTE)
        return None
    if buffer is None:
        buffer = AudioJitterBuffer()
    setattr(receiver, _ATTRIBUTE, buffer)
    return buffer
