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
    assert buf.pop()[0] == 1
    buf.push(frame(3))
    assert buf.pop()[0] == 2
    assert buf.pop()[0] == 3
    assert buf.concealed == 0 and buf.played == 3


def test_backlog_drops_the_oldest() -> None:
    buf = SourceBuffer(prefetch=1, max_frames=3)
    for v in range(1, 8):
        buf.push(frame(v))
    assert buf.depth == 3 and buf.dropped == 4
    assert [buf.pop()[0] for _ in range(3)] == [5, 6, 7]


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
