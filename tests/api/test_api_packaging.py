"""The Dockerfile runs `hubbub serve` as a non-root user with the data directory on a volume."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

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
