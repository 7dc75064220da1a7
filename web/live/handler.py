"""`GET {prefix}/ws`: one reader per socket; authenticates, rate-limits and parses every frame at
the edge, answers pings, and hands everything else to the hub."""

from __future__ import annotations

import asyncio
import logging
import socket

from aiohttp import WSMsgType, web

from web.live import messages
from web.live.backend import Rejected
from web.live.codes import SUBPROTOCOL, CloseCode, ErrorCode
from web.live.connection import Connection
from web.live.keys import LIVE_HUB, LIVE_SETTINGS
from web.live.protocol import Auth, Chat, ClientMessage, Ping, ProtocolError, parse_message
from web.live.ratelimit import FloodGuard, TokenBucket, Verdict

log = logging.getLogger(__name__)

_ENDS = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)


async def live_handler(request: web.Request) -> web.StreamResponse:
    """Upgrade, serve the connection until it closes, then leave its room and finish the close."""
    hub = request.app[LIVE_HUB]
    settings = request.app[LIVE_SETTINGS]
    ws = web.WebSocketResponse(
        heartbeat=settings.heartbeat,
        max_msg_size=settings.max_frame_bytes,
        timeout=settings.close_timeout,
        protocols=(SUBPROTOCOL,),
    )
    await ws.prepare(request)
    _cap_send_buffer(request, settings.send_buffer_bytes)
    conn = Connection(ws, request, queue_limit=settings.queue_limit, close_timeout=settings.close_timeout,
                      on_overflow=hub.on_overflow)
    hub.register(conn)
    try:
        await _serve(request, conn)
    except Exception:
        log.exception("live connection failed")
        conn.close(CloseCode.INTERNAL_ERROR)
    finally:
        hub.detach(conn)
        await conn.wait_closed()
    return ws


def _cap_send_buffer(request: web.Request, size: int | None) -> None:
    """Bound what the kernel buffers for this socket, so a stalled reader shows up in our own
    bounded queue within ~size bytes instead of after megabytes of autotuned buffer."""
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport is not None and size else None
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)


async def _serve(request: web.Request, conn: Connection) -> None:
    hub = request.app[LIVE_HUB]
    settings = request.app[LIVE_SETTINGS]
    ws = conn.ws
    loop = asyncio.get_running_loop()
    guard = FloodGuard(settings.flood, loop.time())
    chat_bucket = TokenBucket(settings.chat_rate, settings.chat_burst, loop.time())
    auth_deadline = loop.time() + settings.auth_timeout
    while not conn.closing:
        if conn.user_id is None:
            # An absolute deadline around the whole receive: aiohttp's own receive timeout
            # restarts on every ping/pong frame, which let a pinging client stay unauthenticated.
            try:
                async with asyncio.timeout_at(auth_deadline):
                    frame = await ws.receive()
            except TimeoutError:
                conn.send(messages.error(ErrorCode.AUTH_REQUIRED, "no auth message in time"))
                conn.close(CloseCode.AUTH_TIMEOUT)
                return
        else:
            frame = await ws.receive()
        if frame.type in _ENDS:
            return
        now = loop.time()
        verdict = guard.check(now)
        if verdict is Verdict.CLOSE:
            log.info("live: closing flooding connection of %s", conn.participant_id)
            hub.kick_flood(conn)
            return
        if verdict is Verdict.DROP_AND_WARN:
            conn.send(messages.error(ErrorCode.RATE_LIMITED, "too many messages; slow down (excess is dropped)"))
        if verdict is not Verdict.ACCEPT:
            continue
        if frame.type is not WSMsgType.TEXT:
            conn.send(messages.error(ErrorCode.BAD_MESSAGE, "only JSON text frames are accepted"))
            continue
        try:
            msg = parse_message(frame.data)
        except ProtocolError as exc:
            conn.send(messages.error(exc.code, exc.message, exc.request_id))
            continue
        if isinstance(msg, Chat) and not chat_bucket.take(now):
            conn.send(messages.error(ErrorCode.RATE_LIMITED, "too many chat messages", msg.id))
            continue
        await _dispatch(request, conn, msg)


async def _dispatch(request: web.Request, conn: Connection, msg: ClientMessage) -> None:
    hub = request.app[LIVE_HUB]
    if isinstance(msg, Ping):
        conn.send(messages.pong(msg.id))
    elif isinstance(msg, Auth):
        if conn.user_id is not None:
            conn.send(messages.error(ErrorCode.ALREADY_AUTHENTICATED, "already authenticated", msg.id))
            return
        try:
            identity = await hub.backend.authenticate(msg.token)
        except Rejected as exc:
            conn.send(messages.error(ErrorCode.AUTH_FAILED, str(exc), msg.id))
            conn.close(CloseCode.AUTH_FAILED)
            return
        if conn.closing:
            return
        pid = hub.attach(conn, identity, msg.token, msg.device)
        if pid is None:  # stays unauthenticated: it may retry until the auth deadline
            conn.send(messages.error(ErrorCode.TOO_MANY_SESSIONS,
                                     "this account already holds the maximum number of live sessions", msg.id))
            return
        conn.send(messages.authenticated(identity.user_id, identity.username, pid, msg.device, msg.id))
    elif conn.user_id is None:
        conn.send(messages.error(ErrorCode.AUTH_REQUIRED, "send auth first", msg.id))
    else:
        try:
            await hub.handle(conn, msg)
        except Exception:
            log.exception("live: %s failed", type(msg).__name__)
            conn.send(messages.error(ErrorCode.INTERNAL, "internal error", msg.id))
