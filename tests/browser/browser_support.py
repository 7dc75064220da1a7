"""Helpers of the browser tests: the `hubbub serve` process, REST setup calls, the fake
microphone WAV, console-error collection and screenshots."""

from __future__ import annotations

import asyncio
import math
import os
import re
import struct
import tempfile
import threading
import time
import wave
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page
from serverproc import PASSWORD, SIGNUP_SECRET, Server, start_server, stop_server  # noqa: F401 - re-exported to the tests

# 127.0.0.1 is a secure context for Chromium; pages loaded through this name are not (plain http on
# a non-local name), which is how the tests see the client without a microphone API.
INSECURE_HOST = "insecure.test"
# Screenshots are test artifacts (CI can upload them); the README's copies in docs/screenshots are
# refreshed with HUBBUB_SCREENSHOT_DIR=docs/screenshots ./dev test tests/browser.
SCREENSHOTS = Path(os.environ.get("HUBBUB_SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "hubbub-screenshots")


def restart_server(server: Server) -> None:
    """Stop the server and start it again on the same address and data (tokens stay valid)."""
    stop_server(server)
    assert server.process.returncode == 0, server.log_path.read_text(errors="replace")[-4000:]
    port = server.base.rsplit(":", 1)[1].split("/", 1)[0]
    log_path = server.log_path.with_name(server.log_path.stem + "-restarted.log")
    again = start_server(server.data_dir, log_path, "--port", port)
    assert again.base == server.base, (again.base, server.base)
    server.process, server.log_path = again.process, again.log_path


def write_tone_wav(path: Path, freq: float = 330.0, seconds: float = 4.0, amplitude: float = 0.2,
                   rate: int = 48000) -> Path:
    """A mono 16-bit WAV tone (the fake microphone; Chromium loops it)."""
    n = int(seconds * rate)
    frames = b"".join(
        struct.pack("<h", int(amplitude * 32767 * math.sin(2 * math.pi * freq * i / rate))) for i in range(n)
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


@dataclass
class ConsoleLog:
    """Console errors and uncaught page errors, minus the HTTP failures a test expects."""

    errors: list[str] = field(default_factory=list)
    network_errors: list[str] = field(default_factory=list)  # e.g. an answer that leaves loopback
    allowed_statuses: set[int] = field(default_factory=set)
    allowed_patterns: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """An error the browser itself logs in an expected situation (e.g. a refused connection)."""
        self.allowed_patterns.append(re.compile(pattern))

    def allow_http(self, *statuses: int) -> None:
        """Chromium logs every 4xx fetch as a console error; an error-flow test expects some."""
        self.allowed_statuses.update(statuses)

    def on_console(self, msg: ConsoleMessage) -> None:
        if msg.type != "error":
            return
        m = re.match(r"Failed to load resource: the server responded with a status of (\d+)", msg.text)
        if m and int(m.group(1)) in self.allowed_statuses:
            return
        if any(p.search(msg.text) for p in self.allowed_patterns):
            return
        self.errors.append(f"console.error: {msg.text} ({msg.location.get('url', '')})")

    def on_page_error(self, exc: Error) -> None:
        self.errors.append(f"uncaught: {exc}")


@dataclass
class Session:
    """One browser context (one person) with its page and console log."""

    context: BrowserContext
    page: Page
    console: ConsoleLog


NewSession = Callable[..., Session]


def signed_in(server: Server, new_session: NewSession, username: str, **kwargs: Any) -> Session:
    """A session already logged in as `username` (account created through the API)."""
    token = server.register(username)
    me = server.api("GET", "me", token=token)["user"]
    return new_session(token_for=token, user={"id": me["id"], "username": me["username"]}, **kwargs)


def screenshot(page: Page, name: str) -> Path:
    """Save a screenshot artifact (see SCREENSHOTS)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.evaluate("document.getElementById('toast').classList.remove('show')")
    page.wait_for_timeout(250)  # the toast's exit transition
    page.screenshot(path=str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000, path
    return path


T = TypeVar("T")


class LoopThread:
    """An asyncio loop on its own thread, for the bot (Playwright's sync API owns the main thread)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bot-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        async def drain() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(drain())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def levels(page: Page) -> tuple[float, float]:
    meter = page.locator(".meter")
    left, right = meter.get_attribute("data-left-db"), meter.get_attribute("data-right-db")
    return float(left or "-inf"), float(right or "-inf")


def wait_for_levels(page: Page, ok: Any, what: str, timeout: float = 20.0, hold: int = 5) -> tuple[float, float]:
    """Poll the page's meter (10 readings/s) until `ok(l, r)` holds for `hold` readings in a row."""
    deadline = time.monotonic() + timeout
    streak, seen = 0, []
    while time.monotonic() < deadline:
        lr = levels(page)
        seen.append(lr)
        streak = streak + 1 if ok(*lr) else 0
        if streak >= hold:
            return lr
        page.wait_for_timeout(100)
    raise AssertionError(f"{what}: last meter readings (L dB, R dB) {seen[-10:]}")
