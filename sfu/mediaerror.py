"""The one exception the media plane raises for bad input from signaling."""


class MediaError(ValueError):
    """A bad offer, candidate or argument: the caller sent something the media plane cannot use."""
