"""Rooms and members: create, list mine, details, change settings, delete, add/remove members, leave."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from auth.policy import ensure_host, ensure_member
from mixer import Acoustics
from store import Store
from store.errors import RoomChanged
from store.models import Room
from store.rooms import merge_patch
from web.acoustics import checked, parse_overrides, room_acoustics, room_json
from web.errors import ApiError
from web.keys import CONFIG, HOOKS, PRINCIPAL, STORE
from web.validation import Field, check_length, check_range, read_json

DEFAULT_SIZE = 20.0
DEFAULT_MAX_PARTICIPANTS = 50
MAX_SIZE = 1000.0
MAX_PARTICIPANTS = 500

# Request bodies (also the source of web/openapi.py's request schemas).
CREATE = {
    "name": Field("str"),
    "description": Field("str", required=False, default=""),
    "width": Field("number", required=False, default=DEFAULT_SIZE),
    "height": Field("number", required=False, default=DEFAULT_SIZE),
    "max_participants": Field("int", required=False, default=DEFAULT_MAX_PARTICIPANTS),
    "acoustics": Field("object", required=False, default={}),
}
UPDATE = {
    "name": Field("str", required=False),
    "description": Field("str", required=False),
    "max_participants": Field("int", required=False),
    "acoustics": Field("object", required=False),
    # Accepted only to say why they cannot change: live positions are bounded by the floor.
    "width": Field("number", required=False),
    "height": Field("number", required=False),
}
ADD_MEMBER = {"username": Field("str")}


def _name(value: str) -> str:
    """1-100 characters as sent, not only white space; stored trimmed."""
    name = check_length("name", value, 1, 100).strip()
    if not name:
        raise ApiError(400, "invalid_value", "name must not be blank")
    return name


def _description(value: str) -> str:
    return check_length("description", value, 0, 1000)


def _max_participants(value: int) -> int:
    return int(check_range("max_participants", value, 1, MAX_PARTICIPANTS))


async def create_room(request: web.Request) -> web.Response:
    """POST /api/rooms"""
    body = await read_json(request, CREATE)
    name = _name(body["name"])
    description = _description(body["description"])
    width = float(check_range("width", body["width"], 1, MAX_SIZE))
    height = float(check_range("height", body["height"], 1, MAX_SIZE))
    max_participants = _max_participants(body["max_participants"])
    acoustics = {k: v for k, v in parse_overrides(body["acoustics"]).items() if v is not None}
    settings = checked(acoustics)
    room = await request.app[STORE].rooms.create(
        request[PRINCIPAL].user_id, name, description, width, height, max_participants,
        request.app[CONFIG].room_daily_limit, acoustics=acoustics,
    )
    return web.json_response({"room": room_json(room, settings)}, status=201)


async def list_rooms(request: web.Request) -> web.Response:
    """GET /api/rooms"""
    rooms = await request.app[STORE].rooms.list_for_user(request[PRINCIPAL].user_id)
    return web.json_response({"rooms": [room_json(r) for r in rooms]})


async def get_room(request: web.Request) -> web.Response:
    """GET /api/rooms/{room_id}"""
    room = await ensure_member(request.app[STORE], request[PRINCIPAL], request.match_info["room_id"])
    return web.json_response({"room": room_json(room)})


async def update_room(request: web.Request) -> web.Response:
    """PATCH /api/rooms/{room_id}: the host changes name, description, capacity or acoustics
    (a partial `acoustics` object is merged into the current one; null resets a field)."""
    store = request.app[STORE]
    room = await ensure_member(store, request[PRINCIPAL], request.match_info["room_id"])
    ensure_host(request[PRINCIPAL], room)
    body = await read_json(request, UPDATE)
    for fixed in ("width", "height"):
        if body[fixed] is not None:
            raise ApiError(400, "immutable_field", f"{fixed} is fixed when the room is created")
    if all(value is None for value in body.values()):
        return web.json_response({"room": room_json(room)})
    changes: dict[str, Any] = {
        "name": None if body["name"] is None else _name(body["name"]),
        "description": None if body["description"] is None else _description(body["description"]),
        "max_participants": None if body["max_participants"] is None else _max_participants(body["max_participants"]),
    }
    if body["acoustics"] is None:
        updated = await store.rooms.update(room.id, **changes)
        acoustics = room_acoustics(updated)
    else:
        updated, acoustics = await _update_acoustics(store, room, parse_overrides(body["acoustics"]), changes)
    await request.app[HOOKS].fire_room_updated(updated, acoustics)
    return web.json_response({"room": room_json(updated, acoustics)})


async def _update_acoustics(
    store: Store, room: Room, patch: Mapping[str, Any], changes: dict[str, Any],
) -> tuple[Room, Acoustics]:
    """Merge `patch` onto the stored overrides, check the result once, and store it with `changes`
    only if nobody changed the acoustics since they were read; else merge onto the new ones (each
    retry means another change committed, so this ends). 400 if the merged whole does not fit."""
    while True:
        acoustics = checked(merge_patch(room.acoustics, patch))
        try:
            updated = await store.rooms.update(room.id, **changes, acoustics=patch, expect_acoustics=room.acoustics)
        except RoomChanged:
            room = await store.rooms.get(room.id)
            continue
        return updated, acoustics


async def delete_room(request: web.Request) -> web.Response:
    """DELETE /api/rooms/{room_id}"""
    store = request.app[STORE]
    room = await ensure_member(store, request[PRINCIPAL], request.match_info["room_id"])
    ensure_host(request[PRINCIPAL], room)
    for user_id in await store.rooms.delete(room.id):
        await request.app[HOOKS].fire_member_removed(room.id, user_id)
    return web.Response(status=204)


async def list_members(request: web.Request) -> web.Response:
    """GET /api/rooms/{room_id}/members"""
    store = request.app[STORE]
    room = await ensure_member(store, request[PRINCIPAL], request.match_info["room_id"])
    return web.json_response({"members": [m.to_json() for m in await store.rooms.list_members(room.id)]})


async def add_member(request: web.Request) -> web.Response:
    """POST /api/rooms/{room_id}/members"""
    body = await read_json(request, ADD_MEMBER)
    store = request.app[STORE]
    room = await ensure_member(store, request[PRINCIPAL], request.match_info["room_id"])
    ensure_host(request[PRINCIPAL], room)
    member = await store.rooms.add_member(room.id, body["username"], added_by=request[PRINCIPAL].user_id)
    return web.json_response({"member": member.to_json()}, status=201)


async def remove_member(request: web.Request) -> web.Response:
    """DELETE /api/rooms/{room_id}/members/{username}: the host removes anyone; anyone removes self."""
    store = request.app[STORE]
    principal = request[PRINCIPAL]
    room = await ensure_member(store, principal, request.match_info["room_id"])
    target = await store.users.find_by_username(request.match_info["username"])
    if target is None or target.id != principal.user_id:
        ensure_host(principal, room)
    if target is None or not await store.rooms.is_member(room.id, target.id):
        raise ApiError(404, "member_not_found", "no such member in this room")
    return await _depart(request, room.id, target.id)


async def leave_room(request: web.Request) -> web.Response:
    """POST /api/rooms/{room_id}/leave"""
    room = await ensure_member(request.app[STORE], request[PRINCIPAL], request.match_info["room_id"])
    return await _depart(request, room.id, request[PRINCIPAL].user_id)


async def _depart(request: web.Request, room_id: str, user_id: str) -> web.Response:
    departure = await request.app[STORE].rooms.remove_member(room_id, user_id)
    await request.app[HOOKS].fire_member_removed(room_id, user_id)
    return web.json_response(
        {"room_deleted": departure.room_deleted, "new_host_id": departure.new_host_id}, status=200
    )


def add_routes(app: web.Application, prefix: str) -> None:
    """Register the room routes under `prefix`."""
    r = app.router
    r.add_get(f"{prefix}/api/rooms", list_rooms)
    r.add_post(f"{prefix}/api/rooms", create_room)
    r.add_get(f"{prefix}/api/rooms/{{room_id}}", get_room)
    r.add_patch(f"{prefix}/api/rooms/{{room_id}}", update_room)
    r.add_delete(f"{prefix}/api/rooms/{{room_id}}", delete_room)
    r.add_get(f"{prefix}/api/rooms/{{room_id}}/members", list_members)
    r.add_post(f"{prefix}/api/rooms/{{room_id}}/members", add_member)
    r.add_delete(f"{prefix}/api/rooms/{{room_id}}/members/{{username}}", remove_member)
    r.add_post(f"{prefix}/api/rooms/{{room_id}}/leave", leave_room)
