"""Our Opus encoder: the configured bitrate holds, stereo survives, packets are 20 ms."""

import numpy as np
import pytest
from audiocheck import band_db
from sfu_media_helpers import through_opus

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


def _separation_db(frames: np.ndarray, **options: object) -> tuple[float, float, set[str]]:
    """(440 Hz L-R, 660 Hz R-L) in dB after our encoder and libopus's decoder, and the packets' coding modes."""
    decoded, modes = through_opus(frames, **options)
    left_440, right_440 = band_db(decoded[-96000:], 440)
    left_660, right_660 = band_db(decoded[-96000:], 660)
    return left_440 - right_440, right_660 - left_660, modes


def test_a_spatial_mix_keeps_its_stereo_image() -> None:
    # a listener's mix: one talker hard left, one hard right, a quieter one straight ahead
    t = np.arange(200 * 960) / 48000
    ahead = 2000 * np.sin(2 * np.pi * 880 * t)
    mix = np.stack([6000 * np.sin(2 * np.pi * 440 * t) + ahead, 6000 * np.sin(2 * np.pi * 660 * t) + ahead], axis=1)
    frames = mix.astype(np.int16).reshape(-1, 1920)
    left, right, modes = _separation_db(frames)
    assert modes == {"celt"}
    assert left >= 45 and right >= 45, (left, right)
    # what `voip` (with FEC) did to the same mix: hybrid coding, a narrower image
    v_left, v_right, v_modes = _separation_db(frames, application="voip")
    assert "hybrid" in v_modes and min(v_left, v_right) < min(left, right) - 10


def test_rejects_an_unknown_application() -> None:
    with pytest.raises(ValueError):
        OpusEncoder(application="music")


def test_channels_stay_apart_after_decode() -> None:
    data = stereo_tones(1).reshape(-1, 2)
    data[:, 1] = 0  # left only
    decoded = through_opus(data.reshape(-1, 1920), bitrate=64000)[0][4800:]
    left, right = np.sqrt((decoded ** 2).mean(axis=0))
    assert 20 * np.log10(left / max(right, 1e-9)) > 30
