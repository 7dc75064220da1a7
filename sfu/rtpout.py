"""Sends a listener's Opus packets straight from the room clock, in one synchronous pass per tick.

aiortc's sender wakes one task per packet (the track's recv, encoder lookup, pack, two awaits
down to the socket). The room already holds every listener's packet after its tick job, so it
hands them here instead: header and extensions exactly as aiortc's sender writes them, SRTP by
the same session, ``sendto`` on the nominated ICE pair's socket, and the sender's counters
updated so its RTCP sender reports stay true. aiortc keeps ICE, DTLS, RTCP and SDP.

It needs a few of aiortc's private attributes (checked by :func:`available`, as the jitter-buffer
swap does). On an aiortc without them every packet goes to the fallback MixTrack (aiortc's own
sender) instead, for the stream's whole life: one path per stream keeps its sequence numbers and
timestamps continuous. A TURN-relayed pair needs nothing special: its transport's ``sendto``
wraps the datagram for the relay, as aiortc's own send does.
"""

from __future__ import annotations

import logging
import random

from aioice.ice import StunProtocol
from aiortc import RTCRtpSender, RTCRtpTransceiver, clock
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_add, uint32_add

from .mixtrack import MixTrack

logger = logging.getLogger(__name__)

_SENDER = "_RTCRtpSender__"
_SENDER_FIELDS = ("mid", "rtp_header_extensions_map", "ntp_timestamp", "rtp_timestamp", "octet_count", "packet_count")


def available(sender: RTCRtpSender) -> bool:
    """Whether this aiortc's sender has the state the direct path writes (else: aiortc's sender)."""
    return all(hasattr(sender, _SENDER + name) for name in _SENDER_FIELDS) and hasattr(sender, "_ssrc")


class RtpOut:
    """One listener's outbound RTP, written directly to its ICE pair's socket."""

    def __init__(self, transceiver: RTCRtpTransceiver, fallback: MixTrack, *, direct: bool = True) -> None:
        self._sender = transceiver.sender
        self._transceiver = transceiver
        self._fallback = fallback
        self._seq = random.randint(0, 0xFFFF)
        self._ts_origin = random.getrandbits(32)
        self._payload_type = 0
        self.direct: bool | None = None if direct and available(self._sender) else False
        if direct and self.direct is False:
            logger.warning("aiortc's RTCRtpSender lacks the fields the direct send path needs: using its sender")
        self.sent = 0
        self.dropped = 0  # packets for a listener that could not receive yet (before DTLS)

    def send(self, payload: bytes, pts: int) -> None:
        """Send one packet now (or hand it to aiortc's sender, if this stream uses that path)."""
        if self.direct is False:
            self._fallback.feed(payload, pts)
            return
        sender = self._sender
        dtls = sender.transport
        pair = dtls.transport._connection._nominated.get(1) if dtls is not None and dtls.state == "connected" \
            else None
        if pair is None:
            self.dropped += 1
            return
        if self.direct is None:
            codecs = getattr(self._transceiver, "_codecs", None) or []
            self.direct = isinstance(pair.protocol, StunProtocol) and bool(codecs)
            if not self.direct:
                self._fallback.feed(payload, pts)
                return
            self._payload_type = int(codecs[0].payloadType)
        timestamp = uint32_add(self._ts_origin, pts)
        packet = RtpPacket(payload_type=self._payload_type, marker=1, sequence_number=self._seq,
                           timestamp=timestamp, ssrc=sender._ssrc, payload=payload)
        ntp = clock.current_ntp_time()
        packet.extensions.abs_send_time = (ntp >> 14) & 0x00FFFFFF
        packet.extensions.mid = getattr(sender, _SENDER + "mid")
        data = dtls._tx_srtp.protect(packet.serialize(getattr(sender, _SENDER + "rtp_header_extensions_map")))
        pair.protocol.transport.sendto(data, pair.remote_addr)
        self._seq = uint16_add(self._seq, 1)
        setattr(sender, _SENDER + "ntp_timestamp", ntp)
        setattr(sender, _SENDER + "rtp_timestamp", timestamp)
        setattr(sender, _SENDER + "octet_count", getattr(sender, _SENDER + "octet_count") + len(payload))
        setattr(sender, _SENDER + "packet_count", getattr(sender, _SENDER + "packet_count") + 1)
        self.sent += 1
