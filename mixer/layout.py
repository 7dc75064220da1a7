"""Frame geometry and the rows of the per-slot state array, shared by the Python and the compiled code."""

from __future__ import annotations

SAMPLE_RATE = 48000
FRAME_SAMPLES = 960
FRAME_VALUES = 2 * FRAME_SAMPLES  # interleaved stereo int16 values per frame
PAIR_SHIFT = 32  # pair key = listener slot << 32 | source slot

# rows of the per-slot state array; PREV + row is the same field at the end of the last tick
X, Y, SIN_H, COS_H, EFF = range(5)
PREV = 5
SRC_GAIN, SRC_MUTED, LIMITER, HANGOVER = range(10, 14)
FIELDS = 14
