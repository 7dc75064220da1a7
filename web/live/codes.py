"""Protocol version, error codes and WebSocket close codes of the live protocol (docs/protocol.md)."""

from __future__ import annotations

import enum

PROTOCOL_VERSION = 1
SUBPROTOCOL = "hubbub.v1"


class ErrorCode(enum.StrEnum):
    """`code` of an `error` message; the connection stays open after every one of them."""

    INVALID_JSON = "invalid_json"
    BAD_MESSAGE = "bad_message"
    UNKNOWN_TYPE = "unknown_type"
    MISSING_FIELD = "missing_field"
    UNKNOWN_FIELD = "unknown_field"
    INVALID_FIELD = "invalid_field"
    TOO_LARGE = "too_large"
    OUT_OF_BOUNDS = "out_of_bounds"
    RATE_LIMITED = "rate_limited"
    AUTH_REQUIRED = "auth_required"
    AUTH_FAILED = "auth_failed"
    ALREADY_AUTHENTICATED = "already_authenticated"
    TOO_MANY_SESSIONS = "too_many_sessions"
    NOT_IN_ROOM = "not_in_room"
    ROOM_NOT_FOUND = "room_not_found"
    ROOM_FULL = "room_full"
    UNKNOWN_MEMBER = "unknown_member"
    MEDIA_ERROR = "media_error"
    MEDIA_UNAVAILABLE = "media_unavailable"
    INTERNAL = "internal_error"


class CloseCode(enum.IntEnum):
    """Close codes the server uses; 4xxx are hubbub's own (the reason text repeats the name)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    INVALID_TEXT = 1007  # a text frame that is not UTF-8 (RFC 6455 8.1: the connection must fail)
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    AUTH_TIMEOUT = 4001
    AUTH_FAILED = 4003
    REPLACED = 4004
    REMOVED = 4005
    REVOKED = 4006
    FLOOD = 4008
    SLOW_CONSUMER = 4009


CLOSE_REASONS: dict[CloseCode, str] = {
    CloseCode.NORMAL: "bye",
    CloseCode.GOING_AWAY: "server shutting down",
    CloseCode.INVALID_TEXT: "invalid UTF-8",
    CloseCode.MESSAGE_TOO_BIG: "message too big",
    CloseCode.INTERNAL_ERROR: "internal error",
    CloseCode.AUTH_TIMEOUT: "auth timeout",
    CloseCode.AUTH_FAILED: "auth failed",
    CloseCode.REPLACED: "replaced",
    CloseCode.REMOVED: "removed from room",
    CloseCode.REVOKED: "credentials revoked",
    CloseCode.FLOOD: "rate limit exceeded",
    CloseCode.SLOW_CONSUMER: "too slow",
}


class LeaveReason(enum.StrEnum):
    """`reason` of a `member_left` message."""

    LEFT = "left"
    DISCONNECTED = "disconnected"
    REPLACED = "replaced"
    REMOVED = "removed"
