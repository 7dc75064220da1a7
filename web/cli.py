"""The `hubbub` command: one entry point that dispatches to each package's own CLI."""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = """usage: hubbub <command> [options]

commands:
  serve           run the server (hubbub serve --help)
  bench mixer     run the spatial mixing benchmark (hubbub bench mixer --help)
  bot             run headless bot participants (hubbub bot --help)
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch lazily so `hubbub serve` never imports the benchmark and vice versa."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0 if args else 2
    cmd, rest = args[0], args[1:]
    if cmd == "serve":
        from web.server import main as serve_main

        return serve_main(rest)
    if cmd == "bench" and rest[:1] == ["mixer"]:
        from mixer.bench import main as bench_main

        return bench_main(rest[1:])
    if cmd == "bot":
        from bots.cli import main as bot_main

        return bot_main(rest)
    print(f"hubbub: unknown command {' '.join(args[:2])!r}\n\n{USAGE}", end="", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
