"""Room settings reach live rooms: the room's acoustics go to the media plane with every offer,
and a host's PATCH retunes a live room's mix and is broadcast as `room_updated` to its members only."""

from __future__ import annotations

from live_support import Live

from mixer import Acoustics

OFFER = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
DEFAULT_JSON = {"distance_model": "inverse", "ref_distance": 2.0, "max_distance": 25.0, "rolloff": 1.5,
                "audible_radius": 25.0}


async def _patch(live: Live, room: str, token: dict[str, str], body: dict[str, object]) -> int:
    resp = await live.client.patch(f"/api/rooms/{room}", json=body, headers=token)
    return resp.status


async def test_joined_room_carries_acoustics_and_offers_pass_them_to_the_plane(live: Live) -> None:
    alice = await live.api.user("alice")
    room = await live.api.room(alice, acoustics={"distance_model": "linear", "max_distance": 12})
    a, joined = await live.join(alice, room)
    assert joined["room"]["acoustics"] == {**DEFAULT_JSON, "distance_model": "linear", "max_distance": 12.0}
    assert joined["room"]["description"] == ""
    await a.send(type="offer", sdp=OFFER, id="o")
    await a.expect("answer")
    opened = live.plane.named("open_session")[0]
    assert opened.kwargs["acoustics"] == Acoustics(distance_model="linear", max_distance=12.0)


async def test_patch_retunes_a_live_room_and_tells_its_members(live: Live) -> None:
    alice, bob, carol = [await live.api.user(n) for n in ("alice", "bob", "carol")]
    room = await live.api.room(alice, bob, carol, max_participants=5)
    other = await live.api.room(carol)
    a, _ = await live.join(alice, room)
    b, _ = await live.join(bob, room)
    c, _ = await live.join(carol, other)  # a live member of another room hears nothing of this one
    await a.expect("member_joined")
    status = await _patch(live, room, alice.auth, {"name": "den", "description": "quiet corner",
                                                    "max_participants": 2,
                                                    "acoustics": {"rolloff": 3, "audible_radius": 10}})
    assert status == 200
    expected = Acoustics(rolloff=3.0, audible_radius=10.0)
    for client in (a, b):
        msg = await client.expect("room_updated")
        assert msg["room"] == {"id": room, "name": "den", "description": "quiet corner", "width": 20.0, "height": 20.0,
                               "max_participants": 2, "host_id": alice.id,
                               "acoustics": {**DEFAULT_JSON, "rolloff": 3.0, "audible_radius": 10.0}}
    assert [call.args for call in live.plane.named("set_acoustics")] == [(room, expected)]
    assert [m for m in await c.quiet(0.2) if m["type"] == "room_updated"] == []
    # the new capacity holds for later joins; nobody present is removed
    c2 = await live.connect(carol)
    await c2.send(type="join", room=room, id="full")
    assert (await c2.expect("error"))["code"] == "room_full"
    assert sorted(live.hub.room_members(room)) == sorted([alice.id, bob.id])
    # later offers carry the new acoustics; the room object a newcomer sees is the new one
    await a.send(type="offer", sdp=OFFER, id="o")
    await a.expect("answer")
    assert live.plane.named("open_session")[-1].kwargs["acoustics"] == expected
    await b.send(type="leave")
    await b.expect("left")
    _, joined = await live.join(await live.api.login("carol"), room)
    assert joined["room"]["name"] == "den" and joined["room"]["acoustics"]["rolloff"] == 3.0


async def test_a_change_without_new_acoustics_leaves_the_mix_alone(live: Live) -> None:
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
    a, _ = await live.join(alice, room)
    assert await _patch(live, room, alice.auth, {"name": "renamed"}) == 200
    msg = await a.expect("room_updated")
    assert msg["room"]["name"] == "renamed" and msg["room"]["acoustics"] == DEFAULT_JSON
    assert live.plane.named("set_acoustics") == []


async def test_updating_a_room_nobody_is_in_touches_no_live_state(live: Live) -> None:
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room, quiet_room = await live.api.room(alice, bob), await live.api.room(alice)
    b, _ = await live.join(bob, room)
    assert await _patch(live, quiet_room, alice.auth, {"acoustics": {"rolloff": 4}}) == 200
    assert live.plane.named("set_acoustics") == []
    assert [m for m in await b.quiet(0.2) if m["type"] == "room_updated"] == []
    # and a non-host cannot change a live room: no broadcast either
    assert await _patch(live, room, bob.auth, {"name": "mine"}) == 403
    assert [m for m in await b.quiet(0.1) if m["type"] == "room_updated"] == []
