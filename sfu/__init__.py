"""Media plane: aiortc peers, inbound decode buffers, the room clock and outbound mixed tracks."""

from .mediaconfig import MediaConfig
from .mediaerror import MediaError, MediaUnavailable
from .plane import ActivityCallback, ClosedCallback, MediaPlane
from .sessionclosed import SessionClosed

__all__ = [
    "ActivityCallback",
    "ClosedCallback",
    "MediaConfig",
    "MediaError",
    "MediaUnavailable",
    "MediaPlane",
    "SessionClosed",
]
