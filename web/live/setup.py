"""Wiring: `setup_live(app)` registers `GET {prefix}/ws`, the hub's lifecycle and the media plane."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from mixer import Acoustics
from rtc.looplagmonitor import LoopLagMonitor
from store.models import Room
from web.config import Config
from web.keys import AUTH, CONFIG, HOOKS, METRICS, STORE
from web.live.backend import StoreBackend, room_info
from web.live.handler import live_handler
from web.live.hub import Hub
from web.live.iceservers import ClientIceServers
from web.live.keys import LIVE_HUB, LIVE_MEDIA_STATS, LIVE_SETTINGS
from web.live.media import MediaPlaneLike
from web.live.mediastats import MediaStats
from web.live.settings import LiveSettings
from web.metrics import MetricFamily

log = logging.getLogger(__name__)


def setup_live(app: web.Application) -> None:
    """Add the live WebSocket endpoint; call after the store and auth contexts are registered
    (cleanup contexts unwind in reverse, so sessions and media close before the store)."""
    if LIVE_SETTINGS not in app:
        app[LIVE_SETTINGS] = LiveSettings()
    app.router.add_get(f"{app[CONFIG].path_prefix}/ws", live_handler, name="live_ws")
    app.cleanup_ctx.append(_live_context)
    app.on_shutdown.append(_close_sessions)
    _register_media_stats(app)


def _register_media_stats(app: web.Application) -> None:
    """The `media` section of /health and the `hubbub_media_*` families of /metrics; a failure
    there is logged and leaves the rest of /health answering (it is a liveness probe)."""

    def media_health() -> dict[str, Any]:
        stats = app.get(LIVE_MEDIA_STATS)
        if stats is None:
            return {}
        try:
            return stats.health()
        except Exception:
            log.exception("media stats for /health failed")
            return {"error": "media stats unavailable"}

    def media_families() -> list[MetricFamily]:
        stats = app.get(LIVE_MEDIA_STATS)
        if stats is None:
            return []
        try:
            return stats.families()
        except Exception:
            log.exception("media stats for /metrics failed")
            return []

    app[METRICS].health_sections["media"] = media_health
    app[METRICS].add_collector(media_families)


def _real_plane(config: Config, hub: Hub, lag: LoopLagMonitor) -> MediaPlaneLike:
    """The shipped media plane (aiortc), with exactly the configured ICE servers and gathering; it
    reports the server's own lag probe rather than running a second one on the same loop."""
    from rtc.icegathering import GatherPolicy
    from sfu import MediaConfig, MediaPlane

    gathering = GatherPolicy(addresses=config.ice_addresses, ports=config.udp_ports, public_ip=config.public_ip)
    media_config = MediaConfig(ice_servers=config.ice_servers, gathering=gathering)
    plane: MediaPlaneLike = MediaPlane(media_config, on_activity=hub.on_activity, on_closed=hub.on_media_closed,
                                       loop_lag=lag)
    return plane


async def _live_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[LIVE_SETTINGS]
    config = app[CONFIG]
    ice_servers = ClientIceServers(config.ice_servers, config.turn_urls, config.turn_secret, config.turn_ttl)
    hub = Hub(StoreBackend(app[AUTH], app[STORE]), None, ice_servers, settings.hub)
    lag = LoopLagMonitor()  # always on: the loop serves every socket, not only media
    lag.start()
    if settings.media_factory is not None:
        hub.plane = settings.media_factory(hub.on_activity, hub.on_media_closed)
    else:
        hub.plane = _real_plane(config, hub, lag)
    app[LIVE_HUB] = hub
    app[LIVE_MEDIA_STATS] = MediaStats(hub, lag)
    hooks = app[HOOKS]
    hooks.member_removed.append(hub.member_removed)
    hooks.credentials_revoked.append(hub.credentials_revoked)

    async def room_updated(room: Room, acoustics: Acoustics) -> None:
        await hub.room_updated(room_info(room, acoustics))

    hooks.room_updated.append(room_updated)
    hooks.session_count = hub.session_count
    try:
        yield
    finally:
        await lag.stop()
        hooks.member_removed.remove(hub.member_removed)
        hooks.credentials_revoked.remove(hub.credentials_revoked)
        hooks.room_updated.remove(room_updated)
        await hub.shutdown()  # normally done on shutdown already; here for runners that skip it
        await hub.plane.close()


async def _close_sessions(app: web.Application) -> None:
    """on_shutdown: close every socket with GOING_AWAY before the server cancels handlers."""
    hub = app.get(LIVE_HUB)
    if hub is not None:
        await hub.shutdown()
