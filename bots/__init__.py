"""Headless participants: the reference client for tests, load and recording."""

from .botpeer import BotPeer
from .clicksource import ClickSource
from .recorder import Recorder
from .sourcetrack import SourceTrack
from .tonesource import ToneSource
from .wavsource import WavSource

__all__ = ["BotPeer", "ClickSource", "Recorder", "SourceTrack", "ToneSource", "WavSource"]
