"""A listener's Opus encoder (libopus through rtc.libopus): configurable bitrate, stereo, in-band
FEC, and silence that costs nothing.

aiortc's built-in encoder is fixed at 96 kbit/s; aiortc also sends pre-encoded media, so the room
encodes each listener's mix here, in its worker thread (ctypes drops the GIL), and the MixTrack
hands the packets to aiortc with their timestamps.

The mix is stereo with voices panned hard left and right, so the default application is
``audio`` (CELT keeps the channels apart: 53-57 dB between a talker 2 m to the left and one 2 m
to the right; ``voip`` with FEC coded the same mix in hybrid mode, whose SILK layer narrowed
the image to 24-28 dB at 2.5x the encode time).

Silence is ours to decide, not libopus's: its DTX runs a voice-activity detector that calls a
steady tone "no speech" after a second and stops sending it. A listener's mix that is digital
silence is encoded for a short hangover (so the decoder's output settles on silence), then not
at all: nothing is sent but one tiny silence packet every ``refresh_ticks`` (as WebRTC's DTX
refreshes every 400 ms), and the RTP timestamps jump over the gap, which receivers treat as DTX.
"""

from __future__ import annotations

import functools

import numpy as np

from rtc import libopus
from rtc.audioformat import FRAME_VALUES

APPLICATIONS = tuple(libopus.APPLICATIONS)
HANGOVER_TICKS = 5  # silent frames still encoded and sent after audio: the codec's tail settles
REFRESH_TICKS = 20  # then one silence packet every 400 ms
_ZEROS = np.zeros(FRAME_VALUES, dtype=np.int16)


@functools.cache
def silence_packet(application: str) -> bytes:
    """A tiny packet that decodes to silence (libopus codes settled digital silence in 3 bytes)."""
    encoder = libopus.Encoder(64000, application=application)
    packet = b""
    for _ in range(20):
        packet = encoder.encode(_ZEROS)
    return packet


class MixEncoder:
    """20 ms stereo int16 frames (or None for silence) in, the packet to send this tick (or None) out."""

    def __init__(
        self, bitrate: int = 64000, *, fec: bool = True, expected_loss_percent: int = 5, complexity: int = 5,
        application: str = "audio",
    ) -> None:
        self._opus = libopus.Encoder(bitrate, application=application, complexity=complexity, fec=fec,
                                     expected_loss_percent=expected_loss_percent, dtx=False)
        self.bitrate = bitrate
        self.complexity = complexity
        self._silent_ticks = HANGOVER_TICKS  # a new listener starts in silence
        self._silence_packet = silence_packet(application)
        self.encoded = 0  # frames that cost an encode
        self.skipped = 0  # silent frames that cost nothing and sent nothing

    def encode(self, samples: np.ndarray | None) -> bytes | None:
        """One tick: ``samples`` are 1920 interleaved int16 values, None (or all zero) for silence."""
        if samples is not None and samples.any():
            self._silent_ticks = 0
            self.encoded += 1
            return self._opus.encode(samples)
        self._silent_ticks += 1
        if self._silent_ticks <= HANGOVER_TICKS:
            self.encoded += 1
            return self._opus.encode(_ZEROS)
        if (self._silent_ticks - HANGOVER_TICKS) % REFRESH_TICKS == 1:
            return self._silence_packet
        self.skipped += 1
        return None

    def set_complexity(self, complexity: int) -> None:
        """Cheaper (or better) encoding from the next frame: the room's overload control turns this."""
        if complexity != self.complexity:
            self._opus.set_complexity(complexity)
            self.complexity = complexity
