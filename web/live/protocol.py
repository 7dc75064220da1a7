"""Client -> server messages: strict parsing of one WebSocket text frame into a typed message.

Everything a client sends is checked here, at the edge: JSON syntax, NaN/Infinity, the exact
field set of each type and the type and range of every field. The room logic behind it only
ever sees the dataclasses below. Floor bounds depend on the room and are checked by the room.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from web import strictjson
from web.live.codes import ErrorCode

MAX_MESSAGE_CHARS = 32 * 1024
MAX_SDP_CHARS = 16 * 1024
MAX_TOKEN_CHARS = 4096
MAX_ID_CHARS = 64
MAX_CHAT_CHARS = 2000
MAX_CANDIDATE_CHARS = 1024
MAX_VOLUME = 2.0
MAX_DEVICE_CHARS = 32
DEVICE_PATTERN = re.compile(rf"[A-Za-z0-9_.-]{{1,{MAX_DEVICE_CHARS}}}")

RequestId = str | int | None


class ProtocolError(Exception):
    """Bad input: becomes an `error` message with this code; the connection stays open."""

    def __init__(self, code: ErrorCode, message: str, request_id: RequestId = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


@dataclass(frozen=True)
class Auth:
    """First message of every connection: an access token (JWT) or an API key, and an optional
    device label so one account can hold several live sessions (bots sharing a key)."""

    token: str
    device: str | None = None
    id: RequestId = None


@dataclass(frozen=True)
class Join:
    """Enter a room (leaving the current one first)."""

    room: str
    id: RequestId = None


@dataclass(frozen=True)
class Leave:
    """Leave the current room; the socket stays open."""

    id: RequestId = None


@dataclass(frozen=True)
class Move:
    """New position in metres and heading in degrees (already normalised to [0, 360))."""

    x: float
    y: float
    heading: float
    id: RequestId = None


@dataclass(frozen=True)
class Chat:
    """A room chat message (persisted like REST chat)."""

    text: str
    id: RequestId = None


@dataclass(frozen=True)
class Mute:
    """Mute or unmute one's own microphone for everybody."""

    muted: bool
    id: RequestId = None


@dataclass(frozen=True)
class Mix:
    """This listener's own mute/volume of another participant."""

    user: str
    muted: bool | None
    volume: float | None
    id: RequestId = None


@dataclass(frozen=True)
class Offer:
    """WebRTC SDP offer for the server's media peer."""

    sdp: str
    id: RequestId = None


@dataclass(frozen=True)
class Ice:
    """A trickled ICE candidate; `candidate` None means end of candidates."""

    candidate: str | None
    sdp_mid: str | None
    sdp_mline_index: int | None
    id: RequestId = None


@dataclass(frozen=True)
class Ping:
    """Application-level round trip; answered with `pong`."""

    id: RequestId = None


@dataclass(frozen=True)
class IceServers:
    """Fresh ICE servers (new TURN credentials) before renegotiating media; answered with `ice_servers`."""

    id: RequestId = None


ClientMessage = Auth | Join | Leave | Move | Chat | Mute | Mix | Offer | Ice | IceServers | Ping

_MISSING = object()
Check = Callable[[str, Any], Any]


def _string(max_chars: int, *, allow_empty: bool = False) -> Check:
    def check(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise ProtocolError(ErrorCode.INVALID_FIELD, f"{name} must be a string")
        if not value and not allow_empty:
            raise ProtocolError(ErrorCode.INVALID_FIELD, f"{name} must not be empty")
        if len(value) > max_chars:
            raise ProtocolError(ErrorCode.INVALID_FIELD, f"{name} must be at most {max_chars} characters")
        return value

    return check


def _optional(inner: Check) -> Check:
    def check(name: str, value: Any) -> Any:
        return None if value is None else inner(name, value)

    return check


def _number(name: str, value: Any) -> float:
    if value.__class__ is not float and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ProtocolError(ErrorCode.INVALID_FIELD, f"{name} must be a number")
    result = float(value)
    if not math.isfinite(result):
        raise ProtocolError(ErrorCode.INVALID_FIELD, f"{name} must be finite")
    return result


def _boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ProtocolError(ErrorCode.INVALID_FIELD, f"{name} must be true or false")
    return value


def _index(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
        raise ProtocolError(ErrorCode.INVALID_FIELD, f"{name} must be an integer 0..255")
    return value


def _volume(name: str, value: Any) -> float:
    result = _number(name, value)
    if not 0.0 <= result <= MAX_VOLUME:
        raise ProtocolError(ErrorCode.INVALID_FIELD, f"{name} must be between 0 and {MAX_VOLUME}")
    return result


def _chat_text(name: str, value: Any) -> str:
    text = _string(MAX_CHAT_CHARS)(name, value)
    if not text.strip():
        raise ProtocolError(ErrorCode.INVALID_FIELD, f"{name} must not be only whitespace")
    return text


def _device(name: str, value: Any) -> str:
    if not isinstance(value, str) or not DEVICE_PATTERN.fullmatch(value):
        raise ProtocolError(ErrorCode.INVALID_FIELD,
                            f"{name} must be 1..{MAX_DEVICE_CHARS} characters of A-Z a-z 0-9 _ . -")
    return value


def participant_id(user_id: str, device: str | None) -> str:
    """The id a session has in rooms: the user id, or `{user_id}.{device}` with a device label.
    User ids never contain a dot, so the first dot always separates the two."""
    return user_id if device is None else f"{user_id}.{device}"


def normalise_heading(degrees: float) -> float:
    """Any finite angle to [0, 360) (`-1e-20 % 360` is 360.0 in floats, hence the guard)."""
    h = degrees % 360.0
    return 0.0 if h >= 360.0 else h


# type -> (class, {field: (check, required)})
_SCHEMAS: dict[str, tuple[type, dict[str, tuple[Check, bool]]]] = {
    "auth": (Auth, {"token": (_string(MAX_TOKEN_CHARS), True), "device": (_optional(_device), False)}),
    "join": (Join, {"room": (_string(MAX_ID_CHARS), True)}),
    "leave": (Leave, {}),
    "move": (Move, {"x": (_number, True), "y": (_number, True), "heading": (_number, True)}),
    "chat": (Chat, {"text": (_chat_text, True)}),
    "mute": (Mute, {"muted": (_boolean, True)}),
    "mix": (Mix, {"user": (_string(MAX_ID_CHARS), True), "muted": (_optional(_boolean), False),
                  "volume": (_optional(_volume), False)}),
    "offer": (Offer, {"sdp": (_string(MAX_SDP_CHARS), True)}),
    "ice": (Ice, {"candidate": (_optional(_string(MAX_CANDIDATE_CHARS, allow_empty=True)), True),
                  "sdp_mid": (_optional(_string(MAX_ID_CHARS, allow_empty=True)), False),
                  "sdp_mline_index": (_optional(_index), False)}),
    "ice_servers": (IceServers, {}),
    "ping": (Ping, {}),
}

MESSAGE_TYPES = frozenset(_SCHEMAS)


def _reject_constant(name: str) -> Any:
    raise ProtocolError(ErrorCode.INVALID_FIELD, f"{name} is not allowed (numbers must be finite)")


_decode = strictjson.decoder(parse_constant=_reject_constant)


def _request_id(raw: dict[str, Any]) -> RequestId:
    rid = raw.get("id")
    if rid is None:
        return None
    if isinstance(rid, str) and len(rid) <= MAX_ID_CHARS:
        return rid
    if isinstance(rid, int) and not isinstance(rid, bool) and abs(rid) < 2**53:
        return rid
    raise ProtocolError(ErrorCode.INVALID_FIELD,
                        f"id must be a string of at most {MAX_ID_CHARS} characters or an integer")


def parse_message(text: str) -> ClientMessage:
    """One text frame -> a typed message, or ProtocolError (carrying the request id when known)."""
    if len(text) > MAX_MESSAGE_CHARS:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"messages are limited to {MAX_MESSAGE_CHARS} characters")
    try:
        raw = _decode(text)
    except strictjson.StrictJsonError as exc:
        raise ProtocolError(ErrorCode.INVALID_JSON, f"message: {exc}") from None
    if not isinstance(raw, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "message must be a JSON object")
    rid = _request_id(raw)
    kind = raw.get("type", _MISSING)
    if kind is _MISSING:
        raise ProtocolError(ErrorCode.MISSING_FIELD, "type is required", rid)
    if not isinstance(kind, str) or kind not in _SCHEMAS:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, "unknown message type", rid)
    cls, schema = _SCHEMAS[kind]
    extra = set(raw) - set(schema) - {"type", "id"}
    if extra:
        raise ProtocolError(ErrorCode.UNKNOWN_FIELD, f"unknown field(s) for {kind}: {', '.join(sorted(extra))}", rid)
    values: dict[str, Any] = {}
    for name, (check, required) in schema.items():
        value = raw.get(name, _MISSING)
        if value is _MISSING:
            if required:
                raise ProtocolError(ErrorCode.MISSING_FIELD, f"{kind} needs {name}", rid)
            value = None
        try:
            values[name] = check(name, value)
        except ProtocolError as exc:
            exc.request_id = rid
            raise
    if kind == "move":
        values["heading"] = normalise_heading(values["heading"])
    if kind == "mix" and values["muted"] is None and values["volume"] is None:
        raise ProtocolError(ErrorCode.MISSING_FIELD, "mix needs muted or volume", rid)
    message: ClientMessage = cls(**values, id=rid)
    return message
