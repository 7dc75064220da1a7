"""Our own Opus encoder for a listener's mix: configurable bitrate, stereo, in-band FEC.

aiortc's built-in encoder is fixed at 96 kbit/s (``aiortc/codecs/opus.py``). aiortc also
sends pre-encoded media: when a track's ``recv()`` returns an ``av.Packet`` the sender skips
its encoder and only packs it (``OpusEncoder.pack``: RTP timestamp from ``pts``/``time_base``).
So each listener's mix is encoded here, in the room's worker thread (libopus releases the GIL
in PyAV), and the outbound MixTrack hands the packets to aiortc.

The mix is stereo with voices panned hard left and right, so the default application is
``audio`` (libopus then codes in CELT, which keeps the channels apart: 53-57 dB between a
talker 2 m to the left and one 2 m to the right). ``voip`` with in-band FEC made libopus code
every frame of the same mix in hybrid mode, whose SILK layer narrows the stereo image: 24-28 dB,
once 14-17 dB, and 2.5x the encode time. APPLICATIONS lists what libopus accepts.
"""

from __future__ import annotations

import av
import numpy as np

from rtc.audioformat import FRAME_SAMPLES, SAMPLE_RATE, TIME_BASE

APPLICATIONS = ("audio", "voip", "lowdelay")


class OpusEncoder:
    """libopus via PyAV: 20 ms stereo s16 frames in, Opus packets out (one thread at a time)."""

    def __init__(
        self, bitrate: int = 64000, *, fec: bool = True, expected_loss_percent: int = 5, complexity: int = 5,
        application: str = "audio",
    ) -> None:
        if application not in APPLICATIONS:
            raise ValueError(f"application must be one of {APPLICATIONS}, got {application!r}")
        codec = av.CodecContext.create("libopus", "w")
        assert isinstance(codec, av.AudioCodecContext)
        codec.bit_rate = bitrate
        codec.format = "s16"
        codec.layout = "stereo"
        codec.sample_rate = SAMPLE_RATE
        codec.time_base = TIME_BASE
        options = {
            "application": application,
            "frame_duration": "20",
            "vbr": "constrained",  # plain VBR overshoots the target by ~25 % on tonal input
            "compression_level": str(complexity),  # libopus complexity; its default is 10
        }
        if fec and expected_loss_percent > 0:
            options["fec"] = "1"
            options["packet_loss"] = str(expected_loss_percent)
        codec.options = options
        self.codec = codec
        self.bitrate = bitrate
        self._pts = 0

    def encode(self, samples: np.ndarray) -> list[av.Packet]:
        """Encode one tick (1920 interleaved int16 values); usually returns one packet."""
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, dtype=np.int16).reshape(1, -1), format="s16", layout="stereo"
        )
        frame.sample_rate = SAMPLE_RATE
        frame.time_base = TIME_BASE
        frame.pts = self._pts
        self._pts += FRAME_SAMPLES
        return list(self.codec.encode(frame))
