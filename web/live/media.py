"""The narrow interface signaling uses to reach the media plane (sfu.MediaPlane implements it).

Keeping signaling behind this Protocol lets the media plane move to another process later,
and lets signaling tests run without aiortc.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mixer import Acoustics


class MediaPlaneLike(Protocol):
    """What the hub calls on the media plane; positions in metres, heading in degrees."""

    async def open_session(
        self, room_id: str, participant_id: str, offer_sdp: str, *, x: float, y: float, heading: float,
        acoustics: Acoustics | None = None,
    ) -> str:
        """Answer SDP for an offer (replacing an older session); raises ValueError on a bad offer.
        `acoustics` are the room's settings (they reach its mixer, new or running)."""
        ...

    async def add_ice_candidate(
        self, room_id: str, participant_id: str, candidate: str | None, sdp_mid: str | None,
        sdp_mline_index: int | None,
    ) -> None:
        """A trickled remote candidate (None: end of candidates)."""
        ...

    def set_pose(self, room_id: str, participant_id: str, x: float, y: float, heading: float) -> None:
        """Position and heading (fine before a session exists)."""
        ...

    def set_muted(self, room_id: str, participant_id: str, muted: bool) -> None:
        """Microphone mute for everybody."""
        ...

    def set_preference(
        self, room_id: str, listener_id: str, source_id: str, *, muted: bool | None = None,
        gain: float | None = None,
    ) -> None:
        """One listener's own mute/gain of one source."""
        ...

    def set_acoustics(self, room_id: str, acoustics: Acoustics) -> None:
        """The host changed a live room's acoustics (applied at the next tick)."""
        ...

    async def close_session(self, room_id: str, participant_id: str) -> None:
        """End a participant's media session (idempotent)."""
        ...

    async def close(self) -> None:
        """Stop everything (shutdown)."""
        ...

    def stats(self) -> dict[str, Any]:
        """Counters for /health and diagnostics."""
        ...
