"""Short clicks at a fixed interval, for measuring latency through the server (mono frames)."""

from __future__ import annotations

import numpy as np

from rtc.audioformat import FRAME_SAMPLES, SAMPLE_RATE

CLICK_SAMPLES = 48  # 1 ms windowed 4 kHz burst: sharp onset, easy to find after Opus


class ClickSource:
    """Silence with a click every ``interval`` seconds; ``clicks`` lists their sample indices."""

    def __init__(self, interval: float = 0.5, level_dbfs: float = -6.0) -> None:
        if not 0.05 <= interval <= 60:
            raise ValueError("interval must be 0.05..60 s")
        self._period = int(interval * SAMPLE_RATE)
        t = np.arange(CLICK_SAMPLES) / SAMPLE_RATE
        burst = np.sin(2 * np.pi * 4000 * t) * np.hanning(CLICK_SAMPLES)
        self._click = np.round(32767 * 10 ** (level_dbfs / 20) * burst).astype(np.int16)
        self._n = 0
        self.clicks: list[int] = []

    def next_frame(self) -> np.ndarray:
        """The next 960 samples; a click starts wherever the running index hits the period."""
        out = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        first = -(-self._n // self._period) * self._period  # next multiple of the period
        while first < self._n + FRAME_SAMPLES:
            start = first - self._n
            length = min(CLICK_SAMPLES, FRAME_SAMPLES - start)
            out[start:start + length] = self._click[:length]
            if first not in self.clicks:
                self.clicks.append(first)
            first += self._period
        # a click cut by the frame boundary continues in the next frame
        for begun in self.clicks[-2:]:
            offset = self._n - begun
            if 0 < offset < CLICK_SAMPLES:
                length = min(CLICK_SAMPLES - offset, FRAME_SAMPLES)
                out[:length] = self._click[offset:offset + length]
        self._n += FRAME_SAMPLES
        return out
