"""Bot media pieces: tone and WAV sources, real-time pacing, the recorder's WAV and gap counts."""

from __future__ import annotations

import asyncio
import fractions
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from bots import Recorder, SourceTrack, ToneSource, WavSource
from rtc import libopus


def peak_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.fft.rfftfreq(samples.size, 1 / 48000)[spectrum.argmax()])


def test_tone_frequency_level_and_phase_continuity() -> None:
    src = ToneSource(440, level_dbfs=-6)
    data = np.concatenate([src.next_frame() for _ in range(50)])
    assert peak_hz(data) == pytest.approx(440, abs=1)
    assert np.abs(data).max() == pytest.approx(32767 * 10 ** (-6 / 20), rel=0.01)
    step = np.abs(np.diff(data.astype(np.int32))).max()
    assert step <= 2 * np.pi * 440 / 48000 * 32767 * 0.51 + 2  # no jump at frame boundaries
    with pytest.raises(ValueError):
        ToneSource(0)


def write_wav(path: Path, rate: int, channels: int, data: np.ndarray, width: int = 2) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(data.tobytes())


def test_wav_is_resampled_downmixed_and_looped(tmp_path: Path) -> None:
    t = np.arange(int(16000 * 0.25)) / 16000
    tone = (8000 * np.sin(2 * np.pi * 500 * t)).astype(np.int16)
    write_wav(tmp_path / "a.wav", 16000, 2, np.stack([tone, tone], axis=1).reshape(-1))
    src = WavSource(tmp_path / "a.wav")
    assert src.duration == pytest.approx(0.25, abs=0.001)
    data = np.concatenate([src.next_frame() for _ in range(50)])  # 1 s: four loops
    assert data.size == 48000
    assert peak_hz(data) == pytest.approx(500, abs=2)
    assert np.array_equal(data[:960], data[12000:12960])  # it loops


def test_wav_errors_are_value_errors(tmp_path: Path) -> None:
    (tmp_path / "x.wav").write_bytes(b"not a wav")
    with pytest.raises(ValueError):
        WavSource(tmp_path / "x.wav")
    write_wav(tmp_path / "y.wav", 48000, 1, np.zeros(300, dtype=np.int32), width=3)
    with pytest.raises(ValueError, match="16-bit"):
        WavSource(tmp_path / "y.wav")


async def test_source_track_paces_in_real_time() -> None:
    track = SourceTrack(ToneSource(300))
    loop = asyncio.get_running_loop()
    first = await track.recv()
    start = loop.time()
    frames = [await track.recv() for _ in range(25)]
    elapsed = loop.time() - start
    assert elapsed == pytest.approx(0.5, abs=0.04)
    assert [f.pts for f in frames] == [960 * (i + 1) for i in range(25)]
    assert first.time_base == fractions.Fraction(1, 48000)
    assert libopus.packet_samples(bytes(first)) == 960  # one 20 ms Opus frame per packet


class SilenceThenTone:
    """30 frames of digital silence, then a tone."""

    def __init__(self) -> None:
        self.n = 0
        self.tone = ToneSource(300)

    def next_frame(self) -> np.ndarray:
        self.n += 1
        return np.zeros(960, dtype=np.int16) if self.n <= 30 else self.tone.next_frame()


async def test_source_track_sends_silence_as_dtx() -> None:
    track = SourceTrack(SilenceThenTone())
    pts = [(await track.recv()).pts // 960 for _ in range(16)]
    # 10 silent frames still sent (hangover), then only the 20th after them, then the tone, frame by frame
    assert pts == [*range(10), 29, *range(30, 35)], pts
    assert (track.frames_sent, track.packets_sent) == (35, 16)


class ListTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, frames: list[av.AudioFrame]) -> None:
        super().__init__()
        self.frames = frames

    async def recv(self) -> av.AudioFrame:
        if not self.frames:
            raise MediaStreamError
        await asyncio.sleep(0)
        return self.frames.pop(0)


def stereo_frame(pts: int, value: int) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(np.full((1, 1920), value, dtype=np.int16), format="s16", layout="stereo")
    frame.sample_rate = 48000
    frame.pts = pts
    return frame


async def test_recorder_writes_wav_and_counts_gaps(tmp_path: Path) -> None:
    # two frames lost, then three the sender did not send (DTX: the jitter buffer saw no sequence gap)
    frames = [stereo_frame(0, 1), stereo_frame(960, 2), stereo_frame(960 * 4, 3), stereo_frame(960 * 8, 4)]
    rec = Recorder(tmp_path / "out" / "mix.wav", keep=True)
    rec.resumed_after_dtx = lambda pts: pts == 960 * 8
    rec.start(ListTrack(frames))
    await asyncio.wait_for(rec.ended.wait(), 2)
    await rec.stop()
    assert rec.summary() == {"frames_received": 4, "gaps": 1, "missing_samples": 1920, "dtx_gaps": 1}
    with wave.open(str(tmp_path / "out" / "mix.wav"), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 48000)
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16).reshape(-1, 2)
    assert data.shape == (960 * 9, 2)  # gaps are kept as silence: the file stays in real time
    assert data[0, 0] == 1 and data[960 * 3, 0] == 0 and data[960 * 4, 1] == 3 and data[960 * 6, 0] == 0
    assert data[-1, 1] == 4
    assert np.array_equal(rec.samples(), data)
