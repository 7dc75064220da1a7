"""A real `hubbub serve` child process for the benchmarks that measure a whole server, and its CPU time.

It listens on 127.0.0.1 on a free port, keeps its database in a throwaway directory, hashes with
the cheapest bcrypt cost and has rate limits no benchmark reaches.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

_LISTENING = re.compile(r"hubbub listening on (http://\S+?)/?$")


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time all cores of the machine spent busy (everything but idle and iowait), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)
    return busy / os.sysconf("SC_CLK_TCK")


class Server:
    """A `hubbub serve` child process on a free port of 127.0.0.1 with a throwaway data directory."""

    def __init__(self, data_dir: Path, signup_secret: str, extra_args: Sequence[str] = ()) -> None:
        self.data_dir = data_dir
        self.signup_secret = signup_secret
        self.extra_args = tuple(extra_args)
        self.proc: subprocess.Popen[str] | None = None
        self.base = ""

    @property
    def pid(self) -> int:
        """The server's process id (once started)."""
        assert self.proc is not None, "server not started"
        return self.proc.pid

    def start(self) -> None:
        """Start and wait for the 'listening' line."""
        env = dict(os.environ, HUBBUB_SIGNUP_SECRET=self.signup_secret)
        cmd = [sys.executable, "-m", "web.cli", "serve", "--host", "127.0.0.1", "--port", "0",
               "--data-dir", str(self.data_dir), "--bcrypt-cost", "4", "--login-rate-per-ip", "1000000",
               "--login-rate-per-username", "1000000", "--log-level", "WARNING", *self.extra_args]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("hubbub serve exited before listening")
            if m := _LISTENING.search(line.strip()):
                self.base = m.group(1)
                return
        raise RuntimeError("hubbub serve did not start in 30 s")

    def stop(self) -> None:
        """SIGTERM (graceful shutdown), then wait."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
