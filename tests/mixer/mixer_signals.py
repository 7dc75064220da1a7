"""Signal helpers for the mixer tests: decoder-shaped frames and simple measurements."""

from __future__ import annotations

import numpy as np

from mixer import FRAME_SAMPLES, SAMPLE_RATE


def stereo_frame(mono: np.ndarray) -> np.ndarray:
    """A mono signal as aiortc delivers a browser mic: int16, interleaved L == R, shape (1, 1920)."""
    samples = np.clip(np.rint(mono), -32768, 32767).astype(np.int16)
    return np.repeat(samples, 2).reshape(1, 2 * FRAME_SAMPLES)


def sine_ticks(freq: float, amplitude: float, ticks: int, phase: float = 0.0) -> list[np.ndarray]:
    """Consecutive frames of a continuous sine (no discontinuity between ticks)."""
    t = np.arange(ticks * FRAME_SAMPLES) / SAMPLE_RATE
    wave = amplitude * np.sin(2 * np.pi * freq * t + phase)
    return [stereo_frame(chunk) for chunk in wave.reshape(ticks, FRAME_SAMPLES)]


def channels(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) float64 views of an interleaved output frame."""
    pairs = frame.reshape(FRAME_SAMPLES, 2).astype(np.float64)
    return pairs[:, 0], pairs[:, 1]


def energy_db(x: np.ndarray) -> float:
    """10·log10 of the energy (with a floor so silence is finite)."""
    return float(10 * np.log10(np.sum(np.square(x, dtype=np.float64)) + 1e-12))
