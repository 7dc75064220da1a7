"""API keys: only a hash of the secret is stored; the caller hashes and compares."""

from __future__ import annotations

import aiosqlite

from store.db import Database
from store.errors import ApiKeyNotFound, TooManyApiKeys
from store.models import ApiKey, new_id, now_ms

_COLUMNS = "id, user_id, name, secret_hash, created_at, last_used_at"
_TOUCH_EVERY_MS = 60_000  # last_used_at is informative; do not write on every request


def _key(row: aiosqlite.Row) -> ApiKey:
    return ApiKey(row[0], row[1], row[2], row[3], int(row[4]), None if row[5] is None else int(row[5]))


class ApiKeyRepo:
    """Named API keys per user."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, user_id: str, name: str, secret_hash: str, max_keys: int) -> ApiKey:
        """Store a new key's hash under a fresh id; TooManyApiKeys if the user has `max_keys`
        (counted in the same transaction, so concurrent creations cannot pass the cap)."""
        key = ApiKey(new_id(), user_id, name, secret_hash, now_ms(), None)
        async with self._db.transaction() as conn:
            cur = await conn.execute("SELECT count(*) FROM api_keys WHERE user_id = ?", (user_id,))
            row = await cur.fetchone()
            if row is not None and int(row[0]) >= max_keys:
                raise TooManyApiKeys(f"at most {max_keys} API keys per user; revoke one first")
            await conn.execute(
                f"INSERT INTO api_keys ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (key.id, key.user_id, key.name, key.secret_hash, key.created_at, key.last_used_at),
            )
        return key

    async def find(self, key_id: str) -> ApiKey | None:
        """The key with this id, or None."""
        row = await self._db.fetchone(f"SELECT {_COLUMNS} FROM api_keys WHERE id = ?", (key_id,))
        return None if row is None else _key(row)

    async def list(self, user_id: str) -> list[ApiKey]:
        """A user's keys, oldest first."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM api_keys WHERE user_id = ? ORDER BY created_at, id", (user_id,)
        )
        return [_key(r) for r in rows]

    async def delete(self, user_id: str, key_id: str) -> None:
        """Revoke one of the user's keys; ApiKeyNotFound if it is not theirs."""
        async with self._db.transaction() as conn:
            cur = await conn.execute("DELETE FROM api_keys WHERE id = ? AND user_id = ?", (key_id, user_id))
            if cur.rowcount != 1:
                raise ApiKeyNotFound("no such API key")

    async def touch(self, key: ApiKey) -> None:
        """Record use, at most once a minute per key."""
        now = now_ms()
        if key.last_used_at is not None and now - key.last_used_at < _TOUCH_EVERY_MS:
            return
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", (now, key.id))
