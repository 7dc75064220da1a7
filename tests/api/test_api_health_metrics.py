"""/health and /metrics, and the registry other packages extend."""

from __future__ import annotations

import re

from api_support import Api, AppClient

from web.keys import HOOKS, METRICS
from web.metrics import MetricFamily


async def test_health_reports_status_version_uptime_rooms_sessions(client: AppClient, api: Api) -> None:
    body = await (await client.get("/health")).json()
    assert body["status"] == "ok" and body["version"] == "0.1.0"
    assert body["rooms"] == 0 and body["sessions"] == 0 and body["uptime_seconds"] >= 0
    alice = await api.user("alice")
    await api.room(alice)
    await api.room(alice, name="two")
    client.app[HOOKS].session_count = lambda: 3  # type: ignore[index]

    async def media() -> dict[str, int]:
        return {"peers": 2}

    client.app[METRICS].health_sections["media"] = media  # type: ignore[index]
    body = await (await client.get("/health")).json()
    assert (body["rooms"], body["sessions"], body["media"]) == (2, 3, {"peers": 2})


def _sample(text: str, name: str, **labels: str) -> float:
    label_text = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = "^" + re.escape(name + (f"{{{label_text}}}" if labels else "")) + r" (\S+)$"
    m = re.search(pattern, text, re.M)
    assert m is not None, f"{name} {labels} not in metrics"
    return float(m.group(1))


async def test_metrics_count_requests_by_route_and_status(client: AppClient, api: Api) -> None:
    alice = await api.user("alice")
    room = await api.room(alice)
    for _ in range(3):
        await client.get(f"/api/rooms/{room['id']}", headers=alice.auth)
    await client.get("/api/rooms/ffffffffffffffff", headers=alice.auth)
    await api.user("bob")
    client.app[METRICS].add_gauge("hubbub_test_gauge", "A gauge from another package.", lambda: 4.5)  # type: ignore[index]
    resp = await client.get("/metrics")
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = await resp.text()
    route = "/api/rooms/{room_id}"
    assert _sample(text, "hubbub_http_requests_total", method="GET", route=route, status="200") == 3
    assert _sample(text, "hubbub_http_requests_total", method="GET", route=route, status="404") == 1
    assert _sample(text, "hubbub_http_requests_total", method="POST", route="/api/auth/register", status="201") == 2
    assert _sample(text, "hubbub_http_request_duration_seconds_count", route=route) == 4
    assert _sample(text, "hubbub_http_request_duration_seconds_bucket", route=route, le="+Inf") == 4
    assert _sample(text, "hubbub_users") == 2 and _sample(text, "hubbub_rooms") == 1
    assert _sample(text, "hubbub_sessions") == 0 and _sample(text, "hubbub_test_gauge") == 4.5
    assert "# TYPE hubbub_http_request_duration_seconds histogram" in text
    # Raw ids never become label values (route patterns only).
    assert room["id"] not in text


async def test_histogram_buckets_are_cumulative(client: AppClient) -> None:
    m = client.app[METRICS]  # type: ignore[index]
    for seconds in (0.0005, 0.003, 0.2, 9.0):
        m.observe_request("GET", "/x", 200, seconds)
    text = await m.render()
    assert _sample(text, "hubbub_http_request_duration_seconds_bucket", route="/x", le="0.001") == 1
    assert _sample(text, "hubbub_http_request_duration_seconds_bucket", route="/x", le="0.005") == 2
    assert _sample(text, "hubbub_http_request_duration_seconds_bucket", route="/x", le="0.25") == 3
    assert _sample(text, "hubbub_http_request_duration_seconds_bucket", route="/x", le="5") == 3
    assert _sample(text, "hubbub_http_request_duration_seconds_bucket", route="/x", le="+Inf") == 4
    assert abs(_sample(text, "hubbub_http_request_duration_seconds_sum", route="/x") - 9.2035) < 1e-9


async def test_async_collectors_with_labels(client: AppClient) -> None:
    async def collect() -> list[MetricFamily]:
        return [MetricFamily("hubbub_room_peers", "gauge", "Peers per room.", [({"room": 'a"b'}, 2)])]

    client.app[METRICS].add_collector(collect)  # type: ignore[index]
    text = await (await client.get("/metrics")).text()
    assert 'hubbub_room_peers{room="a\\"b"} 2' in text
