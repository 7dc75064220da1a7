"""Counts what a load client receives at the RTP level, in place of aiortc's audio jitter buffer.

A capacity client must not spend its CPU decoding the server's mix (that would make the load
generator the bottleneck). aiortc's receiver hands each depacketised RTP packet to its jitter
buffer's ``add``; this tap records (sequence number, RTP timestamp, arrival time) and returns
nothing, so the decoder thread never wakes. Swapped in the way rtc.audiojitterbuffer is (aiortc
has no public hook: the receiver's private ``__jitter_buffer``), and refused loudly without it.
"""

from __future__ import annotations

import time

from aiortc import RTCRtpReceiver
from aiortc.rtp import RtpPacket

from bench.framecount import Arrival

_ATTRIBUTE = "_RTCRtpReceiver__jitter_buffer"


class RtpTap:
    """The jitter-buffer interface aiortc's receiver calls, keeping only the arrival log."""

    capacity = 16

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        """Record the packet; no frame for the decoder, no picture-loss request."""
        self.arrivals.append((packet.sequence_number, packet.timestamp, time.monotonic()))
        return False, None


def install(receiver: RTCRtpReceiver) -> RtpTap:
    """Put a tap into an audio receiver before media flows (RuntimeError on an aiortc without the hook)."""
    if not hasattr(receiver, _ATTRIBUTE):
        raise RuntimeError(f"aiortc's RTCRtpReceiver has no {_ATTRIBUTE}: cannot count packets without decoding")
    tap = RtpTap()
    setattr(receiver, _ATTRIBUTE, tap)
    return tap
