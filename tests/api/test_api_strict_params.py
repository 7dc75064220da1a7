"""What the HTTP fuzzer found beyond issue 13's list, pinned: query strings as strict as bodies,
integers as JSON has them, a room name's length counted as sent."""

from __future__ import annotations

from api_support import Api, AppClient, error_of


async def test_history_queries_take_only_limit_and_before_in_ascii_digits(client: AppClient, api: Api) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    room = await api.room(alice)
    for path in (f"/api/rooms/{room['id']}/messages", f"/api/dms/{bob.username}"):
        assert (await client.get(f"{path}?limit=5&before=10", headers=alice.auth)).status == 200
        for query in ("limt=5", "limit=5&limit=6", "=", "limit=1_0", "limit=%205", "limit=%D9%A5", "limit=+5",
                      "before=%D9%A3", "before=1_0", "before=-1"):
            resp = await client.get(f"{path}?{query}", headers=alice.auth)
            assert (await error_of(resp))[0] == 400, (path, query)


async def test_integral_numbers_are_integers(client: AppClient, api: Api) -> None:
    alice = await api.user("alice")
    resp = await client.post("/api/rooms", json={"name": "r", "max_participants": 12.0}, headers=alice.auth)
    assert resp.status == 201 and (await resp.json())["room"]["max_participants"] == 12
    resp = await client.post("/api/rooms", json={"name": "r", "max_participants": 12.5}, headers=alice.auth)
    assert await error_of(resp) == (400, "invalid_type")


async def test_a_room_name_is_measured_as_sent_and_stored_trimmed(client: AppClient, api: Api) -> None:
    alice = await api.user("alice")
    resp = await client.post("/api/rooms", json={"name": "  " + "n" * 100}, headers=alice.auth)
    assert await error_of(resp) == (400, "invalid_value")  # 102 characters, even if 100 after trimming
    resp = await client.post("/api/rooms", json={"name": " lounge "}, headers=alice.auth)
    assert (await resp.json())["room"]["name"] == "lounge"
    for blank in (" ", "\t\n", "\u3000", "\x1f"):
        resp = await client.post("/api/rooms", json={"name": blank}, headers=alice.auth)
        assert await error_of(resp) == (400, "invalid_value"), repr(blank)
