"""The REST API as an OpenAPI 3.1 document, served at `GET {prefix}/api/openapi.json`.

The contract for machines: every route, its access, request body, parameters, every status it
can answer and the shape of each answer. Request bodies are built from the handlers' own field
specs (names, JSON types, which are required), with the value rules the handlers enforce added
here; tests keep the paths equal to the app's routes, and the fuzz suite (schemathesis) checks
that the server accepts what this document allows, refuses what it does not, and answers only
what it promises. docs/api.md is the prose and recorded examples, checked against this document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from auth.service import MAX_KEY_NAME
from mixer.acoustics import DISTANCE_MODELS
from web import acoustics
from web.api import accounts, messages, rooms
from web.api.health import VERSION
from web.middleware import public
from web.validation import Field

Schema = dict[str, Any]

_JSON_TYPES = {"str": "string", "int": "integer", "number": "number", "object": "object"}
# At least one character that is not white space as Python's str.strip() sees it (the server's
# rule), spelled out: JSON Schema's \s (ECMA-262) disagrees on U+001C-U+001F, U+0085 and U+FEFF.
_NOT_BLANK = "[^" + "".join(f"\\u{ord(c):04x}" for c in map(chr, range(0x10000)) if c.isspace()) + "]"


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(required: Mapping[str, Schema], optional: Mapping[str, Schema] | None = None) -> Schema:
    return {"type": "object", "properties": {**required, **(optional or {})}, "required": list(required),
            "additionalProperties": False}


def _body(spec: Mapping[str, Field], rules: Mapping[str, Schema] | None = None) -> Schema:
    """A request body schema from a handler's field spec plus the value rules it enforces.
    Optional fields also take null ("not sent"); unknown fields are refused (400)."""
    properties: dict[str, Schema] = {}
    for name, field in spec.items():
        schema: Schema = {"type": _JSON_TYPES[field.kind], **(rules or {}).get(name, {})}
        properties[name] = schema if field.required else _nullable(schema)
    return {"type": "object", "properties": properties,
            "required": [name for name, field in spec.items() if field.required], "additionalProperties": False}


_STRING = {"type": "string"}
_TIME = {"type": "string", "format": "date-time"}
_ID = {"type": "string"}
_PASSWORD = {"minLength": 8, "maxLength": 72,
             "description": "at least 8 characters and at most 72 bytes in UTF-8 (bcrypt's limit)"}

_ACOUSTICS_RULES: dict[str, Schema] = {
    "distance_model": {"enum": list(DISTANCE_MODELS)},
    **{name: {"minimum": lo, "maximum": hi} for name, (lo, hi) in acoustics.LIMITS.items()},
}

SCHEMAS: dict[str, Schema] = {
    "Error": _object({"error": _object({"code": _STRING, "message": _STRING})}),
    "User": _object({"id": _ID, "username": _STRING, "created_at": _TIME}),
    "Me": _object({"id": _ID, "username": _STRING}),
    "Token": _object({
        "access_token": _STRING, "token_type": {"const": "bearer"}, "expires_in": {"type": "integer"},
        "user": _object({"id": _ID, "username": _STRING}, {"created_at": _TIME}),
    }),
    "ApiKey": _object({"id": _ID, "name": _STRING, "created_at": _TIME, "last_used_at": _nullable(_TIME)}),
    "Acoustics": _object({
        "distance_model": {"enum": list(DISTANCE_MODELS)},
        **{name: {"type": "number"} for name in acoustics.LIMITS},
    }),
    "AcousticsChange": {**_body(acoustics.USER_FIELDS, _ACOUSTICS_RULES),
                        "description": "Any of the five settings; null returns one to its default. After merging "
                                       "into the room's settings max_distance must stay above ref_distance "
                                       "(400 invalid_value), a rule JSON Schema cannot state."},
    "Room": _object({
        "id": _ID, "name": _STRING, "description": _STRING, "width": {"type": "number"},
        "height": {"type": "number"}, "max_participants": {"type": "integer"}, "host_id": _ID,
        "created_at": _TIME, "acoustics": _ref("Acoustics"),
    }),
    "Member": _object({"user_id": _ID, "username": _STRING, "role": {"enum": ["host", "member"]},
                       "joined_at": _TIME}),
    "Departure": _object({"room_deleted": {"type": "boolean"}, "new_host_id": _nullable(_ID)}),
    "Message": _object({"id": _ID, "room_id": _ID, "author": _nullable(_object({"id": _ID, "username": _STRING})),
                        "text": _STRING, "created_at": _TIME}),
    "DirectMessage": _object({"id": _ID, "from": _STRING, "to": _STRING, "text": _STRING, "created_at": _TIME}),
    "Health": {**_object({
        "status": {"enum": ["ok", "unavailable"]}, "version": _STRING, "uptime_seconds": {"type": "number"},
        "database": {"enum": ["ok", "unavailable"]}, "rooms": _nullable({"type": "integer"}),
        "sessions": {"type": "integer"},
    }), "additionalProperties": True, "description": "Other parts of the server add sections (media)."},
}

_ROOM_RULES: dict[str, Schema] = {
    "name": {"minLength": 1, "maxLength": 100, "pattern": _NOT_BLANK, "description": "trimmed"},
    "description": {"maxLength": 1000},
    "width": {"minimum": 1, "maximum": rooms.MAX_SIZE},
    "height": {"minimum": 1, "maximum": rooms.MAX_SIZE},
    "max_participants": {"minimum": 1, "maximum": rooms.MAX_PARTICIPANTS},
}
_TEXT_RULES: dict[str, Schema] = {"text": {"minLength": 1, "maxLength": 2000, "pattern": _NOT_BLANK}}

REQUEST_BODIES: dict[str, Schema] = {
    "Register": _body(accounts.REGISTER, {"username": {"pattern": "^[A-Za-z0-9_.-]{3,32}$"}, "password": _PASSWORD}),
    "Login": _body(accounts.LOGIN),
    "ApiKeyExchange": _body(accounts.TOKEN),
    "PasswordChange": _body(accounts.PASSWORD_CHANGE, {"new_password": _PASSWORD}),
    "AccountDeletion": _body(accounts.ACCOUNT_DELETION),
    "ApiKeyCreation": _body(accounts.API_KEY, {"name": {"minLength": 1, "maxLength": MAX_KEY_NAME,
                                                        "pattern": _NOT_BLANK}}),
    "RoomCreation": _body(rooms.CREATE, {**_ROOM_RULES, "acoustics": _ref("AcousticsChange")}),
    "RoomChange": _body(rooms.UPDATE, {**_ROOM_RULES, "acoustics": _ref("AcousticsChange"),
                                       "width": {"type": "null", "description": "fixed at creation: a value is 400"},
                                       "height": {"type": "null", "description": "fixed at creation: a value is 400"}}),
    "MemberAddition": _body(rooms.ADD_MEMBER),
    "Text": _body(messages.TEXT, _TEXT_RULES),
}

# Every error status the API answers, with its codes (docs/api.md explains each).
ERRORS: dict[int, str] = {
    400: "Bad request: invalid_json, missing_field, unknown_field, invalid_type, invalid_value, immutable_field, "
         "invalid_query, invalid_username, invalid_password, bad_request",
    401: "unauthorized (bad credential) or invalid_credentials (wrong username or password)",
    403: "invalid_signup_secret, forbidden, user_blocked",
    404: "not_found, room_not_found, user_not_found, member_not_found, api_key_not_found",
    408: "request_timeout: the body did not arrive within body_timeout",
    409: "username_taken, already_member, too_many_api_keys",
    413: "payload_too_large",
    415: "unsupported_media_type: the body must be UTF-8 application/json",
    429: "rate_limited or room_limit_exceeded; Retry-After says when to try again",
    503: "overloaded: too many password checks queued; Retry-After says when to try again",
}
_HEADERS: dict[int, dict[str, Schema]] = {
    401: {"WWW-Authenticate": {"required": True, "schema": {"const": "Bearer"}}},
    429: {"Retry-After": {"required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
    503: {"Retry-After": {"required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
}
_BODY_ERRORS = (400, 408, 413, 415)


def _json(schema: Schema) -> Schema:
    return {"content": {"application/json": {"schema": schema}}}


def _error_responses() -> dict[str, Schema]:
    out = {}
    for status, text in ERRORS.items():
        response: Schema = {"description": text, **_json(_ref("Error"))}
        if status in _HEADERS:
            response["headers"] = _HEADERS[status]
        out[str(status)] = response
    return out


_PATH_PARAMS = {
    "room_id": "A room id (rooms you are not a member of answer 404 like rooms that do not exist).",
    "username": "A username, in any letter case.",
    "key_id": "An API key id.",
}
_PAGE_QUERY = [
    {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 100},
     "description": "Page size (default 50)."},
    {"name": "before", "in": "query", "required": False, "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
     "description": "A message id: the previous page's next_cursor."},
]


def _operation(summary: str, ok: tuple[int, Schema | None], *, errors: Iterable[int] = (), body: str | None = None,
               public_: bool = False, query: list[Schema] | None = None, ok_headers: dict[str, Schema] | None = None,
               ) -> Schema:
    status, schema = ok
    success: Schema = {"description": "OK"}
    if schema is not None:
        success.update(_json(schema))
    if ok_headers:
        success["headers"] = ok_headers
    statuses = set(errors) | (set(_BODY_ERRORS) if body else set()) | (set() if public_ else {401})
    op: Schema = {
        "summary": summary,
        "responses": {str(status): success, **{str(s): {"$ref": f"#/components/responses/{s}"} for s in sorted(statuses)}},
    }
    if body is not None:
        op["requestBody"] = {"required": True, **_json({"$ref": f"#/components/schemas/{body}"})}
    if public_:
        op["security"] = []
    if query:
        op["parameters"] = query
    return op


def _envelope(name: str, schema: Schema) -> Schema:
    return _object({name: schema})


def _list(name: str, item: str) -> Schema:
    return _envelope(name, {"type": "array", "items": _ref(item)})


def _page(item: str) -> Schema:
    return _object({"messages": {"type": "array", "items": _ref(item)}, "next_cursor": _nullable(_STRING)})


_RATE_LIMITED_PASSWORD_CHECK = (429, 503)
_TOKEN = _ref("Token")
_DEVICE_COOKIE = {"Set-Cookie": {"required": True, "schema": {"type": "string"},
                                 "description": "hubbub_device: keeps this client's logins working while strangers "
                                                "have locked the account (docs/api.md)"}}

PATHS: dict[str, dict[str, Schema]] = {
    "/api/auth/register": {"post": _operation(
        "Create an account (needs the signup secret)", (201, _envelope("user", _ref("User"))),
        errors=(403, 409, *_RATE_LIMITED_PASSWORD_CHECK), body="Register", public_=True)},
    "/api/auth/login": {"post": _operation(
        "Log in: an access token for username and password", (200, _TOKEN),
        errors=(401, *_RATE_LIMITED_PASSWORD_CHECK), body="Login", public_=True, ok_headers=_DEVICE_COOKIE)},
    "/api/auth/token": {"post": _operation(
        "Trade an API key for an access token bound to it", (200, _TOKEN), errors=(401,), body="ApiKeyExchange",
        public_=True)},
    "/api/openapi.json": {"get": _operation("This document", (200, {"type": "object"}), public_=True)},
    "/api/me": {
        "get": _operation("Who the credential belongs to", (200, _envelope("user", _ref("Me")))),
        "delete": _operation("Delete the account (password required)", (204, None),
                             errors=_RATE_LIMITED_PASSWORD_CHECK, body="AccountDeletion"),
    },
    "/api/me/password": {"post": _operation(
        "Change the password; older tokens stop working", (200, _TOKEN),
        errors=_RATE_LIMITED_PASSWORD_CHECK, body="PasswordChange")},
    "/api/me/api-keys": {
        "get": _operation("The caller's API keys (never the secret)", (200, _list("api_keys", "ApiKey"))),
        "post": _operation("Create an API key (the key is shown once)",
                           (201, _object({"api_key": _ref("ApiKey"), "key": _STRING})),
                           errors=(403, 409, 429), body="ApiKeyCreation"),
    },
    "/api/me/api-keys/{key_id}": {"delete": _operation("Revoke an API key", (204, None), errors=(404,))},
    "/api/rooms": {
        "get": _operation("The rooms the caller is a member of", (200, _list("rooms", "Room"))),
        "post": _operation("Create a room; the caller hosts it", (201, _envelope("room", _ref("Room"))),
                           errors=(429,), body="RoomCreation"),
    },
    "/api/rooms/{room_id}": {
        "get": _operation("A room (members only)", (200, _envelope("room", _ref("Room"))), errors=(404,)),
        "patch": _operation("Change a room's settings (host only)", (200, _envelope("room", _ref("Room"))),
                            errors=(403, 404), body="RoomChange"),
        "delete": _operation("Delete a room (host only)", (204, None), errors=(403, 404)),
    },
    "/api/rooms/{room_id}/members": {
        "get": _operation("Members, longest-standing first", (200, _list("members", "Member")), errors=(404,)),
        "post": _operation("Add a member by username (host only)", (201, _envelope("member", _ref("Member"))),
                           errors=(403, 404, 409), body="MemberAddition"),
    },
    "/api/rooms/{room_id}/members/{username}": {"delete": _operation(
        "Remove a member (the host anyone, anyone themself)", (200, _ref("Departure")), errors=(403, 404))},
    "/api/rooms/{room_id}/leave": {"post": _operation("Leave a room", (200, _ref("Departure")), errors=(404,))},
    "/api/rooms/{room_id}/messages": {
        "get": _operation("Chat history, newest first", (200, _page("Message")), errors=(400, 404),
                          query=_PAGE_QUERY),
        "post": _operation("Post to the room's chat", (201, _envelope("message", _ref("Message"))),
                           errors=(404, 429), body="Text"),
    },
    "/api/dms": {"get": _operation(
        "Conversations, newest first",
        (200, _envelope("conversations", {"type": "array", "items": _object(
            {"username": _STRING, "last_message": _ref("DirectMessage")})})))},
    "/api/dms/{username}": {
        "get": _operation("One conversation, newest first", (200, _page("DirectMessage")), errors=(400, 404),
                          query=_PAGE_QUERY),
        "post": _operation("Send a direct message", (201, _envelope("message", _ref("DirectMessage"))),
                           errors=(403, 404, 429), body="Text"),
    },
    "/api/blocks": {"get": _operation("Usernames the caller blocked",
                                      (200, _envelope("blocked", {"type": "array", "items": _STRING})))},
    "/api/blocks/{username}": {
        "put": _operation("Block a user", (204, None), errors=(400, 404)),
        "delete": _operation("Unblock a user", (204, None), errors=(404,)),
    },
    "/health": {"get": {
        "summary": "Liveness and a summary; 503 when the database does not answer", "security": [],
        "responses": {"200": {"description": "OK", **_json(_ref("Health"))},
                      "503": {"description": "The database does not answer", **_json(_ref("Health"))}}}},
    "/metrics": {"get": {"summary": "Prometheus text exposition", "security": [],
                         "responses": {"200": {"description": "OK", "content": {"text/plain": {"schema": _STRING}}}}}},
}


def _with_path_parameters(paths: Mapping[str, dict[str, Schema]]) -> dict[str, Schema]:
    out: dict[str, Schema] = {}
    for path, item in paths.items():
        names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        params = [{"name": n, "in": "path", "required": True, "schema": _STRING, "description": _PATH_PARAMS[n]}
                  for n in names]
        out[path] = {**({"parameters": params} if params else {}), **item}
    return out


def document(prefix: str = "") -> Schema:
    """The whole OpenAPI 3.1 document; `prefix` (the configured path prefix) is its server URL."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hubbub", "version": VERSION,
            "description": "Accounts, rooms, chat and direct messages of a hubbub server. Prose and recorded "
                           "examples: docs/api.md. The live WebSocket protocol (GET /ws) is in docs/protocol.md.",
        },
        "servers": [{"url": prefix or "/"}],
        "security": [{"bearer": []}],
        "paths": _with_path_parameters(PATHS),
        "components": {
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "An access token (POST /api/auth/login) or an API key (hbk_...)"}},
            "schemas": {**SCHEMAS, **REQUEST_BODIES},
            "responses": _error_responses(),
        },
    }


OPENAPI = web.AppKey("openapi", dict)


@public
async def openapi_json(request: web.Request) -> web.Response:
    """GET /api/openapi.json"""
    return web.json_response(request.app[OPENAPI])


def add_routes(app: web.Application, prefix: str) -> None:
    """Serve the document (built once, for this prefix) at {prefix}/api/openapi.json."""
    app[OPENAPI] = document(prefix)
    app.router.add_get(f"{prefix}/api/openapi.json", openapi_json)
