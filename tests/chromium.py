"""How the tests start Debian's Chromium (Playwright never downloads a browser here)."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
    # `./dev test` runs the suite in a network namespace with only lo: Chromium then gathers no host
    # candidate and reaches the server's 127.0.0.1 candidate from a wildcard socket (the server learns
    # it as peer-reflexive). mDNS-hidden host candidates would make its gathering wait for a responder.
    "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
]


def outside_addresses() -> list[str]:
    """This network namespace's non-loopback addresses; Chromium would send media from them."""
    import ipaddress

    import ifaddr

    found = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            address = ip.ip if isinstance(ip.ip, str) else ip.ip[0]
            if not ipaddress.ip_address(address.split("%")[0]).is_loopback:
                found.append(address)
    return found


def require_loopback_only() -> None:
    """Fail (never skip) a browser test that would leave loopback: `./dev test` provides the namespace."""
    import pytest

    if outside_addresses():
        pytest.fail(f"this network namespace has {outside_addresses()}: Chromium would use them; run the suite "
                    "with ./dev test, which runs it in a namespace with only loopback")
