"""The spatial mixer: every tick, one personal int16 stereo frame per listener from the room's poses.

Work is proportional to what can be heard: silent sources and pairs beyond the audible radius are never
touched. Candidate pairs come from a grid over positions; each listener's pairs are summed, gliding from
last tick's gains to this tick's over the ramp, limited and converted in one compiled pass
(mixer/kernels.py). See docs/mixer.md.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Mapping

import numpy as np

from . import kernels
from .acoustics import Acoustics
from .layout import EFF, FRAME_SAMPLES, FRAME_VALUES, LIMITER, PAIR_SHIFT, PREV
from .limiter import ceiling_lsb, release_factor
from .room import Intake, MixResult, Room

SKIP_BUDGET_LSB = 0.5  # skipped quiet sources together may move any output sample by at most this much
OUTPUT_BLOCKS = 2  # output blocks kept for reuse: the last tick's outputs are usually still held during a mix
_SILENCE = np.zeros((1, FRAME_VALUES), dtype=np.int16)
_SILENCE.flags.writeable = False


@functools.cache
def _fade(ramp: int) -> np.ndarray:
    """Weight of last tick's gain at each sample of a frame: 1 - (t+1)/ramp, exactly 0 from the ramp's end."""
    fade = np.maximum(1.0 - np.arange(1, FRAME_SAMPLES + 1, dtype=np.float32) / np.float32(ramp), np.float32(0.0))
    fade.flags.writeable = False
    return fade


@functools.lru_cache(maxsize=64)
def _acoustics_row(now: Acoustics, before: Acoustics) -> np.ndarray:
    """The current and the last tick's distance laws as the kernels read them (acoustics are frozen, so cached)."""
    row = np.array([value for a in (now, before) for value in (
        kernels.MODELS[a.distance_model], a.ref_distance, a.max_distance, a.rolloff, a.audible_radius)])
    row.flags.writeable = False
    return row


class Mixer(Room):
    """Per-listener spatial mix of a room; pure and synchronous: call `mix` once per 20 ms tick."""

    def __init__(self, acoustics: Acoustics | None = None, *, max_sources: int | None = None) -> None:
        super().__init__(acoustics, max_sources=max_sources)
        self._out_blocks: list[np.ndarray] = []  # int16 output blocks, reused once no output of theirs is alive
        self._probe = [np.empty(0)]  # an array referenced by its list only: the reference count of a free block

    def mix(self, frames: Mapping[str, np.ndarray]) -> MixResult:
        """Mix one tick. `frames`: pid -> int16 array of 1920 interleaved stereo values (missing = silent)."""
        intake = self._intake(frames)
        n = len(self._ids)
        outputs = self._everyone(_SILENCE)
        result = MixResult(outputs, intake.activity, intake.dropped)
        src, mono, weight = self._audible_sources(intake)
        f = self._f
        if src.size and n > 1:
            keys1, factors1 = self._prefs_table(prev=False)
            keys0, factors0 = self._prefs_table(prev=True)
            indptr, cols, gains = kernels.pairs(
                f[:PREV], f[PREV:2 * PREV], n, src, _acoustics_row(self._acoustics, self._prev_acoustics),
                keys1, factors1, keys0, factors0)
            if self._max_sources is not None:
                audible = int(indptr[-1])
                indptr, cols, gains = self._cap(src, weight, indptr, cols, gains)
                result.capped = max(0, audible - int(indptr[-1]))
        else:
            self._prev_kept = self._prev_kept[:0]
            indptr, cols = np.zeros(n + 1, dtype=np.int64), np.empty(0, dtype=np.int64)
            gains = np.empty((0, 4), dtype=np.float32)
        heard = np.flatnonzero(indptr[1:] != indptr[:-1])
        result.pairs = int(indptr[-1])
        out = self._output_block(heard.size)
        acoustics = self._acoustics
        kernels.render(indptr, cols, gains, mono, _fade(acoustics.ramp_samples), f[LIMITER],
                       ceiling_lsb(acoustics.limiter_ceiling_dbfs),
                       release_factor(acoustics.limiter_release_ms, FRAME_SAMPLES), out.view(np.int32).reshape(heard.size, FRAME_SAMPLES))
        if heard.size:
            outputs.update(zip(map(self._ids.__getitem__, heard.tolist()), out.reshape(heard.size, 1, FRAME_VALUES)))
        self._end_tick()
        return result

    def _output_block(self, rows: int) -> np.ndarray:
        """A (rows, 960, 2) int16 array for this tick's outputs. Every output handed out is a view of such a block
        and keeps it alive, so a block is reused only once no output of it is referenced any more: callers may keep
        outputs as long as they like. Reuse avoids mapping fresh pages for multi-megabyte outputs every tick
        (measured at N=1000: 150-450 page faults, 0.3-1 ms of system time per tick)."""
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

    def _audible_sources(self, intake: Intake) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sources worth mixing (slots, mono signal, RMS amplitude): not muted for everyone, and not among the
        quietest ones whose peaks, at the highest gain any listener could give them, sum < 0.5 LSB."""
        f = self._f
        src = intake.slots
        gain = np.maximum(f[EFF, src], f[PREV + EFF, src])
        bound = intake.peak * gain * self.preference_boost()
        if src.size == 0 or (bound.min() > SKIP_BUDGET_LSB and gain.min() > 0.0):
            return src, intake.mono, 10.0 ** (intake.level / 20.0)  # all loud enough: the common case
        order = np.argsort(bound, kind="stable")
        keep = np.ones(src.size, dtype=bool)
        keep[order[np.cumsum(bound[order]) <= SKIP_BUDGET_LSB]] = False
        keep &= gain > 0.0
        return src[keep], np.ascontiguousarray(intake.mono[keep]), 10.0 ** (intake.level[keep] / 20.0)

    def _cap(self, src: np.ndarray, weight: np.ndarray, indptr: np.ndarray, cols: np.ndarray,
             gains: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Keep each listener's `max_sources` loudest pairs (level at the listener: source RMS x amplitude, and
        with equal-power panning the amplitude is the hypotenuse of the gains); the pairs that drop out fade out
        over this tick, those that come in fade in."""
        assert self._max_sources is not None
        lis = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
        amp1 = np.hypot(gains[:, 2], gains[:, 3])
        order = np.lexsort((-(amp1 * weight[cols]), lis))
        ordered = lis[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        first = np.repeat(starts, np.diff(np.r_[starts, ordered.size]))
        kept = np.zeros(lis.size, dtype=bool)
        kept[order[np.arange(ordered.size) - first < self._max_sources]] = True
        kept &= amp1 > 0.0
        keys = (lis.astype(np.int64) << PAIR_SHIFT) | src[cols]
        was_kept = np.isin(keys, self._prev_kept)
        self._prev_kept = np.sort(keys[kept])
        gains[~was_kept, :2] = 0.0
        gains[~kept, 2:] = 0.0
        keep = np.flatnonzero(gains.any(axis=1))
        indptr = np.zeros_like(indptr)
        np.cumsum(np.bincount(lis[keep], minlength=indptr.size - 1), out=indptr[1:])
        return indptr, cols[keep], gains[keep]
