"""The media half of a headless participant: one aiortc peer that offers stereo Opus, sends a
tone or a looped WAV as its microphone, and records the personal mix it gets back.

Signaling is not here: the caller moves ``create_offer()`` to the server and the answer back
to ``accept_answer()`` (the ``hubbub bot`` CLI over the WebSocket protocol, or the media plane
directly in tests). aiortc gathers all candidates before returning the offer, so trickle ICE
is optional for a bot.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcconfiguration import RTCIceTransportPolicy

from rtc import audiojitterbuffer, audiolevel, turncredentials
from rtc.hostaddresses import resolve_addresses
from rtc.icegathering import GatherPolicy, IceGathering, gathering_errors
from rtc.iceservers import IceServer
from rtc.opussdp import STEREO_OPUS_FMTP, with_opus_fmtp

from .recorder import Recorder
from .sourcetrack import FrameSource, SourceTrack


class BotPeer:
    """One bot's RTCPeerConnection, microphone track and recorder."""

    def __init__(
        self,
        source: FrameSource | None,
        *,
        ice_servers: Sequence[IceServer] = (),
        ice_addresses: Sequence[str] | None = None,
        relay_only: bool = False,
        record_path: str | Path | None = None,
        keep_samples: bool = False,
    ) -> None:
        audiolevel.install()
        self.ice_servers = tuple(ice_servers)
        self.relay_only = relay_only
        policy = RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[s.to_rtc() for s in ice_servers], iceTransportPolicy=policy)
        )
        addresses = resolve_addresses(ice_addresses) if ice_addresses is not None else None
        self.track = SourceTrack(source) if source is not None else None
        self.recorder = Recorder(record_path, keep=keep_samples)
        self._connected = asyncio.Event()
        self._failed = asyncio.Event()
        self._closed = False
        self.transceiver = self.pc.addTransceiver(
            self.track if self.track is not None else "audio", direction="sendrecv" if self.track else "recvonly"
        )
        jitter = audiojitterbuffer.install(self.transceiver.receiver)  # no +80 ms prefetch on what we hear
        if isinstance(jitter, audiojitterbuffer.AudioJitterBuffer):
            self.recorder.resumed_after_dtx = jitter.resumed_after_dtx  # the server's DTX is not loss
        IceGathering(GatherPolicy(addresses=addresses)).attach(self.pc)
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_state)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self.recorder.start(track)

    def _on_state(self) -> None:
        state = self.pc.connectionState
        if state == "connected":
            self._connected.set()
        elif state in ("failed", "closed"):
            self._failed.set()

    @property
    def connection_state(self) -> str:
        """aiortc's connectionState."""
        return self.pc.connectionState

    async def create_offer(self) -> str:
        """Our offer SDP with stereo/FEC Opus parameters and all candidates.

        ConnectionError (saying why) when there is no candidate at all, e.g. relay-only and the
        TURN server refused the credentials: such an offer could never connect."""
        offer = await self.pc.createOffer()
        # Ask the server for stereo (Chromium, too, only decodes stereo when its own offer says so).
        await self.pc.setLocalDescription(
            RTCSessionDescription(sdp=with_opus_fmtp(offer.sdp, STEREO_OPUS_FMTP), type="offer")
        )
        sdp = self.pc.localDescription.sdp
        if "a=candidate:" not in sdp:
            raise ConnectionError(f"no ICE candidate: {self.failure_reason()}")
        return sdp

    def failure_reason(self) -> str:
        """Best explanation of why this peer cannot connect (expired TURN credential first)."""
        now = time.time()
        reasons = []
        for server in self.ice_servers:
            expiry = turncredentials.expiry_of(server.username or "")
            if expiry is not None and expiry <= now and any(u.startswith("turn") for u in server.urls):
                reasons.append(f"the TURN credential expired {now - expiry:.0f} s ago (rejoin for a fresh one)")
        reasons += gathering_errors(self.pc)
        if self.relay_only and not any(u.startswith("turn") for s in self.ice_servers for u in s.urls):
            reasons.append("relay only, but the server handed out no TURN server")
        return "; ".join(reasons) or f"ICE {self.pc.iceConnectionState}, connection {self.pc.connectionState}"

    async def accept_answer(self, answer_sdp: str) -> None:
        """Apply the server's answer; ICE and DTLS then start."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))

    async def wait_until_connected(self, timeout: float = 10.0) -> None:
        """Return once connected; ConnectionError if it failed, TimeoutError after ``timeout``."""
        connected = asyncio.ensure_future(self._connected.wait())
        failed = asyncio.ensure_future(self._failed.wait())
        try:
            done, _ = await asyncio.wait({connected, failed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            connected.cancel()
            failed.cancel()
            await asyncio.gather(connected, failed, return_exceptions=True)
        if self._connected.is_set():
            return
        if self._failed.is_set():
            raise ConnectionError(f"peer connection {self.pc.connectionState}: {self.failure_reason()}")
        raise TimeoutError(f"not connected after {timeout} s: {self.failure_reason()}")

    def set_sending(self, sending: bool) -> None:
        """Stop or resume sending microphone audio (no RTP at all while stopped)."""
        self.transceiver.sender.replaceTrack(self.track if sending else None)

    async def close(self) -> None:
        """Hang up (sends RTCP BYE) and close the recording (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self.pc.close()
        await self.recorder.stop()
        self.pc.remove_all_listeners()

    def summary(self) -> dict[str, int]:
        """Frames sent/received and receive gaps, for the bot's exit report."""
        sent = self.track.frames_sent if self.track is not None else 0
        return {"frames_sent": sent, **self.recorder.summary()}
