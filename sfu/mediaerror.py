"""The exceptions the media plane raises to signaling (ValueError: signaling never imports sfu)."""


class MediaError(ValueError):
    """A bad offer, candidate or argument: the caller sent something the media plane cannot use."""

    code = "media_error"


class MediaUnavailable(MediaError):
    """The offer was fine but the server cannot take the session now (e.g. its UDP port range is full)."""

    code = "media_unavailable"
