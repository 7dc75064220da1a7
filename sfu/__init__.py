"""Media plane: aiortc peers, inbound decode buffers, the room clock and outbound mixed tracks."""

from .mediaconfig import IceServer, MediaConfig
from .mediaerror import MediaError
from .plane import ActivityCallback, ClosedCallback, MediaPlane
from .sessionclosed import SessionClosed

__all__ = [
    "ActivityCallback",
    "ClosedCallback",
    "IceServer",
    "MediaConfig",
    "MediaError",
    "MediaPlane",
    "SessionClosed",
]
