"""The spatial mixer: every tick, one personal int16 stereo frame per listener from the room's poses.

Work is proportional to what can be heard: silent sources and pairs beyond the audible radius are
never touched, candidate pairs come from a k-d tree when the room is large, and the mix is one
BLAS product (dense) or one sparse product, plus a second one over the ramp's samples when gains
moved. See docs/mixer.md.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from .acoustics import Acoustics, pan_gains
from .limiter import BLOCKS, ceiling_lsb, limit, release_factor
from .room import EFF, FRAME_SAMPLES, FRAME_VALUES, LIMITER, PAIR_SHIFT, PREV, X, Y, Intake, MixResult, Room

ALL_PAIRS_MAX = 40_000  # below this many (listener, source) combinations, test them all instead of a k-d tree
DENSE_DENSITY = 0.12  # BLAS GEMM beats a CSR product above this fill (about 90 vs 11 GFLOP/s here)
SKIP_BUDGET_LSB = 0.5  # skipped quiet sources together may move any output sample by at most this much

try:  # scipy's CSR x dense kernel, called directly so the product lands in a reused buffer
    from scipy.sparse._sparsetools import csr_matvecs as _csr_matvecs
except ImportError:  # pragma: no cover
    _csr_matvecs = None

_NOBODY = (np.empty(0, dtype=np.intp), np.empty((0, FRAME_SAMPLES), dtype=np.float32), 0, np.empty(0))
_SILENCE = np.zeros((1, FRAME_VALUES), dtype=np.int16)
_SILENCE.flags.writeable = False


@functools.cache
def _fade(ramp: int) -> np.ndarray:
    """Weight of last tick's gain at each sample of the ramp: 1 - (t+1)/ramp, ending at exactly 0."""
    fade = 1.0 - np.arange(1, ramp + 1, dtype=np.float32) / ramp
    fade.flags.writeable = False
    return fade


def _gain_matrix(amp: np.ndarray, sin_az: np.ndarray) -> np.ndarray:
    """(listeners x sources) amplitudes and pans -> (2·listeners x sources) float32 gains, rows (listener, L/R)."""
    gains = np.empty((amp.shape[0], 2, amp.shape[1]), dtype=np.float32)
    left, right = pan_gains(sin_az)
    np.multiply(left, amp, out=gains[:, 0])
    np.multiply(right, amp, out=gains[:, 1])
    return gains.reshape(2 * amp.shape[0], amp.shape[1])


def _sparse(rows: np.ndarray, cols: np.ndarray, values_l: np.ndarray, values_r: np.ndarray,
            shape: tuple[int, int]) -> sp.csr_array:
    """The (2·listeners x sources) gain matrix of explicit pairs, rows (listener, channel)."""
    return sp.csr_array((np.concatenate((values_l, values_r)).astype(np.float32),
                         (np.concatenate((2 * rows, 2 * rows + 1)), np.concatenate((cols, cols)))), shape=shape)


def _product_into(matrix: sp.csr_array | np.ndarray, signal: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = matrix @ signal without allocating the (large) result."""
    if isinstance(matrix, np.ndarray):
        return np.matmul(matrix, signal, out=out)
    if _csr_matvecs is None:  # pragma: no cover - only if scipy drops its kernel
        out[...] = matrix @ signal
        return out
    out[...] = 0.0
    _csr_matvecs(matrix.shape[0], matrix.shape[1], signal.shape[1], matrix.indptr, matrix.indices,
                 matrix.data, np.ascontiguousarray(signal).ravel(), out.ravel())
    return out


class Mixer(Room):
    """Per-listener spatial mix of a room; pure and synchronous: call `mix` once per 20 ms tick."""

    def __init__(self, acoustics: Acoustics | None = None, *, max_sources: int | None = None) -> None:
        super().__init__(acoustics, max_sources=max_sources)
        # the dense path's (key, amplitudes, sin(azimuth), gain matrix) of the last tick, reused as "before"
        self._last_dense: tuple[tuple[int, bytes], np.ndarray, np.ndarray, np.ndarray] | None = None

    def mix(self, frames: Mapping[str, np.ndarray]) -> MixResult:
        """Mix one tick. `frames`: pid -> int16 array of 1920 interleaved stereo values (missing = silent)."""
        intake = self._intake(frames)
        n = len(self._ids)
        outputs = dict.fromkeys(self._ids, _SILENCE)
        result = MixResult(outputs, intake.activity, intake.dropped)
        src, mono, weight, peak = self._audible_sources(intake)
        release = release_factor(self._acoustics.limiter_release_ms, FRAME_SAMPLES)
        limiter = self._f[LIMITER, :n]
        mixed = listeners = None
        if src.size and n > 1:
            if n * src.size <= ALL_PAIRS_MAX:
                listeners, mixed, result.pairs, bound = self._mix_all_pairs(src, mono, weight, peak)
            else:
                listeners, mixed, result.pairs, bound = self._mix_near_pairs(src, mono, weight, peak)
        if listeners is None or listeners.size == 0 or n * src.size > ALL_PAIRS_MAX:
            self._last_dense = None
        if mixed is None or listeners is None:
            self._prev_kept = self._prev_kept[:0]
            limiter[:] = 1.0 - (1.0 - limiter) * release**BLOCKS
            self._end_tick()
            return result
        stereo = mixed.reshape(listeners.size, 2, FRAME_SAMPLES)
        if listeners.size < n:
            untouched = np.ones(n, dtype=bool)
            untouched[listeners] = False
            limiter[untouched] = 1.0 - (1.0 - limiter[untouched]) * release**BLOCKS
        # the limiter leaves every sample under its ceiling (< 32767), so no clipping step is needed
        limiter[listeners] = limit(stereo, limiter[listeners].astype(np.float32),
                                   ceiling_lsb(self._acoustics.limiter_ceiling_dbfs), release, bound)
        np.rint(mixed, out=mixed)
        out = np.empty((listeners.size, FRAME_SAMPLES, 2), dtype=np.int16)
        out[:, :, 0] = stereo[:, 0]
        out[:, :, 1] = stereo[:, 1]
        ids = self._ids
        outputs.update(zip([ids[i] for i in listeners.tolist()], out.reshape(listeners.size, 1, FRAME_VALUES)))
        self._end_tick()
        return result

    def _ramp(self, mixed: np.ndarray, mono: np.ndarray, delta: sp.csr_array | np.ndarray) -> None:
        """Add (last tick's gains - this tick's) x a fade from 1 to 0 over the ramp: gains glide, no click."""
        ramp = self._acoustics.ramp_samples
        head = mono if ramp == FRAME_SAMPLES else np.ascontiguousarray(mono[:, :ramp])
        moved = _product_into(delta, head, self._scratch.get("ramp", (delta.shape[0], ramp), np.float32))
        moved *= _fade(ramp)
        mixed[:, :ramp] += moved

    def _mix_all_pairs(self, src: np.ndarray, mono: np.ndarray, weight: np.ndarray,
                       peak: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
        """Small rooms: every (listener, source) combination as a dense gain matrix (one BLAS product)."""
        n = len(self._ids)
        lis = np.arange(n)[:, None]
        slots = src[None, :]
        amp1, sin1 = self.pair_amplitudes(lis, slots, prev=False)
        key = (self.layout, src.tobytes())
        cached = self._last_dense is not None and self._last_dense[0] == key
        if self._last_dense is not None and cached:
            amp0, sin0, before = self._last_dense[1:]  # last tick's "now" is this tick's "before"
        else:
            amp0, sin0 = self.pair_amplitudes(lis, slots, prev=True)
            before = None
        if self._max_sources is not None:
            flat = np.broadcast_to(lis, amp1.shape).ravel()
            capped = self._cap(flat, np.broadcast_to(slots, amp1.shape).ravel(), amp0.ravel(), amp1.ravel(),
                               (amp1 * weight[None, :]).ravel())
            amp0, amp1 = capped[0].reshape(amp1.shape), capped[1].reshape(amp1.shape)
        audible = (amp1 > 0.0) | (amp0 > 0.0)
        pairs = int(np.count_nonzero(audible))
        if pairs == 0:
            return _NOBODY
        if pairs < DENSE_DENSITY * amp1.size:
            self._last_dense = None
            rows, cols = np.nonzero(audible)
            return self._mix_pairs(src, mono, peak, rows, cols, amp0[rows, cols], sin0[rows, cols],
                                   amp1[rows, cols], sin1[rows, cols])
        now_2d = _gain_matrix(amp1, sin1)
        if before is None:
            before = _gain_matrix(amp0, sin0)
        self._last_dense = (key, amp1, sin1, now_2d)
        mixed = _product_into(now_2d, mono, self._scratch.get("mixed", (2 * n, FRAME_SAMPLES), np.float32))
        delta = before - now_2d
        if delta.any():
            self._ramp(mixed, mono, delta)
        bound = np.maximum(amp0, amp1).astype(np.float32) @ peak.astype(np.float32)
        return np.arange(n), mixed, pairs, bound

    def _mix_near_pairs(self, src: np.ndarray, mono: np.ndarray, weight: np.ndarray,
                        peak: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
        """Large rooms: candidate pairs from a k-d tree over positions, mixed as a sparse product."""
        n = len(self._ids)
        f = self._f
        moved = np.hypot(f[X, :n] - f[PREV + X, :n], f[Y, :n] - f[PREV + Y, :n]).max()
        radius = max(self._acoustics.audible_radius, self._prev_acoustics.audible_radius) + 2 * moved + 1e-6
        listeners = cKDTree(f[X:Y + 1, :n].T)
        sources = cKDTree(f[X:Y + 1, src].T)
        near = sources.sparse_distance_matrix(listeners, radius, output_type="ndarray")
        lis, cols = near["j"].astype(np.intp), near["i"].astype(np.intp)
        slots = src[cols]
        amp1, sin1 = self.pair_amplitudes(lis, slots, prev=False)
        amp0, sin0 = self.pair_amplitudes(lis, slots, prev=True)
        if self._max_sources is not None:
            amp0, amp1 = self._cap(lis, slots, amp0, amp1, amp1 * weight[cols])
        keep = np.flatnonzero((amp1 > 0.0) | (amp0 > 0.0))
        return self._mix_pairs(src, mono, peak, lis[keep], cols[keep], amp0[keep], sin0[keep], amp1[keep],
                               sin1[keep])

    def _mix_pairs(self, src: np.ndarray, mono: np.ndarray, peak: np.ndarray, lis: np.ndarray, cols: np.ndarray,
                   amp0: np.ndarray, sin0: np.ndarray, amp1: np.ndarray,
                   sin1: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
        """Mix an explicit list of pairs; only listeners that hear someone get a row."""
        if lis.size == 0:
            return _NOBODY
        listeners, rows = np.unique(lis, return_inverse=True)
        bound = np.bincount(rows, weights=np.maximum(amp0, amp1) * peak[cols], minlength=listeners.size)
        shape = (2 * listeners.size, src.size)
        left1, right1 = pan_gains(sin1)
        left1 *= amp1
        right1 *= amp1
        mixed = _product_into(_sparse(rows, cols, left1, right1, shape), mono,
                              self._scratch.get("mixed", (shape[0], FRAME_SAMPLES), np.float32))
        left0, right0 = pan_gains(sin0)
        left0 = left0 * amp0 - left1
        right0 = right0 * amp0 - right1
        moved = np.flatnonzero((left0 != 0.0) | (right0 != 0.0))
        if moved.size:
            rows, cols = rows[moved], cols[moved]
            self._ramp(mixed, mono, _sparse(rows, cols, left0[moved], right0[moved], shape))
        return listeners, mixed, int(lis.size), bound

    def _audible_sources(self, intake: Intake) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Sources worth mixing (slots, mono signal, RMS amplitude, peak): not muted for everyone, and not
        among the quietest ones whose peaks, at the highest gain any listener could give them, sum < 0.5 LSB."""
        f = self._f
        src = intake.slots
        gain = np.maximum(f[EFF, src], f[PREV + EFF, src])
        bound = intake.peak * gain * self.preference_boost()
        if src.size == 0 or (bound.min() > SKIP_BUDGET_LSB and gain.min() > 0.0):
            return src, intake.mono, 10.0 ** (intake.level / 20.0), intake.peak  # all loud enough: the common case
        order = np.argsort(bound, kind="stable")
        keep = np.ones(src.size, dtype=bool)
        keep[order[np.cumsum(bound[order]) <= SKIP_BUDGET_LSB]] = False
        keep &= gain > 0.0
        return src[keep], intake.mono[keep], 10.0 ** (intake.level[keep] / 20.0), intake.peak[keep]

    def _cap(self, lis: np.ndarray, slots: np.ndarray, amp0: np.ndarray, amp1: np.ndarray,
             score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keep each listener's `max_sources` loudest pairs (`score`: level at the listener); fade the rest out."""
        assert self._max_sources is not None
        order = np.lexsort((-score, lis))
        ordered = lis[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        first = np.repeat(starts, np.diff(np.r_[starts, ordered.size]))
        kept = np.zeros(lis.size, dtype=bool)
        kept[order[np.arange(ordered.size) - first < self._max_sources]] = True
        kept &= amp1 > 0.0
        keys = (lis.astype(np.int64) << PAIR_SHIFT) | slots
        was_kept = np.isin(keys, self._prev_kept, assume_unique=False)
        self._prev_kept = np.sort(keys[kept])
        return np.where(was_kept, amp0, 0.0), np.where(kept, amp1, 0.0)
