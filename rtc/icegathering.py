"""Where a peer gathers its ICE host candidates: chosen addresses, a UDP port range, a public IP.

aioice gathers on every non-loopback interface, on random ports, and advertises the private
address: wrong in Docker, behind 1:1 NAT, on multi-homed hosts, and for loopback-only use
(aioice never gathers 127.0.0.1). `IceGathering.attach(pc)` replaces the gathering of each of
an RTCPeerConnection's ICE connections (after its transceivers exist, before
setLocalDescription) with one that follows a `GatherPolicy`. STUN and TURN candidates are
gathered exactly as aioice does.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aioice import Candidate, Connection, TransportPolicy
from aioice.candidate import candidate_foundation, candidate_priority
from aioice.ice import StunProtocol, get_host_addresses, relayed_candidate, server_reflexive_candidate
from aioice.turn import UDP_SOCKET_BUFFER_SIZE
from aiortc import RTCPeerConnection

from .portpool import PortPool, PortRange

logger = logging.getLogger(__name__)

GATHER_TIMEOUT = 5.0  # seconds for STUN/TURN answers, as aioice
MediaSink = Callable[[bytes], bool]  # takes an SRTP/SRTCP datagram; False = "not mine, queue it as usual"


class MediaStunProtocol(StunProtocol):
    """aioice's host socket protocol, with one shortcut: RTP and RTCP (first byte 128-191, RFC 7983)
    are never STUN, so they skip aioice's STUN parse (an exception per packet) and go to
    ``media_sink`` if one is set, else to aioice's receive queue exactly as before."""

    media_sink: MediaSink | None = None

    def datagram_received(self, data: bytes | str, addr: tuple[Any, ...]) -> None:
        if isinstance(data, bytes) and data and 127 < data[0] < 192:
            sink = self.media_sink
            if sink is None or not sink(data):
                self.receiver.data_received(data, self.local_candidate.component)
            return
        super().datagram_received(data, addr)


@dataclass(frozen=True)
class GatherPolicy:
    """None everywhere = aioice's behaviour (every interface, any port, private addresses)."""

    addresses: tuple[str, ...] | None = None  # resolved IPs (see rtc.hostaddresses)
    ports: PortRange | None = None
    public_ip: str | None = None

    def describe(self) -> dict[str, Any]:
        """JSON-able summary for /health and the printed configuration."""
        return {
            "ice_addresses": list(self.addresses) if self.addresses is not None else "all interfaces",
            "public_ip": self.public_ip,
            "udp_ports": str(self.ports) if self.ports is not None else "any",
        }


class IceGathering:
    """Applies one GatherPolicy to peers; owns the port pool they share."""

    def __init__(self, policy: GatherPolicy = GatherPolicy()) -> None:
        self.policy = policy
        self.pool = PortPool(policy.ports) if policy.ports is not None else None

    def attach(self, pc: RTCPeerConnection) -> None:
        """Take over candidate gathering of every ICE connection ``pc`` has now (idempotent)."""
        for connection in _ice_connections(pc):
            if not getattr(connection, "_hubbub_gathering", False):
                connection._hubbub_gathering = True  # type: ignore[attr-defined]
                connection.gather_candidates = functools.partial(self._gather, connection)  # type: ignore[method-assign]

    def stats(self) -> dict[str, Any]:
        """Policy plus the port pool's figures."""
        out = self.policy.describe()
        out["udp_ports_in_use"] = self.pool.in_use() if self.pool is not None else None
        out["udp_ports_exhausted"] = self.pool.exhausted if self.pool is not None else 0
        return out

    async def _gather(self, conn: Connection) -> None:
        """aioice's Connection.gather_candidates, with our host addresses and ports."""
        if conn._local_candidates_start:
            return
        conn._local_candidates_start = True
        if conn._transport_policy == TransportPolicy.RELAY:  # RFC 9429 5.1.1: relay candidates only
            addresses: list[str] = []
        elif self.policy.addresses is not None:
            addresses = [a for a in self.policy.addresses if (":" in a and conn._use_ipv6) or
                         (":" not in a and conn._use_ipv4)]
        else:
            addresses = get_host_addresses(use_ipv4=conn._use_ipv4, use_ipv6=conn._use_ipv6)
        for component in sorted(conn._components):
            conn._local_candidates += await self._component_candidates(conn, component, addresses)
        conn._local_candidates_end = True

    async def _component_candidates(self, conn: Connection, component: int, addresses: list[str]) -> list[Candidate]:
        loop = asyncio.get_running_loop()
        protocols: list[MediaStunProtocol] = []
        try:
            for address in addresses:
                try:
                    sock = self._socket(address)
                except OSError as exc:  # the address went away: as aioice, skip it
                    logger.warning("cannot bind an ICE socket on %s: %s", address, exc)
                    continue
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_SOCKET_BUFFER_SIZE)
                _, protocol = await loop.create_datagram_endpoint(lambda: MediaStunProtocol(conn), sock=sock)
                protocols.append(protocol)
                bound_host, bound_port = sock.getsockname()[:2]
                host = self._advertised(bound_host)
                protocol.local_candidate = Candidate(
                    foundation=candidate_foundation("host", "udp", host),
                    component=component,
                    transport="udp",
                    priority=candidate_priority(component, "host"),
                    host=host,
                    port=bound_port,
                    type="host",
                )
        except BaseException:
            for protocol in protocols:
                protocol.transport.close()
            raise
        conn._protocols += protocols
        candidates = [p.local_candidate for p in protocols]
        candidates += await self._server_candidates(conn, component, protocols)
        return candidates

    def _socket(self, address: str) -> socket.socket:
        if self.pool is not None:
            return self.pool.bind(address)
        sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((address, 0))
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        return sock

    def _advertised(self, bound: str) -> str:
        public = self.policy.public_ip
        if public is not None and (":" in public) == (":" in bound):
            return public
        return bound

    async def _server_candidates(
        self, conn: Connection, component: int, protocols: list[MediaStunProtocol]
    ) -> list[Candidate]:
        """Server-reflexive (STUN) and relayed (TURN) candidates, as aioice gathers them."""
        tasks: dict[asyncio.Task[tuple[Candidate, StunProtocol | None]], str] = {}
        if conn.stun_server:
            stun_server = conn.stun_server
            for protocol in protocols:
                if ":" not in protocol.transport.get_extra_info("sockname")[0]:
                    tasks[asyncio.create_task(server_reflexive_candidate(protocol, stun_server))] = "STUN"
        if conn.turn_server:
            tasks[asyncio.create_task(relayed_candidate(
                component=component,
                hide_related_address=conn._transport_policy == TransportPolicy.RELAY,
                protocol_factory=lambda: StunProtocol(conn),
                turn_server=conn.turn_server,
                turn_username=conn.turn_username,
                turn_password=conn.turn_password,
                turn_ssl=conn.turn_ssl,
                turn_transport=conn.turn_transport,
            ))] = "TURN"
        if not tasks:
            return []
        out: list[Candidate] = []
        errors: list[str] = getattr(conn, "_hubbub_errors", [])
        conn._hubbub_errors = errors  # type: ignore[attr-defined]
        done, pending = await asyncio.wait(tasks, timeout=GATHER_TIMEOUT)
        for task in done:
            if (exc := task.exception()) is None:
                candidate, relay_protocol = task.result()
                out.append(candidate)
                if relay_protocol is not None:
                    conn._protocols.append(relay_protocol)
            else:
                errors.append(f"{tasks[task]} server: {exc or type(exc).__name__}")
        for task in pending:
            errors.append(f"{tasks[task]} server: no answer within {GATHER_TIMEOUT:g} s")
            task.cancel()
        for error in errors:
            logger.info("candidate not gathered: %s", error)
        return out


def set_media_sink(pc: RTCPeerConnection, sink: MediaSink) -> int:
    """Route the peer's inbound SRTP/SRTCP on our host sockets to ``sink``; how many sockets took it."""
    count = 0
    for connection in _ice_connections(pc):
        for protocol in connection._protocols:
            if isinstance(protocol, MediaStunProtocol):
                protocol.media_sink = sink
                count += 1
    return count


def gathering_errors(pc: RTCPeerConnection) -> list[str]:
    """Why STUN/TURN candidates were not gathered (e.g. TURN refused the credentials)."""
    return [e for c in _ice_connections(pc) for e in getattr(c, "_hubbub_errors", [])]


def _ice_connections(pc: RTCPeerConnection) -> list[Connection]:
    """The aioice connections behind a peer's transports (aiortc keeps one per transceiver)."""
    transports = [t.receiver.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        transports.append(pc.sctp.transport)
    out: list[Connection] = []
    for dtls in transports:
        if dtls is not None:
            connection = dtls.transport.iceGatherer._connection
            if connection not in out:
                out.append(connection)
    return out
