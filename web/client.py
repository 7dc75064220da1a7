"""The browser client: `setup_client(app)` serves web/static/ (plain HTML/CSS/ES modules, no build).

`{prefix}/` answers the single page (`index.html`); its assets live under `{prefix}/static/`.
The page reaches the API and the WebSocket with URLs relative to itself, so it works under any
`path_prefix` without being rewritten. Every response carries a strict Content-Security-Policy:
scripts and styles only from this origin, no inline code, no plugins, no framing. A file that
does not exist is the same JSON 404 as any other unknown path (the client fetches its assets by
code; a browser shows the JSON as text).
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


def _files() -> dict[str, Path]:
    """Every file under web/static by its URL path: requests can only ever name one of these
    (no traversal, no directory listing), and anything else is the JSON 404."""
    return {p.relative_to(STATIC_DIR).as_posix(): p for p in STATIC_DIR.rglob("*") if p.is_file()}


async def _index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers=_headers(request))


def setup_client(app: web.Application) -> None:
    """Serve the single-page client at `{prefix}/` and its files at `{prefix}/static/`."""
    prefix = app[CONFIG].path_prefix
    files = _files()

    async def static_file(request: web.Request) -> web.StreamResponse:
        path = files.get(request.match_info["path"])
        if path is None:
            raise web.HTTPNotFound()  # the error middleware answers with the JSON 404
        return web.FileResponse(path, headers=_headers(request))

    app.router.add_get(f"{prefix}/", _index, name="client_index")
    if prefix:
        async def _to_slash(request: web.Request) -> web.StreamResponse:
            raise web.HTTPFound(f"{prefix}/")

        app.router.add_get(prefix, _to_slash, name="client_redirect")
    app.router.add_get(f"{prefix}/static/{{path:.+}}", static_file, name="client_static")
