"""The shipped wiring: with no test double configured, signaling drives the real sfu.MediaPlane
(an aiortc client offers over the WebSocket and gets a usable answer; the room's acoustics reach
its mixer, also when the host changes them)."""

from __future__ import annotations

import asyncio

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from live_support import MakeLive

import sfu
from mixer import Acoustics


async def test_offer_over_the_socket_reaches_the_real_media_plane(make_live: MakeLive) -> None:
    live = await make_live(media_factory=None)
    assert isinstance(live.hub.plane, sfu.MediaPlane)
    alice = await live.api.user("alice")
    room = await live.api.room(alice, acoustics={"distance_model": "exponential"})
    a, _ = await live.join(alice, room)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("audio", direction="sendrecv")
        await pc.setLocalDescription(await pc.createOffer())
        await a.send(type="offer", sdp=pc.localDescription.sdp, id="o")
        answer = await a.expect("answer", timeout=15)
        assert answer["sdp"].startswith("v=0") and "opus" in answer["sdp"].lower()
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        assert live.hub.plane.stats()["sessions"] == 1
        await a.expect("ice")
        mixer = live.hub.plane.rooms[room].mixer
        assert mixer.acoustics.distance_model == "exponential"  # type: ignore[attr-defined]
        resp = await live.client.patch(f"/api/rooms/{room}", json={"acoustics": {"rolloff": 3}}, headers=alice.auth)
        assert resp.status == 200
        assert (await a.expect("room_updated"))["room"]["acoustics"]["rolloff"] == 3.0
        for _ in range(100):  # applied at the next tick (or at once while the clock is stopped)
            if mixer.acoustics.rolloff == 3.0:  # type: ignore[attr-defined]
                break
            await asyncio.sleep(0.02)
        assert mixer.acoustics == Acoustics(distance_model="exponential", rolloff=3.0)  # type: ignore[attr-defined]
        await a.send(type="ice", candidate=None)
        await a.send(type="offer", sdp="not sdp", id="bad")
        err = await a.expect("error")
        assert (err["code"], err["id"]) == ("media_error", "bad")
        await a.send(type="leave")
        await a.expect("left")
        for _ in range(100):
            if live.hub.plane.stats()["sessions"] == 0:
                break
            await asyncio.sleep(0.02)
        assert live.hub.plane.stats()["sessions"] == 0
    finally:
        await pc.close()
