"""Room chat, direct messages and blocks."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from auth.policy import ensure_member
from store.models import Page
from web.keys import MESSAGE_RATE, PRINCIPAL, STORE
from web.validation import Field, query_int, query_params, read_json


TEXT = {"text": Field("str")}  # a chat message or DM (also the source of web/openapi.py's schema)


def _page_args(request: web.Request) -> tuple[int, str | None]:
    """`limit` (1-100, default 50) and `before` (a message id) of a history page."""
    query = query_params(request, ("limit", "before"))
    return query_int(query, "limit", 50, 1, 100), query.get("before")


def _page_json(name: str, page: Page[Any]) -> dict[str, Any]:
    return {name: [item.to_json() for item in page.items], "next_cursor": page.next_cursor}


async def post_message(request: web.Request) -> web.Response:
    """POST /api/rooms/{room_id}/messages"""
    body = await read_json(request, TEXT)
    store = request.app[STORE]
    room = await ensure_member(store, request[PRINCIPAL], request.match_info["room_id"])
    request.app[MESSAGE_RATE].charge(request[PRINCIPAL].user_id)
    message = await store.chat.post(room.id, request[PRINCIPAL].user_id, body["text"])
    return web.json_response({"message": message.to_json()}, status=201)


async def room_history(request: web.Request) -> web.Response:
    """GET /api/rooms/{room_id}/messages?before=&limit="""
    store = request.app[STORE]
    room = await ensure_member(store, request[PRINCIPAL], request.match_info["room_id"])
    limit, before = _page_args(request)
    page = await store.chat.history(room.id, before, limit)
    return web.json_response(_page_json("messages", page))


async def list_conversations(request: web.Request) -> web.Response:
    """GET /api/dms"""
    latest = await request.app[STORE].dms.conversations(request[PRINCIPAL].user_id)
    me = request[PRINCIPAL].username
    return web.json_response(
        {
            "conversations": [
                {"username": m.recipient_username if m.sender_username == me else m.sender_username,
                 "last_message": m.to_json()}
                for m in latest
            ]
        }
    )


async def send_dm(request: web.Request) -> web.Response:
    """POST /api/dms/{username}"""
    body = await read_json(request, TEXT)
    request.app[MESSAGE_RATE].charge(request[PRINCIPAL].user_id)
    message = await request.app[STORE].dms.send(request[PRINCIPAL].user_id, request.match_info["username"], body["text"])
    return web.json_response({"message": message.to_json()}, status=201)


async def dm_history(request: web.Request) -> web.Response:
    """GET /api/dms/{username}?before=&limit="""
    limit, before = _page_args(request)
    page = await request.app[STORE].dms.history(request[PRINCIPAL].user_id, request.match_info["username"], before,
                                                limit)
    return web.json_response(_page_json("messages", page))


async def list_blocks(request: web.Request) -> web.Response:
    """GET /api/blocks"""
    return web.json_response({"blocked": await request.app[STORE].blocks.list(request[PRINCIPAL].user_id)})


async def block(request: web.Request) -> web.Response:
    """PUT /api/blocks/{username}"""
    await request.app[STORE].blocks.block(request[PRINCIPAL].user_id, request.match_info["username"])
    return web.Response(status=204)


async def unblock(request: web.Request) -> web.Response:
    """DELETE /api/blocks/{username}"""
    await request.app[STORE].blocks.unblock(request[PRINCIPAL].user_id, request.match_info["username"])
    return web.Response(status=204)


def add_routes(app: web.Application, prefix: str) -> None:
    """Register the chat, DM and block routes under `prefix`."""
    r = app.router
    r.add_get(f"{prefix}/api/rooms/{{room_id}}/messages", room_history)
    r.add_post(f"{prefix}/api/rooms/{{room_id}}/messages", post_message)
    r.add_get(f"{prefix}/api/dms", list_conversations)
    r.add_get(f"{prefix}/api/dms/{{username}}", dm_history)
    r.add_post(f"{prefix}/api/dms/{{username}}", send_dm)
    r.add_get(f"{prefix}/api/blocks", list_blocks)
    r.add_put(f"{prefix}/api/blocks/{{username}}", block)
    r.add_delete(f"{prefix}/api/blocks/{{username}}", unblock)
