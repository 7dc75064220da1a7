"""Which local addresses a server gathers ICE candidates on, and the public one it advertises.

Checked at start (a typo must stop the server, not leave it without candidates); imports no
WebRTC code, so the configuration can use it cheaply.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence

import ifaddr


def resolve_addresses(specs: Sequence[str]) -> tuple[str, ...]:
    """IP addresses of this machine (127.0.0.1 allowed) or interface names -> IP addresses.

    ValueError names the first entry that is not usable here, so a typo stops the server at
    start instead of leaving it without candidates."""
    adapters = {a.nice_name: a for a in ifaddr.get_adapters()}
    out: list[str] = []
    for spec in specs:
        spec = spec.strip()
        try:
            ip = ipaddress.ip_address(spec)
        except ValueError:
            adapter = adapters.get(spec)
            if adapter is None:
                known = ", ".join(sorted(adapters)) or "none"
                raise ValueError(f"{spec!r} is neither an IP address nor a network interface (interfaces: {known})") from None
            found = [ip.ip for ip in adapter.ips if isinstance(ip.ip, str)]
            found += [ip.ip[0] for ip in adapter.ips if isinstance(ip.ip, tuple) and ip.ip[2] == 0]
            if not found:
                raise ValueError(f"interface {spec!r} has no usable IP address") from None
            out += found
            continue
        if ip.is_unspecified or ip.is_multicast:
            raise ValueError(f"{spec} cannot be an ICE address (name the address clients should reach)")
        _check_bindable(str(ip))
        out.append(str(ip))
    return tuple(dict.fromkeys(out))


def _check_bindable(address: str) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((address, 0))
        except OSError as exc:
            raise ValueError(f"{address} is not an address of this machine ({exc.strerror})") from None


def check_public_ip(text: str) -> str:
    """The address advertised instead of the private one (1:1 NAT); ValueError if not an IP."""
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        raise ValueError(f"public IP must be an IP address, got {text!r}") from None
    if ip.is_unspecified or ip.is_multicast:
        raise ValueError(f"{ip} cannot be advertised as a public IP")
    return str(ip)
