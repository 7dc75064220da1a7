"""A real `hubbub serve` process for functional tests, on 127.0.0.1 only (HTTP and media:
`--ice-addresses 127.0.0.1`), plus the REST calls tests use to set up users, API keys and rooms."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SIGNUP_SECRET = "functional-test-secret"
PASSWORD = "correct horse battery"
HOST = "127.0.0.1"
LOOPBACK = (HOST,)  # ICE addresses of every test peer: no test sends a packet off this machine's loopback


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

    def api_key(self, token: str, name: str = "bot") -> str:
        """A new API key of the token's user."""
        return str(self.api("POST", "me/api-keys", {"name": name}, token)["key"])

    def create_room(self, token: str, name: str, width: float = 20, height: float = 20,
                    members: tuple[str, ...] = ()) -> str:
        room_id = str(self.api("POST", "rooms", {"name": name, "width": width, "height": height}, token)["room"]["id"])
        for member in members:
            self.api("POST", f"rooms/{room_id}/members", {"username": member}, token)
        return room_id

    def health(self) -> Any:
        with urllib.request.urlopen(f"{self.base}health", timeout=10) as resp:
            return json.loads(resp.read())

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(data_dir: Path, log_path: Path, *extra: str) -> Server:
    """Start `hubbub serve` on a free port of 127.0.0.1 (media too); wait until it listens."""
    log = open(log_path, "wb")  # noqa: SIM115 - the child owns it; closed here after the fork
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "serve", "--host", HOST, "--port", "0", "--ice-addresses", HOST,
         "--data-dir", str(data_dir), "--signup-secret", SIGNUP_SECRET,
         "--jwt-secret", "functional-tests-jwt-secret-" + "y" * 40, "--bcrypt-cost", "4",
         "--login-rate-per-ip", "1000", "--login-rate-per-username", "1000", "--log-level", "WARNING", *extra],
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


def stop_server(server: Server, timeout: float = 15) -> int:
    """SIGTERM and wait (SIGKILL after ``timeout``); the exit code."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    return server.process.returncode
