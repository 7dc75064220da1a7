"""Named authentication/authorization errors; `code` and `status` become the API error."""

from __future__ import annotations


class AuthError(Exception):
    """Base: a request was refused for identity or permission reasons."""

    code = "auth_error"
    status = 401


class Unauthenticated(AuthError):
    """No, malformed, expired, forged or revoked credential (token or API key)."""

    code = "unauthorized"
    status = 401


class InvalidCredentials(AuthError):
    """Unknown user or wrong password: one answer for both, on purpose."""

    code = "invalid_credentials"
    status = 401


class SignupSecretInvalid(AuthError):
    """Registration needs the operator's signup secret."""

    code = "invalid_signup_secret"
    status = 403


class Forbidden(AuthError):
    """The caller may see the thing but not do this to it (e.g. a non-host managing members)."""

    code = "forbidden"
    status = 403


class InvalidUsername(AuthError):
    """Username breaks the documented rule."""

    code = "invalid_username"
    status = 400


class InvalidPassword(AuthError):
    """Password too short or longer than bcrypt's 72-byte limit."""

    code = "invalid_password"
    status = 400


class RateLimited(AuthError):
    """Too many attempts from this address or for this username; retry after `retry_after` s."""

    code = "rate_limited"
    status = 429

    def __init__(self, retry_after: float) -> None:
        super().__init__("too many attempts, try again later")
        self.retry_after = retry_after
