"""Configuration: env vars, flags winning, validation, generated secrets, masking."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from web.config import Config, ConfigError, IceServer, ensure_secrets, parse_config


def test_defaults() -> None:
    config = parse_config([], {})
    assert (config.host, config.port, config.data_dir) == ("127.0.0.1", 8080, Path("data"))
    assert config.bcrypt_cost == 12 and config.cors_origins == () and config.ice_servers == ()
    assert config.path_prefix == "" and config.room_daily_limit == 20
    assert config.database_path == Path("data/hubbub.sqlite3")


def test_env_then_flags_win() -> None:
    env = {
        "HUBBUB_HOST": "0.0.0.0", "HUBBUB_PORT": "9000", "HUBBUB_DATA_DIR": "/srv/hubbub",
        "HUBBUB_TOKEN_TTL": "600", "HUBBUB_LOG_LEVEL": "debug", "HUBBUB_CORS_ORIGINS": "https://a.example, https://b.example",
        "HUBBUB_PATH_PREFIX": "/hubbub", "HUBBUB_BCRYPT_COST": "10", "HUBBUB_ROOM_DAILY_LIMIT": "5",
        "HUBBUB_ICE_SERVERS": json.dumps([{"urls": "stun:stun.example:3478"},
                                          {"urls": ["turn:turn.example:3478"], "username": "u", "credential": "c"}]),
    }
    config = parse_config([], env)
    assert (config.host, config.port, config.data_dir) == ("0.0.0.0", 9000, Path("/srv/hubbub"))
    assert config.token_ttl == 600 and config.log_level == "DEBUG" and config.bcrypt_cost == 10
    assert config.cors_origins == ("https://a.example", "https://b.example")
    assert config.path_prefix == "/hubbub" and config.room_daily_limit == 5
    assert config.ice_servers == (
        IceServer(("stun:stun.example:3478",)), IceServer(("turn:turn.example:3478",), "u", "c"),
    )
    flagged = parse_config(["--port", "0", "--host", "::1", "--path-prefix", ""], env)
    assert (flagged.port, flagged.host, flagged.path_prefix) == (0, "::1", "")


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["--port", "70000"], {}),
        (["--port", "http"], {}),
        ([], {"HUBBUB_BCRYPT_COST": "3"}),
        ([], {"HUBBUB_JWT_SECRET": "too-short"}),
        ([], {"HUBBUB_PATH_PREFIX": "hubbub"}),
        ([], {"HUBBUB_PATH_PREFIX": "/hubbub/"}),
        ([], {"HUBBUB_LOG_LEVEL": "LOUD"}),
        ([], {"HUBBUB_ICE_SERVERS": '[{"urls": "http://x"}]'}),
        ([], {"HUBBUB_ICE_SERVERS": '{"urls": "stun:x"}'}),
        ([], {"HUBBUB_ICE_SERVERS": '[{"urls": "stun:x", "password": "p"}]'}),
        ([], {"HUBBUB_MAX_BODY_BYTES": "0"}),
        ([], {"HUBBUB_TOKEN_TTL": "-1"}),
    ],
)
def test_invalid_settings_are_named_errors(argv: list[str], env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        parse_config(argv, env)


def test_secret_values_never_in_config_errors() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(["--jwt-secret", "my-short-secret"], {})
    assert "my-short-secret" not in str(info.value)


def test_secrets_generated_once_with_0600_and_reused(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path / "d")
    first = ensure_secrets(config)
    assert first.new_signup_secret is not None
    assert first.config.signup_secret == first.new_signup_secret
    assert first.config.jwt_secret is not None and len(first.config.jwt_secret.encode()) >= 32
    for name in ("signup_secret", "jwt_secret"):
        assert stat.S_IMODE((tmp_path / "d" / name).stat().st_mode) == 0o600
    second = ensure_secrets(config)
    assert second.new_signup_secret is None
    assert (second.config.signup_secret, second.config.jwt_secret) == (
        first.config.signup_secret, first.config.jwt_secret,
    )


def test_operator_secrets_are_not_written(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path / "d", signup_secret="given", jwt_secret="j" * 40)
    result = ensure_secrets(config)
    assert result.new_signup_secret is None and result.config == config
    assert list((tmp_path / "d").iterdir()) == []


def test_masked_hides_secrets_and_turn_credentials() -> None:
    config = Config(
        signup_secret="signup-value", jwt_secret="j" * 40,
        ice_servers=(IceServer(("turn:t.example",), "user", "turn-password"),),
    )
    text = json.dumps(config.masked())
    for secret in ("signup-value", "j" * 40, "turn-password"):
        assert secret not in text
    shown = config.masked()
    assert shown["ice_servers"] == [{"urls": ["turn:t.example"], "username": "user", "credential": "***"}]
    assert shown["signup_secret"] == "***" and Config().masked()["jwt_secret"] == "(not set)"
