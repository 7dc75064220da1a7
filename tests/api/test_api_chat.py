"""Room chat, direct messages and blocking."""

from __future__ import annotations

from api_support import Api, AppClient, error_of


async def test_room_chat_post_and_paginate_newest_first(client: AppClient, api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    room_id = (await api.room(alice))["id"]
    await api.add(alice, room_id, "bob")
    for i in range(7):
        author = alice if i % 2 == 0 else bob
        resp = await client.post(f"/api/rooms/{room_id}/messages", json={"text": f"m{i}"}, headers=author.auth)
        assert resp.status == 201
    message = (await resp.json())["message"]
    assert message["author"] == {"id": alice.id, "username": "alice"} and message["text"] == "m6"
    assert isinstance(message["id"], str)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "?limit=3" + (f"&before={cursor}" if cursor else "")
        resp = await client.get(f"/api/rooms/{room_id}/messages{query}", headers=bob.auth)
        body = await resp.json()
        seen += [m["text"] for m in body["messages"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"m{i}" for i in range(6, -1, -1)] and pages == 3
    resp = await client.get(f"/api/rooms/{room_id}/messages", headers=bob.auth)
    assert len((await resp.json())["messages"]) == 7


async def test_chat_text_and_query_rules(client: AppClient, api: Api) -> None:
    alice = await api.user("alice")
    room_id = (await api.room(alice))["id"]
    url = f"/api/rooms/{room_id}/messages"
    assert (await client.post(url, json={"text": "x" * 2000}, headers=alice.auth)).status == 201
    assert (await client.post(url, json={"text": "é"}, headers=alice.auth)).status == 201
    for text in ("", "   \n", "x" * 2001):
        assert await error_of(await client.post(url, json={"text": text}, headers=alice.auth)) == (400, "invalid_value")
    for query in ("limit=0", "limit=101", "limit=abc", "limit=1e3"):
        assert await error_of(await client.get(f"{url}?{query}", headers=alice.auth)) == (400, "invalid_query")
    for before in ("abc", "-1", "1.5", "9" * 40):
        assert await error_of(await client.get(f"{url}?before={before}", headers=alice.auth)) == (400, "invalid_value")


async def test_direct_messages_and_conversations(client: AppClient, api: Api) -> None:
    alice, bob, carol = await api.user("alice"), await api.user("bob"), await api.user("carol")
    resp = await client.post("/api/dms/BOB", json={"text": "hi bob"}, headers=alice.auth)
    assert resp.status == 201
    assert (await resp.json())["message"]["to"] == "bob"
    await client.post("/api/dms/alice", json={"text": "hi alice"}, headers=bob.auth)
    await client.post("/api/dms/carol", json={"text": "hi carol"}, headers=alice.auth)
    resp = await client.get("/api/dms/bob", headers=alice.auth)
    body = await resp.json()
    assert [(m["from"], m["text"]) for m in body["messages"]] == [("bob", "hi alice"), ("alice", "hi bob")]
    resp = await client.get("/api/dms/alice?limit=1", headers=bob.auth)
    body = await resp.json()
    assert [m["text"] for m in body["messages"]] == ["hi alice"] and body["next_cursor"]
    resp = await client.get(f"/api/dms/alice?limit=1&before={body['next_cursor']}", headers=bob.auth)
    assert [m["text"] for m in (await resp.json())["messages"]] == ["hi bob"]
    resp = await client.get("/api/dms", headers=alice.auth)
    convs = (await resp.json())["conversations"]
    assert [(c["username"], c["last_message"]["text"]) for c in convs] == [("carol", "hi carol"), ("bob", "hi alice")]
    # carol's view holds only her conversation with alice.
    convs = (await (await client.get("/api/dms", headers=carol.auth)).json())["conversations"]
    assert [c["username"] for c in convs] == ["alice"]
    assert await error_of(await client.post("/api/dms/nobody", json={"text": "?"}, headers=alice.auth)) == (
        404, "user_not_found"
    )
    assert await error_of(await client.post("/api/dms/bob", json={"text": ""}, headers=alice.auth)) == (
        400, "invalid_value"
    )


async def test_blocked_user_sees_the_blocker_as_unknown(client: AppClient, api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    await client.post("/api/dms/alice", json={"text": "before the block"}, headers=bob.auth)
    assert (await client.put("/api/blocks/bob", headers=alice.auth)).status == 204
    assert (await client.put("/api/blocks/bob", headers=alice.auth)).status == 204  # idempotent
    assert (await (await client.get("/api/blocks", headers=alice.auth)).json()) == {"blocked": ["bob"]}
    unknown = await client.post("/api/dms/nobody", json={"text": "hi"}, headers=bob.auth)
    blocked = await client.post("/api/dms/alice", json={"text": "hi"}, headers=bob.auth)
    assert blocked.status == unknown.status == 404
    assert await blocked.json() == await unknown.json()
    assert (await client.get("/api/dms/alice", headers=bob.auth)).status == 404
    assert (await (await client.get("/api/dms", headers=bob.auth)).json())["conversations"] == []
    # bob cannot add alice to his room either, with the unknown-user answer.
    room_id = (await api.room(bob))["id"]
    blocked = await client.post(f"/api/rooms/{room_id}/members", json={"username": "alice"}, headers=bob.auth)
    unknown = await client.post(f"/api/rooms/{room_id}/members", json={"username": "nobody"}, headers=bob.auth)
    assert blocked.status == unknown.status == 404 and await blocked.json() == await unknown.json()
    # alice cannot write to bob while she blocks him (he could not answer), and says why.
    assert await error_of(await client.post("/api/dms/bob", json={"text": "one way"}, headers=alice.auth)) == (
        403, "user_blocked")
    # Unblocking restores both.
    assert (await client.delete("/api/blocks/bob", headers=alice.auth)).status == 204
    assert (await client.post("/api/dms/alice", json={"text": "thanks"}, headers=bob.auth)).status == 201
    await api.add(bob, room_id, "alice")
    assert (await (await client.get("/api/blocks", headers=alice.auth)).json()) == {"blocked": []}


async def test_block_rules(client: AppClient, api: Api) -> None:
    alice = await api.user("alice")
    assert await error_of(await client.put("/api/blocks/alice", headers=alice.auth)) == (400, "invalid_value")
    assert await error_of(await client.put("/api/blocks/nobody", headers=alice.auth)) == (404, "user_not_found")
    assert await error_of(await client.delete("/api/blocks/nobody", headers=alice.auth)) == (404, "user_not_found")
