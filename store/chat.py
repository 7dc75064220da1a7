"""Room chat and direct messages: text rules, posting, newest-first history with cursors."""

from __future__ import annotations

import aiosqlite

from store.db import Database
from store.errors import BlockedUser, InvalidValue, RoomNotFound, UserNotFound
from store.models import DirectMessage, Message, Page, now_ms

MAX_TEXT = 2000
MAX_PAGE = 100


def check_text(text: str) -> str:
    """1-2000 characters, not only whitespace; the same rule for REST, WebSocket and DMs."""
    if not text.strip():
        raise InvalidValue("text", "text must not be empty")
    if len(text) > MAX_TEXT:
        raise InvalidValue("text", f"text must be at most {MAX_TEXT} characters")
    return text


def parse_cursor(before: str | None) -> int | None:
    """A cursor is a message id as a decimal string."""
    if before is None:
        return None
    if not (before.isascii() and before.isdigit()) or len(before) > 18:  # isdecimal() takes any script's digits
        raise InvalidValue("before", "before must be a message id")
    return int(before)


def check_limit(limit: int) -> int:
    """Page sizes are 1..100."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidValue("limit", f"limit must be between 1 and {MAX_PAGE}")
    return limit


def _page(items: list, limit: int) -> Page:  # type: ignore[type-arg]
    more = len(items) > limit
    items = items[:limit]
    return Page(items, str(items[-1].id) if more else None)


def _message(row: aiosqlite.Row) -> Message:
    return Message(int(row[0]), row[1], row[2], row[3], row[4], int(row[5]))


_MSG_SELECT = (
    "SELECT m.id, m.room_id, m.author_id, u.username, m.text, m.created_at"
    " FROM messages m LEFT JOIN users u ON u.id = m.author_id"
)


class ChatRepo:
    """Room chat; posting checks membership in the same statement, so no race can slip past it."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def post(self, room_id: str, author_id: str, text: str) -> Message:
        """Persist a message from a member; RoomNotFound if the author is not a member."""
        check_text(text)
        now = now_ms()
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO messages (room_id, author_id, text, created_at)"
                " SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM members WHERE room_id = ? AND user_id = ?)",
                (room_id, author_id, text, now, room_id, author_id),
            )
            if cur.rowcount != 1:
                raise RoomNotFound("no such room")
            message_id = cur.lastrowid
            cur = await conn.execute(f"{_MSG_SELECT} WHERE m.id = ?", (message_id,))
            row = await cur.fetchone()
        assert row is not None
        return _message(row)

    async def history(self, room_id: str, before: str | None = None, limit: int = 50) -> Page[Message]:
        """Messages newest first; the caller checks membership first."""
        cursor = parse_cursor(before)
        check_limit(limit)
        rows = await self._db.fetchall(
            f"{_MSG_SELECT} WHERE m.room_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?",
            (room_id, cursor if cursor is not None else 2**62, limit + 1),
        )
        return _page([_message(r) for r in rows], limit)


_DM_SELECT = (
    "SELECT d.id, s.username, r.username, d.text, d.created_at FROM direct_messages d"
    " JOIN users s ON s.id = d.sender_id JOIN users r ON r.id = d.recipient_id"
)


def _dm(row: aiosqlite.Row) -> DirectMessage:
    return DirectMessage(int(row[0]), row[1], row[2], row[3], int(row[4]))


class DirectMessageRepo:
    """One-to-one messages; a user who blocked the caller is indistinguishable from no user."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _visible_user(self, conn: aiosqlite.Connection, viewer_id: str, username: str) -> str:
        cur = await conn.execute(
            "SELECT u.id FROM users u WHERE u.username = ? AND NOT EXISTS"
            " (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = ?)",
            (username, viewer_id),
        )
        row = await cur.fetchone()
        if row is None:
            raise UserNotFound("no such user")
        return str(row[0])

    async def send(self, sender_id: str, recipient_username: str, text: str) -> DirectMessage:
        """Send a DM; UserNotFound if the recipient does not exist or blocked the sender,
        BlockedUser if the sender blocked the recipient, InvalidValue to oneself."""
        check_text(text)
        async with self._db.transaction() as conn:
            recipient_id = await self._visible_user(conn, sender_id, recipient_username)
            if recipient_id == sender_id:
                raise InvalidValue("username", "you cannot send a direct message to yourself")
            cur = await conn.execute(
                "SELECT 1 FROM blocks WHERE blocker_id = ? AND blocked_id = ?", (sender_id, recipient_id)
            )
            if await cur.fetchone() is not None:
                raise BlockedUser("you have blocked this user; unblock them to send a message")
            cur = await conn.execute(
                "INSERT INTO direct_messages (sender_id, recipient_id, text, created_at) VALUES (?, ?, ?, ?)",
                (sender_id, recipient_id, text, now_ms()),
            )
            cur = await conn.execute(f"{_DM_SELECT} WHERE d.id = ?", (cur.lastrowid,))
            row = await cur.fetchone()
        assert row is not None
        return _dm(row)

    async def history(
        self, user_id: str, other_username: str, before: str | None = None, limit: int = 50
    ) -> Page[DirectMessage]:
        """The conversation between two users, newest first."""
        cursor = parse_cursor(before)
        check_limit(limit)
        async with self._db.transaction() as conn:
            other_id = await self._visible_user(conn, user_id, other_username)
            cur = await conn.execute(
                f"{_DM_SELECT} WHERE ((d.sender_id = ? AND d.recipient_id = ?) OR (d.sender_id = ? AND d.recipient_id = ?))"
                " AND d.id < ? ORDER BY d.id DESC LIMIT ?",
                (user_id, other_id, other_id, user_id, cursor if cursor is not None else 2**62, limit + 1),
            )
            rows = await cur.fetchall()
        return _page([_dm(r) for r in rows], limit)

    async def conversations(self, user_id: str) -> list[DirectMessage]:
        """The latest message of each conversation, newest first (hiding users who blocked me)."""
        rows = await self._db.fetchall(
            f"{_DM_SELECT} WHERE d.id IN ("
            " SELECT max(id) FROM direct_messages WHERE sender_id = ? OR recipient_id = ?"
            " GROUP BY CASE WHEN sender_id = ? THEN recipient_id ELSE sender_id END)"
            " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocked_id = ?"
            "  AND b.blocker_id = CASE WHEN d.sender_id = ? THEN d.recipient_id ELSE d.sender_id END)"
            " ORDER BY d.id DESC",
            (user_id, user_id, user_id, user_id, user_id),
        )
        return [_dm(r) for r in rows]
