"""Every shared object of the application, declared once as a typed key."""

from __future__ import annotations

from aiohttp import web

from auth.principal import Principal
from auth.ratelimit import RateLimiter
from auth.service import AuthService
from store import Store
from web.config import Config
from web.events import LiveHooks
from web.metrics import Metrics

CONFIG = web.AppKey("config", Config)
STORE = web.AppKey("store", Store)
AUTH = web.AppKey("auth", AuthService)
HOOKS = web.AppKey("hooks", LiveHooks)
METRICS = web.AppKey("metrics", Metrics)
STARTED_AT = web.AppKey("started_at", float)  # time.monotonic() when the app was created
# Room chat and DMs posted over REST, per user: the live chat's 5/s (burst 10), so REST is no way around it.
MESSAGE_RATE = web.AppKey("message_rate", RateLimiter)

# Per request: set by the auth middleware on authenticated /api routes.
PRINCIPAL = web.RequestKey("principal", Principal)
