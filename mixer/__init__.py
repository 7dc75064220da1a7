"""Pure DSP: positions -> gains -> a personal stereo mix per listener. No I/O, no aiortc.

Every 20 ms tick the media plane hands `Mixer.mix` one decoded frame per source and gets back one
int16 stereo frame per listener, in which every other participant is panned to the side they stand
on and attenuated by distance (Web Audio PannerNode laws), with click-free gain ramps and a
per-listener limiter. Full description, API and figures: docs/mixer.md; benchmark: `hubbub bench mixer`
(bench/mixer.py, outside this package).

## The mixer API contract (fixed: the media plane is written against it; things may be ADDED, not changed)
```python
SAMPLE_RATE = 48000; FRAME_SAMPLES = 960            # one 20 ms tick
@dataclass(frozen=True)
class Acoustics:                                     # per-room settings, validated in __post_init__ (ValueError)
    distance_model: str = "inverse"                  # "inverse" | "linear" | "exponential" (Web Audio PannerNode formulas)
    ref_distance: float = 2.0; max_distance: float = 25.0; rolloff: float = 1.5
    audible_radius: float = 25.0                     # beyond it a source is not mixed at all
    # + ramp_samples, limiter_ceiling_dbfs, limiter_release_ms, speech_dbov, hangover_ticks
@dataclass(frozen=True)
class Activity:
    level_dbov: float                                # this tick's level of the source (-127.0 for digital silence)
    speaking: bool                                   # with hangover
@dataclass
class MixResult:
    outputs: dict[str, np.ndarray]                   # listener id -> int16, shape (1, 1920), C-contiguous: ready for
                                                     # av.AudioFrame.from_ndarray(arr, format="s16", layout="stereo")
                                                     # (listeners hearing nothing share one read-only silent array)
    activity: dict[str, Activity]                    # source id -> activity this tick (every participant)
    dropped: tuple[str, ...]                         # ids whose frame was malformed and ignored this tick
    pairs: int                                       # (listener, source) pairs mixed this tick
class Mixer:
    def __init__(self, acoustics: Acoustics | None = None, *, max_sources: int | None = None) -> None
    def add(self, pid: str, x: float, y: float, heading: float) -> None      # ValueError if pid already present
    def remove(self, pid: str) -> None                                       # idempotent
    def set_pose(self, pid: str, x: float, y: float, heading: float) -> None
    def set_source(self, pid: str, *, muted: bool | None = None, gain: float | None = None) -> None      # for everyone
    def set_preference(self, listener: str, source: str, *, muted: bool | None = None, gain: float | None = None) -> None  # just for this listener
    def set_acoustics(self, acoustics: Acoustics) -> None
    def mix(self, frames: Mapping[str, np.ndarray]) -> MixResult
        # frames: pid -> int16 array holding 1920 values (960 interleaved stereo samples, any shape, e.g. (1, 1920)
        # as av's AudioFrame.to_ndarray() gives for packed s16). A participant missing from `frames` is silent this
        # tick; unknown pids are ignored. Every participant gets an output (silence if nothing audible).
    participants: property -> collection of ids
```
Coordinates: metres on the room floor, x to the right, y forward ("north"). Heading in DEGREES, compass style: 0 = facing +y,
90 = facing +x (clockwise positive); any finite value accepted and normalised. So a listener at (10, 10) with heading 0
hears a source at (8, 10) fully on the LEFT and one at (12, 10) on the RIGHT. Unknown pid in set_* -> KeyError;
non-finite numbers or gains outside 0..4 -> ValueError. `mix` is CPU work: call it off the event loop.
"""

from .acoustics import Acoustics, distance_gain, pan_gains
from .activity import Activity
from .layout import FRAME_SAMPLES, SAMPLE_RATE
from .mixer import Mixer
from .reference import ReferenceMixer
from .room import MixResult

__all__ = [
           "FRAME_SAMPLES",
           "SAMPLE_RATE",
           "Acoustics",
           "Activity",
           "MixResult",
           "Mixer",
           "ReferenceMixer",
           "distance_gain",
           "pan_gains",
]
