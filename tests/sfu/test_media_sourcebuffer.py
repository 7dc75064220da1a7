"""Jitter buffer behaviour: prefetch, bounded backlog, drift trim, concealment without clicks
(in our output and after Opus)."""

import threading

import numpy as np
import pytest
from sfu_media_helpers import through_opus

from sfu.sourcebuffer import FRAME_VALUES, INBOX_SLACK, PITCH_MIN, SourceBuffer


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
    assert buf.depth == 7 and buf.dropped == 0  # pushed into the inbox; the bound applies when the clock pops
    assert [buf.pop()[-1] for _ in range(3)] == [5, 6, 7]
    assert buf.dropped == 4


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


def test_underrun_continues_the_waveform_then_fades_to_silence_then_idle() -> None:
    tone = _tone_frames(3, hz=200.0)
    buf = SourceBuffer(prefetch=1, max_frames=4, hangover=5)
    for f in tone[:2]:
        buf.push(f)
        buf.pop()
    concealed = [buf.pop() for _ in range(5)]
    first = concealed[0]
    assert first is not None
    # the last pitch period repeated: the first 10 ms are the tone's true continuation (200 Hz = 240 samples)
    error = np.abs(first[:960].astype(np.int32) - tone[2][:960]).max()
    assert error <= 0.02 * 8000, error
    # then a fade: 80 % at 20 ms, 40 % at 40 ms, silent from 60 ms
    assert np.abs(first[-200:]).max() == pytest.approx(0.8 * 8000, rel=0.05)
    assert concealed[1] is not None and np.abs(concealed[1][-200:]).max() == pytest.approx(0.4 * 8000, rel=0.1)
    assert concealed[2] is not None and np.abs(concealed[2][-2:]).max() <= 2
    assert concealed[3:] == [None, None]
    assert buf.concealed == 5
    assert buf.pop() is None  # past the hangover the source is idle: no more losses counted
    assert buf.concealed == 5


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
    return _largest_step_of(np.concatenate(frames).reshape(-1, 2).astype(np.float64))


def _largest_step_of(audio: np.ndarray) -> float:
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


def test_a_frame_after_a_long_gap_fades_in() -> None:
    tone = _tone_frames(8)
    buf = SourceBuffer(prefetch=1, max_frames=4)
    buf.push(tone[0])
    out = [buf.pop(), *(buf.pop() for _ in range(4))]  # played, then concealed until faded out
    assert out[-1] is None  # silence
    buf.push(tone[6])  # the source comes back mid-waveform
    resumed = buf.pop()
    assert resumed is not None and resumed[0] == 0 and resumed[1] == 0  # from zero...
    assert np.array_equal(resumed[480:], tone[6][480:])  # ...to the untouched frame after 5 ms
    heard = [f if f is not None else np.zeros(1920, np.int16) for f in [*out, resumed]]
    assert _largest_step(heard) <= 1.1 * _largest_step(tone)


def _step_after_opus(frames: list[np.ndarray]) -> float:
    """The largest step in what a listener decodes, past the codec's start-up."""
    return _largest_step_of(through_opus(frames)[0][1000:])


def _one_late_frame(tone: list[np.ndarray], late: int, by: int) -> list[np.ndarray]:
    """Pop a tone once a tick while frame ``late`` arrives ``by`` ticks late (with the ones after it)."""
    buf, out, held = SourceBuffer(prefetch=1, max_frames=4), [], []
    for i, f in enumerate(tone):
        held.append(f)
        if not late <= i < late + by:
            for g in held:
                buf.push(g)
            held = []
        frame = buf.pop()
        out.append(frame if frame is not None else np.zeros(1920, np.int16))
    return out


@pytest.mark.parametrize("hz", [150.0, 440.0])
def test_a_late_frame_makes_no_click_after_opus(hz: float) -> None:
    # A time-reversed copy (the earlier concealment) had no step in our output but one of up to 1.6x the
    # tone's after Opus: the codec turns the kink into a click. A pitch continuation is a plain tone to it.
    tone = _tone_frames(40, hz=hz, amplitude=6000.0)
    clean = _step_after_opus(tone)
    for late in range(15, 25):
        for by in (1, 2):
            heard = _one_late_frame(tone, late, by)
            assert _largest_step(heard) <= 1.05 * _largest_step(tone), (late, by)
            assert _step_after_opus(heard) <= 1.1 * clean, (late, by)


def test_the_delay_a_late_frame_adds_is_trimmed_away_without_clicks() -> None:
    tone = _tone_frames(80, hz=180.0)
    buf = SourceBuffer(prefetch=1, max_frames=4, trim_window=10)
    out = []
    for f in tone[:10]:
        buf.push(f)
        out.append(buf.pop())
    out.append(buf.pop())  # frame 10 is late: concealed
    buf.push(tone[10])  # it arrives before the next tick, as does frame 11
    lag = []
    for f in tone[11:]:
        buf.push(f)
        out.append(buf.pop())
        lag.append(buf._available)  # samples left queued after the pop: the delay beyond the prefetch
    assert buf.concealed == 1 and lag[0] >= 960  # the concealed tick and its phase alignment
    assert buf.trimmed >= 1 and lag[-1] < PITCH_MIN  # cut back, at pitch-aligned points
    assert _largest_step(out) <= 1.05 * _largest_step(tone)
    assert _step_after_opus(out) <= 1.1 * _step_after_opus(tone)


def test_noise_and_voices_never_leave_int16_or_crash() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(300 * 960) / 48000
    pitch = 120 + 40 * np.sin(2 * np.pi * 0.7 * t)  # a gliding voiced sound with noise on top
    voice = sum(np.sin(2 * np.pi * np.cumsum(k * pitch) / 48000) / k for k in range(1, 8))
    signal = np.clip(12000 * voice + 3000 * rng.standard_normal(t.size), -32768, 32767)
    frames = [np.repeat(signal[i * 960:(i + 1) * 960], 2).astype(np.int16) for i in range(300)]
    frames += [rng.integers(-32768, 32767, 1920, dtype=np.int16) for _ in range(100)]  # full-scale noise
    buf, sent = SourceBuffer(prefetch=1, max_frames=3, trim_window=10), 0
    for _ in range(len(frames)):
        for _ in range(int(rng.choice([0, 1, 1, 2, 3]))):
            if sent < len(frames):
                buf.push(frames[sent])
                sent += 1
        out = buf.pop()
        assert out is None or (out.dtype == np.int16 and out.shape == (1920,))
    assert buf.concealed >= 10 and buf.dropped >= 5


def test_an_inbox_left_unpopped_for_a_second_is_bounded_and_counted() -> None:
    buf = SourceBuffer(prefetch=1, max_frames=4)
    for v in range(200):  # four seconds of frames and no tick (a stalled worker)
        buf.push(frame(v % 100))
    assert buf.depth == 4 + INBOX_SLACK
    assert buf.dropped == 200 - 4 - INBOX_SLACK
    buf.pop()
    assert buf.depth == 3 and buf.dropped == 200 - 4


def test_pushes_from_another_thread_keep_order_and_lose_nothing() -> None:
    buf = SourceBuffer(prefetch=1, max_frames=50)
    count, room = 3000, threading.Semaphore(20)  # the producer stays at most 20 frames ahead

    def producer() -> None:
        for v in range(count):
            room.acquire()
            buf.push(frame(v))

    thread = threading.Thread(target=producer)
    thread.start()
    seen: list[int] = []
    while len(seen) < count:
        if buf.depth:  # something pushed: a pop now must find it
            out = buf.pop()
            assert out is not None
            seen.append(int(out[-1]))
            room.release()
    thread.join()
    assert seen == list(range(count))
    assert buf.pushed == count and buf.dropped == 0 and buf.concealed == 0
