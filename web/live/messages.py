"""Server -> client messages: one builder per type, each returning the encoded JSON text.

Broadcasts are encoded once and the same string is queued to every member of the room.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from web.live.codes import PROTOCOL_VERSION, ErrorCode, LeaveReason
from web.live.protocol import RequestId

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def encode(kind: str, request_id: RequestId = None, **fields: Any) -> str:
    """`{"type": kind, "id"?: request_id, ...fields}` as compact JSON."""
    body: dict[str, Any] = {"type": kind}
    if request_id is not None:
        body["id"] = request_id
    body.update(fields)
    return _dumps(body)


def authenticated(user_id: str, username: str, you: str, device: str | None, request_id: RequestId) -> str:
    """Answer to a valid `auth`: the account, and this session's participant id and device label."""
    return encode("authenticated", request_id, protocol=PROTOCOL_VERSION, user={"id": user_id, "username": username},
                  you=you, device=device)


def joined(
    request_id: RequestId,
    you: str,
    room: Mapping[str, Any],
    members: Sequence[Mapping[str, Any]],
    ice_servers: Sequence[Mapping[str, Any]],
) -> str:
    """Answer to `join`: the room, everybody present (you included) and the ICE servers to use."""
    return encode("joined", request_id, you=you, room=dict(room), members=list(members), ice_servers=list(ice_servers))


def room_updated(room: Mapping[str, Any]) -> str:
    """Broadcast when the host changed the room's settings (name, description, capacity, acoustics)."""
    return encode("room_updated", room=dict(room))


def member_joined(member: Mapping[str, Any]) -> str:
    """Broadcast to the others when someone enters."""
    return encode("member_joined", member=dict(member))


def member_left(participant_id: str, reason: LeaveReason) -> str:
    """Broadcast to the others when a session leaves, drops or is replaced/removed (`user` holds
    the participant id, the same as the member's `id`)."""
    return encode("member_left", user=participant_id, reason=str(reason))


def member_muted(participant_id: str, muted: bool) -> str:
    """Broadcast when someone mutes/unmutes their microphone (`user` = participant id)."""
    return encode("member_muted", user=participant_id, muted=muted)


def positions(entries: Iterable[Mapping[str, Any]]) -> str:
    """One batch of every position that changed since the previous batch."""
    return encode("positions", positions=list(entries))


def speaking(entries: Iterable[Mapping[str, Any]]) -> str:
    """One batch of speaking-state changes."""
    return encode("speaking", levels=list(entries))


def chat(message: Mapping[str, Any]) -> str:
    """A persisted chat message, broadcast to the whole room (the author included)."""
    return encode("chat", message=dict(message))


def answer(request_id: RequestId, sdp: str) -> str:
    """The media peer's SDP answer to an `offer`."""
    return encode("answer", request_id, sdp=sdp)


def ice(candidate: str | None, sdp_mid: str | None = None, sdp_mline_index: int | None = None) -> str:
    """A server ICE candidate; `candidate: null` = the server has no more (its answer holds them all)."""
    return encode("ice", candidate=candidate, sdp_mid=sdp_mid, sdp_mline_index=sdp_mline_index)


def ice_servers(request_id: RequestId, servers: Sequence[Mapping[str, Any]]) -> str:
    """Reply to `ice_servers`: RTCIceServer dicts with credentials minted now."""
    return encode("ice_servers", request_id, ice_servers=list(servers))


def left(request_id: RequestId) -> str:
    """Answer to `leave`."""
    return encode("left", request_id)


def media_closed(reason: str) -> str:
    """The media plane ended this participant's media session on its own (e.g. ICE failed)."""
    return encode("media_closed", reason=reason)


def error(code: ErrorCode, message: str, request_id: RequestId = None) -> str:
    """Bad input or a refused request; `id` is the id of the request it answers (null if unknown)."""
    return _dumps({"type": "error", "id": request_id, "code": str(code), "message": message})


def pong(request_id: RequestId) -> str:
    """Answer to `ping` with the server's wall clock in milliseconds."""
    return encode("pong", request_id, time=time.time_ns() // 1_000_000)
