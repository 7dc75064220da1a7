"""Helpers for the sfu media tests: what a listener decodes from our Opus encoder."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import av
import numpy as np

from rtc.icegathering import GatherPolicy
from serverproc import LOOPBACK
from sfu.mediaconfig import MediaConfig
from sfu.mixencoder import MixEncoder


def through_opus(frames: Iterable[np.ndarray], **options: Any) -> tuple[np.ndarray, set[str]]:
    """Frames (1920 interleaved int16 values each) through MixEncoder(**options) and FFmpeg's libopus
    decoder (not ours: an independent one): the decoded audio as (n, 2) float64, and the coding modes
    the packets used (RFC 6716 TOC byte). A tick that sends nothing decodes as packet loss would."""
    encoder = MixEncoder(**options)
    decoder = av.CodecContext.create("libopus", "r")
    decoder.format, decoder.layout, decoder.sample_rate = "s16", "stereo", 48000
    decoded, modes = [], set()
    for frame in frames:
        payload = encoder.encode(frame)
        if payload is None:
            decoded.append(np.zeros((960, 2)))
            continue
        config = payload[0] >> 3  # configs 0-11 SILK, 12-15 hybrid, 16-31 CELT
        modes.add("silk" if config < 12 else "hybrid" if config < 16 else "celt")
        decoded += [f.to_ndarray().reshape(-1, 2) for f in decoder.decode(av.Packet(payload))]
    return np.concatenate(decoded).astype(np.float64), modes


def loopback_config(**settings: Any) -> MediaConfig:
    """A MediaConfig whose peers gather on 127.0.0.1 only (tests never leave loopback)."""
    return MediaConfig(gathering=GatherPolicy(addresses=LOOPBACK), **settings)
