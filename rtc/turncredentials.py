"""Short-lived TURN credentials, coturn's "TURN REST API" scheme (`use-auth-secret`).

The server and the TURN server share a secret; each client gets ``expiry:user`` as username and
base64(HMAC-SHA1(secret, username)) as password, so no long-lived TURN password ever reaches a
browser and a leaked one stops working at ``expiry``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time


def mint(secret: str, user: str, ttl: int, now: float | None = None) -> tuple[str, str]:
    """(username, credential) valid for ``ttl`` seconds from ``now`` (default: the wall clock)."""
    expiry = int(time.time() if now is None else now) + ttl
    username = f"{expiry}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def expiry_of(username: str) -> int | None:
    """The Unix time a REST-API username stops being accepted (None if it is not one)."""
    head, sep, _ = username.partition(":")
    return int(head) if sep and head.isdigit() else None
