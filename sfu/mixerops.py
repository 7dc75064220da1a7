"""Control operations for a room's mixer as small typed values, and the one function that applies them.

Pose, mute, preference and acoustics changes wait in a Room's queue until the next tick's worker
job applies them. As frozen dataclasses they show what is pending in a debugger or a log, and they
pickle, so a media worker in another process can be sent them (slotted: one is made per control message).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from mixer import Acoustics


class MixerLike(Protocol):
    """The part of mixer.Mixer the room drives (the fixed mixer contract)."""

    max_sources: int | None  # each listener's cap on mixed sources; lowered under load

    def add(self, pid: str, x: float, y: float, heading: float) -> None: ...
    def remove(self, pid: str) -> None: ...
    def set_pose(self, pid: str, x: float, y: float, heading: float) -> None: ...
    def set_source(self, pid: str, *, muted: bool | None = None, gain: float | None = None) -> None: ...
    def set_preference(
        self, listener: str, source: str, *, muted: bool | None = None, gain: float | None = None
    ) -> None: ...
    def set_acoustics(self, acoustics: Any) -> None: ...
    def mix(self, frames: Mapping[str, np.ndarray]) -> Any: ...


@dataclass(frozen=True, slots=True)
class SetAcoustics:
    """The room's new acoustics (mixer.Acoustics: frozen, so it pickles and is never half-applied)."""

    acoustics: Acoustics


@dataclass(frozen=True, slots=True)
class AddParticipant:
    """Give ``pid`` a slot at this pose (the mixer refuses an id it already has)."""

    pid: str
    x: float
    y: float
    heading: float


@dataclass(frozen=True, slots=True)
class SetPose:
    """Move and turn ``pid``."""

    pid: str
    x: float
    y: float
    heading: float


@dataclass(frozen=True, slots=True)
class SetMuted:
    """Mute or unmute ``pid``'s voice for everyone."""

    pid: str
    muted: bool


@dataclass(frozen=True, slots=True)
class SetPreference:
    """How ``listener`` alone hears ``source`` (None keeps the current value)."""

    listener: str
    source: str
    muted: bool | None
    gain: float | None


@dataclass(frozen=True, slots=True)
class RemoveParticipant:
    """Free ``pid``'s slot (idempotent)."""

    pid: str


MixerOp = SetAcoustics | AddParticipant | SetPose | SetMuted | SetPreference | RemoveParticipant


def apply(mixer: MixerLike, op: MixerOp) -> None:
    """Apply one operation (KeyError/ValueError from the mixer pass through to the caller)."""
    match op:
        case AddParticipant(pid, x, y, heading):
            mixer.add(pid, x, y, heading)
        case RemoveParticipant(pid):
            mixer.remove(pid)
        case SetPose(pid, x, y, heading):
            mixer.set_pose(pid, x, y, heading)
        case SetMuted(pid, muted):
            mixer.set_source(pid, muted=muted)
        case SetAcoustics(acoustics):
            mixer.set_acoustics(acoustics)
        case SetPreference(listener, source, muted, gain):
            mixer.set_preference(listener, source, muted=muted, gain=gain)
