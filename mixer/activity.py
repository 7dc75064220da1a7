"""Per-source speech activity: a tick's level in dBov and a speaking flag with hangover, for UI indicators."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_DBOV = -127.0  # RFC 6464's floor, reported for digital silence
FULL_SCALE = 32768.0


@dataclass(frozen=True)
class Activity:
    """What the UI needs to light a speaking indicator for one source in one tick."""

    level_dbov: float
    speaking: bool


SILENT = Activity(MIN_DBOV, False)
SILENT_SPEAKING = Activity(MIN_DBOV, True)  # no sound this tick, but within the hangover


def levels_dbov(energy: np.ndarray, samples: int) -> np.ndarray:
    """RMS level in dBov (0 = full-scale square wave) from per-source sums of squares over `samples`."""
    power = np.maximum(np.asarray(energy, dtype=np.float64) / (samples * FULL_SCALE**2), 1e-30)
    return np.clip(10.0 * np.log10(power), MIN_DBOV, 0.0)
