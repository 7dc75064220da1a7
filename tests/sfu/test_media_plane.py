"""The media plane with real aiortc peers (bots) over 127.0.0.1, real Opus and the real mixer."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest
from audiocheck import band_db

from mixer import Acoustics
from mixer.acoustics import distance_gain
from rtc.looplagmonitor import LoopLagMonitor
from serverproc import LOOPBACK
from sfu import MediaConfig, MediaError, MediaPlane, SessionClosed


def _power_sum(left_db: float, right_db: float) -> float:
    return float(10 * np.log10(10 ** (left_db / 10) + 10 ** (right_db / 10)))



async def test_spatial_mix_frame_rate_and_opus_answer(harness_factory) -> None:
    h = harness_factory()
    me = await h.join("r", "me", tone=1000, at=(10, 10, 0), keep=True)
    await h.join("r", "left", tone=440, at=(8, 10, 0))
    await h.join("r", "right", tone=660, at=(12, 10, 0))
    await h.join("r", "far", tone=880, at=(10, 22, 0))  # 12 m straight ahead
    answer = h.plane.rooms["r"].sessions["me"].pc.localDescription.sdp
    fmtp = [line for line in answer.splitlines() if line.startswith("a=fmtp:")]
    assert len(fmtp) == 1 and all(p in fmtp[0] for p in ("stereo=1", "sprop-stereo=1", "useinbandfec=1"))

    await asyncio.sleep(1.0)  # let buffers settle
    loop = asyncio.get_running_loop()
    me.recorder.clear()
    start = loop.time()
    frames_before = me.recorder.frames
    await asyncio.sleep(8.0)
    elapsed = loop.time() - start
    rate = (me.recorder.frames - frames_before) / elapsed
    room_stats = h.plane.stats()["rooms_detail"]["r"]
    print(f"\nlistener frames/s {rate:.2f}; skipped ticks {room_stats['skipped_ticks']}; "
          f"tick lateness ms {room_stats['tick_lateness_ms']}; mix ms {room_stats['mix_ms']}")
    assert rate == pytest.approx(50.0, rel=0.02)
    assert me.recorder.gaps == 0

    audio = me.recorder.samples(5.0)
    assert audio.shape[0] >= 4.5 * 48000
    l440, r440 = band_db(audio, 440)
    l660, r660 = band_db(audio, 660)
    l1k, r1k = band_db(audio, 1000)
    assert l440 - r440 >= 15, (l440, r440)
    assert r660 - l660 >= 15, (l660, r660)
    loudest = max(l440, r660)
    assert max(l1k, r1k) - loudest < -40, (l1k, r1k, loudest)  # own voice is not sent back
    l880, r880 = band_db(audio, 880)
    near, far = _power_sum(l440, r440), _power_sum(l880, r880)
    predicted = 20 * np.log10(distance_gain(np.array([12.0]), Acoustics())[0] / distance_gain(np.array([2.0]), Acoustics())[0])
    assert far - near <= -12 and abs((far - near) - predicted) <= 2, (far - near, predicted)

    stats = h.plane.stats()
    room = stats["rooms_detail"]["r"]
    assert room["participants"] == 4 and room["connected"] == 4
    assert room["sessions"]["me"]["frames_out_per_s"] == pytest.approx(50, rel=0.1)
    assert room["sessions"]["left"]["frames_in_per_s"] == pytest.approx(50, rel=0.1)
    assert room["tick_lateness_ms"]["p50"] is not None and room["mix_ms"]["p99"] is not None
    assert stats["event_loop_lag_ms"]["p99"] is not None
    assert any("left" in a for _, a in h.activity)


async def test_outbound_bitrate_is_configurable(harness_factory) -> None:
    h = harness_factory(bitrate=24000)
    await h.join("r", "me", tone=None, at=(0, 0, 0))
    await h.join("r", "src", tone=440, at=(-2, 0, 0))
    sender = h.plane.rooms["r"].sessions["me"].pc.getSenders()[0]

    async def sent() -> int:
        report = await sender.getStats()
        return next(s.bytesSent for s in report.values() if s.type == "outbound-rtp")

    await asyncio.sleep(1.0)
    b0, t0 = await sent(), asyncio.get_running_loop().time()
    await asyncio.sleep(3.0)
    b1, t1 = await sent(), asyncio.get_running_loop().time()
    assert (b1 - b0) * 8 / (t1 - t0) == pytest.approx(24000, rel=0.2)


async def test_pose_update_reaches_the_next_tick(harness_factory) -> None:
    h = harness_factory()
    await h.join("r", "me", tone=None, at=(0, 0, 0))
    await h.join("r", "src", tone=440, at=(-2, 0, 0))
    room = h.plane.rooms["r"]
    outputs: dict[int, np.ndarray] = {}
    real_mix = room.mixer.mix

    def spy(frames):  # runs in the worker: room.ticks is this job's tick number
        result = real_mix(frames)
        outputs[room.ticks] = result.outputs["me"].reshape(-1, 2).astype(np.float64)
        return result

    room.mixer.mix = spy  # type: ignore[method-assign]
    await asyncio.sleep(0.5)
    called_during = room.ticks
    h.plane.set_pose("r", "src", 2, 0, 0)  # jump from the left to the right
    while room.ticks < called_during + 3:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)

    def side(tick: int, part: slice) -> float:
        left, right = np.sqrt((outputs[tick][part] ** 2).mean(axis=0)) + 1e-9
        return float(20 * np.log10(right / left))

    assert side(called_during - 1, slice(None)) < -15  # before: on the left
    first_after = called_during + 1  # the first tick started after the call
    assert side(first_after, slice(-48, None)) > 15  # ends on the right (gains glide across the tick)
    assert side(first_after + 1, slice(None)) > 15


async def test_settings_before_the_offer_are_applied(harness_factory) -> None:
    h = harness_factory()
    h.plane.set_pose("r", "me", 1, 2, 90)  # signaling sends positions before the offer
    h.plane.set_muted("r", "src", True)
    h.plane.set_preference("r", "me", "src", gain=0.5)
    await h.join("r", "src", tone=440, at=(5, 5, 0))
    me = await h.join("r", "me", tone=None, at=(1, 2, 90), keep=True)
    await asyncio.sleep(0.1)
    room = h.plane.rooms["r"]
    assert set(room.mixer.participants) == {"me", "src"}
    assert room.errors == 0  # every remembered op found its participants in the mixer

    async def level_440() -> float:
        await asyncio.sleep(0.4)
        me.recorder.clear()
        await asyncio.sleep(1.0)
        return max(band_db(me.recorder.samples(), 440))

    muted = await level_440()
    h.plane.set_muted("r", "src", False)
    unmuted = await level_440()
    assert unmuted - muted > 40, (muted, unmuted)


async def test_close_session_frees_everything(harness_factory) -> None:
    h = harness_factory()
    a = await h.join("r", "a", tone=440, at=(0, 0, 0))
    await h.join("r", "b", tone=660, at=(1, 0, 0))
    room = h.plane.rooms["r"]
    session_a = room.sessions["a"]
    await h.plane.close_session("r", "a")
    await h.plane.close_session("r", "a")  # idempotent
    assert session_a.pc.connectionState == "closed"
    assert "a" not in room.sessions and room.running
    await asyncio.sleep(0.1)
    assert set(room.mixer.participants) == {"b"}
    assert not h.closed  # signaling closed it: no callback
    await a.close()
    await h.plane.close_session("r", "b")
    assert "r" not in h.plane.rooms and not room.running  # no clock for an empty room
    names = {t.get_name() for t in asyncio.all_tasks()}
    assert not any(n.startswith("hubbub-clock") or n.startswith("hubbub-read") for n in names)


async def test_peer_hangup_closes_with_left(harness_factory) -> None:
    h = harness_factory()
    bot = await h.join("r", "a", tone=440)
    await asyncio.sleep(0.3)
    await bot.close()
    assert await h.wait_closed("a", 5) is SessionClosed.LEFT
    assert "r" not in h.plane.rooms


async def test_silent_peer_is_closed(harness_factory) -> None:
    h = harness_factory(silent_peer_timeout=1.0)
    bot = await h.join("r", "a", tone=440)
    await asyncio.sleep(0.5)
    bot.set_sending(False)
    assert await h.wait_closed("a", 6) is SessionClosed.SILENT_PEER
    assert "r" not in h.plane.rooms


async def test_ice_failure_is_closed(harness_factory) -> None:
    h = harness_factory()
    from bots import BotPeer, ToneSource

    bot = BotPeer(ToneSource(440), ice_addresses=LOOPBACK)
    h.bots.append(bot)
    offer = await bot.create_offer()
    no_candidates = "".join(
        line + "\r\n" for line in offer.splitlines() if not line.startswith(("a=candidate", "a=end-of-candidates"))
    )
    await h.plane.open_session("r", "a", no_candidates, x=0, y=0, heading=0)
    await h.plane.add_ice_candidate("r", "a", None, "0", 0)  # end of candidates: nothing to try
    assert await h.wait_closed("a", 10) is SessionClosed.ICE_FAILED
    assert "r" not in h.plane.rooms


async def test_new_offer_replaces_the_old_session(harness_factory) -> None:
    h = harness_factory()
    await h.join("r", "a", tone=440)
    first = h.plane.rooms["r"].sessions["a"]
    second_bot = await h.join("r", "a", tone=660)
    assert h.closed == [("r", "a", SessionClosed.REPLACED)]
    assert first.pc.connectionState == "closed"
    assert h.plane.rooms["r"].sessions["a"] is not first
    assert second_bot.connection_state == "connected"


async def test_bad_input_raises_media_error_and_breaks_nothing(harness_factory) -> None:
    h = harness_factory()
    for offer in ("", "garbage", "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"):
        with pytest.raises(MediaError):
            await h.plane.open_session("r", "a", offer, x=0, y=0, heading=0)
    with pytest.raises(MediaError):
        await h.plane.open_session("", "a", "v=0", x=0, y=0, heading=0)
    bot = await h.join("r", "a", tone=440)
    with pytest.raises(MediaError):
        await h.plane.open_session("r", "b", "v=0\r\n", x=float("nan"), y=0, heading=0)
    with pytest.raises(MediaError):
        await h.plane.add_ice_candidate("r", "a", "candidate:not a candidate", "0", 0)
    with pytest.raises(MediaError):
        h.plane.set_pose("r", "a", float("inf"), 0, 0)
    await h.plane.add_ice_candidate("r", "nobody", "candidate:1 1 udp 1 192.0.2.9 9 typ host", "0", 0)
    h.plane.set_pose("nowhere", "nobody", 1, 2, 3)  # unknown sessions never raise
    await h.plane.close_session("nowhere", "nobody")
    assert bot.connection_state == "connected" and "a" in h.plane.rooms["r"].sessions


async def test_shutdown_closes_everyone_with_shutdown(harness_factory) -> None:
    h = harness_factory()
    await h.join("r1", "a", tone=440)
    await h.join("r2", "b", tone=660)
    await h.plane.close()
    await h.plane.close()
    assert sorted(h.closed) == [("r1", "a", SessionClosed.SHUTDOWN), ("r2", "b", SessionClosed.SHUTDOWN)]
    assert not h.plane.rooms
    assert not any(t.name.startswith("hubbub-mix") for t in threading.enumerate())
    with pytest.raises(MediaError):
        await h.plane.open_session("r1", "a", "v=0", x=0, y=0, heading=0)


async def test_no_clock_until_someone_connects_and_stats_are_json(harness_factory) -> None:
    import json

    h = harness_factory()
    from bots import BotPeer, ToneSource

    bot = BotPeer(ToneSource(440), ice_addresses=LOOPBACK)
    h.bots.append(bot)
    answer = await h.plane.open_session("r", "a", await bot.create_offer(), x=0, y=0, heading=0)
    room = h.plane.rooms["r"]
    await asyncio.sleep(0.1)
    assert not room.running and room.ticks == 0  # a session, but nobody connected yet
    h.plane.set_pose("r", "a", 3, 4, 5)  # applied straight to the mixer while the clock is stopped
    assert room.errors == 0
    await bot.accept_answer(answer)
    await bot.wait_until_connected(10)
    await asyncio.sleep(0.2)
    assert room.running and room.ticks > 0
    stats = json.loads(json.dumps(h.plane.stats()))
    assert stats["sessions"] == 1 and stats["fast_audio_level"] is True
    session = stats["rooms_detail"]["r"]["sessions"]["a"]
    for key in ("frames_in", "frames_out", "concealed", "frames_in_per_s", "frames_out_per_s", "buffer_depth"):
        assert key in session


async def test_a_peer_that_never_connects_is_given_up(harness_factory) -> None:
    h = harness_factory(connect_timeout=1.0)
    from bots import BotPeer, ToneSource

    bot = BotPeer(ToneSource(440), ice_addresses=LOOPBACK)
    h.bots.append(bot)
    await h.plane.open_session("r", "a", await bot.create_offer(), x=0, y=0, heading=0)  # answer never applied
    assert await h.wait_closed("a", 5) is SessionClosed.ICE_FAILED
    assert "r" not in h.plane.rooms


async def test_candidates_after_close_or_end_never_crash(harness_factory) -> None:
    h = harness_factory()
    await h.join("r", "a", tone=440)
    await h.plane.add_ice_candidate("r", "a", None, "0", 0)  # end of candidates on a connected session
    await h.plane.add_ice_candidate("r", "a", "", "0", 0)
    await h.plane.add_ice_candidate("r", "a", "candidate:1 1 udp 2130706431 192.0.2.2 9 typ host", "0", 0)
    await h.plane.close_session("r", "a")
    await h.plane.add_ice_candidate("r", "a", "candidate:1 1 udp 2130706431 192.0.2.2 9 typ host", "0", 0)
    assert "r" not in h.plane.rooms


async def test_rooms_are_isolated(harness_factory) -> None:
    h = harness_factory()
    a = await h.join("red", "listener", tone=None, at=(0, 0, 0), keep=True)
    await h.join("red", "talker", tone=440, at=(-2, 0, 0))
    b = await h.join("blue", "listener", tone=None, at=(0, 0, 0), keep=True)  # same participant id, other room
    await h.join("blue", "talker", tone=660, at=(2, 0, 0))
    await asyncio.sleep(0.6)
    a.recorder.clear()
    b.recorder.clear()
    await asyncio.sleep(1.5)
    red, blue = a.recorder.samples(), b.recorder.samples()
    assert max(band_db(red, 440)) - max(band_db(red, 660)) > 40
    assert max(band_db(blue, 660)) - max(band_db(blue, 440)) > 40
    assert sorted(h.plane.rooms) == ["blue", "red"] and h.plane.stats()["sessions"] == 4


async def test_a_plane_given_the_servers_lag_probe_reports_it_and_leaves_it_running() -> None:
    """One probe per event loop: the server's, which the plane reports but neither starts nor stops."""
    lag = LoopLagMonitor(interval=0.005)
    lag.start()
    plane = MediaPlane(MediaConfig(), loop_lag=lag)
    try:
        await asyncio.sleep(0.1)
        assert plane.stats()["event_loop_lag_ms"]["p50"] is not None
    finally:
        await plane.close()
    assert lag.running
    await lag.stop()


class Spurts:
    """Talk spurts: 0.5 s of a 440 Hz tone with 10 ms fades, then 0.7 s of digital silence."""

    PERIOD, TALK, FADE = 57600, 24000, 480

    def __init__(self) -> None:
        self.n = 0

    def next_frame(self) -> np.ndarray:
        idx = np.arange(self.n, self.n + 960)
        self.n += 960
        pos = idx % self.PERIOD
        envelope = np.clip(np.minimum(pos, self.TALK - pos) / self.FADE, 0.0, 1.0)
        return np.round(8000 * envelope * np.sin(2 * np.pi * 440 * idx / 48000)).astype(np.int16)


async def test_talk_spurts_through_dtx_both_ways_without_clicks_or_pumping(harness_factory) -> None:
    """The talker's bot sends DTX between spurts; the listener's mix is then silent and the plane
    sends it DTX too. Neither edge may click, and every spurt must sound the same."""
    h = harness_factory()
    me = await h.join("r", "me", tone=None, at=(10, 10, 0), keep=True)
    await h.join("r", "talker", tone=None, source=Spurts(), at=(8, 10, 0))
    await asyncio.sleep(6.5)
    room = h.plane.stats()["rooms_detail"]["r"]
    talker, listener = room["sessions"]["talker"], room["sessions"]["me"]
    assert talker["silent_ticks"] > 100 and talker["concealed"] <= 2  # DTX in: silence, not loss
    assert listener["encode_skipped"] > 100  # DTX out: the silent mix cost no encode
    assert me.recorder.gaps == 0 and me.recorder.dtx_gaps >= 3

    left = me.recorder.samples(5.0)[:, 0].astype(np.int32)
    steady_step = 2 * np.pi * 440 / 48000 * 8000 * distance_gain(np.array([2.0]), Acoustics())[0]
    assert np.abs(np.diff(left)).max() <= 1.3 * steady_step + 40  # no click at any edge
    # every spurt alike: the RMS of each one's middle within 1 dB of the others, and silence between
    frames = left[: left.size // 960 * 960].reshape(-1, 960)
    rms = np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1))
    loud = rms > 0.5 * rms.max()
    assert loud.sum() >= 60 and (~loud).sum() >= 80
    spurts = np.split(rms, np.flatnonzero(np.diff(loud.astype(int))) + 1)
    middles = [20 * np.log10(s[2:-2].mean()) for s in spurts if s.size > 10 and s.min() > 0.5 * rms.max()]
    assert len(middles) >= 3 and max(middles) - min(middles) < 1.0, middles
    assert rms[~loud].min() < 1.0  # the pauses are digital silence, not comfort noise or a tail


@pytest.mark.parametrize("direct", [True, False])
async def test_both_send_paths_deliver_and_keep_rtcp_sender_reports_true(harness_factory, direct: bool) -> None:
    """The room writes RTP to the socket itself (direct) or through aiortc's sender task; either way
    the listener hears every tick and the RTCP sender reports count what was really sent."""
    h = harness_factory(direct_send=direct)
    me = await h.join("r", "me", tone=None, at=(10, 10, 0))
    await h.join("r", "talker", tone=440, at=(8, 10, 0))
    await asyncio.sleep(3.5)  # RTCP sender reports come every 0.5-1.5 s
    session = h.plane.rooms["r"].sessions["me"]
    assert session.rtp_out is not None and session.rtp_out.direct is direct
    via_direct, via_aiortc = session.rtp_out.sent, session.track.sent
    assert (via_direct > 100 and via_aiortc == 0) if direct else (via_aiortc > 100 and via_direct == 0)
    assert me.recorder.frames >= 150 and me.recorder.gaps == 0
    stats = await me.transceiver.receiver.getStats()
    remote = [s for s in stats.values() if s.type == "remote-outbound-rtp"]
    assert remote and 0 < me.recorder.frames - remote[0].packetsSent <= 80  # the last report is <= 1.5 s old
