"""The fuzz suite's real server (its size is in fuzzsize.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from serverproc import Server, start_server, stop_server


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real `hubbub serve` on 127.0.0.1 for a fuzz module, with quotas that let a single
    fuzzing account keep creating rooms (the rate limits themselves stay on)."""
    base = tmp_path_factory.mktemp("fuzz")
    server = start_server(base / "data", base / "server.log", "--room-daily-limit", "1000000")
    yield server
    assert server.process.poll() is None, "the server died under fuzzing:\n" + server.log_text()[-5000:]
    assert server.health()["status"] == "ok"
    stop_server(server)

