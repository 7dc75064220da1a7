"""The audio format every hop shares: Opus in WebRTC runs at 48 kHz, and hubbub moves it in 20 ms frames.

One definition for the server's clock, buffers, encoder and mixer, and for the bots' sources and
recorder; a frame is FRAME_SAMPLES samples per channel, stereo frames interleave FRAME_VALUES int16s.
"""

from __future__ import annotations

import fractions

SAMPLE_RATE = 48000
FRAME_SAMPLES = 960  # one 20 ms frame: one tick of the room clock, one Opus packet
FRAME_VALUES = 2 * FRAME_SAMPLES  # interleaved stereo int16 values per frame
FRAME_SECONDS = FRAME_SAMPLES / SAMPLE_RATE
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)  # the pts unit of aiortc's audio frames and packets
