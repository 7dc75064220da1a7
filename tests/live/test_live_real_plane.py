"""The shipped wiring: with no test double configured, signaling drives the real sfu.MediaPlane
(an aiortc client offers over the WebSocket and gets a usable answer)."""

from __future__ import annotations

import asyncio

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from conftest import MakeLive

import sfu


async def test_offer_over_the_socket_reaches_the_real_media_plane(make_live: MakeLive) -> None:
    live = await make_live(media_factory=None)
    assert isinstance(live.hub.plane, sfu.MediaPlane)
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
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
