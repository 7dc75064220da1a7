"""The `hubbub` command: one entry point that dispatches to each package's own CLI."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

USAGE = """usage: hubbub <command> [options]

commands:
  serve           run the server (hubbub serve --help)
  bench mixer     run the spatial mixing benchmark (hubbub bench mixer --help)
  bench media     measure the media plane with real bot peers (hubbub bench media --help)
  bench fanout    measure position fan-out to many WebSocket clients (hubbub bench fanout --help)
  bench capacity  how many participants one server process holds in a room (hubbub bench capacity --help)
  bot             run headless bot participants (hubbub bot --help)
"""

BENCHES = {"mixer": "bench.mixer", "media": "bench.media", "fanout": "bench.fanout", "capacity": "bench.capacity"}
BENCH_EXTRA = ("matplotlib", "threadpoolctl")  # what `pip install 'hubbub[bench]'` adds


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch lazily so `hubbub serve` never imports the benchmarks and vice versa."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0 if args else 2
    cmd, rest = args[0], args[1:]
    if cmd == "serve":
        from web.server import main as serve_main

        return serve_main(rest)
    if cmd == "bench" and rest[:1] and rest[0] in BENCHES:
        return _bench(rest[0], rest[1:])
    if cmd == "bot":
        from bots.cli import main as bot_main

        return bot_main(rest)
    print(f"hubbub: unknown command {' '.join(args[:2])!r}\n\n{USAGE}", end="", file=sys.stderr)
    return 2


def _bench(name: str, argv: list[str]) -> int:
    """Run one benchmark; a clear message instead of a traceback when the bench extra is missing."""
    try:
        module = importlib.import_module(BENCHES[name])
    except ModuleNotFoundError as exc:
        if exc.name not in BENCH_EXTRA:
            raise
        print(f"hubbub bench {name} needs {exc.name}: pip install 'hubbub[bench]'", file=sys.stderr)
        return 2
    return int(module.main(argv))


if __name__ == "__main__":
    raise SystemExit(main())
