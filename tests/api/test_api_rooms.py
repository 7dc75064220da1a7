"""Rooms: creation rules, membership, host hand-over, non-member 404, daily limit, live hooks."""

from __future__ import annotations

from api_support import Api, AppClient, error_of

from web.keys import HOOKS


async def test_create_room_with_defaults_and_read_it_back(client: AppClient, api: Api) -> None:
    alice = await api.user("alice")
    room = await api.room(alice, description="corner table")
    assert room["width"] == 20 and room["height"] == 20 and room["max_participants"] == 50
    assert room["host_id"] == alice.id and isinstance(room["id"], str)
    resp = await client.get(f"/api/rooms/{room['id']}", headers=alice.auth)
    assert (await resp.json())["room"] == room
    resp = await client.get("/api/rooms", headers=alice.auth)
    assert (await resp.json())["rooms"] == [room]
    resp = await client.get(f"/api/rooms/{room['id']}/members", headers=alice.auth)
    members = (await resp.json())["members"]
    assert [(m["username"], m["role"]) for m in members] == [("alice", "host")]


async def test_create_room_validation(client: AppClient, api: Api) -> None:
    alice = await api.user("alice")
    big = await api.room(alice, name="hall", width=120.5, height=40, max_participants=200)
    assert (big["width"], big["height"], big["max_participants"]) == (120.5, 40, 200)
    bad = [
        ({"name": ""}, "invalid_value"),
        ({"name": "   "}, "invalid_value"),
        ({"name": "x" * 101}, "invalid_value"),
        ({"name": "r", "description": "d" * 1001}, "invalid_value"),
        ({"name": "r", "width": 0}, "invalid_value"),
        ({"name": "r", "height": -5}, "invalid_value"),
        ({"name": "r", "width": 1e9}, "invalid_value"),
        ({"name": "r", "max_participants": 0}, "invalid_value"),
        ({"name": "r", "max_participants": 501}, "invalid_value"),
        ({"name": "r", "max_participants": 2.5}, "invalid_type"),
        ({"name": "r", "width": "20"}, "invalid_type"),
        ({"name": "r", "width": True}, "invalid_type"),
        ({"name": 7}, "invalid_type"),
        ({}, "missing_field"),
        ({"name": "r", "colour": "red"}, "unknown_field"),
    ]
    for body, code in bad:
        resp = await client.post("/api/rooms", json=body, headers=alice.auth)
        assert await error_of(resp) == (400, code), body
    assert len((await (await client.get("/api/rooms", headers=alice.auth)).json())["rooms"]) == 1


async def test_non_members_get_404_everywhere(client: AppClient, api: Api) -> None:
    alice, eve = await api.user("alice"), await api.user("eve")
    room_id = (await api.room(alice))["id"]
    attempts = [
        ("GET", f"/api/rooms/{room_id}", None),
        ("DELETE", f"/api/rooms/{room_id}", None),
        ("PATCH", f"/api/rooms/{room_id}", {"name": "mine"}),
        ("GET", f"/api/rooms/{room_id}/members", None),
        ("POST", f"/api/rooms/{room_id}/members", {"username": "eve"}),
        ("DELETE", f"/api/rooms/{room_id}/members/alice", None),
        ("POST", f"/api/rooms/{room_id}/leave", None),
        ("GET", f"/api/rooms/{room_id}/messages", None),
        ("POST", f"/api/rooms/{room_id}/messages", {"text": "hello"}),
    ]
    for method, path, body in attempts:
        resp = await client.request(method, path, json=body, headers=eve.auth)
        assert await error_of(resp) == (404, "room_not_found"), (method, path)
        # ...exactly what a room that does not exist answers.
        resp = await client.request(method, path.replace(room_id, "ffffffffffffffff"), json=body, headers=eve.auth)
        assert await error_of(resp) == (404, "room_not_found"), (method, path)
    assert (await (await client.get("/api/rooms", headers=eve.auth)).json())["rooms"] == []
    # The room is untouched.
    assert (await client.get(f"/api/rooms/{room_id}", headers=alice.auth)).status == 200


async def test_host_manages_members_and_members_cannot(client: AppClient, api: Api) -> None:
    host, bob, carol = await api.user("host"), await api.user("bob"), await api.user("carol")
    room_id = (await api.room(host))["id"]
    await api.add(host, room_id, "BOB")  # by name, case-insensitively
    resp = await client.post(f"/api/rooms/{room_id}/members", json={"username": "bob"}, headers=host.auth)
    assert await error_of(resp) == (409, "already_member")
    resp = await client.post(f"/api/rooms/{room_id}/members", json={"username": "ghost"}, headers=host.auth)
    assert await error_of(resp) == (404, "user_not_found")
    # A member sees the room and its members but cannot manage them.
    resp = await client.get(f"/api/rooms/{room_id}/members", headers=bob.auth)
    assert [m["username"] for m in (await resp.json())["members"]] == ["host", "bob"]
    resp = await client.post(f"/api/rooms/{room_id}/members", json={"username": "carol"}, headers=bob.auth)
    assert await error_of(resp) == (403, "forbidden")
    resp = await client.delete(f"/api/rooms/{room_id}/members/host", headers=bob.auth)
    assert await error_of(resp) == (403, "forbidden")
    resp = await client.delete(f"/api/rooms/{room_id}", headers=bob.auth)
    assert await error_of(resp) == (403, "forbidden")
    # The host removes bob; bob then gets 404.
    await api.add(host, room_id, "carol")
    assert (await client.delete(f"/api/rooms/{room_id}/members/bob", headers=host.auth)).status == 200
    assert (await client.get(f"/api/rooms/{room_id}", headers=bob.auth)).status == 404
    resp = await client.delete(f"/api/rooms/{room_id}/members/bob", headers=host.auth)
    assert await error_of(resp) == (404, "member_not_found")
    # carol removes herself through the member route.
    assert (await client.delete(f"/api/rooms/{room_id}/members/carol", headers=carol.auth)).status == 200
    assert (await client.get(f"/api/rooms/{room_id}", headers=carol.auth)).status == 404


async def test_host_leaving_hands_over_to_longest_standing_member(client: AppClient, api: Api) -> None:
    host, first, second = await api.user("host"), await api.user("first"), await api.user("second")
    room_id = (await api.room(host))["id"]
    await api.add(host, room_id, "first")
    await api.add(host, room_id, "second")
    resp = await client.post(f"/api/rooms/{room_id}/leave", headers=host.auth)
    assert await resp.json() == {"room_deleted": False, "new_host_id": first.id}
    resp = await client.get(f"/api/rooms/{room_id}/members", headers=second.auth)
    members = (await resp.json())["members"]
    assert [(m["username"], m["role"]) for m in members] == [("first", "host"), ("second", "member")]
    # The new host can manage members.
    await api.add(first, room_id, "host")
    resp = await client.post(f"/api/rooms/{room_id}/leave", headers=first.auth)
    assert await resp.json() == {"room_deleted": False, "new_host_id": second.id}
    # A non-host leaving does not change the host.
    resp = await client.post(f"/api/rooms/{room_id}/leave", headers=host.auth)
    assert await resp.json() == {"room_deleted": False, "new_host_id": None}
    # The last member leaving deletes the room.
    resp = await client.post(f"/api/rooms/{room_id}/leave", headers=second.auth)
    assert await resp.json() == {"room_deleted": True, "new_host_id": None}
    assert (await (await client.get("/health")).json())["rooms"] == 0


async def test_host_deletes_room(client: AppClient, api: Api) -> None:
    host, bob = await api.user("host"), await api.user("bob")
    room_id = (await api.room(host))["id"]
    await api.add(host, room_id, "bob")
    assert (await client.delete(f"/api/rooms/{room_id}", headers=host.auth)).status == 204
    for user in (host, bob):
        assert (await client.get(f"/api/rooms/{room_id}", headers=user.auth)).status == 404


async def test_daily_room_creation_limit(make_client: object) -> None:
    client = await make_client(room_daily_limit=3)  # type: ignore[operator]
    api = Api(client)
    alice, bob = await api.user("alice"), await api.user("bob")
    ids = [(await api.room(alice, name=f"r{i}"))["id"] for i in range(3)]
    resp = await client.post("/api/rooms", json={"name": "one more"}, headers=alice.auth)
    assert await error_of(resp) == (429, "room_limit_exceeded")
    assert 86_000 < int(resp.headers["Retry-After"]) <= 86_400  # the oldest creation frees up in ~24 h
    # Deleting rooms does not give the quota back; other users have their own.
    await client.delete(f"/api/rooms/{ids[0]}", headers=alice.auth)
    resp = await client.post("/api/rooms", json={"name": "one more"}, headers=alice.auth)
    assert resp.status == 429
    await api.room(bob)


async def test_live_hooks_fire_on_removal_leave_delete_and_revocation(client: AppClient, api: Api) -> None:
    removed: list[tuple[str, str]] = []
    revoked: list[str] = []

    async def on_removed(room_id: str, user_id: str) -> None:
        removed.append((room_id, user_id))

    async def on_revoked(user_id: str) -> None:
        revoked.append(user_id)

    async def broken(room_id: str, user_id: str) -> None:
        raise RuntimeError("a failing listener must not break the request")

    hooks = client.app[HOOKS]  # type: ignore[index]
    hooks.member_removed += [broken, on_removed]
    hooks.credentials_revoked.append(on_revoked)
    host, bob, carol = await api.user("host"), await api.user("bob"), await api.user("carol")
    room_id = (await api.room(host))["id"]
    await api.add(host, room_id, "bob")
    await api.add(host, room_id, "carol")
    assert (await client.delete(f"/api/rooms/{room_id}/members/bob", headers=host.auth)).status == 200
    assert (await client.post(f"/api/rooms/{room_id}/leave", headers=carol.auth)).status == 200
    await api.add(host, room_id, "bob")
    assert (await client.delete(f"/api/rooms/{room_id}", headers=host.auth)).status == 204
    assert removed == [(room_id, bob.id), (room_id, carol.id), (room_id, host.id), (room_id, bob.id)]
    resp = await client.post("/api/me/api-keys", json={"name": "k"}, headers=bob.auth)
    key_id = (await resp.json())["api_key"]["id"]
    await client.delete(f"/api/me/api-keys/{key_id}", headers=bob.auth)
    await client.post(
        "/api/me/password", json={"old_password": "correct horse battery", "new_password": "another long one"},
        headers=carol.auth,
    )
    assert revoked == [bob.id, carol.id]
