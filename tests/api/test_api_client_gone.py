"""A client that hangs up mid-request is not a server fault (issue 13, defect 8): it is counted
and logged as 499 (nginx's "client closed request"), so alerts on 5xx mean server faults."""

from __future__ import annotations

import asyncio
import logging

import pytest
from api_support import Api, AppClient

from web.keys import METRICS


async def test_a_hang_up_mid_body_is_499_not_500(client: AppClient, api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    alice = await api.user("alice")
    room = await api.room(alice)
    assert client.server.port is not None
    for path in ("/api/auth/login", f"/api/rooms/{room['id']}/messages"):
        reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
        writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {alice.token}\r\n"
                     "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"text\": \"hel".encode())
        await writer.drain()
        await asyncio.sleep(0.2)  # the handler is now waiting for the rest of the body
        writer.close()
        await writer.wait_closed()
    metrics = client.app[METRICS]  # type: ignore[index]
    for _ in range(50):
        if metrics.request_count("POST", f"/api/rooms/{{room_id}}/messages", 499):
            break
        await asyncio.sleep(0.02)
    assert metrics.request_count("POST", "/api/auth/login", 499) == 1
    assert metrics.request_count("POST", "/api/rooms/{room_id}/messages", 499) == 1
    assert metrics.request_count("POST", "/api/auth/login", 500) == 0
    assert metrics.request_count("POST", "/api/rooms/{room_id}/messages", 500) == 0
    access = [r for r in caplog.records if r.name == "hubbub.access" and r.status == 499]  # type: ignore[attr-defined]
    assert len(access) == 2
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
