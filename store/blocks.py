"""Blocks: who refuses DMs and room invitations from whom."""

from __future__ import annotations

from store.db import Database
from store.errors import InvalidValue, UserNotFound
from store.models import now_ms


class BlockRepo:
    """A blocked user sees the blocker as an unknown user when they DM or invite them."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def block(self, blocker_id: str, username: str) -> None:
        """Block a user by name (idempotent)."""
        async with self._db.transaction() as conn:
            cur = await conn.execute("SELECT id FROM users WHERE username = ?", (username,))
            row = await cur.fetchone()
            if row is None:
                raise UserNotFound("no such user")
            if row[0] == blocker_id:
                raise InvalidValue("username", "you cannot block yourself")
            await conn.execute(
                "INSERT OR IGNORE INTO blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?)",
                (blocker_id, row[0], now_ms()),
            )

    async def unblock(self, blocker_id: str, username: str) -> None:
        """Lift a block (idempotent); UserNotFound for an unknown name."""
        async with self._db.transaction() as conn:
            cur = await conn.execute("SELECT id FROM users WHERE username = ?", (username,))
            row = await cur.fetchone()
            if row is None:
                raise UserNotFound("no such user")
            await conn.execute("DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?", (blocker_id, row[0]))

    async def list(self, blocker_id: str) -> list[str]:
        """Usernames this user has blocked, by name."""
        rows = await self._db.fetchall(
            "SELECT u.username FROM blocks b JOIN users u ON u.id = b.blocked_id WHERE b.blocker_id = ?"
            " ORDER BY u.username COLLATE NOCASE",
            (blocker_id,),
        )
        return [r[0] for r in rows]

    async def is_blocked(self, blocker_id: str, blocked_id: str) -> bool:
        """Whether `blocker_id` has blocked `blocked_id`."""
        row = await self._db.fetchone(
            "SELECT 1 FROM blocks WHERE blocker_id = ? AND blocked_id = ?", (blocker_id, blocked_id)
        )
        return row is not None
