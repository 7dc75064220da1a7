"""GET /health and GET /metrics (Prometheus text)."""

from __future__ import annotations

import logging
import sqlite3
import time
from importlib.metadata import PackageNotFoundError, version

from aiohttp import web

from web.keys import HOOKS, METRICS, STARTED_AT, STORE
from web.metrics import Collector, MetricFamily


def _version() -> str:
    try:
        return version("hubbub")
    except PackageNotFoundError:
        return "0+unknown"


VERSION = _version()
log = logging.getLogger(__name__)


async def health(request: web.Request) -> web.Response:
    """Status, version, uptime, rooms and connected sessions, plus registered sections; 503
    with `status: unavailable` when the database does not answer (it reads from it every time)."""
    app = request.app
    body: dict[str, object] = {
        "status": "ok",
        "version": VERSION,
        "uptime_seconds": round(time.monotonic() - app[STARTED_AT], 3),
        "database": "ok",
        "rooms": None,
        "sessions": app[HOOKS].session_count(),
    }
    try:
        body["rooms"] = await app[STORE].rooms.count()
    except (sqlite3.Error, ValueError):  # ValueError: aiosqlite's connection is gone
        log.exception("health: the database does not answer")
        body.update(status="unavailable", database="unavailable")
        return web.json_response(body, status=503)
    body.update(await app[METRICS].health())
    return web.json_response(body)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition."""
    text = await request.app[METRICS].render()
    return web.Response(body=text.encode("utf-8"), headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


def store_collector(app: web.Application) -> Collector:
    """Gauges read from the database at scrape time: users, rooms, live sessions."""

    async def collect() -> list[MetricFamily]:
        store = app[STORE]
        return [
            MetricFamily("hubbub_users", "gauge", "Registered users.", [({}, await store.users.count())]),
            MetricFamily("hubbub_rooms", "gauge", "Rooms.", [({}, await store.rooms.count())]),
            MetricFamily("hubbub_sessions", "gauge", "Connected live sessions.", [({}, app[HOOKS].session_count())]),
        ]

    return collect


def add_routes(app: web.Application, prefix: str) -> None:
    """Register /health and /metrics under `prefix`."""
    app.router.add_get(f"{prefix}/health", health)
    app.router.add_get(f"{prefix}/metrics", metrics)
