"""The spatial mixer: every tick, one personal int16 stereo frame per listener from the room's poses.

Work is proportional to what can be heard: silent sources and pairs beyond the audible radius are
never touched, candidate pairs come from a k-d tree when the room is large, and the mix is one
BLAS product (dense) or one sparse product, plus a second one over the ramp's samples when gains
moved. See docs/mixer.md.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping

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

OUTPUT_BLOCKS = 2  # output blocks kept for reuse: the last tick's outputs are usually still held during a mix
CHUNK = 128  # listeners rendered, limited and converted at a time: their float mix (~1 MB) stays in cache

# writes the float mix of listeners a..b into (2·(b-a), split) and (2·(b-a), 960 - split) spans
Render = Callable[[int, int, np.ndarray, np.ndarray], None]
# listeners who hear someone, pairs mixed, each listener's peak bound, how to render their mix, and the split
Mixed = tuple[np.ndarray, int, np.ndarray, Render, int]
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


def _csr(rows: np.ndarray, cols: np.ndarray, left: np.ndarray, right: np.ndarray,
         listeners: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays (indptr, indices, data) of the (2·listeners x sources) gain matrix, rows (listener, L/R),
    built straight from pairs sorted by `rows` (no COO sort, no scipy object: a few scatters)."""
    counts = np.bincount(rows, minlength=listeners)
    ends = np.cumsum(counts)
    starts = ends - counts
    indptr = np.empty(2 * listeners + 1, dtype=np.int32)
    indptr[0] = 0
    indptr[1::2] = starts + ends  # the L row of a listener holds its pairs, then the R row the same columns
    indptr[2::2] = 2 * ends
    pair = np.arange(rows.size)
    at_left, at_right = pair + starts[rows], pair + ends[rows]
    indices = np.empty(2 * rows.size, dtype=np.int32)
    indices[at_left] = cols
    indices[at_right] = cols
    data = np.empty(2 * rows.size, dtype=np.float32)
    data[at_left] = left
    data[at_right] = right
    return indptr, indices, data


def _accumulate(csr: tuple[np.ndarray, np.ndarray, np.ndarray], a: int, b: int, signal: np.ndarray,
                out: np.ndarray) -> None:
    """out += rows of listeners a..b of a CSR matrix from `_csr` @ signal, in place (C-contiguous float32)."""
    indptr, indices, data = csr
    assert signal.flags.c_contiguous and out.flags.c_contiguous
    if _csr_matvecs is None:  # pragma: no cover - only if scipy drops its kernel
        matrix = sp.csr_array((data, indices, indptr), shape=(indptr.size - 1, signal.shape[0]))
        out += matrix[2 * a:2 * b] @ signal
        return
    _csr_matvecs(2 * (b - a), signal.shape[0], signal.shape[1], indptr[2 * a:2 * b + 1], indices, data,
                 signal.reshape(-1), out.reshape(-1))


def _interleave(part: np.ndarray, span: np.ndarray, scratch: np.ndarray) -> None:
    """Integral float (rows, 2, samples) -> int16 (rows, samples, 2): a contiguous cast, then, for whole frames,
    each (L, R) pair built as one uint32 (R << 16 | L): 1.5x faster than two strided channel copies."""
    if sys.byteorder != "little" or part.shape[2] != FRAME_SAMPLES:
        # strided spans (the sparse path's split at the ramp) measured faster as two channel copies (N=1000),
        # and the uint32 trick puts L first in memory on little-endian machines only
        span[:, :, 0] = part[:, 0]
        span[:, :, 1] = part[:, 1]
        return
    ints = scratch[:part.size].reshape(part.shape)
    np.copyto(ints, part, casting="unsafe")
    halves = ints.view(np.uint16)
    pairs = span.view(np.uint32)[..., 0]
    np.left_shift(halves[:, 1], 16, out=pairs, dtype=np.uint32)
    np.bitwise_or(pairs, halves[:, 0], out=pairs)


class Mixer(Room):
    """Per-listener spatial mix of a room; pure and synchronous: call `mix` once per 20 ms tick."""

    def __init__(self, acoustics: Acoustics | None = None, *, max_sources: int | None = None) -> None:
        super().__init__(acoustics, max_sources=max_sources)
        # the dense path's (key, amplitudes, sin(azimuth), gain matrix) of the last tick, reused as "before"
        self._last_dense: tuple[tuple[int, bytes], np.ndarray, np.ndarray, np.ndarray] | None = None
        self._out_blocks: list[np.ndarray] = []  # int16 output blocks, reused once no output of theirs is alive
        self._probe = [np.empty(0)]  # an array referenced by its list only: the reference count of a free block

    def mix(self, frames: Mapping[str, np.ndarray]) -> MixResult:
        """Mix one tick. `frames`: pid -> int16 array of 1920 interleaved stereo values (missing = silent)."""
        intake = self._intake(frames)
        n = len(self._ids)
        outputs = self._everyone(_SILENCE)
        result = MixResult(outputs, intake.activity, intake.dropped)
        src, mono, weight, peak = self._audible_sources(intake)
        release = release_factor(self._acoustics.limiter_release_ms, FRAME_SAMPLES)
        limiter = self._f[LIMITER, :n]
        mixed = None
        if src.size and n > 1:
            if n * src.size <= ALL_PAIRS_MAX:
                mixed = self._mix_all_pairs(src, mono, weight, peak)
            else:
                mixed = self._mix_near_pairs(src, mono, weight, peak)
        if mixed is None or n * src.size > ALL_PAIRS_MAX:
            self._last_dense = None
        if mixed is None:
            self._prev_kept = self._prev_kept[:0]
            limiter[:] = 1.0 - (1.0 - limiter) * release**BLOCKS
            self._end_tick()
            return result
        listeners, result.pairs, bound, render, split = mixed
        if listeners.size < n:
            untouched = np.ones(n, dtype=bool)
            untouched[listeners] = False
            limiter[untouched] = 1.0 - (1.0 - limiter[untouched]) * release**BLOCKS
        ceiling = ceiling_lsb(self._acoustics.limiter_ceiling_dbfs)
        out = self._output_block(listeners.size)
        for a in range(0, listeners.size, CHUNK):  # each chunk's float mix stays in cache until it is int16
            b = min(a + CHUNK, listeners.size)
            head, tail = self._buffers(2 * (b - a), split)
            render(a, b, head, tail)
            head, tail = head.reshape(b - a, 2, split), tail.reshape(b - a, 2, FRAME_SAMPLES - split)
            # the limiter leaves every sample under its ceiling (< 32767), so no clipping step is needed
            limiter[listeners[a:b]] = limit((head, tail), limiter[listeners[a:b]].astype(np.float32), ceiling,
                                            release, bound[a:b])
            for part, span in ((head, out[a:b, :split]), (tail, out[a:b, split:])):
                if part.size:
                    np.rint(part, out=part)
                    _interleave(part, span, self._scratch.get("ints", (part.size,), np.int16))
        outputs.update(zip(map(self._ids.__getitem__, listeners.tolist()),
                           out.reshape(listeners.size, 1, FRAME_VALUES)))
        self._end_tick()
        return result

    def _buffers(self, rows: int, split: int) -> tuple[np.ndarray, np.ndarray]:
        """A chunk's float mix as two C-contiguous spans of one reused buffer, samples before `split` and after:
        the sparse path splits at the ramp so its product accumulates in place; the dense path does not split."""
        flat = self._scratch.get("mixed", (rows * FRAME_SAMPLES,), np.float32)
        return flat[:rows * split].reshape(rows, split), flat[rows * split:].reshape(rows, FRAME_SAMPLES - split)

    def _output_block(self, rows: int) -> np.ndarray:
        """A (rows, 960, 2) int16 array for this tick's outputs. Every output handed out is a view of such a block
        and keeps it alive, so a block is reused only once no output of it is referenced any more: callers may keep
        outputs as long as they like. Reuse avoids mapping fresh pages for multi-megabyte outputs every tick
        (measured at N=1000: 150-450 page faults, 0.3-0.6 ms of system time per tick)."""
        blocks, probe = self._out_blocks, self._probe
        for i in range(len(blocks)):
            # referenced by nothing but the list, exactly like the probe (same expression, so the same count
            # whatever the interpreter's own temporaries)
            if blocks[i].shape[0] >= rows and sys.getrefcount(blocks[i]) == sys.getrefcount(probe[0]):
                return blocks[i][:rows]
        block = np.empty((max(rows, len(self._ids)), FRAME_SAMPLES, 2), dtype=np.int16)  # room-sized
        blocks.insert(0, block)
        del blocks[OUTPUT_BLOCKS:]  # outputs still held elsewhere keep a dropped block alive
        return block[:rows]

    def _faded(self, mono: np.ndarray) -> np.ndarray:
        """The ramp's samples weighted by the fade: (last gains - now) @ this = the glide, with no per-row pass."""
        ramp = self._acoustics.ramp_samples
        return np.multiply(mono[:, :ramp], _fade(ramp), out=self._scratch.get("faded", (mono.shape[0], ramp),
                                                                              np.float32))

    def _mix_all_pairs(self, src: np.ndarray, mono: np.ndarray, weight: np.ndarray, peak: np.ndarray) -> Mixed | None:
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
            return None
        if pairs < DENSE_DENSITY * amp1.size:
            self._last_dense = None
            rows, cols = np.nonzero(audible)  # row-major: sorted by listener
            return self._mix_pairs(src, mono, peak, rows, cols, amp0[rows, cols], sin0[rows, cols],
                                   amp1[rows, cols], sin1[rows, cols])
        now_2d = _gain_matrix(amp1, sin1)
        if before is None:
            before = _gain_matrix(amp0, sin0)
        self._last_dense = (key, amp1, sin1, now_2d)
        delta = before - now_2d
        faded = self._faded(mono) if delta.any() else None
        ramp = self._acoustics.ramp_samples

        def render(a: int, b: int, frame: np.ndarray, _: np.ndarray) -> None:
            """Rows of listeners a..b, whole frames (no split): one GEMM, plus the ramp's over its samples."""
            np.matmul(now_2d[2 * a:2 * b], mono, out=frame)
            if faded is not None:
                frame[:, :ramp] += delta[2 * a:2 * b] @ faded

        # per channel, pans included: up to 3 dB tighter than by amplitude, so fewer listeners need a peak scan
        bound = (np.maximum(before, now_2d) @ peak.astype(np.float32)).reshape(n, 2).max(axis=1)
        return np.arange(n), pairs, bound, render, FRAME_SAMPLES

    def _mix_near_pairs(self, src: np.ndarray, mono: np.ndarray, weight: np.ndarray,
                        peak: np.ndarray) -> Mixed | None:
        """Large rooms: candidate pairs from a k-d tree over positions, mixed as a sparse product."""
        n = len(self._ids)
        f = self._f
        moved = np.hypot(f[X, :n] - f[PREV + X, :n], f[Y, :n] - f[PREV + Y, :n]).max()
        radius = max(self._acoustics.audible_radius, self._prev_acoustics.audible_radius) + 2 * moved + 1e-6
        # rebuilt every tick, so the cheapest build (unbalanced, no node shrinking: -15 % for build + query)
        listeners = cKDTree(f[X:Y + 1, :n].T, balanced_tree=False, compact_nodes=False)
        sources = cKDTree(f[X:Y + 1, src].T, balanced_tree=False, compact_nodes=False)
        near = sources.sparse_distance_matrix(listeners, radius, output_type="ndarray")
        order = np.argsort(near["j"], kind="stable")
        lis, cols = near["j"][order].astype(np.intp), near["i"][order].astype(np.intp)
        slots = src[cols]
        amp1, sin1 = self.pair_amplitudes(lis, slots, prev=False)
        amp0, sin0 = self.pair_amplitudes(lis, slots, prev=True)
        if self._max_sources is not None:
            amp0, amp1 = self._cap(lis, slots, amp0, amp1, amp1 * weight[cols])
        keep = np.flatnonzero((amp1 > 0.0) | (amp0 > 0.0))
        return self._mix_pairs(src, mono, peak, lis[keep], cols[keep], amp0[keep], sin0[keep], amp1[keep],
                               sin1[keep])

    def _mix_pairs(self, src: np.ndarray, mono: np.ndarray, peak: np.ndarray, lis: np.ndarray, cols: np.ndarray,
                   amp0: np.ndarray, sin0: np.ndarray, amp1: np.ndarray, sin1: np.ndarray) -> Mixed | None:
        """Mix an explicit list of pairs sorted by listener; only listeners that hear someone get a row."""
        if lis.size == 0:
            return None
        first = np.empty(lis.size, dtype=bool)
        first[0] = True
        np.not_equal(lis[1:], lis[:-1], out=first[1:])
        listeners = lis[first]
        rows = np.cumsum(first) - 1
        bound = np.bincount(rows, weights=np.maximum(amp0, amp1) * peak[cols], minlength=listeners.size)
        left1, right1 = pan_gains(sin1)
        left1 *= amp1
        right1 *= amp1
        now = _csr(rows, cols, left1, right1, listeners.size)
        ramp = self._acoustics.ramp_samples
        head_signal, tail_signal = np.ascontiguousarray(mono[:, :ramp]), np.ascontiguousarray(mono[:, ramp:])
        left0, right0 = pan_gains(sin0)
        left0 = left0 * amp0 - left1
        right0 = right0 * amp0 - right1
        moved = np.flatnonzero((left0 != 0.0) | (right0 != 0.0))
        delta = _csr(rows[moved], cols[moved], left0[moved], right0[moved], listeners.size) if moved.size else None
        faded = self._faded(mono) if delta is not None else None

        def render(a: int, b: int, head: np.ndarray, tail: np.ndarray) -> None:
            """Rows of listeners a..b: sparse products accumulated into zeroed spans."""
            head.fill(0.0)
            _accumulate(now, a, b, head_signal, head)
            if tail.size:
                tail.fill(0.0)
                _accumulate(now, a, b, tail_signal, tail)
            if delta is not None and faded is not None:
                _accumulate(delta, a, b, faded, head)

        return listeners, int(lis.size), bound, render, ramp

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
