"""Hands each inbound Opus RTP packet to aiortc's decoder at once (replaces aiortc's audio buffer).

aiortc's receiver builds ``JitterBuffer(capacity=16, prefetch=4)`` for audio: a packet is only
released once four later frames have arrived (+80 ms on every voice), and one lost packet
stalls the stream until the ring overflows (16 packets, 320 ms) after which it stays ~280 ms
behind for good (it releases at most one frame per arriving packet). For Opus every RTP packet is
a whole frame, so nothing needs reassembling: this buffer releases packets in arrival order,
drops duplicates and late (reordered) ones, and the media plane's own bounded SourceBuffer
does the de-jittering and concealment. :func:`install` swaps it into one receiver
(aiortc has no public hook, so it sets the receiver's private ``__jitter_buffer``; a newer
aiortc without that attribute is detected and left alone, with a warning).
"""

from __future__ import annotations

import logging

from aiortc import RTCRtpReceiver
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_add

logger = logging.getLogger(__name__)

_ATTRIBUTE = "_RTCRtpReceiver__jitter_buffer"
RESYNC_AFTER = 50  # consecutive "late" packets mean the sender restarted its sequence numbers


class AudioJitterBuffer:
    """The part of aiortc's JitterBuffer interface the receiver uses, without prefetch."""

    capacity = 16

    def __init__(self) -> None:
        self._last: int | None = None
        self._late_run = 0
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
        self._last = seq
        self.passed += 1
        return False, JitterFrame(data=packet._data, timestamp=packet.timestamp)  # type: ignore[attr-defined]


def install(receiver: RTCRtpReceiver) -> AudioJitterBuffer | None:
    """Put an AudioJitterBuffer into an audio receiver before media flows; None if impossible."""
    if not hasattr(receiver, _ATTRIBUTE):
        logger.warning("aiortc's RTCRtpReceiver has no %s: keeping its prefetching jitter buffer", _ATTRIBUTE)
        return None
    buffer = AudioJitterBuffer()
    setattr(receiver, _ATTRIBUTE, buffer)
    return buffer
