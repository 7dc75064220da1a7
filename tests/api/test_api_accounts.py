"""Register, login, tokens, password change, API keys, account deletion, rate limits."""

from __future__ import annotations

import asyncio
import time

import jwt
from api_support import PASSWORD, Api, AppClient, error_of

JWT_SECRET = "test-jwt-secret-" + "x" * 48  # as in tests/conftest.py


async def test_register_and_login_return_a_working_token(client: AppClient, api: Api) -> None:
    resp = await client.post(
        "/api/auth/register", json={"username": "Alice", "password": PASSWORD, "signup_secret": "test-signup-secret"}
    )
    assert resp.status == 201
    user = (await resp.json())["user"]
    assert user["username"] == "Alice" and isinstance(user["id"], str) and "password_hash" not in user
    alice = await api.login("alice")  # names are case-insensitive for login
    resp = await client.get("/api/me", headers=alice.auth)
    assert resp.status == 200
    assert (await resp.json())["user"] == {"id": user["id"], "username": "Alice"}
    claims = jwt.decode(alice.token, JWT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == user["id"] and claims["exp"] - claims["iat"] == 12 * 3600


async def test_wrong_signup_secret_is_403_and_creates_nothing(client: AppClient, api: Api) -> None:
    resp = await client.post(
        "/api/auth/register", json={"username": "mallory", "password": PASSWORD, "signup_secret": "guess"}
    )
    assert await error_of(resp) == (403, "invalid_signup_secret")
    resp = await client.post("/api/auth/login", json={"username": "mallory", "password": PASSWORD})
    assert await error_of(resp) == (401, "invalid_credentials")
    await api.user("mallory")  # the name is still free


async def test_duplicate_username_is_409_case_insensitively(client: AppClient, api: Api) -> None:
    await api.user("bob")
    for name in ("bob", "BOB", "Bob"):
        resp = await client.post(
            "/api/auth/register", json={"username": name, "password": PASSWORD, "signup_secret": "test-signup-secret"}
        )
        assert await error_of(resp) == (409, "username_taken")


async def test_username_and_password_rules(client: AppClient) -> None:
    async def register(username: str, password: str) -> tuple[int, str]:
        resp = await client.post(
            "/api/auth/register",
            json={"username": username, "password": password, "signup_secret": "test-signup-secret"},
        )
        return (201, "") if resp.status == 201 else await error_of(resp)

    for bad in ("ab", "x" * 33, "has space", "émile", "semi;colon", "slash/", ""):
        assert await register(bad, PASSWORD) == (400, "invalid_username"), bad
    assert await register("abc", PASSWORD) == (201, "")
    assert await register("A" * 32, PASSWORD) == (201, "")
    assert await register("dot.dash-under_9", PASSWORD) == (201, "")
    assert await register("shortpw", "1234567") == (400, "invalid_password")
    assert await register("longpw", "x" * 73) == (400, "invalid_password")
    assert await register("longutf8", "é" * 37) == (400, "invalid_password")  # 74 bytes
    assert await register("max72", "é" * 36) == (201, "")  # exactly 72 bytes
    resp = await client.post(
        "/api/auth/register", json={"username": "longpw2", "password": "x" * 80, "signup_secret": "test-signup-secret"}
    )
    assert "72 bytes" in (await resp.json())["error"]["message"]


async def test_unknown_user_and_wrong_password_look_the_same(client: AppClient, api: Api) -> None:
    await api.user("carol")
    wrong = await client.post("/api/auth/login", json={"username": "carol", "password": "not the password"})
    unknown = await client.post("/api/auth/login", json={"username": "nobody", "password": "not the password"})
    assert wrong.status == unknown.status == 401
    assert await wrong.json() == await unknown.json()


async def test_unknown_user_and_wrong_password_take_the_same_time(make_client: object) -> None:
    client = await make_client(bcrypt_cost=10)  # type: ignore[operator]
    api = Api(client)
    await api.user("dave")

    async def timed(username: str) -> float:
        start = time.perf_counter()
        resp = await client.post("/api/auth/login", json={"username": username, "password": "wrong password"})
        assert resp.status == 401
        return time.perf_counter() - start

    await timed("nobody")  # the first unknown-user login also creates the dummy hash
    wrong = sorted([await timed("dave") for _ in range(5)])[2]
    unknown = sorted([await timed("nobody") for _ in range(5)])[2]
    # Both spend one bcrypt check (~50+ ms at cost 10); without the dummy check unknown would be ~1 ms.
    assert unknown > 0.5 * wrong and wrong > 0.5 * unknown, (wrong, unknown)


def _token(claims: dict[str, object], secret: str = JWT_SECRET, alg: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=alg)


async def test_bad_expired_and_forged_tokens_are_401(client: AppClient, api: Api) -> None:
    erin = await api.user("erin")
    now = int(time.time())
    bad = {
        "no header": None,
        "garbage": "Bearer not-a-token",
        "wrong scheme": f"Basic {erin.token}",
        "empty bearer": "Bearer ",
        "expired": "Bearer " + _token({"sub": erin.id, "iat": now - 7200, "exp": now - 3600, "ver": 0}),
        "forged": "Bearer " + _token({"sub": erin.id, "iat": now, "exp": now + 3600, "ver": 0}, "another-secret-" * 3),
        "alg none": "Bearer " + jwt.encode({"sub": erin.id, "iat": now, "exp": now + 3600, "ver": 0}, None, algorithm="none"),
        "other alg": "Bearer " + _token({"sub": erin.id, "iat": now, "exp": now + 3600, "ver": 0}, alg="HS512"),
        "no exp": "Bearer " + _token({"sub": erin.id, "iat": now, "ver": 0}),
        "no sub": "Bearer " + _token({"iat": now, "exp": now + 3600, "ver": 0}),
        "unknown user": "Bearer " + _token({"sub": "0123456789abcdef", "iat": now, "exp": now + 3600, "ver": 0}),
        "tampered": "Bearer " + erin.token[:-2] + ("AA" if not erin.token.endswith("AA") else "BB"),
        "bad api key": "Bearer hbk_0123456789abcdef_" + "A" * 43,
    }
    for name, header in bad.items():
        headers = {} if header is None else {"Authorization": header}
        resp = await client.get("/api/me", headers=headers)
        assert await error_of(resp) == (401, "unauthorized"), name
        assert resp.headers["WWW-Authenticate"] == "Bearer"
    # A correctly signed token with the right claims works (the checks above are not vacuous).
    good = _token({"sub": erin.id, "iat": now, "exp": now + 3600, "ver": 0})
    assert (await client.get("/api/me", headers={"Authorization": f"Bearer {good}"})).status == 200


async def test_change_password_invalidates_older_tokens(client: AppClient, api: Api) -> None:
    frank = await api.user("frank")
    second = await api.login("frank")
    resp = await client.post(
        "/api/me/password", json={"old_password": "wrong password", "new_password": "brand new secret"},
        headers=frank.auth,
    )
    assert await error_of(resp) == (401, "invalid_credentials")
    resp = await client.post(
        "/api/me/password", json={"old_password": PASSWORD, "new_password": "short"}, headers=frank.auth
    )
    assert await error_of(resp) == (400, "invalid_password")
    resp = await client.post(
        "/api/me/password", json={"old_password": PASSWORD, "new_password": "brand new secret"}, headers=frank.auth
    )
    assert resp.status == 200
    fresh = (await resp.json())["access_token"]
    for old in (frank, second):
        assert (await client.get("/api/me", headers=old.auth)).status == 401
    assert (await client.get("/api/me", headers={"Authorization": f"Bearer {fresh}"})).status == 200
    resp = await client.post("/api/auth/login", json={"username": "frank", "password": PASSWORD})
    assert resp.status == 401
    await api.login("frank", "brand new secret")


async def test_api_keys_create_list_use_exchange_revoke(client: AppClient, api: Api) -> None:
    gina = await api.user("gina")
    resp = await client.post("/api/me/api-keys", json={"name": "my bot"}, headers=gina.auth)
    assert resp.status == 201
    created = await resp.json()
    key = created["key"]
    assert key.startswith("hbk_") and created["api_key"]["name"] == "my bot"
    resp = await client.get("/api/me/api-keys", headers=gina.auth)
    listing = await resp.json()
    assert [k["name"] for k in listing["api_keys"]] == ["my bot"]
    assert key not in await resp.text() and key.split("_", 2)[2] not in await resp.text()
    # Direct use as a bearer credential.
    resp = await client.get("/api/me", headers={"Authorization": f"Bearer {key}"})
    assert (await resp.json())["user"]["username"] == "gina"
    # An API key may not mint more API keys.
    resp = await client.post("/api/me/api-keys", json={"name": "x"}, headers={"Authorization": f"Bearer {key}"})
    assert await error_of(resp) == (403, "forbidden")
    # Exchange for an access token.
    resp = await client.post("/api/auth/token", json={"api_key": key})
    assert resp.status == 200
    exchanged = (await resp.json())["access_token"]
    assert (await client.get("/api/me", headers={"Authorization": f"Bearer {exchanged}"})).status == 200
    # Another user cannot revoke it; the owner can, and then key and exchanged token are dead.
    hank = await api.user("hank")
    key_id = created["api_key"]["id"]
    resp = await client.delete(f"/api/me/api-keys/{key_id}", headers=hank.auth)
    assert await error_of(resp) == (404, "api_key_not_found")
    assert (await client.delete(f"/api/me/api-keys/{key_id}", headers=gina.auth)).status == 204
    for credential in (key, exchanged):
        resp = await client.get("/api/me", headers={"Authorization": f"Bearer {credential}"})
        assert resp.status == 401
    assert await error_of(await client.post("/api/auth/token", json={"api_key": key})) == (401, "unauthorized")
    assert (await client.get("/api/me", headers=gina.auth)).status == 200  # password tokens unaffected
    assert (await (await client.get("/api/me/api-keys", headers=gina.auth)).json())["api_keys"] == []


async def test_api_key_name_rules(client: AppClient, api: Api) -> None:
    ivan = await api.user("ivan")
    for name in ("", "   ", "x" * 65):
        resp = await client.post("/api/me/api-keys", json={"name": name}, headers=ivan.auth)
        assert await error_of(resp) == (400, "invalid_value")


async def test_login_rate_limited_per_username(make_client: object) -> None:
    client = await make_client(login_rate_per_username=4, login_rate_per_ip=100)  # type: ignore[operator]
    api = Api(client)
    await api.user("judy")  # register + login: two attempts for "judy"
    client.session.cookie_jar.clear()  # a stranger: no device cookie from judy's login
    for _ in range(2):
        resp = await client.post("/api/auth/login", json={"username": "judy", "password": "wrong password"})
        assert resp.status == 401
    resp = await client.post("/api/auth/login", json={"username": "JUDY", "password": PASSWORD})
    assert await error_of(resp) == (429, "rate_limited")
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    # Another username from the same address is still fine.
    await api.user("kate")


async def test_login_and_register_rate_limited_per_address(make_client: object) -> None:
    client = await make_client(login_rate_per_ip=4, login_rate_per_username=100)  # type: ignore[operator]
    api = Api(client)
    await api.user("leo")  # 2 attempts: register + login
    for name in ("m1", "m2"):
        resp = await client.post("/api/auth/login", json={"username": name, "password": "whatever pw"})
        assert resp.status == 401
    resp = await client.post(
        "/api/auth/register", json={"username": "newbie", "password": PASSWORD, "signup_secret": "test-signup-secret"}
    )
    assert await error_of(resp) == (429, "rate_limited")
    assert int(resp.headers["Retry-After"]) >= 1
    # Nothing was created by the refused attempt.
    assert (await client.post("/api/auth/login", json={"username": "newbie", "password": PASSWORD})).status == 429


async def test_delete_account_hands_rooms_over(client: AppClient, api: Api) -> None:
    host, member = await api.user("olga"), await api.user("pete")
    room = await api.room(host)
    solo = await api.room(host, name="solo")
    await api.add(host, room["id"], "pete")
    resp = await client.delete("/api/me", json={"password": "wrong password"}, headers=host.auth)
    assert await error_of(resp) == (401, "invalid_credentials")
    assert (await client.delete("/api/me", json={"password": PASSWORD}, headers=host.auth)).status == 204
    assert (await client.get("/api/me", headers=host.auth)).status == 401
    resp = await client.get(f"/api/rooms/{room['id']}", headers=member.auth)
    assert (await resp.json())["room"]["host_id"] == member.id
    # The room nobody else was in is gone.
    resp = await client.get("/health")
    assert (await resp.json())["rooms"] == 1
    assert solo["id"] != room["id"]


async def test_concurrent_registrations_of_one_name_create_one_account(client: AppClient) -> None:
    async def register(name: str) -> int:
        resp = await client.post(
            "/api/auth/register", json={"username": name, "password": PASSWORD, "signup_secret": "test-signup-secret"}
        )
        return resp.status

    statuses = await asyncio.gather(*(register(n) for n in ("zed", "ZED", "Zed", "zeD", "zed")))
    assert sorted(statuses) == [201, 409, 409, 409, 409]
