"""One light participant for the capacity benchmark: the public protocol, a pre-encoded microphone and an
RTP-level counter of what it hears, on 127.0.0.1 only.

WebSocket: ``auth`` with the account's API key and this client's own ``device`` label, ``join``,
``move`` to its seat, ``offer`` -> ``answer`` (docs/protocol.md). Media: one aiortc
RTCPeerConnection, sendrecv, a PacketTrack up and an RtpTap down. No ICE servers, host
candidates on 127.0.0.1 only, and both descriptions are checked to hold nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from bench.opusclip import Clip
from bench.packettrack import PacketTrack
from bench.rtptap import RtpTap, install
from rtc.icegathering import GatherPolicy, IceGathering
from rtc.opussdp import STEREO_OPUS_FMTP, with_opus_fmtp

LOOPBACK = "127.0.0.1"
_CANDIDATE = re.compile(r"^a=candidate:\S+ \d+ \S+ \d+ (\S+) \d+", re.M)


@dataclass(frozen=True)
class Seat:
    """Who a client is and what it sends: its device label, where it stands, its clip and loop offset."""

    device: str
    x: float
    y: float
    clip: str
    offset: int


def loopback_only(sdp: str, what: str) -> str:
    """``sdp`` unchanged if every ICE candidate in it is on 127.0.0.1 (and there is one); else ValueError."""
    hosts = _CANDIDATE.findall(sdp)
    if not hosts or any(h != LOOPBACK for h in hosts):
        raise ValueError(f"{what} has candidates off loopback or none: {hosts}")
    return sdp


class LightClient:
    """connect() brings up signaling and media; close() is idempotent."""

    def __init__(self, seat: Seat, clip: Clip, *, ws_url: str, api_key: str, room: str, dtx: bool) -> None:
        self.seat = seat
        self.track = PacketTrack(clip, seat.offset)
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        transceiver = self.pc.addTransceiver(self.track, direction="sendrecv")
        self.tap: RtpTap = install(transceiver.receiver)
        IceGathering(GatherPolicy(addresses=(LOOPBACK,))).attach(self.pc)
        self._fmtp = {**STEREO_OPUS_FMTP, **({"usedtx": "1"} if dtx else {})}
        self._ws_url, self._api_key, self._room = ws_url, api_key, room
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._drain: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._closed = False
        self.messages = 0
        self.socket_closed = False
        self.pc.on("connectionstatechange", self._on_state)

    def _on_state(self) -> None:
        if self.pc.connectionState == "connected":
            self._connected.set()

    async def connect(self, http: aiohttp.ClientSession, timeout: float) -> None:
        """Authenticate, join, take the seat, negotiate and wait until media is connected."""
        self._ws = ws = await http.ws_connect(self._ws_url, heartbeat=None, max_msg_size=0)
        await ws.send_json({"type": "auth", "token": self._api_key, "device": self.seat.device, "id": 1})
        await self._reply(ws, "authenticated")
        await ws.send_json({"type": "join", "room": self._room, "id": 2})
        await self._reply(ws, "joined")
        await ws.send_json({"type": "move", "x": self.seat.x, "y": self.seat.y, "heading": 0})
        offer = await self.pc.createOffer()
        await self.pc.setLocalDescription(RTCSessionDescription(with_opus_fmtp(offer.sdp, self._fmtp), "offer"))
        sdp = loopback_only(self.pc.localDescription.sdp, "our offer")
        await ws.send_json({"type": "offer", "sdp": sdp, "id": 3})
        answer = await self._reply(ws, "answer")
        await self.pc.setRemoteDescription(RTCSessionDescription(loopback_only(answer["sdp"], "the answer"), "answer"))
        self._drain = asyncio.get_running_loop().create_task(self._read(ws), name="capacity-client-ws")
        await asyncio.wait_for(self._connected.wait(), timeout)

    @staticmethod
    async def _reply(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
        """The next message of type ``kind``, skipping room traffic; an ``error`` raises."""
        while True:
            msg = await ws.receive()
            if msg.type is not aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"socket closed while waiting for {kind!r} ({ws.close_code})")
            data: dict[str, Any] = msg.json()
            if data.get("type") == "error":
                raise RuntimeError(f"server refused: {data}")
            if data.get("type") == kind:
                return data

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Keep reading room traffic (a reader that falls behind gets disconnected); count it only."""
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                break
            self.messages += 1
        self.socket_closed = not self._closed

    async def close(self) -> None:
        """Hang up media and the socket."""
        if self._closed:
            return
        self._closed = True
        await self.pc.close()
        if self._ws is not None:
            await self._ws.close()
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
