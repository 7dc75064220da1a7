"""Strict JSON for everything clients send (REST bodies and WebSocket frames).

Python's json module accepts JSON that nothing downstream can use: lone UTF-16 surrogate
escapes ("\\ud800") become strings that cannot be encoded to UTF-8 (SQLite, bcrypt, logs and
json.dumps all fail on them later), and integers longer than the interpreter's 4,300-digit
limit raise a bare ValueError. Both are refused here, at the edge, with one named error, as
I-JSON (RFC 7493) asks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

MAX_INTEGER_DIGITS = 4300  # Python's own default limit (sys.get_int_max_str_digits); named here, not a bare ValueError
_SURROGATE = re.compile("[\ud800-\udfff]")


class StrictJsonError(ValueError):
    """The text is not JSON, or JSON this server refuses; the message says which (never the input)."""


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise StrictJsonError(f"integers are limited to {MAX_INTEGER_DIGITS} digits")
    return int(digits)


def _check_strings(value: Any) -> None:
    """Raise on any string (key or value) holding a lone surrogate; a valid pair was already
    combined into one code point by the decoder, so any surrogate left is lone."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise StrictJsonError("strings must be valid Unicode (no lone UTF-16 surrogate escapes)")
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def decoder(parse_constant: Callable[[str], Any] | None = None) -> Callable[[str], Any]:
    """A `decode(text)` that raises StrictJsonError for malformed or refused JSON; other errors
    raised by `parse_constant` (NaN, Infinity) pass through for the caller to name."""
    kwargs: dict[str, Any] = {"parse_int": _parse_int}
    if parse_constant is not None:
        kwargs["parse_constant"] = parse_constant
    decode = json.JSONDecoder(**kwargs).decode  # built once: ~10 us saved per message

    def strict_decode(text: str) -> Any:
        try:
            value = decode(text)
        except StrictJsonError:
            raise
        except (json.JSONDecodeError, RecursionError):
            raise StrictJsonError("not valid JSON") from None
        # Surrogates can only come from \u escapes: text decoded from UTF-8 holds none.
        if "\\u" in text:
            _check_strings(value)
        return value

    return strict_decode
