"""A short, bounded jitter buffer for one source's decoded audio (pure, no asyncio).

The source's reader (on the event loop) pushes frames as the decoder delivers them into an
inbox; the room's mix job (a worker thread) pops one 20 ms frame per tick, so concealment and
splicing, a few hundred microseconds each, never run on the loop. Only ``pop`` touches the
buffer's state; ``push`` only appends to the inbox (a deque: atomic). Inside, the audio is a
stream of samples, so a splice can cut or insert any number of samples, not only whole frames.
Latency stays bounded: a backlog beyond ``max_frames`` sheds about a frame, and audio that
stayed queued beyond the prefetch for a whole window (0.5 s) is trimmed (clock drift between
sender and room clock, or what a concealment added).

A tick with nothing to play while the source is talking is concealed by continuing the last
pitch period (as in ITU-T G.711 Appendix I), fading out after 10 ms, and when audio comes back
the continuation is extended until its phase matches the new samples, then cross-faded into
them. Cuts (sheds and trims) are made at pitch-aligned points. A time-reversed copy, the
earlier concealment, had no click in our output but came out of Opus as one (a reversal is a
kink the codec smears into a step), and plain cross-fades between frames of different phase dip
and bend the waveform: see docs/media.md.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from rtc.audioformat import FRAME_SAMPLES, FRAME_VALUES

SPLICE_SAMPLES = 240  # 5 ms cross-fades: long enough to hide a junction, short enough to keep the new audio
PITCH_MIN, PITCH_MAX = 96, 720  # 2-15 ms: pitch periods of voices (500-67 Hz) and the repeats we search
FULL_LEVEL = 480  # concealment keeps full level for 10 ms ...
FADE_OUT = 2400  # ... then fades to silence over 50 ms (G.711 Appendix I's 20 % per 10 ms)
INBOX_SLACK = 50  # frames the inbox holds beyond max_frames: bursts are spliced by pop, not cut here


def _rise(length: int) -> np.ndarray:
    """Raised-cosine weights 0 -> 1, shaped (length, 1) to scale stereo samples."""
    return ((1 - np.cos(np.linspace(0.0, np.pi, length, dtype=np.float32))) / 2)[:, None]


_RISE = _rise(SPLICE_SAMPLES)
_NEVER = 1 << 62


class SourceBuffer:
    """Per-source sample FIFO with prefetch, bounded delay, drift trim and concealment."""

    def __init__(
        self, *, prefetch: int = 2, max_frames: int = 4, trim_window: int = 25, hangover: int = 5
    ) -> None:
        if not 1 <= prefetch <= max_frames:
            raise ValueError("need 1 <= prefetch <= max_frames")
        self._inbox: deque[np.ndarray] = deque(maxlen=max_frames + INBOX_SLACK)  # pushed, not yet seen by pop
        self._queue: deque[np.ndarray] = deque()  # (n, 2) int16 pieces; a whole pushed frame usually
        self._available = 0  # samples in the queue
        self._prefetch = prefetch
        self._max = max_frames
        self._trim_window = trim_window
        self._hangover = hangover
        self._playing = False
        self._played: deque[np.ndarray] = deque(maxlen=2)  # the last two output frames, (960, 2)
        self._missing = 0  # consecutive ticks concealed while talking
        self._expansion: _Expansion | None = None
        self._window_pops = 0
        self._window_min = _NEVER  # fewest samples left queued after a pop in this window
        self._spare = 0  # samples to trim at the next pop
        # counters (monotonic, read by stats)
        self.pushed = 0  # (written by push's thread only; everything else by pop's)
        self.played = 0
        self.concealed = 0
        self.shed = 0
        self.trimmed = 0
        self._received = 0  # frames pop took from the inbox

    @property
    def depth(self) -> int:
        """Whole frames waiting right now."""
        return self._available // FRAME_SAMPLES + len(self._inbox)

    @property
    def dropped(self) -> int:
        """Frames shed for the backlog bound, plus any the inbox dropped because pops stalled for a second."""
        return self.shed + max(0, self.pushed - self._received - len(self._inbox))

    def push(self, samples: np.ndarray) -> None:
        """Add a decoded frame (1920 int16 values). Safe from another thread than ``pop``'s."""
        if samples.size != FRAME_VALUES:
            raise ValueError(f"expected {FRAME_VALUES} int16 values, got {samples.size}")
        self._inbox.append(samples.reshape(FRAME_SAMPLES, 2))
        self.pushed += 1

    def pop(self) -> np.ndarray | None:
        """The frame for this tick (1920 interleaved int16 values), a concealment frame, or None for silence."""
        while self._inbox:
            if self._available >= self._max * FRAME_SAMPLES:  # beyond the bound: shed about a frame
                self._cut(FRAME_SAMPLES - PITCH_MAX // 2, FRAME_SAMPLES + PITCH_MAX // 2)
                self.shed += 1
            self._queue.append(self._inbox.popleft())
            self._available += FRAME_SAMPLES
            self._received += 1
        if self._spare:
            most = min(self._spare, self._available - FRAME_SAMPLES, FRAME_SAMPLES + PITCH_MAX // 2)
            if not self._missing and self._cut(max(PITCH_MIN, most - PITCH_MAX), most):
                self.trimmed += 1
            self._spare = 0
        if not self._playing:
            if self._available < self._prefetch * FRAME_SAMPLES:
                return self._conceal()
            self._playing = True
        if self._available < FRAME_SAMPLES:
            return self._conceal()
        if self._missing and self._expansion is not None and self._expansion.audible:
            frame = self._merge()
        elif not self._played or self._missing:
            frame = _fade_in(self._take(FRAME_SAMPLES))  # after silence, which ended at zero
        else:
            frame = self._take(FRAME_SAMPLES)
        self._missing = 0
        self._expansion = None
        self.played += 1
        self._track_depth()
        return self._emit(frame)

    def _take(self, count: int) -> np.ndarray:
        """Remove and return the next ``count`` samples as (count, 2) int16 (a view when one piece has them)."""
        head = self._queue[0]
        if head.shape[0] == count:
            self._queue.popleft()
            self._available -= count
            return head
        if head.shape[0] > count:
            self._queue[0] = head[count:]
            self._available -= count
            return head[:count]
        pieces, needed = [], count
        while needed:
            piece = self._take(min(needed, self._queue[0].shape[0]))
            pieces.append(piece)
            needed -= piece.shape[0]
        return np.concatenate(pieces)

    def _emit(self, frame: np.ndarray) -> np.ndarray:
        self._played.append(frame)
        return frame.reshape(FRAME_VALUES)

    def _track_depth(self) -> None:
        self._window_min = min(self._window_min, self._available)
        self._window_pops += 1
        if self._window_pops >= self._trim_window:
            # never needed in the whole window: cut at the next pop, when the new audio is there to splice into
            self._spare = max(0, self._window_min - (self._prefetch - 1) * FRAME_SAMPLES)
            self._window_pops = 0
            self._window_min = _NEVER

    def _cut(self, low: int, high: int) -> bool:
        """Remove ``low``..``high`` samples from the front of the queue, where the audio after the cut best
        repeats the audio before it, cross-fading from what would have played next (the true continuation of
        the output) into what follows; False when fewer are queued."""
        high = min(high, self._available - SPLICE_SAMPLES)
        if high < low:
            return False
        if not self._played or self._missing:  # nothing continuous to keep: the next frame fades in anyway
            self._take((low + high) // 2)
            return True
        audio = self._take(self._available).astype(np.float32)
        cut = low + _best_lag(audio[:SPLICE_SAMPLES], audio[low:], high - low + 1)
        rest = audio[cut:]
        rest[:SPLICE_SAMPLES] = _crossfade(audio[:SPLICE_SAMPLES], rest[:SPLICE_SAMPLES])
        self._queue.append(_to_int16(rest))
        self._available = rest.shape[0]
        return True

    def _conceal(self) -> np.ndarray | None:
        if not self._played:
            return None  # idle (never started or long silent): plain silence, not a loss
        self._missing += 1
        if self._missing > self._hangover:
            self._go_idle()
            return None
        self.concealed += 1
        partial = self._take(self._available) if self._available else None
        if self._expansion is None:  # (so a partial frame, left by a cut or a merge, only at an episode's start)
            history = np.concatenate([*self._played, *(() if partial is None else (partial,))]).astype(np.float32)
            self._expansion = _Expansion.of(history)
        if not self._expansion.audible:
            return None
        filler = self._expansion.next(FRAME_SAMPLES - (0 if partial is None else partial.shape[0]))
        frame = _to_int16(filler if partial is None else np.concatenate([partial.astype(np.float32), filler]))
        return self._emit(frame)

    def _merge(self) -> np.ndarray:
        """Back from concealment: extend it until its phase matches the new audio, then cross-fade into it."""
        assert self._expansion is not None
        head = self._queue_head(SPLICE_SAMPLES)
        synthetic = self._expansion.peek(self._expansion.period + SPLICE_SAMPLES)
        extend = _best_lag(head, synthetic, self._expansion.period)
        out = np.empty((FRAME_SAMPLES, 2), dtype=np.float32)
        out[:extend] = synthetic[:extend]
        fresh = self._take(FRAME_SAMPLES - extend).astype(np.float32)
        joint = min(SPLICE_SAMPLES, fresh.shape[0])
        fresh[:joint] = _crossfade(synthetic[extend:extend + joint], fresh[:joint])
        out[extend:] = fresh
        return _to_int16(out)

    def _queue_head(self, count: int) -> np.ndarray:
        """The next ``count`` samples (float32), left in the queue."""
        pieces, needed = [], count
        for piece in self._queue:
            pieces.append(piece[:needed])
            needed -= pieces[-1].shape[0]
            if not needed:
                break
        return np.concatenate(pieces).astype(np.float32)

    def _go_idle(self) -> None:
        self._spare = self._window_pops = 0
        self._window_min = _NEVER
        self._played.clear()
        self._expansion = None
        self._playing = False
        self._missing = 0


@dataclass
class _Expansion:
    """The periodic continuation of a source's last output: its last pitch period repeated, faded out."""

    template: np.ndarray  # (period, 2) float32, wraps smoothly onto itself
    correction: np.ndarray  # (n, 2) float32 added to the first samples: the offset at the junction, decaying
    position: int = 0  # samples produced so far

    @classmethod
    def of(cls, history: np.ndarray) -> _Expansion:
        """Continue ``history`` ((n, 2) float32, at least a frame) from its end."""
        period = _pitch(history)
        template = history[-period:].copy()
        blend = min(period // 4, SPLICE_SAMPLES)
        if blend:  # the template's end glides into the samples before its start, so it wraps without a jump
            template[-blend:] = _crossfade(template[-blend:], history[-period - blend:-period])
        # the first sample follows history[-1] as history[-period] followed history[-period - 1]
        offset = history[-1] - history[-period - 1]
        correction = offset * np.linspace(1.0, 0.0, period, endpoint=False, dtype=np.float32)[:, None]
        return cls(template, correction)

    @property
    def period(self) -> int:
        return int(self.template.shape[0])

    @property
    def audible(self) -> bool:
        return self.position < FULL_LEVEL + FADE_OUT

    def peek(self, count: int) -> np.ndarray:
        """The next ``count`` samples without consuming them."""
        index = np.arange(self.position, self.position + count)
        out = self.template[index % self.period] * _gain(index)[:, None]
        head = index < self.correction.shape[0]
        out[head] += self.correction[index[head]] * _gain(index[head])[:, None]
        return out

    def next(self, count: int) -> np.ndarray:
        out = self.peek(count)
        self.position += count
        return out


def _gain(index: np.ndarray) -> np.ndarray:
    return np.clip(1.0 - (index - FULL_LEVEL) / FADE_OUT, 0.0, 1.0).astype(np.float32)


def _pitch(history: np.ndarray) -> int:
    """The period (PITCH_MIN..PITCH_MAX samples) at which the end of ``history`` best repeats itself."""
    mono = history.sum(axis=1)
    window = mono[PITCH_MAX:]  # compared with itself `period` samples earlier
    return PITCH_MAX - _best_lag(window, mono[:mono.shape[0] - PITCH_MIN], PITCH_MAX - PITCH_MIN + 1)


def _best_lag(reference: np.ndarray, signal: np.ndarray, lags: int) -> int:
    """The lag in 0..lags-1 at which ``signal[lag:lag + len(reference)]`` looks most like ``reference``
    (normalised cross-correlation over all channels); 0 for silence."""
    n = reference.shape[0]
    span = signal[:lags + n - 1].reshape(lags + n - 1, -1)
    ref = reference.reshape(n, -1)
    if not np.any(ref) or not np.any(span):
        return 0
    size = 1 << (span.shape[0] + n).bit_length()  # FFT correlation: 20-50 us where sliding dot products took 0.5 ms
    spectrum = np.fft.rfft(span, size, axis=0) * np.conj(np.fft.rfft(ref, size, axis=0))
    dots = np.fft.irfft(spectrum.sum(axis=1), size)[:lags]
    cumulative = np.concatenate([[0.0], np.cumsum(np.square(span, dtype=np.float64).sum(axis=1))])
    energy = cumulative[n:n + lags] - cumulative[:lags]
    return int(np.argmax(dots / np.sqrt(np.maximum(energy, 1e-9))))


def _crossfade(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """A raised-cosine glide from ``old`` to ``new`` (float32 (n, 2), same length)."""
    return old + (new - old) * (_RISE if old.shape[0] == SPLICE_SAMPLES else _rise(old.shape[0]))


def _fade_in(frame: np.ndarray) -> np.ndarray:
    """``frame`` rising from zero over its first 5 ms."""
    out = frame.astype(np.float32)
    out[:SPLICE_SAMPLES] *= _RISE
    return _to_int16(out)


def _to_int16(audio: np.ndarray) -> np.ndarray:
    return np.clip(np.round(audio), -32768, 32767).astype(np.int16)
