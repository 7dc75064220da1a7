"""Who is making a request, once their credential has been checked."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """An authenticated user; `api_key_id` is set when the credential was (or came from) an API key."""

    user_id: str
    username: str
    api_key_id: str | None = None
