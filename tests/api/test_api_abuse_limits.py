"""Limits against abuse over HTTP (issue 13 gaps): account lock-out answered by the device
cookie, password re-checks limited like logins, the bcrypt queue shedding with 503."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from api_support import PASSWORD, Api, error_of


async def test_login_sets_a_device_cookie_that_gets_its_owner_past_a_lock_out(make_client: Any) -> None:
    client = await make_client(login_rate_per_username=3, login_rate_per_ip=1000)
    api = Api(client)
    await api.user("alice")  # register + login: 2 of the account's 3 attempts a minute
    cookie = next(c for c in client.session.cookie_jar if c.key == "hubbub_device")
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/api/auth/"
    assert int(cookie["max-age"]) >= 30 * 24 * 3600
    async with aiohttp.ClientSession(base_url=str(client.make_url("/"))) as stranger:  # no cookie
        for _ in range(3):
            await stranger.post("/api/auth/login", json={"username": "alice", "password": "guess guess"})
        resp = await stranger.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
        assert await error_of(resp) == (429, "rate_limited")
    resp = await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    assert resp.status == 200  # the owner's browser sends its cookie back and gets in


async def test_password_rechecks_are_rate_limited(make_client: Any) -> None:
    client = await make_client(login_rate_per_username=4, login_rate_per_ip=1000)
    api = Api(client)
    alice = await api.user("alice")  # 2 attempts
    resp = await client.post("/api/me/api-keys", json={"name": "bot"}, headers=alice.auth)
    bot = {"Authorization": f"Bearer {(await resp.json())['key']}"}
    guesses = [await client.delete("/api/me", json={"password": f"guess {n}"}, headers=bot) for n in range(2)]
    assert [g.status for g in guesses] == [401, 401]
    resp = await client.post("/api/me/password", json={"old_password": "guess 3", "new_password": "x" * 12},
                             headers=bot)
    assert await error_of(resp) == (429, "rate_limited")
    assert int(resp.headers["Retry-After"]) >= 1


async def test_a_full_bcrypt_queue_answers_503_with_retry_after(make_client: Any) -> None:
    client = await make_client(bcrypt_cost=10, bcrypt_threads=1, bcrypt_queue=2)
    api = Api(client)
    await api.user("alice")
    client.session.cookie_jar.clear()
    responses = await asyncio.gather(*(client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
                                       for _ in range(8)))
    statuses = sorted(r.status for r in responses)
    assert statuses.count(200) >= 2 and statuses.count(503) >= 4, statuses
    for resp in responses:
        if resp.status == 503:
            assert await error_of(resp) == (503, "overloaded")
            assert int(resp.headers["Retry-After"]) >= 1


async def test_rest_chat_and_dms_share_the_live_chat_rate(client: Any, api: Api) -> None:
    alice, _ = await api.user("alice"), await api.user("bob")
    room = await api.room(alice)
    statuses = [(await client.post(f"/api/rooms/{room['id']}/messages", json={"text": f"m{n}"}, headers=alice.auth)).status
                for n in range(10)]
    assert statuses == [201] * 10  # a burst of 10, as over the WebSocket
    resp = await client.post("/api/dms/bob", json={"text": "one more"}, headers=alice.auth)
    assert await error_of(resp) == (429, "rate_limited")
    assert int(resp.headers["Retry-After"]) >= 1
    await asyncio.sleep(0.45)  # 5 per second refill
    assert (await client.post("/api/dms/bob", json={"text": "later"}, headers=alice.auth)).status == 201


async def test_api_key_creation_is_rate_limited_and_capped(make_client: Any) -> None:
    client = await make_client(max_api_keys=12)
    api = Api(client)
    alice = await api.user("alice")
    made = [await client.post("/api/me/api-keys", json={"name": f"k{n}"}, headers=alice.auth) for n in range(11)]
    assert [r.status for r in made[:10]] == [201] * 10
    assert await error_of(made[10]) == (429, "rate_limited")  # 10 an hour, in a burst at most
    client2 = await make_client(max_api_keys=3)
    api2 = Api(client2)
    bob = await api2.user("bob")
    keys = [await (await client2.post("/api/me/api-keys", json={"name": f"k{n}"}, headers=bob.auth)).json()
            for n in range(3)]
    resp = await client2.post("/api/me/api-keys", json={"name": "fourth"}, headers=bob.auth)
    assert await error_of(resp) == (409, "too_many_api_keys")
    assert (await client2.delete(f"/api/me/api-keys/{keys[0]['api_key']['id']}", headers=bob.auth)).status == 204
    assert (await client2.post("/api/me/api-keys", json={"name": "fourth"}, headers=bob.auth)).status == 201


async def test_direct_messages_to_yourself_or_someone_you_blocked_are_refused(client: Any, api: Api) -> None:
    alice, _ = await api.user("alice"), await api.user("bob")
    resp = await client.post("/api/dms/ALICE", json={"text": "note to self"}, headers=alice.auth)
    assert await error_of(resp) == (400, "invalid_value")
    assert (await client.put("/api/blocks/bob", headers=alice.auth)).status == 204
    resp = await client.post("/api/dms/bob", json={"text": "you cannot answer this"}, headers=alice.auth)
    assert await error_of(resp) == (403, "user_blocked")
    assert (await client.delete("/api/blocks/bob", headers=alice.auth)).status == 204
    assert (await client.post("/api/dms/bob", json={"text": "friends again"}, headers=alice.auth)).status == 201
