"""Helpers of the browser tests: the `hubbub serve` process, REST setup calls, the fake
microphone WAV, console-error collection and screenshots."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SIGNUP_SECRET = "browser-test-secret"
PASSWORD = "correct horse battery"
# Screenshots are test artifacts (CI can upload them); the README's copies in docs/screenshots are
# refreshed with HUBBUB_SCREENSHOT_DIR=docs/screenshots ./dev test tests/browser.
SCREENSHOTS = Path(os.environ.get("HUBBUB_SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "hubbub-screenshots")
# WebRTC needs a real interface: aioice never gathers 127.0.0.1.
HOST = os.environ.get("HUBBUB_TEST_HOST") or "192.0.2.2"


def _host_address() -> str:
    """HOST if this machine has it, else the address the default route leaves from."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((HOST, 0))
        return HOST
    except OSError:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent; picks the outgoing interface
            return str(s.getsockname()[0])


@dataclass
class Server:
    """A running `hubbub serve` process."""

    base: str  # http://host:port/
    process: subprocess.Popen[bytes]
    log_path: Path
    data_dir: Path

    @property
    def origin(self) -> str:
        return self.base.rstrip("/")

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """One REST call from the test itself (setup), raising on errors."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base}api/{path}", data=data, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def register(self, username: str, password: str = PASSWORD) -> str:
        """Create an account and return an access token."""
        self.api("POST", "auth/register", {"username": username, "password": password, "signup_secret": SIGNUP_SECRET})
        return str(self.api("POST", "auth/login", {"username": username, "password": password})["access_token"])

    def create_room(self, token: str, name: str, width: float = 20, height: float = 20, members: tuple[str, ...] = ()) -> str:
        room_id = str(self.api("POST", "rooms", {"name": name, "width": width, "height": height}, token)["room"]["id"])
        for member in members:
            self.api("POST", f"rooms/{room_id}/members", {"username": member}, token)
        return room_id


def start_server(data_dir: Path, log_path: Path, *extra_args: str) -> Server:
    """`hubbub serve` on a free port of the machine's interface; `extra_args` override the defaults."""
    host = _host_address()
    log = open(log_path, "wb")  # noqa: SIM115 - closed when the process ends
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "serve", "--host", host, "--port", "0", "--data-dir", str(data_dir),
         "--signup-secret", SIGNUP_SECRET, "--jwt-secret", "browser-tests-jwt-secret-" + "y" * 40,
         "--bcrypt-cost", "4", "--login-rate-per-ip", "1000", "--login-rate-per-username", "1000",
         "--log-level", "WARNING", *extra_args],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        m = re.search(r"hubbub listening on (http://\S+/)", text)
        if m:
            return Server(m.group(1), process, log_path, data_dir)
        if process.poll() is not None:
            raise RuntimeError(f"hubbub serve exited with {process.returncode}:\n{text}")
        time.sleep(0.1)
    process.kill()
    process.wait()
    raise RuntimeError(f"hubbub serve did not start:\n{log_path.read_text(errors='replace')}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


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
