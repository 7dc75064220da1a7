"""One load-generator process of the capacity benchmark: a handful of LightClients on one event loop.

Spawned by bench.capacity (a clean interpreter each), it talks to the parent over a Pipe:
``("connected", device)`` per client as it comes up, ``("ready",)`` once all are, then it waits for
the measuring window ``(t0, t1)`` on the machine's monotonic clock, answers with its figures
``("done", {...})`` and leaves the room when told (``"close"``); any failure is ``("failed", message)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from typing import Any

import aiohttp

from bench.framecount import count_frames
from bench.lightclient import LightClient, Seat
from bench.opusclip import Clip
from rtc.looplagmonitor import LoopLagMonitor

CONNECT_TIMEOUT = 30.0
CONNECTING_AT_ONCE = 3  # DTLS handshakes are CPU work on both sides: a few at a time
DTX_GRACE = 0.6  # s after the window: longer than a DTX interval (400-420 ms)


@dataclass(frozen=True)
class WorkerJob:
    """What one process drives."""

    ws_url: str
    api_key: str
    room: str
    seats: tuple[Seat, ...]
    clips: tuple[Clip, ...]
    dtx: bool


def worker_main(job: WorkerJob, pipe: Connection) -> None:
    """Entry point of a spawned worker process."""
    try:
        asyncio.run(_work(job, pipe))
    except EOFError:  # the parent hung up: it has what it needs, or gave up
        pass
    except Exception as exc:  # the parent reports it and stops the run
        with contextlib.suppress(OSError):
            pipe.send(("failed", f"{type(exc).__name__}: {exc}"))


def _ms(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


async def _work(job: WorkerJob, pipe: Connection) -> None:
    loop = asyncio.get_running_loop()
    clips = {clip.name: clip for clip in job.clips}
    clients = [LightClient(seat, clips[seat.clip], ws_url=job.ws_url, api_key=job.api_key, room=job.room,
                           dtx=job.dtx) for seat in job.seats]
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        async def bring_up(client: LightClient) -> None:
            async with gate:
                await client.connect(http, CONNECT_TIMEOUT)
            pipe.send(("connected", client.seat.device))

        try:
            await asyncio.gather(*(bring_up(c) for c in clients))
            pipe.send(("ready",))
            t0, t1 = await loop.run_in_executor(None, pipe.recv)
            lag = LoopLagMonitor(interval=0.01, window=int((t1 - t0) / 0.01) + 100)
            lateness: list[float] = []
            await asyncio.sleep(max(0.0, t0 - time.monotonic()))
            lag.start()
            for c in clients:
                c.track.lateness = lateness
            skipped0 = sum(c.track.skipped_frames for c in clients)
            cpu0 = time.process_time()
            await asyncio.sleep(max(0.0, t1 - time.monotonic()))
            cpu1 = time.process_time()
            for c in clients:
                c.track.lateness = None
            await lag.stop()
            await asyncio.sleep(DTX_GRACE)  # a DTX gap open at t1 is closed by the packet after it
            listeners = {c.seat.device: asdict(count_frames(c.tap.arrivals, t0, t1)) for c in clients}
            lags = lag.lag.values()
            pipe.send(("done", {
                "listeners": listeners,
                "cpu_seconds": cpu1 - cpu0,
                "send_lateness_ms": {"p50": _ms(lateness, 0.5), "p99": _ms(lateness, 0.99),
                                     "max": _ms(lateness, 1.0)},
                "loop_lag_ms": {"p50": _ms(lags, 0.5), "p99": _ms(lags, 0.99)},
                "skipped_frames": sum(c.track.skipped_frames for c in clients) - skipped0,
                "sockets_closed": sum(c.socket_closed for c in clients),
            }))
            await loop.run_in_executor(None, pipe.recv)  # stay in the room until the parent has read /health
        finally:
            await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


def summary_of(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The load generator's own figures over all processes (how far it is from being the bottleneck)."""
    def worst(key: str, q: str) -> float | None:
        values = [p[key][q] for p in parts if p[key][q] is not None]
        return max(values) if values else None

    return {"processes": len(parts), "cpu_seconds": round(sum(p["cpu_seconds"] for p in parts), 2),
            "send_lateness_p99_ms": worst("send_lateness_ms", "p99"),
            "send_lateness_max_ms": worst("send_lateness_ms", "max"),
            "loop_lag_p99_ms": worst("loop_lag_ms", "p99"),
            "skipped_frames": sum(p["skipped_frames"] for p in parts),
            "sockets_closed": sum(p["sockets_closed"] for p in parts)}
