"""Plain records the repositories return, each with the JSON shape the API (REST and WS) uses."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def now_ms() -> int:
    """Wall-clock time in integer milliseconds, the unit every stored timestamp uses."""
    return time.time_ns() // 1_000_000


def new_id() -> str:
    """A random, unguessable 16-hex-char id (ids are strings everywhere in the API)."""
    return secrets.token_hex(8)


def iso(ms: int | None) -> str | None:
    """Milliseconds since the epoch as an ISO 8601 UTC string (what JSON clients see)."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class User:
    """An account; `token_version` rises on password change to invalidate older tokens."""

    id: str
    username: str
    password_hash: str
    token_version: int
    created_at: int

    def to_json(self) -> dict[str, Any]:
        """Public fields only (never the hash)."""
        return {"id": self.id, "username": self.username, "created_at": iso(self.created_at)}


@dataclass(frozen=True)
class ApiKey:
    """A named API key; the secret itself is never stored, only its hash."""

    id: str
    user_id: str
    name: str
    secret_hash: str
    created_at: int
    last_used_at: int | None

    def to_json(self) -> dict[str, Any]:
        """Listing form: name and dates, never the secret or its hash."""
        return {
            "id": self.id,
            "name": self.name,
            "created_at": iso(self.created_at),
            "last_used_at": iso(self.last_used_at),
        }


@dataclass(frozen=True)
class Room:
    """A room and its floor: `width` x `height` metres, at most `max_participants` live at once.

    `acoustics` holds only the mixer settings the host changed (field name -> value); the store
    does not know the mixer's defaults, so the web layer (web.acoustics) fills them in.
    """

    id: str
    name: str
    description: str
    width: float
    height: float
    max_participants: int
    host_id: str
    created_at: int
    acoustics: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def to_json(self) -> dict[str, Any]:
        """The room as members see it, without acoustics (web.acoustics.room_json adds the effective ones)."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "width": self.width,
            "height": self.height,
            "max_participants": self.max_participants,
            "host_id": self.host_id,
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True)
class Member:
    """One membership; `is_host` is true for exactly one member of each room."""

    room_id: str
    user_id: str
    username: str
    is_host: bool
    joined_at: int

    def to_json(self) -> dict[str, Any]:
        """Member listing form."""
        return {
            "user_id": self.user_id,
            "username": self.username,
            "role": "host" if self.is_host else "member",
            "joined_at": iso(self.joined_at),
        }


@dataclass(frozen=True)
class Message:
    """A room chat message; the author is None once their account is deleted."""

    id: int
    room_id: str
    author_id: str | None
    author_username: str | None
    text: str
    created_at: int

    def to_json(self) -> dict[str, Any]:
        """Chat form shared by REST history and live WebSocket fan-out."""
        author = None if self.author_id is None else {"id": self.author_id, "username": self.author_username}
        return {
            "id": str(self.id),
            "room_id": self.room_id,
            "author": author,
            "text": self.text,
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True)
class DirectMessage:
    """A message from one user to another."""

    id: int
    sender_username: str
    recipient_username: str
    text: str
    created_at: int

    def to_json(self) -> dict[str, Any]:
        """DM form."""
        return {
            "id": str(self.id),
            "from": self.sender_username,
            "to": self.recipient_username,
            "text": self.text,
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a newest-first listing; pass `next_cursor` as `before` to get older items."""

    items: list[T]
    next_cursor: str | None
