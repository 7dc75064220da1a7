"""A client that stops reading is disconnected with SLOW_CONSUMER and never stalls the room."""

from __future__ import annotations

import json
import socket
import time

import aiohttp
from live_support import MakeLive, WsClient

from web.live.codes import CloseCode
from web.live.ratelimit import FloodPolicy


def _small_rcvbuf_socket(addr_info: tuple) -> socket.socket:  # type: ignore[type-arg]
    family, type_, proto, _, _ = addr_info
    sock = socket.socket(family=family, type=type_, proto=proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


async def test_slow_reader_is_disconnected_and_the_room_keeps_flowing(make_live: MakeLive) -> None:
    live = await make_live(queue_limit=16, send_buffer_bytes=16 * 1024, chat_rate=1000.0, chat_burst=1000.0,
                           flood=FloodPolicy(rate=1000, burst=1000))
    alice, bob, slow = [await live.api.user(n) for n in ("alice", "bob", "slowpoke")]
    room = await live.api.room(alice, bob, slow)
    a, _ = await live.join(alice, room)
    b, _ = await live.join(bob, room)

    connector = aiohttp.TCPConnector(socket_factory=_small_rcvbuf_socket)
    async with aiohttp.ClientSession(connector=connector) as session:
        ws = await session.ws_connect(live.client.make_url("/ws"))
        await ws.send_str(json.dumps({"type": "auth", "token": slow.token}))
        assert json.loads((await ws.receive()).data)["type"] == "authenticated"
        await ws.send_str(json.dumps({"type": "join", "room": room}))
        assert json.loads((await ws.receive()).data)["type"] == "joined"
        # ...and from now on the slow client reads nothing

        text = "🐢" * 2000  # 8 KB per chat message once encoded
        sent = 0
        t0 = time.monotonic()
        left = None
        while left is None and sent < 300:
            await a.send(type="chat", text=text)
            sent += 1
            await b.expect("chat")  # the room keeps flowing for everyone else
            for msg in b.drain():
                if msg["type"] == "member_left":
                    left = msg
            if left is None and slow.id not in live.hub.room_members(room):
                left = await b.expect("member_left")
        assert left == {"type": "member_left", "user": slow.id, "reason": "disconnected"}, sent
        print("chats until disconnect:", sent, "in", round(time.monotonic() - t0, 2), "s")
        assert sent < 250 and time.monotonic() - t0 < 20
        assert live.hub.room_members(room) == [alice.id, bob.id] or set(live.hub.room_members(room)) == {
            alice.id, bob.id}
        # once it reads again it finds its backlog cut off by the close code
        reader = WsClient(ws, "slow")
        assert await reader.wait_closed(10) == CloseCode.SLOW_CONSUMER
        assert reader.close_reason == "too slow"
        chats = [m for _, m in reader.log if m["type"] == "chat"]
        assert len(chats) < sent
    # the others were never held up
    await a.send(type="chat", text="still here", id="z")
    assert (await b.expect("chat"))["message"]["text"] == "still here"
