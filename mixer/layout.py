"""Frame geometry and the rows of the per-slot state array, shared by the Python and the compiled code."""

from __future__ import annotations

# The frames the mixer takes and gives are the media's own (a constants module: mixer stays pure).
from rtc.audioformat import FRAME_SAMPLES, FRAME_VALUES, SAMPLE_RATE  # noqa: F401 - re-exported

PAIR_SHIFT = 32  # pair key = listener slot << 32 | source slot

# rows of the per-slot state array; PREV + row is the same field at the end of the last tick
X, Y, SIN_H, COS_H, EFF = range(5)
PREV = 5
SRC_GAIN, SRC_MUTED, LIMITER, HANGOVER = range(10, 14)
FIELDS = 14
