"""A WAV file (any rate, 8/16-bit, mono or stereo) looped forever as 20 ms mono frames."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from rtc.audioformat import FRAME_SAMPLES, SAMPLE_RATE

MAX_SECONDS = 600


class WavSource:
    """Loads the whole file once (downmixed to mono, resampled to 48 kHz) and loops it."""

    def __init__(self, path: str | Path) -> None:
        try:
            with wave.open(str(path), "rb") as wav:
                channels, width, rate, count = (
                    wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()
                )
                if width not in (1, 2):
                    raise ValueError(f"{path}: only 8- or 16-bit PCM WAV is supported")
                if count > MAX_SECONDS * rate:
                    raise ValueError(f"{path}: longer than {MAX_SECONDS} s")
                raw = wav.readframes(count)
        except (wave.Error, EOFError) as exc:
            raise ValueError(f"{path}: not a PCM WAV file ({exc})") from exc
        if width == 1:
            data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128) * 256
        else:
            data = np.frombuffer(raw, dtype="<i2").astype(np.float64)
        data = data.reshape(-1, channels).mean(axis=1)
        if data.size == 0:
            raise ValueError(f"{path}: no audio")
        if rate != SAMPLE_RATE:
            n_out = max(1, round(data.size * SAMPLE_RATE / rate))
            data = np.interp(np.arange(n_out) * rate / SAMPLE_RATE, np.arange(data.size), data)
        reps = -(-FRAME_SAMPLES // data.size) if data.size < FRAME_SAMPLES else 1
        self._samples = np.clip(np.round(np.tile(data, reps)), -32768, 32767).astype(np.int16)
        self._pos = 0

    @property
    def duration(self) -> float:
        """Loop length in seconds."""
        return self._samples.size / SAMPLE_RATE

    def next_frame(self) -> np.ndarray:
        """The next 960 samples, wrapping around the end of the file."""
        end = self._pos + FRAME_SAMPLES
        if end <= self._samples.size:
            out = self._samples[self._pos:end]
        else:
            out = np.concatenate([self._samples[self._pos:], self._samples[: end - self._samples.size]])
        self._pos = end % self._samples.size
        return out
