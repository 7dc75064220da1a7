"""A live room: its mixer, its sessions and the one clock task that drives them every 20 ms.

Each tick (absolute deadlines from TickSchedule) the clock, on the event loop, takes the
pending control operations (sfu.mixerops: pose/mute/preference changes queued since the last
tick) and the lists of sources and listeners; then ONE job in the plane's worker pool takes one
frame per source from its PacketBuffer (decoding, or concealing a loss, with libopus; a silent
source costs nothing), applies those operations, mixes (the compiled kernels drop the GIL) and
Opus-encodes every connected listener's output (a silent mix is not encoded); back on the loop
the packets go to the listeners' MixTracks and the speaking levels to signaling. Only the worker touches the
mixer and the encoders, and a room never has two jobs in flight, so no locks are needed.
The clock runs only while at least one session is connected; while it is stopped, control
operations are applied to the mixer directly on the loop (no job can be in flight then).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rtc import libopus
from rtc.audioformat import FRAME_SECONDS
from rtc.ownedtask import cancel_and_wait
from rtc.rollingstats import RollingStats

from .mediaconfig import MediaConfig
from .mixerops import MixerLike, MixerOp, RemoveParticipant, apply
from .overload import OverloadControl
from .session import Session
from .sessionclosed import SessionClosed
from .tickschedule import TickSchedule

logger = logging.getLogger(__name__)

TICK = FRAME_SECONDS  # one frame per tick
STATS_EVERY = 50  # ticks: rates and the silent-peer check once a second


ActivitySink = Callable[[str, dict[str, Any]], None]


@dataclass
class TickOutput:
    """What one worker job hands back to the loop."""

    packets: list[tuple[Session, bytes]] = field(default_factory=list)
    activity: dict[str, Any] = field(default_factory=dict)
    decode_s: float = 0.0
    decode_cpu_s: float = 0.0
    mix_s: float = 0.0
    encode_s: float = 0.0
    mix_cpu_s: float = 0.0  # worker-thread CPU time: immune to other load on a shared machine
    encode_cpu_s: float = 0.0
    capped: int = 0
    errors: int = 0


class Room:
    """Sessions, mixer and clock of one room_id."""

    def __init__(
        self,
        room_id: str,
        config: MediaConfig,
        mixer: MixerLike,
        executor: Executor,
        *,
        on_activity: ActivitySink | None,
    ) -> None:
        self.room_id = room_id
        self.config = config
        self.mixer = mixer
        self.sessions: dict[str, Session] = {}
        self._executor = executor
        self._on_activity = on_activity
        self._ops: list[MixerOp] = []
        self._task: asyncio.Task[None] | None = None
        self.ticks = 0  # ticks started (a control op queued now is applied by tick ticks+1)
        self.skipped = 0
        self.errors = 0
        self.lateness = RollingStats(500)
        self.decode_time = RollingStats(500)
        self.decode_cpu = RollingStats(500)
        self.mix_time = RollingStats(500)
        self.encode_time = RollingStats(500)
        self.mix_cpu = RollingStats(500)
        self.encode_cpu = RollingStats(500)
        self.loop_time = RollingStats(500)  # event-loop time spent per tick (gather + hand-off)
        self.overload = OverloadControl()
        self.capped = 0  # (listener, source) pairs left out under load, summed over ticks
        self._last_lateness = 0.0
        self._rates: dict[str, tuple[float, float]] = {}
        self._prev: dict[str, tuple[int, int]] = {}
        self._prev_at = 0.0

    @property
    def running(self) -> bool:
        """True while the clock task is alive."""
        return self._task is not None and not self._task.done()

    def queue(self, op: MixerOp) -> None:
        """Apply ``op`` to the mixer at the next tick's job, or right now if the clock is stopped."""
        if self.running:
            self._ops.append(op)
        else:
            self._apply([op])

    def add(self, session: Session, ops: list[MixerOp]) -> None:
        """Add a session and its mixer slot (plus its remembered settings)."""
        self.sessions[session.participant_id] = session
        for op in ops:
            self.queue(op)
        self.wake()

    def wake(self) -> None:
        """Start the clock if someone is connected (called when a session connects)."""
        if not self.running and any(s.connected for s in self.sessions.values()):
            self._apply(self._ops)
            self._ops = []
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"hubbub-clock-{self.room_id}")

    def _apply(self, ops: list[MixerOp]) -> None:
        """On the loop, while no job can be in flight (the clock is stopped)."""
        self.errors += _apply_all(self.room_id, self.mixer, ops)

    def remove(self, session: Session) -> None:
        """Drop a session and free its mixer slot (no-op if a newer session took the id)."""
        pid = session.participant_id
        if self.sessions.get(pid) is session:
            del self.sessions[pid]
            self._rates.pop(pid, None)
            self._prev.pop(pid, None)
            self.queue(RemoveParticipant(pid))

    async def stop(self) -> None:
        """Stop the clock (idempotent); sessions are closed by the plane."""
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        schedule = TickSchedule(loop.time(), period=TICK, max_late=self.config.max_late_ticks)
        self._prev_at = loop.time()
        started = -math.inf
        try:
            while any(s.connected for s in self.sessions.values()):
                delay = schedule.wake_at(started) - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                started = loop.time()
                self._last_lateness = max(0.0, started - schedule.deadline)
                self.lateness.add(self._last_lateness)
                await self._tick(loop, schedule.index)
                schedule.advance(loop.time())
                self.skipped = schedule.skipped
        except asyncio.CancelledError:
            return
        self._task = None
        self._apply(self._ops)  # stopped because nobody is connected: no job in flight now
        self._ops = []

    async def _tick(self, loop: asyncio.AbstractEventLoop, index: int) -> None:
        started = time.perf_counter()
        sources = [s for s in self.sessions.values() if s.client_sends_audio]
        listeners = [s for s in self.sessions.values() if s.connected]
        for session in listeners:
            session.advance_clock(index)
        ops, self._ops = self._ops, []
        self.ticks += 1
        gathered = time.perf_counter()
        out = await loop.run_in_executor(self._executor, self._work, ops, sources, listeners, self._last_lateness)
        returned = time.perf_counter()
        for session, payload in out.packets:  # one pass straight to the sockets, no task per packet
            if not session.closing and session.rtp_out is not None:
                session.rtp_out.send(payload, session.out_pts)
        self.errors += out.errors
        self.capped += out.capped
        self.decode_time.add(out.decode_s)
        self.decode_cpu.add(out.decode_cpu_s)
        self.mix_time.add(out.mix_s)
        self.encode_time.add(out.encode_s)
        self.mix_cpu.add(out.mix_cpu_s)
        self.encode_cpu.add(out.encode_cpu_s)
        if self._on_activity is not None and out.activity:
            try:
                self._on_activity(self.room_id, out.activity)
            except Exception:
                logger.exception("on_activity callback failed for room %s", self.room_id)
        if self.ticks % STATS_EVERY == 0:
            self._once_a_second(loop.time())
        self.loop_time.add((gathered - started) + (time.perf_counter() - returned))

    def _work(self, ops: list[MixerOp], sources: list[Session], listeners: list[Session], lateness: float
              ) -> TickOutput:
        """Worker thread: sources' frames, control ops, mix, encode, quality under load. Never touches
        asyncio objects."""
        out = TickOutput()
        frames: dict[str, np.ndarray] = {}
        td, cd = time.perf_counter(), time.thread_time()
        for session in sources:
            frame = session.buffer.pop()
            if frame is not None:
                frames[session.participant_id] = frame
        out.errors += _apply_all(self.room_id, self.mixer, ops)
        t0, c0 = time.perf_counter(), time.thread_time()
        out.decode_s, out.decode_cpu_s = t0 - td, c0 - cd
        try:
            result = self.mixer.mix(frames)
        except Exception:
            out.errors += 1
            logger.exception("room %s: mix failed", self.room_id)
            return out
        t1, c1 = time.perf_counter(), time.thread_time()
        outputs = result.outputs
        out.capped = int(getattr(result, "capped", 0))
        complexity = self.overload.quality.complexity
        if complexity is None:
            complexity = self.config.opus_complexity
        for session in listeners:
            session.encoder.set_complexity(complexity)
            try:
                payload = session.encoder.encode(outputs.get(session.participant_id))
            except (libopus.OpusError, ValueError) as exc:
                out.errors += 1
                logger.warning("room %s: encode failed for %s: %r", self.room_id, session.participant_id, exc)
                continue
            if payload is not None:
                out.packets.append((session, payload))
        out.mix_s, out.mix_cpu_s = t1 - t0, c1 - c0
        done = time.perf_counter()
        out.encode_s, out.encode_cpu_s = done - t1, time.thread_time() - c1
        out.activity = dict(result.activity)
        if self.overload.update(done - td, lateness):
            self._set_quality()
        return out

    def _set_quality(self) -> None:
        """Worker thread (the only one touching the mixer): apply the overload level's source cap."""
        quality = self.overload.quality
        cap = quality.max_sources if quality.max_sources is not None else self.config.max_sources
        self.mixer.max_sources = cap
        complexity = self.config.opus_complexity if quality.complexity is None else quality.complexity
        logger.info("room %s: quality level %d (sources per listener %s, Opus complexity %d)", self.room_id,
                    self.overload.level, "all" if cap is None else cap, complexity)

    def _once_a_second(self, now: float) -> None:
        elapsed = max(now - self._prev_at, 1e-6)
        self._prev_at = now
        for pid, session in self.sessions.items():
            frames_in, frames_out = session.frames_in, session.ticks_out
            prev_in, prev_out = self._prev.get(pid, (frames_in, frames_out))
            self._prev[pid] = (frames_in, frames_out)
            self._rates[pid] = ((frames_in - prev_in) / elapsed, (frames_out - prev_out) / elapsed)
            if session.is_silent(now, self.config.silent_peer_timeout):
                session.report(SessionClosed.SILENT_PEER)

    def stats(self, now: float) -> dict[str, Any]:
        """JSON-able figures for /metrics and /health."""
        sessions: dict[str, Any] = {}
        for pid, session in self.sessions.items():
            entry = session.stats(now)
            rate_in, rate_out = self._rates.get(pid, (0.0, 0.0))
            entry["frames_in_per_s"] = round(rate_in, 2)
            entry["frames_out_per_s"] = round(rate_out, 2)
            sessions[pid] = entry
        return {
            "participants": len(self.sessions),
            "connected": sum(1 for s in self.sessions.values() if s.connected),
            "clock_running": self.running,
            "ticks": self.ticks,
            "skipped_ticks": self.skipped,
            "errors": self.errors,
            "frames_in_per_s": round(sum(r[0] for r in self._rates.values()), 2),
            "frames_out_per_s": round(sum(r[1] for r in self._rates.values()), 2),
            "quality_level": self.overload.level,
            "quality_raised": self.overload.raised,
            "capped_pairs": self.capped,
            "concealed": sum(s.buffer.concealed for s in self.sessions.values()),
            "altered": sum(s.buffer.altered for s in self.sessions.values()),
            "decode_ms": self.decode_time.summary(1000),
            "decode_cpu_ms": self.decode_cpu.summary(1000),
            "tick_lateness_ms": self.lateness.summary(1000),
            "mix_ms": self.mix_time.summary(1000),
            "encode_ms": self.encode_time.summary(1000),
            "mix_cpu_ms": self.mix_cpu.summary(1000),
            "encode_cpu_ms": self.encode_cpu.summary(1000),
            "loop_ms_per_tick": self.loop_time.summary(1000),
            "sessions": sessions,
        }


def _apply_all(room_id: str, mixer: MixerLike, ops: Iterable[MixerOp]) -> int:
    """Apply ops in order; one the mixer rejects is logged and counted, and the rest still apply."""
    errors = 0
    for op in ops:
        try:
            apply(mixer, op)
        except (KeyError, ValueError) as exc:
            errors += 1
            logger.warning("room %s: mixer rejected an update: %r", room_id, exc)
    return errors
