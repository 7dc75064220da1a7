"""The straightforward mixer the benchmark compares against: a plain loop over listeners, each summing
its sources with numpy (per-sample ramped gains, no skipping, no sparse structure). Same behaviour
as Mixer, computed independently of the compiled kernels (float64 geometry, numpy limiter), so tests use
it as an oracle."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .acoustics import distance_gain, pan_gains
from .layout import COS_H, EFF, FRAME_SAMPLES, FRAME_VALUES, LIMITER, PAIR_SHIFT, PREV, SIN_H, X, Y
from .limiter import BLOCKS, ceiling_lsb, limit, release_factor
from .room import MixResult, Room


class ReferenceMixer(Room):
    """Same API and output as Mixer (without the max_sources cap), computed the obvious way."""

    def mix(self, frames: Mapping[str, np.ndarray]) -> MixResult:
        """Mix one tick, one listener at a time."""
        intake = self._intake(frames)
        ids, src, mono = self._ids, intake.slots, intake.mono
        acoustics = self._acoustics
        ramp = np.minimum(1.0, np.arange(1, FRAME_SAMPLES + 1) / acoustics.ramp_samples).astype(np.float32)
        ceiling = ceiling_lsb(acoustics.limiter_ceiling_dbfs)
        release = release_factor(acoustics.limiter_release_ms, FRAME_SAMPLES)
        outputs: dict[str, np.ndarray] = {}
        pairs = 0
        for slot, pid in enumerate(ids):
            lis = np.full(src.size, slot)
            amp1, sin1 = self._pair_amplitudes(lis, src, prev=False)
            amp0, sin0 = self._pair_amplitudes(lis, src, prev=True)
            now = (np.stack(pan_gains(sin1)) * amp1).astype(np.float32)  # geometry in float64, the mix in float32
            before = (np.stack(pan_gains(sin0)) * amp0).astype(np.float32)
            gains = before[:, :, None] + (now - before)[:, :, None] * ramp  # (2, sources, samples)
            mixed = (gains * mono[None]).sum(axis=1, dtype=np.float32)[None]
            pairs += int(np.count_nonzero((amp0 > 0) | (amp1 > 0)))
            limiter = self._f[LIMITER, slot : slot + 1].astype(np.float32)
            if np.any(mixed) or limiter[0] < 1.0:
                self._f[LIMITER, slot] = limit(mixed, limiter, ceiling, release)[0]
            else:
                self._f[LIMITER, slot] = 1.0 - (1.0 - limiter[0]) * release**BLOCKS
            out = np.rint(np.clip(mixed[0], -32768.0, 32767.0)).astype(np.int16)
            outputs[pid] = np.ascontiguousarray(out.T).reshape(1, FRAME_VALUES)
        self._end_tick()
        return MixResult(outputs, intake.activity, intake.dropped, pairs)

    def _pair_amplitudes(self, lis: np.ndarray, src: np.ndarray, prev: bool) -> tuple[np.ndarray, np.ndarray]:
        """Distance x mute x gain amplitude and sin(azimuth) of each (listener, source) slot pair (float64)."""
        f = self._f
        o = PREV if prev else 0
        dx, dy = f[o + X, src] - f[o + X, lis], f[o + Y, src] - f[o + Y, lis]
        d = np.hypot(dx, dy)
        sin_az = (dx * f[o + COS_H, lis] - dy * f[o + SIN_H, lis]) / np.maximum(d, 1e-6)  # d = 0: centred
        amp = distance_gain(d, self._prev_acoustics if prev else self._acoustics) * f[o + EFF, src]
        amp[lis == src] = 0.0  # a listener never hears themselves
        keys, factors = self._prefs_table(prev)
        if keys.size:
            pair = (lis.astype(np.int64) << PAIR_SHIFT) | src
            at = np.minimum(np.searchsorted(keys, pair), keys.size - 1)
            amp = amp * np.where(keys[at] == pair, factors[at], 1.0)
        return amp, sin_az
