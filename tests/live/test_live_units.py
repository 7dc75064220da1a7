"""Pure parts of the live layer, with the time passed in: parsing, flood guard, room batching."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from web.live import messages
from web.live.codes import ErrorCode
from web.live.protocol import (
    Ice,
    Join,
    Mix,
    Move,
    ProtocolError,
    normalise_heading,
    parse_message,
)
from web.live.ratelimit import FloodGuard, FloodPolicy, TokenBucket, Verdict
from mixer import Activity
from web.live.room import OutOfBounds, RoomFull, RoomState


def test_parse_typed_messages() -> None:
    assert parse_message('{"type":"join","room":"r1","id":"a"}') == Join("r1", "a")
    assert parse_message('{"type":"move","x":1,"y":2.5,"heading":-90}') == Move(1.0, 2.5, 270.0)
    assert parse_message('{"type":"mix","user":"u","volume":1.5}') == Mix("u", None, 1.5)
    assert parse_message('{"type":"ice","candidate":null}') == Ice(None, None, None)


@pytest.mark.parametrize("text,code", [
    ("", ErrorCode.INVALID_JSON),
    ('"just a string"', ErrorCode.BAD_MESSAGE),
    ('{"type":"move","x":NaN,"y":0,"heading":0}', ErrorCode.INVALID_FIELD),
    ('{"type":"move","x":0,"y":0,"heading":1e400}', ErrorCode.INVALID_FIELD),
    ('{"type":"ping","id":true}', ErrorCode.INVALID_FIELD),
    ('{"type":"ping","id":"' + "x" * 65 + '"}', ErrorCode.INVALID_FIELD),
    ('{"type":"ice","candidate":"c","sdp_mline_index":-1}', ErrorCode.INVALID_FIELD),
    ("[" * 100_000, ErrorCode.TOO_LARGE),
    ("[" * 20_000, ErrorCode.INVALID_JSON),
])
def test_parse_rejects(text: str, code: ErrorCode) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_message(text)
    assert info.value.code == code


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_heading_always_lands_in_range(h: float) -> None:
    n = normalise_heading(h)
    assert 0.0 <= n < 360.0
    assert math.isclose(math.cos(math.radians(n)), math.cos(math.radians(h % 360.0)), abs_tol=1e-6)


@given(st.text(max_size=200))
def test_any_text_parses_or_raises_protocol_error(text: str) -> None:
    try:
        parse_message(text)
    except ProtocolError as exc:
        assert exc.code in ErrorCode


def test_error_message_shape() -> None:
    body = json.loads(messages.error(ErrorCode.ROOM_FULL, "full", 7))
    assert body == {"type": "error", "id": 7, "code": "room_full", "message": "full"}


def test_token_bucket_refills_with_time() -> None:
    bucket = TokenBucket(rate=10, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.1) and not bucket.take(0.1)
    assert [bucket.take(10.0) for _ in range(4)] == [True, True, True, False]


def test_flood_guard_warns_once_per_flood_and_closes_on_abuse() -> None:
    guard = FloodGuard(FloodPolicy(rate=10, burst=5, excess_burst=20, excess_rate=1), now=0.0)
    verdicts = [guard.check(0.0) for _ in range(10)]
    assert verdicts == [Verdict.ACCEPT] * 5 + [Verdict.DROP_AND_WARN] + [Verdict.DROP] * 4
    assert guard.check(1.0) is Verdict.ACCEPT  # slowed down: a new flood warns again
    assert [guard.check(1.0) for _ in range(10)].count(Verdict.DROP_AND_WARN) == 1
    verdicts = [guard.check(1.0) for _ in range(20)]
    assert Verdict.CLOSE in verdicts and verdicts.index(Verdict.CLOSE) < 20


def test_room_capacity_and_spawn_inside_floor() -> None:
    room = RoomState("r", 4.0, 3.0, capacity=30)
    for i in range(30):
        p = room.add(f"u{i}", f"user{i}")
        assert 0 <= p.x <= 4.0 and 0 <= p.y <= 3.0
    with pytest.raises(RoomFull):
        room.add("u31", "late")
    room.remove("u0")
    room.add("u31", "late")


def test_positions_are_batched_at_most_once_per_interval() -> None:
    room = RoomState("r", 20.0, 20.0, capacity=200, positions_interval=0.05)
    for i in range(100):
        room.add(f"u{i}", f"user{i}")
    batches = []
    now = 0.0
    # 100 members moving at 30 Hz for 1 s, the hub flushing whenever a batch is due
    for step in range(30):
        now = step / 30
        for i in range(100):
            room.move(f"u{i}", 1 + step * 0.1, 1 + i * 0.1, step)
        if room.positions_due(now) <= now:
            batches.append(room.take_positions(now))
    assert len(batches) == 15  # at most 20/s; here every other 30 Hz step
    assert all(len(b) == 100 for b in batches)
    assert room.take_positions(now) == []  # too early
    assert room.positions_due(now) == pytest.approx(28 / 30 + 0.05)  # last batch went at step 28
    assert len(room.take_positions(28 / 30 + 0.05)) == 100
    assert room.take_positions(now + 0.2) == []  # nothing changed


def test_moves_outside_the_floor_are_refused() -> None:
    room = RoomState("r", 10.0, 5.0, capacity=2)
    room.add("a", "alice")
    for x, y in ((-0.001, 1), (10.001, 1), (1, 5.5)):
        with pytest.raises(OutOfBounds):
            room.move("a", x, y, 0)
    assert room.move("a", 10.0, 5.0, 0)
    assert not room.move("a", 10.0, 5.0, 0)


def test_speaking_changes_only() -> None:
    room = RoomState("r", 10.0, 10.0, capacity=5, speaking_interval=0.15, speaking_step_db=3.0)
    room.add("a", "alice")
    room.add("b", "bob")
    room.set_activity({"a": Activity(-20.0, True), "b": Activity(-80.0, False), "ghost": Activity(-1.0, True)})
    assert room.take_speaking(0.0) == [{"id": "a", "level": -20.0, "speaking": True}]
    room.set_activity({"a": Activity(-21.0, True)})
    assert room.take_speaking(0.2) == []
    room.set_activity({"a": Activity(-25.0, True)})
    assert room.take_speaking(0.25) == [{"id": "a", "level": -25.0, "speaking": True}]
    room.set_activity({"a": Activity(-90.0, False), "b": Activity(-10.0, True)})
    assert room.take_speaking(0.3) == []  # too early
    assert room.take_speaking(0.4) == [{"id": "a", "level": -90.0, "speaking": False},
                                       {"id": "b", "level": -10.0, "speaking": True}]
    room.set_activity({"a": Activity(-math.inf, False)})
    assert room.take_speaking(1.0) == [{"id": "b", "level": -127.0, "speaking": False}]


def test_settings_keep_dead_socket_detection_within_15_seconds() -> None:
    from web.live.settings import LiveSettings

    assert LiveSettings().heartbeat * 1.5 <= 15.0  # ping period + pong deadline (heartbeat / 2)
    with pytest.raises(ValueError):
        LiveSettings(heartbeat=11.0)
    with pytest.raises(ValueError):
        LiveSettings(max_frame_bytes=16 * 1024)  # would cut SDP offers
