"""Accounts: create, look up, change password hash, delete (handing rooms over first)."""

from __future__ import annotations

import sqlite3

import aiosqlite

from store.db import Database
from store.errors import UsernameTaken, UserNotFound
from store.models import User, new_id, now_ms
from store.rooms import leave_in_txn

_COLUMNS = "id, username, password_hash, token_version, created_at"


def _user(row: aiosqlite.Row) -> User:
    return User(row[0], row[1], row[2], int(row[3]), int(row[4]))


class UserRepo:
    """Users by id or (case-insensitive) username."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, username: str, password_hash: str) -> User:
        """Insert a user; UsernameTaken if the name exists in any letter case."""
        user = User(new_id(), username, password_hash, 0, now_ms())
        try:
            async with self._db.transaction() as conn:
                await conn.execute(
                    f"INSERT INTO users ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                    (user.id, user.username, user.password_hash, user.token_version, user.created_at),
                )
        except sqlite3.IntegrityError as exc:
            raise UsernameTaken(f"username {username!r} is taken") from exc
        return user

    async def get(self, user_id: str) -> User:
        """The user with this id, or UserNotFound."""
        row = await self._db.fetchone(f"SELECT {_COLUMNS} FROM users WHERE id = ?", (user_id,))
        if row is None:
            raise UserNotFound("no such user")
        return _user(row)

    async def find_by_username(self, username: str) -> User | None:
        """The user with this name in any letter case, or None."""
        row = await self._db.fetchone(f"SELECT {_COLUMNS} FROM users WHERE username = ?", (username,))
        return None if row is None else _user(row)

    async def get_by_username(self, username: str) -> User:
        """Like find_by_username but raises UserNotFound."""
        user = await self.find_by_username(username)
        if user is None:
            raise UserNotFound("no such user")
        return user

    async def set_password(self, user_id: str, password_hash: str) -> User:
        """Store a new hash and bump token_version so every older token stops working."""
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE users SET password_hash = ?, token_version = token_version + 1 WHERE id = ?",
                (password_hash, user_id),
            )
            if cur.rowcount != 1:
                raise UserNotFound("no such user")
        return await self.get(user_id)

    async def delete(self, user_id: str) -> list[str]:
        """Delete the account, leaving every room first (hand-over, empty rooms deleted).

        Returns the ids of the rooms the user was a member of.
        """
        async with self._db.transaction() as conn:
            cur = await conn.execute("SELECT room_id FROM members WHERE user_id = ? ORDER BY seq", (user_id,))
            room_ids = [row[0] for row in await cur.fetchall()]
            for room_id in room_ids:
                await leave_in_txn(conn, room_id, user_id)
            cur = await conn.execute("DELETE FROM users WHERE id = ?", (user_id,))
            if cur.rowcount != 1:
                raise UserNotFound("no such user")
        return room_ids

    async def count(self) -> int:
        """Number of registered users (for /metrics)."""
        return int(await self._db.scalar("SELECT count(*) FROM users"))
