"""`hubbub bot`: run one or many headless participants in a room from the command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rtc.hostaddresses import resolve_addresses

from .client import Bot, BotOptions
from .sourcetrack import FrameSource
from .tonesource import ToneSource
from .wavsource import WavSource

log = logging.getLogger("hubbub.bot")


def _point(text: str) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected X,Y in metres, got {text!r}") from None
    return x, y


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def _csv(text: str) -> tuple[str, ...]:
    parts = tuple(part.strip() for part in text.split(",") if part.strip())
    if not parts:
        raise argparse.ArgumentTypeError("expected at least one address")
    return parts


def build_parser() -> argparse.ArgumentParser:
    """Flags as documented in the README and `hubbub bot --help`."""
    p = argparse.ArgumentParser(prog="hubbub bot", description="Headless participants that join a room, "
                                "send audio, move and record the personal mix they hear.")
    p.add_argument("--server", required=True, help="server base URL, e.g. http://127.0.0.1:8080 (with any path prefix)")
    p.add_argument("--room", required=True, help="room id (the key's user must be a member)")
    p.add_argument("--api-key", required=True, help="API key (hbk_...) or access token; or '-' to read it from stdin")
    p.add_argument("--count", type=int, default=1, help="bots to run in this process (default 1)")
    p.add_argument("--name", default="bot", help="name prefix; bot i joins as PREFIX-i (default 'bot')")
    sound = p.add_mutually_exclusive_group()
    sound.add_argument("--play", type=Path, metavar="FILE.wav", help="send this WAV, looped")
    sound.add_argument("--tone", type=_positive, metavar="HZ", help="send a sine tone")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--wander", action="store_true", help="walk around the room at random")
    where.add_argument("--at", type=_point, metavar="X,Y", help="stand at this point (metres)")
    p.add_argument("--heading", type=float, default=0.0, help="facing direction in degrees (0 = +y, 90 = +x)")
    p.add_argument("--record", type=Path, metavar="OUT.wav",
                   help="record the received stereo mix (OUT-i.wav for each bot when --count > 1)")
    p.add_argument("--duration", type=_positive, metavar="S", help="stop after S seconds (default: until Ctrl-C)")
    p.add_argument("--ice-addresses", type=_csv, metavar="ADDR[,ADDR]",
                   help="local addresses or interfaces to gather ICE candidates on (default: every interface; "
                        "127.0.0.1 for a server on this machine)")
    p.add_argument("--relay-only", action="store_true",
                   help="use only TURN relay candidates (the server's joined message must carry a TURN server)")
    p.add_argument("--log-level", default="WARNING")
    return p


def _record_path(base: Path | None, index: int, count: int) -> Path | None:
    if base is None or count == 1:
        return base
    return base.with_name(f"{base.stem}-{index}{base.suffix or '.wav'}")


def _source(args: argparse.Namespace) -> FrameSource | None:
    if args.play is not None:
        return WavSource(args.play)
    if args.tone is not None:
        return ToneSource(args.tone)
    return None


async def run(args: argparse.Namespace, credential: str, stop: asyncio.Event) -> int:
    """Start every bot (concurrently), run until ``stop`` or the duration, print a summary."""
    bots = [
        Bot(BotOptions(server=args.server, room=args.room, credential=credential,
                       name=f"{args.name}-{i}" if args.count > 1 else None, source=_source(args),
                       at=args.at, heading=args.heading, wander=args.wander,
                       record=_record_path(args.record, i, args.count), seed=i,
                       ice_addresses=args.ice_addresses, relay_only=args.relay_only))
        for i in range(1, args.count + 1)
    ]
    started = 0

    async def start(bot: Bot) -> bool:
        nonlocal started
        try:
            await bot.start()
        except Exception as exc:  # one bot failing must not stop the others; it is reported
            print(f"{bot.options.name}: failed to start: {exc}", file=sys.stderr)
            return False
        started += 1
        print(f"\r{started}/{len(bots)} bots connected", end="", file=sys.stderr, flush=True)
        return True

    t0 = time.monotonic()
    ok = await asyncio.gather(*(start(b) for b in bots))
    print(file=sys.stderr)
    if any(ok):
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), args.duration)
    elapsed = time.monotonic() - t0
    await asyncio.gather(*(b.close() for b in bots))
    totals: dict[str, int] = {}
    for bot, up in zip(bots, ok):
        summary = {"bot": bot.options.name or bot.username, "connected": up, **bot.summary()}
        print(json.dumps(summary))
        for k, v in summary.items():
            if isinstance(v, int) and not isinstance(v, bool):
                totals[k] = totals.get(k, 0) + v
    print(json.dumps({"bots": len(bots), "connected": sum(ok), "seconds": round(elapsed, 1), **totals}))
    return 0 if all(ok) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `hubbub bot`; Ctrl-C (or SIGTERM) ends cleanly with the summary."""
    args = build_parser().parse_args(argv)
    if not 1 <= args.count <= 500:
        print("hubbub bot: --count must be 1..500", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    credential = sys.stdin.readline().strip() if args.api_key == "-" else args.api_key
    try:
        _source(args)  # fail early and clearly on an unreadable WAV or a wrong address
        if args.ice_addresses is not None:
            resolve_addresses(args.ice_addresses)
    except (OSError, ValueError) as exc:
        print(f"hubbub bot: {exc}", file=sys.stderr)
        return 2

    async def runner() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await run(args, credential, stop)

    return asyncio.run(runner())
