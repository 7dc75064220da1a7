"""Who may do what: small helpers handlers call before acting."""

from __future__ import annotations

from auth.errors import Forbidden
from auth.principal import Principal
from store import Store
from store.models import Room


async def ensure_member(store: Store, principal: Principal, room_id: str) -> Room:
    """The room if the principal is a member; otherwise RoomNotFound (404, indistinguishable
    from a room that does not exist)."""
    return await store.rooms.get_for_member(room_id, principal.user_id)


def ensure_host(principal: Principal, room: Room) -> None:
    """Only the host manages members and deletes the room."""
    if room.host_id != principal.user_id:
        raise Forbidden("only the room's host may do this")
