"""Live rooms over WebSocket: presence, positions, chat and WebRTC signaling (docs/protocol.md)."""

from web.live.setup import setup_live

__all__ = ["setup_live"]
