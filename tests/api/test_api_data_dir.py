"""The data directory as `hubbub serve` meets it in the wild (issue 13 defect 7 and the storage
gaps): unusable ones end in one clear line and exit code 3, a second server on the same
directory is refused, corrupt or too-new databases are refused at start, files are private."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from pathlib import Path

import aiohttp
from api_support import AppClient
from process_support import HUBBUB, Server

from web.keys import STORE

DATA_DIR_EXIT = 3


async def _serve_fails(data_dir: Path | str) -> tuple[int, str]:
    """Run `hubbub serve` expecting it to stop at once; (exit code, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBBUB_")}
    proc = await asyncio.create_subprocess_exec(
        str(HUBBUB), "serve", "--port", "0", "--data-dir", str(data_dir), "--bcrypt-cost", "4",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )
    try:
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, err.decode()


def _one_clear_line(err: str, *needles: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("hubbub serve: "), lines
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


async def _stopped_database(tmp_path: Path) -> Path:
    """A data directory holding a real database with some rows, server stopped."""
    data = tmp_path / "data"
    server = await Server(data, env={"HUBBUB_SIGNUP_SECRET": "s3cret"}).start()
    try:
        async with aiohttp.ClientSession() as session:
            for n in range(30):
                await session.post(f"{server.url}/api/auth/register",
                                   json={"username": f"user{n:02d}", "password": "x" * 12, "signup_secret": "s3cret"})
        assert await server.stop() == 0
    finally:
        await server.kill()
    return data


async def test_an_unusable_data_dir_is_one_line_and_exit_3(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "hubbub.sqlite3").write_bytes(b"this is not a database" * 100)
    cases = [
        (a_file, "not a directory"),
        (a_file / "below", "not a directory"),
        ("/proc/self/hubbub-cannot-be-here", "cannot create"),
        (garbage, "not a database"),
    ]
    for data_dir, needle in cases:
        code, err = await _serve_fails(data_dir)
        assert code == DATA_DIR_EXIT, (data_dir, code, err)
        _one_clear_line(err, str(data_dir), needle)


async def test_a_corrupt_page_or_a_newer_schema_refuses_to_start(tmp_path: Path) -> None:
    data = await _stopped_database(tmp_path)
    db_path = data / "hubbub.sqlite3"
    good = db_path.read_bytes()
    with sqlite3.connect(db_path) as db:
        page_size, = db.execute("PRAGMA page_size").fetchone()
        root, = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'users'").fetchone()
    db.close()
    broken = bytearray(good)
    start = (root - 1) * page_size
    broken[start + 8:start + page_size] = os.urandom(page_size - 8)  # keep the page header, scramble its cells
    db_path.write_bytes(bytes(broken))
    code, err = await _serve_fails(data)
    assert code == DATA_DIR_EXIT, err
    _one_clear_line(err, "integrity check")

    db_path.write_bytes(good)
    with sqlite3.connect(db_path) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    code, err = await _serve_fails(data)
    assert code == DATA_DIR_EXIT, err
    _one_clear_line(err, "schema version 99", "newer")


async def test_a_second_server_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = await Server(data).start()
    try:
        code, err = await _serve_fails(data)
        assert code == DATA_DIR_EXIT, err
        _one_clear_line(err, "in use by another hubbub server", f"pid {first.proc.pid}")  # type: ignore[union-attr]
        async with aiohttp.ClientSession() as session:  # the first one is unharmed
            assert (await session.get(f"{first.url}/health")).status == 200
        assert await first.stop() == 0
    finally:
        await first.kill()
    again = await Server(data).start()  # the lock went with the first process
    await again.stop()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_data_dir_and_database_files_are_private(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    server = await Server(data, env={"HUBBUB_SIGNUP_SECRET": "s3cret"}).start()
    try:
        async with aiohttp.ClientSession() as session:
            await session.post(f"{server.url}/api/auth/register",
                               json={"username": "alice", "password": "x" * 12, "signup_secret": "s3cret"})
        assert _mode(data) == 0o700
        files = [p for p in data.iterdir() if p.name.startswith("hubbub.sqlite3")]
        assert {p.name for p in files} >= {"hubbub.sqlite3", "hubbub.sqlite3-wal", "hubbub.sqlite3-shm"}
        for path in [*files, data / "jwt_secret", data / "lock"]:
            assert _mode(path) == 0o600, path
        await server.stop()
    finally:
        await server.kill()
    # A database left readable by an older version is tightened at the next start.
    (data / "hubbub.sqlite3").chmod(0o644)
    again = await Server(data, env={"HUBBUB_SIGNUP_SECRET": "s3cret"}).start()
    try:
        assert _mode(data / "hubbub.sqlite3") == 0o600
        await again.stop()
    finally:
        await again.kill()


async def test_health_reports_a_failing_database(client: AppClient) -> None:
    resp = await client.get("/health")
    assert resp.status == 200 and (await resp.json())["database"] == "ok"
    store = client.app[STORE]  # type: ignore[index]
    await store.db._conn.close()  # the database goes away under the running server
    resp = await client.get("/health")
    body = await resp.json()
    assert resp.status == 503 and body["status"] == "unavailable" and body["database"] == "unavailable", body
