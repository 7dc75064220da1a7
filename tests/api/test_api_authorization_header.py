"""The Authorization header as a hostile client sends it: bytes that are not UTF-8 (issue 13,
defect 5: they gave 500 on every authenticated route) and the header sent twice."""

from __future__ import annotations

from api_support import Api, AppClient
from rawhttp import raw_request, request_bytes

ROUTES = ["/api/me", "/api/rooms", "/api/dms", "/api/blocks", "/api/me/api-keys"]


async def _send(client: AppClient, path: str, headers: list[tuple[str, bytes | str]]) -> tuple[int, dict[str, str], str]:
    assert client.server.port is not None
    resp = await raw_request("127.0.0.1", client.server.port, request_bytes("GET", path, headers))
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return resp.status, resp.headers, body["error"]["code"]


async def test_non_utf8_bytes_in_the_credential_are_401(client: AppClient) -> None:
    for value in (b"Bearer \xff\xfe\xfd", b"Bearer abc\x80def", b"Bearer \xc3\x28", b"\xff Bearer x",
                  b"Bearer eyJhbGciOi\xe9.x.y", "Bearer h\u00e9llo".encode()):
        for path in ROUTES:
            status, headers, code = await _send(client, path, [("Authorization", value)])
            assert (status, code) == (401, "unauthorized"), (value, path)
            assert headers["www-authenticate"] == "Bearer"


async def test_authorization_sent_twice_is_400_not_the_first_one(client: AppClient, api: Api) -> None:
    alice = await api.user("alice")
    good = f"Bearer {alice.token}"
    assert (await client.get("/api/me", headers=alice.auth)).status == 200
    for pair in ((good, good), (good, "Bearer forged"), ("Bearer forged", good)):
        status, _, code = await _send(client, "/api/me", [("Authorization", pair[0]), ("Authorization", pair[1])])
        assert (status, code) == (400, "bad_request"), pair
