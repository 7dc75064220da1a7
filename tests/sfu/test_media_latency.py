"""Latency the server adds: a click leaving a source bot -> the click arriving in a listener's mix."""

from __future__ import annotations

import asyncio

import numpy as np

from bots import ClickSource


def at_time(log: list[tuple[int, float]], sample: int) -> float:
    """Loop time of ``sample`` from a (first sample of frame, loop time of frame) log."""
    starts = np.array([s for s, _ in log])
    i = int(np.searchsorted(starts, sample, side="right")) - 1
    start, t = log[i]
    return t + (sample - start) / 48000


async def test_click_latency_through_the_server(harness_factory) -> None:
    h = harness_factory()
    me = await h.join("r", "me", tone=None, at=(0, 0, 0), keep=True)
    clicks = ClickSource(interval=0.4)
    src = await h.join("r", "src", tone=None, at=(-1, 0, 0), source=clicks)
    await asyncio.sleep(0.6)
    me.recorder.clear()
    await asyncio.sleep(4.0)

    audio = np.abs(me.recorder.samples().astype(np.int32)).max(axis=1)
    threshold = 0.3 * audio.max()
    above = np.flatnonzero(audio > threshold)
    onsets = [int(above[0])] + [int(b) for a, b in zip(above[:-1], above[1:]) if b - a > 4800]
    assert len(onsets) >= 8, onsets
    sent = [at_time(list(src.track.sent_at), c) for c in clicks.clicks]
    latencies = []
    for onset in onsets:
        heard = at_time(list(me.recorder.frame_log), me.recorder.kept_from + onset)
        latencies.append(heard - max(t for t in sent if t < heard))
    median = float(np.median(latencies))
    print(f"\nclick latency through the server (aiortc -> plane -> aiortc, in-process): median "
          f"{median * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms over {len(latencies)} clicks")
    assert 0.0 < median < 0.080
