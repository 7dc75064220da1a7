"""Why a media session ended (passed to the plane's ``on_closed`` callback)."""

import enum


class SessionClosed(enum.Enum):
    """Close reasons, like LiveKit's: signaling decides what to tell the room from these."""

    LEFT = "left"  # signaling closed it, or the peer hung up (RTCP BYE / track ended)
    REPLACED = "replaced"  # a newer offer from the same participant took its place
    ICE_FAILED = "ice_failed"  # connectionState went to "failed"
    SILENT_PEER = "silent_peer"  # no RTP for MediaConfig.silent_peer_timeout seconds
    SHUTDOWN = "shutdown"  # MediaPlane.close()
