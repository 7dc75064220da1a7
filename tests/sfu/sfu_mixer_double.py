"""A tiny stand-in for mixer.Mixer used ONLY by sfu unit tests (records calls, pans by side).

It follows the fixed mixer contract closely enough to drive the room clock without the
real DSP: equal-power pan from the sign of the relative x, no distance model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ActivityDouble:
    level_dbov: float
    speaking: bool


@dataclass
class MixResultDouble:
    outputs: dict[str, np.ndarray]
    activity: dict[str, ActivityDouble]


class MixerDouble:
    def __init__(self, acoustics: Any = None, *, max_sources: int | None = None) -> None:
        self.poses: dict[str, tuple[float, float, float]] = {}
        self.muted: dict[str, bool] = {}
        self.prefs: dict[tuple[str, str], tuple[bool | None, float | None]] = {}
        self.acoustics = acoustics
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.mixes = 0

    def add(self, pid: str, x: float, y: float, heading: float) -> None:
        if pid in self.poses:
            raise ValueError(pid)
        self.calls.append(("add", (pid, x, y, heading)))
        self.poses[pid] = (x, y, heading)

    def remove(self, pid: str) -> None:
        self.calls.append(("remove", (pid,)))
        self.poses.pop(pid, None)

    def set_pose(self, pid: str, x: float, y: float, heading: float) -> None:
        if pid not in self.poses:
            raise KeyError(pid)
        self.calls.append(("set_pose", (pid, x, y, heading)))
        self.poses[pid] = (x, y, heading)

    def set_source(self, pid: str, *, muted: bool | None = None, gain: float | None = None) -> None:
        if pid not in self.poses:
            raise KeyError(pid)
        self.calls.append(("set_source", (pid, muted, gain)))
        if muted is not None:
            self.muted[pid] = muted

    def set_preference(self, listener: str, source: str, *, muted: bool | None = None,
                       gain: float | None = None) -> None:
        if listener not in self.poses or source not in self.poses:
            raise KeyError((listener, source))
        self.calls.append(("set_preference", (listener, source, muted, gain)))
        self.prefs[(listener, source)] = (muted, gain)

    def set_acoustics(self, acoustics: Any) -> None:
        self.calls.append(("set_acoustics", (acoustics,)))
        self.acoustics = acoustics

    def mix(self, frames: Mapping[str, np.ndarray]) -> MixResultDouble:
        self.mixes += 1
        outputs: dict[str, np.ndarray] = {}
        activity = {}
        mono = {}
        for pid, f in frames.items():
            if pid in self.poses and not self.muted.get(pid, False):
                m = f.reshape(-1, 2).astype(np.float32).mean(axis=1)
                mono[pid] = m
                rms = float(np.sqrt(np.mean(m * m))) / 32767
                level = 20 * math.log10(rms) if rms > 0 else -127.0
                activity[pid] = ActivityDouble(level, level > -50)
        for lid, (lx, _, _) in self.poses.items():
            out = np.zeros((960, 2), dtype=np.float32)
            for sid, m in mono.items():
                if sid == lid or self.prefs.get((lid, sid), (None, None))[0]:
                    continue
                dx = self.poses[sid][0] - lx
                a = 0.0 if dx == 0 else (-90.0 if dx < 0 else 90.0)
                x = (a + 90) / 180
                out[:, 0] += m * math.cos(x * math.pi / 2)
                out[:, 1] += m * math.sin(x * math.pi / 2)
            outputs[lid] = np.clip(out, -32768, 32767).astype(np.int16).reshape(1, 1920)
        return MixResultDouble(outputs, activity)
