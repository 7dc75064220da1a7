"""The load clients' pieces: pre-encoded clips (libopus DTX as WebRTC sends it), the paced packet track,
and the CPU quota the server can be put under."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from bench.cpuquota import CPU_MOUNT, CpuQuota
from bench.opusclip import Clip, dtx_clip, silence_clip, tone_clip
from bench.packettrack import PacketTrack
from bench.serverprocess import proc_cpu_seconds
from rtc.audioformat import FRAME_SAMPLES
from rtc.libopus import is_dtx


def test_talkers_and_quiet_clients_without_dtx_send_fifty_packets_a_second() -> None:
    for clip in (tone_clip(), silence_clip()):
        assert all(f is not None and not is_dtx(f) for f in clip.frames)
        assert clip.packets_per_second == 50.0
    assert min(len(f or b"") for f in tone_clip().frames) > 40  # 32 kbit/s is ~80 bytes a frame


def test_dtx_clip_is_one_refresh_packet_then_silence_as_libopus_sends_it() -> None:
    clip = dtx_clip()
    assert clip.frames[0] is not None and not is_dtx(clip.frames[0])
    assert all(f is None for f in clip.frames[1:])  # 1-byte DTX frames: WebRTC does not send them
    assert len(clip.frames) == 21  # libopus 1.3-1.6: a refresh every 21st frame, 420 ms apart
    assert clip.packets_per_second == pytest.approx(50 / 21)


async def test_packet_track_paces_and_jumps_the_timestamp_over_dtx_frames() -> None:
    track = PacketTrack(Clip("t", (b"abc", None, None, b"def")), offset=0)
    track.lateness = []
    start = time.monotonic()
    packets = [await track.recv() for _ in range(4)]
    elapsed = time.monotonic() - start
    assert [bytes(p) for p in packets] == [b"abc", b"def", b"abc", b"def"]
    assert [p.pts for p in packets] == [0, 3 * FRAME_SAMPLES, 4 * FRAME_SAMPLES, 7 * FRAME_SAMPLES]
    assert 0.13 <= elapsed < 0.3  # the 4th is due 140 ms after the first
    assert len(track.lateness) == 4 and track.skipped_frames == 0


def test_a_track_with_nothing_to_send_is_refused() -> None:
    with pytest.raises(ValueError, match="no packet"):
        PacketTrack(Clip("quiet", (None, None)))


@pytest.mark.skipif(not (CPU_MOUNT / "cpu.cfs_quota_us").exists(), reason="no cgroup v1 cpu controller")
def test_cpu_quota_caps_a_busy_process_and_cleans_up() -> None:
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        quota = CpuQuota(0.2)
        try:
            with quota.on(busy.pid):
                time.sleep(0.2)
                cpu0, t0 = proc_cpu_seconds(busy.pid), time.monotonic()
                time.sleep(1.0)
                share = (proc_cpu_seconds(busy.pid) - cpu0) / (time.monotonic() - t0)
                assert quota.throttled_seconds() > 0
        except PermissionError:
            pytest.skip("needs root for the cgroup")
        assert share < 0.35
        assert not quota.group.exists()
    finally:
        busy.kill()
        busy.wait()
