"""Request pipeline: access log + metrics, CORS, bearer authentication on /api."""

from __future__ import annotations

import asyncio
import logging
import re
import time

from aiohttp import hdrs, web

from auth.errors import Unauthenticated
from web.errors import ApiError, Handler, route_name
from web.keys import AUTH, CONFIG, METRICS, PRINCIPAL

access_log = logging.getLogger("hubbub.access")
CLIENT_CLOSED_REQUEST = 499  # nginx's status for a client that closed the connection mid-request


def public(handler: Handler) -> Handler:
    """Mark an /api handler as needing no credential (register, login, token exchange)."""
    handler.__hubbub_public__ = True  # type: ignore[attr-defined]
    return handler


@web.middleware
async def observe_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """One log line and one metrics sample per request: method, route pattern, status, duration.

    The route pattern (`/api/rooms/{room_id}`) is logged, never the raw path, query or headers.
    """
    start = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except ConnectionResetError:
        # The client hung up mid-request: not a server fault, so not a 5xx in logs or metrics.
        status = CLIENT_CLOSED_REQUEST
        return web.Response(status=status)  # nobody will read it; aiohttp drops it quietly
    except asyncio.CancelledError:
        # The same hang-up where aiohttp cancels handlers of lost connections (its test server
        # does), or the server stopping mid-request: neither is a handler's fault.
        status = CLIENT_CLOSED_REQUEST
        raise
    finally:
        duration = time.perf_counter() - start
        route = route_name(request)
        request.app[METRICS].observe_request(request.method, route, status, duration)
        access_log.info(
            "%s %s %d %.1fms",
            request.method,
            route,
            status,
            duration * 1000,
            extra={"method": request.method, "route": route, "status": status, "duration_ms": round(duration * 1000, 2)},
        )


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Allow only the configured origins (none by default); answer their preflights."""
    origin = request.headers.get(hdrs.ORIGIN)
    allowed = origin is not None and origin in request.app[CONFIG].cors_origins
    if allowed and request.method == "OPTIONS" and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers:
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Origin": origin or "",
                "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE",
                "Access-Control-Allow-Headers": "Authorization, Content-Type",
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            },
        )
    response = await handler(request)
    if allowed and not response.prepared:
        response.headers["Access-Control-Allow-Origin"] = origin or ""
        response.headers["Vary"] = "Origin"
    return response


# RFC 6750's b64token: what every credential hubbub issues (JWTs, hbk_ API keys) is made of.
_CREDENTIAL = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def bearer(request: web.Request) -> str:
    """The credential from `Authorization: Bearer ...`; Unauthenticated if absent or not a
    b64token (aiohttp hands undecodable bytes over as lone surrogates), 400 if sent twice."""
    values = request.headers.getall(hdrs.AUTHORIZATION, [])
    if len(values) > 1:
        raise ApiError(400, "bad_request", "send exactly one Authorization header")
    scheme, _, credential = (values[0] if values else "").partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not _CREDENTIAL.fullmatch(credential):
        raise Unauthenticated("missing or malformed bearer credential")
    return credential


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every /api route except those marked @public needs a valid token or API key."""
    api_root = request.app[CONFIG].path_prefix + "/api/"
    route = request.match_info.route
    needs_auth = (
        route.resource is not None
        and route.resource.canonical.startswith(api_root)
        and not getattr(route.handler, "__hubbub_public__", False)
    )
    if needs_auth:
        request[PRINCIPAL] = await request.app[AUTH].authenticate(bearer(request))
    return await handler(request)
