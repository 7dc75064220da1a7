"""Shared fixtures for the mixer tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
from mixer_signals import stereo_frame

from mixer import FRAME_SAMPLES


@pytest.fixture
def rng() -> np.random.Generator:
    """Seeded, so a failure reproduces."""
    return np.random.default_rng(1234)


@pytest.fixture
def noise_frames(rng: np.random.Generator) -> Callable[[int, float], Iterator[np.ndarray]]:
    """Endless independent noise frames at a given RMS."""

    def make(ticks: int, rms: float) -> Iterator[np.ndarray]:
        for _ in range(ticks):
            yield stereo_frame(rng.standard_normal(FRAME_SAMPLES) * rms)

    return make
