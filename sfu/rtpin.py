"""A participant's inbound Opus packets, from the socket to its PacketBuffer in one synchronous step.

aiortc takes every datagram through aioice's STUN parse (which fails, with an exception), a queue
and a task switch to the DTLS transport's reader, a full RTP parse with header extensions, and
the receiver's coroutine (bandwidth estimator, statistics, depayloading) before our tap sees it.
Here the host socket's protocol hands SRTP straight to :meth:`RtpIn.handle`: SRTP unprotect by the
same session, the fixed RTP header read with ``struct``, the receiver's RTCP statistics updated
(so its receiver reports stay true) and the payload pushed to the buffer. RTCP, DTLS and STUN
keep aiortc's path; anything unexpected is declined and goes that way too.

It reads a few private attributes of aiortc (checked once; without them every packet takes
aiortc's path, with a warning), like the jitter-buffer swap.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass

import pylibsrtp
from aiortc import RTCRtpReceiver
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import is_rtcp

logger = logging.getLogger(__name__)

_STREAMS = "_RTCRtpReceiver__remote_streams"
_HEADER = struct.Struct("!BBHII")
PacketSink = Callable[[int, int, bytes, float], None]


@dataclass(slots=True)
class _Header:
    """What aiortc's StreamStatistics reads of a packet."""

    sequence_number: int
    timestamp: int


class RtpIn:
    """SRTP datagrams of one receiver's Opus stream -> ``sink(seq, timestamp, payload, arrival)``."""

    def __init__(self, receiver: RTCRtpReceiver, payload_types: set[int], sink: PacketSink,
                 clock: Callable[[], float]) -> None:
        self._receiver = receiver
        self._payload_types = payload_types
        self._sink = sink
        self._clock = clock
        self._streams: dict[int, StreamStatistics] | None = getattr(receiver, _STREAMS, None)
        if self._streams is None:
            logger.warning("aiortc's RTCRtpReceiver has no %s: inbound RTP keeps aiortc's path", _STREAMS)
        self.handled = 0
        self.declined = 0
        self.dropped = 0  # failed SRTP authentication, foreign payload types, malformed headers

    def handle(self, data: bytes) -> bool:
        """Take one datagram (True) or leave it to aiortc (False)."""
        dtls = self._receiver.transport
        srtp = getattr(dtls, "_rx_srtp", None)
        if self._streams is None or srtp is None or dtls.state != "connected" or is_rtcp(data):
            self.declined += 1
            return False
        try:
            plain = srtp.unprotect(data)
            first, second, seq, timestamp, ssrc = _HEADER.unpack_from(plain)
        except (pylibsrtp.Error, struct.error):
            self.dropped += 1
            return True
        offset = 12 + 4 * (first & 0x0F)
        if first & 0x10:  # header extension: 4-byte header, then `length` 32-bit words
            if len(plain) < offset + 4:
                self.dropped += 1
                return True
            offset += 4 + 4 * int.from_bytes(plain[offset + 2:offset + 4], "big")
        end = len(plain) - (plain[-1] if first & 0x20 and len(plain) > offset else 0)
        if (second & 0x7F) not in self._payload_types or end <= offset:
            self.dropped += 1
            return True
        stream = self._streams.get(ssrc)
        if stream is None:
            stream = self._streams[ssrc] = StreamStatistics(48000)
        stream.add(_Header(seq, timestamp))  # type: ignore[arg-type]
        self._sink(seq, timestamp, plain[offset:end], self._clock())
        self.handled += 1
        return True
