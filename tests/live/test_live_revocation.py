"""REST changes end live sessions: member removal, password change, API key revocation; and
server shutdown closes every socket with GOING_AWAY."""

from __future__ import annotations

import asyncio

from live_support import Live, MakeLive

from web.live.codes import CloseCode
from web.live.hub import HubSettings


async def test_removing_a_member_kicks_their_live_session(live: Live) -> None:
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room = await live.api.room(alice, bob)
    a, _ = await live.join(alice, room)
    b, _ = await live.join(bob, room)
    await a.expect("member_joined")
    resp = await live.client.delete(f"/api/rooms/{room}/members/bob", headers=alice.auth)
    assert resp.status == 200
    assert await b.wait_closed() == CloseCode.REMOVED
    assert b.close_reason == "removed from room"
    assert await a.expect("member_left") == {"type": "member_left", "user": bob.id, "reason": "removed"}
    assert live.hub.room_members(room) == [alice.id]
    assert live.plane.named("close_session")[-1].args == (room, bob.id)
    # and bob cannot come back
    b2 = await live.connect(bob)
    await b2.send(type="join", room=room, id=1)
    assert (await b2.expect("error"))["code"] == "room_not_found"


async def test_removal_from_another_room_leaves_the_session_alone(live: Live) -> None:
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room, other = await live.api.room(alice, bob), await live.api.room(alice, bob)
    b, _ = await live.join(bob, room)
    resp = await live.client.post(f"/api/rooms/{other}/leave", headers=bob.auth)
    assert resp.status == 200
    await b.send(type="ping", id=1)
    assert (await b.expect("pong"))["id"] == 1
    assert live.hub.room_members(room) == [bob.id]


async def test_password_change_closes_sessions_of_older_tokens(live: Live) -> None:
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room = await live.api.room(alice, bob)
    a, _ = await live.join(alice, room)
    b, _ = await live.join(bob, room)
    await a.expect("member_joined")
    resp = await live.client.post("/api/me/password", headers=bob.auth,
                                  json={"old_password": "correct horse battery", "new_password": "a new long password"})
    assert resp.status == 200, await resp.text()
    assert await b.wait_closed() == CloseCode.REVOKED
    assert b.close_reason == "credentials revoked"
    assert (await a.expect("member_left"))["user"] == bob.id
    assert not a.closed.is_set()


async def test_revoking_the_api_key_of_a_session_closes_only_that_session(live: Live) -> None:
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
    keys = []
    for name in ("bot", "other"):
        resp = await live.client.post("/api/me/api-keys", json={"name": name}, headers=alice.auth)
        body = await resp.json()
        keys.append((body["api_key"]["id"], body["key"]))
    c = await live.connect()
    await c.send(type="auth", token=keys[0][1])
    await c.expect("authenticated")
    await c.send(type="join", room=room)
    await c.expect("joined")
    # revoking an unrelated key leaves the session up
    resp = await live.client.delete(f"/api/me/api-keys/{keys[1][0]}", headers=alice.auth)
    assert resp.status in (200, 204)
    await c.send(type="ping", id=1)
    assert (await c.expect("pong"))["id"] == 1
    resp = await live.client.delete(f"/api/me/api-keys/{keys[0][0]}", headers=alice.auth)
    assert resp.status in (200, 204)
    assert await c.wait_closed() == CloseCode.REVOKED
    assert live.hub.session_count() == 0


async def test_health_counts_live_sessions(live: Live) -> None:
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    await live.connect(alice)
    await live.connect(bob)
    await live.connect()  # unauthenticated: not a session
    body = await (await live.client.get("/health")).json()
    assert body["sessions"] == 2, body


async def test_shutdown_closes_every_socket_with_going_away(live: Live) -> None:
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
    a, _ = await live.join(alice, room)
    anon = await live.connect()
    plane = live.plane
    await live.client.server.close()
    assert await a.wait_closed() == CloseCode.GOING_AWAY
    assert await anon.wait_closed() == CloseCode.GOING_AWAY
    assert plane.closed


async def test_deleting_the_room_closes_every_live_session_in_it(live: Live) -> None:
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room = await live.api.room(alice, bob)
    a, _ = await live.join(alice, room)
    b, _ = await live.join(bob, room)
    resp = await live.client.delete(f"/api/rooms/{room}", headers=alice.auth)
    assert resp.status == 204
    assert await a.wait_closed() == CloseCode.REMOVED
    assert await b.wait_closed() == CloseCode.REMOVED
    assert live.hub.room_members(room) == []


async def test_a_removal_while_the_join_is_being_checked_refuses_the_join(live: Live) -> None:
    import asyncio
    from typing import Any

    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room = await live.api.room(alice, bob)
    real = live.hub.backend
    looked_up, go_on = asyncio.Event(), asyncio.Event()

    class SlowLookup:  # the real backend, with the membership lookup held open
        async def room_for_member(self, room_id: str, user_id: str) -> Any:
            info = await real.room_for_member(room_id, user_id)
            looked_up.set()
            await go_on.wait()
            return info

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    live.hub.backend = SlowLookup()  # type: ignore[assignment]
    b = await live.connect(bob)
    await b.send(type="join", room=room, id="j")
    await looked_up.wait()
    resp = await live.client.delete(f"/api/rooms/{room}/members/bob", headers=alice.auth)
    assert resp.status == 200
    go_on.set()
    err = await b.expect("error")
    assert (err["code"], err["id"]) == ("room_not_found", "j")
    assert live.hub.room_members(room) == []


async def test_shutdown_cancels_a_media_close_that_outlives_its_grace(make_live: MakeLive) -> None:
    """A media close that hangs must not outlive the server: after the grace it is cancelled."""
    live = await make_live(hub=HubSettings(shutdown_grace=0.2))
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
    await live.join(alice, room)
    closing, cancelled = asyncio.Event(), asyncio.Event()

    async def hanging_close(room_id: str, participant_id: str) -> None:
        closing.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    live.plane.close_session = hanging_close  # type: ignore[method-assign]
    await live.client.server.close()
    assert closing.is_set()
    await asyncio.wait_for(cancelled.wait(), 1.0)
