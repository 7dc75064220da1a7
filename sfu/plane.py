"""MediaPlane: the narrow interface signaling uses to drive rooms' media (never imports web/).

Signaling calls open_session with a client's offer and gets the answer, forwards trickled
candidates, and sends pose/mute/preference updates (which may arrive before the offer: the
plane remembers the latest per (room, participant) and applies them when the session opens,
and forgets them on close_session). When the plane ends a session itself (replaced, ICE
failed, silent peer, peer hung up, shutdown) it tells signaling through ``on_closed``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from aiortc.exceptions import InvalidStateError
from aiortc.sdp import candidate_from_sdp

from rtc import audiolevel
from rtc.icegathering import IceGathering
from rtc.looplagmonitor import LoopLagMonitor

from .mediaconfig import MediaConfig
from .mediaerror import MediaError
from .offercheck import check_offer
from .mixerops import (
    AddParticipant,
    MixerLike,
    MixerOp,
    RemoveParticipant,
    SetAcoustics,
    SetMuted,
    SetPose,
    SetPreference,
)
from .room import Room
from .session import Session
from .sessionclosed import SessionClosed

if TYPE_CHECKING:
    from mixer import Acoustics, Activity

logger = logging.getLogger(__name__)

ActivityCallback = Callable[[str, "dict[str, Activity]"], None]
ClosedCallback = Callable[[str, str, SessionClosed], None]
MixerFactory = Callable[["Acoustics | None", "int | None"], MixerLike]

MAX_ID_LENGTH = 200


def default_mixer_factory(acoustics: Acoustics | None, max_sources: int | None) -> MixerLike:
    """The real spatial mixer (imported lazily: sfu depends on mixer, never the reverse)."""
    from mixer import Mixer

    return Mixer(acoustics, max_sources=max_sources)


@dataclass
class _Remembered:
    """Latest settings signaling gave for one participant, applied when its session opens."""

    pose: tuple[float, float, float] | None = None
    muted: bool | None = None
    preferences: dict[str, tuple[bool | None, float | None]] = field(default_factory=dict)


class MediaPlane:
    """All rooms' media in this process: sessions, mixers, clocks and a worker pool."""

    def __init__(
        self,
        config: MediaConfig,
        *,
        on_activity: ActivityCallback | None = None,
        on_closed: ClosedCallback | None = None,
        mixer_factory: MixerFactory | None = None,
        loop_lag: LoopLagMonitor | None = None,
    ) -> None:
        """``loop_lag``: the process's event-loop lag probe if its owner runs one (one probe per loop is
        enough; the plane then only reports it); without one the plane runs its own while it has sessions."""
        self.config = config
        self._on_activity = on_activity
        self._on_closed = on_closed
        if mixer_factory is None:
            import mixer  # noqa: F401  (numba & co. take ~0.8 s to import: never on a join's path)

            mixer_factory = default_mixer_factory
        self._mixer_factory = mixer_factory
        self._rooms: dict[str, Room] = {}
        self._remembered: dict[tuple[str, str], _Remembered] = {}
        self._acoustics: dict[str, Acoustics] = {}
        self._closing_tasks: set[asyncio.Task[None]] = set()
        self._executor: ThreadPoolExecutor | None = None
        self._gathering = IceGathering(config.gathering)
        self._own_lag = loop_lag is None
        self._lag = loop_lag if loop_lag is not None else LoopLagMonitor(config.loop_lag_interval)
        self._closed = False
        self._started_at = time.monotonic()
        self._cpu_at = (time.monotonic(), time.process_time())
        audiolevel.install()

    # ---- sessions -------------------------------------------------------------------------

    async def open_session(
        self,
        room_id: str,
        participant_id: str,
        offer_sdp: str,
        *,
        x: float,
        y: float,
        heading: float,
        acoustics: Acoustics | None = None,
    ) -> str:
        """Answer a participant's offer; a previous session of the same participant is REPLACED."""
        if self._closed:
            raise MediaError("the media plane is closed")
        _check_id(room_id, "room_id")
        _check_id(participant_id, "participant_id")
        pose = _check_pose(x, y, heading)
        info = check_offer(offer_sdp)
        old_room = self._rooms.get(room_id)
        old = old_room.sessions.get(participant_id) if old_room else None
        if old is not None:
            await self._close(old, SessionClosed.REPLACED, notify=True)
        remembered = self._remembered.setdefault((room_id, participant_id), _Remembered())
        remembered.pose = pose
        if acoustics is not None:
            self._acoustics[room_id] = acoustics
        room = self._room(room_id, acoustics)
        session = Session(
            room_id, participant_id, self.config, self._gathering, on_ended=self._session_ended, on_connected=self._session_connected
        )
        room.add(session, self._ops_for(room, participant_id))
        if self._own_lag:
            self._lag.start()
        try:
            answer = await session.negotiate(offer_sdp, info)
        except BaseException:
            await self._close(session, SessionClosed.LEFT, notify=False)
            raise
        if session.closing:  # replaced or shut down while negotiating
            raise MediaError("the session was closed while negotiating")
        return answer

    async def add_ice_candidate(
        self, room_id: str, participant_id: str, candidate: str | None, sdp_mid: str | None, sdp_mline_index: int | None
    ) -> None:
        """Add a trickled remote candidate (None or "" = end of candidates); unknown sessions are ignored."""
        session = self._session(room_id, participant_id)
        if session is None or session.closing:
            logger.debug("candidate for unknown session %s/%s ignored", room_id, participant_id)
            return
        if candidate is None or candidate == "":
            try:
                await session.pc.addIceCandidate(None)  # end of candidates
            except (ValueError, KeyError, ConnectionError, InvalidStateError) as exc:
                logger.debug("end-of-candidates for %s/%s ignored: %r", room_id, participant_id, exc)
            return
        if not isinstance(candidate, str) or len(candidate) > 1024:
            raise MediaError("candidate must be a string of at most 1024 characters")
        text = candidate[len("candidate:"):] if candidate.startswith("candidate:") else candidate
        try:
            parsed = candidate_from_sdp(text)
        except (ValueError, IndexError, KeyError, TypeError, AssertionError) as exc:  # aiortc asserts the field count
            raise MediaError(f"malformed ICE candidate: {candidate!r}") from exc
        if sdp_mid is not None and not isinstance(sdp_mid, str):
            raise MediaError("sdpMid must be a string or None")
        if sdp_mline_index is not None and (not isinstance(sdp_mline_index, int) or sdp_mline_index < 0):
            raise MediaError("sdpMLineIndex must be a non-negative integer or None")
        parsed.sdpMid = sdp_mid
        parsed.sdpMLineIndex = sdp_mline_index if sdp_mline_index is not None else (0 if sdp_mid is None else None)
        try:
            await session.pc.addIceCandidate(parsed)
        except (ValueError, KeyError, ConnectionError, InvalidStateError) as exc:
            raise MediaError(f"cannot use ICE candidate: {exc!r}") from exc

    async def close_session(self, room_id: str, participant_id: str) -> None:
        """Signaling says the participant left: tear the session down and forget its settings."""
        self._remembered.pop((room_id, participant_id), None)
        session = self._session(room_id, participant_id)
        if session is not None:
            await self._close(session, SessionClosed.LEFT, notify=False)

    async def close(self) -> None:
        """Close every session (on_closed with SHUTDOWN), clocks, workers and the lag probe."""
        if self._closed:
            return
        self._closed = True
        sessions = [s for room in self._rooms.values() for s in room.sessions.values()]
        await asyncio.gather(*(self._close(s, SessionClosed.SHUTDOWN, notify=True) for s in sessions))
        while self._closing_tasks:
            await asyncio.gather(*list(self._closing_tasks), return_exceptions=True)
        for room in list(self._rooms.values()):
            await room.stop()
        self._rooms.clear()
        if self._own_lag:
            await self._lag.stop()
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.get_running_loop().run_in_executor(None, executor.shutdown, True)

    @property
    def rooms(self) -> Mapping[str, Room]:
        """Live rooms by id (read-only view, for stats pages and tests)."""
        return MappingProxyType(self._rooms)

    # ---- control updates (never raise for unknown sessions) ---------------------------------

    def set_pose(self, room_id: str, participant_id: str, x: float, y: float, heading: float) -> None:
        """New position/heading; reaches the mix at the next tick."""
        pose = _check_pose(x, y, heading)
        self._remembered.setdefault((room_id, participant_id), _Remembered()).pose = pose
        self._apply(room_id, participant_id, SetPose(participant_id, *pose))

    def set_muted(self, room_id: str, participant_id: str, muted: bool) -> None:
        """Mute/unmute a participant's voice for everyone."""
        muted = bool(muted)
        self._remembered.setdefault((room_id, participant_id), _Remembered()).muted = muted
        self._apply(room_id, participant_id, SetMuted(participant_id, muted))

    def set_preference(
        self, room_id: str, listener_id: str, source_id: str, *, muted: bool | None = None, gain: float | None = None
    ) -> None:
        """Per-listener mute/gain of one source (applied when both are in the mixer)."""
        if gain is not None and not (isinstance(gain, (int, float)) and 0.0 <= gain <= 4.0):
            raise MediaError("gain must be a number in 0..4")
        remembered = self._remembered.setdefault((room_id, listener_id), _Remembered())
        old_muted, old_gain = remembered.preferences.get(source_id, (None, None))
        remembered.preferences[source_id] = (
            old_muted if muted is None else bool(muted),
            old_gain if gain is None else float(gain),
        )
        room = self._rooms.get(room_id)
        if room is not None and listener_id in room.sessions and source_id in room.sessions:
            room.queue(SetPreference(listener_id, source_id, muted, gain))

    def set_acoustics(self, room_id: str, acoustics: Acoustics) -> None:
        """Change a room's distance model etc. (also remembered for the room's next mixer)."""
        self._acoustics[room_id] = acoustics
        room = self._rooms.get(room_id)
        if room is not None:
            room.queue(SetAcoustics(acoustics))

    # ---- stats ----------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """JSON-able figures for /metrics and /health."""
        loop_now = time.monotonic()  # the clock asyncio's loop.time() uses
        mono, cpu = time.monotonic(), time.process_time()
        prev_mono, prev_cpu = self._cpu_at
        self._cpu_at = (mono, cpu)
        sessions = sum(len(r.sessions) for r in self._rooms.values())
        return {
            "rooms": len(self._rooms),
            "sessions": sessions,
            "event_loop_lag_ms": self._lag.lag.summary(1000),
            "process_cpu_percent": round(100 * (cpu - prev_cpu) / max(mono - prev_mono, 1e-6), 1),
            "fast_audio_level": audiolevel.installed(),
            "bitrate": self.config.bitrate,
            "network": self._gathering.stats(),
            "rooms_detail": {rid: room.stats(loop_now) for rid, room in self._rooms.items()},
        }

    # ---- internals ------------------------------------------------------------------------

    def _room(self, room_id: str, acoustics: Acoustics | None) -> Room:
        room = self._rooms.get(room_id)
        if room is None:
            if self._executor is None:
                workers = min(self.config.mix_workers, os.cpu_count() or 1)
                self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hubbub-mix")
            mixer = self._mixer_factory(self._acoustics.get(room_id), self.config.max_sources)
            room = Room(room_id, self.config, mixer, self._executor, on_activity=self._on_activity)
            self._rooms[room_id] = room
        elif acoustics is not None:
            room.queue(SetAcoustics(acoustics))
        return room

    def _ops_for(self, room: Room, pid: str) -> list[MixerOp]:
        """Mixer operations that (re)create pid's slot with every remembered setting involving it."""
        remembered = self._remembered[(room.room_id, pid)]
        assert remembered.pose is not None
        x, y, heading = remembered.pose
        ops: list[MixerOp] = [RemoveParticipant(pid), AddParticipant(pid, x, y, heading)]
        if remembered.muted is not None:
            ops.append(SetMuted(pid, remembered.muted))
        present = set(room.sessions) - {pid}
        for source, (p_muted, p_gain) in remembered.preferences.items():
            if source in present:
                ops.append(SetPreference(pid, source, p_muted, p_gain))
        for other in present:
            pref = self._remembered.get((room.room_id, other))
            if pref is not None and pid in pref.preferences:
                o_muted, o_gain = pref.preferences[pid]
                ops.append(SetPreference(other, pid, o_muted, o_gain))
        return ops

    def _session(self, room_id: str, participant_id: str) -> Session | None:
        room = self._rooms.get(room_id)
        return room.sessions.get(participant_id) if room else None

    def _apply(self, room_id: str, participant_id: str, op: MixerOp) -> None:
        room = self._rooms.get(room_id)
        if room is not None and participant_id in room.sessions:
            room.queue(op)

    def _session_connected(self, session: Session) -> None:
        room = self._rooms.get(session.room_id)
        if room is not None and room.sessions.get(session.participant_id) is session:
            room.wake()

    def _session_ended(self, session: Session, reason: SessionClosed) -> None:
        """A session ended on its own (ICE failed, silent, hung up): close it in an owned task."""
        if session.closing or self._closed:
            return
        task = asyncio.get_running_loop().create_task(
            self._close(session, reason, notify=True), name=f"hubbub-close-{session.participant_id}"
        )
        self._closing_tasks.add(task)
        task.add_done_callback(self._closing_tasks.discard)

    async def _close(self, session: Session, reason: SessionClosed, *, notify: bool) -> None:
        if session.closing:
            return
        room = self._rooms.get(session.room_id)
        if room is not None:
            room.remove(session)
        try:
            await session.close()
        finally:
            if room is not None and not room.sessions and self._rooms.get(session.room_id) is room:
                del self._rooms[session.room_id]
                self._acoustics.pop(session.room_id, None)  # signaling passes them again with the next offer
                await room.stop()
            if notify and self._on_closed is not None:
                try:
                    self._on_closed(session.room_id, session.participant_id, reason)
                except Exception:
                    logger.exception("on_closed callback failed")


def _check_id(value: object, name: str) -> None:
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        raise MediaError(f"{name} must be a non-empty string of at most {MAX_ID_LENGTH} characters")


def _check_pose(x: float, y: float, heading: float) -> tuple[float, float, float]:
    try:
        pose = (float(x), float(y), float(heading))
    except (TypeError, ValueError) as exc:
        raise MediaError("x, y and heading must be numbers") from exc
    if not all(v == v and abs(v) < 1e9 for v in pose):
        raise MediaError("x, y and heading must be finite")
    return pose
