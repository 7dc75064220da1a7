"""bcrypt and SQLite work must not block the event loop the media path shares."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from api_support import PASSWORD, Api

from web.keys import AUTH, STORE


async def _lags(stop: asyncio.Event, interval: float = 0.002) -> list[float]:
    """How late each 2 ms sleep woke up, worst first."""
    lags = []
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(interval)
        lags.append(time.perf_counter() - start - interval)
    return sorted(lags, reverse=True)


async def test_twenty_concurrent_logins_keep_loop_lag_low(make_client: Any) -> None:
    # Cost 10: each hash is tens of ms, so hashing on the loop would show up as a lag far over the bound.
    client = await make_client(bcrypt_cost=10, bcrypt_queue=64)  # all 20 queue, none is shed
    api = Api(client)
    users = [f"user{i:02d}" for i in range(20)]
    store, auth = client.app[STORE], client.app[AUTH]  # type: ignore[index]
    password_hash = await auth.hasher.hash(PASSWORD)  # one real cost-10 hash shared by all 20 users
    for username in users:
        await store.users.create(username, password_hash)

    async def login(username: str) -> None:
        resp = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        assert resp.status == 200

    async def chat(i: int) -> None:
        alice = await api.login("user00")
        room = await api.room(alice, name=f"r{i}")
        for n in range(10):  # REST chat allows a burst of 10 per user
            resp = await client.post(f"/api/rooms/{room['id']}/messages", json={"text": f"m{n}"}, headers=alice.auth)
            assert resp.status == 201

    stop = asyncio.Event()
    monitor = asyncio.create_task(_lags(stop))
    await asyncio.sleep(0.05)
    start = time.perf_counter()
    await asyncio.gather(*(login(u) for u in users), chat(0))
    elapsed = time.perf_counter() - start
    stop.set()
    lags = await monitor
    assert elapsed > 0.1  # the work was real (20 bcrypt checks at cost 10)
    # bcrypt on the loop would stall it 20 times for a whole hash (60-120 ms each here). The
    # 10th-worst lag ignores the scheduler hiccups of a loaded, shared 2-core machine.
    assert lags[9] < 0.050, f"event loop blocked: worst lags {[round(x * 1000, 1) for x in lags[:12]]} ms"
