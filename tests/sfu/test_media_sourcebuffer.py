"""Jitter buffer behaviour: prefetch, bounded backlog, drift trim, concealment without clicks."""

import numpy as np
import pytest

from sfu.sourcebuffer import FRAME_VALUES, SourceBuffer


def frame(value: int) -> np.ndarray:
    return np.full(FRAME_VALUES, value, dtype=np.int16)


def test_prefetch_then_fifo_order() -> None:
    buf = SourceBuffer(prefetch=2, max_frames=4)
    buf.push(frame(1))
    assert buf.pop() is None  # still priming, and not counted as a loss
    buf.push(frame(2))
    assert buf.pop()[-1] == 1  # (the first 5 ms of a start fade in: see the splice tests)
    buf.push(frame(3))
    assert buf.pop()[-1] == 2
    assert buf.pop()[-1] == 3
    assert buf.concealed == 0 and buf.played == 3


def test_backlog_drops_the_oldest() -> None:
    buf = SourceBuffer(prefetch=1, max_frames=3)
    for v in range(1, 8):
        buf.push(frame(v))
    assert buf.depth == 3 and buf.dropped == 4
    assert [buf.pop()[-1] for _ in range(3)] == [5, 6, 7]


def test_drift_trim_sheds_a_frame_when_the_cushion_stays_high() -> None:
    buf = SourceBuffer(prefetch=2, max_frames=6, trim_window=10)
    for v in range(4):
        buf.push(frame(v))
    depths = []
    for v in range(4, 40):
        buf.push(frame(v))  # one in, one out: the surplus never drains by itself
        buf.pop()
        depths.append(buf.depth)
    assert buf.trimmed >= 2
    assert depths[-1] <= 2  # latency came back down to the prefetch cushion


def test_underrun_conceals_once_with_a_continuous_fade_then_silence_then_idle() -> None:
    buf = SourceBuffer(prefetch=1, max_frames=4, hangover=3)
    ramp = np.linspace(-1000, 1000, 960).astype(np.int16)
    stereo = np.repeat(ramp, 2)
    buf.push(stereo)
    played = buf.pop()
    concealment = buf.pop()
    assert concealment is not None
    # time-reversed: starts where the played frame ended (no jump), fades to zero
    assert abs(int(concealment[0]) - int(played[-1])) <= 2
    assert abs(int(concealment[-1])) <= 2
    assert buf.pop() is None and buf.pop() is None
    assert buf.concealed == 3
    assert buf.pop() is None  # past the hangover the source is idle: no more losses counted
    assert buf.concealed == 3


def test_rejects_wrong_frame_size() -> None:
    buf = SourceBuffer()
    with pytest.raises(ValueError):
        buf.push(np.zeros(960, dtype=np.int16))


def _tone_frames(count: int, hz: float = 440.0, amplitude: float = 8000.0) -> list[np.ndarray]:
    """A continuous stereo sine cut into 20 ms interleaved frames."""
    t = np.arange(count * 960) / 48000
    mono = np.round(amplitude * np.sin(2 * np.pi * hz * t)).astype(np.int16)
    return [np.repeat(mono[i * 960:(i + 1) * 960], 2) for i in range(count)]


def _largest_step(frames: list[np.ndarray]) -> float:
    audio = np.concatenate(frames).reshape(-1, 2).astype(np.float64)
    return float(np.abs(np.diff(audio, axis=0)).max())


def test_drops_trims_and_underruns_are_spliced_without_clicks() -> None:
    tone = _tone_frames(400)
    rng = np.random.default_rng(7)
    buf = SourceBuffer(prefetch=2, max_frames=3, trim_window=10)
    played, sent = [], 0
    for _ in range(len(tone)):  # bursty arrivals (0-4 frames a tick), one pop a tick
        for _ in range(int(rng.choice([0, 1, 1, 1, 2, 4]))):
            if sent < len(tone):
                buf.push(tone[sent])
                sent += 1
        out = buf.pop()
        played.append(out if out is not None else np.zeros(1920, np.int16))
    assert buf.dropped >= 5 and buf.trimmed >= 1 and buf.concealed >= 5
    assert _largest_step(played) <= 1.1 * _largest_step(tone)


def test_a_frame_after_concealment_fades_in() -> None:
    tone = _tone_frames(6)
    buf = SourceBuffer(prefetch=1, max_frames=4)
    buf.push(tone[0])
    out = [buf.pop(), buf.pop()]  # played, then concealed (fades to zero)
    assert buf.pop() is None  # silence
    buf.push(tone[4])  # the source comes back mid-waveform
    resumed = buf.pop()
    assert resumed is not None and resumed[0] == 0 and resumed[1] == 0  # from zero...
    assert np.array_equal(resumed[480:], tone[4][480:])  # ...to the untouched frame after 5 ms
    assert _largest_step([*out, np.zeros(1920, np.int16), resumed]) <= 1.1 * _largest_step(tone)
