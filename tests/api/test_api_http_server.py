"""The HTTP server under the app, as a real `hubbub serve` process: what aiohttp answers on its
own is JSON that echoes nothing and logs no credential (issue 13 defect 6 and the aiohttp-level
400s gap); idle, slowloris and slow-body connections are closed (the timeouts gap); a client
hanging up is a 499 (defect 8, the production path); nothing secret reaches the log at DEBUG."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from process_support import PASSWORD, Server, register_login
from rawhttp import parse_response, raw_request, request_bytes

SECRET = "operator-secret"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    server = await Server(tmp_path / "data", "--log-level", "DEBUG", "--idle-timeout", "1", "--body-timeout", "1",
                          env={"HUBBUB_SIGNUP_SECRET": SECRET}).start()
    yield server
    await server.kill()


async def _api_key(server: Server) -> tuple[dict[str, str], str]:
    async with aiohttp.ClientSession() as session:
        auth = await register_login(session, server.url, SECRET, "alice")
        resp = await session.post(f"{server.url}/api/me/api-keys", json={"name": "bot"}, headers=auth)
        return auth, (await resp.json())["key"]


def _assert_json_error(resp: object, status: int, code: str, *secrets: str) -> None:
    body = resp.body  # type: ignore[attr-defined]
    assert resp.status == status and resp.headers["content-type"].startswith("application/json"), body  # type: ignore[attr-defined]
    error = resp.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == code and set(error) == {"code", "message"}
    for secret in secrets:
        assert secret.encode() not in body


async def test_over_long_and_malformed_requests_are_json_and_no_credential_is_logged(server: Server) -> None:
    auth, key = await _api_key(server)
    token = auth["Authorization"].split()[1]
    secret_part = key.split("_", 2)[2]
    cases = [
        request_bytes("GET", "/api/me", [("Authorization", f"Bearer {key}" + "A" * 9000)]),
        request_bytes("GET", "/api/me", [("Authorization", f"Bearer {token}"), ("X-Pad", "p" * 9000)]),
        request_bytes("GET", "/api/me?token=" + token + "x" * 9000, []),
        request_bytes("GET", "/api/me", [("Authorization", f"Bearer {key}"), ("X-Nul", b"a\x00b")]),
        request_bytes("G(T", "/api/me", [("Authorization", f"Bearer {key}")]),
        b"GET /api/me HTTP/1.1\r\nAuthorization Bearer " + key.encode() + b"\r\n\r\n",  # no colon
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + key.encode() + b"\r\n\r\n",  # TLS on the HTTP port
    ]
    for data in cases:
        resp = await raw_request("127.0.0.1", server.port, data)
        _assert_json_error(resp, 400, "bad_request", key, secret_part, token, "AAAAAAAA", "Bearer")
    await asyncio.sleep(0.3)
    log = server.log_text()
    assert "refused a malformed request" in log  # the log saw them, by kind only
    for secret in (key, secret_part, token, PASSWORD):
        assert secret not in log
    assert "Traceback" not in log


async def test_idle_slowloris_and_slow_body_connections_are_closed(server: Server) -> None:
    auth, _ = await _api_key(server)

    async def closed_after(writer: asyncio.StreamWriter, reader: asyncio.StreamReader, drip: bytes) -> tuple[float, bytes]:
        start = time.monotonic()
        got = b""
        while time.monotonic() - start < 10:
            if drip:
                try:
                    writer.write(drip)
                    await writer.drain()
                except ConnectionError:
                    break
            try:
                chunk = await asyncio.wait_for(reader.read(4096), 0.3)
            except TimeoutError:
                continue
            except ConnectionError:
                break
            if not chunk:
                break
            got += chunk
        elapsed = time.monotonic() - start
        writer.close()
        return elapsed, got

    # idle: connected, never a byte
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    elapsed, _ = await closed_after(writer, reader, b"")
    assert elapsed < 3, elapsed
    # slowloris: headers that never end, one byte at a time
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /api/me HTTP/1.1\r\nHost: x\r\n")
    elapsed, _ = await closed_after(writer, reader, b"X")
    assert elapsed < 3, elapsed
    # slow body: headers at once, then the body a byte at a time -> 408 and closed
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(f"POST /api/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: {auth['Authorization']}\r\n"
                 "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{".encode())
    elapsed, got = await closed_after(writer, reader, b" ")
    assert elapsed < 9, elapsed  # 1 s body deadline + at most 5 s draining the rest
    assert parse_response(got).status == 408 and b'"request_timeout"' in got
    # ... and a well-behaved client is still served
    async with aiohttp.ClientSession() as session:
        assert (await session.get(f"{server.url}/api/me", headers=auth)).status == 200


async def test_a_hang_up_mid_body_is_499_in_metrics_and_log(server: Server) -> None:
    auth, _ = await _api_key(server)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(f"POST /api/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: {auth['Authorization']}\r\n"
                 "Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"na".encode())
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.close()
    await asyncio.sleep(0.3)
    async with aiohttp.ClientSession() as session:
        metrics = await (await session.get(f"{server.url}/metrics")).text()
    assert 'hubbub_http_requests_total{method="POST",route="/api/rooms",status="499"} 1' in metrics
    assert 'status="500"' not in metrics
    log = server.log_text()
    assert '"status": 499' in log and '"level": "ERROR"' not in log


async def test_no_secret_reaches_the_log_even_at_debug(server: Server) -> None:
    auth, key = await _api_key(server)
    async with aiohttp.ClientSession() as session:
        resp = await session.post(f"{server.url}/api/auth/token", json={"api_key": key})
        exchanged = (await resp.json())["access_token"]
        await session.post(f"{server.url}/api/me/password", headers=auth,
                           json={"old_password": PASSWORD, "new_password": "a brand new password"})
    with sqlite3.connect(server.data_dir / "hubbub.sqlite3") as db:
        password_hash, = db.execute("SELECT password_hash FROM users").fetchone()
        key_hash, = db.execute("SELECT secret_hash FROM api_keys").fetchone()
    db.close()
    log = server.log_text()
    assert '"level": "DEBUG"' in log  # DEBUG really is on
    for secret in (PASSWORD, "a brand new password", key, key.split("_", 2)[2], exchanged,
                   auth["Authorization"].split()[1], SECRET, password_hash, key_hash):
        assert secret not in log, secret[:12]
