"""The mixer's compiled inner loops (numba; compiled at import, cached on disk beside this file).

In numpy a tick was ~100 small array calls, costing as much as the arithmetic at N=100, and a gain glide
over the whole frame doubled the product. Here each stage is one loop over frames, pairs or listeners:
a gliding pair costs about what a still one does, and the GIL is released while a kernel runs, so the
event loop keeps its thread during a mix.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
from numba import njit, types

from .activity import FULL_SCALE, MIN_DBOV
from .layout import COS_H, EFF, FRAME_SAMPLES, PAIR_SHIFT, SIN_H, X, Y
from .limiter import BLOCKS

if sys.byteorder != "little":  # pragma: no cover - every platform numba supports is little-endian
    raise ImportError("mixer.kernels writes int16 (L, R) pairs as little-endian 32-bit words")

_F = TypeVar("_F", bound=Callable[..., object])


def _kernel(signature: Any, *, samples: bool) -> Callable[[_F], _F]:
    """numba.njit, compiled now for `signature` and cached on disk, GIL released. Sample loops (`samples`) get
    every fast-math licence so sums and peaks vectorise: samples are finite by construction (int16 in, gains
    bounded). The pair geometry keeps NaN/inf semantics: its overflow guards rely on them."""
    fastmath: bool | set[str] = True if samples else {"nsz", "arcp", "contract", "reassoc"}
    return cast(Callable[[_F], _F], njit(signature, cache=True, nogil=True, boundscheck=False,
                                         error_model="numpy", fastmath=fastmath))


MODELS = {"inverse": 0.0, "linear": 1.0, "exponential": 2.0}  # distance model codes in an acoustics row
ACOUSTICS_FIELDS = 5  # model, ref_distance, max_distance, rolloff, audible_radius
BLOCK = FRAME_SAMPLES // BLOCKS  # samples per limiter segment

_i32_2d, _f32_2d, _f64_2d = types.int32[:, ::1], types.float32[:, ::1], types.float64[:, ::1]
_f32, _f64, _i64 = types.float32[::1], types.float64[::1], types.int64[::1]
_intp = types.intp
_f32_readonly = types.Array(types.float32, 1, "C", readonly=True)
_f64_readonly = types.Array(types.float64, 1, "C", readonly=True)


@_kernel(types.intp(_i32_2d, _intp, _f32_2d, _f32, _f64, _i64, _intp), samples=True)
def downmix(block: np.ndarray, first: int, mono: np.ndarray, peak: np.ndarray, level: np.ndarray,
            index: np.ndarray, count: int) -> int:
    """Append each sounding frame of `block` (frames `first`.. of the tick; int16 (L, R) pairs read as
    little-endian 32-bit words) to `mono` as (L + R)/2, with its peak |sample|, RMS level in dBov (0 = a
    full-scale square wave, floor MIN_DBOV) and frame index; return the new count. Silence is left out."""
    for r in range(block.shape[0]):
        row = block[r]
        bits = np.int32(0)
        for t in range(FRAME_SAMPLES):
            bits = np.int32(bits | row[t])
        if bits == 0:
            continue
        out = mono[count]
        top = np.int32(0)  # max |L + R|: an integer max reduction vectorises, a float one does not
        total = np.float32(0.0)
        for t in range(FRAME_SAMPLES):
            word = row[t]
            both = np.int32(np.int32(word << 16) >> 16) + np.int32(word >> 16)
            size = both if both > 0 else -both
            top = size if size > top else top
            v = np.float32(both) * np.float32(0.5)  # exact: (L + R)/2 of int16 values
            out[t] = v
            total += v * v
        power = max(float(total) / (FRAME_SAMPLES * FULL_SCALE**2), 1e-30)
        level[count] = min(max(10.0 * math.log10(power), MIN_DBOV), 0.0)
        peak[count], index[count] = np.float32(top) * np.float32(0.5), first + r
        count += 1
    return count


@njit(inline="always")
def _distance_gain(d: float, acoustics: np.ndarray, at: int) -> float:
    """The PannerNode distance law of an acoustics row (see acoustics.distance_gain); 0 beyond the radius."""
    model, ref, far, rolloff, radius = (acoustics[at], acoustics[at + 1], acoustics[at + 2], acoustics[at + 3],
                                        acoustics[at + 4])
    if d > radius:
        return 0.0
    if model == 0.0:
        return ref / (ref + rolloff * (max(d, ref) - ref))
    if model == 1.0:
        return 1.0 - min(rolloff, 1.0) * (min(max(d, ref), far) - ref) / (far - ref)
    return (max(d, ref) / ref) ** -rolloff


@njit(inline="always")
def _factor(keys: np.ndarray, factors: np.ndarray, key: int) -> float:
    """A listener's preference factor for a pair key (1 when they set none)."""
    if keys.size == 0:
        return 1.0
    i = np.searchsorted(keys, key)
    if i < keys.size and keys[i] == key:
        return factors[i]
    return 1.0


@njit(inline="always")
def _pair(pose: np.ndarray, lis: int, src: int, acoustics: np.ndarray, at: int, keys: np.ndarray,
          factors: np.ndarray) -> tuple[float, float]:
    """(amplitude, sin(azimuth)) of a source at a listener: distance law x source gain x preference."""
    dx = pose[X, src] - pose[X, lis]
    dy = pose[Y, src] - pose[Y, lis]
    d = math.sqrt(dx * dx + dy * dy)
    sin_az = (dx * pose[COS_H, lis] - dy * pose[SIN_H, lis]) / max(d, 1e-6)  # d = 0: centred, as Web Audio
    amp = _distance_gain(d, acoustics, at) * pose[EFF, src]
    if amp > 0.0:
        amp *= _factor(keys, factors, (lis << PAIR_SHIFT) | src)
    return amp, sin_az


@njit(inline="always")
def _cell(v: float, low: float, width: float, cells: int) -> int:
    """The grid cell holding coordinate `v` (clamped; an overflowed coordinate lands in an edge cell)."""
    q = (v - low) / width
    if q >= cells - 1.0:
        return cells - 1
    return int(q) if q > 0.0 else 0


@njit(inline="always")
def _cells(v: float, reach: float, low: float, width: float, cells: int) -> tuple[int, int]:
    """First and last grid cell within `reach` of `v` (last < first: none); all of them if the arithmetic
    overflowed (NaN compares false), which is always a correct superset."""
    q0 = math.floor((v - reach - low) / width)
    q1 = math.floor((v + reach - low) / width)
    first = 0 if not q0 > 0.0 else (cells if q0 >= cells else int(q0))
    last = cells - 1 if not q1 < cells - 1.0 else (-1 if q1 < 0.0 else int(q1))
    return first, last


@njit(inline="always")
def _pan(sin_az: float, amp: float) -> tuple[np.float32, np.float32]:
    """Equal-power (left, right) gains times an amplitude (see acoustics.pan_gains)."""
    s = min(max(sin_az, -1.0), 1.0)
    return np.float32(math.sqrt((1.0 - s) * 0.5) * amp), np.float32(math.sqrt((1.0 + s) * 0.5) * amp)


# (indptr, cols, gains) of (now, before, n, src, acoustics, keys1, factors1, keys0, factors0)
_PAIRS = types.Tuple((_i64, _i64, _f32_2d))(_f64_2d, _f64_2d, _intp, _i64, _f64_readonly, _i64, _f64, _i64, _f64)


@_kernel(_PAIRS, samples=False)
def pairs(now: np.ndarray, before: np.ndarray, n: int, src: np.ndarray, acoustics: np.ndarray, keys1: np.ndarray,
          factors1: np.ndarray, keys0: np.ndarray,
          factors0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (listener, source) pair audible now or at the end of the last tick, grouped by listener.

    `now`/`before`: pose rows (X, Y, SIN_H, COS_H, EFF) of slots 0..n-1; `src`: source slots; `acoustics`: the
    current then the last tick's (model, ref, max, rolloff, radius). Candidates come from a uniform grid of
    cells half as wide as the search radius (radius + twice the largest move since the last tick; at most
    about one cell per source): O(n + candidates) time and memory. Returns (indptr over listeners, column into
    `src`, gains): each pair's (left, right) gain at the end of the last tick, then now."""
    s_count = src.size
    moved = 0.0
    for i in range(n):
        moved = max(moved, math.hypot(now[X, i] - before[X, i], now[Y, i] - before[Y, i]))
    radius1, radius0 = acoustics[4], acoustics[ACOUSTICS_FIELDS + 4]
    reach = max(radius1, radius0) + 2.0 * moved + 1e-6
    # squared radii, a hair wide: only for the quick rejection; the distance law applies the exact radius
    near1, near0 = (radius1 * (1.0 + 1e-9)) ** 2, (radius0 * (1.0 + 1e-9)) ** 2
    low_x = low_y = np.inf
    high_x = high_y = -np.inf
    for j in range(s_count):
        x, y = now[X, src[j]], now[Y, src[j]]
        low_x, high_x, low_y, high_y = min(low_x, x), max(high_x, x), min(low_y, y), max(high_y, y)
    side = int(math.sqrt(s_count)) + 1  # cells per axis at most: O(sources) cells
    width_x = max(reach / 2.0, (high_x - low_x) / side)
    width_y = max(reach / 2.0, (high_y - low_y) / side)
    cells_x = _cell(high_x, low_x, width_x, side + 1) + 1 if s_count else 1
    cells_y = _cell(high_y, low_y, width_y, side + 1) + 1 if s_count else 1
    start = np.zeros(cells_x * cells_y + 1, dtype=np.int64)
    cell_of = np.empty(s_count, dtype=np.int64)
    for j in range(s_count):
        cx = _cell(now[X, src[j]], low_x, width_x, cells_x)
        cell_of[j] = _cell(now[Y, src[j]], low_y, width_y, cells_y) * cells_x + cx
        start[cell_of[j] + 1] += 1
    for c in range(cells_x * cells_y):
        start[c + 1] += start[c]
    # sources by cell (in source order within a cell), with their positions now and before, side by side
    order = np.empty(s_count, dtype=np.int64)
    where = np.empty((s_count, 4), dtype=np.float64)
    fill = start[:-1].copy()
    for j in range(s_count):
        at = fill[cell_of[j]]
        fill[cell_of[j]] += 1
        order[at] = j
        where[at, 0], where[at, 1] = now[X, src[j]], now[Y, src[j]]
        where[at, 2], where[at, 3] = before[X, src[j]], before[Y, src[j]]
    span = np.empty((n, 4), dtype=np.int64)  # each listener's cell range (x0, x1, y0, y1), then its candidates
    total = 0
    for i in range(n):
        x0, x1 = _cells(now[X, i], reach, low_x, width_x, cells_x)
        y0, y1 = _cells(now[Y, i], reach, low_y, width_y, cells_y)
        span[i, 0], span[i, 1], span[i, 2], span[i, 3] = x0, x1, y0, y1
        for cy in range(y0, y1 + 1):
            if x1 >= x0:
                total += start[cy * cells_x + x1 + 1] - start[cy * cells_x + x0]
    indptr = np.zeros(n + 1, dtype=np.int64)
    cols = np.empty(total, dtype=np.int64)
    gains = np.empty((total, 4), dtype=np.float32)
    k = 0
    for i in range(n):
        x0, x1, y0, y1 = span[i, 0], span[i, 1], span[i, 2], span[i, 3]
        lx1, ly1, lx0, ly0 = now[X, i], now[Y, i], before[X, i], before[Y, i]
        for cy in range(y0, y1 + 1 if x1 >= x0 else y0):
            for at in range(start[cy * cells_x + x0], start[cy * cells_x + x1 + 1]):
                dx1, dy1 = where[at, 0] - lx1, where[at, 1] - ly1
                dx0, dy0 = where[at, 2] - lx0, where[at, 3] - ly0
                if dx1 * dx1 + dy1 * dy1 > near1 and dx0 * dx0 + dy0 * dy0 > near0:
                    continue  # out of earshot now and before: most candidates end here
                j = order[at]
                slot = src[j]
                if slot == i:
                    continue  # a listener never hears themselves
                a1, s1 = _pair(now, i, slot, acoustics, 0, keys1, factors1)
                a0, s0 = _pair(before, i, slot, acoustics, ACOUSTICS_FIELDS, keys0, factors0)
                if a1 > 0.0 or a0 > 0.0:
                    cols[k] = j
                    gains[k, 0], gains[k, 1] = _pan(s0, a0)
                    gains[k, 2], gains[k, 3] = _pan(s1, a1)
                    k += 1
        indptr[i + 1] = k
    return indptr, cols[:k], gains[:k]


@njit(inline="always")
def _store(left: np.ndarray, right: np.ndarray, first: int, count: int, gain: float, step: float,
           out: np.ndarray) -> None:
    """Samples first.. of a float mix, times a gain going linearly from `gain` to `gain + step`, rounded into
    int16 (L, R) pairs, each written as one 32-bit word (R << 16 | L, little-endian). Clamps are written as
    comparisons, not min/max, so the loop vectorises."""
    g, s, inv = np.float32(gain), np.float32(step), np.float32(1.0 / count)
    low, high = np.float32(-32768.0), np.float32(32767.0)
    for j in range(count):
        t = first + j
        w = g + s * (np.float32(j + 1) * inv)
        a = np.rint(left[t] * w)
        a = a if a > low else low
        a = a if a < high else high
        b = np.rint(right[t] * w)
        b = b if b > low else low
        b = b if b < high else high
        out[t] = np.int32((np.int32(a) & np.int32(0xFFFF)) | (np.int32(b) << np.int32(16)))


@njit(inline="always")
def _peak(samples: np.ndarray, first: int, count: int) -> np.int32:
    """Largest |sample| of samples first.. as the bits of a float32: for non-negative floats the bit patterns
    order as the values do, and an integer max reduction vectorises (a float one does not)."""
    bits = samples.view(np.int32)
    top = np.int32(0)
    for t in range(first, first + count):
        size = np.int32(bits[t] & np.int32(0x7FFFFFFF))
        top = size if size > top else top
    return top


@njit(inline="always")
def _limit_and_store(left: np.ndarray, right: np.ndarray, start: float, ceiling: float, release: float,
                     out: np.ndarray) -> float:
    """Scale one listener's float mix under `ceiling` (the algorithm of limiter.limit, which documents it),
    write it as int16 pairs and return the limiter gain at the end of the frame."""
    peak_bits = np.empty(BLOCKS, dtype=np.int32)
    for b in range(BLOCKS):
        peak_bits[b] = max(_peak(left, b * BLOCK, BLOCK), _peak(right, b * BLOCK, BLOCK))
    peaks = peak_bits.view(np.float32)
    top = np.float32(0.0)
    for b in range(BLOCKS):
        top = max(top, peaks[b])
    gain0 = np.float32(start)
    if top * gain0 <= ceiling and gain0 >= 1.0:  # nothing to limit: the common case
        _store(left, right, 0, FRAME_SAMPLES, 1.0, 0.0, out)
        return 1.0
    target = np.empty(BLOCKS, dtype=np.float32)
    for b in range(BLOCKS):
        target[b] = min(np.float32(1.0), np.float32(ceiling) / max(peaks[b], np.float32(1e-9)))
    points = np.empty(BLOCKS + 1, dtype=np.float32)
    points[0] = min(gain0, target[0])
    for b in range(1, BLOCKS + 1):
        allowed = target[b - 1] if b == BLOCKS else min(target[b - 1], target[b])
        points[b] = min(np.float32(1.0 - (1.0 - points[b - 1]) * release), allowed)
    for b in range(BLOCKS):
        _store(left, right, b * BLOCK, BLOCK, points[b], points[b + 1] - points[b], out)
    return float(points[BLOCKS])


@_kernel(types.void(_i64, _i64, _f32_2d, _f32_2d, _f32_readonly, _f64, types.float64, types.float64,
                 types.int32[:, ::1]), samples=True)
def render(indptr: np.ndarray, cols: np.ndarray, gains: np.ndarray, mono: np.ndarray, fade: np.ndarray,
           limiter: np.ndarray, ceiling: float, release: float, out: np.ndarray) -> None:
    """Each listener's stereo mix from its pairs (from `pairs`), gains gliding from the last tick's to this
    one's with weight `fade` (1 -> 0), limited and written to the next row of `out`: int16 (L, R) pairs as
    32-bit words (an int16 (rows, 960, 2) block viewed as int32; little-endian).

    Only listeners with pairs get a row; the others' limiter gains just recover. `limiter`: each slot's gain.
    Sources are summed two at a time (half the loads and stores of the running sum); a still pair goes
    through the same loop as a gliding one, its glide being 0: the loop is bound by memory, not arithmetic."""
    left = np.empty(FRAME_SAMPLES, dtype=np.float32)
    right = np.empty(FRAME_SAMPLES, dtype=np.float32)
    row = 0
    idle = release**BLOCKS
    for i in range(indptr.size - 1):
        p, end = indptr[i], indptr[i + 1]
        if p == end:
            limiter[i] = 1.0 - (1.0 - limiter[i]) * idle
            continue
        if (end - p) % 2:  # an odd one out starts the sum
            a = mono[cols[p]]
            al, ar, gl, gr = gains[p, 2], gains[p, 3], gains[p, 0] - gains[p, 2], gains[p, 1] - gains[p, 3]
            for t in range(FRAME_SAMPLES):
                w = fade[t]
                left[t] = (al + gl * w) * a[t]
                right[t] = (ar + gr * w) * a[t]
            p += 1
        else:
            left[:] = 0.0
            right[:] = 0.0
        while p < end:
            a, b = mono[cols[p]], mono[cols[p + 1]]
            al, ar, gl, gr = gains[p, 2], gains[p, 3], gains[p, 0] - gains[p, 2], gains[p, 1] - gains[p, 3]
            bl, br = gains[p + 1, 2], gains[p + 1, 3]
            hl, hr = gains[p + 1, 0] - bl, gains[p + 1, 1] - br
            for t in range(FRAME_SAMPLES):
                w = fade[t]
                left[t] += (al + gl * w) * a[t] + (bl + hl * w) * b[t]
                right[t] += (ar + gr * w) * a[t] + (br + hr * w) * b[t]
            p += 2
        limiter[i] = _limit_and_store(left, right, limiter[i], ceiling, release, out[row])
        row += 1
