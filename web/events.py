"""Hooks the live (WebSocket) layer registers into, so REST changes reach live sessions (end them, retune them)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from mixer import Acoustics
from store.models import Room

log = logging.getLogger(__name__)

MemberRemoved = Callable[[str, str], Awaitable[None]]
CredentialsRevoked = Callable[[str], Awaitable[None]]
RoomUpdated = Callable[[Room, Acoustics], Awaitable[None]]


def _no_sessions() -> int:
    return 0


@dataclass
class LiveHooks:
    """Callbacks fired after the change is committed; a failing callback is logged, never raised.

    `member_removed(room_id, user_id)`: a member was removed, left, or the room was deleted.
    `credentials_revoked(user_id)`: password changed, API key revoked or account deleted.
    `room_updated(room, acoustics)`: the host changed the room's settings (PATCH); `room` is the
    new state, `acoustics` its checked mixer settings (what `MediaPlane.set_acoustics` takes).
    `session_count()`: connected live sessions, reported by /health.
    """

    member_removed: list[MemberRemoved] = field(default_factory=list)
    credentials_revoked: list[CredentialsRevoked] = field(default_factory=list)
    room_updated: list[RoomUpdated] = field(default_factory=list)
    session_count: Callable[[], int] = _no_sessions

    async def fire_member_removed(self, room_id: str, user_id: str) -> None:
        """Tell every listener that `user_id` is no longer in `room_id`."""
        for callback in list(self.member_removed):
            try:
                await callback(room_id, user_id)
            except Exception:
                log.exception("member_removed hook failed")

    async def fire_credentials_revoked(self, user_id: str) -> None:
        """Tell every listener that `user_id`'s existing credentials may no longer be valid."""
        for callback in list(self.credentials_revoked):
            try:
                await callback(user_id)
            except Exception:
                log.exception("credentials_revoked hook failed")

    async def fire_room_updated(self, room: Room, acoustics: Acoustics) -> None:
        """Tell every listener the room's settings changed, so live sessions can follow."""
        for callback in list(self.room_updated):
            try:
                await callback(room, acoustics)
            except Exception:
                log.exception("room_updated hook failed")
