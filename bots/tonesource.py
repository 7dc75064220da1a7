"""A sine tone as an endless series of 20 ms mono frames (phase-continuous)."""

from __future__ import annotations

import numpy as np

from rtc.audioformat import FRAME_SAMPLES, SAMPLE_RATE


class ToneSource:
    """``hz`` at ``level_dbfs`` (peak) forever; cheap enough for many bots per process."""

    def __init__(self, hz: float, level_dbfs: float = -12.0) -> None:
        if not 0 < hz < SAMPLE_RATE / 2:
            raise ValueError("tone frequency must be between 0 and 24000 Hz")
        if not -96 <= level_dbfs <= 0:
            raise ValueError("level_dbfs must be -96..0")
        self.hz = hz
        self._amplitude = 32767 * 10 ** (level_dbfs / 20)
        self._step = 2 * np.pi * hz / SAMPLE_RATE
        self._n = 0

    def next_frame(self) -> np.ndarray:
        """The next 960 int16 samples."""
        idx = np.arange(self._n, self._n + FRAME_SAMPLES, dtype=np.float64)
        self._n += FRAME_SAMPLES
        return np.round(self._amplitude * np.sin(self._step * idx)).astype(np.int16)
