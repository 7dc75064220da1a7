"""Accounts and rooms set up through the real REST endpoints of an in-process test app,
shared by the API and live tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


class BaseApi:
    """Thin helpers over the client; every call goes through HTTP (under ``prefix``)."""

    def __init__(self, client: AppClient, prefix: str = "") -> None:
        self.client = client
        self.prefix = prefix

    async def user(self, username: str, password: str = PASSWORD) -> User:
        """Register and log in."""
        resp = await self.client.post(f"{self.prefix}/api/auth/register", json={
            "username": username, "password": password, "signup_secret": SIGNUP_SECRET})
        assert resp.status == 201, await resp.text()
        return await self.login(username, password)

    async def login(self, username: str, password: str = PASSWORD) -> User:
        """Log in an existing user (a fresh token)."""
        resp = await self.client.post(f"{self.prefix}/api/auth/login",
                                      json={"username": username, "password": password})
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        return User(body["user"]["id"], body["user"]["username"], body["access_token"])

    async def create_room(self, host: User, **fields: Any) -> dict[str, Any]:
        """Create a room as `host`; the room object."""
        resp = await self.client.post(f"{self.prefix}/api/rooms", json={"name": "lounge", **fields},
                                      headers=host.auth)
        assert resp.status == 201, await resp.text()
        room: dict[str, Any] = (await resp.json())["room"]
        return room

    async def add(self, host: User, room_id: str, username: str) -> None:
        """Host adds a member."""
        resp = await self.client.post(f"{self.prefix}/api/rooms/{room_id}/members", json={"username": username},
                                      headers=host.auth)
        assert resp.status == 201, await resp.text()
