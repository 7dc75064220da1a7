"""Per-source speech activity: a tick's level in dBov and a speaking flag with hangover, for UI indicators."""

from __future__ import annotations

import functools
from dataclasses import dataclass

MIN_DBOV = -127.0  # RFC 6464's floor, reported for digital silence
FULL_SCALE = 32768.0


@dataclass(frozen=True)
class Activity:
    """What the UI needs to light a speaking indicator for one source in one tick."""

    level_dbov: float
    speaking: bool


SILENT = Activity(MIN_DBOV, False)
SILENT_SPEAKING = Activity(MIN_DBOV, True)  # no sound this tick, but within the hangover


LEVEL_STEPS = 1271  # reported levels: MIN_DBOV..0 dBov in 0.1 dB steps


@functools.cache
def activities() -> tuple[Activity, ...]:
    """Every activity a tick can report, made once and shared (they are immutable): index = level in tenths of
    a dB above MIN_DBOV, plus LEVEL_STEPS when speaking. Looking one up is cheaper than making it."""
    return tuple(Activity((k % LEVEL_STEPS - (LEVEL_STEPS - 1)) / 10, k >= LEVEL_STEPS)
                 for k in range(2 * LEVEL_STEPS))
