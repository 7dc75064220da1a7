"""Live state of one room: who is present, where, and what changed since the last batch.

Pure (no asyncio): the hub calls it with the current time and sends what it returns, so the
batching and capacity rules are tested without sockets or sleeps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mixer import Activity

SILENCE_DBOV = -127.0
GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))


class RoomFull(Exception):
    """The room already holds `max_participants` live members."""


class OutOfBounds(ValueError):
    """A position outside the room's floor."""


def _mm(value: float) -> float:
    return round(value, 3)


def _deg(value: float) -> float:
    h = round(value, 1)
    return 0.0 if h >= 360.0 else h


@dataclass
class Presence:
    """One live session in the room (keyed by participant id; one account may hold several, one
    per device label): position in metres, heading in degrees, microphone mute."""

    participant_id: str
    user_id: str
    device: str | None
    username: str
    x: float
    y: float
    heading: float
    muted: bool = False

    def to_json(self) -> dict[str, Any]:
        """Member form of `joined` / `member_joined`: `id` is the participant id, `user` the account."""
        return {"id": self.participant_id, "user": self.user_id, "device": self.device, "username": self.username,
                "x": _mm(self.x), "y": _mm(self.y), "heading": _deg(self.heading), "muted": self.muted}

    def position_json(self) -> dict[str, Any]:
        """Entry of a `positions` batch (millimetres and tenths of a degree are plenty)."""
        return {"id": self.participant_id, "x": _mm(self.x), "y": _mm(self.y), "heading": _deg(self.heading)}


class RoomState:
    """Presence, positions and speaking levels of one room, with the batching deadlines."""

    def __init__(
        self,
        room_id: str,
        width: float,
        height: float,
        capacity: int,
        *,
        positions_interval: float = 0.05,
        speaking_interval: float = 0.15,
        speaking_step_db: float = 3.0,
    ) -> None:
        self.room_id = room_id
        self.width = width
        self.height = height
        self.capacity = capacity
        self.positions_interval = positions_interval
        self.speaking_interval = speaking_interval
        self.speaking_step_db = speaking_step_db
        self.members: dict[str, Presence] = {}
        self._dirty: dict[str, None] = {}
        self._positions_at = -math.inf
        self._spawned = 0
        self._activity: Mapping[str, Activity] = {}
        self._sent_activity: dict[str, Activity] = {}
        self._speaking_at = -math.inf

    # presence -----------------------------------------------------------------------------

    def add(self, participant_id: str, username: str, *, user_id: str | None = None,
            device: str | None = None) -> Presence:
        """Place a new session on a spiral around the centre; RoomFull at capacity (which counts
        sessions, not accounts: every session is a voice to mix)."""
        if participant_id in self.members:
            raise ValueError(f"{participant_id} is already present")
        if len(self.members) >= self.capacity:
            raise RoomFull(self.room_id)
        x, y = self._spawn_point(self._spawned)
        self._spawned += 1
        presence = Presence(participant_id, user_id or participant_id, device, username, x, y, 0.0)
        self.members[participant_id] = presence
        return presence

    def _spawn_point(self, k: int) -> tuple[float, float]:
        radius = 1.5 * math.sqrt(k)
        angle = k * GOLDEN_ANGLE
        margin_x, margin_y = min(0.5, self.width / 2), min(0.5, self.height / 2)
        x = min(max(self.width / 2 + radius * math.sin(angle), margin_x), self.width - margin_x)
        y = min(max(self.height / 2 + radius * math.cos(angle), margin_y), self.height - margin_y)
        return x, y

    def remove(self, user_id: str) -> Presence | None:
        """Forget a member and anything pending about them; None if not present."""
        self._dirty.pop(user_id, None)
        self._sent_activity.pop(user_id, None)
        return self.members.pop(user_id, None)

    def set_muted(self, user_id: str, muted: bool) -> bool:
        """Record a microphone mute; True if it changed."""
        presence = self.members[user_id]
        changed = presence.muted != muted
        presence.muted = muted
        return changed

    # positions ----------------------------------------------------------------------------

    def move(self, user_id: str, x: float, y: float, heading: float) -> bool:
        """Validate against the floor and record; True if it changed (then it is in the next batch)."""
        if not (0.0 <= x <= self.width and 0.0 <= y <= self.height):
            raise OutOfBounds(f"position must be within 0..{self.width:g} x 0..{self.height:g} metres")
        presence = self.members[user_id]
        if (presence.x, presence.y, presence.heading) == (x, y, heading):
            return False
        presence.x, presence.y, presence.heading = x, y, heading
        self._dirty[user_id] = None
        return True

    @property
    def has_positions(self) -> bool:
        """Whether a positions batch is pending."""
        return bool(self._dirty)

    def positions_due(self, now: float) -> float:
        """Earliest time the next batch may be sent: one batch per `positions_interval`."""
        return max(now, self._positions_at + self.positions_interval)

    def take_positions(self, now: float) -> list[dict[str, Any]]:
        """Every position changed since the last batch (empty if none or if it is too early)."""
        if not self._dirty or now < self._positions_at + self.positions_interval:
            return []
        entries = [self.members[uid].position_json() for uid in self._dirty]
        self._dirty.clear()
        self._positions_at = now
        return entries

    # speaking -----------------------------------------------------------------------------

    def set_activity(self, activity: Mapping[str, Activity]) -> None:
        """Latest levels from the media plane (every 20 ms tick: only keeps the reference)."""
        self._activity = activity

    def speaking_due(self, now: float) -> float:
        """Earliest time the next speaking batch may be sent."""
        return max(now, self._speaking_at + self.speaking_interval)

    def take_speaking(self, now: float) -> list[dict[str, Any]]:
        """Members whose speaking flag flipped, or whose level moved by >= `speaking_step_db`
        while speaking, since what was last sent (empty if nothing changed or too early)."""
        if now < self._speaking_at + self.speaking_interval:
            return []
        quiet = Activity(SILENCE_DBOV, False)
        out = []
        for uid in self.members:
            cur = self._activity.get(uid, quiet)
            level = cur.level_dbov if math.isfinite(cur.level_dbov) else SILENCE_DBOV
            last = self._sent_activity.get(uid, quiet)
            moved = abs(level - last.level_dbov) >= self.speaking_step_db
            if cur.speaking != last.speaking or (cur.speaking and moved):
                self._sent_activity[uid] = Activity(level, cur.speaking)
                out.append({"id": uid, "level": round(level, 1), "speaking": cur.speaking})
        if out:
            self._speaking_at = now
        return out
