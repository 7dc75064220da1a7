"""Our Opus encoder: the configured bitrate holds, stereo survives, packets are 20 ms."""

import numpy as np
import pytest
from audiocheck import band_db
from sfu_media_helpers import through_opus

from sfu.mixencoder import MixEncoder


def stereo_tones(seconds: float) -> np.ndarray:
    t = np.arange(int(48000 * seconds)) / 48000
    left = 9000 * np.sin(2 * np.pi * 440 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    right = 9000 * np.sin(2 * np.pi * 660 * t) + np.random.default_rng(1).normal(0, 500, t.size)
    return np.stack([left, right], axis=1).astype(np.int16).reshape(-1)


@pytest.mark.parametrize("bitrate", [32000, 64000, 96000])
def test_bitrate_is_what_was_configured(bitrate: int) -> None:
    enc = MixEncoder(bitrate)
    data = stereo_tones(4)
    sizes = []
    for i in range(data.size // 1920):
        packet = enc.encode(data[i * 1920:(i + 1) * 1920])
        assert packet is not None  # one packet per 20 ms tick of audio, from the first tick on
        sizes.append(len(packet))
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
        MixEncoder(application="music")


def test_channels_stay_apart_after_decode() -> None:
    data = stereo_tones(1).reshape(-1, 2)
    data[:, 1] = 0  # left only
    decoded = through_opus(data.reshape(-1, 1920), bitrate=64000)[0][4800:]
    left, right = np.sqrt((decoded ** 2).mean(axis=0))
    assert 20 * np.log10(left / max(right, 1e-9)) > 30


def test_a_silent_mix_costs_no_encode_after_a_short_hangover() -> None:
    enc = MixEncoder()
    loud = stereo_tones(0.2).reshape(-1, 1920)
    sent = [enc.encode(frame) is not None for frame in loud]  # audio: a packet every tick
    encoded_before = enc.encoded
    silent = [enc.encode(None) for _ in range(100)]  # then two seconds of silence
    assert all(sent)
    # 5 ticks of encoded silence (the decoder settles), then nothing but a refresh every 20 ticks
    assert [p is not None for p in silent[:5]] == [True] * 5
    assert [i for i, p in enumerate(silent) if p is not None][5:] == [5, 25, 45, 65, 85]
    assert enc.encoded - encoded_before == 5 and enc.skipped == 90
    assert all(len(p) <= 3 for p in silent[5:] if p is not None)  # refreshes are tiny
    assert enc.encode(np.zeros(1920, dtype=np.int16)) is None  # all-zero samples are silence too
    assert enc.encode(loud[0]) is not None  # and audio resumes at once


def test_libopus_round_trip_and_errors() -> None:
    from rtc import libopus

    assert libopus.VERSION.startswith("libopus 1.")
    enc, dec = libopus.Encoder(64000), libopus.Decoder()
    frame = stereo_tones(0.02)
    packet = enc.encode(frame)
    assert libopus.packet_samples(packet) == 960 and dec.decode(packet).size == 1920
    assert dec.conceal().size == 1920 and dec.recover(packet).size == 1920
    with pytest.raises(ValueError):
        enc.encode(frame[:100])
    with pytest.raises(libopus.OpusError):
        libopus.packet_samples(b"")
    with pytest.raises(ValueError):
        libopus.Encoder(channels=3)
