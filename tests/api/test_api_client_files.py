"""The browser client's files: served with the security headers; a missing one is the same JSON
404 as every other unknown path (issue 13, defect 9: it was an empty octet-stream 404)."""

from __future__ import annotations

from typing import Any

from api_support import AppClient, error_of


async def test_client_files_are_served_with_security_headers(client: AppClient) -> None:
    for path, content_type in (("/", "text/html"), ("/static/app.css", "text/css"),
                               ("/static/js/main.js", "text/javascript")):
        resp = await client.get(path)
        assert resp.status == 200, path
        assert resp.content_type in (content_type, "application/javascript"), (path, resp.content_type)
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert len(await resp.read()) > 100


async def test_a_missing_client_file_is_a_json_404(make_client: Any) -> None:
    for prefix in ("", "/hubbub"):
        client = await make_client(path_prefix=prefix)
        for path in ("/static/nope.js", "/static/js/", "/static/js", "/static/../web/app.py",
                     "/static/%2e%2e/%2e%2e/pyproject.toml", "/static/js/../../client.py", "/static/app.css/x",
                     "/static/" + "a" * 300):
            resp = await client.get(prefix + path)
            assert await error_of(resp) == (404, "not_found"), prefix + path
