"""One participant's media session: an aiortc peer, its inbound reader and its outbound mix.

The browser (or bot) offers one sendrecv audio m-line. Its microphone is decoded by aiortc
(on aiortc's decoder thread) into a RemoteStreamTrack whose queue is unbounded, so one owned
reader task drains it continuously into a bounded SourceBuffer. The listener's personal mix
goes back on the same transceiver through a MixTrack fed by the room clock with packets from
this session's OpusEncoder (the encoder is only ever used by the room's worker thread).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import av
import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from rtc import audiojitterbuffer
from rtc.audioformat import FRAME_VALUES
from rtc.icegathering import IceGathering
from rtc.opussdp import STEREO_OPUS_FMTP, with_opus_fmtp
from rtc.ownedtask import cancel_and_wait
from rtc.portpool import PortsExhausted

from .mediaconfig import MediaConfig
from .mediaerror import MediaError, MediaUnavailable
from .mixtrack import MixTrack
from .offercheck import OfferInfo
from .opusencoder import OpusEncoder
from .sessionclosed import SessionClosed
from .sourcebuffer import SourceBuffer

logger = logging.getLogger(__name__)

EndedCallback = Callable[["Session", SessionClosed], None]
ConnectedCallback = Callable[["Session"], None]


class Session:
    """Peer connection + reader task + outbound track of one (room, participant)."""

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
        self.pc = RTCPeerConnection(config.rtc_configuration())
        self.track = MixTrack(config.outbound_queue_frames)
        self.encoder = OpusEncoder(
            config.bitrate,
            fec=config.fec,
            expected_loss_percent=config.expected_loss_percent,
            complexity=config.opus_complexity,
            application=config.opus_application,
        )
        self.buffer = SourceBuffer(prefetch=config.prefetch_frames, max_frames=config.max_buffer_frames)
        self.client_sends_audio = False
        self.connected = False
        self.opened_at = self._loop.time()
        self.last_frame_at = self.opened_at
        self.frames_in = 0
        self.bad_frames = 0
        self._pending: np.ndarray | None = None  # leftover samples when packets are not 20 ms
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
                    audiojitterbuffer.install(transceiver.receiver)
            self.pc.addTrack(self.track)
            answer = await self.pc.createAnswer()
            assert answer is not None
            munged = with_opus_fmtp(answer.sdp, STEREO_OPUS_FMTP)
            await self.pc.setLocalDescription(RTCSessionDescription(sdp=munged, type="answer"))
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
        """Drain aiortc's unbounded decoded-frame queue into the bounded SourceBuffer."""
        try:
            while True:
                frame = await track.recv()
                self.last_frame_at = self._loop.time()
                self.frames_in += 1
                self._accept(frame)
        except MediaStreamError:
            self.report(SessionClosed.LEFT)  # the peer sent RTCP BYE or the transport closed
        except asyncio.CancelledError:
            pass

    def _accept(self, frame: object) -> None:
        if not isinstance(frame, av.AudioFrame) or frame.format.name != "s16" or frame.layout.name != "stereo":
            self.bad_frames += 1  # aiortc's Opus decoder always yields s16 stereo 48 kHz
            return
        # a view of the decoded plane (1 us; to_ndarray() copies through vstack, 15 us)
        values = np.frombuffer(memoryview(frame.planes[0]), dtype=np.int16, count=frame.samples * 2)
        if values.size == FRAME_VALUES and self._pending is None:
            self.buffer.push(values)
            return
        # 10/40/60 ms packets: re-chunk into 20 ms frames
        values = values if self._pending is None else np.concatenate([self._pending, values])
        while values.size >= FRAME_VALUES:
            self.buffer.push(values[:FRAME_VALUES])
            values = values[FRAME_VALUES:]
        self._pending = values if values.size else None

    def _on_connection_state(self) -> None:
        state = self.pc.connectionState
        self.connected = state == "connected"
        if self.connected:
            self._cancel_connect_timer()
            self.last_frame_at = self._loop.time()  # the silence clock starts at connection
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
        return self.client_sends_audio and not self._closing and now - self.last_frame_at > timeout

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
            "frames_out": self.track.sent,
            "played": self.buffer.played,
            "concealed": self.buffer.concealed,
            "dropped_in": self.buffer.dropped + self.buffer.trimmed,
            "dropped_out": self.track.dropped,
            "buffer_depth": self.buffer.depth,
            "idle_s": round(now - self.last_frame_at, 3),
            "age_s": round(now - self.opened_at, 3),
        }
