"""Accounts: register, login, API key exchange, me, password change, account deletion, API keys."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from auth.devicetokens import DEFAULT_TTL
from web.errors import ApiError
from web.keys import AUTH, CONFIG, PRINCIPAL
from web.middleware import public
from web.validation import Field, read_json


DEVICE_COOKIE = "hubbub_device"

# Request bodies (also the source of web/openapi.py's request schemas).
REGISTER = {"username": Field("str"), "password": Field("str"), "signup_secret": Field("str")}
LOGIN = {"username": Field("str"), "password": Field("str")}
TOKEN = {"api_key": Field("str")}
PASSWORD_CHANGE = {"old_password": Field("str"), "new_password": Field("str")}
ACCOUNT_DELETION = {"password": Field("str")}
API_KEY = {"name": Field("str")}


def _client(request: web.Request) -> str:
    # The peer address; behind a reverse proxy this is the proxy (see docs/configuration.md).
    return request.remote or "unknown"


def _token_json(user_json: Mapping[str, object], token: str, expires_in: int) -> dict[str, object]:
    return {"access_token": token, "token_type": "bearer", "expires_in": expires_in, "user": user_json}


@public
async def register(request: web.Request) -> web.Response:
    """POST /api/auth/register"""
    body = await read_json(request, REGISTER)
    user = await request.app[AUTH].register(body["username"], body["password"], body["signup_secret"], _client(request))
    return web.json_response({"user": user.to_json()}, status=201)


@public
async def login(request: web.Request) -> web.Response:
    """POST /api/auth/login; the response also sets the device cookie (auth/devicetokens.py),
    which browsers and cookie-keeping clients send back on their next login."""
    body = await read_json(request, LOGIN)
    user, issued, device = await request.app[AUTH].login(
        body["username"], body["password"], _client(request), request.cookies.get(DEVICE_COOKIE)
    )
    response = web.json_response(_token_json(user.to_json(), issued.token, issued.expires_in))
    response.set_cookie(
        DEVICE_COOKIE, device, max_age=int(DEFAULT_TTL), path=f"{request.app[CONFIG].path_prefix}/api/auth/",
        httponly=True, samesite="Strict", secure=request.secure,
    )
    return response


@public
async def exchange_token(request: web.Request) -> web.Response:
    """POST /api/auth/token"""
    body = await read_json(request, TOKEN)
    user, issued = await request.app[AUTH].exchange_api_key(body["api_key"])
    return web.json_response(_token_json(user.to_json(), issued.token, issued.expires_in))


async def me(request: web.Request) -> web.Response:
    """GET /api/me"""
    principal = request[PRINCIPAL]
    return web.json_response({"user": {"id": principal.user_id, "username": principal.username}})


async def change_password(request: web.Request) -> web.Response:
    """POST /api/me/password"""
    body = await read_json(request, PASSWORD_CHANGE)
    principal = request[PRINCIPAL]
    issued = await request.app[AUTH].change_password(principal, body["old_password"], body["new_password"],
                                                     _client(request))
    user_json = {"id": principal.user_id, "username": principal.username}
    return web.json_response(_token_json(user_json, issued.token, issued.expires_in))


async def delete_me(request: web.Request) -> web.Response:
    """DELETE /api/me"""
    body = await read_json(request, ACCOUNT_DELETION)
    await request.app[AUTH].delete_account(request[PRINCIPAL], body["password"], _client(request))
    return web.Response(status=204)


async def list_api_keys(request: web.Request) -> web.Response:
    """GET /api/me/api-keys"""
    keys = await request.app[AUTH].list_api_keys(request[PRINCIPAL])
    return web.json_response({"api_keys": [k.to_json() for k in keys]})


async def create_api_key(request: web.Request) -> web.Response:
    """POST /api/me/api-keys"""
    body = await read_json(request, API_KEY)
    principal = request[PRINCIPAL]
    if principal.api_key_id is not None:
        raise ApiError(403, "forbidden", "API keys cannot create API keys; log in with the password")
    key, secret = await request.app[AUTH].create_api_key(principal, body["name"])
    return web.json_response({"api_key": key.to_json(), "key": secret}, status=201)


async def revoke_api_key(request: web.Request) -> web.Response:
    """DELETE /api/me/api-keys/{key_id}"""
    await request.app[AUTH].revoke_api_key(request[PRINCIPAL], request.match_info["key_id"])
    return web.Response(status=204)


def add_routes(app: web.Application, prefix: str) -> None:
    """Register the account routes under `prefix`."""
    r = app.router
    r.add_post(f"{prefix}/api/auth/register", register)
    r.add_post(f"{prefix}/api/auth/login", login)
    r.add_post(f"{prefix}/api/auth/token", exchange_token)
    r.add_get(f"{prefix}/api/me", me)
    r.add_delete(f"{prefix}/api/me", delete_me)
    r.add_post(f"{prefix}/api/me/password", change_password)
    r.add_get(f"{prefix}/api/me/api-keys", list_api_keys)
    r.add_post(f"{prefix}/api/me/api-keys", create_api_key)
    r.add_delete(f"{prefix}/api/me/api-keys/{{key_id}}", revoke_api_key)
