"""Server configuration: a frozen `Config` from `HUBBUB_*` environment variables and flags (flags win).

Secrets the operator does not set are generated on first start and kept in the data directory
(mode 0600), so tokens and the signup secret survive restarts.
"""

from __future__ import annotations

import argparse
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, ClassVar

from rtc.hostaddresses import check_public_ip, resolve_addresses
from rtc.iceservers import IceServer
from rtc.iceservers import parse_ice_servers as _parse_ice_servers
from rtc.portpool import PortRange

MIN_JWT_SECRET_BYTES = 32
DEFAULT_TURN_TTL = 6 * 3600


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it (never its secret value)."""


@dataclass(frozen=True)
class Config:
    """Everything the server needs to start; tests build one directly with small values."""

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("data")
    signup_secret: str | None = None
    jwt_secret: str | None = None
    token_ttl: int = 12 * 3600
    bcrypt_cost: int = 12
    log_level: str = "INFO"
    cors_origins: tuple[str, ...] = ()
    path_prefix: str = ""
    ice_servers: tuple[IceServer, ...] = ()
    ice_addresses: tuple[str, ...] | None = None  # None: every usable interface
    public_ip: str | None = None
    udp_ports: PortRange | None = None
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = None
    turn_ttl: int = DEFAULT_TURN_TTL
    login_rate_per_ip: int = 20
    login_rate_per_username: int = 10
    login_rate_window: float = 60.0
    room_daily_limit: int = 20
    max_body_bytes: int = 64 * 1024
    shutdown_timeout: float = 5.0
    bcrypt_threads: int = 2
    bcrypt_queue: int = 16
    rate_limit_keys: int = 100_000
    idle_timeout: float = 15.0
    body_timeout: float = 15.0
    max_api_keys: int = 100

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("signup_secret", "jwt_secret", "turn_secret")

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError("port must be 0..65535")
        if not 4 <= self.bcrypt_cost <= 31:
            raise ConfigError("bcrypt_cost must be 4..31")
        if self.token_ttl <= 0:
            raise ConfigError("token_ttl must be positive")
        if self.jwt_secret is not None and len(self.jwt_secret.encode()) < MIN_JWT_SECRET_BYTES:
            raise ConfigError(f"jwt_secret must be at least {MIN_JWT_SECRET_BYTES} bytes")
        if self.signup_secret is not None and not self.signup_secret:
            raise ConfigError("signup_secret must not be empty")
        if self.path_prefix and (not self.path_prefix.startswith("/") or self.path_prefix.endswith("/")):
            raise ConfigError("path_prefix must start with '/' and not end with '/' (e.g. /hubbub)")
        for name in ("login_rate_per_ip", "login_rate_per_username", "room_daily_limit", "max_body_bytes",
                     "bcrypt_threads"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        if self.login_rate_window <= 0 or self.shutdown_timeout < 0:
            raise ConfigError("login_rate_window must be positive and shutdown_timeout not negative")
        self._check_media_network()
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ConfigError("log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        self._check_hardening()

    def _check_hardening(self) -> None:
        """Limits and timeouts added for issue 13 (hostile clients)."""
        for name in ("bcrypt_queue", "rate_limit_keys", "max_api_keys"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        if self.idle_timeout <= 0 or self.body_timeout <= 0:
            raise ConfigError("idle_timeout and body_timeout must be positive")

    def _check_media_network(self) -> None:
        """ICE addresses must exist here (resolved to IPs once); TURN URLs and secret go together."""
        if self.ice_addresses is not None:
            if not self.ice_addresses:
                raise ConfigError("ice_addresses must name at least one address or interface")
            try:
                object.__setattr__(self, "ice_addresses", resolve_addresses(self.ice_addresses))
            except ValueError as exc:
                raise ConfigError(f"ice_addresses: {exc}") from None
        if self.public_ip is not None:
            try:
                object.__setattr__(self, "public_ip", check_public_ip(self.public_ip))
            except ValueError as exc:
                raise ConfigError(f"public_ip: {exc}") from None
        if bool(self.turn_urls) != (self.turn_secret is not None):
            raise ConfigError("turn_urls and turn_secret go together (coturn's static-auth-secret)")
        if not all(u.split(":", 1)[0] in ("turn", "turns") for u in self.turn_urls):
            raise ConfigError("turn_urls must be turn: or turns: URLs")
        if self.turn_secret is not None and not self.turn_secret:
            raise ConfigError("turn_secret must not be empty")
        if not 60 <= self.turn_ttl <= 7 * 86400:
            raise ConfigError("turn_ttl must be 60..604800 seconds")

    @property
    def database_path(self) -> Path:
        """The SQLite file inside the data directory."""
        return self.data_dir / "hubbub.sqlite3"

    def masked(self) -> dict[str, Any]:
        """The effective settings for printing at start: secrets and TURN credentials masked."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in self.SECRET_FIELDS:
                value = "(not set)" if value is None else "***"
            elif f.name == "ice_servers":
                value = [s.masked() for s in value]
            elif isinstance(value, PortRange):
                value = str(value)
            elif isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


def parse_ice_servers(text: str) -> tuple[IceServer, ...]:
    """JSON list of {"urls": str | [str], "username"?: str, "credential"?: str}."""
    try:
        return _parse_ice_servers(text)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _port_range(text: str) -> PortRange:
    try:
        return PortRange.parse(text)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


# name -> (flag, env var, converter, help)
_SETTINGS: dict[str, tuple[str, str, Any, str]] = {
    "host": ("--host", "HUBBUB_HOST", str, "address to listen on (default 127.0.0.1)"),
    "port": ("--port", "HUBBUB_PORT", int, "port (default 8080; 0 picks a free port and prints it)"),
    "data_dir": ("--data-dir", "HUBBUB_DATA_DIR", Path, "SQLite file and generated secrets (default ./data)"),
    "signup_secret": ("--signup-secret", "HUBBUB_SIGNUP_SECRET", str, "secret needed to register"),
    "jwt_secret": ("--jwt-secret", "HUBBUB_JWT_SECRET", str, "HS256 key, >= 32 bytes"),
    "token_ttl": ("--token-ttl", "HUBBUB_TOKEN_TTL", int, "access token lifetime in seconds (default 43200)"),
    "bcrypt_cost": ("--bcrypt-cost", "HUBBUB_BCRYPT_COST", int, "bcrypt cost factor (default 12)"),
    "log_level": ("--log-level", "HUBBUB_LOG_LEVEL", str.upper, "DEBUG, INFO, WARNING, ERROR (default INFO)"),
    "cors_origins": ("--cors-origins", "HUBBUB_CORS_ORIGINS", _csv, "comma-separated allowed origins"),
    "path_prefix": ("--path-prefix", "HUBBUB_PATH_PREFIX", str, "URL prefix behind a reverse proxy, e.g. /hubbub"),
    "ice_servers": ("--ice-servers", "HUBBUB_ICE_SERVERS", parse_ice_servers,
                    "JSON list of STUN/TURN servers for clients and the server's peer"),
    "ice_addresses": ("--ice-addresses", "HUBBUB_ICE_ADDRESSES", _csv,
                      "comma-separated local addresses or interface names for media (default: every interface; "
                      "127.0.0.1 for loopback only)"),
    "public_ip": ("--public-ip", "HUBBUB_PUBLIC_IP", str,
                  "address advertised in candidates instead of the local one (1:1 NAT, e.g. a cloud VM)"),
    "udp_ports": ("--udp-ports", "HUBBUB_UDP_PORTS", _port_range,
                  "UDP port range for media, e.g. 40000-40199 (one port per peer and ICE address)"),
    "turn_urls": ("--turn-urls", "HUBBUB_TURN_URLS", _csv,
                  "comma-separated turn:/turns: URLs handed to clients with short-lived credentials"),
    "turn_secret": ("--turn-secret", "HUBBUB_TURN_SECRET", str, "the TURN server's static-auth-secret"),
    "turn_ttl": ("--turn-ttl", "HUBBUB_TURN_TTL", int,
                 f"lifetime of minted TURN credentials in seconds (default {DEFAULT_TURN_TTL})"),
    "login_rate_per_ip": ("--login-rate-per-ip", "HUBBUB_LOGIN_RATE_PER_IP", int,
                          "login/register attempts per client address per window (default 20)"),
    "login_rate_per_username": ("--login-rate-per-username", "HUBBUB_LOGIN_RATE_PER_USERNAME", int,
                                "login/register attempts per username per window (default 10)"),
    "login_rate_window": ("--login-rate-window", "HUBBUB_LOGIN_RATE_WINDOW", float,
                          "rate limit window in seconds (default 60)"),
    "room_daily_limit": ("--room-daily-limit", "HUBBUB_ROOM_DAILY_LIMIT", int,
                         "rooms one user may create per 24 h (default 20)"),
    "max_body_bytes": ("--max-body-bytes", "HUBBUB_MAX_BODY_BYTES", int, "largest request body (default 65536)"),
    "shutdown_timeout": ("--shutdown-timeout", "HUBBUB_SHUTDOWN_TIMEOUT", float,
                         "seconds to let open requests finish on shutdown (default 5)"),
    "bcrypt_queue": ("--bcrypt-queue", "HUBBUB_BCRYPT_QUEUE", int,
                     "password checks that may wait or run at once; more get 503 (default 16)"),
    "rate_limit_keys": ("--rate-limit-keys", "HUBBUB_RATE_LIMIT_KEYS", int,
                        "addresses/accounts each rate limiter remembers; at the cap the least recent is "
                        "forgotten (default 100000)"),
    "idle_timeout": ("--idle-timeout", "HUBBUB_IDLE_TIMEOUT", float,
                     "seconds a connection may stay without a request in progress, headers included (default 15)"),
    "body_timeout": ("--body-timeout", "HUBBUB_BODY_TIMEOUT", float,
                     "seconds a request body may take to arrive; slower ones get 408 (default 15)"),
    "max_api_keys": ("--max-api-keys", "HUBBUB_MAX_API_KEYS", int,
                     "API keys one user may hold at once (default 100)"),
}


def build_parser() -> argparse.ArgumentParser:
    """The `hubbub serve` flags; every flag also has a HUBBUB_* environment variable."""
    parser = argparse.ArgumentParser(
        prog="hubbub serve",
        description="Run the hubbub server. Every flag can also be set as the environment variable shown.",
    )
    for name, (flag, env, _conv, help_text) in _SETTINGS.items():
        parser.add_argument(flag, dest=name, default=None, metavar=env, help=f"{help_text} [{env}]")
    return parser


def parse_config(argv: Sequence[str], environ: Mapping[str, str]) -> Config:
    """Environment first, flags on top; no files touched (see `ensure_secrets`)."""
    args = vars(build_parser().parse_args(list(argv)))
    values: dict[str, Any] = {}
    for name, (flag, env, conv, _help) in _SETTINGS.items():
        raw, source = (args[name], flag) if args[name] is not None else (environ.get(env), env)
        if raw is None or (raw == "" and name not in ("path_prefix", "cors_origins", "ice_servers")):
            continue
        if name == "ice_servers" and raw == "":
            raw = "[]"
        try:
            values[name] = conv(raw)
        except ConfigError:
            raise
        except ValueError:
            raise ConfigError(f"{source}: not a valid value") from None
    return Config(**values)


def _read_or_create_secret(path: Path, nbytes: int) -> tuple[str, bool]:
    """Read the secret file, or create it with mode 0600 (O_EXCL: two starts cannot race)."""
    try:
        return path.read_text(encoding="ascii").strip(), False
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return value, True


@dataclass(frozen=True)
class SecretsResult:
    """The completed config, and the signup secret if it was generated just now (print it once)."""

    config: Config
    new_signup_secret: str | None


def ensure_secrets(config: Config) -> SecretsResult:
    """Create the data directory and fill in unset secrets from (or into) files there."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    new_signup = None
    signup, jwt_secret = config.signup_secret, config.jwt_secret
    if signup is None:
        signup, created = _read_or_create_secret(config.data_dir / "signup_secret", 18)
        new_signup = signup if created else None
    if jwt_secret is None:
        jwt_secret, _ = _read_or_create_secret(config.data_dir / "jwt_secret", 48)
    return SecretsResult(replace(config, signup_secret=signup, jwt_secret=jwt_secret), new_signup)
