"""The browser client: `setup_client(app)` serves web/static/ (plain HTML/CSS/ES modules, no build).

`{prefix}/` answers the single page (`index.html`); its assets live under `{prefix}/static/`.
The page reaches the API and the WebSocket with URLs relative to itself, so it works under any
`path_prefix` without being rewritten. Every response carries a strict Content-Security-Policy:
scripts and styles only from this origin, no inline code, no plugins, no framing.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from web.keys import CONFIG

STATIC_DIR = Path(__file__).resolve().parent / "static"

_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self' {ws}; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def _headers(request: web.Request) -> dict[str, str]:
    host = request.host
    return {
        "Content-Security-Policy": _CSP.format(ws=f"ws://{host} wss://{host}"),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


async def _index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers=_headers(request))


async def _add_static_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: security headers on the client's assets too (not on API JSON)."""
    prefix = request.app[CONFIG].path_prefix
    if request.path.startswith(f"{prefix}/static/"):
        for name, value in _headers(request).items():
            response.headers.setdefault(name, value)


def setup_client(app: web.Application) -> None:
    """Serve the single-page client at `{prefix}/` and its files at `{prefix}/static/`."""
    prefix = app[CONFIG].path_prefix
    app.router.add_get(f"{prefix}/", _index, name="client_index")
    if prefix:
        async def _to_slash(request: web.Request) -> web.StreamResponse:
            raise web.HTTPFound(f"{prefix}/")

        app.router.add_get(prefix, _to_slash, name="client_redirect")
    app.router.add_static(f"{prefix}/static/", STATIC_DIR, name="client_static", append_version=False)
    app.on_response_prepare.append(_add_static_headers)
