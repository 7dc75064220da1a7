"""Fixtures: the real app (real SQLite file, real auth) with live settings for tests, served on
localhost, and real WebSocket clients against it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from live_support import Api, AppClient, FakePlane, User, WsClient

from web.app import create_app
from web.config import Config, IceServer
from web.live.hub import Hub
from web.live.keys import LIVE_HUB, LIVE_SETTINGS
from web.live.settings import LiveSettings

ICE = (IceServer(("stun:stun.example.org:3478",)), IceServer(("turn:turn.example.org",), "u", "p"))


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


@pytest.fixture
async def make_live(config: Config, aiohttp_client: Any) -> Any:
    """Start the real app with LiveSettings overridden by keyword and the plane test double."""
    made: list[Live] = []

    async def make(config_overrides: dict[str, Any] | None = None, **overrides: Any) -> Live:
        app = await create_app(replace(config, **{"ice_servers": ICE, **(config_overrides or {})}))
        base = LiveSettings(auth_timeout=1.0, close_timeout=1.0)
        app[LIVE_SETTINGS] = replace(base, **{"media_factory": FakePlane, **overrides})
        live = Live(await aiohttp_client(app), (config_overrides or {}).get("path_prefix", ""))
        made.append(live)
        return live

    yield make
    for live in made:
        for c in live.clients:
            if not c.ws.closed:
                await c.close()


@pytest.fixture
async def live(make_live: MakeLive) -> Live:
    """Default test server."""
    return await make_live()


async def raw_ws(live: Live, **kwargs: Any) -> aiohttp.ClientWebSocketResponse:
    """A bare client socket (no background reader)."""
    return await live.client.ws_connect("/ws", **kwargs)
