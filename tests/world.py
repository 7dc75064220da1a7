"""A room on a real server with bots in it: what the end-to-end tests build on."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from serverproc import LOOPBACK, Server

from bots import ToneSource
from bots.client import Bot, BotOptions

_names = itertools.count(1)


class World:
    """One room on the server with a host; ``bot()`` adds a member and connects it."""

    def __init__(self, server: Server, width: float = 30, height: float = 30) -> None:
        self.server = server
        self.host_token = server.register(f"host{next(_names)}")
        self.room = server.create_room(self.host_token, "e2e", width=width, height=height)
        self.bots: list[Bot] = []

    def member_key(self, username: str | None = None) -> str:
        """Register a user, add them to the room, return a new API key of theirs."""
        name = username or f"user{next(_names)}"
        token = self.server.register(name)
        self.server.api("POST", f"rooms/{self.room}/members", {"username": name}, self.host_token)
        return self.server.api_key(token)

    async def bot(self, *, tone: float | None = None, at: tuple[float, float] | None = None,
                  heading: float = 0.0, key: str | None = None, **options: Any) -> Bot:
        source = options.pop("source", None) or (ToneSource(tone) if tone is not None else None)
        bot = Bot(BotOptions(server=self.server.base, room=self.room, credential=key or self.member_key(),
                             source=source, at=at, heading=heading, keep_samples=True,
                             **{"ice_addresses": LOOPBACK, **options}))
        self.bots.append(bot)
        await bot.start()
        return bot


MakeWorld = Callable[..., World]
