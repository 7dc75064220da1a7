"""TURN with short-lived credentials: a real coturn on 127.0.0.1 sharing a secret with the server;
a bot allowed only relay candidates joins, hears the room in stereo and is heard. With a wrong
secret or an expired credential it cannot connect, and says why."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from audiocheck import band_db
from serverproc import LOOPBACK, Server, start_server, stop_server
from turnserver import TURN_SECRET as SECRET
from turnserver import Coturn, coturn  # noqa: F401 - the fixture
from world import World

from bots import BotPeer, ToneSource
from rtc import turncredentials
from rtc.iceservers import IceServer


def _server(tmp_path_factory: pytest.TempPathFactory, coturn: Coturn, secret: str) -> Server:
    tmp = tmp_path_factory.mktemp("turn-hubbub")
    return start_server(tmp / "data", tmp / "server.log", "--turn-urls", coturn.url, "--turn-secret", secret)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, coturn: Coturn) -> Iterator[Server]:
    srv = _server(tmp_path_factory, coturn, SECRET)
    yield srv
    assert stop_server(srv) == 0, srv.log_text()[-4000:]
    assert SECRET not in srv.log_text()


async def test_relay_only_bot_hears_the_room_in_stereo_and_is_heard(server: Server, coturn: Coturn) -> None:
    world = World(server)
    try:
        talker = await world.bot(tone=440.0, at=(8.0, 10.0))  # host candidates on 127.0.0.1
        relayed = await world.bot(tone=660.0, at=(10.0, 10.0), relay_only=True)
        assert relayed.peer is not None and talker.peer is not None
        offer = relayed.peer.pc.localDescription.sdp
        kinds = {line.split()[7] for line in offer.splitlines() if line.startswith("a=candidate:")}
        assert kinds == {"relay"}, offer  # nothing but the TURN relay was offered
        pair = relayed.peer.transceiver.receiver.transport.transport._connection._nominated[1]
        assert pair.local_candidate.type == "relay"
        # the credential was minted for this user, from the shared secret, and expires in hours
        turn = [s for s in relayed.peer.ice_servers if s.urls[0].startswith("turn:")]
        assert turn and turn[0].username is not None
        expiry = turncredentials.expiry_of(turn[0].username)
        assert expiry is not None and 5 * 3600 < expiry - time.time() <= 6 * 3600
        assert turn[0].username.endswith(":" + relayed.user_id)

        relayed.peer.recorder.clear()
        talker.peer.recorder.clear()
        import asyncio

        await asyncio.sleep(3.0)
        left, right = band_db(relayed.peer.recorder.samples(last_s=2.0), 440.0)
        assert left - right >= 15, (left, right)  # the talker 2 m to its left, in stereo, through the relay
        heard_left, heard_right = band_db(talker.peer.recorder.samples(last_s=2.0), 660.0)
        assert heard_right - heard_left >= 15, (heard_left, heard_right)  # and it is heard, on the right
        assert relayed.peer.summary()["frames_received"] >= 100
        assert f"user <{turn[0].username}>" in coturn.log_text()  # coturn really relayed it
    finally:
        for bot in world.bots:
            await bot.close()


async def test_a_wrong_secret_fails_with_the_turn_servers_reason(
    tmp_path_factory: pytest.TempPathFactory, coturn: Coturn
) -> None:
    srv = _server(tmp_path_factory, coturn, "not-the-secret-coturn-knows")
    world = World(srv)
    try:
        with pytest.raises(ConnectionError) as failed:
            await world.bot(tone=440.0, at=(8.0, 10.0), relay_only=True)
        assert "TURN server" in str(failed.value) and "401" in str(failed.value), failed.value
        print("\nrelay-only bot with a wrong secret:", failed.value)
    finally:
        for bot in world.bots:
            await bot.close()
        assert stop_server(srv) == 0


async def test_an_expired_credential_fails_and_says_so(coturn: Coturn) -> None:
    username, credential = turncredentials.mint(SECRET, "late", 3600, now=time.time() - 7200)
    peer = BotPeer(ToneSource(440), ice_servers=(IceServer((coturn.url,), username, credential),),
                   ice_addresses=LOOPBACK, relay_only=True)
    try:
        with pytest.raises(ConnectionError) as failed:
            await peer.create_offer()
        message = str(failed.value)
        assert "expired" in message and "401" in message, message  # our diagnosis, and coturn's refusal
    finally:
        await peer.close()
