"""The ICE servers each client is handed in `joined`: the static ones, plus TURN with credentials
minted for that user (coturn's REST scheme), so no long-lived TURN password reaches a browser."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rtc import turncredentials
from rtc.iceservers import IceServer


class ClientIceServers:
    """Static servers and an optional TURN entry with per-user, short-lived credentials."""

    def __init__(
        self, static: Sequence[IceServer] = (), turn_urls: Sequence[str] = (), turn_secret: str | None = None,
        turn_ttl: int = 6 * 3600,
    ) -> None:
        self._static = [s.to_json() for s in static]
        self._turn_urls = list(turn_urls)
        self._turn_secret = turn_secret
        self._turn_ttl = turn_ttl

    def for_user(self, user_id: str) -> list[dict[str, Any]]:
        """RTCIceServer dicts for this user, minted now (each join gets fresh credentials)."""
        out = [dict(s) for s in self._static]
        if self._turn_urls and self._turn_secret is not None:
            username, credential = turncredentials.mint(self._turn_secret, user_id, self._turn_ttl)
            out.append({"urls": list(self._turn_urls), "username": username, "credential": credential})
        return out

    def describe(self) -> dict[str, Any]:
        """For /health: what clients get, without credentials."""
        return {"static": len(self._static), "turn_urls": list(self._turn_urls),
                "turn_credential_ttl_s": self._turn_ttl if self._turn_urls else None}
