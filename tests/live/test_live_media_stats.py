"""Media figures in /health (`media` section: per room, per session without identities, event-loop
lag) and /metrics (`hubbub_media_*` labelled by room only), from the real app and the real
sfu.MediaPlane: first with nobody sending media, then with two connected bots sharing one API key."""

from __future__ import annotations

import asyncio
import json
import math
import re
from typing import Any

from live_support import Live, MakeLive
from serverproc import LOOPBACK

from bots import ToneSource
from bots.client import Bot, BotOptions

SAMPLE = re.compile(r'^(hubbub_media_\w+)(?:\{(.*)\})? (\S+)$')
ROOM_FIELDS = {"participants", "media_sessions", "connected", "frames_in_per_s", "frames_out_per_s", "concealed",
               "altered", "quality_level", "quality_raised", "capped_pairs", "ticks", "skipped_ticks",
               "tick_lateness_ms", "decode_ms", "mix_ms", "encode_ms", "sessions"}


def _metrics(text: str) -> dict[tuple[str, str], float]:
    """(name, label text) -> value for every hubbub_media_* sample."""
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m:
            out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


async def _scrape(live: Live) -> tuple[dict[str, Any], str]:
    health = await live.client.get("/health")
    metrics = await live.client.get("/metrics")
    assert health.status == 200 and metrics.status == 200
    return await health.json(), await metrics.text()


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


async def test_media_section_and_families_with_the_real_plane_and_no_media(make_live: MakeLive) -> None:
    live = await make_live(media_factory=None)
    alice, bob = await live.api.user("alice"), await live.api.user("bob")
    room = await live.api.room(alice, bob)
    await live.join(alice, room)
    await live.join(bob, room, device="phone")
    await asyncio.sleep(0.15)  # a few 50 ms lag probes
    health, text = await _scrape(live)
    media = health["media"]
    assert (media["live_rooms"], media["participants"], media["media_sessions"]) == (1, 2, 0)
    assert all(_is_number(media["event_loop_lag_ms"][k]) for k in ("p50", "p99", "max"))
    assert _is_number(media["process_cpu_percent"])
    detail = media["rooms"][room]
    assert set(detail) == ROOM_FIELDS
    assert (detail["participants"], detail["media_sessions"], detail["connected"], detail["concealed"]) == (2, 0, 0, 0)
    assert (detail["frames_in_per_s"], detail["frames_out_per_s"]) == (0.0, 0.0)
    assert detail["tick_lateness_ms"] == {"p50": None, "p99": None, "max": None}  # no clock without media
    assert detail["sessions"] == []
    samples = _metrics(text)
    label = f'room="{room}"'
    assert samples[("hubbub_media_rooms", "")] == 1
    assert samples[("hubbub_media_participants", label)] == 2
    assert samples[("hubbub_media_sessions_connected", label)] == 0
    assert samples[("hubbub_media_frames_in_per_second", label)] == 0
    assert samples[("hubbub_media_concealed_frames", label)] == 0
    assert all(_is_number(samples[("hubbub_media_event_loop_lag_seconds", f'quantile="{q}"')]) for q in ("0.5", "0.99"))
    assert "# TYPE hubbub_media_tick_lateness_seconds gauge" in text
    assert (("hubbub_media_tick_lateness_seconds", f'{label},quantile="0.5"')) not in samples  # no data: no sample
    # public endpoints: rooms are labels, people never are
    for who in (alice.id, bob.id, "phone"):
        assert who not in text and who not in json.dumps(health)


async def test_two_bots_on_one_key_show_up_as_live_media(make_live: MakeLive) -> None:
    live = await make_live({"ice_servers": ()}, media_factory=None)
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
    resp = await live.client.post("/api/me/api-keys", json={"name": "bots"}, headers=alice.auth)
    key = (await resp.json())["key"]
    server = str(live.client.make_url("")).rstrip("/")
    bots = [Bot(BotOptions(server=server, room=room, credential=key, name=f"bot-{i}", source=ToneSource(300.0 * i),
                           at=(8.0 + 4 * i, 10.0), connect_timeout=15.0, ice_addresses=LOOPBACK)) for i in (1, 2)]
    try:
        await asyncio.gather(*(b.start() for b in bots))
        assert sorted(b.user_id for b in bots) == [f"{alice.id}.bot-1", f"{alice.id}.bot-2"]
        detail: dict[str, Any] = {}
        for _ in range(60):  # rates are computed once a second by the room clock
            health, text = await _scrape(live)
            detail = health["media"]["rooms"].get(room, {})
            if detail.get("frames_in_per_s", 0) > 0 and detail.get("frames_out_per_s", 0) > 0 \
                    and all(s["frames_in_per_s"] > 0 for s in detail["sessions"]):
                break
            await asyncio.sleep(0.1)
        assert (detail["participants"], detail["media_sessions"], detail["connected"]) == (2, 2, 2)
        # two sources at 50 frames/s each; generous bounds for a loaded CI machine
        assert 40 <= detail["frames_in_per_s"] <= 130 and 40 <= detail["frames_out_per_s"] <= 130, detail
        assert detail["ticks"] > 0 and _is_number(detail["concealed"])
        assert detail["quality_level"] == 0 and detail["altered"] >= 0  # two talkers: no load to shed
        for window in ("tick_lateness_ms", "decode_ms", "mix_ms", "encode_ms"):
            assert all(_is_number(detail[window][k]) for k in ("p50", "p99", "max")), detail[window]
            assert 0 <= detail[window]["p50"] <= detail[window]["p99"] < 1000
        assert len(detail["sessions"]) == 2
        for s in detail["sessions"]:
            assert s["connection"] == "connected" and s["sends_audio"] is True and s["frames_in"] > 0
        samples = _metrics(text)
        label = f'room="{room}"'
        assert samples[("hubbub_media_participants", label)] == 2
        assert samples[("hubbub_media_sessions_connected", label)] == 2
        assert samples[("hubbub_media_frames_in_per_second", label)] > 0
        assert samples[("hubbub_media_quality_level", label)] == 0
        for family in ("hubbub_media_tick_lateness_seconds", "hubbub_media_decode_seconds", "hubbub_media_mix_seconds",
                       "hubbub_media_encode_seconds"):
            p50 = samples[(family, f'room="{room}",quantile="0.5"')]
            p99 = samples[(family, f'room="{room}",quantile="0.99"')]
            assert 0 <= p50 <= p99 < 1.0
        assert alice.id not in text
    finally:
        await asyncio.gather(*(b.close() for b in bots))


async def test_health_still_answers_when_the_plane_cannot_report(live: Live) -> None:
    def broken() -> dict[str, Any]:
        raise RuntimeError("stats bug")

    live.plane.stats = broken  # type: ignore[method-assign]
    health, text = await _scrape(live)
    assert health["status"] == "ok" and health["media"] == {"error": "media stats unavailable"}
    assert "hubbub_sessions" in text and "hubbub_media_" not in text
