"""The Store: one database and its repositories, opened and closed together."""

from __future__ import annotations

from pathlib import Path

from store.api_keys import ApiKeyRepo
from store.blocks import BlockRepo
from store.chat import ChatRepo, DirectMessageRepo
from store.db import Database
from store.rooms import RoomRepo
from store.users import UserRepo


class Store:
    """Entry point for every persistence need: `store.rooms.get(...)`, `store.chat.post(...)`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.users = UserRepo(db)
        self.api_keys = ApiKeyRepo(db)
        self.rooms = RoomRepo(db)
        self.chat = ChatRepo(db)
        self.dms = DirectMessageRepo(db)
        self.blocks = BlockRepo(db)

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        """Open the SQLite file (migrating it) and build the repositories."""
        return cls(await Database.open(path))

    async def close(self) -> None:
        """Close the database cleanly (safe to call twice)."""
        await self.db.close()
