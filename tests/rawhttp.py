"""Raw HTTP/1.1 over a socket, for requests no well-behaved client library will send
(bytes that are not UTF-8, over-long lines, repeated headers, bodies that stop half-way)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any


@dataclass
class RawResponse:
    """What came back: status, headers (lower-case names) and the body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def parse_response(data: bytes) -> RawResponse:
    """One HTTP response (Content-Length framed) out of the bytes read."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawResponse(int(lines[0].split()[1]), headers, body)


async def raw_request(host: str, port: int, data: bytes, timeout: float = 10.0) -> RawResponse:
    """Send `data` as is, read until the server closes or a full response is in; parse it."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(data)
        await writer.drain()
        buf = b""
        async with asyncio.timeout(timeout):
            while True:
                chunk = await reader.read(65536)
                buf += chunk
                head, sep, body = buf.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), None)
                if not chunk or (sep and length is not None and len(body) >= length):
                    break
        return parse_response(buf)
    finally:
        writer.close()


def request_bytes(method: str, path: str, headers: list[tuple[str, bytes | str]], body: bytes = b"") -> bytes:
    """A request with headers given as (name, value) pairs, values as raw bytes if need be."""
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: 127.0.0.1"]
    for name, value in headers:
        lines.append(name.encode() + b": " + (value if isinstance(value, bytes) else value.encode()))
    if body:
        lines.append(f"Content-Length: {len(body)}".encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
