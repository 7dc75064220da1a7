"""The Dockerfile runs `hubbub serve` as a non-root user with the data directory on a volume and
publishes its media port range; the README's `docker run` line and docker-compose.yml agree with
the image and the configuration (shape checks: no Docker engine runs on the build machines)."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import yaml

from rtc.portpool import PortRange
from web.config import _SETTINGS, parse_config

ROOT = Path(__file__).resolve().parents[2]


def test_dockerfile_runs_serve_as_non_root_with_data_volume() -> None:
    text = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'^VOLUME\s+\["/data"\]', text, re.M)
    assert "HUBBUB_DATA_DIR=/data" in text and "HUBBUB_HOST=0.0.0.0" in text
    assert re.search(r'^ENTRYPOINT \["hubbub"\]', text, re.M) and re.search(r'^CMD \["serve"\]', text, re.M)
    # Every package the distribution ships is copied into the image.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    for package in packages:
        assert re.search(rf"^COPY {package} \./{package}$", text, re.M), package


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".venv", "data", ".git"):
        assert path in ignored


def test_configuration_doc_lists_every_flag() -> None:
    from web.config import build_parser

    doc = (ROOT / "docs" / "configuration.md").read_text()
    flags = [a.option_strings[0] for a in build_parser()._actions if a.option_strings[0] != "-h"]
    assert len(flags) >= 15
    for flag in flags:
        assert f"`{flag}`" in doc, flag


def _image_udp_range() -> str:
    text = (ROOT / "Dockerfile").read_text()
    m = re.search(r"HUBBUB_UDP_PORTS=(\d+-\d+)", text)
    assert m, "the image sets HUBBUB_UDP_PORTS"
    assert re.search(rf"^EXPOSE .*\b{m.group(1)}/udp\b", text, re.M), "and exposes that range"
    return m.group(1)


ENV_VARS = {env for _flag, env, _conv, _help in _SETTINGS.values()}


def test_readme_docker_run_publishes_the_image_range_and_sets_known_settings() -> None:
    readme = (ROOT / "README.md").read_text()
    runs = [" ".join(m.group(0).replace("\\\n", " ").split()) for m in
            re.finditer(r"^\s*docker run (?:.*\\\n)*.*$", readme, re.M)]
    assert runs, "README shows a docker run command"
    udp = _image_udp_range()
    for run in runs:
        args = shlex.split(run)
        published = [args[i + 1] for i, a in enumerate(args) if a == "-p"]
        assert f"{udp}:{udp}/udp" in published, run
        env = [args[i + 1].split("=", 1)[0] for i, a in enumerate(args) if a == "-e"]
        assert "HUBBUB_PUBLIC_IP" in env and set(env) <= ENV_VARS, run


def test_compose_file_runs_hubbub_and_coturn_with_one_secret() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    hubbub, coturn = compose["services"]["hubbub"], compose["services"]["coturn"]
    udp = _image_udp_range()
    env = {k: str(v) for k, v in hubbub["environment"].items()}
    assert set(env) <= ENV_VARS and env["HUBBUB_UDP_PORTS"] == udp
    assert f"{udp}:{udp}/udp" in hubbub["ports"] and "8080:8080" in hubbub["ports"]
    assert "hubbub-data:/data" in hubbub["volumes"] and "hubbub-data" in compose["volumes"]
    # with the variables filled in, the settings are a valid hubbub configuration
    filled = {k: re.sub(r"\$\{PUBLIC_IP[^}]*\}", "203.0.113.10", re.sub(r"\$\{TURN_SECRET[^}]*\}", "s" * 32, v))
              for k, v in env.items()}
    config = parse_config([], filled)
    assert config.public_ip == "203.0.113.10" and config.turn_urls and config.turn_secret == "s" * 32
    # coturn: the REST-API scheme with the same secret, relaying to hubbub only, ports apart from hubbub's
    args = dict(a.lstrip("-").split("=", 1) if "=" in a else (a.lstrip("-"), "") for a in coturn["command"])
    assert "use-auth-secret" in args and args["static-auth-secret"] == "${TURN_SECRET}"
    assert hubbub["environment"]["HUBBUB_TURN_SECRET"].startswith("${TURN_SECRET")
    assert args["allowed-peer-ip"] == "${PUBLIC_IP}" and args["denied-peer-ip"] == "0.0.0.0-255.255.255.255"
    relay, media = PortRange(int(args["min-port"]), int(args["max-port"])), PortRange.parse(udp)
    assert relay.last < media.first or media.last < relay.first
    for url in config.turn_urls:
        assert url.split(":")[2].split("?")[0] == args["listening-port"]
