"""One aiosqlite connection (WAL, foreign keys, numbered migrations) with serialized transactions.

aiosqlite runs every statement on its own thread, so SQLite never blocks the event loop. A single
connection is shared, so an asyncio lock keeps one coroutine's transaction from interleaving
with another's statements.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from store.errors import DatabaseUnusable

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """The packaged migrations as (number, name, sql), in order; numbers must be 1..N without gaps."""
    found = []
    for entry in resources.files("store.migrations").iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..N without gaps, got {numbers}")
    return found


_SIDE_FILES = ("", "-wal", "-shm", "-journal")


def _reason(exc: BaseException) -> str:
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return " ".join(text.split())[:200] or type(exc).__name__


def _make_private(path: Path) -> None:
    """Create the database file with mode 0600 before SQLite does (it would use 0644, and gives
    its -wal and -shm files the main file's mode), and tighten files an older version left open."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for suffix in _SIDE_FILES:
        side = path.with_name(path.name + suffix)
        try:
            if side.stat().st_mode & 0o077:
                side.chmod(0o600)
        except FileNotFoundError:
            pass


class Database:
    """The shared connection; use `transaction()` for every write and `fetch*` for reads."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (creating it private, mode 0600) and bring the schema up to date; DatabaseUnusable
        for a file SQLite cannot read, a failed integrity check or a schema newer than this code."""
        path = Path(path)
        try:
            _make_private(path)
            conn = await aiosqlite.connect(str(path), isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise DatabaseUnusable(f"cannot open database {path}: {_reason(exc)}") from None
        conn.row_factory = aiosqlite.Row
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk before we acknowledge it, even across power loss.
            await conn.execute("PRAGMA synchronous=FULL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            db = cls(conn)
            await db._check(path)
            await db._migrate()
        except sqlite3.Error as exc:
            await conn.close()
            raise DatabaseUnusable(f"cannot use database {path}: {_reason(exc)}") from None
        except BaseException:
            await conn.close()
            raise
        return db

    async def _check(self, path: Path) -> None:
        """Refuse a database this code must not touch: one with a corrupt page (found by SQLite's
        quick_check, O(size) and run once at start) or with a newer schema (written by a newer
        hubbub: migrating it down is impossible and writing to it could break it)."""
        cur = await self._conn.execute("PRAGMA quick_check")
        rows = [str(row[0]) for row in await cur.fetchall()]
        if rows != ["ok"]:
            first = " ".join(rows[0].split())[:200]
            raise DatabaseUnusable(f"database {path} failed its integrity check (PRAGMA quick_check: {first}); "
                                   "restore a backup")
        cur = await self._conn.execute("PRAGMA user_version")
        row = await cur.fetchone()
        current, latest = (int(row[0]) if row else 0), len(migrations())
        if current > latest:
            raise DatabaseUnusable(f"database {path} has schema version {current}, newer than this hubbub "
                                   f"knows ({latest}); run the newer hubbub or restore a backup")

    async def close(self) -> None:
        """Wait for the running transaction, then close (the WAL is checkpointed on close)."""
        async with self._lock:
            await self._conn.close()

    async def _migrate(self) -> None:
        async with self._lock:
            cur = await self._conn.execute("PRAGMA user_version")
            row = await cur.fetchone()
            current = int(row[0]) if row else 0
            for number, name, sql in migrations():
                if number <= current:
                    continue
                log.info("applying migration %s", name)
                try:
                    # One transaction per migration: the schema and its version move together.
                    await self._conn.executescript(
                        f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;"
                    )
                except BaseException:
                    if self._conn.in_transaction:
                        await self._conn.rollback()
                    raise

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE .. COMMIT (or ROLLBACK on any error): every multi-step change is atomic."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.rollback()
                raise
            else:
                await self._conn.commit()

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """Run one read and return its first row."""
        async with self._lock:
            cur = await self._conn.execute(sql, params)
            return await cur.fetchone()

    async def fetchall(self, sql: str, params: Params = ()) -> Iterable[aiosqlite.Row]:
        """Run one read and return all rows."""
        async with self._lock:
            cur = await self._conn.execute(sql, params)
            return await cur.fetchall()

    async def scalar(self, sql: str, params: Params = ()) -> Any:
        """Run one read and return the first column of the first row (None if no row)."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]
