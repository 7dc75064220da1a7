"""The login limiter under attack (issue 13 defect 2): O(1) per check with 100,000 keys, bounded
memory, no key per username from an address already refused; device tokens (OWASP device
cookies) against account lock-out; the bcrypt queue bounded."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from auth.devicetokens import DeviceTokens
from auth.errors import InvalidCredentials, Overloaded, RateLimited
from auth.passwords import PasswordHasher
from auth.principal import Principal
from auth.ratelimit import RateLimiter
from auth.service import AuthService
from store import Store

PASSWORD = "correct horse battery"


def _per_check_us(limiter: RateLimiter, keys: list[str]) -> float:
    start = time.perf_counter()
    for key in keys:
        limiter.hit(key)
    return (time.perf_counter() - start) / len(keys) * 1e6


def test_a_check_costs_the_same_at_100000_keys_and_memory_is_capped() -> None:
    now = [0.0]
    limiter = RateLimiter(limit=10, window=60, max_keys=100_000, clock=lambda: now[0])
    small = _per_check_us(limiter, [f"a{i}" for i in range(1000)])
    for i in range(100_000):  # 100,000 keys, none drained yet (one hit drains in window/limit = 6 s)
        limiter.hit(f"user:{i}")
        now[0] += 0.00005  # 5 s in all
    assert len(limiter) == 100_000
    fresh = _per_check_us(limiter, [f"new{i}" for i in range(20_000)])  # each one evicts the oldest
    known = _per_check_us(limiter, [f"user:{i}" for i in range(90_000, 100_000)])
    print(f"\nlimiter: {small:.2f} us/check at 1,000 keys, {fresh:.2f} (new keys) and {known:.2f} "
          f"(known keys) at 100,000")
    assert len(limiter) == 100_000  # the cap holds
    # The old limiter scanned the whole table on every check beyond 10,000 keys (3.4 ms each).
    assert fresh < 30 and known < 30, (fresh, known)
    now[0] += 61
    limiter.hit("later")  # a window later every old key has drained and is forgotten
    assert len(limiter) == 1


def test_drained_keys_are_forgotten_without_a_scan() -> None:
    now = [0.0]
    limiter = RateLimiter(limit=2, window=10, clock=lambda: now[0])
    for i in range(1000):
        limiter.hit(f"k{i}")
        now[0] += 0.001
    assert len(limiter) == 1000
    now[0] += 4.5  # one hit fills window/limit = 5 s of bucket: the first 500 keys have drained
    limiter.hit("x")
    assert 490 <= len(limiter) <= 510


@pytest.fixture
async def service(tmp_path: Path) -> AuthService:
    store = await Store.open(tmp_path / "db.sqlite3")

    class Hooks:
        async def fire_member_removed(self, room_id: str, user_id: str) -> None: ...

        async def fire_credentials_revoked(self, user_id: str) -> None: ...

    auth = AuthService(store, Hooks(), signup_secret="s", jwt_secret="j" * 40, token_ttl=600, bcrypt_cost=4,
                       rate_per_ip=5, rate_per_username=3, rate_window=60)
    await auth.register("alice", PASSWORD, "s", "10.0.0.1")
    yield auth
    auth.close()
    await store.close()


async def test_a_refused_address_adds_no_key_per_username(service: AuthService) -> None:
    for i in range(4):  # the 5th attempt of 10.0.0.66 (register counted one for 10.0.0.1 only)
        with pytest.raises(InvalidCredentials):
            await service.login(f"name{i}", "guess guess", "10.0.0.66")
    with pytest.raises(InvalidCredentials):
        await service.login("name4", "guess guess", "10.0.0.66")
    accounts = len(service._by_account)
    for i in range(100):
        with pytest.raises(RateLimited):
            await service.login(f"other{i}", "guess guess", "10.0.0.66")
    assert len(service._by_account) == accounts  # the old limiter stored 100 more usernames


async def test_a_locked_account_still_lets_its_owner_in_with_a_device_token(service: AuthService) -> None:
    # The account allows 3 attempts a minute: registering was one, the owner's login is two.
    _, _, device = await service.login("alice", PASSWORD, "10.0.0.1")  # the owner's browser, earlier
    with pytest.raises(InvalidCredentials):  # a stranger uses up the third
        await service.login("alice", "guess guess", "203.0.113.1")
    for n in range(2, 5):  # ... and now every stranger is refused, whatever their address
        with pytest.raises(RateLimited):
            await service.login("alice", "guess guess", f"203.0.113.{n}")
    with pytest.raises(RateLimited):
        await service.login("alice", PASSWORD, "203.0.113.9")  # even the right password, without a token
    user, _, renewed = await service.login("alice", PASSWORD, "10.0.0.1", device)  # the owner gets in
    assert user.username == "alice" and renewed != device
    assert service.devices.nonce(renewed, user.id) is not None
    # A forged, foreign or tampered token is just no token.
    for bad in ("x", device.replace(".", ":"), device[:-2] + "AA", DeviceTokens("k" * 40).issue(user.id),
                "é" * 10):
        with pytest.raises(RateLimited):
            await service.login("alice", PASSWORD, "10.0.0.2", bad)


async def test_password_rechecks_are_limited_like_logins(service: AuthService) -> None:
    user, _, _ = await service.login("alice", PASSWORD, "10.0.0.1")
    me = Principal(user.id, user.username, api_key_id="k")  # e.g. a bot's API key
    with pytest.raises(InvalidCredentials):  # the account's third attempt (register, login, this)
        await service.delete_account(me, "guess guess", "198.51.100.1")
    with pytest.raises(RateLimited):
        await service.change_password(me, "guess guess", "new password!", "198.51.100.2")
    with pytest.raises(RateLimited):
        await service.delete_account(me, PASSWORD, "198.51.100.3")


async def test_the_bcrypt_queue_is_bounded_and_sheds_with_a_retry_hint() -> None:
    hasher = PasswordHasher(cost=10, threads=1, max_pending=3)  # ~65 ms per check here
    try:
        hashed = await hasher.hash(PASSWORD)
        start = time.perf_counter()
        results = await asyncio.gather(*(hasher.verify(PASSWORD, hashed) for _ in range(10)),
                                       return_exceptions=True)
        elapsed = time.perf_counter() - start
        shed = [r for r in results if isinstance(r, Overloaded)]
        assert results.count(True) == 3 and len(shed) == 7
        assert all(r.retry_after >= 1 for r in shed)
        assert elapsed < 3 * 0.065 * 3  # only the three admitted checks were waited for
        assert hasher.pending == 0
    finally:
        hasher.close()
