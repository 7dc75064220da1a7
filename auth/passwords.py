"""bcrypt hashing on a small dedicated thread pool: it never runs on (or starves) the event loop."""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import bcrypt

from auth.errors import InvalidPassword, InvalidUsername, Overloaded

T = TypeVar("T")

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72  # bcrypt ignores (bcrypt>=5: rejects) anything longer
USERNAME_RE = re.compile(r"[A-Za-z0-9_.-]{3,32}")


def check_username(username: str) -> str:
    """3-32 characters of A-Z a-z 0-9 _ . - (unique case-insensitively in the store)."""
    if not USERNAME_RE.fullmatch(username):
        raise InvalidUsername("username must be 3-32 characters of letters, digits, '_', '.' or '-'")
    return username


def check_password(password: str) -> bytes:
    """At least 8 characters and at most 72 bytes in UTF-8; returns the bytes to hash."""
    raw = password.encode("utf-8")
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidPassword(f"password must be at least {MIN_PASSWORD_CHARS} characters")
    if len(raw) > MAX_PASSWORD_BYTES:
        raise InvalidPassword(f"password must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8 (bcrypt's limit)")
    return raw


BCRYPT_NICENESS = 10


def _lower_thread_priority() -> None:
    """Runs in each bcrypt thread: on Linux, nice only this thread, so a burst of logins yields
    the CPU to the event loop (which carries the media path) instead of competing with it."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(os.getpriority(os.PRIO_PROCESS, tid) + BCRYPT_NICENESS, 19))
    except (AttributeError, OSError):  # not Linux, or not permitted: run at normal priority
        pass


def _timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


class PasswordHasher:
    """Async bcrypt; `verify_dummy` spends the same time as a real check for unknown users.

    At most `max_pending` checks wait or run at once: past that a caller gets `Overloaded` at
    once (503 + Retry-After) instead of joining a queue that made 200 concurrent logins wait
    6-13 s each and slowed every other user's login with them.
    """

    def __init__(self, cost: int, threads: int = 2, max_pending: int = 16) -> None:
        self._cost = cost
        self._threads = threads
        self._pool = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="bcrypt", initializer=_lower_thread_priority
        )
        self._dummy: bytes | None = None
        self._max_pending = max_pending
        self._pending = 0
        self._seconds = 0.25  # running mean of one check (cost 12 here), for Retry-After

    @property
    def pending(self) -> int:
        """Checks waiting or running now."""
        return self._pending

    async def _run(self, fn: Callable[[], T]) -> T:
        """`fn` on the bcrypt pool, or Overloaded if `max_pending` are already in."""
        if self._pending >= self._max_pending:
            raise Overloaded(max(1.0, self._seconds * self._pending / self._threads))
        self._pending += 1
        try:
            result, seconds = await asyncio.get_running_loop().run_in_executor(self._pool, _timed, fn)
        finally:
            self._pending -= 1
        self._seconds += 0.2 * (seconds - self._seconds)
        return result

    async def hash(self, password: str) -> str:
        """A new salted bcrypt hash of a valid password."""
        raw = check_password(password)
        hashed = await self._run(lambda: bcrypt.hashpw(raw, bcrypt.gensalt(self._cost)))
        return hashed.decode("ascii")

    async def verify(self, password: str, hashed: str) -> bool:
        """Whether the password matches; passwords bcrypt cannot take simply do not match."""
        raw = password.encode("utf-8")
        fits = len(raw) <= MAX_PASSWORD_BYTES
        # An over-long password still costs one check (same timing) but never matches.
        ok = await self._run(lambda: bcrypt.checkpw(raw if fits else b"-", hashed.encode("ascii")))
        return bool(ok) and fits

    async def warm_up(self) -> None:
        """Make the dummy hash at start (off the loop), so even the first unknown-user login
        costs exactly one check."""
        if self._dummy is None:
            loop = asyncio.get_running_loop()
            self._dummy = await loop.run_in_executor(
                self._pool, lambda: bcrypt.hashpw(b"dummy-password", bcrypt.gensalt(self._cost))
            )

    async def verify_dummy(self, password: str) -> None:
        """Burn one verification's worth of time, so an unknown user answers like a wrong password."""
        await self.warm_up()
        assert self._dummy is not None
        await self.verify(password, self._dummy.decode("ascii"))

    def close(self) -> None:
        """Stop the pool (running hashes finish)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
