"""What the live layer needs from accounts and storage, and its adapter onto auth/ and store/."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from auth.errors import Unauthenticated
from auth.service import AuthService
from mixer import Acoustics
from store import Store
from store.errors import InvalidValue, RoomNotFound
from store.models import Room
from web.acoustics import acoustics_json, room_acoustics


class Rejected(Exception):
    """A credential was refused (message safe to show: never echoes the credential)."""


class NotAMember(Exception):
    """No such room, or the user is not a member of it (one answer for both)."""


class BadChat(ValueError):
    """Chat text the store refuses (same rule as REST chat)."""


@dataclass(frozen=True)
class Identity:
    """The user a live connection belongs to."""

    user_id: str
    username: str


@dataclass(frozen=True)
class RoomInfo:
    """The room as the live layer needs it: floor size, capacity, acoustics for the media plane,
    and its public form (`joined.room`, `room_updated.room`)."""

    id: str
    width: float
    height: float
    max_participants: int
    public: dict[str, Any]
    acoustics: Acoustics


def room_info(room: Room, acoustics: Acoustics) -> RoomInfo:
    """A room and its mixer settings as the live layer sees them (on join, and when REST updates the room)."""
    public = {"id": room.id, "name": room.name, "description": room.description, "width": room.width,
              "height": room.height, "max_participants": room.max_participants, "host_id": room.host_id,
              "acoustics": acoustics_json(acoustics)}
    return RoomInfo(room.id, float(room.width), float(room.height), room.max_participants, public, acoustics)


class LiveBackend(Protocol):
    """Authentication, membership and chat persistence, as the hub uses them."""

    async def authenticate(self, credential: str) -> Identity:
        """The user behind an access token or API key; Rejected otherwise."""
        ...

    async def room_for_member(self, room_id: str, user_id: str) -> RoomInfo:
        """The room if the user is a member; NotAMember otherwise."""
        ...

    async def post_chat(self, room_id: str, user_id: str, text: str) -> dict[str, Any]:
        """Persist like REST chat; the message's JSON form. NotAMember / BadChat on refusal."""
        ...


class StoreBackend:
    """LiveBackend on the foundation's AuthService and Store."""

    def __init__(self, auth: AuthService, store: Store) -> None:
        self._auth = auth
        self._store = store

    async def authenticate(self, credential: str) -> Identity:
        """Same check as REST bearer credentials."""
        try:
            principal = await self._auth.authenticate(credential)
        except Unauthenticated:
            raise Rejected("invalid or expired credential") from None
        return Identity(principal.user_id, principal.username)

    async def room_for_member(self, room_id: str, user_id: str) -> RoomInfo:
        """Membership-checked lookup (non-members cannot tell a room exists)."""
        try:
            room = await self._store.rooms.get_for_member(room_id, user_id)
        except RoomNotFound:
            raise NotAMember(room_id) from None
        return room_info(room, room_acoustics(room))

    async def post_chat(self, room_id: str, user_id: str, text: str) -> dict[str, Any]:
        """The REST chat repository, so both paths persist identically."""
        try:
            message = await self._store.chat.post(room_id, user_id, text)
        except RoomNotFound:
            raise NotAMember(room_id) from None
        except InvalidValue as exc:
            raise BadChat(str(exc)) from None
        return message.to_json()
