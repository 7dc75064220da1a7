"""The fuzz suite's size: a quick subset by default, the full run with HUBBUB_FUZZ=full
(`HUBBUB_FUZZ=full ./dev test tests/fuzz -s`: >= 10,000 HTTP requests and >= 10,000 WebSocket
messages; the figures are printed at the end)."""

from __future__ import annotations

import os

FULL = os.environ.get("HUBBUB_FUZZ", "").lower() == "full"
