"""One participant's media session: an aiortc peer, its inbound packets and its outbound mix.

The browser (or bot) offers one sendrecv audio m-line. aiortc runs ICE, DTLS, SRTP and RTCP,
but its decoder never sees our microphone packets: a PacketTap in place of the receiver's
jitter buffer hands every Opus payload to this session's PacketBuffer, and the room's worker
job decodes them (libopus, without the GIL) once per tick. The listener's personal mix goes back
on the same transceiver through a MixTrack fed by the room clock with packets from this
session's MixEncoder (only the room's worker thread uses the buffer's decoder and the encoder).
One reader task waits on aiortc's (empty) remote track only to notice the peer hanging up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from rtc import audiojitterbuffer
from rtc.audioformat import FRAME_SAMPLES
from rtc.icegathering import IceGathering, set_media_sink
from rtc.opussdp import STEREO_OPUS_FMTP, opus_payload_types, with_opus_fmtp
from rtc.ownedtask import cancel_and_wait
from rtc.portpool import PortsExhausted

from .mediaconfig import MediaConfig
from .mediaerror import MediaError, MediaUnavailable
from .mixencoder import MixEncoder
from .mixtrack import MixTrack
from .offercheck import OfferInfo
from .packetbuffer import PacketBuffer
from .rtpin import RtpIn
from .rtpout import RtpOut
from .sessionclosed import SessionClosed

logger = logging.getLogger(__name__)

EndedCallback = Callable[["Session", SessionClosed], None]
ConnectedCallback = Callable[["Session"], None]


class Session:
    """Peer connection, inbound packet buffer and outbound track of one (room, participant)."""

    def __init__(
        self,
        room_id: str,
        participant_id: str,
        config: MediaConfig,
        gathering: IceGathering,
        *,
        on_ended: EndedCallback,
        on_connected: ConnectedCallback | None = None,
    ) -> None:
        self.room_id = room_id
        self.participant_id = participant_id
        self._loop = asyncio.get_running_loop()
        self._on_ended = on_ended
        self._on_connected = on_connected
        self._gathering = gathering
        self._config = config
        self.pc = RTCPeerConnection(config.rtc_configuration())
        self.track = MixTrack(config.outbound_queue_frames)
        self.rtp_out: RtpOut | None = None  # the direct send path, once negotiated
        self.rtp_in: RtpIn | None = None  # the direct receive path, once negotiated
        self.encoder = MixEncoder(
            config.bitrate,
            fec=config.fec,
            expected_loss_percent=config.expected_loss_percent,
            complexity=config.opus_complexity,
            application=config.opus_application,
        )
        self.buffer = PacketBuffer(max_delay=config.max_delay_frames, max_depth=config.max_added_delay_frames)
        self.client_sends_audio = False
        self.connected = False
        self.opened_at = self._loop.time()
        self._connected_at = self.opened_at  # the silent-peer clock starts at connection
        self.out_pts = 0  # RTP time (1/48000) of this tick's outbound frame: gaps stay gaps (DTX, skips)
        self.ticks_out = 0  # ticks served (a packet sent, or silence that needs none)
        self._last_tick: int | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closing = False
        self._ended_reported = False
        # a peer that never connects (no candidates, blocked UDP) is given up like an ICE failure
        self._connect_timer: asyncio.TimerHandle | None = self._loop.call_later(
            config.connect_timeout, self.report, SessionClosed.ICE_FAILED
        )
        self.pc.on("connectionstatechange", self._on_connection_state)
        self.pc.on("track", self._on_track)

    @property
    def closing(self) -> bool:
        """True once close() has started."""
        return self._closing

    async def negotiate(self, offer_sdp: str, info: OfferInfo) -> str:
        """Apply the client's offer and return our answer (Opus fmtp stereo/FEC, all candidates)."""
        self.client_sends_audio = info.client_sends_audio
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            self._gathering.attach(self.pc)  # before setLocalDescription, which gathers
            for transceiver in self.pc.getTransceivers():
                if transceiver.kind == "audio":
                    tap = audiojitterbuffer.PacketTap(self.buffer.push, self._loop.time)
                    if audiojitterbuffer.install(transceiver.receiver, tap) is None:
                        raise MediaError("this aiortc version has no receiver jitter-buffer slot to tap")
            sender = self.pc.addTrack(self.track)
            transceiver = next(t for t in self.pc.getTransceivers() if t.sender is sender)
            self.rtp_out = RtpOut(transceiver, self.track, direct=self._config.direct_send)
            answer = await self.pc.createAnswer()
            assert answer is not None
            munged = with_opus_fmtp(answer.sdp, STEREO_OPUS_FMTP)
            await self.pc.setLocalDescription(RTCSessionDescription(sdp=munged, type="answer"))
            if self._config.direct_receive:  # our host sockets hand Opus straight to the buffer
                self.rtp_in = RtpIn(transceiver.receiver, set(opus_payload_types(munged)), self.buffer.push,
                                    self._loop.time)
                set_media_sink(self.pc, self.rtp_in.handle)
        except MediaError:
            raise
        except PortsExhausted as exc:
            logger.warning("session %s/%s refused: %s", self.room_id, self.participant_id, exc)
            raise MediaUnavailable(f"{exc}: the server is full, try again later") from exc
        except Exception as exc:  # aiortc rejects bad offers with assorted exception types
            raise MediaError(f"cannot negotiate the offer: {exc!r}") from exc
        return self.pc.localDescription.sdp

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind != "audio" or self._reader is not None or self._closing:
            return
        self._reader = self._loop.create_task(
            self._read(track), name=f"hubbub-read-{self.room_id}-{self.participant_id}"
        )

    async def _read(self, track: MediaStreamTrack) -> None:
        """aiortc's decoder gets no packets, so the track yields nothing until it ends (RTCP BYE)."""
        try:
            while True:
                await track.recv()
        except MediaStreamError:
            self.report(SessionClosed.LEFT)  # the peer sent RTCP BYE or the transport closed
        except asyncio.CancelledError:
            pass

    def _on_connection_state(self) -> None:
        state = self.pc.connectionState
        self.connected = state == "connected"
        if self.connected:
            self._cancel_connect_timer()
            self._connected_at = self._loop.time()
            if self._on_connected is not None:
                self._on_connected(self)
        if state == "failed":
            self.report(SessionClosed.ICE_FAILED)
        elif state == "closed":
            self.report(SessionClosed.LEFT)

    def _cancel_connect_timer(self) -> None:
        if self._connect_timer is not None:
            self._connect_timer.cancel()
            self._connect_timer = None

    def report(self, reason: SessionClosed) -> None:
        """Tell the owner this session ended on its own (at most once, never while closing)."""
        if not self._closing and not self._ended_reported:
            self._ended_reported = True
            self._on_ended(self, reason)

    def is_silent(self, now: float, timeout: float) -> bool:
        """A client that should send audio and has sent none for ``timeout`` seconds."""
        return self.client_sends_audio and not self._closing and now - self.last_heard > timeout

    def advance_clock(self, index: int) -> None:
        """The room clock reached tick ``index``: move the outbound timestamp to it."""
        if self._last_tick is not None:
            self.out_pts += max(1, index - self._last_tick) * FRAME_SAMPLES
        self._last_tick = index
        self.ticks_out += 1

    @property
    def last_heard(self) -> float:
        """Loop time of the last packet from the peer (or of connecting, before any)."""
        arrival = self.buffer.last_arrival
        return self._connected_at if arrival is None else max(arrival, self._connected_at)

    @property
    def frames_in(self) -> int:
        """Packets received from the peer."""
        return self.buffer.received

    async def close(self) -> None:
        """Tear down the reader, the outbound track and the peer connection (idempotent)."""
        if self._closing:
            return
        self._closing = True
        self.connected = False
        self._cancel_connect_timer()
        self.track.end()
        reader, self._reader = self._reader, None
        await cancel_and_wait(reader)
        await self.pc.close()
        self.pc.remove_all_listeners()

    def stats(self, now: float) -> dict[str, object]:
        """JSON-able per-session figures (counters are monotonic; rates are computed by the room)."""
        return {
            "connection": self.pc.connectionState,
            "sends_audio": self.client_sends_audio,
            "frames_in": self.frames_in,
            "frames_out": self.track.sent + (self.rtp_out.sent if self.rtp_out is not None else 0),
            "played": self.buffer.played,
            "concealed": self.buffer.concealed,
            "recovered": self.buffer.recovered,
            "altered": self.buffer.altered,
            "silent_ticks": self.buffer.silent,
            "late": self.buffer.late,
            "dropped_in": self.buffer.shed,
            "dropped_out": self.track.dropped + (self.rtp_out.dropped if self.rtp_out is not None else 0),
            "buffer_depth": self.buffer.buffered,
            "added_delay_frames": self.buffer.depth,
            "encoded": self.encoder.encoded,
            "encode_skipped": self.encoder.skipped,
            "idle_s": round(now - self.last_heard, 3),
            "age_s": round(now - self.opened_at, 3),
        }
