"""Real-time behaviour with 10 bots through the server: frame rate, added latency, CPU cost."""

from __future__ import annotations

import asyncio
import math
import time

import numpy as np
import pytest
from audiocheck import at_time, onsets
from world import MakeWorld

from bots import ClickSource, ToneSource
from bench.serverprocess import proc_cpu_seconds

WINDOW_S = 20.0


@pytest.mark.timeout(180)
async def test_ten_bots_get_50_frames_per_second_and_low_latency(world: MakeWorld) -> None:
    w = world()
    listener = await w.bot(at=(10, 10))
    clicks = ClickSource(interval=0.5)
    clicker = await w.bot(source=clicks, at=(9, 10))
    others = []
    for i in range(8):
        a = 2 * math.pi * i / 8
        others.append(await w.bot(source=ToneSource(300 + 50 * i, level_dbfs=-30), at=(10 + 4 * math.cos(a), 10 + 4 * math.sin(a))))
    bots = [listener, clicker, *others]
    await asyncio.sleep(1.5)

    loop = asyncio.get_running_loop()
    listener.peer.recorder.clear()
    start_frames = [b.peer.recorder.frames for b in bots]
    t0, cpu0 = loop.time(), proc_cpu_seconds(w.server.process.pid)
    wall0 = time.monotonic()
    await asyncio.sleep(WINDOW_S)
    elapsed = loop.time() - t0
    cpu = (proc_cpu_seconds(w.server.process.pid) - cpu0) / (time.monotonic() - wall0)
    rates = [(b.peer.recorder.frames - f) / elapsed for b, f in zip(bots, start_frames)]

    audio = listener.peer.recorder.samples()
    heard = onsets(audio, min_gap_s=0.2)
    sent = [at_time(list(clicker.peer.track.sent_at), c) for c in clicks.clicks]
    latencies = []
    for onset in heard:
        t_heard = at_time(list(listener.peer.recorder.frame_log), listener.peer.recorder.kept_from + onset)
        latencies.append(t_heard - max(t for t in sent if t < t_heard))
    p50, p99 = (float(np.percentile(latencies, q)) * 1000 for q in (50, 99))
    print(f"\n10 bots over {elapsed:.1f} s: frames/s min {min(rates):.2f} max {max(rates):.2f}; "
          f"server CPU {100 * cpu:.0f} % of a core ({100 * cpu / len(bots):.1f} % per participant); "
          f"click latency p50 {p50:.1f} ms p99 {p99:.1f} ms over {len(latencies)} clicks")
    assert all(49.0 <= r <= 51.0 for r in rates), rates
    assert len(latencies) >= 0.8 * WINDOW_S / 0.5
    assert 0 < p50 < 80
    assert sum(b.peer.recorder.gaps for b in bots) <= 2
