"""One JSON error shape for everything: {"error": {"code", "message"}}, never a stack trace."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable

from aiohttp import web

from auth.errors import (AuthError, Forbidden, InvalidCredentials, InvalidPassword, InvalidUsername, Overloaded,
                         RateLimited, SignupSecretInvalid, Unauthenticated)
from store.errors import BlockedUser, Conflict, DatabaseUnusable, InvalidValue, LimitExceeded, NotFound, StoreError
from web.keys import CONFIG

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


class ApiError(Exception):
    """Raise from a handler to answer with this status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """The JSON error body every failure uses."""
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


# Domain errors -> HTTP status, decided here at the edge (the domain classes carry only a `code`);
# the first matching class wins, so subclasses come before their bases.
_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (Unauthenticated, 401),
    (InvalidCredentials, 401),
    (SignupSecretInvalid, 403),
    (Forbidden, 403),
    (InvalidUsername, 400),
    (InvalidPassword, 400),
    (RateLimited, 429),
    (Overloaded, 503),
    (NotFound, 404),
    (Conflict, 409),
    (LimitExceeded, 429),
    (InvalidValue, 400),
    (BlockedUser, 403),
    (DatabaseUnusable, 503),
)


def domain_status(exc: Exception) -> int:
    """The HTTP status of an auth or store error (500 for one this table does not know)."""
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def _domain_headers(exc: Exception, status: int) -> dict[str, str] | None:
    headers: dict[str, str] = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return headers or None


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every named error, HTTP exception and crash into the JSON error shape."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message)
    except (AuthError, StoreError) as exc:
        status = domain_status(exc)
        if status == 500:
            log.exception("unexpected %s on %s %s", type(exc).__name__, request.method, route_name(request))
            return error_response(500, "internal_error", "internal server error")
        return error_response(status, exc.code, str(exc), _domain_headers(exc, status))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        message = exc.reason if exc.status != 413 else f"request body too large (limit {request.app[CONFIG].max_body_bytes} bytes)"
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow",)}
        return error_response(exc.status, code, message, headers)
    except ConnectionResetError:
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, route_name(request))
        return error_response(500, "internal_error", "internal server error")


def route_name(request: web.Request) -> str:
    """The matched route pattern (e.g. /api/rooms/{room_id}), or "unmatched"; never the raw path."""
    route = request.match_info.route
    resource = route.resource
    return resource.canonical if resource is not None else "unmatched"
