"""A real coturn on 127.0.0.1 for the TURN tests, with coturn's REST-API shared secret."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TURNSERVER = "/usr/bin/turnserver"
RELAY_PORTS = (49160, 49199)  # coturn's relay sockets, below nothing else the suite binds
TURN_SECRET = "coturn-static-auth-secret-for-tests"


@dataclass
class Coturn:
    """A running turnserver."""

    port: int
    secret: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_coturn(tmp: Path, secret: str) -> Coturn:
    """coturn with `use-auth-secret`, loopback peers allowed, no TLS/CLI; waits until it listens."""
    port = _free_udp_port()
    log_path = tmp / "turnserver.log"
    conf = tmp / "turnserver.conf"
    conf.write_text("\n".join([
        f"listening-port={port}", "listening-ip=127.0.0.1", "relay-ip=127.0.0.1",
        f"min-port={RELAY_PORTS[0]}", f"max-port={RELAY_PORTS[1]}",
        "use-auth-secret", f"static-auth-secret={secret}", "realm=hubbub.test",
        "allow-loopback-peers", "no-tls", "no-dtls", "no-tcp", "no-cli", "fingerprint", "no-multicast-peers",
        f"userdb={tmp / 'turndb'}", f"pidfile={tmp / 'turnserver.pid'}", f"log-file={log_path}", "simple-log",
        "verbose", "",
    ]))
    process = subprocess.Popen([TURNSERVER, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"turnserver exited with {process.returncode}: {log_path.read_text(errors='replace')}")
        if log_path.exists() and "Total General servers" in log_path.read_text(errors="replace"):
            return Coturn(port, secret, process, log_path)
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("turnserver did not start")


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    """One coturn per test module, sharing TURN_SECRET (import the fixture where it is used)."""
    turn = start_coturn(tmp_path_factory.mktemp("coturn"), TURN_SECRET)
    yield turn
    turn.stop()
