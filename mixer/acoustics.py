"""Per-room acoustics settings and the pure gain laws (Web Audio PannerNode distance models, equal-power pan)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DISTANCE_MODELS = ("inverse", "linear", "exponential")


@dataclass(frozen=True)
class Acoustics:
    """A room's acoustics; immutable so a tick never sees a half-applied change (ValueError if invalid)."""

    distance_model: str = "inverse"
    ref_distance: float = 2.0  # metres: full level up to here (a conversation at 1-2 m)
    max_distance: float = 25.0  # metres: where the linear model reaches its floor
    rolloff: float = 1.5  # inverse model: 15 m away is about -20 dB ("faint")
    audible_radius: float = 25.0  # metres: beyond it a source is not mixed at all
    ramp_samples: int = 960  # gain changes glide linearly over the first N samples of a tick (all 20 ms)
    limiter_ceiling_dbfs: float = -0.3  # the limiter keeps every output sample under this peak
    limiter_release_ms: float = 150.0  # time constant of the limiter's recovery after a loud passage
    speech_dbov: float = -45.0  # a source louder than this in a tick counts as speaking
    hangover_ticks: int = 15  # ... and stays "speaking" this many ticks after its last loud one

    def __post_init__(self) -> None:
        if self.distance_model not in DISTANCE_MODELS:
            raise ValueError(f"distance_model must be one of {DISTANCE_MODELS}, not {self.distance_model!r}")
        for name in ("ref_distance", "max_distance", "rolloff", "audible_radius", "limiter_ceiling_dbfs",
                     "limiter_release_ms", "speech_dbov"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, not {value!r}")
        for name in ("ramp_samples", "hangover_ticks"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer, not {value!r}")
        if self.ref_distance <= 0:
            raise ValueError("ref_distance must be > 0")
        if self.max_distance <= self.ref_distance:
            raise ValueError("max_distance must be > ref_distance")
        if self.rolloff < 0:
            raise ValueError("rolloff must be >= 0")
        if self.audible_radius <= 0:
            raise ValueError("audible_radius must be > 0")
        if not 1 <= self.ramp_samples <= 960:
            raise ValueError("ramp_samples must be in 1..960")
        if not -60.0 <= self.limiter_ceiling_dbfs <= 0.0:
            raise ValueError("limiter_ceiling_dbfs must be in -60..0")
        if self.limiter_release_ms <= 0:
            raise ValueError("limiter_release_ms must be > 0")
        if not -127.0 <= self.speech_dbov <= 0.0:
            raise ValueError("speech_dbov must be in -127..0")
        if self.hangover_ticks < 0:
            raise ValueError("hangover_ticks must be >= 0")


def distance_gain(d: np.ndarray, acoustics: Acoustics) -> np.ndarray:
    """Gain for listener-source distances `d` by the PannerNode formula, 0 beyond the audible radius."""
    ref, rolloff = acoustics.ref_distance, acoustics.rolloff
    d = np.asarray(d)
    if acoustics.distance_model == "inverse":
        gain = ref / (ref + rolloff * (np.maximum(d, ref) - ref))
    elif acoustics.distance_model == "linear":
        # Web Audio clamps the linear model's rolloff to [0, 1] so the gain never goes negative.
        span = acoustics.max_distance - ref
        gain = 1.0 - min(rolloff, 1.0) * (np.clip(d, ref, acoustics.max_distance) - ref) / span
    else:
        gain = (np.maximum(d, ref) / ref) ** -rolloff
    gain = np.asarray(gain, dtype=d.dtype if d.dtype.kind == "f" else np.float64)
    gain *= d <= acoustics.audible_radius  # 0 beyond the radius; 3x cheaper than a boolean-mask assignment
    return gain


def pan_gains(lateral: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal-power (left, right) gains from sin(azimuth), the source's sideways share (+1 = fully right).

    Web Audio's law is gL = cos(x·π/2), gR = sin(x·π/2) with x = (a + 90°)/180° for a folded into
    [-90°, 90°]; folding a source from behind keeps sin(a), and the half-angle identities give
    gL = sqrt((1 - sin a)/2), gR = sqrt((1 + sin a)/2) without any trigonometric call.
    """
    s = np.clip(lateral, -1.0, 1.0)
    return np.sqrt((1.0 - s) * 0.5), np.sqrt((1.0 + s) * 0.5)
