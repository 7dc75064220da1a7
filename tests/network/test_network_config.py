"""Media networking settings: ICE addresses must exist here, public IP and port range are checked,
TURN URLs need their secret, and the secret never shows in printed configuration or errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from loopback import non_loopback_candidates
from serverproc import ROOT

from rtc import turncredentials
from rtc.hostaddresses import resolve_addresses
from rtc.portpool import PortRange
from web.config import Config, ConfigError, parse_config


def test_addresses_and_interface_names_resolve_to_ips() -> None:
    assert resolve_addresses(["127.0.0.1"]) == ("127.0.0.1",)
    assert "127.0.0.1" in resolve_addresses(["lo"])  # an interface name: its addresses
    assert resolve_addresses(["127.0.0.1", " 127.0.0.1 "]) == ("127.0.0.1",)  # deduplicated


@pytest.mark.parametrize("spec, message", [
    ("nosuch0", "neither an IP address nor a network interface"),
    ("192.0.2.77", "not an address of this machine"),
    ("0.0.0.0", "cannot be an ICE address"),
    ("224.0.0.1", "cannot be an ICE address"),
])
def test_unusable_addresses_are_named(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve_addresses([spec])


def test_environment_and_flags() -> None:
    env = {"HUBBUB_ICE_ADDRESSES": "127.0.0.1,lo", "HUBBUB_PUBLIC_IP": "203.0.113.10",
           "HUBBUB_UDP_PORTS": "40000-40199", "HUBBUB_TURN_URLS": "turn:t.example:3478,turns:t.example:443?transport=tcp",
           "HUBBUB_TURN_SECRET": "shared-secret", "HUBBUB_TURN_TTL": "3600"}
    config = parse_config([], env)
    assert config.ice_addresses is not None and config.ice_addresses[0] == "127.0.0.1"
    assert config.public_ip == "203.0.113.10" and config.udp_ports == PortRange(40000, 40199)
    assert config.turn_urls == ("turn:t.example:3478", "turns:t.example:443?transport=tcp")
    assert (config.turn_secret, config.turn_ttl) == ("shared-secret", 3600)
    flagged = parse_config(["--udp-ports", "40000", "--ice-addresses", "127.0.0.1"], env)
    assert flagged.udp_ports == PortRange(40000, 40000) and flagged.ice_addresses == ("127.0.0.1",)
    assert parse_config([], {}).ice_addresses is None  # default: every usable interface


@pytest.mark.parametrize("argv", [
    ["--udp-ports", "40199-40000"], ["--udp-ports", "0-10"], ["--udp-ports", "lots"], ["--udp-ports", "1-70000"],
    ["--public-ip", "my.host.example"], ["--public-ip", "0.0.0.0"], ["--ice-addresses", "nosuch0"],
    ["--turn-urls", "turn:t.example"],  # no secret
    ["--turn-secret", "s"],  # no URL
    ["--turn-urls", "stun:t.example", "--turn-secret", "s"],
    ["--turn-urls", "turn:t.example", "--turn-secret", "s", "--turn-ttl", "10"],
])
def test_bad_network_settings_are_config_errors(argv: list[str]) -> None:
    with pytest.raises(ConfigError):
        parse_config(argv, {})


def test_turn_secret_is_masked_and_never_in_errors() -> None:
    config = Config(turn_urls=("turn:t.example",), turn_secret="very-secret-value", udp_ports=PortRange(1, 2))
    text = json.dumps(config.masked())
    assert "very-secret-value" not in text and config.masked()["turn_secret"] == "***"
    assert config.masked()["udp_ports"] == "1-2"
    with pytest.raises(ConfigError) as info:
        parse_config(["--turn-secret", "very-secret-value"], {})
    assert "very-secret-value" not in str(info.value)


def test_serve_with_an_unknown_interface_exits_2_with_one_clear_line(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "web.cli", "serve", "--ice-addresses", "nosuch0", "--data-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "nosuch0" in result.stderr and "Traceback" not in result.stderr


def test_minted_credentials_follow_coturns_rest_scheme() -> None:
    username, credential = turncredentials.mint("secret", "alice", 3600, now=1_800_000_000)
    assert username == "1800003600:alice" and turncredentials.expiry_of(username) == 1_800_003_600
    # base64(HMAC-SHA1("secret", "1800003600:alice")), computed independently with
    # `printf '1800003600:alice' | openssl dgst -sha1 -hmac secret -binary | base64`:
    assert credential == "9vwVyEU3Pjn5UVy6uoaN3DNs8VU="
    assert turncredentials.expiry_of("static-user") is None


def test_loopback_check_flags_every_other_address() -> None:
    sdp = "\r\n".join([
        "a=candidate:1 1 udp 1 127.0.0.1 5000 typ host", "a=candidate:2 1 udp 1 ::1 5001 typ host",
        "a=candidate:3 1 udp 1 192.0.2.2 5002 typ host", "a=candidate:4 1 udp 1 abcd.local 5003 typ host",
    ])
    assert [line.split()[4] for line in non_loopback_candidates(sdp)] == ["192.0.2.2", "abcd.local"]
