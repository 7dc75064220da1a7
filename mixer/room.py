"""Who is in a room and how they stand: the per-slot state both mixers read, kept for this tick and the last.

Participants live in dense slots (0..n-1, swap-removal, capacity doubling) so joins, leaves and pose
updates are O(1) amortised and every per-tick computation is a vectorised gather over slot arrays.
The previous tick's state is kept beside the current one: the gain a pair had at the end of the
last tick is recomputed from it, so ramps need no per-pair memory.
"""

from __future__ import annotations

import math
from collections.abc import KeysView, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from . import kernels
from .acoustics import Acoustics
from .activity import LEVEL_STEPS, SILENT, SILENT_SPEAKING, Activity, activities
from .layout import (
    EFF,
    FIELDS,
    FRAME_SAMPLES,
    FRAME_VALUES,
    HANGOVER,
    LIMITER,
    PAIR_SHIFT,
    PREV,
    SRC_GAIN,
    SRC_MUTED,
    X,
)

MAX_GAIN = 4.0  # +12 dB: the most a host or a listener may boost a voice


@dataclass
class MixResult:
    """One tick's output: a personal stereo frame per listener and each source's speech activity."""

    outputs: dict[str, np.ndarray]
    activity: dict[str, Activity]
    dropped: tuple[str, ...] = ()  # participants whose frame was malformed (not int16 x 1920) and was ignored
    pairs: int = 0  # (listener, source) pairs actually mixed this tick
    capped: int = 0  # audible pairs left out by the max_sources cap (each listener's least audible)


@dataclass
class Intake:
    """The sources that delivered sound this tick, downmixed to mono float32 in int16 units."""

    slots: np.ndarray  # source slots with a non-silent frame
    mono: np.ndarray  # (len(slots), FRAME_SAMPLES) float32
    peak: np.ndarray  # per source, max |sample| of the mono downmix
    level: np.ndarray  # per source, dBov
    activity: dict[str, Activity]
    dropped: tuple[str, ...]


T = TypeVar("T")
_NUMBER = (int, float)
_INT16 = np.dtype(np.int16)
_ROW = (1, FRAME_VALUES)
STACK_BLOCK = 128  # frames stacked at a time for the silence test: 480 KB, stays in cache


class Scratch:
    """Work arrays reused from tick to tick: a fresh multi-megabyte temporary costs a page fault per
    4 KB (measured: 3x the cost of the frame intake), so the big per-tick arrays live here."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: type[np.generic]) -> np.ndarray:
        """An uninitialised array of `shape`, valid until the next `get` of the same name."""
        size = math.prod(shape)
        buffer = self._buffers.get(name)
        if buffer is None or buffer.size < size or buffer.dtype != dtype:
            grown = max(size, 2 * buffer.size if buffer is not None else 0)
            buffer = self._buffers[name] = np.empty(grown, dtype=dtype)
        return buffer[:size].reshape(shape)


def _finite(name: str, value: float) -> float:
    if type(value) not in _NUMBER and (isinstance(value, bool) or not isinstance(value, _NUMBER)):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return float(value)


def _gain(value: float) -> float:
    gain = _finite("gain", value)
    if not 0.0 <= gain <= MAX_GAIN:
        raise ValueError(f"gain must be in 0..{MAX_GAIN}")
    return gain


class Room:
    """Participants, poses, mutes and preferences; the shared bookkeeping under Mixer and ReferenceMixer."""

    def __init__(self, acoustics: Acoustics | None = None, *, max_sources: int | None = None) -> None:
        if acoustics is not None and not isinstance(acoustics, Acoustics):
            raise TypeError("acoustics must be an Acoustics")
        _check_max_sources(max_sources)
        self._acoustics = acoustics or Acoustics()
        self._prev_acoustics = self._acoustics
        self._max_sources = max_sources
        self._ids: list[str] = []
        self._slot: dict[str, int] = {}
        self._f = np.zeros((FIELDS, 16), dtype=np.float64)
        self._prefs: dict[tuple[str, str], tuple[bool, float]] = {}
        self._prev_prefs: dict[tuple[str, str], tuple[bool, float]] = {}
        self._prefs_changed = False
        self._compiled: dict[bool, tuple[np.ndarray, np.ndarray]] = {}
        self._prev_kept = np.empty(0, dtype=np.int64)  # pair keys kept by the max_sources cap last tick
        self._scratch = Scratch()
        self._filled: dict[int, tuple[int, dict[str, object]]] = {}  # id(value) -> (layout, every id -> value)
        self.layout = 0  # bumped whenever slots are reassigned, so per-slot caches know they are stale

    # --- membership and settings -------------------------------------------------------------
    @property
    def participants(self) -> KeysView[str]:
        """Ids of everyone in the room (a live view)."""
        return self._slot.keys()

    @property
    def acoustics(self) -> Acoustics:
        """The room's current acoustics."""
        return self._acoustics

    def add(self, pid: str, x: float, y: float, heading: float) -> None:
        """Join at a pose; ValueError if `pid` is already in the room or the pose is not finite."""
        if not isinstance(pid, str):
            raise TypeError("participant id must be a str")
        if pid in self._slot:
            raise ValueError(f"participant {pid!r} is already in the room")
        pose = self._pose(x, y, heading)
        n = len(self._ids)
        if n == self._f.shape[1]:
            grown = np.zeros((FIELDS, 2 * n), dtype=np.float64)
            grown[:, :n] = self._f
            self._f = grown
        f = self._f
        f[X:EFF, n] = pose
        f[PREV + X:PREV + EFF, n] = pose
        f[EFF, n] = f[PREV + EFF, n] = 1.0
        f[SRC_GAIN, n], f[SRC_MUTED, n], f[LIMITER, n], f[HANGOVER, n] = 1.0, 0.0, 1.0, 0.0
        self._ids.append(pid)
        self._slot[pid] = n
        self._compiled.clear()
        self.layout += 1

    def remove(self, pid: str) -> None:
        """Leave the room (idempotent); their preferences and everyone's preferences about them go too."""
        slot = self._slot.pop(pid, None)
        if slot is None:
            return
        last = len(self._ids) - 1
        moved = self._ids.pop()
        if slot != last:
            self._f[:, slot] = self._f[:, last]
            self._ids[slot] = moved
            self._slot[moved] = slot
        for prefs in (self._prefs, self._prev_prefs):
            for key in [k for k in prefs if pid in k]:
                del prefs[key]
        self._compiled.clear()
        self.layout += 1
        self._prev_kept = self._remap_keys(self._prev_kept, slot, last)

    def set_pose(self, pid: str, x: float, y: float, heading: float) -> None:
        """Move or turn; the change is ramped in over the next tick."""
        slot = self._slot[pid]
        self._f[X:EFF, slot] = self._pose(x, y, heading)

    def set_source(self, pid: str, *, muted: bool | None = None, gain: float | None = None) -> None:
        """Mute or scale a participant's voice for everyone (e.g. a host's mute)."""
        slot = self._slot[pid]
        f = self._f
        if muted is not None:
            f[SRC_MUTED, slot] = 1.0 if bool(muted) else 0.0
        if gain is not None:
            f[SRC_GAIN, slot] = _gain(gain)
        f[EFF, slot] = 0.0 if f[SRC_MUTED, slot] else f[SRC_GAIN, slot]

    def set_preference(self, listener: str, source: str, *, muted: bool | None = None,
                       gain: float | None = None) -> None:
        """Mute or scale `source` for `listener` only."""
        if listener not in self._slot:
            raise KeyError(listener)
        if source not in self._slot:
            raise KeyError(source)
        old_muted, old_gain = self._prefs.get((listener, source), (False, 1.0))
        new = (old_muted if muted is None else bool(muted), old_gain if gain is None else _gain(gain))
        if new == (False, 1.0):
            self._prefs.pop((listener, source), None)
        else:
            self._prefs[(listener, source)] = new
        self._prefs_changed = True
        self._compiled.pop(False, None)

    def set_acoustics(self, acoustics: Acoustics) -> None:
        """Change the room's acoustics; gains move to the new values over the next tick."""
        if not isinstance(acoustics, Acoustics):
            raise TypeError("acoustics must be an Acoustics")
        self._acoustics = acoustics

    # --- per-tick helpers ---------------------------------------------------------------------
    @staticmethod
    def _pose(x: float, y: float, heading: float) -> tuple[float, float, float, float]:
        rad = math.radians(_finite("heading", heading) % 360.0)
        return _finite("x", x), _finite("y", y), math.sin(rad), math.cos(rad)

    @staticmethod
    def _remap_keys(keys: np.ndarray, removed: int, moved_from: int) -> np.ndarray:
        """Pair keys after slot `removed` was filled by slot `moved_from`."""
        if keys.size == 0:
            return keys
        lis, src = keys >> PAIR_SHIFT, keys & ((1 << PAIR_SHIFT) - 1)
        keep = (lis != removed) & (src != removed)
        lis, src = lis[keep], src[keep]
        lis[lis == moved_from] = removed
        src[src == moved_from] = removed
        return np.sort((lis << PAIR_SHIFT) | src)

    def _prefs_table(self, prev: bool) -> tuple[np.ndarray, np.ndarray]:
        """Sorted pair keys and their gain factors (0 when muted) for this or the last tick's preferences."""
        table = self._compiled.get(prev)
        if table is None:
            prefs = self._prev_prefs if prev else self._prefs
            keys = np.array([(self._slot[lis] << PAIR_SHIFT) | self._slot[src] for lis, src in prefs],
                            dtype=np.int64)
            factors = np.array([0.0 if muted else gain for muted, gain in prefs.values()], dtype=np.float64)
            order = np.argsort(keys)
            table = self._compiled[prev] = (keys[order], factors[order])
        return table

    @property
    def max_sources(self) -> int | None:
        """Each listener's cap on mixed sources (its loudest at the listener; None = no cap)."""
        return self._max_sources

    @max_sources.setter
    def max_sources(self, value: int | None) -> None:
        """Change the cap from the next tick (pairs leaving or entering fade over that tick)."""
        _check_max_sources(value)
        self._max_sources = value

    def preference_boost(self) -> float:
        """The largest factor any listener's preference applies (>= 1): bounds a pair's gain for skipping."""
        factors = [g for prefs in (self._prefs, self._prev_prefs) for m, g in prefs.values() if not m]
        return max([1.0, *factors])

    def _sounding(self, frames: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The frames that are not digital silence: their indices, mono downmix (L + R)/2 (float32 in int16
        units), peak |sample| and level in dBov. TypeError/ValueError if a frame is not int16 x 1920.

        Frames are stacked STACK_BLOCK at a time into a small reused buffer that stays in cache, and each block
        goes through one compiled pass. The arrays live in reused buffers: valid until the next call."""
        block = self._scratch.get("stacked", (min(len(frames), STACK_BLOCK), FRAME_VALUES), np.int16)
        mono = self._scratch.get("mono", (len(frames), FRAME_SAMPLES), np.float32)
        peak = self._scratch.get("peak", (len(frames),), np.float32)
        level = self._scratch.get("level", (len(frames),), np.float64)
        index = self._scratch.get("index", (len(frames),), np.int64)
        count = 0
        for a in range(0, len(frames), STACK_BLOCK):
            part = np.concatenate(frames[a:a + STACK_BLOCK], axis=0, out=block[:min(STACK_BLOCK, len(frames) - a)],
                                  casting="no")  # any other dtype is refused, not cast
            count = kernels.downmix(part.view(np.int32), a, mono, peak, level, index, count)
        return index[:count], mono[:count], peak[:count], level[:count]

    def _intake(self, frames: Mapping[str, np.ndarray]) -> Intake:
        """Validate and stack this tick's frames, downmix the non-silent ones, update speech activity."""
        slot_of = self._slot
        slots = list(map(slot_of.get, frames))
        found = None
        dropped: list[str] = []
        if None not in slots:  # fast path: every frame known and well-formed, stacked by C calls
            try:
                found = self._sounding(list(frames.values()))
            except (ValueError, TypeError):  # a malformed or non-int16 frame: sort them out one by one
                found = None
        if found is None:
            slots, arrays = [], []
            for pid, frame in frames.items():
                slot = slot_of.get(pid)
                if slot is None:
                    continue
                if (type(frame) is not np.ndarray or frame.size != FRAME_VALUES
                        or (frame.dtype is not _INT16 and frame.dtype != _INT16)):
                    dropped.append(pid)
                    continue
                slots.append(slot)
                arrays.append(frame if frame.shape == _ROW else frame.reshape(_ROW))
            found = self._sounding(arrays)
        n = len(self._ids)
        hang = self._f[HANGOVER, :n]
        np.maximum(hang - 1.0, 0.0, out=hang)
        activity = self._everyone(SILENT)
        sounding, mono, peak, level = found
        src = np.array(slots, dtype=np.int64)[sounding]
        hang[src[level > self._acoustics.speech_dbov]] = self._acoustics.hangover_ticks + 1
        name = self._ids.__getitem__  # C-level map/zip below: no Python bytecode per source
        held = hang > 0  # speaking by hangover only: silent this tick
        speaking = held[src]
        held[src] = False
        activity.update(dict.fromkeys(map(name, np.flatnonzero(held).tolist()), SILENT_SPEAKING))
        index = np.rint(level * 10.0).astype(np.int64) + (LEVEL_STEPS - 1) + LEVEL_STEPS * speaking
        activity.update(zip(map(name, src.tolist()), map(activities().__getitem__, index.tolist())))
        return Intake(src, mono, peak, level, activity, tuple(dropped))

    def _everyone(self, value: T) -> dict[str, T]:
        """A fresh dict of every participant -> `value`, in slot order: a copy of a cached one (10x cheaper than
        dict.fromkeys for 1000 ids), rebuilt when slots change."""
        cached = self._filled.get(id(value))
        if cached is None or cached[0] != self.layout:
            cached = self._filled[id(value)] = (self.layout, dict.fromkeys(self._ids, value))
        return cached[1].copy()  # type: ignore[return-value]

    def _end_tick(self) -> None:
        """What is now becomes what was: the next tick ramps from here."""
        n = len(self._ids)
        self._f[PREV + X:PREV + EFF + 1, :n] = self._f[X:EFF + 1, :n]
        self._prev_acoustics = self._acoustics
        if self._prefs_changed:
            self._prev_prefs = dict(self._prefs)
            self._prefs_changed = False
            self._compiled.pop(True, None)


def _check_max_sources(value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError("max_sources must be a positive integer or None")
