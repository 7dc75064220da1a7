"""End-to-end fixtures: a real `hubbub serve` process, accounts made over REST, and bots that
join over the public WebSocket protocol and talk real WebRTC/Opus over the machine's interface."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from world import MakeWorld, World
from serverproc import Server, start_server, stop_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("e2e")
    srv = start_server(tmp / "data", tmp / "server.log")
    yield srv
    assert stop_server(srv) == 0, srv.log_text()[-4000:]
    assert "Traceback" not in srv.log_text(), srv.log_text()[-4000:]


@pytest.fixture
async def world(server: Server) -> AsyncIterator[MakeWorld]:
    made: list[World] = []

    def make(**kwargs: Any) -> World:
        w = World(server, **kwargs)
        made.append(w)
        return w

    yield make
    for w in made:
        for b in w.bots:
            await b.close()
