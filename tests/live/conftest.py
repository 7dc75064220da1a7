"""Fixtures: the real app (real SQLite file, real auth) with live settings for tests, served on
localhost, and real WebSocket clients against it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from live_support import FakePlane, Live, MakeLive

from web.app import create_app
from web.config import Config, IceServer
from web.live.keys import LIVE_SETTINGS
from web.live.settings import LiveSettings

ICE = (IceServer(("stun:stun.example.org:3478",)), IceServer(("turn:turn.example.org",), "u", "p"))


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
