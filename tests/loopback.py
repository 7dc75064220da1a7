"""The suite's network rule, checked: every ICE candidate a test peer is handed is on loopback."""

from __future__ import annotations

import ipaddress


def non_loopback_candidates(sdp: str) -> list[str]:
    """Candidate lines of an SDP whose address is not 127.0.0.0/8 or ::1 (mDNS names count as not)."""
    bad = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            address = line.split()[4]
            try:
                loopback = ipaddress.ip_address(address).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                bad.append(line)
    return bad


def assert_loopback_only(sdp: str, who: str) -> None:
    """AssertionError naming the offending candidates (tests must not leave loopback)."""
    bad = non_loopback_candidates(sdp)
    assert not bad, f"{who} holds non-loopback ICE candidates: {bad}"
