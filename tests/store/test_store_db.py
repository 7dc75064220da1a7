"""The database layer on a real SQLite file: pragmas, numbered migrations, atomic transactions."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from store import Store
from store.db import Database, migrations
from store.errors import AlreadyMember, DatabaseUnusable, RoomLimitExceeded, RoomNotFound, UsernameTaken, UserNotFound


async def test_wal_foreign_keys_and_migrations_applied(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    try:
        assert (await store.db.fetchone("PRAGMA journal_mode"))[0] == "wal"  # type: ignore[index]
        assert await store.db.scalar("PRAGMA foreign_keys") == 1
        assert await store.db.scalar("PRAGMA user_version") == len(migrations()) >= 1
    finally:
        await store.close()


async def test_reopening_does_not_reapply_migrations(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = await Store.open(path)
    user = await store.users.create("alice", "hash")
    await store.close()
    store = await Store.open(path)
    try:
        assert (await store.users.get(user.id)).username == "alice"
        assert await store.db.scalar("PRAGMA user_version") == len(migrations())
    finally:
        await store.close()


def test_migrations_are_numbered_without_gaps() -> None:
    found = migrations()
    assert [n for n, _, _ in found] == list(range(1, len(found) + 1))
    assert all(name.startswith(f"{n:04d}_") for n, name, _ in found)


async def test_failed_migration_leaves_the_schema_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "db.sqlite3"
    await (await Store.open(path)).close()  # schema at version N
    good = migrations()
    broken = [*good, (len(good) + 1, "9999_broken.sql", "CREATE TABLE half (x INTEGER); SELECT * FROM nowhere;")]
    monkeypatch.setattr("store.db.migrations", lambda: broken)
    with pytest.raises(DatabaseUnusable, match="no such table: nowhere"):
        await Database.open(path)
    monkeypatch.undo()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (len(good),)
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchall() == []
    db.close()


async def test_transaction_rolls_back_every_step_on_error(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    try:
        with pytest.raises(RuntimeError):
            async with store.db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO users (id, username, password_hash, created_at) VALUES ('u1', 'ghost', 'h', 0)"
                )
                raise RuntimeError("crash between two steps")
        assert await store.users.find_by_username("ghost") is None
        # A room whose host does not exist fails on the foreign key: no room, no membership.
        with pytest.raises(sqlite3.IntegrityError):
            await store.rooms.create("nobody", "r", "", 20, 20, 50, daily_limit=20)
        assert await store.rooms.count() == 0
        assert await store.db.scalar("SELECT count(*) FROM members") == 0
        assert await store.db.scalar("SELECT count(*) FROM room_creations") == 0
    finally:
        await store.close()


async def test_concurrent_transactions_do_not_interleave(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    try:
        host = await store.users.create("host", "h")
        rooms = await asyncio.gather(
            *(store.rooms.create(host.id, f"r{i}", "", 20, 20, 50, daily_limit=1000) for i in range(50))
        )
        assert len({r.id for r in rooms}) == 50
        assert await store.db.scalar("SELECT count(*) FROM members") == 50
    finally:
        await store.close()


async def test_close_is_safe_twice(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    await store.close()
    await store.close()


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    s = await Store.open(tmp_path / "db.sqlite3")
    yield s  # type: ignore[misc]
    await s.close()


async def test_username_unique_ignoring_case(store: Store) -> None:
    await store.users.create("Alice", "h")
    with pytest.raises(UsernameTaken):
        await store.users.create("aLiCe", "h")
    assert (await store.users.get_by_username("ALICE")).username == "Alice"
    with pytest.raises(UserNotFound):
        await store.users.get_by_username("bob")


async def test_set_password_bumps_token_version(store: Store) -> None:
    user = await store.users.create("alice", "h1")
    updated = await store.users.set_password(user.id, "h2")
    assert (updated.password_hash, updated.token_version) == ("h2", user.token_version + 1)


async def test_membership_rules_and_hand_over(store: Store) -> None:
    a, b, c = [await store.users.create(n, "h") for n in ("a", "b", "c")]
    room = await store.rooms.create(a.id, "r", "", 10, 5, 8, daily_limit=5)
    got = await store.rooms.get(room.id)
    assert (got.width, got.height, got.max_participants, got.host_id) == (10.0, 5.0, 8, a.id)
    await store.rooms.add_member(room.id, "c", a.id)
    await store.rooms.add_member(room.id, "B", a.id)
    with pytest.raises(AlreadyMember):
        await store.rooms.add_member(room.id, "b", a.id)
    assert await store.rooms.is_member(room.id, b.id)
    assert [m.username for m in await store.rooms.list_members(room.id)] == ["a", "c", "b"]
    departure = await store.rooms.remove_member(room.id, a.id)
    assert departure.new_host_id == c.id and not departure.room_deleted  # c joined before b
    with pytest.raises(RoomNotFound):
        await store.rooms.remove_member(room.id, a.id)
    with pytest.raises(RoomNotFound):
        await store.rooms.get_for_member(room.id, a.id)
    # Deleting the host's account hands over too.
    assert await store.users.delete(c.id) == [room.id]
    assert (await store.rooms.get(room.id)).host_id == b.id
    departure = await store.rooms.remove_member(room.id, b.id)
    assert departure.room_deleted
    with pytest.raises(RoomNotFound):
        await store.rooms.get(room.id)


async def test_daily_limit_counts_the_last_24_hours(store: Store) -> None:
    a = await store.users.create("a", "h")
    for i in range(2):
        await store.rooms.create(a.id, f"r{i}", "", 20, 20, 50, daily_limit=2)
    with pytest.raises(RoomLimitExceeded):
        await store.rooms.create(a.id, "r3", "", 20, 20, 50, daily_limit=2)
    async with store.db.transaction() as conn:  # age the creations by a day
        await conn.execute("UPDATE room_creations SET created_at = created_at - 86400001")
    await store.rooms.create(a.id, "r3", "", 20, 20, 50, daily_limit=2)


async def test_chat_post_checks_membership_and_history_pages(store: Store) -> None:
    a, b = await store.users.create("a", "h"), await store.users.create("b", "h")
    room = await store.rooms.create(a.id, "r", "", 20, 20, 50, daily_limit=5)
    with pytest.raises(RoomNotFound):
        await store.chat.post(room.id, b.id, "not a member")
    posted = [await store.chat.post(room.id, a.id, f"m{i}") for i in range(5)]
    assert posted[0].to_json()["author"] == {"id": a.id, "username": "a"}
    page = await store.chat.history(room.id, limit=2)
    assert [m.text for m in page.items] == ["m4", "m3"] and page.next_cursor == str(posted[3].id)
    page = await store.chat.history(room.id, before=page.next_cursor, limit=10)
    assert [m.text for m in page.items] == ["m2", "m1", "m0"] and page.next_cursor is None
    # Deleting the author keeps the message, without an author.
    await store.users.delete(a.id)
