"""Room settings in the store: acoustics overrides (migration 0002), `RoomRepo.update` merges in one transaction."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from store import Store
from store.db import migrations
from store.errors import RoomChanged, RoomNotFound
from store.rooms import merge_patch


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "db.sqlite3")
    yield s
    await s.close()


def make_0001_database(path: Path) -> None:
    """A database as a server from before migration 0002 left it: schema 0001, one user, one room."""
    number, name, sql = migrations()[0]
    assert (number, name) == (1, "0001_initial.sql")
    db = sqlite3.connect(path)
    try:
        db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = 1;\nCOMMIT;")
        db.execute("INSERT INTO users (id, username, password_hash, created_at) VALUES ('u1', 'old', 'h', 1000)")
        db.execute(
            "INSERT INTO rooms (id, name, description, width, height, max_participants, host_id, created_at)"
            " VALUES ('r1', 'Old room', 'from 0001', 30, 15, 12, 'u1', 2000)"
        )
        db.execute("INSERT INTO members (room_id, user_id, joined_at) VALUES ('r1', 'u1', 2000)")
        db.commit()
    finally:
        db.close()


async def test_upgrading_a_0001_database_keeps_rooms_with_default_acoustics(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    make_0001_database(path)
    store = await Store.open(path)
    try:
        assert await store.db.scalar("PRAGMA user_version") == len(migrations()) >= 2
        room = await store.rooms.get_for_member("r1", "u1")
        assert (room.name, room.description, room.width, room.height, room.max_participants, room.host_id) == (
            "Old room", "from 0001", 30.0, 15.0, 12, "u1"
        )
        assert room.acoustics == {}
        updated = await store.rooms.update("r1", acoustics={"rolloff": 2.5})
        assert updated.acoustics == {"rolloff": 2.5}
        # New rooms work beside the upgraded one.
        fresh = await store.rooms.create("u1", "new", "", 20, 20, 50, daily_limit=5)
        assert [r.id for r in await store.rooms.list_for_user("u1")] == ["r1", fresh.id]
    finally:
        await store.close()


async def test_the_column_only_holds_json_objects(store: Store) -> None:
    host = await store.users.create("host", "h")
    room = await store.rooms.create(host.id, "r", "", 20, 20, 50, daily_limit=5)
    for bad in ("not json", "[1, 2]", "3"):
        with pytest.raises(sqlite3.IntegrityError):
            async with store.db.transaction() as conn:
                await conn.execute("UPDATE rooms SET acoustics = ? WHERE id = ?", (bad, room.id))
    assert (await store.rooms.get(room.id)).acoustics == {}


async def test_create_stores_acoustics_and_they_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = await Store.open(path)
    host = await store.users.create("host", "h")
    chosen = {"distance_model": "linear", "max_distance": 40.0, "audible_radius": 30.0}
    room = await store.rooms.create(host.id, "r", "", 20, 20, 50, daily_limit=5, acoustics=chosen)
    plain = await store.rooms.create(host.id, "plain", "", 20, 20, 50, daily_limit=5)
    assert room.acoustics == chosen and plain.acoustics == {}
    await store.close()
    store = await Store.open(path)
    try:
        assert (await store.rooms.get(room.id)).acoustics == chosen
        assert (await store.rooms.get(plain.id)).acoustics == {}
        assert [r.acoustics for r in await store.rooms.list_for_user(host.id)] == [chosen, {}]
    finally:
        await store.close()


async def test_update_changes_only_what_is_given(store: Store) -> None:
    host = await store.users.create("host", "h")
    room = await store.rooms.create(host.id, "r", "desc", 10, 5, 8, daily_limit=5, acoustics={"rolloff": 2.0})
    updated = await store.rooms.update(room.id, name="renamed")
    assert (updated.name, updated.description, updated.max_participants, updated.acoustics) == (
        "renamed", "desc", 8, {"rolloff": 2.0}
    )
    updated = await store.rooms.update(room.id, description="", max_participants=3)
    assert (updated.name, updated.description, updated.max_participants) == ("renamed", "", 3)
    # Width, height, host and creation time never move.
    assert (updated.width, updated.height, updated.host_id, updated.created_at) == (10.0, 5.0, host.id, room.created_at)
    assert await store.rooms.get(room.id) == updated
    # Nothing to change: the room as it is.
    assert await store.rooms.update(room.id) == updated


async def test_update_merges_acoustics_and_none_resets_a_field(store: Store) -> None:
    host = await store.users.create("host", "h")
    room = await store.rooms.create(host.id, "r", "", 20, 20, 50, daily_limit=5,
                                    acoustics={"rolloff": 2.0, "ref_distance": 1.0})
    updated = await store.rooms.update(room.id, acoustics={"audible_radius": 12.0, "ref_distance": None})
    assert updated.acoustics == {"rolloff": 2.0, "audible_radius": 12.0}
    assert (await store.rooms.get(room.id)).acoustics == {"rolloff": 2.0, "audible_radius": 12.0}


def test_merge_patch() -> None:
    assert merge_patch({}, {}) == {}
    assert merge_patch({"a": 1, "b": 2}, {"b": 3, "c": 4}) == {"a": 1, "b": 3, "c": 4}
    assert merge_patch({"a": 1, "b": 2}, {"a": None, "z": None}) == {"b": 2}


async def test_a_change_checked_against_stale_acoustics_writes_nothing(store: Store) -> None:
    host = await store.users.create("host", "h")
    room = await store.rooms.create(host.id, "r", "", 20, 20, 50, daily_limit=5, acoustics={"max_distance": 10.0})
    with pytest.raises(RoomChanged):  # the caller merged onto {} and checked that: not what is stored
        await store.rooms.update(room.id, name="renamed", acoustics={"ref_distance": 5.0}, expect_acoustics={})
    again = await store.rooms.get(room.id)
    assert (again.name, again.acoustics) == ("r", {"max_distance": 10.0})
    ok = await store.rooms.update(room.id, acoustics={"ref_distance": 5.0}, expect_acoustics={"max_distance": 10.0})
    assert ok.acoustics == {"max_distance": 10.0, "ref_distance": 5.0}


async def test_update_of_a_missing_room(store: Store) -> None:
    with pytest.raises(RoomNotFound):
        await store.rooms.update("ffffffffffffffff", name="x")


async def test_concurrent_updates_of_different_fields_both_survive(store: Store) -> None:
    host = await store.users.create("host", "h")
    room = await store.rooms.create(host.id, "r", "", 20, 20, 50, daily_limit=5)
    fields = {"ref_distance": 1.5, "max_distance": 30.0, "rolloff": 0.5, "audible_radius": 20.0}
    await asyncio.gather(*(store.rooms.update(room.id, acoustics={k: v}) for k, v in fields.items()),
                         store.rooms.update(room.id, name="busy"))
    final = await store.rooms.get(room.id)
    assert final.acoustics == fields and final.name == "busy"
