"""Secrets never reach the logs; each request is one structured access line."""

from __future__ import annotations

import json
import logging

import pytest
from api_support import PASSWORD, Api, AppClient

from web.logs import JsonFormatter


async def test_secrets_never_appear_in_logs(client: AppClient, api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    alice = await api.user("alice")
    bad = await client.post("/api/auth/login", json={"username": "alice", "password": "wrong-password-xyz"})
    assert bad.status == 401
    resp = await client.post("/api/me/api-keys", json={"name": "bot"}, headers=alice.auth)
    key = (await resp.json())["key"]
    resp = await client.post("/api/auth/token", json={"api_key": key})
    exchanged = (await resp.json())["access_token"]
    await client.get("/api/me", headers={"Authorization": f"Bearer {key}"})
    await client.get("/api/me", headers={"Authorization": f"Bearer {exchanged}"})
    await client.get("/api/me", headers={"Authorization": "Bearer forged.token.value"})
    await client.post("/api/me/password", json={"old_password": PASSWORD, "new_password": "new-password-abc"},
                      headers=alice.auth)
    await client.post("/api/auth/register", json={"username": "x", "password": "p", "signup_secret": "guessed-secret"})
    logged = "\n".join(
        [caplog.text] + [JsonFormatter().format(r) for r in caplog.records]
    )
    assert "POST /api/auth/login 200" in caplog.text  # the access log really was captured
    secrets = [PASSWORD, "wrong-password-xyz", "new-password-abc", alice.token, key, key.split("_", 2)[2],
               exchanged, "test-signup-secret", "guessed-secret", "forged.token.value"]
    for secret in secrets:
        assert secret not in logged


async def test_one_structured_access_line_per_request(client: AppClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hubbub.access")
    await client.get("/health")
    records = [r for r in caplog.records if r.name == "hubbub.access"]
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert (line["method"], line["route"], line["status"]) == ("GET", "/health", 200)
    assert line["duration_ms"] >= 0 and line["level"] == "INFO"
