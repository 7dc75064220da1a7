"""--udp-ports: every media socket binds inside the range; a server serves as many peers as the
range has ports (one per peer and ICE address) and refuses the next with `media_unavailable`."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from serverproc import LOOPBACK, Server, start_server, stop_server
from world import World

from bots.client import Bot, ProtocolError
from rtc.portpool import PortPool, PortRange, PortsExhausted

RANGE = PortRange(20000, 20002)  # below Linux's ephemeral ports: nothing else in the suite takes them


def test_pool_binds_inside_the_range_until_it_is_full() -> None:
    pool = PortPool(RANGE)
    sockets = [pool.bind("127.0.0.1") for _ in range(3)]
    try:
        assert sorted(s.getsockname()[1] for s in sockets) == [20000, 20001, 20002]
        assert pool.in_use() == 3
        with pytest.raises(PortsExhausted, match="20000-20002"):
            pool.bind("127.0.0.1")
        assert pool.exhausted == 1
        sockets.pop(1).close()  # 20001 comes free
        assert pool.in_use() == 2
        again = pool.bind("127.0.0.1")
        sockets.append(again)
        assert again.getsockname()[1] == 20001
    finally:
        for s in sockets:
            s.close()
    assert pool.in_use() == 0


def test_pool_skips_ports_held_by_others_and_starts_after_the_last_one() -> None:
    pool = PortPool(RANGE)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        other.bind(("127.0.0.1", 20000))
        first = pool.bind("127.0.0.1")
        assert first.getsockname()[1] == 20001
        first.close()
        second = pool.bind("127.0.0.1")  # not 20001 again: the search goes on from where it stopped
        assert second.getsockname()[1] == 20002
        second.close()


@pytest.fixture(scope="module")
def small_range_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("ports")
    srv = start_server(tmp / "data", tmp / "server.log", "--udp-ports", str(RANGE), "--log-level", "INFO")
    yield srv
    assert stop_server(srv) == 0, srv.log_text()[-4000:]


def _answer_ports(bot: Bot) -> list[int]:
    assert bot.peer is not None and bot.peer.pc.remoteDescription is not None
    return [int(line.split()[5]) for line in bot.peer.pc.remoteDescription.sdp.splitlines()
            if line.startswith("a=candidate:")]


def _metric(server: Server, name: str) -> float:
    with urllib.request.urlopen(f"{server.base}metrics", timeout=10) as resp:
        text = resp.read().decode()
    m = re.search(rf"^{name} (\S+)$", text, re.M)
    assert m, text
    return float(m.group(1))


async def test_a_full_range_refuses_the_next_peer_cleanly(small_range_server: Server, tmp_path: Path) -> None:
    world = World(small_range_server)
    try:
        bots = [await world.bot(tone=300.0 + 100 * i, at=(5.0 + 3 * i, 10.0)) for i in range(len(RANGE))]
        for bot in bots:
            assert _answer_ports(bot) and all(RANGE.first <= p <= RANGE.last for p in _answer_ports(bot))
        network = small_range_server.health()["media"]["network"]
        assert network["udp_ports"] == str(RANGE) and network["ice_addresses"] == list(LOOPBACK)
        assert network["udp_ports_in_use"] == len(RANGE)  # one socket per peer (one ICE address)

        with pytest.raises(ProtocolError) as refused:
            await world.bot(tone=900.0, at=(20.0, 10.0))
        assert refused.value.code == "media_unavailable" and "20000-20002" in str(refused.value)
        late = world.bots[-1]
        await late.say("still here")  # the refusal left the socket open and joined
        assert _metric(small_range_server, "hubbub_media_udp_ports_exhausted_total") == 1
        assert small_range_server.health()["media"]["network"]["udp_ports_exhausted"] == 1
        assert "no free UDP port in 20000-20002" in small_range_server.log_text()

        await bots[0].close()  # its port comes free: the next peer gets it
        for _ in range(50):
            if small_range_server.health()["media"]["network"]["udp_ports_in_use"] < len(RANGE):
                break
            await asyncio.sleep(0.1)
        retry = await world.bot(tone=900.0, at=(20.0, 10.0))
        assert _answer_ports(retry) == [RANGE.first]
        assert json.loads(json.dumps(retry.summary()))["errors"] == 0
    finally:
        for bot in world.bots:
            await bot.close()

