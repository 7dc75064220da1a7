"""Parse request bodies and query strings at the edge: strict types, no unknown fields."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from web import strictjson
from web.errors import ApiError
from web.keys import CONFIG


@dataclass(frozen=True)
class Field:
    """One body field: `kind` is "str", "int", "number" or "object"; optional fields take `default`."""

    kind: str
    required: bool = True
    default: Any = None


_KINDS: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "number": (int, float), "object": (dict,)}
_NOUNS = {"str": "a string", "int": "an integer", "number": "a number", "object": "a JSON object"}


def _bad(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


_decode = strictjson.decoder()  # NaN/Infinity parse here and are refused per field (invalid_type)


async def read_json(request: web.Request, spec: Mapping[str, Field]) -> dict[str, Any]:
    """The body as a dict matching `spec`; 400 for malformed JSON, wrong types, unknown or
    missing fields; 415 unless it is UTF-8 `application/json`; 413 (raised by aiohttp) past
    the configured body size; 408 if it takes longer than `body_timeout` (a slow-body client)."""
    if not request.body_exists:
        raise _bad("invalid_json", "request body must be a JSON object")
    if request.content_type != "application/json" or (request.charset or "utf-8").lower() != "utf-8":
        raise ApiError(415, "unsupported_media_type", "send the body as Content-Type: application/json (UTF-8)")
    try:
        async with asyncio.timeout(request.app[CONFIG].body_timeout):
            raw = await request.read()
    except TimeoutError:
        raise ApiError(408, "request_timeout", "the request body did not arrive in time") from None
    try:
        body = _decode(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _bad("invalid_json", "request body must be UTF-8") from None
    except strictjson.StrictJsonError as exc:
        raise _bad("invalid_json", f"request body: {exc}") from None
    if not isinstance(body, dict):
        raise _bad("invalid_json", "request body must be a JSON object")
    return check_fields(body, spec)


def check_fields(
    body: Mapping[str, Any], spec: Mapping[str, Field], *, prefix: str = "", partial: bool = False
) -> dict[str, Any]:
    """`body` (a JSON object) checked against `spec`: 400 for wrong types, unknown or missing fields.

    Error messages name fields with `prefix` (e.g. "acoustics." for a nested object). With
    `partial` (merge-style updates) only the fields present come back, an explicit null as None,
    so "leave as is" and "back to the default" stay distinguishable.
    """
    unknown = sorted(set(body) - set(spec))
    if unknown:
        raise _bad("unknown_field", f"unknown field: {prefix}{unknown[0]}")
    out: dict[str, Any] = {}
    for name, field in spec.items():
        if partial and name in body and body[name] is None:
            out[name] = None
            continue
        if name not in body or body[name] is None and not field.required:
            if field.required and not partial:
                raise _bad("missing_field", f"missing field: {prefix}{name}")
            if not partial:
                out[name] = field.default
            continue
        value = body[name]
        if field.kind == "int" and isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON has one number type: 12.0 is the integer 12 (as JSON Schema says)
        if isinstance(value, bool) or not isinstance(value, _KINDS[field.kind]):
            raise _bad("invalid_type", f"{prefix}{name} must be {_NOUNS[field.kind]}")
        if isinstance(value, float) and not math.isfinite(value):
            raise _bad("invalid_type", f"{prefix}{name} must be a finite number")
        out[name] = value
    return out


def query_params(request: web.Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query string as a dict: 400 invalid_query for a name the route does not take or one
    given twice (strict like bodies: a typo must not silently mean the default)."""
    names = [name for name, _ in request.query.items()]  # keys() would fold repeated names
    for name in names:
        if name not in allowed:
            raise _bad("invalid_query", f"unknown query parameter (this route takes {', '.join(allowed)})")
        if names.count(name) > 1:
            raise _bad("invalid_query", f"{name} is given more than once")
    return dict(request.query)


_INTEGER = re.compile(r"-?[0-9]{1,18}")


def query_int(query: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    """An integer query parameter within [lo, hi]: ASCII digits only (int() would also take
    '1_0', ' 5' or Arabic-Indic digits)."""
    raw = query.get(name)
    if raw is None:
        return default
    if not _INTEGER.fullmatch(raw):
        raise _bad("invalid_query", f"{name} must be an integer")
    value = int(raw)
    if not lo <= value <= hi:
        raise _bad("invalid_query", f"{name} must be between {lo} and {hi}")
    return value


def check_range(name: str, value: float, lo: float, hi: float) -> float:
    """A numeric field within [lo, hi]."""
    if not lo <= value <= hi:
        raise _bad("invalid_value", f"{name} must be between {lo:g} and {hi:g}")
    return value


def check_length(name: str, value: str, lo: int, hi: int) -> str:
    """A string field with lo..hi characters."""
    if not lo <= len(value) <= hi:
        raise _bad("invalid_value", f"{name} must be {lo}-{hi} characters")
    return value
