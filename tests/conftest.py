"""Shared fixtures: a test Config on a temporary data directory and a real app on localhost, and
the check that every WebRTC description a test peer receives stays on loopback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from aiortc import RTCPeerConnection, RTCSessionDescription
from loopback import assert_loopback_only

from web.app import create_app
from web.config import Config

SIGNUP_SECRET = "test-signup-secret"


@pytest.fixture(autouse=True)
def _loopback_only_descriptions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every offer or answer an in-process peer (bot or server plane) is handed must carry
    loopback candidates only: the check that fails if a test would send media off 127.0.0.1."""
    original = RTCPeerConnection.setRemoteDescription

    async def checked(pc: RTCPeerConnection, description: RTCSessionDescription) -> None:
        assert_loopback_only(description.sdp, f"the remote {description.type}")
        await original(pc, description)

    monkeypatch.setattr(RTCPeerConnection, "setRemoteDescription", checked)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """Small bcrypt cost and generous rate limits so the suite stays fast; a real SQLite file."""
    return Config(
        port=0,
        data_dir=tmp_path / "data",
        signup_secret=SIGNUP_SECRET,
        jwt_secret="test-jwt-secret-" + "x" * 48,
        bcrypt_cost=4,
        login_rate_per_ip=1000,
        login_rate_per_username=1000,
        ice_addresses=("127.0.0.1",),  # media on loopback only, like every test peer
    )


AppClient = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[AppClient]]


@pytest.fixture
async def make_client(config: Config, aiohttp_client: Any) -> MakeClient:
    """Start the real app (with `config` fields overridden by keyword) behind a test server."""

    async def make(**overrides: Any) -> AppClient:
        app = await create_app(replace(config, **overrides))
        client: AppClient = await aiohttp_client(app)
        return client

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> AppClient:
    """The app with the default test config."""
    return await make_client()


SLOW_DIRS = ("browser", "e2e", "network")  # real browsers, real server processes with real media, coturn


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the browser and end-to-end tests `slow`, so `./dev test -m "not slow"` is a quick loop."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and item.path.relative_to(here).parts[0] in SLOW_DIRS:
            item.add_marker(pytest.mark.slow)
