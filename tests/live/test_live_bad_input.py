"""Every class of bad input gets an `error` (code, message, request id) and the socket stays up;
floods are dropped with one error and repeated abuse closes the socket."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
from live_support import Live, MakeLive

from web.live.codes import CloseCode

PROTOCOL_DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")


async def _alive(c: object) -> None:
    await c.send(type="ping", id="alive?")  # type: ignore[attr-defined]
    pong = await c.expect("pong")  # type: ignore[attr-defined]
    assert pong["id"] == "alive?" and isinstance(pong["time"], int)


BAD = [
    ("{not json", "invalid_json", None),
    ("[1, 2]", "bad_message", None),
    ('{"id": 1}', "missing_field", 1),
    ('{"type": "teleport", "id": 2}', "unknown_type", 2),
    ('{"type": 5, "id": 3}', "unknown_type", 3),
    ('{"type": "move", "x": 1, "y": 1, "id": 4}', "missing_field", 4),
    ('{"type": "move", "x": 1, "y": 1, "heading": 0, "z": 9, "id": 5}', "unknown_field", 5),
    ('{"type": "move", "x": "1", "y": 1, "heading": 0, "id": 6}', "invalid_field", 6),
    ('{"type": "move", "x": true, "y": 1, "heading": 0, "id": 7}', "invalid_field", 7),
    ('{"type": "move", "x": NaN, "y": 1, "heading": 0, "id": 8}', "invalid_field", None),
    ('{"type": "move", "x": 1, "y": Infinity, "heading": 0, "id": 9}', "invalid_field", None),
    ('{"type": "move", "x": 1, "y": 1, "heading": -Infinity, "id": 10}', "invalid_field", None),
    ('{"type": "move", "x": 1e999, "y": 1, "heading": 0, "id": 11}', "invalid_field", 11),
    ('{"type": "move", "x": -0.5, "y": 1, "heading": 0, "id": 12}', "out_of_bounds", 12),
    ('{"type": "move", "x": 1, "y": 8.01, "heading": 0, "id": 13}', "out_of_bounds", 13),
    ('{"type": "mute", "muted": "yes", "id": 14}', "invalid_field", 14),
    ('{"type": "chat", "id": 15}', "missing_field", 15),
    ('{"type": "chat", "text": ["hi"], "id": 16}', "invalid_field", 16),
    ('{"type": "mix", "user": "x", "id": 17}', "missing_field", 17),
    ('{"type": "mix", "user": "x", "volume": 9, "id": 18}', "invalid_field", 18),
    ('{"type": "join", "room": 42, "id": 19}', "invalid_field", 19),
    ('{"type": "ping", "id": {"nested": 1}}', "invalid_field", None),
    ('{"type": "auth", "token": "again", "id": 20}', "already_authenticated", 20),
    ('{"type": "ice", "sdp_mid": "0", "id": 21}', "missing_field", 21),
    ('{"type": "offer", "sdp": 7, "id": 22}', "invalid_field", 22),
    ('{"type": "mix", "user": "nobody", "muted": true, "id": 23}', "unknown_member", 23),
]


async def test_every_bad_input_class_gets_an_error_and_the_socket_survives(live: Live) -> None:
    alice = await live.api.user("alice")
    room = await live.api.room(alice, width=10, height=8)
    a, _ = await live.join(alice, room)
    for text, code, rid in BAD:
        await a.send_raw(text)
        err = await a.expect("error")
        assert (err["code"], err["id"]) == (code, rid), (text, err)
        assert isinstance(err["message"], str) and err["message"]
    # oversize: above the 32 KiB cap but under the frame limit
    await a.send_raw(json.dumps({"type": "chat", "text": "x" * 40_000, "id": "big"}))
    err = await a.expect("error")
    assert err["code"] == "too_large"
    await a.send_raw(json.dumps({"type": "offer", "sdp": "v=0" + "a" * 20_000, "id": "sdp"}))
    err = await a.expect("error")
    assert (err["code"], err["id"]) == ("invalid_field", "sdp")
    # binary frames are not part of the protocol
    await a.ws.send_bytes(b"\x00\x01")
    assert (await a.expect("error"))["code"] == "bad_message"
    await _alive(a)
    assert not a.closed.is_set() and live.hub.room_members(room) == [alice.id]


async def test_a_frame_above_the_hard_limit_closes_with_1009(live: Live) -> None:
    alice = await live.api.user("alice")
    a = await live.connect(alice)
    await a.send_raw("x" * (300 * 1024))
    assert await a.wait_closed() == CloseCode.MESSAGE_TOO_BIG


async def test_auth_is_required_first_and_times_out(live: Live) -> None:
    c = await live.connect()
    await c.send(type="join", room="r", id=1)
    err = await c.expect("error")
    assert (err["code"], err["id"]) == ("auth_required", 1)
    await c.send(type="ping", id=2)
    assert (await c.expect("pong"))["id"] == 2
    assert await c.wait_closed(3) == CloseCode.AUTH_TIMEOUT
    assert c.close_reason == "auth timeout"


async def test_a_bad_credential_is_refused_and_closed(live: Live) -> None:
    alice = await live.api.user("alice")
    for token in ("nonsense", alice.token[:-2] + "xx", "hbk_0123456789abcdef_" + "A" * 43):
        c = await live.connect()
        await c.send(type="auth", token=token, id="a")
        err = await c.expect("error")
        assert err["code"] == "auth_failed" and err["id"] == "a"
        assert token not in err["message"]
        assert await c.wait_closed() == CloseCode.AUTH_FAILED
    assert live.hub.session_count() == 0


async def test_an_api_key_authenticates(live: Live) -> None:
    alice = await live.api.user("alice")
    resp = await live.client.post("/api/me/api-keys", json={"name": "bot"}, headers=alice.auth)
    key = (await resp.json())["key"]
    c = await live.connect()
    await c.send(type="auth", token=key)
    msg = await c.expect("authenticated")
    assert msg["user"] == {"id": alice.id, "username": "alice"} and msg["protocol"] == 1


async def test_flood_is_dropped_with_one_error_then_abuse_closes(make_live: MakeLive) -> None:
    from web.live.ratelimit import FloodPolicy

    live = await make_live(flood=FloodPolicy(rate=20, burst=20, excess_burst=100, excess_rate=5))
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
    a, _ = await live.join(alice, room)
    for i in range(60):  # 18 accepted (burst of 20 minus auth and join), the rest dropped
        await a.send(type="ping", id=i)
    got = await a.quiet(0.5)
    pongs = [m for m in got if m["type"] == "pong"]
    errors = [m for m in got if m["type"] == "error"]
    assert 18 <= len(pongs) <= 30, len(pongs)  # + refill at 20/s while sending; most of 60 dropped
    assert [e["code"] for e in errors] == ["rate_limited"]
    await asyncio.sleep(0.5)
    await _alive(a)  # a client that slows down is fine again
    for i in range(400):  # keeps hammering: > 100 excess messages -> closed
        if a.ws.closed:
            break
        await a.send(type="move", x=1, y=1, heading=i)
    assert await a.wait_closed() == CloseCode.FLOOD
    assert a.close_reason == "rate limit exceeded"
    assert live.hub.room_members(room) == []


async def test_chat_has_its_own_rate_limit(make_live: MakeLive) -> None:
    live = await make_live(chat_rate=1.0, chat_burst=3.0)
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
    a, _ = await live.join(alice, room)
    for i in range(5):
        await a.send(type="chat", text=f"m{i}", id=i)
    got = await a.quiet(0.5)
    assert [m["message"]["text"] for m in got if m["type"] == "chat"] == ["m0", "m1", "m2"]
    assert [(m["code"], m["id"]) for m in got if m["type"] == "error"] == [("rate_limited", 3), ("rate_limited", 4)]


HOSTILE_JSON = [
    '{"type": "auth", "token": "\\ud800", "id": "s1"}',  # a lone high surrogate
    '{"type": "ping", "id": "\\udc00"}',  # a lone low surrogate, in the id
    '{"type": "ping", "\\ud800": 1}',  # ... in a key
    '{"type": "move", "x": ' + "1" * 5000 + ', "y": 1, "heading": 0}',  # past Python's 4,300-digit limit
    '{"type": "ping", "id": ' + "7" * 4301 + "}",
]


async def test_surrogates_and_huge_integers_are_errors_before_and_after_auth(live: Live) -> None:
    """Issue 13 defects 3 and 4: these crashed the reader (internal_error / close 1011)."""
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
    c = await live.connect()
    for text in HOSTILE_JSON:  # before auth: each gets an error, the socket stays
        await c.send_raw(text)
        err = await c.expect("error")
        assert (err["code"], err["id"]) == ("invalid_json", None), (text[:40], err)
    await c.send(type="auth", token=alice.token, id="a")
    assert (await c.expect("authenticated"))["id"] == "a"
    await c.send(type="join", room=room, id="j")
    await c.expect("joined")
    for text in [*HOSTILE_JSON, '{"type": "chat", "text": "hi \\udbff there"}']:
        await c.send_raw(text)
        err = await c.expect("error")
        assert err["code"] == "invalid_json", (text[:40], err)
    await _alive(c)
    assert not c.closed.is_set() and live.hub.room_members(room) == [alice.id]


async def test_the_auth_deadline_is_absolute_whatever_the_client_sends(live: Live) -> None:
    """Issue 13 defect 1: aiohttp restarts its receive timeout on every ping/pong frame, so a
    client that only pinged stayed connected forever without authenticating."""
    loop = asyncio.get_running_loop()
    for frame in ("ping", "pong", "json"):
        c = await live.connect()
        start = loop.time()
        while not c.closed.is_set() and loop.time() - start < 4.0:  # auth_timeout is 1 s here
            if frame == "ping":
                await c.ws.ping(b"still here")
            elif frame == "pong":
                await c.ws.pong(b"unsolicited")
            else:
                await c.send(type="ping")
            await asyncio.sleep(0.1)
        assert await c.wait_closed(1) == CloseCode.AUTH_TIMEOUT, frame
        assert loop.time() - start < 1.5, (frame, loop.time() - start)


async def test_invalid_utf8_in_a_text_frame_closes_with_the_documented_1007(live: Live) -> None:
    """Issue 13 defect 10: RFC 6455 (8.1) requires failing the connection on a text frame that
    is not UTF-8, so the server closes with 1007, a code docs/protocol.md now lists."""
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
    a, _ = await live.join(alice, room)
    await a.ws.send_frame(b'{"type": "chat", "text": "\xff\xfe"}', aiohttp.WSMsgType.TEXT)
    assert await a.wait_closed() == 1007
    assert CloseCode(1007).name == "INVALID_TEXT" and "| 1007 |" in PROTOCOL_DOC
    assert live.hub.room_members(room) == []
