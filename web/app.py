"""Compose the aiohttp application from a Config: shared objects under typed keys, each
resource opened and closed by its own cleanup_ctx (unwound in reverse order)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from aiohttp import web

from auth.ratelimit import RateLimiter
from auth.service import AuthService
from store import Store
from web import openapi
from web.api import accounts, health, messages, rooms
from web.client import setup_client
from web.config import Config, ConfigError
from web.errors import error_middleware
from web.events import LiveHooks
from web.keys import AUTH, CONFIG, HOOKS, MESSAGE_RATE, METRICS, STARTED_AT, STORE
from web.live import setup_live
from web.metrics import Metrics
from web.middleware import auth_middleware, cors_middleware, observe_middleware

MESSAGES_PER_SECOND = 5.0  # REST chat + DMs per user, as the live protocol's chat limit
MESSAGE_BURST = 10


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # hubbub serve made it already
    app[STORE] = await Store.open(config.database_path)
    yield
    await app[STORE].close()


async def _auth_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    assert config.signup_secret is not None and config.jwt_secret is not None
    app[AUTH] = AuthService(
        app[STORE],
        app[HOOKS],
        signup_secret=config.signup_secret,
        jwt_secret=config.jwt_secret,
        token_ttl=config.token_ttl,
        bcrypt_cost=config.bcrypt_cost,
        bcrypt_threads=config.bcrypt_threads,
        bcrypt_queue=config.bcrypt_queue,
        rate_per_ip=config.login_rate_per_ip,
        rate_per_username=config.login_rate_per_username,
        rate_window=config.login_rate_window,
        rate_limit_keys=config.rate_limit_keys,
        max_api_keys=config.max_api_keys,
    )
    await app[AUTH].hasher.warm_up()
    yield
    app[AUTH].close()


async def create_app(config: Config) -> web.Application:
    """The whole server as an Application; secrets must be resolved (see `ensure_secrets`)."""
    if config.signup_secret is None or config.jwt_secret is None:
        raise ConfigError("signup_secret and jwt_secret must be set (web.config.ensure_secrets fills them in)")
    app = web.Application(
        client_max_size=config.max_body_bytes,
        middlewares=[observe_middleware, cors_middleware, error_middleware, auth_middleware],
    )
    app[CONFIG] = config
    app[HOOKS] = LiveHooks()
    app[METRICS] = Metrics()
    app[STARTED_AT] = time.monotonic()
    app[MESSAGE_RATE] = RateLimiter(MESSAGE_BURST, MESSAGE_BURST / MESSAGES_PER_SECOND, max_keys=config.rate_limit_keys)
    app[METRICS].add_collector(health.store_collector(app))
    app.cleanup_ctx.append(_store_ctx)
    app.cleanup_ctx.append(_auth_ctx)

    prefix = config.path_prefix
    health.add_routes(app, prefix)
    accounts.add_routes(app, prefix)
    rooms.add_routes(app, prefix)
    messages.add_routes(app, prefix)
    openapi.add_routes(app, prefix)
    setup_live(app)  # GET {prefix}/ws; after store/auth so its context closes first
    setup_client(app)  # the browser client at {prefix}/ (web/static)
    return app
