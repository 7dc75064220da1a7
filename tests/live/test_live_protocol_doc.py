"""docs/protocol.md documents every message type, error code and close code, each type with a
JSON example that parses."""

from __future__ import annotations

import json
import re
from pathlib import Path

from web.live.codes import PROTOCOL_VERSION, CloseCode, ErrorCode
from web.live.protocol import MESSAGE_TYPES, parse_message

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
SERVER_TYPES = {"authenticated", "joined", "room_updated", "member_joined", "member_left", "member_muted", "positions", "speaking",
                "chat", "answer", "ice", "ice_servers", "media_closed", "left", "pong", "error"}


def _sections(title: str) -> dict[str, str]:
    part = DOC.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    return {m.group(1): body for m, body in zip(re.finditer(r"^### `(\w+)`", part, re.M),
                                                re.split(r"^### `\w+`.*$", part, flags=re.M)[1:])}


def _example(body: str) -> dict[str, object]:
    block = re.search(r"```json\n(.*?)```", body, re.S)
    assert block, body
    parsed: dict[str, object] = json.loads(block.group(1))
    return parsed


def test_every_client_type_is_documented_with_an_example_the_server_accepts() -> None:
    sections = _sections("Client → server")
    assert set(sections) == set(MESSAGE_TYPES)
    for kind, body in sections.items():
        example = _example(body)
        assert example["type"] == kind
        if kind != "offer":  # its example SDP is abridged
            parse_message(json.dumps(example))


def test_every_server_type_is_documented_with_an_example() -> None:
    sections = _sections("Server → client")
    assert set(sections) == SERVER_TYPES
    for kind, body in sections.items():
        assert _example(body)["type"] == kind


def test_every_error_and_close_code_is_documented() -> None:
    for code in ErrorCode:
        assert f"| `{code}` |" in DOC, code
    for close in CloseCode:
        assert f"| {int(close)} |" in DOC, close
    assert f"version {PROTOCOL_VERSION}" in DOC
