"""`hubbub serve`: resolve the config, start the app, print where it listens, stop on SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence

from aiohttp import web

from store.errors import DatabaseUnusable
from web import datadir
from web.app import create_app
from web.config import Config, ConfigError, ensure_secrets, parse_config
from web.httpserver import Runner
from web.logs import setup_logging

log = logging.getLogger("hubbub.server")


async def serve(config: Config, stop: asyncio.Event) -> None:
    """Run until `stop` is set, then stop accepting, close connections and the database."""
    app = await create_app(config)
    # Our own middleware writes the access log (route patterns only), so aiohttp's is off.
    runner = Runner(app, idle_timeout=config.idle_timeout, access_log=None, shutdown_timeout=config.shutdown_timeout,
                    handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, config.port)
        await site.start()
        port = int(runner.addresses[0][1]) if runner.addresses else config.port
        host = f"[{config.host}]" if ":" in config.host else config.host
        print(f"hubbub listening on http://{host}:{port}{config.path_prefix}/", flush=True)
        log.info("listening", extra={"host": config.host, "port": port})
        await stop.wait()
        log.info("shutting down")
    finally:
        await runner.cleanup()
    log.info("stopped")


EXIT_CANNOT_LISTEN = 1
EXIT_CONFIG = 2
EXIT_DATA_DIR = 3


def main(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> int:
    """Entry point for `hubbub serve`; returns the process exit code: 0 after a clean stop,
    1 if it cannot listen, 2 for a bad setting, 3 for an unusable data directory or database
    (see docs/configuration.md). Each failure is one line on stderr, never a traceback."""
    try:
        config = parse_config(argv, os.environ if environ is None else environ)
    except ConfigError as exc:
        print(f"hubbub serve: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        lock = datadir.prepare(config.data_dir)
    except datadir.DataDirError as exc:
        print(f"hubbub serve: {exc}", file=sys.stderr)
        return EXIT_DATA_DIR
    try:
        return _run(config, lock)
    finally:
        lock.release()


def _run(config: Config, lock: datadir.DataDirLock) -> int:
    try:
        secrets = ensure_secrets(config)
    except ConfigError as exc:
        print(f"hubbub serve: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except OSError as exc:
        print(f"hubbub serve: cannot use data directory {config.data_dir}: {exc.strerror} ({exc.filename})",
              file=sys.stderr)
        return EXIT_DATA_DIR
    config = secrets.config
    setup_logging(config.log_level)
    print("hubbub configuration: " + json.dumps(config.masked()), flush=True)
    if secrets.new_signup_secret is not None:
        # Printed once, on the start that generated it; it is also in <data_dir>/signup_secret.
        print(f"hubbub: generated signup secret (shown once): {secrets.new_signup_secret}", flush=True)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(config, stop)

    try:
        asyncio.run(run())
    except DatabaseUnusable as exc:
        print(f"hubbub serve: {exc}", file=sys.stderr)
        return EXIT_DATA_DIR
    except OSError as exc:
        print(f"hubbub serve: cannot start: {exc}", file=sys.stderr)
        return EXIT_CANNOT_LISTEN
    return 0
