"""`hubbub serve` as a real process: port 0, generated secrets, restart persistence, SIGKILL
durability mid-write, graceful SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import stat
from pathlib import Path

import aiohttp
from process_support import HUBBUB, PASSWORD, Server, register_login, signup_secret

async def test_first_start_generates_secrets_and_restart_keeps_everything(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = await Server(data).start()
    try:
        printed = "".join(server.stdout)
        secret = await signup_secret(data)
        assert f"generated signup secret (shown once): {secret}" in printed
        jwt_secret = (data / "jwt_secret").read_text().strip()
        for name in ("signup_secret", "jwt_secret"):
            assert stat.S_IMODE((data / name).stat().st_mode) == 0o600
        assert len(jwt_secret) >= 43  # 32+ random bytes
        config_line = next(line for line in server.stdout if line.startswith("hubbub configuration: "))
        shown = json.loads(config_line.split(": ", 1)[1])
        assert shown["signup_secret"] == "***" and shown["jwt_secret"] == "***" and shown["port"] == 0
        assert secret not in config_line and jwt_secret not in config_line
        async with aiohttp.ClientSession() as session:
            auth = await register_login(session, server.url, secret, "alice")
            resp = await session.post(f"{server.url}/api/rooms", json={"name": "kept"}, headers=auth)
            room_id = (await resp.json())["room"]["id"]
            await session.post(f"{server.url}/api/rooms/{room_id}/messages", json={"text": "still here"}, headers=auth)
        assert await server.stop() == 0
    finally:
        if server.proc and server.proc.returncode is None:
            server.proc.kill()
            await server.proc.wait()

    again = await Server(data).start()
    try:
        assert "generated signup secret" not in "".join(again.stdout)  # printed once only
        async with aiohttp.ClientSession() as session:
            # The old token still works: the JWT secret was kept.
            resp = await session.get(f"{again.url}/api/rooms/{room_id}/messages", headers=auth)
            assert [m["text"] for m in (await resp.json())["messages"]] == ["still here"]
            resp = await session.post(f"{again.url}/api/auth/login", json={"username": "alice", "password": PASSWORD})
            assert resp.status == 200
        assert await again.stop(signal.SIGINT) == 0
    finally:
        if again.proc and again.proc.returncode is None:
            again.proc.kill()
            await again.proc.wait()


async def test_graceful_sigterm_closes_the_database_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = await Server(data, env={"HUBBUB_SIGNUP_SECRET": "operator-secret"}).start()
    async with aiohttp.ClientSession() as session:
        auth = await register_login(session, server.url, "operator-secret", "alice")
        resp = await session.post(f"{server.url}/api/rooms", json={"name": "r"}, headers=auth)
        assert resp.status == 201
    assert (data / "hubbub.sqlite3-wal").exists()  # WAL mode while running
    assert await server.stop(signal.SIGTERM) == 0
    assert not (data / "hubbub.sqlite3-wal").exists()  # checkpointed and closed cleanly
    assert not (data / "signup_secret").exists()  # the operator's secret is not written to disk
    assert any("stopped" in line for line in server.stderr.splitlines())


async def test_sigkill_mid_write_loses_nothing_acknowledged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = await Server(data, env={"HUBBUB_SIGNUP_SECRET": "operator-secret"}).start()
    acked_messages: list[str] = []
    acked_rooms: list[str] = []
    try:
        async with aiohttp.ClientSession() as session:
            auth = await register_login(session, server.url, "operator-secret", "alice")
            await register_login(session, server.url, "operator-secret", "bob")
            resp = await session.post(f"{server.url}/api/rooms", json={"name": "chat"}, headers=auth)
            room_id = (await resp.json())["room"]["id"]
            acked_rooms.append(room_id)
            # One writer per account: REST chat is limited per user (5/s, burst 10).
            writer_auth = []
            for w in range(8):
                writer_auth.append(await register_login(session, server.url, "operator-secret", f"writer{w}"))
                await session.post(f"{server.url}/api/rooms/{room_id}/members", json={"username": f"writer{w}"},
                                   headers=auth)

            async def post_messages(worker: int) -> None:
                for n in range(10_000):
                    text = f"w{worker}-{n}"
                    try:
                        resp = await session.post(
                            f"{server.url}/api/rooms/{room_id}/messages", json={"text": text},
                            headers=writer_auth[worker],
                        )
                    except aiohttp.ClientError:
                        return
                    if resp.status == 201:
                        acked_messages.append(text)

            async def make_rooms() -> None:
                for n in range(10_000):
                    try:
                        resp = await session.post(f"{server.url}/api/rooms", json={"name": f"r{n}"}, headers=auth)
                        if resp.status != 201:
                            return
                        rid = (await resp.json())["room"]["id"]
                        acked_rooms.append(rid)
                        resp = await session.post(
                            f"{server.url}/api/rooms/{rid}/members", json={"username": "bob"}, headers=auth
                        )
                    except aiohttp.ClientError:
                        return

            writers = [asyncio.create_task(post_messages(w)) for w in range(8)] + [asyncio.create_task(make_rooms())]
            while len(acked_messages) < 100:
                await asyncio.sleep(0.01)
            assert server.proc is not None
            server.proc.kill()  # SIGKILL while writes are in flight
            await server.proc.wait()
            await asyncio.gather(*writers)
    finally:
        if server.proc and server.proc.returncode is None:
            server.proc.kill()
            await server.proc.wait()

    # Straight from the file: intact, no dangling rows, no room without its host as a member.
    with sqlite3.connect(data / "hubbub.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        orphans = db.execute(
            "SELECT count(*) FROM rooms r WHERE NOT EXISTS"
            " (SELECT 1 FROM members m WHERE m.room_id = r.id AND m.user_id = r.host_id)"
        ).fetchone()
        assert orphans == (0,)
    db.close()

    again = await Server(data, env={"HUBBUB_SIGNUP_SECRET": "operator-secret"}).start()
    try:
        async with aiohttp.ClientSession() as session:
            resp = await session.post(f"{again.url}/api/auth/login", json={"username": "alice", "password": PASSWORD})
            auth = {"Authorization": f"Bearer {(await resp.json())['access_token']}"}
            stored: list[str] = []
            cursor = None
            while True:
                query = "?limit=100" + (f"&before={cursor}" if cursor else "")
                resp = await session.get(f"{again.url}/api/rooms/{room_id}/messages{query}", headers=auth)
                body = await resp.json()
                stored += [m["text"] for m in body["messages"]]
                cursor = body["next_cursor"]
                if cursor is None:
                    break
            assert len(acked_messages) >= 100
            assert set(acked_messages) <= set(stored)
            resp = await session.get(f"{again.url}/api/rooms", headers=auth)
            listed = {r["id"] for r in (await resp.json())["rooms"]}
            assert set(acked_rooms) <= listed
        assert await again.stop() == 0
    finally:
        if again.proc and again.proc.returncode is None:
            again.proc.kill()
            await again.proc.wait()


async def test_bad_configuration_exits_with_a_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBBUB_")}
    for args, needle in (
        (["--port", "99999"], "port"),
        (["--jwt-secret", "short"], "jwt_secret"),
        (["--ice-servers", "not json"], "ice servers"),
        (["--path-prefix", "hubbub/"], "path_prefix"),
    ):
        proc = await asyncio.create_subprocess_exec(
            str(HUBBUB), "serve", "--data-dir", str(tmp_path / "d"), *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 2, (args, out, err)
        assert needle in err.decode() and "Traceback" not in err.decode()


async def test_sigterm_lets_an_in_flight_request_finish(tmp_path: Path) -> None:
    # Cost 13: a registration takes hundreds of ms, long enough to send SIGTERM mid-request.
    server = await Server(tmp_path / "data", env={"HUBBUB_SIGNUP_SECRET": "operator-secret",
                                                  "HUBBUB_BCRYPT_COST": "13"}).start()
    try:
        async with aiohttp.ClientSession() as session:
            request = asyncio.create_task(session.post(
                f"{server.url}/api/auth/register",
                json={"username": "alice", "password": PASSWORD, "signup_secret": "operator-secret"},
            ))
            await asyncio.sleep(0.1)
            assert not request.done()
            assert server.proc is not None
            server.proc.send_signal(signal.SIGTERM)
            resp = await request
            assert resp.status == 201  # answered, not cut off
            # Meanwhile the listener is closed: new connections are refused.
            await asyncio.wait_for(server.proc.wait(), 30)
            assert server.proc.returncode == 0
        with sqlite3.connect(tmp_path / "data" / "hubbub.sqlite3") as db:
            assert db.execute("SELECT username FROM users").fetchall() == [("alice",)]
        db.close()
    finally:
        if server.proc and server.proc.returncode is None:
            server.proc.kill()
            await server.proc.wait()
