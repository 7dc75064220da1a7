"""Every error the store raises, in one place, so callers (REST and WebSocket) map them once."""

from __future__ import annotations


class StoreError(Exception):
    """Base of all store errors; `code` is the stable machine-readable name used in API errors."""

    code = "store_error"


class NotFound(StoreError):
    """The thing does not exist, or the caller may not know that it does (non-members, blocks)."""

    code = "not_found"


class UserNotFound(NotFound):
    """No such user, or the user blocked the caller (the same answer on purpose)."""

    code = "user_not_found"


class RoomNotFound(NotFound):
    """No such room, or the caller is not a member (404, never 403, so ids cannot be probed)."""

    code = "room_not_found"


class ApiKeyNotFound(NotFound):
    """No such API key for this user."""

    code = "api_key_not_found"


class Conflict(StoreError):
    """The change collides with existing state."""

    code = "conflict"


class UsernameTaken(Conflict):
    """Usernames are unique case-insensitively."""

    code = "username_taken"


class AlreadyMember(Conflict):
    """The user is already a member of the room."""

    code = "already_member"


class RoomChanged(Conflict):
    """The room's stored acoustics are no longer the ones the caller merged its change onto."""

    code = "room_changed"


class TooManyApiKeys(Conflict):
    """The user already holds the maximum number of API keys (revoking one makes room)."""

    code = "too_many_api_keys"


class BlockedUser(StoreError):
    """The caller has blocked the user they are writing to: unblock first (they could not answer)."""

    code = "user_blocked"


class LimitExceeded(StoreError):
    """A configured quota (e.g. rooms created per day) is used up."""

    code = "limit_exceeded"


class RoomLimitExceeded(LimitExceeded):
    """The per-user daily room creation limit is reached; `retry_after` seconds until a slot frees."""

    code = "room_limit_exceeded"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvalidValue(StoreError):
    """A value breaks a domain rule (e.g. chat text length); `field` names the offending input."""

    code = "invalid_value"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class DatabaseUnusable(StoreError):
    """The database file cannot be opened, is corrupt, or has a schema newer than this code:
    the server must not start on it (the message is one line for the operator)."""

    code = "database_unusable"
