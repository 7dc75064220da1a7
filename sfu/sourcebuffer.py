"""A short, bounded jitter buffer for one source's decoded 20 ms frames (pure, no asyncio).

The room clock pops one frame per tick; the source's reader pushes frames as the decoder
delivers them. Latency stays bounded: a backlog beyond ``max_frames`` drops the oldest, and a
cushion that has stayed above one frame for a whole window (0.5 s) is trimmed by one frame (clock drift
between the sender and our room clock). A tick with nothing to play while the source is
talking is concealed: the first with a time-reversed, faded copy of the last frame
(continuous at the junction, so no click), the following ones with silence.

Every splice is smoothed too, or each of these events would be a click in every listener's
mix: a frame that follows dropped or trimmed frames is cross-faded from the first frame that
was thrown away (the true continuation of what was last played), and a frame that follows
concealment or silence fades in.
"""

from __future__ import annotations

from collections import deque

import numpy as np

FRAME_VALUES = 1920  # 960 stereo samples, interleaved int16
_FADE = np.linspace(1.0, 0.0, FRAME_VALUES // 2, dtype=np.float32)[:, None]
SPLICE_SAMPLES = 240  # 5 ms: long enough to hide a jump, short enough to keep the new frame
_RISE = ((1 - np.cos(np.linspace(0.0, np.pi, SPLICE_SAMPLES, dtype=np.float32))) / 2)[:, None]


class SourceBuffer:
    """Per-source frame FIFO with prefetch, bounded delay, drift trim and concealment."""

    def __init__(
        self, *, prefetch: int = 2, max_frames: int = 4, trim_window: int = 25, hangover: int = 5
    ) -> None:
        if not 1 <= prefetch <= max_frames:
            raise ValueError("need 1 <= prefetch <= max_frames")
        self._frames: deque[np.ndarray] = deque()
        self._prefetch = prefetch
        self._max = max_frames
        self._trim_window = trim_window
        self._hangover = hangover
        self._playing = False
        self._last: np.ndarray | None = None
        self._missing = 0  # consecutive ticks without a frame while talking
        self._continuation: np.ndarray | None = None  # first frame discarded since the last one played
        self._window_pops = 0
        self._window_min = max_frames
        # counters (monotonic, read by stats)
        self.pushed = 0
        self.played = 0
        self.concealed = 0
        self.dropped = 0
        self.trimmed = 0

    @property
    def depth(self) -> int:
        """Frames waiting right now."""
        return len(self._frames)

    def push(self, samples: np.ndarray) -> None:
        """Add a decoded frame (1920 int16 values); drop the oldest beyond the bound."""
        if samples.size != FRAME_VALUES:
            raise ValueError(f"expected {FRAME_VALUES} int16 values, got {samples.size}")
        self.pushed += 1
        if len(self._frames) >= self._max:
            self._discard()
            self.dropped += 1
        self._frames.append(samples.reshape(FRAME_VALUES))

    def pop(self) -> np.ndarray | None:
        """The frame for this tick, a concealment frame, or None for silence."""
        if not self._playing:
            if len(self._frames) < self._prefetch:
                return self._conceal()
            self._playing = True
        if not self._frames:
            self._playing = False  # underrun: re-prime so the next burst is absorbed
            return self._conceal()
        frame = self._frames.popleft()
        if self._continuation is not None:
            frame = _crossfade(self._continuation, frame)
        elif self._last is None or self._missing:
            frame = _fade_in(frame)  # after silence or concealment, which ended at zero
        self._continuation = None
        self._missing = 0
        self._last = frame
        self.played += 1
        self._track_depth()
        return frame

    def clear(self) -> None:
        """Forget everything buffered (e.g. the source was muted)."""
        self._frames.clear()
        self._playing = False
        self._last = None
        self._missing = 0
        self._continuation = None

    def _discard(self) -> None:
        """Throw away the oldest frame, remembering it if it continues what was last played."""
        frame = self._frames.popleft()
        if self._continuation is None and self._playing and self._last is not None and not self._missing:
            self._continuation = frame

    def _track_depth(self) -> None:
        self._window_min = min(self._window_min, len(self._frames))
        self._window_pops += 1
        if self._window_pops >= self._trim_window:
            if self._window_min >= self._prefetch and self._frames:
                self._discard()  # a whole window with spare frames: shed one (20 ms)
                self.trimmed += 1
            self._window_pops = 0
            self._window_min = self._max

    def _conceal(self) -> np.ndarray | None:
        if self._last is None:
            return None  # idle (never started or long silent): plain silence, not a loss
        self._missing += 1
        if self._missing > self._hangover:
            self._last = None  # the source stopped: go idle
            return None
        self.concealed += 1
        if self._missing == 1:
            stereo = self._last.reshape(-1, 2)[::-1].astype(np.float32) * _FADE
            return stereo.astype(np.int16).reshape(FRAME_VALUES)
        return None


def _crossfade(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``new`` whose first 5 ms glide from ``old`` (both interleaved stereo int16)."""
    out = new.reshape(-1, 2).astype(np.float32)
    head = old.reshape(-1, 2)[:SPLICE_SAMPLES].astype(np.float32)
    out[:SPLICE_SAMPLES] = head + (out[:SPLICE_SAMPLES] - head) * _RISE
    return np.round(out).astype(np.int16).reshape(FRAME_VALUES)


def _fade_in(frame: np.ndarray) -> np.ndarray:
    """``frame`` rising from zero over its first 5 ms."""
    out = frame.reshape(-1, 2).astype(np.float32)
    out[:SPLICE_SAMPLES] *= _RISE
    return np.round(out).astype(np.int16).reshape(FRAME_VALUES)
