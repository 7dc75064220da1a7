"""The room hub: sessions by participant, live rooms, batching timers, and the media plane calls.

A session's participant id is its user id, or `{user_id}.{device}` when `auth` names a device:
one account may hold several sessions (bots sharing an API key), one per device label.

The WebSocket handler hands every parsed message to `Hub.handle`; everything the hub sends goes
through a connection's bounded queue, so no client can stall a room. Messages are only ever
routed to the connections of the sender's own room.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mixer import Activity
from rtc.ownedtask import cancel_and_wait
from web.live import messages
from web.live.backend import BadChat, Identity, LiveBackend, NotAMember, Rejected, RoomInfo
from web.live.codes import CloseCode, ErrorCode, LeaveReason
from web.live.connection import Connection
from web.live.iceservers import ClientIceServers
from web.live.media import MediaPlaneLike
from web.live.protocol import (Chat, ClientMessage, Ice, IceServers, Join, Leave, Mix, Move, Mute, Offer, RequestId,
                               participant_id)
from web.live.room import OutOfBounds, RoomFull, RoomState

log = logging.getLogger(__name__)


@dataclass
class LiveRoom:
    """A room with at least one live member: its state, their connections (by participant id)
    and pending timers."""

    state: RoomState
    info: RoomInfo
    conns: dict[str, Connection] = field(default_factory=dict)
    positions_timer: asyncio.TimerHandle | None = None
    speaking_timer: asyncio.TimerHandle | None = None

    def broadcast(self, text: str, exclude: Connection | None = None) -> None:
        """Queue one encoded message to every member (never awaits a client)."""
        for conn in list(self.conns.values()):
            if conn is not exclude:
                conn.send(text)

    def cancel_timers(self) -> None:
        """Called when the last member leaves."""
        for timer in (self.positions_timer, self.speaking_timer):
            if timer is not None:
                timer.cancel()
        self.positions_timer = self.speaking_timer = None


@dataclass(frozen=True)
class HubSettings:
    """Batching intervals of the room (seconds), the speaking-level change threshold, how
    many live sessions one account may hold (device labels; guards against a runaway client),
    and how long shutdown waits for the hub's own tasks (media closes) to finish."""

    positions_interval: float = 0.05
    speaking_interval: float = 0.15
    speaking_step_db: float = 3.0
    max_sessions_per_user: int = 1000
    shutdown_grace: float = 5.0


class Hub:
    """Live sessions and rooms of this process."""

    def __init__(
        self,
        backend: LiveBackend,
        plane: MediaPlaneLike | None,
        ice_servers: ClientIceServers,
        settings: HubSettings = HubSettings(),
    ) -> None:
        self.backend = backend
        self.plane = plane
        self.ice_servers = ice_servers
        self._settings = settings
        self._sessions: dict[str, Connection] = {}  # by participant id
        self._by_user: dict[str, dict[str, Connection]] = {}  # user id -> participant id -> connection
        self._connections: weakref.WeakSet[Connection] = weakref.WeakSet()
        self._rooms: dict[str, LiveRoom] = {}
        self._media_closing: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop = asyncio.get_running_loop()

    # bookkeeping --------------------------------------------------------------------------

    def session_count(self) -> int:
        """Authenticated live sessions (reported by /health)."""
        return len(self._sessions)

    def room_members(self, room_id: str) -> list[str]:
        """Participant ids present in a room (diagnostics and tests)."""
        room = self._rooms.get(room_id)
        return list(room.conns) if room else []

    def live_rooms(self) -> dict[str, int]:
        """Participants present per live room (for /health and /metrics)."""
        return {room_id: len(room.conns) for room_id, room in self._rooms.items()}

    def _user_sessions(self, user_id: str) -> list[Connection]:
        return list(self._by_user.get(user_id, {}).values())

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("live task %s failed", task.get_name(), exc_info=task.exception())

    # sessions -----------------------------------------------------------------------------

    def register(self, conn: Connection) -> None:
        """Track every open socket (authenticated or not) so shutdown can close it."""
        self._connections.add(conn)

    def attach(self, conn: Connection, identity: Identity, credential: str, device: str | None) -> str | None:
        """Authenticate a connection as (user, device); an older session with the same pair is
        replaced. Returns the participant id, or None if the account holds too many sessions."""
        pid = participant_id(identity.user_id, device)
        old = self._sessions.get(pid)
        if old is None and len(self._by_user.get(identity.user_id, ())) >= self._settings.max_sessions_per_user:
            return None
        if old is not None and old is not conn:
            self.kick(old, CloseCode.REPLACED, LeaveReason.REPLACED)
        conn.user_id, conn.username, conn.device, conn.credential = (identity.user_id, identity.username, device,
                                                                     credential)
        conn.participant_id = pid
        self._sessions[pid] = conn
        self._by_user.setdefault(identity.user_id, {})[pid] = conn
        return pid

    def detach(self, conn: Connection, reason: LeaveReason = LeaveReason.DISCONNECTED) -> None:
        """The socket is gone (or going): leave its room and forget it (idempotent)."""
        self._leave_room(conn, reason)
        pid, user_id = conn.participant_id, conn.user_id
        if pid is None or user_id is None or self._sessions.get(pid) is not conn:
            return
        del self._sessions[pid]
        mine = self._by_user.get(user_id)
        if mine is not None:
            mine.pop(pid, None)
            if not mine:
                del self._by_user[user_id]

    def kick(self, conn: Connection, code: CloseCode, reason: LeaveReason) -> None:
        """Remove from the room at once (the others hear it now) and close the socket."""
        self.detach(conn, reason)
        conn.close(code)

    def kick_flood(self, conn: Connection) -> None:
        """Repeated rate-limit abuse: out of the room, socket closed with CloseCode.FLOOD."""
        self.kick(conn, CloseCode.FLOOD, LeaveReason.DISCONNECTED)

    def on_overflow(self, conn: Connection) -> None:
        """A connection's send queue overflowed: it already closes itself; take it out of its room."""
        log.info("live: disconnecting slow consumer %s", conn.participant_id)
        self.detach(conn, LeaveReason.DISCONNECTED)

    async def shutdown(self) -> None:
        """Server stopping: close every session with GOING_AWAY and wait for the handshakes."""
        conns = list(self._connections)
        for conn in conns:
            self.kick(conn, CloseCode.GOING_AWAY, LeaveReason.DISCONNECTED)
        await asyncio.gather(*(c.wait_closed(CloseCode.GOING_AWAY) for c in conns), return_exceptions=True)
        await self._drain_tasks()

    async def _drain_tasks(self) -> None:
        """Give the hub's own tasks (media closes) the grace to finish, then cancel what is left:
        a hung close must not outlive the server."""
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=self._settings.shutdown_grace)
            await asyncio.gather(*(cancel_and_wait(task) for task in late), return_exceptions=True)

    # hooks from REST ----------------------------------------------------------------------

    async def member_removed(self, room_id: str, user_id: str) -> None:
        """A member was removed from (or left via REST) a room, or it was deleted: end every live
        session of that account there (all its devices) and cancel joins in flight."""
        for conn in self._user_sessions(user_id):
            if conn.joining == room_id:
                conn.joining = None
            if conn.room_id == room_id:
                self.kick(conn, CloseCode.REMOVED, LeaveReason.REMOVED)

    async def room_updated(self, info: RoomInfo) -> None:
        """The host changed the room (REST PATCH, committed): if it is live, retune its mix, apply
        the new capacity to later joins (nobody present is removed) and tell its members."""
        room = self._rooms.get(info.id)
        if room is None:  # not live: the next join reads the new settings from the store
            return
        previous, room.info = room.info, info
        room.state.capacity = info.max_participants
        if self.plane is not None and info.acoustics != previous.acoustics:
            self.plane.set_acoustics(info.id, info.acoustics)
        room.broadcast(messages.room_updated(info.public))

    async def credentials_revoked(self, user_id: str) -> None:
        """Password changed or a key revoked: re-check the credential each of the account's live
        sessions used (once per distinct credential: a hundred bots usually share one key)."""
        verdicts: dict[str, bool] = {}
        for conn in self._user_sessions(user_id):
            credential = conn.credential
            if credential is None:
                continue
            if credential not in verdicts:
                try:
                    await self.backend.authenticate(credential)
                    verdicts[credential] = True
                except Rejected:  # no longer works (or the account is gone): its sessions end
                    verdicts[credential] = False
            if not verdicts[credential] and conn.participant_id is not None \
                    and self._sessions.get(conn.participant_id) is conn:
                self.kick(conn, CloseCode.REVOKED, LeaveReason.DISCONNECTED)

    # media plane callbacks ----------------------------------------------------------------

    def on_activity(self, room_id: str, levels: Mapping[str, Activity]) -> None:
        """Every media tick: remember the levels; a batch goes out at most every speaking_interval."""
        room = self._rooms.get(room_id)
        if room is None:
            return
        room.state.set_activity(levels)
        if room.speaking_timer is None:
            when = room.state.speaking_due(self._loop.time())
            room.speaking_timer = self._loop.call_at(when, self._flush_speaking, room)

    def on_media_closed(self, room_id: str, participant_id: str, reason: Any) -> None:
        """The plane ended a session itself (ICE failed, silent peer...): tell that participant."""
        name = str(getattr(reason, "value", reason))
        if name == "replaced":  # the participant's own new offer did that; its answer follows
            return
        conn = self._sessions.get(participant_id)
        if conn is not None and conn.room_id == room_id:
            conn.send(messages.media_closed(name))

    def _flush_speaking(self, room: LiveRoom) -> None:
        room.speaking_timer = None
        entries = room.state.take_speaking(self._loop.time())
        if entries:
            room.broadcast(messages.speaking(entries))

    def _flush_positions(self, room: LiveRoom) -> None:
        room.positions_timer = None
        entries = room.state.take_positions(self._loop.time())
        if entries:
            room.broadcast(messages.positions(entries))
        if room.state.has_positions:  # woke early (clock granularity): try again
            self._schedule_positions(room)

    def _schedule_positions(self, room: LiveRoom) -> None:
        if room.positions_timer is None:
            when = room.state.positions_due(self._loop.time())
            room.positions_timer = self._loop.call_at(when, self._flush_positions, room)

    # rooms --------------------------------------------------------------------------------

    def _leave_room(self, conn: Connection, reason: LeaveReason) -> None:
        room_id, pid = conn.room_id, conn.participant_id
        if room_id is None or pid is None:
            return
        conn.room_id = None
        room = self._rooms.get(room_id)
        if room is None or room.conns.get(pid) is not conn:
            return
        del room.conns[pid]
        room.state.remove(pid)
        room.broadcast(messages.member_left(pid, reason))
        if not room.conns:
            room.cancel_timers()
            del self._rooms[room_id]
        if self.plane is not None:
            key = f"{room_id}\x00{pid}"
            self._media_closing[key] = self._spawn(self._close_media(room_id, pid, key), "live-media-close")

    async def _close_media(self, room_id: str, pid: str, key: str) -> None:
        assert self.plane is not None
        try:
            await self.plane.close_session(room_id, pid)
        finally:
            if self._media_closing.get(key) is asyncio.current_task():
                del self._media_closing[key]

    async def _media_settled(self, room_id: str, pid: str) -> None:
        """Wait for a pending close of this participant's previous session (replaced tab)."""
        pending = self._media_closing.get(f"{room_id}\x00{pid}")
        if pending is not None:
            await asyncio.wait({pending})

    # messages -----------------------------------------------------------------------------

    async def handle(self, conn: Connection, msg: ClientMessage) -> None:
        """One parsed message from an authenticated connection."""
        match msg:
            case Join():
                await self._join(conn, msg)
            case Leave():
                self._leave_room(conn, LeaveReason.LEFT)
                conn.send(messages.left(msg.id))
            case Move():
                self._move(conn, msg)
            case Chat():
                await self._chat(conn, msg)
            case Mute():
                self._mute(conn, msg)
            case Mix():
                self._mix(conn, msg)
            case Offer():
                await self._offer(conn, msg)
            case Ice():
                await self._ice(conn, msg)
            case IceServers():
                assert conn.user_id is not None
                conn.send(messages.ice_servers(msg.id, self.ice_servers.for_user(conn.user_id)))
            case _:
                conn.send(messages.error(ErrorCode.BAD_MESSAGE, f"unexpected {type(msg).__name__.lower()}", msg.id))

    def _room_of(self, conn: Connection, request_id: RequestId) -> LiveRoom | None:
        room = self._rooms.get(conn.room_id) if conn.room_id is not None else None
        if room is None:
            conn.send(messages.error(ErrorCode.NOT_IN_ROOM, "join a room first", request_id))
        return room

    def _media_room(self, conn: Connection, request_id: RequestId) -> tuple[LiveRoom, MediaPlaneLike] | None:
        """The sender's room and the media plane, or None after answering why there is no media."""
        room = self._room_of(conn, request_id)
        if room is None:
            return None
        if self.plane is None:
            conn.send(messages.error(ErrorCode.MEDIA_ERROR, "media is not available on this server", request_id))
            return None
        return room, self.plane

    async def _join(self, conn: Connection, msg: Join) -> None:
        assert conn.user_id is not None
        conn.joining = msg.room
        try:
            info = await self.backend.room_for_member(msg.room, conn.user_id)
        except NotAMember:
            info = None
        if conn.closing:
            return
        if info is None or conn.joining != msg.room:  # not a member, or removed while we looked
            conn.joining = None
            conn.send(messages.error(ErrorCode.ROOM_NOT_FOUND, "no such room", msg.id))
            return
        conn.joining = None
        if conn.room_id is not None:
            self._leave_room(conn, LeaveReason.LEFT)
        room = self._rooms.get(info.id)
        created = room is None
        if room is None:
            s = self._settings
            room = LiveRoom(RoomState(info.id, info.width, info.height, info.max_participants,
                                      positions_interval=s.positions_interval, speaking_interval=s.speaking_interval,
                                      speaking_step_db=s.speaking_step_db), info)
        assert conn.participant_id is not None
        pid = conn.participant_id
        try:
            presence = room.state.add(pid, conn.username, user_id=conn.user_id, device=conn.device)
        except RoomFull:
            full = f"the room is full ({info.max_participants} present)"
            conn.send(messages.error(ErrorCode.ROOM_FULL, full, msg.id))
            return
        if created:
            self._rooms[info.id] = room
        room.conns[pid] = conn
        conn.room_id = info.id
        members = [p.to_json() for p in room.state.members.values()]
        assert conn.user_id is not None
        ice_servers = self.ice_servers.for_user(conn.user_id)
        conn.send(messages.joined(msg.id, pid, room.info.public, members, ice_servers))
        room.broadcast(messages.member_joined(presence.to_json()), exclude=conn)
        if self.plane is not None:
            self.plane.set_pose(info.id, pid, presence.x, presence.y, presence.heading)

    def _move(self, conn: Connection, msg: Move) -> None:
        room = self._room_of(conn, msg.id)
        if room is None:
            return
        assert conn.participant_id is not None
        try:
            changed = room.state.move(conn.participant_id, msg.x, msg.y, msg.heading)
        except OutOfBounds as exc:
            conn.send(messages.error(ErrorCode.OUT_OF_BOUNDS, str(exc), msg.id))
            return
        if changed:
            if self.plane is not None:
                self.plane.set_pose(room.info.id, conn.participant_id, msg.x, msg.y, msg.heading)
            self._schedule_positions(room)

    async def _chat(self, conn: Connection, msg: Chat) -> None:
        room = self._room_of(conn, msg.id)
        if room is None:
            return
        assert conn.user_id is not None
        room_id = room.info.id
        try:
            message = await self.backend.post_chat(room_id, conn.user_id, msg.text)
        except NotAMember:
            conn.send(messages.error(ErrorCode.ROOM_NOT_FOUND, "no such room", msg.id))
            return
        except BadChat as exc:
            conn.send(messages.error(ErrorCode.INVALID_FIELD, str(exc), msg.id))
            return
        live = self._rooms.get(room_id)
        if live is not None:
            live.broadcast(messages.chat(message))

    def _mute(self, conn: Connection, msg: Mute) -> None:
        room = self._room_of(conn, msg.id)
        if room is None:
            return
        assert conn.participant_id is not None
        room.state.set_muted(conn.participant_id, msg.muted)
        if self.plane is not None:
            self.plane.set_muted(room.info.id, conn.participant_id, msg.muted)
        room.broadcast(messages.member_muted(conn.participant_id, msg.muted))

    def _mix(self, conn: Connection, msg: Mix) -> None:
        room = self._room_of(conn, msg.id)
        if room is None:
            return
        if msg.user == conn.participant_id or msg.user not in room.conns:  # participant ids
            conn.send(messages.error(ErrorCode.UNKNOWN_MEMBER, "no such member in this room", msg.id))
            return
        assert conn.participant_id is not None
        if self.plane is not None:
            self.plane.set_preference(room.info.id, conn.participant_id, msg.user, muted=msg.muted, gain=msg.volume)

    async def _offer(self, conn: Connection, msg: Offer) -> None:
        found = self._media_room(conn, msg.id)
        if found is None:
            return
        room, plane = found
        assert conn.participant_id is not None
        room_id, pid = room.info.id, conn.participant_id
        presence = room.state.members[pid]
        await self._media_settled(room_id, pid)
        try:
            answer = await plane.open_session(room_id, pid, msg.sdp, x=presence.x, y=presence.y,
                                                   heading=presence.heading, acoustics=room.info.acoustics)
        except ValueError as exc:  # sfu.MediaError; MediaUnavailable says "media_unavailable"
            code = ErrorCode.MEDIA_UNAVAILABLE if getattr(exc, "code", None) == "media_unavailable" \
                else ErrorCode.MEDIA_ERROR
            conn.send(messages.error(code, f"offer rejected: {exc}", msg.id))
            return
        if conn.room_id != room_id or conn.closing:
            await plane.close_session(room_id, pid)  # left while negotiating
            return
        conn.send(messages.answer(msg.id, answer))
        conn.send(messages.ice(None))

    async def _ice(self, conn: Connection, msg: Ice) -> None:
        found = self._media_room(conn, msg.id)
        if found is None:
            return
        room, plane = found
        assert conn.participant_id is not None
        try:
            await plane.add_ice_candidate(room.info.id, conn.participant_id, msg.candidate, msg.sdp_mid,
                                               msg.sdp_mline_index)
        except ValueError as exc:
            conn.send(messages.error(ErrorCode.MEDIA_ERROR, f"candidate rejected: {exc}", msg.id))
