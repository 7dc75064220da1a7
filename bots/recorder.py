"""Records the stereo mix a bot receives: WAV file (stdlib ``wave``), frame/gap counts, arrivals.

One owned task reads the remote track continuously (aiortc's decoded-frame queue is
unbounded). Gaps in the RTP-derived pts (lost packets) are counted and written as silence
so the recording keeps real time.
"""

from __future__ import annotations

import asyncio
import wave
from collections import deque
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from rtc.audioformat import SAMPLE_RATE
from rtc.ownedtask import cancel_and_wait

MAX_GAP_FILL = 5 * SAMPLE_RATE


class Recorder:
    """Reader task + optional WAV writer + optional in-memory copy for analysis."""

    def __init__(self, path: str | Path | None = None, *, keep: bool = False, max_keep_s: float = 120.0) -> None:
        self.path = Path(path) if path is not None else None
        self.keep = keep
        self.frames = 0
        self.gaps = 0  # lost packets (written as silence)
        self.dtx_gaps = 0  # silences the sender chose (DTX: nothing lost, also written as silence)
        self.resumed_after_dtx: Callable[[int], bool] = lambda pts: False
        self.missing_samples = 0
        self.samples_written = 0
        self.arrivals: deque[float] = deque(maxlen=50 * 600)  # loop.time() of each frame
        self.frame_log: deque[tuple[int, float]] = deque(maxlen=50 * 600)  # (first sample index, loop time)
        self.kept_from = 0  # sample index of the first kept sample
        self._chunks: deque[np.ndarray] = deque(maxlen=int(max_keep_s * 50))
        self._wav: wave.Wave_write | None = None
        self._next_pts: int | None = None
        self._task: asyncio.Task[None] | None = None
        self.ended = asyncio.Event()

    def start(self, track: MediaStreamTrack) -> None:
        """Begin reading ``track`` (once)."""
        if self._task is not None:
            return
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            wav = wave.open(str(self.path), "wb")
            wav.setnchannels(2)
            wav.setsampwidth(2)
            wav.setframerate(SAMPLE_RATE)
            self._wav = wav
        self._task = asyncio.get_running_loop().create_task(self._run(track), name="bot-recorder")

    async def _run(self, track: MediaStreamTrack) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                frame = await track.recv()
                if isinstance(frame, av.AudioFrame):
                    self._on_frame(frame, loop.time())
        except (MediaStreamError, asyncio.CancelledError):
            pass
        finally:
            self.ended.set()

    def _on_frame(self, frame: av.AudioFrame, now: float) -> None:
        self.frames += 1
        self.arrivals.append(now)
        data: np.ndarray = frame.to_ndarray().reshape(-1)
        if frame.layout.name != "stereo":
            data = np.repeat(data, 2)
        pts = frame.pts
        if pts is not None and self._next_pts is not None and pts > self._next_pts:
            missing = pts - self._next_pts
            if self.resumed_after_dtx(pts):
                self.dtx_gaps += 1
            else:
                self.gaps += 1
                self.missing_samples += missing
            self._write(np.zeros(2 * min(missing, MAX_GAP_FILL), dtype=np.int16))
        if pts is not None:
            self._next_pts = pts + frame.samples
        self.frame_log.append((self.samples_written, now))
        self._write(data.astype(np.int16, copy=False))

    def _write(self, interleaved: np.ndarray) -> None:
        self.samples_written += interleaved.size // 2
        if self._wav is not None:
            self._wav.writeframes(interleaved.tobytes())
        if self.keep:
            self._chunks.append(interleaved.copy())

    def samples(self, last_s: float | None = None) -> np.ndarray:
        """Kept audio as (n, 2) int16 (the last ``last_s`` seconds if given)."""
        if not self._chunks:
            return np.zeros((0, 2), dtype=np.int16)
        data = np.concatenate(list(self._chunks)).reshape(-1, 2)
        if last_s is not None:
            data = data[-int(last_s * SAMPLE_RATE):]
        return data

    def clear(self) -> None:
        """Forget kept audio (e.g. to analyse only what arrives from now on)."""
        self._chunks.clear()
        self.kept_from = self.samples_written

    def rate(self, window_s: float, now: float) -> float:
        """Frames per second received over the last ``window_s`` seconds before ``now``."""
        return sum(1 for t in self.arrivals if now - window_s < t <= now) / window_s

    async def stop(self) -> None:
        """Stop reading and close the WAV file (idempotent)."""
        task, self._task = self._task, None
        await cancel_and_wait(task)
        if self._wav is not None:
            wav, self._wav = self._wav, None
            wav.close()

    def summary(self) -> dict[str, int]:
        """Counts for the bot's exit report."""
        return {"frames_received": self.frames, "gaps": self.gaps, "missing_samples": self.missing_samples,
                "dtx_gaps": self.dtx_gaps}
