"""Our Opus encoder: the configured bitrate holds, stereo survives, packets are 20 ms."""

import fractions

import av
import numpy as np
import pytest

from sfu.opusencoder import OpusEncoder


def stereo_tones(seconds: float) -> np.ndarray:
    t = np.arange(int(48000 * seconds)) / 48000
    left = 9000 * np.sin(2 * np.pi * 440 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    right = 9000 * np.sin(2 * np.pi * 660 * t) + np.random.default_rng(1).normal(0, 500, t.size)
    return np.stack([left, right], axis=1).astype(np.int16).reshape(-1)


@pytest.mark.parametrize("bitrate", [32000, 64000, 96000])
def test_bitrate_is_what_was_configured(bitrate: int) -> None:
    enc = OpusEncoder(bitrate)
    data = stereo_tones(4)
    sizes = []
    for i in range(data.size // 1920):
        packets = enc.encode(data[i * 1920:(i + 1) * 1920])
        assert len(packets) == 1  # one packet per 20 ms tick, from the first tick on
        sizes.append(packets[0].size)
    measured = np.mean(sizes[10:]) * 8 * 50
    assert measured == pytest.approx(bitrate, rel=0.15)


def test_channels_stay_apart_after_decode() -> None:
    enc = OpusEncoder(64000)
    dec = av.CodecContext.create("libopus", "r")
    dec.format, dec.layout, dec.sample_rate = "s16", "stereo", 48000
    data = stereo_tones(1)
    data = data.reshape(-1, 2)
    data[:, 1] = 0  # left only
    data = data.reshape(-1)
    out = []
    for i in range(data.size // 1920):
        for p in enc.encode(data[i * 1920:(i + 1) * 1920]):
            p.time_base = fractions.Fraction(1, 48000)
            out += [f.to_ndarray().reshape(-1, 2) for f in dec.decode(p)]
    decoded = np.concatenate(out)[4800:].astype(np.float64)
    left, right = np.sqrt((decoded ** 2).mean(axis=0))
    assert 20 * np.log10(left / max(right, 1e-9)) > 30
