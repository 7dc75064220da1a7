"""Helpers for live tests: users and rooms through the real REST API, WebSocket clients, and a
media plane test double (tests only; the shipped server always uses sfu.MediaPlane)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient

AppClient = TestClient[web.Request, web.Application]
SIGNUP_SECRET = "test-signup-secret"  # tests/conftest.py's config
PASSWORD = "correct horse battery"


@dataclass
class User:
    """A registered, logged-in user."""

    id: str
    username: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        """Authorization header."""
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    """Accounts and rooms through HTTP, as a client would set them up."""

    def __init__(self, client: AppClient, prefix: str = "") -> None:
        self.client = client
        self.prefix = prefix

    async def user(self, username: str) -> User:
        """Register and log in."""
        resp = await self.client.post(f"{self.prefix}/api/auth/register", json={
            "username": username, "password": PASSWORD, "signup_secret": SIGNUP_SECRET})
        assert resp.status == 201, await resp.text()
        return await self.login(username)

    async def login(self, username: str, password: str = PASSWORD) -> User:
        """Log in (a fresh token)."""
        resp = await self.client.post(f"{self.prefix}/api/auth/login",
                                      json={"username": username, "password": password})
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        return User(body["user"]["id"], body["user"]["username"], body["access_token"])

    async def room(self, host: User, *members: User, **fields: Any) -> str:
        """Create a room as `host` and add `members`; returns its id."""
        resp = await self.client.post(f"{self.prefix}/api/rooms", json={"name": "lounge", **fields}, headers=host.auth)
        assert resp.status == 201, await resp.text()
        room_id: str = (await resp.json())["room"]["id"]
        for member in members:
            resp = await self.client.post(f"{self.prefix}/api/rooms/{room_id}/members",
                                          json={"username": member.username},
                                          headers=host.auth)
            assert resp.status == 201, await resp.text()
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


@dataclass(frozen=True)
class Activity:
    """Shape of mixer.Activity as the plane reports it."""

    level_dbov: float
    speaking: bool
