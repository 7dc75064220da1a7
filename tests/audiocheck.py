"""Measurements on recorded stereo audio shared by the media and end-to-end tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SAMPLE_RATE = 48000


def band_db(stereo: np.ndarray, hz: float, width: float = 8.0) -> tuple[float, float]:
    """Energy (dB, arbitrary reference) of the FFT bins within +-width Hz of ``hz``, per channel."""
    x = stereo.astype(np.float64) * np.hanning(stereo.shape[0])[:, None]
    spectrum = np.abs(np.fft.rfft(x, axis=0)) ** 2
    freqs = np.fft.rfftfreq(stereo.shape[0], 1 / SAMPLE_RATE)
    band = (freqs > hz - width) & (freqs < hz + width)
    energy = spectrum[band].sum(axis=0) + 1e-12
    return float(10 * np.log10(energy[0])), float(10 * np.log10(energy[1]))


def total_db(left_db: float, right_db: float) -> float:
    """Both channels' energies together (equal-power panning keeps this constant)."""
    return float(10 * np.log10(10 ** (left_db / 10) + 10 ** (right_db / 10)))


def at_time(log: Sequence[tuple[int, float]], sample: int) -> float:
    """Loop time of ``sample`` from a (first sample of frame, loop time of frame) log."""
    starts = np.array([s for s, _ in log])
    i = int(np.searchsorted(starts, sample, side="right")) - 1
    start, t = log[i]
    return t + (sample - start) / SAMPLE_RATE


def onsets(stereo: np.ndarray, min_gap_s: float = 0.1, rel_threshold: float = 0.3) -> list[int]:
    """Sample indices where the signal first rises above ``rel_threshold`` of its peak after a quiet gap."""
    audio = np.abs(stereo.astype(np.int32)).max(axis=1)
    above = np.flatnonzero(audio > rel_threshold * audio.max())
    if above.size == 0:
        return []
    gap = int(min_gap_s * SAMPLE_RATE)
    return [int(above[0])] + [int(b) for a, b in zip(above[:-1], above[1:]) if b - a > gap]
