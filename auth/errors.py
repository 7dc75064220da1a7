"""Named authentication/authorization errors. `code` is the stable machine-readable name; the
HTTP status each maps to is decided at the edge (web/errors.py), like the store's errors."""

from __future__ import annotations


class AuthError(Exception):
    """Base: a request was refused for identity or permission reasons."""

    code = "auth_error"


class Unauthenticated(AuthError):
    """No, malformed, expired, forged or revoked credential (token or API key)."""

    code = "unauthorized"


class InvalidCredentials(AuthError):
    """Unknown user or wrong password: one answer for both, on purpose."""

    code = "invalid_credentials"


class SignupSecretInvalid(AuthError):
    """Registration needs the operator's signup secret."""

    code = "invalid_signup_secret"


class Forbidden(AuthError):
    """The caller may see the thing but not do this to it (e.g. a non-host managing members)."""

    code = "forbidden"


class InvalidUsername(AuthError):
    """Username breaks the documented rule."""

    code = "invalid_username"


class InvalidPassword(AuthError):
    """Password too short or longer than bcrypt's 72-byte limit."""

    code = "invalid_password"


class RateLimited(AuthError):
    """Too many attempts from this address or for this username; retry after `retry_after` s."""

    code = "rate_limited"

    def __init__(self, retry_after: float) -> None:
        super().__init__("too many attempts, try again later")
        self.retry_after = retry_after


class Overloaded(AuthError):
    """The password-hashing queue is full: the server sheds this attempt instead of making
    every caller wait; retry after `retry_after` s."""

    code = "overloaded"

    def __init__(self, retry_after: float) -> None:
        super().__init__("the server is busy checking passwords, try again shortly")
        self.retry_after = retry_after
