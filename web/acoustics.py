"""Room acoustics at the edge: the five mixer settings a host may choose, checked by `mixer.Acoustics`.

The store keeps only the settings a host changed (JSON overrides). A request's overrides become the
mixer's frozen `Acoustics` once, here, before anything is stored; that typed value is what the
response, the room_updated hook and the media plane get. A stored room's overrides are read back
with `room_acoustics(room)` (REST reads, and the live layer when someone joins).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from mixer import Acoustics
from store.models import Room
from web.errors import ApiError
from web.validation import Field, check_fields, check_range

log = logging.getLogger(__name__)

# The settings a host may change; the mixer's other fields (ramp, limiter, speech detection)
# are engine tuning, not room character, and stay at the mixer's defaults.
USER_FIELDS: dict[str, Field] = {
    "distance_model": Field("str", required=False),
    "ref_distance": Field("number", required=False),
    "max_distance": Field("number", required=False),
    "rolloff": Field("number", required=False),
    "audible_radius": Field("number", required=False),
}
# Inclusive bounds in metres (rolloff: a factor). The floor is at most 1000 x 1000 m (diagonal
# ~1414 m), so 10 km covers every sensible radius while keeping values far from float trouble.
LIMITS: dict[str, tuple[float, float]] = {
    "ref_distance": (0.1, 1000.0),
    "max_distance": (0.1, 10_000.0),
    "rolloff": (0.0, 100.0),
    "audible_radius": (0.1, 10_000.0),
}
DEFAULTS = Acoustics()


def parse_overrides(value: Mapping[str, Any]) -> dict[str, Any]:
    """A client's `acoustics` object as overrides (null = back to the default): 400 for unknown
    fields, wrong types, NaN/Infinity and values outside `LIMITS`. Cross-field rules (max_distance
    > ref_distance) are the mixer's: see `check`."""
    patch = check_fields(value, USER_FIELDS, prefix="acoustics.", partial=True)
    for name, (lo, hi) in LIMITS.items():
        if patch.get(name) is not None:
            patch[name] = float(check_range(f"acoustics.{name}", patch[name], lo, hi))
    return patch


def check(overrides: Mapping[str, Any]) -> Acoustics:
    """The mixer settings for `overrides` (ValueError, with the mixer's message, if they do not fit together)."""
    return Acoustics(**{k: v for k, v in overrides.items() if k in USER_FIELDS})


def checked(overrides: Mapping[str, Any]) -> Acoustics:
    """`check` for a request: 400 invalid_value (nothing stored) instead of ValueError."""
    try:
        return check(overrides)
    except ValueError as exc:
        raise ApiError(400, "invalid_value", f"acoustics: {exc}") from None


def room_acoustics(room: Room) -> Acoustics:
    """The room's mixer settings (defaults where the host set nothing): what `MediaPlane.open_session`
    and `MediaPlane.set_acoustics` take. Stored overrides were checked on write; if a later mixer
    rejects them, the room falls back to the defaults rather than becoming unreadable."""
    try:
        return check(room.acoustics)
    except (ValueError, TypeError):
        log.warning("room %s has acoustics the mixer rejects; using the defaults", room.id)
        return DEFAULTS


def acoustics_json(acoustics: Acoustics) -> dict[str, Any]:
    """The user-settable fields as clients see them (every one, defaults included)."""
    return {name: getattr(acoustics, name) for name in USER_FIELDS}


def room_json(room: Room, acoustics: Acoustics | None = None) -> dict[str, Any]:
    """The room as members see it over REST: its fields plus the effective acoustics (`acoustics` when
    the caller already holds them, else read from the stored overrides)."""
    return {**room.to_json(), "acoustics": acoustics_json(room_acoustics(room) if acoustics is None else acoustics)}
