"""Helpers for API tests: register and log in users through the real endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from aiohttp import web
from aiohttp.test_utils import TestClient

AppClient = TestClient[web.Request, web.Application]
SIGNUP_SECRET = "test-signup-secret"  # the same as tests/conftest.py's config fixture

PASSWORD = "correct horse battery"


@dataclass
class User:
    """A registered, logged-in user as the tests see it."""

    id: str
    username: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        """Authorization header for this user."""
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    """Thin helpers over the client; every call goes through HTTP."""

    def __init__(self, client: AppClient) -> None:
        self.client = client

    async def user(self, username: str, password: str = PASSWORD) -> User:
        """Register and log in."""
        resp = await self.client.post(
            "/api/auth/register", json={"username": username, "password": password, "signup_secret": SIGNUP_SECRET}
        )
        assert resp.status == 201, await resp.text()
        return await self.login(username, password)

    async def login(self, username: str, password: str = PASSWORD) -> User:
        """Log in an existing user."""
        resp = await self.client.post("/api/auth/login", json={"username": username, "password": password})
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        return User(body["user"]["id"], body["user"]["username"], body["access_token"])

    async def room(self, host: User, **fields: Any) -> dict[str, Any]:
        """Create a room as `host`."""
        resp = await self.client.post("/api/rooms", json={"name": "lounge", **fields}, headers=host.auth)
        assert resp.status == 201, await resp.text()
        room: dict[str, Any] = (await resp.json())["room"]
        return room

    async def add(self, host: User, room_id: str, username: str) -> None:
        """Host adds a member."""
        resp = await self.client.post(f"/api/rooms/{room_id}/members", json={"username": username}, headers=host.auth)
        assert resp.status == 201, await resp.text()


async def error_of(resp: Any) -> tuple[int, str]:
    """(status, error code) of an error response, checking the JSON error shape."""
    body = await resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return resp.status, body["error"]["code"]


@pytest.fixture
def api(client: AppClient) -> Api:
    """Helpers bound to the default client."""
    return Api(client)
