"""A headless participant over the public protocol: WebSocket signaling (docs/protocol.md) plus
the aiortc peer of ``BotPeer``. The CLI, the end-to-end tests and load runs all drive this class,
so it is also the executable proof that the protocol page is complete."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from rtc.iceservers import IceServer

from .botpeer import BotPeer
from .sourcetrack import FrameSource

log = logging.getLogger(__name__)


class ProtocolError(RuntimeError):
    """The server answered a request with an ``error`` message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass
class Member:
    """What the bot knows of one participant in its room."""

    id: str
    username: str
    x: float
    y: float
    heading: float
    muted: bool = False
    level: float = -127.0
    speaking: bool = False


@dataclass
class BotOptions:
    """How one bot behaves; ``server`` is the http(s) base URL (with any path prefix)."""

    server: str
    room: str
    credential: str  # API key or access token
    name: str | None = None  # device label: several bots of one account each get their own session
    source: FrameSource | None = None
    at: tuple[float, float] | None = None
    heading: float = 0.0
    wander: bool = False
    record: Path | None = None
    keep_samples: bool = False
    connect_timeout: float = 20.0
    seed: int | None = None
    ice_addresses: tuple[str, ...] | None = None  # local addresses to gather on (None: every interface)
    relay_only: bool = False  # only TURN relay candidates, as a browser behind a strict firewall


def ws_url(server: str) -> str:
    """``http://host:port/prefix`` -> ``ws://host:port/prefix/ws``."""
    base = server.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base[len("https://"):] + "/ws"
    if base.startswith("http://"):
        return "ws://" + base[len("http://"):] + "/ws"
    if base.startswith(("ws://", "wss://")):
        return base if base.endswith("/ws") else base + "/ws"
    raise ValueError(f"server URL must start with http:// or https://, got {server!r}")


@dataclass
class _Pending:
    future: asyncio.Future[dict[str, Any]]
    expect: str


class Bot:
    """One participant: authenticate, join, offer audio, move, record; ``close()`` is idempotent."""

    def __init__(self, options: BotOptions, *, session: aiohttp.ClientSession | None = None) -> None:
        self.options = options
        self._own_session = session is None
        self._session = session
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._wanderer: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._closed = False
        self.peer: BotPeer | None = None
        self.user_id = ""
        self.username = ""
        self.room: dict[str, Any] = {}
        self.members: dict[str, Member] = {}
        self.chat: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.media_closed: list[str] = []
        self.close_code: int | None = None
        self.position: tuple[float, float, float] = (0.0, 0.0, options.heading)
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self._rng = random.Random(options.seed)

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, authenticate, join, place, and bring up media (raises on any refusal)."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(ws_url(self.options.server), heartbeat=20.0, max_msg_size=1 << 20)
        self._reader = asyncio.get_running_loop().create_task(self._read(), name="bot-ws-reader")
        hello: dict[str, Any] = {"type": "auth", "token": self.options.credential}
        if self.options.name is not None:
            hello["device"] = self.options.name
        auth = await self.request(hello, "authenticated")
        self.username = str(auth["user"]["username"])
        joined = await self.request({"type": "join", "room": self.options.room}, "joined")
        self.room = joined["room"]
        self.user_id = str(joined["you"])  # this session's participant id
        self.members = {m["id"]: _member(m) for m in joined["members"]}
        me = self.members[self.user_id]
        self.position = (me.x, me.y, me.heading)
        if self.options.at is not None:
            await self.move(self.options.at[0], self.options.at[1], self.options.heading)
        ice = tuple(IceServer.from_json(s) for s in joined.get("ice_servers", []))
        self.peer = BotPeer(self.options.source, ice_servers=ice, ice_addresses=self.options.ice_addresses,
                            relay_only=self.options.relay_only, record_path=self.options.record,
                            keep_samples=self.options.keep_samples)
        await self.connect_media()
        if self.options.wander:
            self._wanderer = asyncio.get_running_loop().create_task(self._wander(), name="bot-wander")

    async def connect_media(self) -> None:
        """Offer/answer over the socket, then wait for ICE + DTLS."""
        assert self.peer is not None
        offer = await self.peer.create_offer()
        answer = await self.request({"type": "offer", "sdp": offer}, "answer")
        await self.peer.accept_answer(answer["sdp"])
        await self.peer.wait_until_connected(self.options.connect_timeout)

    async def close(self) -> None:
        """Leave the room, hang up and close the socket."""
        if self._closed:
            return
        self._closed = True
        if self._wanderer is not None:
            self._wanderer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._wanderer
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.request({"type": "leave"}, "left"), 2.0)
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self.peer is not None:
            await self.peer.close()
        if self._own_session and self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> Bot:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- requests ------------------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        """Send one protocol message without waiting for a reply."""
        if self._ws is None or self._ws.closed:
            raise ConnectionError("socket closed")
        await self._ws.send_json(message)

    async def request(self, message: dict[str, Any], expect: str, timeout: float = 15.0) -> dict[str, Any]:
        """Send with a fresh ``id`` and wait for the reply of type ``expect`` (or its ``error``)."""
        rid = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[rid] = _Pending(future, expect)
        try:
            await self.send({**message, "id": rid})
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(rid, None)

    async def move(self, x: float, y: float, heading: float | None = None) -> None:
        """Stand at (x, y) facing ``heading`` degrees (kept if None)."""
        h = self.position[2] if heading is None else heading
        self.position = (x, y, h)
        await self.send({"type": "move", "x": x, "y": y, "heading": h})

    async def say(self, text: str) -> None:
        """Post a chat message to the room."""
        await self.send({"type": "chat", "text": text})

    async def mute(self, muted: bool) -> None:
        """Mute or unmute this bot's microphone for everybody."""
        await self.send({"type": "mute", "muted": muted})

    async def mix(self, user: str, *, muted: bool | None = None, volume: float | None = None) -> None:
        """Change how loud ``user`` is in this bot's own mix."""
        msg: dict[str, Any] = {"type": "mix", "user": user}
        if muted is not None:
            msg["muted"] = muted
        if volume is not None:
            msg["volume"] = volume
        await self.send(msg)

    # --- incoming ------------------------------------------------------------------------

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for msg in self._ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    try:
                        data = msg.json()
                    except ValueError:
                        log.warning("bot got a non-JSON frame")
                        continue
                    self._dispatch(data)
                elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    break
        finally:
            self.close_code = self._ws.close_code
            for pending in self._pending.values():
                if not pending.future.done():
                    pending.future.set_exception(ConnectionError(f"socket closed ({self.close_code})"))

    def _dispatch(self, data: dict[str, Any]) -> None:
        kind = data.get("type")
        rid = data.get("id")
        pending = self._pending.get(rid) if isinstance(rid, int) else None
        if pending is not None and not pending.future.done():
            if kind == "error":
                pending.future.set_exception(ProtocolError(str(data.get("code")), str(data.get("message"))))
            elif kind == pending.expect:
                pending.future.set_result(data)
        if kind == "error":
            self.errors.append(data)
        elif kind == "member_joined":
            member = _member(data["member"])
            self.members[member.id] = member
        elif kind == "member_left":
            self.members.pop(str(data["user"]), None)
        elif kind == "member_muted":
            if (m := self.members.get(str(data["user"]))) is not None:
                m.muted = bool(data["muted"])
        elif kind == "positions":
            for p in data["positions"]:
                if (m := self.members.get(str(p["id"]))) is not None:
                    m.x, m.y, m.heading = float(p["x"]), float(p["y"]), float(p["heading"])
        elif kind == "speaking":
            for lv in data["levels"]:
                if (m := self.members.get(str(lv["id"]))) is not None:
                    m.level, m.speaking = float(lv["level"]), bool(lv["speaking"])
        elif kind == "chat":
            self.chat.append(data["message"])
        elif kind == "media_closed":
            self.media_closed.append(str(data.get("reason")))
        for listener in list(self.listeners):
            listener(data)

    async def _wander(self) -> None:
        """A slow random walk inside the floor, 10 moves a second."""
        width, height = float(self.room["width"]), float(self.room["height"])
        x, y, heading = self.position
        while True:
            heading = (heading + self._rng.uniform(-20, 20)) % 360
            step = 0.1  # metres per move: 1 m/s, a walking pace
            nx = x + step * math.sin(math.radians(heading))
            ny = y + step * math.cos(math.radians(heading))
            if not (0 <= nx <= width and 0 <= ny <= height):
                heading = (heading + 180) % 360
                nx, ny = x, y
            x, y = nx, ny
            await self.move(round(x, 3), round(y, 3), round(heading, 1))
            await asyncio.sleep(0.1)

    def summary(self) -> dict[str, Any]:
        """Frames sent/received, gaps and protocol errors, for the exit report."""
        media = self.peer.summary() if self.peer is not None else {}
        return {**media, "errors": len(self.errors)}


def _member(data: dict[str, Any]) -> Member:
    return Member(id=str(data["id"]), username=str(data["username"]), x=float(data["x"]), y=float(data["y"]),
                  heading=float(data["heading"]), muted=bool(data.get("muted", False)))
