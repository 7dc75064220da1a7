"""Device tokens: "this browser has logged in to this account before" (OWASP's device cookies).

A per-account login limit stops password guessing spread over many addresses, but on its own it
lets anyone lock an account out by failing ten times a minute. With device tokens the account
limit applies only to attempts from clients that never logged in to it; a client holding a token
from an earlier successful login is limited by its own bucket (keyed by the token's nonce)
instead, so its owner gets in while strangers are being refused. The token proves nothing on
its own: the password is still checked, and the per-address limit still applies.

Format: `{user_id}.{nonce}.{expires}.{signature}`, signed with HMAC-SHA256 under a key derived
from the server's JWT secret (so it survives restarts and dies with a secret change).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

DEFAULT_TTL = 90 * 24 * 3600.0


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class DeviceTokens:
    """Issues and checks device tokens for one server secret."""

    def __init__(self, secret: str, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.time) -> None:
        self._key = hashlib.sha256(b"hubbub device token\0" + secret.encode("utf-8")).digest()
        self._ttl = ttl
        self._clock = clock

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, user_id: str) -> str:
        """A fresh token for a client that just logged in to `user_id` with the right password."""
        payload = f"{user_id}.{secrets.token_urlsafe(12)}.{int(self._clock() + self._ttl)}"
        return f"{payload}.{self._sign(payload)}"

    def nonce(self, token: str | None, user_id: str) -> str | None:
        """The token's nonce if it is a valid, unexpired token for `user_id`; None otherwise."""
        if not token or len(token) > 200 or not token.isascii():
            return None
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != user_id or not parts[2].isdigit():
            return None
        payload = ".".join(parts[:3])
        if not hmac.compare_digest(parts[3], self._sign(payload)):
            return None
        if int(parts[2]) < self._clock():
            return None
        return parts[1]
