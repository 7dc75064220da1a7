"""Media figures for /health and /metrics: the hub's live rooms joined with the media plane's
`stats()`, plus the event-loop lag of this process.

/metrics carries per-room families only (the room label is bounded by the live rooms; a
participant label would not be); per-session detail goes into /health, without identities
(both endpoints are public).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from web.live.hub import Hub
from web.metrics import MetricFamily

if TYPE_CHECKING:
    from rtc.looplagmonitor import LoopLagMonitor

QUANTILES = (("p50", "0.5"), ("p99", "0.99"))
# per-session figures copied into /health (counters since the session opened, rates per second)
SESSION_FIELDS = ("connection", "sends_audio", "frames_in_per_s", "frames_out_per_s", "frames_in", "frames_out",
                  "played", "concealed", "recovered", "late", "altered", "silent_ticks", "dropped_in", "dropped_out",
                  "buffer_depth", "added_delay_frames", "encoded", "encode_skipped", "idle_s", "age_s")
_NO_WINDOW: dict[str, float | None] = {"p50": None, "p99": None, "max": None}


def _num(value: Any) -> float:
    """A plane figure as a float (0 when absent: a room without media has no frames)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _window(value: Any) -> dict[str, float | None]:
    """A p50/p99/max summary in ms; None entries mean no sample in the window (no ticks yet)."""
    if not isinstance(value, Mapping):
        return dict(_NO_WINDOW)
    return {k: (float(value[k]) if isinstance(value.get(k), (int, float)) else None) for k in _NO_WINDOW}


class MediaStats:
    """Reads the hub, its plane and the server's event-loop lag probe at request time."""

    def __init__(self, hub: Hub, lag: LoopLagMonitor) -> None:
        self._hub = hub
        self._lag = lag

    def _snapshot(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """(plane-wide figures, per-room figures) for every live room and every plane room."""
        plane = self._hub.plane.stats() if self._hub.plane is not None else {}
        detail = plane.get("rooms_detail")
        plane_rooms: Mapping[str, Any] = detail if isinstance(detail, Mapping) else {}
        present = self._hub.live_rooms()
        rooms: dict[str, dict[str, Any]] = {}
        for room_id in sorted(set(present) | set(plane_rooms)):
            media = plane_rooms.get(room_id, {})
            sessions = media.get("sessions", {})
            rooms[room_id] = {
                "participants": present.get(room_id, 0),
                "media_sessions": int(_num(media.get("participants"))),
                "connected": int(_num(media.get("connected"))),
                "frames_in_per_s": _num(media.get("frames_in_per_s")),
                "frames_out_per_s": _num(media.get("frames_out_per_s")),
                "concealed": int(_num(media.get("concealed"))),
                "altered": int(_num(media.get("altered"))),
                "quality_level": int(_num(media.get("quality_level"))),
                "quality_raised": int(_num(media.get("quality_raised"))),
                "capped_pairs": int(_num(media.get("capped_pairs"))),
                "ticks": int(_num(media.get("ticks"))),
                "skipped_ticks": int(_num(media.get("skipped_ticks"))),
                "tick_lateness_ms": _window(media.get("tick_lateness_ms")),
                "decode_ms": _window(media.get("decode_ms")),
                "mix_ms": _window(media.get("mix_ms")),
                "encode_ms": _window(media.get("encode_ms")),
                "sessions": [{k: s.get(k) for k in SESSION_FIELDS} for s in sessions.values()]
                if isinstance(sessions, Mapping) else [],
            }
        return plane, rooms

    def health(self) -> dict[str, Any]:
        """The `media` section of /health."""
        plane, rooms = self._snapshot()
        return {
            "live_rooms": len(self._hub.live_rooms()),
            "participants": sum(r["participants"] for r in rooms.values()),
            "media_sessions": int(_num(plane.get("sessions"))),
            "event_loop_lag_ms": self._lag.lag.summary(1000),
            "process_cpu_percent": _num(plane.get("process_cpu_percent")),
            "network": self._network(plane),
            "rooms": rooms,
        }

    def _network(self, plane: Mapping[str, Any]) -> dict[str, Any]:
        """Where media listens (ICE addresses, port range, ports in use) and what clients are handed."""
        network = plane.get("network")
        out = dict(network) if isinstance(network, Mapping) else {}
        out["client_ice_servers"] = self._hub.ice_servers.describe()
        return out

    def families(self) -> list[MetricFamily]:
        """`hubbub_media_*` families for /metrics, labelled by room."""
        plane, rooms = self._snapshot()
        network = plane.get("network")
        network = network if isinstance(network, Mapping) else {}

        def per_room(name: str, kind: str, help_text: str, field: str, scale: float = 1.0) -> MetricFamily:
            return MetricFamily(name, kind, help_text, [({"room": rid}, r[field] * scale) for rid, r in rooms.items()])

        def quantiles(name: str, help_text: str, field: str) -> MetricFamily:
            samples: list[tuple[Mapping[str, str], float]] = []
            for rid, r in rooms.items():
                for key, q in QUANTILES:
                    value = r[field][key]
                    if value is not None:
                        samples.append(({"room": rid, "quantile": q}, round(value / 1000, 6)))
            return MetricFamily(name, "gauge", help_text, samples)

        lag = self._lag.lag.summary(1000)  # ms with 3 decimals, then seconds: keeps microseconds
        lag_samples: list[tuple[Mapping[str, str], float]] = [
            ({"quantile": q}, round(v / 1000, 6)) for key, q in QUANTILES if (v := lag[key]) is not None and math.isfinite(v)]
        return [
            MetricFamily("hubbub_media_rooms", "gauge", "Live rooms (at least one participant or media session).",
                         [({}, float(len(rooms)))]),
            per_room("hubbub_media_participants", "gauge", "Live sessions present in the room.", "participants"),
            per_room("hubbub_media_sessions_connected", "gauge", "Media sessions with a connected peer.", "connected"),
            per_room("hubbub_media_frames_in_per_second", "gauge", "Audio frames received per second (all sources).",
                     "frames_in_per_s"),
            per_room("hubbub_media_frames_out_per_second", "gauge", "Mixed frames sent per second (all listeners).",
                     "frames_out_per_s"),
            per_room("hubbub_media_concealed_frames", "gauge",
                     "Frames concealed (late or lost input) by the room's current sessions.", "concealed"),
            per_room("hubbub_media_skipped_ticks_total", "counter", "Mix ticks skipped because the room fell behind.",
                     "skipped_ticks"),
            per_room("hubbub_media_altered_frames", "gauge",
                     "Inbound frames not played as sent (concealed, recovered from FEC, shed) by current sessions.",
                     "altered"),
            per_room("hubbub_media_quality_level", "gauge",
                     "Quality level under load: 0 = full; higher mixes fewer sources per listener, encodes cheaper.",
                     "quality_level"),
            per_room("hubbub_media_capped_pairs_total", "counter",
                     "(listener, source) pairs left out of mixes under load, summed over ticks.", "capped_pairs"),
            quantiles("hubbub_media_tick_lateness_seconds", "How late the room clock started its ticks (recent window).",
                      "tick_lateness_ms"),
            quantiles("hubbub_media_decode_seconds", "Decode time per tick, all sources (recent window).", "decode_ms"),
            quantiles("hubbub_media_mix_seconds", "Mix time per tick (recent window).", "mix_ms"),
            quantiles("hubbub_media_encode_seconds", "Encode time per tick, all listeners (recent window).",
                      "encode_ms"),
            MetricFamily("hubbub_media_event_loop_lag_seconds", "gauge",
                         "Event-loop lag of the server process (recent window).", lag_samples),
            MetricFamily("hubbub_media_udp_ports_in_use", "gauge",
                         "Media UDP sockets open in the configured port range (absent without --udp-ports).",
                         [({}, _num(network["udp_ports_in_use"]))] if network.get("udp_ports_in_use") is not None
                         else []),
            MetricFamily("hubbub_media_udp_ports_exhausted_total", "counter",
                         "Sessions refused because the UDP port range was full.",
                         [({}, _num(network.get("udp_ports_exhausted")))]),
        ]
