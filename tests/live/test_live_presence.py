"""Presence over real WebSockets: join snapshot, joins/leaves broadcast, hand-over, capacity."""

from __future__ import annotations

from live_support import Live

from web.live.codes import CloseCode


async def test_join_snapshot_and_presence_broadcasts(live: Live) -> None:
    alice, bob, carol = [await live.api.user(n) for n in ("alice", "bob", "carol")]
    room = await live.api.room(alice, bob, carol, width=12, height=8)
    a, joined_a = await live.join(alice, room)
    assert joined_a["id"] == "j" and joined_a["you"] == alice.id
    assert joined_a["room"]["id"] == room and joined_a["room"]["width"] == 12 and joined_a["room"]["height"] == 8
    assert [m["id"] for m in joined_a["members"]] == [alice.id]
    assert joined_a["ice_servers"] == [{"urls": ["stun:stun.example.org:3478"]},
                                       {"urls": ["turn:turn.example.org"], "username": "u", "credential": "p"}]
    b, joined_b = await live.join(bob, room)
    members = {m["id"]: m for m in joined_b["members"]}
    assert set(members) == {alice.id, bob.id}
    for m in members.values():
        assert 0 <= m["x"] <= 12 and 0 <= m["y"] <= 8 and m["heading"] == 0 and m["muted"] is False
    assert members[alice.id]["username"] == "alice"
    joined_msg = await a.expect("member_joined")
    assert joined_msg["member"] == members[bob.id]
    c, _ = await live.join(carol, room)
    assert (await a.expect("member_joined"))["member"]["id"] == carol.id
    assert (await b.expect("member_joined"))["member"]["id"] == carol.id
    await c.send(type="leave", id=7)
    assert (await c.expect("left"))["id"] == 7
    for other in (a, b):
        assert await other.expect("member_left") == {"type": "member_left", "user": carol.id, "reason": "left"}
    assert sorted(live.hub.room_members(room)) == sorted([alice.id, bob.id])
    # carol's socket stays usable after leaving
    await c.send(type="ping", id="p")
    assert (await c.expect("pong"))["id"] == "p"
    assert live.plane.named("close_session")[-1].args == (room, carol.id)


async def test_only_members_join_and_non_members_learn_nothing(live: Live) -> None:
    alice, mallory = await live.api.user("alice"), await live.api.user("mallory")
    room = await live.api.room(alice)
    a, _ = await live.join(alice, room)
    m = await live.connect(mallory)
    await m.send(type="join", room=room, id=1)
    assert await m.expect("error") == {"type": "error", "id": 1, "code": "room_not_found", "message": "no such room"}
    await m.send(type="join", room="0123456789abcdef", id=2)
    err = await m.expect("error")
    assert err["code"] == "room_not_found" and err["id"] == 2
    await m.send(type="move", x=1, y=1, heading=0, id=3)
    assert (await m.expect("error"))["code"] == "not_in_room"
    assert live.hub.room_members(room) == [alice.id]
    assert [x for x in await a.quiet(0.2) if x["type"] != "positions"] == []


async def test_capacity_is_enforced(live: Live) -> None:
    users = [await live.api.user(n) for n in ("alice", "bob", "carol")]
    room = await live.api.room(users[0], *users[1:], max_participants=2)
    await live.join(users[0], room)
    await live.join(users[1], room)
    c = await live.connect(users[2])
    await c.send(type="join", room=room, id="x")
    err = await c.expect("error")
    assert err["code"] == "room_full" and err["id"] == "x"
    assert len(live.hub.room_members(room)) == 2


async def test_second_connection_replaces_the_first(live: Live) -> None:
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room = await live.api.room(alice, bob)
    b, _ = await live.join(bob, room)
    a1, _ = await live.join(alice, room)
    await b.expect("member_joined")
    a2 = await live.connect(await live.api.login("alice"))
    assert await a1.wait_closed() == CloseCode.REPLACED
    assert a1.close_reason == "replaced"
    assert await b.expect("member_left") == {"type": "member_left", "user": alice.id, "reason": "replaced"}
    await a2.send(type="join", room=room)
    joined = await a2.expect("joined")
    assert {m["id"] for m in joined["members"]} == {alice.id, bob.id}
    assert (await b.expect("member_joined"))["member"]["id"] == alice.id
    assert live.hub.session_count() == 2


async def test_reconnect_after_a_client_closes(live: Live) -> None:
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room = await live.api.room(alice, bob)
    a, _ = await live.join(alice, room)
    b, _ = await live.join(bob, room)
    await a.expect("member_joined")
    await b.close()
    assert await a.expect("member_left") == {"type": "member_left", "user": bob.id, "reason": "disconnected"}
    b2, joined = await live.join(bob, room)
    assert {m["id"] for m in joined["members"]} == {alice.id, bob.id}
    assert (await a.expect("member_joined"))["member"]["id"] == bob.id


async def test_dropped_socket_is_detected_by_heartbeat(make_live: object) -> None:
    live = await make_live(heartbeat=1.0)  # type: ignore[operator]
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room = await live.api.room(alice, bob)
    a, _ = await live.join(alice, room)
    # bob's client never answers pings: like a laptop lid closed or a cable pulled
    b = await live.connect(bob, autoping=False)
    await b.send(type="join", room=room)
    await a.expect("member_joined")
    b._reader.cancel()  # noqa: SLF001 - stop reading entirely
    import time

    t0 = time.monotonic()
    left = await a.expect("member_left", timeout=10)
    assert left == {"type": "member_left", "user": bob.id, "reason": "disconnected"}
    assert time.monotonic() - t0 < 5.0
    assert live.hub.session_count() == 1


async def test_the_socket_lives_under_the_path_prefix(make_live: object) -> None:
    live = await make_live({"path_prefix": "/hubbub"})  # type: ignore[operator]
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
    a, joined = await live.join(alice, room)
    assert joined["room"]["id"] == room
    resp = await live.client.get("/ws")
    assert resp.status == 404
