"""UDP sockets bound inside an operator's port range (firewalls and `docker -p` publish a range).

aioice binds every host candidate to port 0 (any port). A `PortPool` binds instead to the next
free port of a range, remembers the sockets it handed out so /health can count them, and
raises `PortsExhausted` when every port of the range is taken on that address.
"""

from __future__ import annotations

import errno
import socket
import threading
from dataclasses import dataclass


class PortsExhausted(RuntimeError):
    """No free port is left in the range on one address (the session cannot get media)."""


@dataclass(frozen=True)
class PortRange:
    """Inclusive range of UDP ports, written ``FIRST-LAST`` (e.g. ``40000-40199``)."""

    first: int
    last: int

    def __post_init__(self) -> None:
        if not 1 <= self.first <= self.last <= 65535:
            raise ValueError(f"port range must be FIRST-LAST with 1 <= FIRST <= LAST <= 65535, got {self}")

    @classmethod
    def parse(cls, text: str) -> PortRange:
        """``40000-40199`` (or a single port ``40000``); ValueError on anything else."""
        first, sep, last = text.strip().partition("-")
        try:
            low = int(first)
            high = int(last) if sep else low
        except ValueError:
            raise ValueError(f"port range must be FIRST-LAST, e.g. 40000-40199, got {text!r}") from None
        return cls(low, high)

    def __len__(self) -> int:
        return self.last - self.first + 1

    def __str__(self) -> str:
        return f"{self.first}-{self.last}"


class PortPool:
    """Binds UDP sockets inside ``ports``; one pool serves every peer of a process (thread-safe)."""

    def __init__(self, ports: PortRange) -> None:
        self.ports = ports
        self.exhausted = 0  # times a bind found the whole range taken
        self._next: dict[str, int] = {}  # per address: where the next search starts
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def bind(self, address: str) -> socket.socket:
        """A non-blocking UDP socket on ``address`` and a free port of the range.

        The search starts after the port handed out last, so a port just released is reused
        last (stray packets of the previous peer find nobody)."""
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with self._lock:
            self._prune()
            start = self._next.get(address, self.ports.first)
            for i in range(len(self.ports)):
                port = self.ports.first + (start - self.ports.first + i) % len(self.ports)
                sock = socket.socket(family, socket.SOCK_DGRAM)
                try:
                    sock.bind((address, port))
                except OSError as exc:
                    sock.close()
                    if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                        continue
                    raise
                sock.setblocking(False)
                self._next[address] = port + 1 if port < self.ports.last else self.ports.first
                self._sockets.append(sock)
                return sock
            self.exhausted += 1
        raise PortsExhausted(f"no free UDP port in {self.ports} on {address}")

    def in_use(self) -> int:
        """Sockets handed out and not closed yet."""
        with self._lock:
            self._prune()
            return len(self._sockets)

    def _prune(self) -> None:
        self._sockets = [s for s in self._sockets if s.fileno() != -1]
