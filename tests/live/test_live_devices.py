"""Several live sessions per account (bots sharing one API key): `auth.device` gives each session
its own participant id; only the same (user, device) replaces; removal and revocation reach
every session of the account; bad device labels are refused with the socket kept."""

from __future__ import annotations

import asyncio
import json

from live_support import Live, MakeLive

from web.live.codes import CloseCode
from web.live.hub import HubSettings


async def _alive(c: object) -> None:
    await c.send(type="ping", id="alive?")  # type: ignore[attr-defined]
    assert (await c.expect("pong"))["id"] == "alive?"  # type: ignore[attr-defined]


async def test_two_devices_of_one_user_are_both_present(live: Live) -> None:
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room = await live.api.room(bob, alice)
    b, _ = await live.join(bob, room)
    raw = await live.connect()
    await raw.send(type="auth", token=alice.token, device="bot-1", id="a1")
    assert await raw.expect("authenticated") == {
        "type": "authenticated", "id": "a1", "protocol": 1, "user": {"id": alice.id, "username": "alice"},
        "you": f"{alice.id}.bot-1", "device": "bot-1"}
    await raw.send(type="join", room=room, id="j")
    joined1 = await raw.expect("joined")
    bot1 = raw
    bot2, joined2 = await live.join(alice, room, device="bot-2")
    tab, joined3 = await live.join(alice, room)
    pid1, pid2 = f"{alice.id}.bot-1", f"{alice.id}.bot-2"
    assert (joined1["you"], joined2["you"], joined3["you"]) == (pid1, pid2, alice.id)
    members = {m["id"]: m for m in joined3["members"]}
    assert set(members) == {bob.id, pid1, pid2, alice.id}
    assert {k: members[pid2][k] for k in ("user", "device", "username")} == {
        "user": alice.id, "device": "bot-2", "username": "alice"}
    assert (members[alice.id]["user"], members[alice.id]["device"]) == (alice.id, None)
    assert (members[bob.id]["user"], members[bob.id]["device"]) == (bob.id, None)
    seen = [(await b.expect("member_joined"))["member"] for _ in range(3)]
    assert [(m["id"], m["user"], m["device"]) for m in seen] == [
        (pid1, alice.id, "bot-1"), (pid2, alice.id, "bot-2"), (alice.id, alice.id, None)]
    assert sorted(live.hub.room_members(room)) == sorted([bob.id, pid1, pid2, alice.id])
    assert live.hub.session_count() == 4
    # each session is its own voice: pose, mute and mix use participant ids
    assert {c.args[1] for c in live.plane.named("set_pose")} == {bob.id, pid1, pid2, alice.id}
    await bot1.send(type="mix", user=pid2, volume=0.5, id="m1")
    await bot1.send(type="mix", user=alice.id, muted=True, id="m2")
    await bot1.send(type="mix", user=pid1, muted=True, id="self")
    err = await bot1.expect("error")
    assert (err["code"], err["id"]) == ("unknown_member", "self")
    prefs = live.plane.named("set_preference")
    assert [(c.args, c.kwargs) for c in prefs] == [
        ((room, pid1, pid2), {"muted": None, "gain": 0.5}), ((room, pid1, alice.id), {"muted": True, "gain": None})]
    await bot2.send(type="mute", muted=True)
    assert await b.expect("member_muted") == {"type": "member_muted", "user": pid2, "muted": True}
    await bot2.send(type="move", x=3, y=4, heading=90)
    batch = await b.expect("positions")
    assert [p["id"] for p in batch["positions"]] == [pid2]
    await bot1.send(type="leave", id="l")
    await bot1.expect("left")
    assert await b.expect("member_left") == {"type": "member_left", "user": pid1, "reason": "left"}
    assert live.plane.named("close_session")[-1].args == (room, pid1)
    assert sorted(live.hub.room_members(room)) == sorted([bob.id, pid2, alice.id])
    await _alive(bot2)
    await _alive(tab)


async def test_capacity_counts_sessions_not_accounts(live: Live) -> None:
    alice = await live.api.user("alice")
    room = await live.api.room(alice, max_participants=2)
    await live.join(alice, room, device="bot-1")
    await live.join(alice, room, device="bot-2")
    c = await live.connect(alice, device="bot-3")
    await c.send(type="join", room=room, id="x")
    err = await c.expect("error")
    assert (err["code"], err["id"]) == ("room_full", "x")
    assert len(live.hub.room_members(room)) == 2


async def test_same_device_replaces_only_that_session(live: Live) -> None:
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room = await live.api.room(bob, alice)
    b, _ = await live.join(bob, room)
    old1, _ = await live.join(alice, room, device="bot-1")
    bot2, _ = await live.join(alice, room, device="bot-2")
    old_tab, _ = await live.join(alice, room)
    for _ in range(3):
        await b.expect("member_joined")
    new1, joined = await live.join(await live.api.login("alice"), room, device="bot-1")
    assert await old1.wait_closed() == CloseCode.REPLACED
    assert await b.expect("member_left") == {"type": "member_left", "user": f"{alice.id}.bot-1", "reason": "replaced"}
    assert joined["you"] == f"{alice.id}.bot-1"
    assert len(joined["members"]) == 4
    # a second tab without a device replaces the first tab only
    new_tab, _ = await live.join(alice, room)
    assert await old_tab.wait_closed() == CloseCode.REPLACED
    assert (await b.expect("member_left", reason="replaced"))["user"] == alice.id
    for c in (bot2, new1, new_tab):
        await _alive(c)
    assert live.hub.session_count() == 4
    assert sorted(live.hub.room_members(room)) == sorted([bob.id, f"{alice.id}.bot-1", f"{alice.id}.bot-2", alice.id])


async def test_removal_kicks_every_session_of_the_account_in_that_room(live: Live) -> None:
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room, other = await live.api.room(alice, bob), await live.api.room(alice, bob)
    a, _ = await live.join(alice, room)
    sessions = [(await live.join(bob, room, device=d))[0] for d in ("bot-1", "bot-2")]
    sessions.append((await live.join(bob, room))[0])
    elsewhere, _ = await live.join(bob, other, device="bot-9")
    for _ in range(3):
        await a.expect("member_joined")
    resp = await live.client.delete(f"/api/rooms/{room}/members/bob", headers=alice.auth)
    assert resp.status == 200
    for c in sessions:
        assert await c.wait_closed() == CloseCode.REMOVED
    left = [await a.expect("member_left") for _ in range(3)]
    assert sorted(m["user"] for m in left) == sorted([f"{bob.id}.bot-1", f"{bob.id}.bot-2", bob.id])
    assert {m["reason"] for m in left} == {"removed"}
    assert live.hub.room_members(room) == [alice.id]
    closed = {c.args for c in live.plane.named("close_session")}
    assert {(room, f"{bob.id}.bot-1"), (room, f"{bob.id}.bot-2"), (room, bob.id)} <= closed
    await _alive(elsewhere)  # bob is still a member of the other room
    # deleting that room closes the rest
    resp = await live.client.delete(f"/api/rooms/{other}", headers=alice.auth)
    assert resp.status == 204
    assert await elsewhere.wait_closed() == CloseCode.REMOVED
    assert live.hub.session_count() == 1


async def test_revoking_a_key_closes_every_session_that_used_it(live: Live) -> None:
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
    resp = await live.client.post("/api/me/api-keys", json={"name": "bots"}, headers=alice.auth)
    body = await resp.json()
    key_id, key = body["api_key"]["id"], body["key"]
    bots = []
    for i in range(3):
        c = await live.connect()
        await c.send(type="auth", token=key, device=f"bot-{i}")
        assert (await c.expect("authenticated"))["you"] == f"{alice.id}.bot-{i}"
        await c.send(type="join", room=room)
        await c.expect("joined")
        bots.append(c)
    tab, _ = await live.join(alice, room)  # a browser tab with a login token
    resp = await live.client.delete(f"/api/me/api-keys/{key_id}", headers=alice.auth)
    assert resp.status in (200, 204)
    for c in bots:
        assert await c.wait_closed() == CloseCode.REVOKED
    await _alive(tab)
    assert live.hub.room_members(room) == [alice.id]
    assert live.hub.session_count() == 1


BAD_DEVICES = ["", "x" * 33, "bot 1", "bot/1", "bøt", "bot\n", 5, True, ["bot"], {"name": "bot"}]


async def test_bad_device_values_are_refused_and_the_socket_stays(live: Live) -> None:
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
    c = await live.connect()
    for i, device in enumerate(BAD_DEVICES):
        await c.send_raw(json.dumps({"type": "auth", "token": alice.token, "device": device, "id": i}))
        err = await c.expect("error")
        assert (err["code"], err["id"]) == ("invalid_field", i), (device, err)
        assert "device" in err["message"]
    assert live.hub.session_count() == 0
    await c.send(type="join", room=room, id="early")
    assert (await c.expect("error"))["code"] == "auth_required"
    longest = "A-z_0.9" + "x" * 25  # 32 characters, every allowed class
    await c.send(type="auth", token=alice.token, device=longest, id="ok")
    auth = await c.expect("authenticated")
    assert (auth["you"], auth["device"]) == (f"{alice.id}.{longest}", longest)
    await c.send(type="join", room=room, id="j")
    assert (await c.expect("joined"))["you"] == f"{alice.id}.{longest}"
    # null means no device
    d = await live.connect()
    await d.send(type="auth", token=alice.token, device=None, id="n")
    assert (await d.expect("authenticated"))["you"] == alice.id


async def test_an_account_holds_a_bounded_number_of_sessions(make_live: MakeLive) -> None:
    live = await make_live(hub=HubSettings(max_sessions_per_user=2))
    alice = await live.api.user("alice")
    tab = await live.connect(alice)
    await live.connect(alice, device="bot-1")
    c = await live.connect()
    await c.send(type="auth", token=alice.token, device="bot-2", id="x")
    err = await c.expect("error")
    assert (err["code"], err["id"]) == ("too_many_sessions", "x")
    await _alive(c)
    await live.connect(alice, device="bot-1")  # replacing one at the limit is fine
    await tab.close()
    for _ in range(100):
        if live.hub.session_count() < 2:
            break
        await asyncio.sleep(0.01)
    await c.send(type="auth", token=alice.token, device="bot-2", id="y")  # same socket, now there is room
    assert (await c.expect("authenticated"))["you"] == f"{alice.id}.bot-2"
    assert live.hub.session_count() == 2
