"""Positions batching (counted), chat persistence and broadcast, and room isolation."""

from __future__ import annotations

import asyncio
import statistics
import time

from live_support import Live


async def test_moves_are_coalesced_into_batches_of_at_most_one_per_50ms(live: Live) -> None:
    users = [await live.api.user(n) for n in ("alice", "bob", "carol", "dave")]
    room = await live.api.room(users[0], *users[1:], width=20, height=20)
    clients = [(await live.join(u, room))[0] for u in users]
    for c in clients:
        await c.quiet(0.2)  # member_joined noise
    watcher, movers = clients[0], clients[1:]

    # three members each move at 30 Hz for one second: 90 moves
    async def walk(c: object, offset: float) -> None:
        for i in range(30):
            await c.send(type="move", x=offset + i * 0.1, y=5.0, heading=i * 12.0)  # type: ignore[attr-defined]
            await asyncio.sleep(1 / 30)

    t0 = time.monotonic()
    await asyncio.gather(*(walk(c, 2.0 + k) for k, c in enumerate(movers)))
    duration = time.monotonic() - t0
    got = await watcher.quiet(0.3)
    batches = [m for m in got if m["type"] == "positions"]
    assert all(m["type"] == "positions" for m in got)
    # at most one batch per 50 ms (+1 for the window edges), far fewer than 90 moves
    assert 5 <= len(batches) <= duration / 0.05 + 2, (len(batches), duration)
    times = [t for t, m in watcher.log if m["type"] == "positions"]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert statistics.median(gaps) > 0.04, gaps  # spaced ~50 ms apart (median: robust to client stalls)
    final = {}
    for b in batches:
        for p in b["positions"]:
            assert set(p) == {"id", "x", "y", "heading"}
            final[p["id"]] = (p["x"], p["y"], p["heading"])
    for k, u in enumerate(users[1:]):
        assert final[u.id] == (round(2.0 + k + 2.9, 3), 5.0, 348.0)
    # the media plane got every accepted pose
    assert len(live.plane.named("set_pose")) >= 90


async def test_a_burst_of_moves_becomes_one_batch_with_the_latest_position(live: Live) -> None:
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room = await live.api.room(alice, bob)
    a, _ = await live.join(alice, room)
    b, _ = await live.join(bob, room)
    await a.expect("member_joined")
    await asyncio.sleep(0.1)
    for i in range(10):
        await b.send(type="move", x=1.0 + i, y=2.0, heading=-90 - i)
    got = await a.quiet(0.4)
    batches = [m for m in got if m["type"] == "positions"]
    assert 1 <= len(batches) <= 3  # 10 moves, sent within a few ms (3 only if this client stalls)
    assert batches[-1]["positions"] == [{"id": bob.id, "x": 10.0, "y": 2.0, "heading": 261.0}]
    # an unchanged position is not re-sent
    await b.send(type="move", x=10.0, y=2.0, heading=261.0)
    assert await a.quiet(0.2) == []


async def test_heading_is_normalised(live: Live) -> None:
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
    a, _ = await live.join(alice, room)
    for heading, expected in ((720.5, 0.5), (-30, 330.0), (360, 0.0), (-1e-20, 0.0)):
        await a.send(type="move", x=3, y=4, heading=heading)
        batch = await a.expect("positions")
        assert batch["positions"][0]["heading"] == expected
        await a.send(type="move", x=3.5, y=4, heading=0)
        await a.expect("positions")
    assert live.plane.named("set_pose")[-2].args[4] == 0.0


async def test_chat_is_persisted_like_rest_chat_and_broadcast_to_the_room(live: Live) -> None:
    alice, bob, carol = [await live.api.user(n) for n in ("alice", "bob", "carol")]
    room = await live.api.room(alice, bob, carol)
    other_room = await live.api.room(carol)
    a, _ = await live.join(alice, room)
    b, _ = await live.join(bob, room)
    c, _ = await live.join(carol, other_room)
    await a.expect("member_joined")
    await a.send(type="chat", text="hello 👋 room", id="c1")
    for client in (a, b):
        msg = await client.expect("chat")
        assert msg["message"]["text"] == "hello 👋 room"
        assert msg["message"]["author"] == {"id": alice.id, "username": "alice"}
        assert msg["message"]["room_id"] == room
    resp = await live.client.get(f"/api/rooms/{room}/messages", headers=bob.auth)
    items = (await resp.json())["messages"]
    assert [m["text"] for m in items] == ["hello 👋 room"]
    assert items[0] == msg["message"]
    # REST chat and WS chat are one history
    resp = await live.client.post(f"/api/rooms/{room}/messages", json={"text": "via rest"}, headers=bob.auth)
    assert resp.status == 201
    # nothing crosses into another room
    await c.send(type="move", x=1, y=1, heading=0)
    await c.send(type="chat", text="other room", id="c2")
    assert (await c.expect("chat"))["message"]["text"] == "other room"
    seen = [m["type"] for m in await a.quiet(0.3) + await b.quiet(0.01)]
    assert "chat" not in seen and "positions" not in seen


async def test_chat_rules_match_rest(live: Live) -> None:
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
    a, _ = await live.join(alice, room)
    await a.send(type="chat", text="x" * 2001, id=1)
    assert (await a.expect("error"))["code"] == "invalid_field"
    await a.send(type="chat", text="   ", id=2)
    assert (await a.expect("error", id=2))["code"] == "invalid_field"
    await a.send(type="chat", text="x" * 2000, id=3)
    assert len((await a.expect("chat"))["message"]["text"]) == 2000
