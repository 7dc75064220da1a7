"""Helpers for live tests: users and rooms through the real REST API, WebSocket clients, and a
media plane test double (tests only; the shipped server always uses sfu.MediaPlane)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from httpapi import PASSWORD, SIGNUP_SECRET, AppClient, BaseApi, User  # noqa: F401 - re-exported to the tests

from mixer import Activity  # noqa: F401 - re-exported to the tests
from web.live.hub import Hub
from web.live.keys import LIVE_HUB


class Api(BaseApi):
    """Live-test flavour: ``room`` creates a room with members and answers its id."""

    async def room(self, host: User, *members: User, **fields: Any) -> str:
        """Create a room as `host` and add `members`; returns its id."""
        room_id: str = (await self.create_room(host, **fields))["id"]
        for member in members:
            await self.add(host, room_id, member.username)
        return room_id


class WsClient:
    """One real WebSocket client with a background reader collecting every message."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, name: str = "") -> None:
        self.ws = ws
        self.name = name
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.log: list[tuple[float, dict[str, Any]]] = []
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            msg = await self.ws.receive()
            if msg.type is aiohttp.WSMsgType.TEXT:
                data = json.loads(msg.data)
                self.log.append((time.monotonic(), data))
                self.inbox.put_nowait(data)
            elif msg.type is aiohttp.WSMsgType.CLOSE:
                self.close_reason = msg.extra
            elif msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.ERROR):
                break
        self.close_code = self.ws.close_code
        self.closed.set()

    async def send(self, **body: Any) -> None:
        """Send one JSON message."""
        await self.ws.send_str(json.dumps(body))

    async def send_raw(self, text: str) -> None:
        """Send a text frame as is."""
        await self.ws.send_str(text)

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next message, whatever its type."""
        return await asyncio.wait_for(self.inbox.get(), timeout)

    async def expect(self, kind: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
        """Skip messages until one of `kind` (matching the given fields) arrives."""
        deadline = time.monotonic() + timeout
        while True:
            msg = await asyncio.wait_for(self.inbox.get(), max(0.01, deadline - time.monotonic()))
            if msg["type"] == kind and all(msg.get(k) == v for k, v in match.items()):
                return msg

    async def quiet(self, duration: float) -> list[dict[str, Any]]:
        """Everything that arrives within `duration` seconds."""
        out = []
        deadline = time.monotonic() + duration
        while (left := deadline - time.monotonic()) > 0:
            try:
                out.append(await asyncio.wait_for(self.inbox.get(), left))
            except TimeoutError:
                break
        return out

    def drain(self) -> list[dict[str, Any]]:
        """Everything received so far and not yet consumed."""
        out = []
        while not self.inbox.empty():
            out.append(self.inbox.get_nowait())
        return out

    async def wait_closed(self, timeout: float = 5.0) -> int | None:
        """Wait for the server to close; returns the close code."""
        await asyncio.wait_for(self.closed.wait(), timeout)
        return self.close_code

    async def close(self) -> None:
        """Close from the client side."""
        await self.ws.close()
        await asyncio.wait({self._reader}, timeout=5)


@dataclass
class PlaneCall:
    """One recorded call on the media plane double."""

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)


class FakePlane:
    """Media plane test double: records calls; answers offers that look like SDP."""

    def __init__(self, on_activity: Any, on_closed: Any) -> None:
        self.on_activity = on_activity
        self.on_closed = on_closed
        self.calls: list[PlaneCall] = []
        self.closed = False

    def named(self, name: str) -> list[PlaneCall]:
        """Calls of one method, in order."""
        return [c for c in self.calls if c.name == name]

    async def open_session(self, room_id: str, participant_id: str, offer_sdp: str, *, x: float, y: float,
                           heading: float, acoustics: Any = None) -> str:
        self.calls.append(PlaneCall("open_session", (room_id, participant_id, offer_sdp),
                                    {"x": x, "y": y, "heading": heading, "acoustics": acoustics}))
        if not offer_sdp.startswith("v=0"):
            raise ValueError("not an SDP offer")
        return f"v=0\r\no=answer-for-{participant_id}\r\n"

    async def add_ice_candidate(self, room_id: str, participant_id: str, candidate: str | None,
                                sdp_mid: str | None, sdp_mline_index: int | None) -> None:
        self.calls.append(PlaneCall("add_ice_candidate", (room_id, participant_id, candidate, sdp_mid,
                                                          sdp_mline_index)))

    def set_pose(self, room_id: str, participant_id: str, x: float, y: float, heading: float) -> None:
        self.calls.append(PlaneCall("set_pose", (room_id, participant_id, x, y, heading)))

    def set_muted(self, room_id: str, participant_id: str, muted: bool) -> None:
        self.calls.append(PlaneCall("set_muted", (room_id, participant_id, muted)))

    def set_preference(self, room_id: str, listener_id: str, source_id: str, *, muted: bool | None = None,
                       gain: float | None = None) -> None:
        self.calls.append(PlaneCall("set_preference", (room_id, listener_id, source_id),
                                    {"muted": muted, "gain": gain}))

    def set_acoustics(self, room_id: str, acoustics: Any) -> None:
        self.calls.append(PlaneCall("set_acoustics", (room_id, acoustics)))

    async def close_session(self, room_id: str, participant_id: str) -> None:
        self.calls.append(PlaneCall("close_session", (room_id, participant_id)))

    async def close(self) -> None:
        self.closed = True

    def stats(self) -> dict[str, Any]:
        return {"calls": len(self.calls)}


class Live:
    """A running server plus helpers to make users, rooms and connected clients."""

    def __init__(self, client: AppClient, prefix: str = "") -> None:
        self.client = client
        self.prefix = prefix
        self.api = Api(client, prefix)
        self.clients: list[WsClient] = []

    @property
    def app(self) -> web.Application:
        return self.client.app  # type: ignore[return-value]

    @property
    def hub(self) -> Hub:
        return self.app[LIVE_HUB]

    @property
    def plane(self) -> FakePlane:
        plane = self.hub.plane
        assert isinstance(plane, FakePlane)
        return plane

    async def connect(self, user: User | None = None, device: str | None = None, **ws_kwargs: Any) -> WsClient:
        """Open /ws; with a user, authenticate (as `device` if given) and wait for `authenticated`."""
        ws = await self.client.ws_connect(f"{self.prefix}/ws", **ws_kwargs)
        c = WsClient(ws, user.username if user else "anon")
        self.clients.append(c)
        if user is not None:
            hello: dict[str, Any] = {"type": "auth", "token": user.token, "id": "auth"}
            if device is not None:
                hello["device"] = device
            await c.send(**hello)
            msg = await c.next()
            assert msg["type"] == "authenticated", msg
        return c

    async def join(self, user: User, room_id: str, device: str | None = None,
                   **ws_kwargs: Any) -> tuple[WsClient, dict[str, Any]]:
        """Connect, authenticate and join; returns the client and its `joined` message."""
        c = await self.connect(user, device, **ws_kwargs)
        await c.send(type="join", room=room_id, id="j")
        joined = await c.expect("joined")
        return c, joined


MakeLive = Callable[..., Awaitable[Live]]
