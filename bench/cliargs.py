"""Command-line pieces the benchmarks share: lists of room sizes, and parsing that returns instead of exiting
(so `hubbub bench NAME` and the tests get an exit code back)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence


def counts(low: int, high: int) -> Callable[[str], list[int]]:
    """An argparse type: comma-separated participant counts, each in low..high."""
    def parse(text: str) -> list[int]:
        try:
            values = [int(v) for v in text.split(",") if v.strip()]
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from exc
        if not values or any(not low <= v <= high for v in values):
            raise argparse.ArgumentTypeError(f"participant counts must be in {low}..{high}")
        return values

    return parse


def parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace | int:
    """The parsed arguments, or the exit code argparse wanted (0 after --help, 2 for bad arguments)."""
    try:
        return parser.parse_args(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


def number(kind: Callable[[str], float], low: float, high: float = float("inf")) -> Callable[[str], float]:
    """An argparse type: one int or float in low..high."""
    def parse_one(text: str) -> float:
        try:
            value = kind(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from exc
        if not low <= value <= high:
            bounds = f"at least {low:g}" if high == float("inf") else f"in {low:g}..{high:g}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {text}")
        return value

    return parse_one
