"""Structured logging: one JSON object per line, extra fields included, credentials redacted.

No code of ours logs a credential, but libraries log what they were handed (aiohttp quoted
request lines, aiosqlite's DEBUG lines show every statement's parameters), so every line is
also scrubbed of anything shaped like a token, an API key or a password hash before it is written.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_TOKEN = r"[A-Za-z0-9\-._~+/]+=*"  # RFC 6750 b64token
_CREDENTIALS = re.compile(
    rf"(?i:bearer)\s+{_TOKEN}"  # an Authorization value
    r"|hbk_[0-9a-f]{16}_[A-Za-z0-9_-]+"  # an API key
    r"|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"  # a JWT
    r"|\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}"  # a bcrypt hash
)
_QUIET = {"aiosqlite": logging.INFO}  # its DEBUG lines hold SQL parameters: hashes, messages


def redact(text: str) -> str:
    """`text` with every credential-shaped run replaced by a marker."""
    return _CREDENTIALS.sub("[redacted]", text)

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """{"ts", "level", "logger", "msg", ...extra} — easy to grep and to ship."""

    def format(self, record: logging.LogRecord) -> str:
        """Render one record as a JSON line."""
        out = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(out, default=str))


def setup_logging(level: str) -> None:
    """Route every logger to stderr as JSON lines at `level`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, floor in _QUIET.items():
        logging.getLogger(name).setLevel(max(floor, logging.getLevelName(level.upper())))
