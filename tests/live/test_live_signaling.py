"""Signaling reaches the media plane through its narrow interface (a test double here), and the
plane's speaking levels come back as batched `speaking` messages."""

from __future__ import annotations

import asyncio

from live_support import Activity, Live

from mixer import Acoustics

OFFER = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"


async def test_offer_answer_ice_mute_and_mix_reach_the_plane(live: Live) -> None:
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room = await live.api.room(alice, bob, width=10, height=10)
    a, joined = await live.join(alice, room)
    b, _ = await live.join(bob, room)
    me = next(m for m in joined["members"] if m["id"] == alice.id)
    assert live.plane.named("set_pose")[0].args == (room, alice.id, me["x"], me["y"], 0.0)
    await a.send(type="move", x=2.5, y=7.0, heading=450)
    await a.send(type="offer", sdp=OFFER, id="o1")
    answer = await a.expect("answer")
    assert answer == {"type": "answer", "id": "o1", "sdp": f"v=0\r\no=answer-for-{alice.id}\r\n"}
    assert await a.expect("ice") == {"type": "ice", "candidate": None, "sdp_mid": None, "sdp_mline_index": None}
    opened = live.plane.named("open_session")[0]
    assert opened.args == (room, alice.id, OFFER) and opened.kwargs == {"x": 2.5, "y": 7.0, "heading": 90.0,
                                                                        "acoustics": Acoustics()}
    await a.send(type="ice", candidate="candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host", sdp_mid="0",
                 sdp_mline_index=0)
    await a.send(type="ice", candidate=None)
    await a.send(type="ping", id="sync")
    await a.expect("pong")
    assert [c.args[2:] for c in live.plane.named("add_ice_candidate")] == [
        ("candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host", "0", 0), (None, None, None)]
    # mute self: the plane and everyone in the room hear of it
    await a.send(type="mute", muted=True)
    assert await b.expect("member_muted") == {"type": "member_muted", "user": alice.id, "muted": True}
    assert await a.expect("member_muted") == {"type": "member_muted", "user": alice.id, "muted": True}
    assert live.plane.named("set_muted")[-1].args == (room, alice.id, True)
    # per-listener mix of another member
    await a.send(type="mix", user=bob.id, volume=0.5)
    await a.send(type="mix", user=bob.id, muted=True)
    await a.send(type="mix", user=alice.id, muted=True, id="self")
    assert (await a.expect("error"))["code"] == "unknown_member"
    prefs = live.plane.named("set_preference")
    assert [(p.args, p.kwargs) for p in prefs] == [
        ((room, alice.id, bob.id), {"muted": None, "gain": 0.5}),
        ((room, alice.id, bob.id), {"muted": True, "gain": None})]
    # a late joiner sees the mute state
    carol = await live.api.user("carol")
    resp = await live.client.post(f"/api/rooms/{room}/members", json={"username": "carol"}, headers=alice.auth)
    assert resp.status == 201
    _, joined_c = await live.join(carol, room)
    assert {m["id"]: m["muted"] for m in joined_c["members"]}[alice.id] is True
    # leaving closes the media session
    await a.send(type="leave")
    await a.expect("left")
    assert live.plane.named("close_session")[-1].args == (room, alice.id)


async def test_a_bad_offer_is_an_error_and_media_needs_a_room(live: Live) -> None:
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
    a = await live.connect(alice)
    await a.send(type="offer", sdp=OFFER, id=1)
    assert (await a.expect("error"))["code"] == "not_in_room"
    await a.send(type="ice", candidate=None, id=2)
    assert (await a.expect("error"))["code"] == "not_in_room"
    await a.send(type="join", room=room)
    await a.expect("joined")
    await a.send(type="offer", sdp="hello", id=3)
    err = await a.expect("error")
    assert (err["code"], err["id"]) == ("media_error", 3)
    await a.send(type="ping", id=4)
    assert (await a.expect("pong"))["id"] == 4


async def test_speaking_levels_are_batched_and_only_sent_on_change(live: Live) -> None:
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room = await live.api.room(alice, bob)
    a, _ = await live.join(alice, room)
    b, _ = await live.join(bob, room)
    await a.expect("member_joined")
    plane = live.plane
    # 0.6 s of 20 ms ticks: alice talks (level wobbling < 3 dB), then stops
    for tick in range(30):
        talking = tick < 20
        level = -20.0 + (tick % 3) * 0.5 if talking else -90.0
        plane.on_activity(room, {alice.id: Activity(level, talking), bob.id: Activity(-95.0, False)})
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)
    speaking = [m for m in b.drain() if m["type"] == "speaking"]
    assert [[(e["id"], e["speaking"]) for e in m["levels"]] for m in speaking] == [
        [(alice.id, True)], [(alice.id, False)]]
    assert speaking[0]["levels"][0]["level"] == -20.0
    # other rooms' activity never reaches this room
    plane.on_activity("some-other-room", {alice.id: Activity(-10.0, True)})
    await asyncio.sleep(0.25)
    assert [m for m in b.drain() if m["type"] == "speaking"] == []
    # a step of >= 3 dB while speaking is sent; messages are at least 150 ms apart
    start = len(b.log)
    for level in (-30.0, -24.0, -18.0, -12.0):
        plane.on_activity(room, {alice.id: Activity(level, True)})
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    levels = [m["levels"][0]["level"] for _, m in b.log[start:] if m["type"] == "speaking"]
    # four 6 dB steps within 200 ms: the 150 ms spacing lets at most three through
    assert 2 <= len(levels) <= 3 and levels[0] == -30.0 and levels[-1] == -12.0, levels


async def test_media_closed_by_the_plane_is_reported_to_that_participant(live: Live) -> None:
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room = await live.api.room(alice, bob)
    a, _ = await live.join(alice, room)
    b, _ = await live.join(bob, room)

    class Reason:
        value = "ice_failed"

    live.plane.on_closed(room, alice.id, Reason())
    assert await a.expect("media_closed") == {"type": "media_closed", "reason": "ice_failed"}
    assert [m for m in await b.quiet(0.2) if m["type"] == "media_closed"] == []
