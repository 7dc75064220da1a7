"""Tunables of the live layer, with production defaults; tests swap in small values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from web.live.hub import HubSettings
from web.live.media import MediaPlaneLike
from web.live.ratelimit import FloodPolicy

# (on_activity, on_closed) -> plane. Only tests set one; the shipped server builds sfu.MediaPlane.
MediaFactory = Callable[[Callable[..., None], Callable[..., None]], MediaPlaneLike]


@dataclass(frozen=True)
class LiveSettings:
    """Timeouts in seconds, sizes in bytes/messages; see docs/protocol.md for what clients see."""

    auth_timeout: float = 5.0  # first message must be a valid auth within this
    heartbeat: float = 5.0  # WebSocket ping period; no pong within heartbeat/2 -> dropped (< 15 s)
    close_timeout: float = 2.0  # close handshake, then the transport is aborted
    queue_limit: int = 256  # outbound messages queued per connection before it counts as too slow
    send_buffer_bytes: int | None = 256 * 1024  # kernel send buffer cap per socket (None: OS autotuning,
    # which grows to ~4 MB and hides a stalled reader for that long)
    max_frame_bytes: int = 256 * 1024  # hard frame limit (closes with 1009); the soft cap is in protocol.py
    flood: FloodPolicy = FloodPolicy()
    chat_rate: float = 5.0  # chat messages per second per connection
    chat_burst: float = 10.0
    hub: HubSettings = HubSettings()
    media_factory: MediaFactory | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.auth_timeout <= 0 or self.close_timeout <= 0 or self.heartbeat <= 0:
            raise ValueError("timeouts and heartbeat must be positive")
        if self.heartbeat * 1.5 > 15.0:
            raise ValueError("heartbeat must detect a dropped socket within 15 s (heartbeat <= 10)")
        if self.queue_limit < 1 or self.max_frame_bytes < 64 * 1024:
            raise ValueError("queue_limit >= 1 and max_frame_bytes >= 64 KiB (SDP)")
