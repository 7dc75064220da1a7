"""Pure pieces of auth: token codec, password rules, hashing off the loop, rate limiter."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import jwt
import pytest

from auth.errors import InvalidPassword, InvalidUsername, Unauthenticated
from auth.passwords import PasswordHasher, check_password, check_username
from auth.ratelimit import RateLimiter
from auth.tokens import TokenCodec

SECRET = "s" * 64


def test_token_round_trip_and_claims() -> None:
    codec = TokenCodec(SECRET, ttl=600)
    issued = codec.issue("user-1", version=3, api_key_id="key-1", now=1_000_000)
    raw = jwt.decode(issued.token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert raw == {"sub": "user-1", "iat": 1_000_000, "exp": 1_000_600, "ver": 3, "akid": "key-1"}
    assert jwt.get_unverified_header(issued.token)["alg"] == "HS256"
    fresh = codec.issue("user-1", version=3)
    claims = codec.decode(fresh.token)
    assert (claims.user_id, claims.version, claims.api_key_id) == ("user-1", 3, None)
    assert claims.expires_at - claims.issued_at == 600


def test_token_rejections() -> None:
    codec = TokenCodec(SECRET, ttl=600)
    now = int(time.time())
    expired = codec.issue("u", 0, now=now - 601).token
    other_key = TokenCodec("o" * 64, ttl=600).issue("u", 0).token
    none_alg = jwt.encode({"sub": "u", "iat": now, "exp": now + 60}, None, algorithm="none")
    hs512 = jwt.encode({"sub": "u", "iat": now, "exp": now + 60}, SECRET, algorithm="HS512")
    bad_types = jwt.encode({"sub": 5, "iat": now, "exp": now + 60}, SECRET, algorithm="HS256")
    bad_ver = jwt.encode({"sub": "u", "iat": now, "exp": now + 60, "ver": "0"}, SECRET, algorithm="HS256")
    no_iat = jwt.encode({"sub": "u", "exp": now + 60}, SECRET, algorithm="HS256")
    for token in (expired, other_key, none_alg, hs512, bad_types, bad_ver, no_iat, "", "a.b.c"):
        with pytest.raises(Unauthenticated):
            codec.decode(token)


def test_username_rule() -> None:
    for ok in ("abc", "a" * 32, "A.b-c_9"):
        assert check_username(ok) == ok
    for bad in ("ab", "a" * 33, "a b", "ä" * 5, "a/b", "a\nb", "abc\n"):
        with pytest.raises(InvalidUsername):
            check_username(bad)


def test_password_rule_counts_utf8_bytes() -> None:
    assert check_password("12345678") == b"12345678"
    assert len(check_password("€" * 24)) == 72
    with pytest.raises(InvalidPassword):
        check_password("1234567")
    with pytest.raises(InvalidPassword, match="72 bytes"):
        check_password("€" * 25)  # 25 characters, 75 bytes


async def test_hasher_verifies_and_never_matches_overlong() -> None:
    hasher = PasswordHasher(cost=4)
    try:
        hashed = await hasher.hash("correct horse")
        assert hashed.startswith("$2b$04$")
        assert await hasher.verify("correct horse", hashed)
        assert not await hasher.verify("wrong horse", hashed)
        assert not await hasher.verify("x" * 100, hashed)
        await hasher.verify_dummy("anything")
    finally:
        hasher.close()


async def test_hashing_leaves_the_loop_free() -> None:
    hasher = PasswordHasher(cost=10, threads=2)  # tens of ms per hash
    try:
        lags: list[float] = []

        async def ticker() -> None:
            while True:
                start = time.perf_counter()
                await asyncio.sleep(0.002)
                lags.append(time.perf_counter() - start - 0.002)

        task = asyncio.create_task(ticker())
        start = time.perf_counter()
        await asyncio.gather(*(hasher.hash(f"password-{i}") for i in range(12)))
        elapsed = time.perf_counter() - start
        task.cancel()
        lags.sort(reverse=True)
        # Hashing on the loop would stall it 12 times for a whole hash; the 6th-worst lag
        # ignores the scheduler hiccups of this loaded, shared machine.
        assert elapsed > 0.05 and lags[5] < 0.05, (elapsed, lags[:8])
    finally:
        hasher.close()


async def test_bcrypt_threads_run_at_lower_priority() -> None:
    hasher = PasswordHasher(cost=4)
    try:
        await hasher.hash("warm the pool up")
        loop = asyncio.get_running_loop()
        own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        pool_nice = await loop.run_in_executor(
            hasher._pool, lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        )
        assert pool_nice == min(own + 10, 19)
    finally:
        hasher.close()


def test_rate_limiter_allows_a_burst_then_refills_evenly() -> None:
    now = [100.0]
    limiter = RateLimiter(limit=3, window=9, clock=lambda: now[0])
    assert [limiter.hit("k") for _ in range(3)] == [0, 0, 0]  # a burst of `limit`
    assert limiter.hit("k") == pytest.approx(3)  # then one every window/limit = 3 s
    assert limiter.hit("other") == 0
    now[0] += 2
    assert limiter.hit("k") == pytest.approx(1)
    now[0] += 1
    assert limiter.hit("k") == 0
    assert limiter.hit("k") == pytest.approx(3)
    now[0] += 9
    assert [limiter.hit("k") for _ in range(3)] == [0, 0, 0]  # a whole window later: a full burst again
    # Over a long run at most limit per window get through.
    allowed = 0
    for _ in range(900):
        now[0] += 0.1
        allowed += limiter.hit("steady") == 0
    assert 30 <= allowed <= 33
