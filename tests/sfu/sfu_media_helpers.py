"""Signal analysis helpers for the sfu media tests."""

from __future__ import annotations

import numpy as np


def band_db(stereo: np.ndarray, hz: float, width: float = 8.0) -> tuple[float, float]:
    """Energy (dB, arbitrary reference) of the FFT bins within +-width Hz of ``hz``, per channel."""
    x = stereo.astype(np.float64) * np.hanning(stereo.shape[0])[:, None]
    spectrum = np.abs(np.fft.rfft(x, axis=0)) ** 2
    freqs = np.fft.rfftfreq(stereo.shape[0], 1 / 48000)
    band = (freqs > hz - width) & (freqs < hz + width)
    energy = spectrum[band].sum(axis=0) + 1e-12
    return float(10 * np.log10(energy[0])), float(10 * np.log10(energy[1]))
