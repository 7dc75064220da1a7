"""Rooms and memberships: creation with a daily quota, hand-over of hosting, empty rooms deleted."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import aiosqlite

from store.db import Database
from store.errors import AlreadyMember, RoomChanged, RoomLimitExceeded, RoomNotFound, UserNotFound
from store.models import Member, Room, new_id, now_ms

_COLUMNS = (
    "r.id, r.name, r.description, r.width, r.height, r.max_participants, r.host_id, r.created_at, r.acoustics"
)
DAY_MS = 24 * 3600 * 1000


def _room(row: aiosqlite.Row) -> Room:
    return Room(
        row[0], row[1], row[2], float(row[3]), float(row[4]), int(row[5]), row[6], int(row[7]), json.loads(row[8])
    )


def merge_patch(current: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """`current` with `patch` applied as a JSON Merge Patch (RFC 7386, one level): a value
    replaces, None removes the key (back to the default)."""
    merged = {**current, **patch}
    return {k: v for k, v in merged.items() if v is not None}


@dataclass(frozen=True)
class Departure:
    """What a member leaving did to the room: who hosts it now, or whether it was deleted."""

    room_id: str
    user_id: str
    new_host_id: str | None
    room_deleted: bool


async def leave_in_txn(conn: aiosqlite.Connection, room_id: str, user_id: str) -> Departure:
    """Remove one membership inside the caller's transaction, passing hosting to the
    longest-standing member and deleting the room when nobody is left."""
    cur = await conn.execute("DELETE FROM members WHERE room_id = ? AND user_id = ?", (room_id, user_id))
    if cur.rowcount != 1:
        raise RoomNotFound("no such room")
    cur = await conn.execute("SELECT host_id FROM rooms WHERE id = ?", (room_id,))
    row = await cur.fetchone()
    if row is None:
        raise RoomNotFound("no such room")
    if row[0] != user_id:
        return Departure(room_id, user_id, None, False)
    cur = await conn.execute("SELECT user_id FROM members WHERE room_id = ? ORDER BY seq LIMIT 1", (room_id,))
    successor = await cur.fetchone()
    if successor is None:
        await conn.execute("DELETE FROM rooms WHERE id = ?", (room_id,))
        return Departure(room_id, user_id, None, True)
    await conn.execute("UPDATE rooms SET host_id = ? WHERE id = ?", (successor[0], room_id))
    return Departure(room_id, user_id, successor[0], False)


class RoomRepo:
    """Rooms, their members and the host role."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        host_id: str,
        name: str,
        description: str,
        width: float,
        height: float,
        max_participants: int,
        daily_limit: int,
        acoustics: Mapping[str, Any] | None = None,
    ) -> Room:
        """Create a room with its creator as host and first member, within the daily quota.
        `acoustics`: the mixer settings that differ from the defaults (checked by the caller)."""
        now = now_ms()
        overrides = merge_patch({}, acoustics or {})
        room = Room(new_id(), name, description, width, height, max_participants, host_id, now, overrides)
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                "SELECT count(*), min(created_at) FROM room_creations WHERE user_id = ? AND created_at > ?",
                (host_id, now - DAY_MS),
            )
            row = await cur.fetchone()
            if row is not None and int(row[0]) >= daily_limit:
                retry_after = (int(row[1]) + DAY_MS - now) / 1000
                raise RoomLimitExceeded(f"at most {daily_limit} rooms may be created per day", retry_after)
            await conn.execute(
                "INSERT INTO rooms"
                " (id, name, description, width, height, max_participants, host_id, created_at, acoustics)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (room.id, name, description, width, height, max_participants, host_id, now, json.dumps(overrides)),
            )
            await conn.execute(
                "INSERT INTO members (room_id, user_id, joined_at) VALUES (?, ?, ?)", (room.id, host_id, now)
            )
            await conn.execute("INSERT INTO room_creations (user_id, created_at) VALUES (?, ?)", (host_id, now))
        return room

    async def update(
        self,
        room_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        max_participants: int | None = None,
        acoustics: Mapping[str, Any] | None = None,
        expect_acoustics: Mapping[str, Any] | None = None,
    ) -> Room:
        """Change the given settings (None = keep) in one transaction and return the new room.

        `acoustics` is merged into the stored overrides (see `merge_patch`) inside the transaction,
        so two concurrent changes of different fields both survive. A caller that checked the
        merged result against the overrides it read passes those as `expect_acoustics`: if the
        stored ones differ by now, RoomChanged and nothing is written (merge onto the new ones
        and check again). Width and height are fixed at creation.
        """
        async with self._db.transaction() as conn:
            cur = await conn.execute(f"SELECT {_COLUMNS} FROM rooms r WHERE r.id = ?", (room_id,))
            row = await cur.fetchone()
            if row is None:
                raise RoomNotFound("no such room")
            room = _room(row)
            if expect_acoustics is not None and dict(room.acoustics) != dict(expect_acoustics):
                raise RoomChanged("the room's acoustics changed meanwhile")
            changes: dict[str, Any] = {}
            if name is not None:
                changes["name"] = name
            if description is not None:
                changes["description"] = description
            if max_participants is not None:
                changes["max_participants"] = max_participants
            if acoustics is not None:
                changes["acoustics"] = merge_patch(room.acoustics, acoustics)
            if not changes:
                return room
            columns = {k: json.dumps(v) if k == "acoustics" else v for k, v in changes.items()}
            # Column names come from the fixed keys above, never from the caller.
            assignments = ", ".join(f"{column} = ?" for column in columns)
            await conn.execute(f"UPDATE rooms SET {assignments} WHERE id = ?", (*columns.values(), room_id))
        return replace(room, **changes)

    async def get(self, room_id: str) -> Room:
        """The room (no access check: use get_for_member for anything a user asked for)."""
        row = await self._db.fetchone(f"SELECT {_COLUMNS} FROM rooms r WHERE r.id = ?", (room_id,))
        if row is None:
            raise RoomNotFound("no such room")
        return _room(row)

    async def get_for_member(self, room_id: str, user_id: str) -> Room:
        """The room if `user_id` is a member; RoomNotFound otherwise (same answer as no room)."""
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM rooms r JOIN members m ON m.room_id = r.id WHERE r.id = ? AND m.user_id = ?",
            (room_id, user_id),
        )
        if row is None:
            raise RoomNotFound("no such room")
        return _room(row)

    async def is_member(self, room_id: str, user_id: str) -> bool:
        """Whether the user currently belongs to the room."""
        row = await self._db.fetchone(
            "SELECT 1 FROM members WHERE room_id = ? AND user_id = ?", (room_id, user_id)
        )
        return row is not None

    async def list_for_user(self, user_id: str) -> list[Room]:
        """The rooms a user belongs to, oldest membership first."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM rooms r JOIN members m ON m.room_id = r.id WHERE m.user_id = ? ORDER BY m.seq",
            (user_id,),
        )
        return [_room(r) for r in rows]

    async def list_members(self, room_id: str) -> list[Member]:
        """Members in order of joining (the first is the longest-standing)."""
        rows = await self._db.fetchall(
            "SELECT m.room_id, m.user_id, u.username, m.user_id = r.host_id, m.joined_at"
            " FROM members m JOIN users u ON u.id = m.user_id JOIN rooms r ON r.id = m.room_id"
            " WHERE m.room_id = ? ORDER BY m.seq",
            (room_id,),
        )
        return [Member(r[0], r[1], r[2], bool(r[3]), int(r[4])) for r in rows]

    async def add_member(self, room_id: str, username: str, added_by: str) -> Member:
        """Add a user by name. A user who blocked `added_by` looks exactly like an unknown user."""
        now = now_ms()
        async with self._db.transaction() as conn:
            cur = await conn.execute("SELECT id, username FROM users WHERE username = ?", (username,))
            user = await cur.fetchone()
            if user is None:
                raise UserNotFound("no such user")
            cur = await conn.execute(
                "SELECT 1 FROM blocks WHERE blocker_id = ? AND blocked_id = ?", (user[0], added_by)
            )
            if await cur.fetchone() is not None:
                raise UserNotFound("no such user")
            cur = await conn.execute("SELECT host_id FROM rooms WHERE id = ?", (room_id,))
            room = await cur.fetchone()
            if room is None:
                raise RoomNotFound("no such room")
            try:
                await conn.execute(
                    "INSERT INTO members (room_id, user_id, joined_at) VALUES (?, ?, ?)", (room_id, user[0], now)
                )
            except sqlite3.IntegrityError as exc:
                raise AlreadyMember(f"{user[1]} is already a member") from exc
        return Member(room_id, user[0], user[1], room[0] == user[0], now)

    async def remove_member(self, room_id: str, user_id: str) -> Departure:
        """Remove a membership (leave or kick) with host hand-over; RoomNotFound if not a member."""
        async with self._db.transaction() as conn:
            return await leave_in_txn(conn, room_id, user_id)

    async def delete(self, room_id: str) -> list[str]:
        """Delete the room with its members and chat; returns the ids of the members it had."""
        async with self._db.transaction() as conn:
            cur = await conn.execute("SELECT user_id FROM members WHERE room_id = ? ORDER BY seq", (room_id,))
            member_ids = [row[0] for row in await cur.fetchall()]
            cur = await conn.execute("DELETE FROM rooms WHERE id = ?", (room_id,))
            if cur.rowcount != 1:
                raise RoomNotFound("no such room")
        return member_ids

    async def count(self) -> int:
        """Number of rooms (for /health and /metrics)."""
        return int(await self._db.scalar("SELECT count(*) FROM rooms"))
