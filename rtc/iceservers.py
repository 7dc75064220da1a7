"""STUN/TURN server entries: one definition for the configuration, the clients and aiortc."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiortc import RTCIceServer

SCHEMES = ("stun", "stuns", "turn", "turns")


@dataclass(frozen=True)
class IceServer:
    """One STUN/TURN entry as WebRTC's RTCIceServer has it; only configured servers are ever used."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    def __post_init__(self) -> None:
        if not self.urls or not all(isinstance(u, str) and u.split(":", 1)[0] in SCHEMES for u in self.urls):
            raise ValueError("ice server urls must be stun:, stuns:, turn: or turns: URLs")
        if not all(v is None or isinstance(v, str) for v in (self.username, self.credential)):
            raise ValueError("ice server username and credential must be strings")

    @classmethod
    def from_json(cls, item: object) -> IceServer:
        """An RTCIceServer dict (``urls`` a string or a list); ValueError names what is wrong."""
        if not isinstance(item, Mapping) or not item.keys() <= {"urls", "username", "credential"}:
            raise ValueError("each ice server is an object with urls, username, credential")
        urls = item.get("urls")
        urls = [urls] if isinstance(urls, str) else urls
        if not isinstance(urls, list):
            raise ValueError("ice server urls must be stun:, stuns:, turn: or turns: URLs")
        return cls(tuple(urls), item.get("username"), item.get("credential"))

    def to_json(self) -> dict[str, Any]:
        """The RTCIceServer dict handed to clients (credential included: clients need it)."""
        out: dict[str, Any] = {"urls": list(self.urls)}
        if self.username is not None:
            out["username"] = self.username
        if self.credential is not None:
            out["credential"] = self.credential
        return out

    def masked(self) -> dict[str, Any]:
        """to_json() with the credential replaced by *** (for printed configuration)."""
        out = self.to_json()
        if "credential" in out:
            out["credential"] = "***"
        return out

    def to_rtc(self) -> RTCIceServer:
        """aiortc's form (aiortc imported here only: the configuration must not pay for it)."""
        from aiortc import RTCIceServer

        return RTCIceServer(urls=list(self.urls), username=self.username, credential=self.credential)


def parse_ice_servers(text: str) -> tuple[IceServer, ...]:
    """A JSON list of RTCIceServer dicts; ValueError with a message that never repeats a secret."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"ice servers must be a JSON list: {exc.msg}") from None
    if not isinstance(raw, list):
        raise ValueError("ice servers must be a JSON list")
    return tuple(IceServer.from_json(item) for item in raw)
