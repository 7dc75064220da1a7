"""The live layer's typed application keys."""

from __future__ import annotations

from aiohttp import web

from web.live.hub import Hub
from web.live.mediastats import MediaStats
from web.live.settings import LiveSettings

LIVE_SETTINGS = web.AppKey("live_settings", LiveSettings)
LIVE_HUB = web.AppKey("live_hub", Hub)
LIVE_MEDIA_STATS = web.AppKey("live_media_stats", MediaStats)
