"""HS256 access tokens: issued with sub/iat/exp/ver, verified with the algorithm pinned."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt

from auth.errors import Unauthenticated

ALGORITHM = "HS256"


@dataclass(frozen=True)
class Claims:
    """What a valid token says: who, which credential generation, and (if any) which API key."""

    user_id: str
    version: int
    issued_at: int
    expires_at: int
    api_key_id: str | None


@dataclass(frozen=True)
class IssuedToken:
    """A freshly signed token and its lifetime, as login returns it."""

    token: str
    expires_in: int


class TokenCodec:
    """Signs and verifies tokens with one secret; anything but a valid HS256 token is refused."""

    def __init__(self, secret: str, ttl: int) -> None:
        self._secret = secret
        self._ttl = ttl

    def issue(self, user_id: str, version: int, api_key_id: str | None = None, now: float | None = None) -> IssuedToken:
        """Sign a token valid for the configured lifetime."""
        iat = int(time.time() if now is None else now)
        claims: dict[str, Any] = {"sub": user_id, "iat": iat, "exp": iat + self._ttl, "ver": version}
        if api_key_id is not None:
            claims["akid"] = api_key_id
        return IssuedToken(jwt.encode(claims, self._secret, algorithm=ALGORITHM), self._ttl)

    def decode(self, token: str) -> Claims:
        """Verify signature, algorithm and expiry; Unauthenticated (no detail) otherwise."""
        try:
            raw = jwt.decode(
                token, self._secret, algorithms=[ALGORITHM], options={"require": ["exp", "iat", "sub"]}
            )
        except jwt.PyJWTError:
            raise Unauthenticated("invalid or expired token") from None
        sub, ver, akid = raw.get("sub"), raw.get("ver", 0), raw.get("akid")
        if not isinstance(sub, str) or not isinstance(ver, int) or not (akid is None or isinstance(akid, str)):
            raise Unauthenticated("invalid or expired token")
        return Claims(sub, ver, int(raw["iat"]), int(raw["exp"]), akid)
