"""Fan-out measurement: N real WebSocket clients in one room, each moving at R Hz, against a real
`hubbub serve` process. Reports the server's CPU (from /proc) and how long a move takes to reach
the other members inside a `positions` batch (p50/p99).

    hubbub bench fanout [--clients 200] [--rate 20] [--duration 10] [--runs 3] [--json docs/bench/fanout.json]

Delay = time a member received the batch holding a position - time its owner sent that move, both
on the machine's monotonic clock. The clients run in `--procs` worker processes; observer clients
(a sample) parse every batch and time the moves of their own process's clients; the others just
read, so the measuring side does not become the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp

from rtc.looplagmonitor import LoopLagMonitor

from bench.serverprocess import Server, proc_cpu_seconds

SIGNUP_SECRET = "fanout-signup-secret"
PASSWORD = "fanout password 1"


@dataclass
class FanoutResult:
    """Figures of one run (what is printed and written as JSON)."""

    clients: int
    move_rate_hz: float
    duration_s: float
    moves_sent: int
    positions_messages_per_client_per_s: float
    mean_entries_per_batch: float
    mean_batch_bytes: float
    delay_samples: int
    delay_p50_ms: float
    delay_p90_ms: float
    delay_p99_ms: float
    delay_max_ms: float
    server_cpu_percent_of_one_core: float
    client_cpu_percent_of_one_core: float
    client_loop_lag_p99_ms: float  # the measuring processes' own scheduling delay (part of the figures)
    client_processes: int
    disconnected_clients: int
    errors_received: int
    target_p99_ms: float = 100.0

    @property
    def keeps_up(self) -> bool:
        """The issue's bar: p99 below 100 ms with every client still connected."""
        return self.delay_p99_ms < self.target_p99_ms and self.disconnected_clients == 0


async def _setup_room(http: aiohttp.ClientSession, base: str, n: int) -> tuple[str, list[tuple[str, str]]]:
    """Register n users, one room of n (host first), and log everyone in: (room id, [(user id, token)])."""
    sem = asyncio.Semaphore(16)

    async def user(i: int) -> tuple[str, str]:
        name = f"fan{i:04d}"
        async with sem:
            r = await http.post(f"{base}/api/auth/register",
                                json={"username": name, "password": PASSWORD, "signup_secret": SIGNUP_SECRET})
            assert r.status == 201, await r.text()
            r = await http.post(f"{base}/api/auth/login", json={"username": name, "password": PASSWORD})
            body = await r.json()
            return body["user"]["id"], body["access_token"]

    users = await asyncio.gather(*(user(i) for i in range(n)))
    host = {"Authorization": f"Bearer {users[0][1]}"}
    r = await http.post(f"{base}/api/rooms", json={"name": "fanout", "width": 20, "height": 20,
                                                 "max_participants": max(n, 2)}, headers=host)
    assert r.status == 201, await r.text()
    room_id: str = (await r.json())["room"]["id"]
    for i in range(1, n):
        async with sem:
            r = await http.post(f"{base}/api/rooms/{room_id}/members", json={"username": f"fan{i:04d}"},
                                headers=host)
            assert r.status == 201, await r.text()
    return room_id, list(users)


class _Stats:
    def __init__(self) -> None:
        self.sent: dict[tuple[str, float, float], float] = {}
        self.delays: list[float] = []
        self.batches = 0
        self.entries = 0
        self.batch_bytes = 0
        self.errors = 0
        self.disconnected = 0
        self.measuring = False
        self.moves = 0


async def _client(http: aiohttp.ClientSession, url: str, room_id: str, user_id: str, token: str, observer: bool,
                  rate: float, stats: _Stats, stop: asyncio.Event, ready: asyncio.Barrier) -> None:
    async with http.ws_connect(url, heartbeat=None, max_msg_size=0) as ws:
        await ws.send_str(json.dumps({"type": "auth", "token": token}))
        await ws.send_str(json.dumps({"type": "join", "room": room_id}))
        while True:
            msg = json.loads((await ws.receive()).data)
            if msg["type"] == "joined":
                break
            if msg["type"] == "error":
                raise RuntimeError(f"join failed: {msg}")
        await ready.wait()

        async def mover() -> None:
            rng = random.Random(user_id)
            period = 1.0 / rate
            next_at = time.monotonic() + rng.random() * period  # spread the clients over the period
            while not stop.is_set():
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                next_at += period
                x, y = round(rng.uniform(0.5, 19.5), 3), round(rng.uniform(0.5, 19.5), 3)
                stats.sent[(user_id, x, y)] = time.monotonic()
                if stats.measuring:
                    stats.moves += 1
                await ws.send_str(f'{{"type":"move","x":{x},"y":{y},"heading":{rng.randrange(360)}}}')

        task = asyncio.create_task(mover())
        try:
            while not stop.is_set():
                frame = await ws.receive()
                if frame.type is not aiohttp.WSMsgType.TEXT:
                    if not stop.is_set():
                        stats.disconnected += 1
                    return
                if not stats.measuring:
                    continue
                if observer:
                    now = time.monotonic()
                    msg = json.loads(frame.data)
                    if msg["type"] == "positions":
                        stats.batches += 1
                        stats.batch_bytes += len(frame.data)
                        stats.entries += len(msg["positions"])
                        sent = stats.sent
                        for p in msg["positions"]:
                            t = sent.get((p["id"], p["x"], p["y"]))
                            if t is not None and p["id"] != user_id:
                                stats.delays.append(now - t)
                    elif msg["type"] == "error":
                        stats.errors += 1
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000.0 if ordered else float("nan")


@dataclass(frozen=True)
class _Job:
    """What one client worker process drives: its share of the users, and who observes."""

    url: str
    room_id: str
    users: tuple[tuple[str, str, bool], ...]  # (user id, token, observer)
    rate: float


def _worker_main(job: _Job, pipe: Connection) -> None:
    """Entry point of a client worker process (spawned: a clean interpreter and event loop)."""
    asyncio.run(_worker(job, pipe))


async def _worker(job: _Job, pipe: Connection) -> None:
    loop = asyncio.get_running_loop()
    stats = _Stats()
    stop = asyncio.Event()
    ready = asyncio.Barrier(len(job.users) + 1)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        tasks = [asyncio.create_task(_client(http, job.url, job.room_id, uid, tok, observer, job.rate, stats,
                                             stop, ready))
                 for uid, tok, observer in job.users]
        await asyncio.wait_for(ready.wait(), 120)
        pipe.send("ready")
        t0, t1 = await loop.run_in_executor(None, pipe.recv)  # the window, on the shared monotonic clock
        # how late this process's loop wakes up: delay that is ours, not the server's
        lag = LoopLagMonitor(interval=0.01, window=int((t1 - t0) / 0.01) + 100)
        await asyncio.sleep(max(0.0, t0 - time.monotonic()))
        lag.start()
        stats.measuring, cpu0 = True, time.process_time()
        await asyncio.sleep(max(0.0, t1 - time.monotonic()))
        stats.measuring, cpu1 = False, time.process_time()
        await lag.stop()
        stop.set()
        await asyncio.wait(tasks, timeout=10)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    pipe.send({"delays": stats.delays, "batches": stats.batches, "entries": stats.entries,
               "batch_bytes": stats.batch_bytes, "errors": stats.errors, "disconnected": stats.disconnected,
               "moves": stats.moves, "loop_lags": lag.lag.values(), "cpu": cpu1 - cpu0})


async def run_fanout(base: str, server_pid: int, *, clients: int = 200, rate: float = 20.0,
                     duration: float = 10.0, warmup: float = 3.0, observers: int = 20,
                     procs: int = 2) -> FanoutResult:
    """Drive the running server at `base` from `procs` client processes and measure.

    Each process times the moves of its own clients as its observers receive them (the server
    treats every member alike, so this samples the same delay without sharing state)."""
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as http:
        room_id, users = await _setup_room(http, base, clients)
    every = max(1, clients // observers)
    tagged = [(uid, tok, i % every == 0) for i, (uid, tok) in enumerate(users)]
    url = base.replace("http://", "ws://") + "/ws"
    ctx = multiprocessing.get_context("spawn")
    workers = []
    for k in range(procs):
        mine, theirs = ctx.Pipe()
        job = _Job(url, room_id, tuple(tagged[k::procs]), rate)
        proc = ctx.Process(target=_worker_main, args=(job, theirs), daemon=True)
        proc.start()
        workers.append((proc, mine))

    def recv(pipe: Connection, timeout: float) -> Any:
        if not pipe.poll(timeout):
            raise TimeoutError("a client worker did not answer")
        return pipe.recv()

    try:
        for _, pipe in workers:
            assert await loop.run_in_executor(None, recv, pipe, 120.0) == "ready"
        t0 = time.monotonic() + warmup
        t1 = t0 + duration
        for _, pipe in workers:
            pipe.send((t0, t1))
        await asyncio.sleep(max(0.0, t0 - time.monotonic()))
        cpu0 = proc_cpu_seconds(server_pid)
        await asyncio.sleep(max(0.0, t1 - time.monotonic()))
        cpu1 = proc_cpu_seconds(server_pid)
        parts = [await loop.run_in_executor(None, recv, pipe, 60.0) for _, pipe in workers]
    finally:
        for proc, pipe in workers:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
            pipe.close()
    delays = [d for p in parts for d in p["delays"]]
    lags = [d for p in parts for d in p["loop_lags"]]
    batches = sum(p["batches"] for p in parts)
    elapsed = t1 - t0
    n_observers = sum(1 for _, _, observer in tagged if observer)
    return FanoutResult(
        clients=clients, move_rate_hz=rate, duration_s=round(elapsed, 2), moves_sent=sum(p["moves"] for p in parts),
        positions_messages_per_client_per_s=round(batches / n_observers / elapsed, 2),
        mean_entries_per_batch=round(sum(p["entries"] for p in parts) / max(1, batches), 1),
        mean_batch_bytes=round(sum(p["batch_bytes"] for p in parts) / max(1, batches)),
        delay_samples=len(delays),
        delay_p50_ms=round(_pct(delays, 0.50), 2), delay_p90_ms=round(_pct(delays, 0.90), 2),
        delay_p99_ms=round(_pct(delays, 0.99), 2), delay_max_ms=round(max(delays, default=float("nan")) * 1000, 2),
        server_cpu_percent_of_one_core=round(100 * (cpu1 - cpu0) / elapsed, 1),
        client_cpu_percent_of_one_core=round(100 * sum(p["cpu"] for p in parts) / elapsed, 1),
        client_loop_lag_p99_ms=round(_pct(lags, 0.99), 2),
        client_processes=procs,
        disconnected_clients=sum(p["disconnected"] for p in parts), errors_received=sum(p["errors"] for p in parts),
    )


async def measure(clients: int, rate: float, duration: float, warmup: float, procs: int = 2) -> FanoutResult:
    """Start a server process, measure, stop it."""
    with tempfile.TemporaryDirectory(prefix="hubbub-fanout-") as tmp:
        server = Server(Path(tmp) / "data", SIGNUP_SECRET)
        server.start()
        try:
            assert server.proc is not None
            return await run_fanout(server.base, server.proc.pid, clients=clients, rate=rate, duration=duration,
                                    warmup=warmup, procs=procs)
        finally:
            server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: print the figures; with --json, also write them (plus machine facts) to a file."""
    parser = argparse.ArgumentParser(prog="hubbub bench fanout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="moves per second per client")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--procs", type=int, default=2, help="client worker processes")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--runs", type=int, default=1,
                        help="repeat with a fresh server each time and report the median run (shared machines)")
    args = parser.parse_args(argv)
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    results = [asyncio.run(measure(args.clients, args.rate, args.duration, args.warmup, args.procs))
               for _ in range(args.runs)]
    ranked = sorted(results, key=lambda r: r.delay_p99_ms)
    result = ranked[len(ranked) // 2]
    report: dict[str, Any] = {**asdict(result), "keeps_up": result.keeps_up,
                              "runs": len(results),
                              "all_runs_p50_ms": [r.delay_p50_ms for r in results],
                              "all_runs_p99_ms": [r.delay_p99_ms for r in results],
                              "all_runs_server_cpu_percent": [r.server_cpu_percent_of_one_core for r in results],
                              "loadavg_before_run": load_before,
                              "nice": os.nice(0),  # a shared machine: run under `nice -n -10` to measure us, not them
                              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                          "platform": platform.platform()},
                              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    for key, value in report.items():
        print(f"{key:40} {value}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if result.keeps_up else 1


if __name__ == "__main__":
    raise SystemExit(main())
