"""A vectorised drop-in for aiortc's pure-Python ``rtp.compute_audio_level_dbov``.

aiortc's sender calls ``rtp.compute_audio_level_dbov(frame)`` (module attribute lookup, in
``RTCRtpSender._next_encoded_frame``) for every outbound ``AudioFrame``: a per-sample
``struct.iter_unpack`` loop costing ~180 us of event-loop time per 20 ms frame. aiortc has
no hook to replace it, so :func:`install` rebinds that one module attribute to the numpy
version below, which returns bit-identical values (tests/sfu/test_media_audiolevel.py checks
that against aiortc's own function). It is installed once, by MediaPlane and BotPeer.

The server itself hands aiortc pre-encoded Opus packets (see sfu/opusencoder.py), so its
outbound path never computes this level at all; the patch matters for every peer that
sends raw frames (bots, load tests).
"""

from __future__ import annotations

import math

import numpy as np
from aiortc import rtp
from av import AudioFrame

MAX_SAMPLE_VALUE = 32767
MIN_AUDIO_LEVEL = -127

_original = rtp.compute_audio_level_dbov


def compute_audio_level_dbov(frame: AudioFrame) -> int:
    """RFC 6465 level of an s16 frame, exactly as aiortc computes it (sum over plane 0 / samples)."""
    buf = np.frombuffer(memoryview(frame.planes[0]), dtype=np.int16)
    x = buf.astype(np.float64)
    energy = float(np.dot(x, x))  # exact: every partial sum of int16 squares fits a float64 mantissa
    rms = math.sqrt(energy / (frame.samples * MAX_SAMPLE_VALUE * MAX_SAMPLE_VALUE))
    if rms > 0:
        db = 20 * math.log10(rms)
        db = min(max(db, MIN_AUDIO_LEVEL), 0)
    else:
        db = MIN_AUDIO_LEVEL
    return round(db)


def install() -> None:
    """Make aiortc's senders use the numpy level function (idempotent, process-wide)."""
    rtp.compute_audio_level_dbov = compute_audio_level_dbov  # type: ignore[assignment]


def installed() -> bool:
    """True once :func:`install` has replaced aiortc's function."""
    return rtp.compute_audio_level_dbov is compute_audio_level_dbov


def original() -> object:
    """aiortc's own implementation (kept for tests and benchmarks)."""
    return _original
