"""Per-listener peak limiter: smooth gain reduction so no sum of voices ever clips or wraps in int16."""

from __future__ import annotations

import math

import numpy as np

BLOCKS = 8  # gain breakpoints per tick: attack and release move in 2.5 ms linear segments


def ceiling_lsb(ceiling_dbfs: float) -> float:
    """The peak the limiter allows, in int16 units."""
    return 32767.0 * 10.0 ** (ceiling_dbfs / 20.0)


def release_factor(release_ms: float, samples: int) -> float:
    """How much of the remaining gain reduction survives one block (exponential recovery towards 1)."""
    return math.exp(-(samples / BLOCKS / 48.0) / release_ms)


def limit(frame: np.ndarray, gain_start: np.ndarray, ceiling: float, release: float) -> np.ndarray:
    """Scale `frame` (listeners, 2, samples) in place so |y| <= ceiling; return each listener's gain at the end.

    The gain is piecewise linear over BLOCKS segments. Each breakpoint is at most the allowed gain of both
    segments it touches, so a segment's whole ramp stays under its own peak's limit: the attack starts one
    segment before a loud onset (look-ahead inside the tick, no added latency). Only an onset in the very
    first segment, louder than the previous tick's end allowed, gets a gain step. This numpy version is the
    reference mixer's and the specification of the compiled one in kernels.py.
    """
    rows = frame.shape[0]
    gain_end = np.ones(rows, dtype=np.float32)
    flat = frame.reshape(rows, -1)
    peak = np.maximum(flat.max(axis=1), -flat.min(axis=1))
    idx = np.flatnonzero((peak * gain_start > ceiling) | (gain_start < 1.0))
    if idx.size == 0:
        return gain_end
    sub = frame[idx]
    samples = sub.shape[2]
    n = samples // BLOCKS
    block_peak = np.abs(sub.reshape(idx.size, 2, BLOCKS, n)).max(axis=(1, 3))
    target = np.minimum(1.0, ceiling / np.maximum(block_peak, 1e-9))
    points = np.empty((idx.size, BLOCKS + 1), dtype=np.float32)
    points[:, 0] = np.minimum(gain_start[idx], target[:, 0])
    for k in range(1, BLOCKS + 1):
        recovered = 1.0 - (1.0 - points[:, k - 1]) * release
        allowed = target[:, k - 1] if k == BLOCKS else np.minimum(target[:, k - 1], target[:, k])
        points[:, k] = np.minimum(recovered, allowed)
    frac = np.arange(1, n + 1, dtype=np.float32) / n
    curve = points[:, :-1, None] + (points[:, 1:, None] - points[:, :-1, None]) * frac
    sub *= curve.reshape(idx.size, 1, samples)
    frame[idx] = sub
    gain_end[idx] = points[:, BLOCKS]
    return gain_end
