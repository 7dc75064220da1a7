"""TURN credentials in the protocol: `joined` and `ice_servers` carry the static servers plus a
TURN entry minted for the user from the shared secret (coturn's REST scheme), fresh each time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from live_support import Live, MakeLive

from rtc import turncredentials

SECRET = "shared-with-coturn"


def _valid_for(entry: dict[str, object], user_id: str) -> float:
    """Seconds the minted credential stays valid; asserts it is coturn's HMAC of its username."""
    username, credential = str(entry["username"]), str(entry["credential"])
    expected = base64.b64encode(hmac.new(SECRET.encode(), username.encode(), hashlib.sha1).digest()).decode()
    assert credential == expected and username.endswith(":" + user_id)
    expiry = turncredentials.expiry_of(username)
    assert expiry is not None
    return expiry - time.time()


async def test_joined_and_ice_servers_carry_minted_turn_credentials(make_live: MakeLive) -> None:
    live: Live = await make_live({"turn_urls": ("turn:turn.example.org:3478?transport=udp",),
                                  "turn_secret": SECRET, "turn_ttl": 3600})
    alice = await live.api.user("alice")
    room = await live.api.room(alice)
    a, joined = await live.join(alice, room)
    static, turn = joined["ice_servers"][:2], joined["ice_servers"][2]
    assert static == [{"urls": ["stun:stun.example.org:3478"]},
                      {"urls": ["turn:turn.example.org"], "username": "u", "credential": "p"}]
    assert turn["urls"] == ["turn:turn.example.org:3478?transport=udp"]
    assert 3590 < _valid_for(turn, alice.id) <= 3600
    await a.send(type="ice_servers", id="fresh")
    reply = await a.expect("ice_servers", id="fresh")
    assert reply["ice_servers"][:2] == static and 3590 < _valid_for(reply["ice_servers"][2], alice.id) <= 3600
    health = await (await live.client.get("/health")).text()  # operators see the TURN setup, not its secret
    assert "turn:turn.example.org:3478?transport=udp" in health and SECRET not in health


async def test_without_a_turn_secret_only_the_static_servers(live: Live) -> None:
    bob = await live.api.user("bob")
    b = await live.connect(bob)
    await b.send(type="ice_servers", id=1)
    reply = await b.expect("ice_servers", id=1)  # also before joining a room
    assert reply["ice_servers"] == [{"urls": ["stun:stun.example.org:3478"]},
                                    {"urls": ["turn:turn.example.org"], "username": "u", "credential": "p"}]
