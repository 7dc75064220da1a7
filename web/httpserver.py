"""The HTTP server under the app: aiohttp's, with the errors it answers itself made safe.

aiohttp answers a request it cannot parse (an over-long line, a NUL in a header, a bad method)
without reaching the app: a text/plain 400 that echoes the start of the offending line, and an
ERROR log line with a traceback that quotes it. When that line is `Authorization: Bearer
hbk_...`, both carry the credential. Here those answers are the app's JSON error shape with a
fixed message per kind of fault, and the log line names the kind only.

Timeouts live here too: `idle_timeout` closes a connection that has no request in progress (a
new one that never finishes its headers, a slowloris, or an idle keep-alive) and the body
deadline is enforced where bodies are read (web/validation.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import http_exceptions, web

from web.errors import error_response

log = logging.getLogger("hubbub.http")

LINGERING_SECONDS = 5.0  # how long an unread request body is drained before the connection closes

# Fixed messages: nothing of the request is ever echoed back or logged.
_PARSE_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (http_exceptions.LineTooLong, "request line or header longer than the server accepts (8190 bytes)"),
    (http_exceptions.BadHttpMethod, "malformed request method"),
    (http_exceptions.BadStatusLine, "malformed request line"),
    (http_exceptions.InvalidHeader, "malformed header"),
    (http_exceptions.InvalidURLError, "malformed URL"),
)


def _describe(exc: BaseException | None) -> str:
    for cls, message in _PARSE_ERRORS:
        if isinstance(exc, cls):
            return message
    return "malformed request"


class _RequestHandler(web.RequestHandler):
    """aiohttp's protocol handler with JSON error answers that echo nothing."""

    def handle_error(
        self, request: web.BaseRequest, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> web.StreamResponse:
        """Called by aiohttp for requests it could not parse and for failures outside the app."""
        if request.writer.output_size > 0:
            raise ConnectionError("response already started, cannot send an error")
        if status == 500:
            # Outside the app's error middleware (which answers every handler failure itself).
            log.error("unhandled %s outside the application", type(exc).__name__)
            response = error_response(500, "internal_error", "internal server error")
        elif status == 504:
            response = error_response(504, "timeout", "the request took too long")
        else:
            log.info("refused a malformed request: %s", type(exc).__name__, extra={"status": status})
            response = error_response(status, "bad_request", _describe(exc))
        response.force_close()
        return response


class _Server(web.Server):
    def __call__(self) -> web.RequestHandler:
        return _RequestHandler(self, loop=self._loop, **self._kwargs)


class Runner(web.AppRunner):
    """`web.AppRunner` whose connections use the handler above, with `idle_timeout` seconds for
    a connection without a request in progress (aiohttp's default is an hour)."""

    def __init__(self, app: web.Application, *, idle_timeout: float, **kwargs: Any) -> None:
        super().__init__(app, keepalive_timeout=idle_timeout, lingering_time=LINGERING_SECONDS, **kwargs)

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        return _Server(server.request_handler, request_factory=server.request_factory,
                       handler_cancellation=server.handler_cancellation, loop=asyncio.get_running_loop(),
                       **server._kwargs)
