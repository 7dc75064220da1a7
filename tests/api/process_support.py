"""A real `hubbub serve` process on 127.0.0.1 for the API tests that need one (signals, exit
codes, the HTTP server under the app, what reaches the process's own log)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp

HUBBUB = Path(sys.executable).parent / "hubbub"
PASSWORD = "correct horse battery"


class Server:
    """One `hubbub serve --port 0` process on a data directory."""

    def __init__(self, data_dir: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.extra = extra
        self.env = env or {}
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""
        self.stdout: list[str] = []
        # stderr (the JSON log) goes to a file: a pipe nobody reads would stall a chatty server
        self.log_path = data_dir.parent / f"{data_dir.name}-stderr.log"
        self.stderr = ""

    async def start(self) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUBBUB_")}
        env.update({"HUBBUB_BCRYPT_COST": "4", **self.env})
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                str(HUBBUB), "serve", "--port", "0", "--data-dir", str(self.data_dir), *self.extra,
                stdout=asyncio.subprocess.PIPE, stderr=log, env=env,
            )
        assert self.proc.stdout is not None
        while True:
            line = (await asyncio.wait_for(self.proc.stdout.readline(), 30)).decode()
            assert line, "server exited before listening: " + self.log_text()
            self.stdout.append(line)
            m = re.match(r"hubbub listening on (http://127\.0\.0\.1:(\d+))/", line)
            if m:
                assert int(m.group(2)) > 0
                self.url = m.group(1)
                return self

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        rest, _ = await asyncio.wait_for(self.proc.communicate(), 30)
        self.stdout += rest.decode().splitlines(keepends=True)
        self.stderr = self.log_text()
        return self.proc.returncode  # type: ignore[return-value]

    async def kill(self) -> None:
        """SIGKILL if still running (test clean-up)."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def log_text(self) -> str:
        """Everything the process wrote to stderr so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


async def signup_secret(data_dir: Path) -> str:
    return (data_dir / "signup_secret").read_text().strip()


async def register_login(session: aiohttp.ClientSession, url: str, secret: str, name: str) -> dict[str, str]:
    resp = await session.post(f"{url}/api/auth/register",
                              json={"username": name, "password": PASSWORD, "signup_secret": secret})
    assert resp.status == 201, await resp.text()
    resp = await session.post(f"{url}/api/auth/login", json={"username": name, "password": PASSWORD})
    return {"Authorization": f"Bearer {(await resp.json())['access_token']}"}
