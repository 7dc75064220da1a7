"""Room settings over REST: acoustics on create, effective values on read, PATCH by the host only,
every bad value a 400, persistence, upgrade from a 0001 database, and the room_updated hook."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from api_support import Api, AppClient, error_of

from mixer import Acoustics, distance_gain
from store.db import migrations
from store.models import Room
from web.acoustics import USER_FIELDS, room_acoustics
from web.config import Config
from web.keys import HOOKS, STORE

DEFAULTS = {"distance_model": "inverse", "ref_distance": 2.0, "max_distance": 25.0, "rolloff": 1.5,
            "audible_radius": 25.0}


async def get_room(client: AppClient, user: Any, room_id: str) -> dict[str, Any]:
    resp = await client.get(f"/api/rooms/{room_id}", headers=user.auth)
    assert resp.status == 200, await resp.text()
    room: dict[str, Any] = (await resp.json())["room"]
    return room


async def patch(client: AppClient, user: Any, room_id: str, body: Any) -> Any:
    return await client.patch(f"/api/rooms/{room_id}", json=body, headers=user.auth)


def test_documented_defaults_are_the_mixers_and_sound_as_promised() -> None:
    mixer = Acoustics()
    assert {name: getattr(mixer, name) for name in USER_FIELDS} == DEFAULTS
    gains = distance_gain(np.array([1.0, 2.0, 15.0, 24.0, 26.0]), mixer)
    assert gains[0] == gains[1] == 1.0  # a conversation at 1-2 m: full level
    assert 0.05 < gains[2] < 0.1  # 15 m: faint (-20.6 dB) but still mixed
    assert gains[3] > 0 and gains[4] == 0  # beyond the 25 m audible radius: not mixed at all


async def test_rooms_report_default_acoustics_everywhere(client: AppClient, api: Api) -> None:
    alice = await api.user("alice")
    room = await api.room(alice)
    assert room["acoustics"] == DEFAULTS
    assert await get_room(client, alice, room["id"]) == room
    rooms = (await (await client.get("/api/rooms", headers=alice.auth)).json())["rooms"]
    assert rooms == [room]


async def test_create_with_acoustics_fills_in_the_rest(client: AppClient, api: Api) -> None:
    alice = await api.user("alice")
    room = await api.room(alice, acoustics={"distance_model": "linear", "max_distance": 40, "rolloff": 1})
    assert room["acoustics"] == {**DEFAULTS, "distance_model": "linear", "max_distance": 40.0, "rolloff": 1.0}
    assert await get_room(client, alice, room["id"]) == room
    # null and {} mean "the defaults".
    assert (await api.room(alice, name="b", acoustics={}))["acoustics"] == DEFAULTS
    assert (await api.room(alice, name="c", acoustics=None))["acoustics"] == DEFAULTS
    assert (await api.room(alice, name="d", acoustics={"rolloff": None}))["acoustics"] == DEFAULTS
    rooms = (await (await client.get("/api/rooms", headers=alice.auth)).json())["rooms"]
    assert [r["acoustics"]["distance_model"] for r in rooms] == ["linear", "inverse", "inverse", "inverse"]


async def test_host_patches_settings_and_partial_acoustics_merge(client: AppClient, api: Api) -> None:
    host = await api.user("host")
    room = await api.room(host, description="old", max_participants=10,
                          acoustics={"distance_model": "exponential", "rolloff": 2})
    room_id = room["id"]
    resp = await patch(client, host, room_id, {"name": "  Library  ", "acoustics": {"audible_radius": 8.5}})
    assert resp.status == 200, await resp.text()
    updated = (await resp.json())["room"]
    assert updated == {
        **room,
        "name": "Library",
        "acoustics": {**DEFAULTS, "distance_model": "exponential", "rolloff": 2.0, "audible_radius": 8.5},
    }
    assert await get_room(client, host, room_id) == updated
    resp = await patch(client, host, room_id, {"description": "", "max_participants": 3,
                                               "acoustics": {"rolloff": None, "ref_distance": 1}})
    updated = (await resp.json())["room"]
    assert (updated["description"], updated["max_participants"]) == ("", 3)
    assert updated["acoustics"] == {**DEFAULTS, "distance_model": "exponential", "ref_distance": 1.0,
                                    "audible_radius": 8.5}
    # Width, height, id, host and creation time are untouched.
    for key in ("id", "width", "height", "host_id", "created_at"):
        assert updated[key] == room[key], key
    # An empty PATCH changes nothing and answers the room.
    resp = await patch(client, host, room_id, {})
    assert resp.status == 200 and (await resp.json())["room"] == updated


async def test_only_the_host_may_patch(client: AppClient, api: Api) -> None:
    host, bob, eve = await api.user("host"), await api.user("bob"), await api.user("eve")
    room = await api.room(host)
    await api.add(host, room["id"], "bob")
    body = {"name": "mine now", "acoustics": {"rolloff": 0}}
    assert await error_of(await patch(client, bob, room["id"], body)) == (403, "forbidden")
    assert await error_of(await patch(client, eve, room["id"], body)) == (404, "room_not_found")
    assert await error_of(await patch(client, eve, "ffffffffffffffff", body)) == (404, "room_not_found")
    # Authorization comes first: even a malformed body from a non-host is refused as such.
    assert await error_of(await patch(client, bob, room["id"], {"width": 3})) == (403, "forbidden")
    assert await error_of(await patch(client, eve, room["id"], {"acoustics": "x"})) == (404, "room_not_found")
    resp = await client.patch(f"/api/rooms/{room['id']}", json=body)
    assert await error_of(resp) == (401, "unauthorized")
    assert await get_room(client, host, room["id"]) == room
    # When hosting passes on, so does the right to change the room.
    await client.post(f"/api/rooms/{room['id']}/leave", headers=host.auth)
    resp = await patch(client, bob, room["id"], body)
    assert resp.status == 200 and (await resp.json())["room"]["name"] == "mine now"


BAD_ACOUSTICS: list[tuple[Any, str]] = [
    ({"distance_model": "cubic"}, "invalid_value"),
    ({"distance_model": "Inverse"}, "invalid_value"),
    ({"distance_model": ""}, "invalid_value"),
    ({"distance_model": 1}, "invalid_type"),
    ({"ref_distance": -1}, "invalid_value"),
    ({"ref_distance": 0}, "invalid_value"),
    ({"max_distance": -3.5}, "invalid_value"),
    ({"rolloff": -0.1}, "invalid_value"),
    ({"audible_radius": 0}, "invalid_value"),
    ({"audible_radius": -10}, "invalid_value"),
    ({"ref_distance": float("nan")}, "invalid_type"),
    ({"max_distance": float("inf")}, "invalid_type"),
    ({"rolloff": float("-inf")}, "invalid_type"),
    ({"audible_radius": 1e308}, "invalid_value"),
    ({"max_distance": 10**400}, "invalid_value"),  # an integer too big for a float
    ({"rolloff": 101}, "invalid_value"),
    ({"ref_distance": 1001}, "invalid_value"),
    ({"max_distance": 1.5}, "invalid_value"),  # below the default ref_distance of 2 m
    ({"ref_distance": 30}, "invalid_value"),  # beyond the default max_distance of 25 m
    ({"ref_distance": 10, "max_distance": 10}, "invalid_value"),
    ({"reverb": 0.5}, "unknown_field"),
    ({"ramp_samples": 480}, "unknown_field"),  # engine tuning is not a room setting
    ({"ref_distance": "2"}, "invalid_type"),
    ({"rolloff": True}, "invalid_type"),
    ({"audible_radius": [10]}, "invalid_type"),
    ({"rolloff": {"value": 1}}, "invalid_type"),
    ("loud", "invalid_type"),
    ([1, 2], "invalid_type"),
    (3, "invalid_type"),
]


async def test_every_bad_acoustics_value_is_a_400_on_create(client: AppClient, api: Api) -> None:
    alice = await api.user("alice")
    for acoustics, code in BAD_ACOUSTICS:
        resp = await client.post("/api/rooms", json={"name": "r", "acoustics": acoustics}, headers=alice.auth)
        assert await error_of(resp) == (400, code), acoustics
    assert (await (await client.get("/api/rooms", headers=alice.auth)).json())["rooms"] == []


async def test_every_bad_value_is_a_400_on_patch_and_changes_nothing(client: AppClient, api: Api) -> None:
    host = await api.user("host")
    room = await api.room(host)
    bad: list[tuple[Any, str]] = [({"acoustics": a}, code) for a, code in BAD_ACOUSTICS] + [
        ({"name": ""}, "invalid_value"),
        ({"name": "   "}, "invalid_value"),
        ({"name": "x" * 101}, "invalid_value"),
        ({"description": "d" * 1001}, "invalid_value"),
        ({"max_participants": 0}, "invalid_value"),
        ({"max_participants": 501}, "invalid_value"),
        ({"max_participants": 2.5}, "invalid_type"),
        ({"name": 5}, "invalid_type"),
        ({"width": 30}, "immutable_field"),
        ({"height": 30, "name": "ok"}, "immutable_field"),
        ({"colour": "red"}, "unknown_field"),
        # A valid name beside a bad value: all or nothing.
        ({"name": "fine", "acoustics": {"rolloff": -1}}, "invalid_value"),
        ({"name": "fine", "acoustics": {"max_distance": 1}}, "invalid_value"),
    ]
    for body, code in bad:
        assert await error_of(await patch(client, host, room["id"], body)) == (400, code), body
    for raw in (b"{", b"[]", b"", b'"name"'):
        resp = await client.patch(f"/api/rooms/{room['id']}", data=raw,
                                  headers={**host.auth, "Content-Type": "application/json"})
        assert await error_of(resp) == (400, "invalid_json"), raw
    assert await get_room(client, host, room["id"]) == room


async def test_patch_checks_the_merged_whole(client: AppClient, api: Api) -> None:
    host = await api.user("host")
    room = await api.room(host, acoustics={"ref_distance": 1, "max_distance": 5})
    # Valid on their own, each of these clashes with what the room already has.
    resp = await patch(client, host, room["id"], {"acoustics": {"ref_distance": 6}})
    status, code = await error_of(resp)
    assert (status, code) == (400, "invalid_value")
    resp = await patch(client, host, room["id"], {"acoustics": {"ref_distance": 6}})
    assert "max_distance must be > ref_distance" in (await resp.json())["error"]["message"]
    assert await error_of(await patch(client, host, room["id"], {"acoustics": {"max_distance": 1}})) == (
        400, "invalid_value")
    # ...and the same values together with a fitting partner are fine.
    resp = await patch(client, host, room["id"], {"acoustics": {"ref_distance": 6, "max_distance": 60}})
    assert (await resp.json())["room"]["acoustics"] == {**DEFAULTS, "ref_distance": 6.0, "max_distance": 60.0}
    # Resetting max_distance to its default (25 m) under ref_distance 30 m would break the rule.
    await patch(client, host, room["id"], {"acoustics": {"ref_distance": 30, "max_distance": 60}})
    assert await error_of(await patch(client, host, room["id"], {"acoustics": {"max_distance": None}})) == (
        400, "invalid_value")


async def test_concurrent_patches_merge_and_are_checked_together(client: AppClient, api: Api) -> None:
    host = await api.user("host")
    room = await api.room(host)
    # Different fields at once: both land.
    both = await asyncio.gather(patch(client, host, room["id"], {"acoustics": {"rolloff": 0.5}}),
                                patch(client, host, room["id"], {"acoustics": {"audible_radius": 12}}))
    assert [r.status for r in both] == [200, 200]
    assert (await get_room(client, host, room["id"]))["acoustics"] == {**DEFAULTS, "rolloff": 0.5,
                                                                       "audible_radius": 12.0}
    # Each fine alone (defaults: ref 2 m, max 25 m), not together: whichever comes second is refused.
    clash = await asyncio.gather(patch(client, host, room["id"], {"acoustics": {"max_distance": 5}}),
                                 patch(client, host, room["id"], {"acoustics": {"ref_distance": 10}}))
    assert sorted(r.status for r in clash) == [200, 400]
    final = (await get_room(client, host, room["id"]))["acoustics"]
    assert final["ref_distance"] < final["max_distance"]


async def test_room_updated_hook_gets_the_committed_room(client: AppClient, api: Api) -> None:
    seen: list[Room] = []
    committed: list[Room] = []
    settings: list[Acoustics] = []

    async def on_updated(room: Room, acoustics: Acoustics) -> None:
        seen.append(room)
        settings.append(acoustics)
        # Fired after commit: a fresh read already returns the new state.
        committed.append(await client.app[STORE].rooms.get(room.id))  # type: ignore[index]

    async def broken(room: Room, acoustics: Acoustics) -> None:
        raise RuntimeError("a failing listener must not break the request")

    client.app[HOOKS].room_updated += [broken, on_updated]  # type: ignore[index]
    host, bob = await api.user("host"), await api.user("bob")
    room = await api.room(host, acoustics={"distance_model": "linear"})
    await api.add(host, room["id"], "bob")
    assert seen == []  # creating a room is not an update
    resp = await patch(client, host, room["id"], {"name": "Hall", "acoustics": {"rolloff": 0.75}})
    assert resp.status == 200
    assert len(seen) == 1 and committed == seen
    got = seen[0]
    assert (got.id, got.name, got.acoustics) == (room["id"], "Hall", {"distance_model": "linear", "rolloff": 0.75})
    # What the live layer hands to MediaPlane.set_acoustics: the checked value, as stored.
    assert settings == [Acoustics(distance_model="linear", rolloff=0.75)] == [room_acoustics(got)]
    # Refused or empty changes fire nothing.
    await patch(client, bob, room["id"], {"name": "x"})
    await patch(client, host, room["id"], {"acoustics": {"rolloff": -1}})
    await patch(client, host, room["id"], {})
    assert len(seen) == 1


async def test_settings_survive_a_restart(make_client: Any) -> None:
    client = await make_client()
    api = Api(client)
    host = await api.user("host")
    room = await api.room(host, acoustics={"distance_model": "exponential"})
    resp = await patch(client, host, room["id"], {"description": "quiet", "acoustics": {"audible_radius": 12}})
    before = (await resp.json())["room"]
    await client.close()
    client = await make_client()
    host = await Api(client).login("host")
    assert await get_room(client, host, room["id"]) == before
    assert before["acoustics"] == {**DEFAULTS, "distance_model": "exponential", "audible_radius": 12.0}
    assert before["description"] == "quiet"


async def test_rooms_from_a_0001_database_read_and_patch_fine(config: Config, make_client: Any) -> None:
    # A data directory left by a server that only had migration 0001.
    client = await make_client()
    host = await Api(client).user("host")
    room = await Api(client).room(host, name="Before")
    await client.close()
    with sqlite3.connect(config.database_path) as db:  # rebuild it as 0001 left it
        rows = db.execute("SELECT id, name, description, width, height, max_participants, host_id, created_at"
                          " FROM rooms").fetchall()
        db.execute("ALTER TABLE rooms DROP COLUMN acoustics")
        db.execute("PRAGMA user_version = 1")
    db.close()
    assert rows[0][:2] == (room["id"], "Before")
    client = await make_client()
    with sqlite3.connect(config.database_path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (len(migrations()),)
    db.close()
    host = await Api(client).login("host")
    assert await get_room(client, host, room["id"]) == room
    assert room["acoustics"] == DEFAULTS
    resp = await patch(client, host, room["id"], {"acoustics": {"rolloff": 3}})
    assert (await resp.json())["room"]["acoustics"] == {**DEFAULTS, "rolloff": 3.0}


async def test_stored_acoustics_the_mixer_rejects_fall_back_to_defaults(
    client: AppClient, api: Api
) -> None:
    host = await api.user("host")
    room = await api.room(host, acoustics={"rolloff": 3})
    store = client.app[STORE]  # type: ignore[index]
    async with store.db.transaction() as conn:  # e.g. written before a stricter mixer
        await conn.execute("UPDATE rooms SET acoustics = ? WHERE id = ?",
                           (json.dumps({"ref_distance": -4}), room["id"]))
    assert (await get_room(client, host, room["id"]))["acoustics"] == DEFAULTS
    # The host repairs them with a PATCH.
    resp = await patch(client, host, room["id"], {"acoustics": {"ref_distance": 1}})
    assert resp.status == 200
    assert (await resp.json())["room"]["acoustics"] == {**DEFAULTS, "ref_distance": 1.0}


def test_room_acoustics_fills_defaults_around_the_overrides() -> None:
    room = Room("r", "n", "", 20.0, 20.0, 50, "h", 0, {"distance_model": "linear", "max_distance": 40.0})
    assert room_acoustics(room) == replace(Acoustics(), distance_model="linear", max_distance=40.0)
    assert room_acoustics(replace(room, acoustics={})) == Acoustics()



async def test_the_documented_example_rooms_are_accepted(client: AppClient, api: Api) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    section = text.split("## Room acoustics", 1)[1].split("\n## ", 1)[0]
    examples = [json.loads(m) for m in re.findall(r"^\| [^|]+ \| `(\{.*\})` \|$", section, re.M)]
    assert len(examples) == 4
    host = await api.user("host")
    for acoustics in examples:
        room = await api.room(host, acoustics=acoustics)
        assert room["acoustics"] == {**DEFAULTS, **acoustics}
