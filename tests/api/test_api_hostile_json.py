"""JSON that Python parses but nothing downstream can use: lone UTF-16 surrogates and integers
past the interpreter's 4,300-digit limit. Every endpoint that reads a body answers 400
`invalid_json`, never 500 (issue 13, defects 3 and 4). Bodies must be UTF-8 `application/json`."""

from __future__ import annotations

import json
from typing import Any

from api_support import PASSWORD, Api, AppClient, error_of

JSON = {"Content-Type": "application/json"}


async def _targets(client: AppClient, api: Api) -> list[tuple[str, str, dict[str, Any], dict[str, str]]]:
    """(method, path, a valid body, headers) for every endpoint that reads a JSON body."""
    alice = await api.user("alice")
    await api.user("bob")
    room = await api.room(alice)
    rid = room["id"]
    return [
        ("POST", "/api/auth/register", {"username": "carol", "password": PASSWORD, "signup_secret": "x"}, {}),
        ("POST", "/api/auth/login", {"username": "alice", "password": PASSWORD}, {}),
        ("POST", "/api/auth/token", {"api_key": "hbk_x"}, {}),
        ("POST", "/api/rooms", {"name": "r", "description": "d", "acoustics": {"distance_model": "linear"}}, alice.auth),
        ("PATCH", f"/api/rooms/{rid}", {"name": "r", "description": "d"}, alice.auth),
        ("POST", f"/api/rooms/{rid}/members", {"username": "bob"}, alice.auth),
        ("POST", f"/api/rooms/{rid}/messages", {"text": "hi"}, alice.auth),
        ("POST", "/api/dms/bob", {"text": "hi"}, alice.auth),
        ("POST", "/api/me/api-keys", {"name": "k"}, alice.auth),
        ("POST", "/api/me/password", {"old_password": PASSWORD, "new_password": "another password"}, alice.auth),
        ("DELETE", "/api/me", {"password": "wrong password"}, alice.auth),
    ]


def _string_paths(body: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for key, value in body.items():
        if isinstance(value, dict):
            out += _string_paths(value, (*prefix, key))
        elif isinstance(value, str):
            out.append((*prefix, key))
    return out


def _with(body: dict[str, Any], path: tuple[str, ...], raw: str) -> bytes:
    """The body as JSON text with the string at `path` replaced by the raw JSON `raw`."""
    marker = "@@HOSTILE@@"
    copy = json.loads(json.dumps(body))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = marker
    return json.dumps(copy).replace(f'"{marker}"', raw).encode()


async def test_lone_surrogates_in_any_string_field_are_400_not_500(client: AppClient, api: Api) -> None:
    tried = 0
    for method, path, body, headers in await _targets(client, api):
        for field in _string_paths(body):
            for raw in ('"\\ud800"', '"ok \\udfff"', '"\\ud83d\\ud83d"'):  # high alone, low alone, two highs
                resp = await client.request(method, path, data=_with(body, field, raw), headers={**headers, **JSON})
                assert await error_of(resp) == (400, "invalid_json"), (method, path, field, raw)
                tried += 1
    assert tried >= 3 * 16
    # ... also as an object key; a correctly paired surrogate (an emoji) is fine
    resp = await client.post("/api/auth/login", data=b'{"\\ud800": 1}', headers=JSON)
    assert await error_of(resp) == (400, "invalid_json")
    resp = await client.post("/api/auth/login", data=b'{"username": "\\ud83d\\ude00", "password": "x"}', headers=JSON)
    assert await error_of(resp) == (401, "invalid_credentials")


async def test_integers_over_4300_digits_are_400_not_500(client: AppClient, api: Api) -> None:
    huge = "9" * 4301
    for method, path, body, headers in await _targets(client, api):
        field = next(iter(body))
        resp = await client.request(method, path, data=_with(body, (field,), huge), headers={**headers, **JSON})
        status, code = await error_of(resp)
        assert (status, code) == (400, "invalid_json"), (method, path)
        assert "digits" in (await resp.json())["error"]["message"]


async def test_bodies_must_be_utf8_application_json(client: AppClient, api: Api) -> None:
    login = {"username": "alice", "password": PASSWORD}
    await api.user("alice")
    text = json.dumps(login)
    assert (await client.post("/api/auth/login", data=text.encode(), headers=JSON)).status == 200
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16",
                         "application/jsonx"):
        resp = await client.post("/api/auth/login", data=text.encode(), headers={"Content-Type": content_type})
        assert await error_of(resp) == (415, "unsupported_media_type"), content_type
    resp = await client.post("/api/auth/login", data=text.encode())  # no Content-Type at all
    assert await error_of(resp) == (415, "unsupported_media_type")
    resp = await client.post("/api/auth/login", data=text.encode(), headers={"Content-Type": "application/json; charset=UTF-8"})
    assert resp.status == 200
    for encoding in ("utf-16", "utf-16-le", "utf-32", "utf-8-sig"):  # json.loads(bytes) would accept all of these
        resp = await client.post("/api/auth/login", data=text.encode(encoding), headers=JSON)
        assert await error_of(resp) == (400, "invalid_json"), encoding
