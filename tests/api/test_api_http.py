"""CORS, the path prefix, and the documented endpoints matching the app's routes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from api_support import Api, AppClient, error_of

from web.app import create_app
from web.config import Config

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
_HEADING = re.compile(r"^### `(GET|POST|PUT|DELETE|PATCH) ([^`]+)`$", re.M)


def _documented() -> set[tuple[str, str]]:
    return {(m.group(1), m.group(2)) for m in _HEADING.finditer(DOCS.read_text(encoding="utf-8"))}


async def test_every_route_is_documented_and_every_documented_route_exists(config: Config) -> None:
    app = await create_app(config)
    routes = {
        (r.method, r.resource.canonical)
        for r in app.router.routes()
        if r.method != "HEAD" and r.resource is not None
        and (r.resource.canonical.startswith("/api/") or r.resource.canonical in ("/health", "/metrics"))
    }
    documented = {(m, p) for m, p in _documented() if p.startswith("/api/") or p in ("/health", "/metrics")}
    assert len(routes) >= 25
    assert routes == documented, {"undocumented": routes - documented, "not served": documented - routes}


async def test_every_documented_endpoint_has_request_and_response_examples() -> None:
    text = DOCS.read_text(encoding="utf-8")
    sections = re.split(r"^### ", text, flags=re.M)[1:]
    assert sections
    for section in sections:
        title = section.splitlines()[0]
        assert "```http" in section or "```json" in section or "```sh" in section, title
        assert re.search(r"^(Response|→|<-|Returns)", section, re.M) or "HTTP/1.1" in section, title


async def test_cors_allows_only_configured_origins(make_client: Any) -> None:
    client = await make_client(cors_origins=("https://app.example",))
    resp = await client.get("/health", headers={"Origin": "https://app.example"})
    assert resp.headers["Access-Control-Allow-Origin"] == "https://app.example"
    resp = await client.get("/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in resp.headers
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    resp = await client.options("/api/rooms", headers=preflight)
    assert resp.status == 204 and "Authorization" in resp.headers["Access-Control-Allow-Headers"]
    allowed = {m.strip() for m in resp.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= allowed  # every method the API routes use
    resp = await client.options("/api/rooms", headers={**preflight, "Origin": "https://evil.example"})
    assert resp.status == 405 and "Access-Control-Allow-Origin" not in resp.headers


async def test_no_cors_by_default(client: AppClient) -> None:
    resp = await client.get("/health", headers={"Origin": "http://localhost:3000"})
    assert "Access-Control-Allow-Origin" not in resp.headers


async def test_path_prefix_moves_every_route(make_client: Any) -> None:
    client = await make_client(path_prefix="/hubbub")
    assert (await client.get("/hubbub/health")).status == 200
    assert (await client.get("/hubbub/metrics")).status == 200
    assert await error_of(await client.get("/health")) == (404, "not_found")
    assert await error_of(await client.get("/hubbub/api/me")) == (401, "unauthorized")
    resp = await client.post(
        "/hubbub/api/auth/register",
        json={"username": "alice", "password": "correct horse battery", "signup_secret": "test-signup-secret"},
    )
    assert resp.status == 201
    resp = await client.post("/hubbub/api/auth/login", json={"username": "alice", "password": "correct horse battery"})
    token = (await resp.json())["access_token"]
    resp = await client.post("/hubbub/api/rooms", json={"name": "r"}, headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 201


async def test_health_and_metrics_need_no_token_and_api_does(client: AppClient, api: Api) -> None:
    assert (await client.get("/health")).status == 200
    assert (await client.get("/metrics")).status == 200
    for method, path in (("GET", "/api/rooms"), ("GET", "/api/me"), ("GET", "/api/dms"), ("GET", "/api/blocks"),
                         ("GET", "/api/me/api-keys"), ("POST", "/api/rooms")):
        assert await error_of(await client.request(method, path)) == (401, "unauthorized"), path
