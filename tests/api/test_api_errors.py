"""Bad input never crashes anything: JSON errors with the right status, never a 500 or a trace."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_support import Api, AppClient, error_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


async def test_malformed_bodies_get_400(client: AppClient, api: Api) -> None:
    alice = await api.user("alice")
    cases = [
        (b"", "invalid_json"),
        (b"{", "invalid_json"),
        (b"not json", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b'"a string"', "invalid_json"),
        (b"\xff\xfe", "invalid_json"),
        (b"[" * 100_00 + b"]" * 100_00, "invalid_json"),
        (b'{"name": NaN}', "invalid_type"),
        (b'{"name": "r", "width": Infinity}', "invalid_type"),
        (b'{"name": null}', "invalid_type"),
    ]
    for raw, code in cases:
        resp = await client.post("/api/rooms", data=raw, headers={**alice.auth, "Content-Type": "application/json"})
        assert await error_of(resp) == (400, code), raw[:20]


async def test_oversize_body_is_413(make_client: Any) -> None:
    client = await make_client(max_body_bytes=1024)
    api = Api(client)
    alice = await api.user("alice")
    body = json.dumps({"name": "r", "description": "x" * 2000}).encode()
    resp = await client.post("/api/rooms", data=body, headers={**alice.auth, "Content-Type": "application/json"})
    assert await error_of(resp) == (413, "payload_too_large")
    resp = await client.post("/api/auth/login", data=b"x" * 5000, headers={"Content-Type": "application/json"})
    assert await error_of(resp) == (413, "payload_too_large")


async def test_unknown_route_and_method_are_json_errors(client: AppClient, api: Api) -> None:
    alice = await api.user("alice")
    assert await error_of(await client.get("/api/nope", headers=alice.auth)) == (404, "not_found")
    assert await error_of(await client.get("/nope")) == (404, "not_found")
    resp = await client.patch("/api/rooms", headers=alice.auth)
    assert await error_of(resp) == (405, "method_not_allowed")
    assert "GET" in resp.headers["Allow"]


async def test_errors_never_leak_internals(client: AppClient) -> None:
    resp = await client.post("/api/auth/login", data=b'{"username": 1, "password": []}',
                             headers={"Content-Type": "application/json"})
    status, code = await error_of(resp)
    assert (status, code) == (400, "invalid_type")
    assert "Traceback" not in await resp.text()


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
_field_values = st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats() | st.text(max_size=80) | st.lists(st.integers(), max_size=2)
_bodies = _json | st.dictionaries(
    st.sampled_from(["name", "description", "width", "height", "max_participants", "username", "password",
                     "signup_secret", "text", "api_key", "old_password", "new_password", "extra"]),
    _field_values,
    max_size=5,
)
_ENDPOINTS = [
    ("POST", "/api/auth/register"), ("POST", "/api/auth/login"), ("POST", "/api/auth/token"),
    ("POST", "/api/rooms"), ("POST", "/api/rooms/{room}/messages"), ("POST", "/api/rooms/{room}/members"),
    ("POST", "/api/dms/bob"), ("POST", "/api/me/api-keys"), ("POST", "/api/me/password"), ("DELETE", "/api/me"),
]


@pytest.fixture
async def seeded(api: Api) -> tuple[Any, str]:
    """One account (plus a DM partner) and one room, shared by every fuzz example."""
    alice = await api.user("alice")
    await api.user("bob")
    room = await api.room(alice)
    return alice, room["id"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_bodies, endpoint=st.sampled_from(_ENDPOINTS), raw=st.booleans())
async def test_fuzzed_bodies_never_500(
    client: AppClient, seeded: tuple[Any, str], body: Any, endpoint: tuple[str, str], raw: bool
) -> None:
    alice, room_id = seeded
    method, path = endpoint
    data = json.dumps(body, allow_nan=True).encode() if not raw else repr(body).encode()
    resp = await client.request(method, path.replace("{room}", room_id), data=data,
                                headers={**alice.auth, "Content-Type": "application/json"})
    assert resp.status < 500, await resp.text()
    if resp.status >= 400:
        await error_of(resp)


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_domain_errors_carry_no_http_status_and_all_map_at_the_edge() -> None:
    from auth.errors import AuthError
    from store.errors import StoreError
    from web.errors import domain_status

    named = [cls for cls in _subclasses(AuthError) + _subclasses(StoreError) if cls.__module__ in ("auth.errors", "store.errors")]
    assert len(named) >= 15
    for cls in named:
        assert "status" not in vars(cls), cls  # the edge (web/errors.py) decides the HTTP status
        exc = cls.__new__(cls)
        assert 400 <= domain_status(exc) < 600 and domain_status(exc) != 500, cls
