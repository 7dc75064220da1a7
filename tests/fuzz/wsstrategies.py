"""Hypothesis strategies for the live protocol: every client message type in valid shapes with
hostile values, plus garbage frames. A strategy draws a `Frame`: what to send and what the
protocol says the server does with it (answer and stay open, or close with a given code)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from web.live.protocol import _SCHEMAS, MAX_MESSAGE_CHARS, MESSAGE_TYPES

REQUIRED = {kind: [name for name, (_, required) in schema.items() if required] for kind, (_, schema) in _SCHEMAS.items()}


@dataclass(frozen=True)
class Raw:
    """JSON text inserted as is (what json.dumps cannot write: 5,000-digit integers, bad escapes)."""

    text: str


@dataclass(frozen=True)
class Frame:
    """One frame to send: `data` (str: a text frame; bytes: binary, or text with `as_text`), and
    the close code the protocol requires after it (None: the socket stays open)."""

    data: str | bytes
    as_text: bool = True
    closes_with: int | None = None
    kind: str = "garbage"


def to_text(value: Any) -> str:
    """JSON text of `value`, with `Raw` parts inserted verbatim (NaN and lone surrogates too)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{to_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_text(v) for v in value) + "]"
    return json.dumps(value)  # NaN/Infinity as the JSON extension Python writes


_HUGE_INTEGERS = st.integers(4301, 6000).map(lambda n: Raw("9" * n)) | st.just(Raw("-" + "1" * 4400))
_BAD_ESCAPES = st.sampled_from(['"\\ud800"', '"\\udfff x"', '"\\ud83d\\ud83d"', '"\\udbff"']).map(Raw)
_NUMBERS = st.integers(-(2**70), 2**70) | st.floats() | st.sampled_from([Raw("1e999"), Raw("-0"), Raw("1E-400")])
_STRINGS = st.text(max_size=64) | st.text(alphabet="\x00\x1f\u202e\ufeff\U0001f600 ", max_size=8) \
    | st.integers(2000, MAX_MESSAGE_CHARS + 2000).map(lambda n: "x" * n)
HOSTILE = st.recursive(
    st.none() | st.booleans() | _NUMBERS | _STRINGS | _HUGE_INTEGERS | _BAD_ESCAPES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _or_hostile(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a value the field takes, sometimes anything at all."""
    return st.one_of(valid, valid, HOSTILE)


SDP_TEMPLATE = (
    "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "a=msid-semantic: WMS\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:Fuzz\r\na=ice-pwd:fuzzfuzzfuzzfuzzfuzzfuzz\r\n"
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\na=setup:actpass\r\na=mid:0\r\n"
    "a=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1;stereo=1\r\n"
)


@st.composite
def _sdp(draw: st.DrawFn) -> str:
    lines = SDP_TEMPLATE.split("\r\n")
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "garble", "dup", "candidate"]))
        if action == "drop":
            del lines[i]
        elif action == "garble":
            lines[i] = lines[i][:2] + draw(st.text(max_size=30))
        elif action == "dup":
            lines.insert(i, lines[i])
        else:  # a remote candidate: the server's sockets are bound to 127.0.0.1 only
            lines.insert(i, f"a=candidate:1 1 udp 2130706431 127.0.0.1 {draw(st.integers(1, 65535))} typ host")
    return "\r\n".join(lines)


_CANDIDATES = st.none() | st.text(max_size=40) | st.builds(
    lambda port, prio: f"candidate:1 1 udp {prio} 127.0.0.1 {port} typ host", st.integers(0, 70000),
    st.integers(-1, 2**33))
_REQUEST_IDS = st.none() | st.text(max_size=70) | st.integers(-(2**60), 2**60) | HOSTILE


def message_strategies(context: dict[str, Any]) -> dict[str, st.SearchStrategy[dict[str, Any]]]:
    """For every client message type: its fields, valid-shaped and hostile. `context` holds the
    real values that get a message past the first checks (token, room, participant ids)."""
    token = st.sampled_from([context["token"], context["api_key"]]) | st.text(max_size=50) | HOSTILE
    pid = st.sampled_from(context["participants"]) | st.text(max_size=70)
    floor = st.floats(-5, context["width"] + 5, allow_nan=False)
    fields: dict[str, dict[str, st.SearchStrategy[Any]]] = {
        "auth": {"token": token, "device": _or_hostile(st.from_regex(r"[A-Za-z0-9_.-]{1,32}", fullmatch=True))},
        "join": {"room": _or_hostile(st.sampled_from([context["room"], "0000000000000000"]) | st.text(max_size=70))},
        "leave": {},
        "move": {"x": _or_hostile(floor), "y": _or_hostile(floor), "heading": _or_hostile(st.floats())},
        "chat": {"text": _or_hostile(st.text(min_size=1, max_size=2100))},
        "mute": {"muted": _or_hostile(st.booleans())},
        "mix": {"user": _or_hostile(pid), "muted": _or_hostile(st.booleans()),
                "volume": _or_hostile(st.floats(-1, 3))},
        "offer": {"sdp": _or_hostile(_sdp() | st.text(max_size=200))},
        "ice": {"candidate": _or_hostile(_CANDIDATES), "sdp_mid": _or_hostile(st.none() | st.text(max_size=70)),
                "sdp_mline_index": _or_hostile(st.none() | st.integers(-1, 300))},
        "ice_servers": {},
        "ping": {},
    }
    assert set(fields) == MESSAGE_TYPES, "a message type without a strategy"
    out = {}
    for kind, spec in fields.items():
        required = {name: spec[name] for name in REQUIRED[kind]}
        optional = {name: value for name, value in spec.items() if name not in required}
        well_formed = st.fixed_dictionaries({"type": st.just(kind), **required}, optional={**optional, "id": _REQUEST_IDS})
        mutated = st.fixed_dictionaries({"type": st.just(kind)},  # fields may be missing or unknown
                                        optional={**spec, "id": _REQUEST_IDS, "extra": HOSTILE})
        out[kind] = st.one_of(well_formed, well_formed, mutated)
    return out


def frames(context: dict[str, Any]) -> st.SearchStrategy[Frame]:
    """Any frame a hostile client sends that the protocol answers without closing: a typed
    message (most), or garbage."""
    typed = st.one_of(*message_strategies(context).values()).map(
        lambda body: Frame(to_text(body), kind=str(body["type"])))
    garbage = st.one_of(
        st.text(max_size=200).map(Frame),  # anything, mostly not JSON
        HOSTILE.map(lambda v: Frame(to_text(v))),  # JSON, mostly not an object
        st.binary(max_size=64).map(lambda b: Frame(b, as_text=False)),  # binary frames
    )
    return st.one_of(typed, typed, typed, garbage)


# Frames after which the protocol requires the connection to fail (RFC 6455 / docs/protocol.md).
CLOSING = st.sampled_from([
    Frame(b'{"type": "chat", "text": "\xff\xfe"}', as_text=True, closes_with=1007, kind="bad utf-8"),
    Frame("x" * (300 * 1024), closes_with=1009, kind="over 256 KiB"),
])


def scripts(context: dict[str, Any], max_frames: int) -> st.SearchStrategy[list[Frame]]:
    """A connection's worth of frames: up to `max_frames` answered ones, and now and then one
    that closes the connection at the end."""
    return st.tuples(st.lists(frames(context), min_size=max_frames // 3, max_size=max_frames),
                     st.none() | st.none() | st.none() | CLOSING).map(
        lambda parts: parts[0] + ([parts[1]] if parts[1] is not None else []))
