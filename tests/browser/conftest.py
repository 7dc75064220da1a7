"""Browser tests: a real `hubbub serve` process (real SQLite file) on the machine's interface, and
Debian's Chromium driven by Playwright for Python (never `playwright install`).

One server and one browser per test module (the machine is small); each test gets fresh browser
contexts. Every page collects console errors and uncaught exceptions, and a test fails if any
appeared that it did not expect.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from browser_support import (INSECURE_HOST, ConsoleLog, LoopThread, NewSession, Server, Session, start_server,
                             stop_server, write_tone_wav)
from chromium import CHROMIUM, CHROMIUM_ARGS, require_loopback_only
from loopback import non_loopback_candidates
from playwright.sync_api import Browser, Playwright, sync_playwright


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("server")
    srv = start_server(tmp / "data", tmp / "server.log")
    yield srv
    stop_server(srv)
    assert srv.process.returncode == 0, srv.log_path.read_text(errors="replace")[-4000:]
    tail = srv.log_path.read_text(errors="replace")
    assert "Traceback" not in tail, tail[-4000:]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright, server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Headless Debian Chromium with a fake microphone playing a quiet tone."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: the README test command installs it (apt-get install chromium)")
    require_loopback_only()
    wav = write_tone_wav(tmp_path_factory.mktemp("mic") / "mic.wav", amplitude=0.05)
    b = playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}",
            # A name for 127.0.0.1 that is not a secure context (no getUserMedia there), see INSECURE_HOST.
            f"--host-resolver-rules=MAP {INSECURE_HOST} 127.0.0.1",
            *CHROMIUM_ARGS,
        ],
    )
    yield b
    b.close()


@pytest.fixture
def new_session(browser: Browser, server: Server) -> Iterator[NewSession]:
    """Factory of isolated browser contexts; at teardown no page may have logged an error."""
    sessions: list[Session] = []

    def make(width: int = 1280, height: int = 800, token_for: str | None = None, user: dict[str, str] | None = None) -> Session:
        context = browser.new_context(viewport={"width": width, "height": height}, base_url=server.base)
        context.set_default_timeout(15_000)
        if token_for is not None and user is not None:
            # Start signed in: the client keeps its session in localStorage.
            script = (
                f"localStorage.setItem('hubbub.token', {json.dumps(token_for)});"
                f"localStorage.setItem('hubbub.user', {json.dumps(json.dumps(user))});"
            )
            context.add_init_script(f"if (!sessionStorage.getItem('seeded')) {{ {script} sessionStorage.setItem('seeded', '1'); }}")
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        console = ConsoleLog()
        page.on("console", console.on_console)
        page.on("pageerror", console.on_page_error)
        page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: _check_answer(frame, console)))
        session = Session(context, page, console)
        sessions.append(session)
        return session

    yield make
    errors = [e for s in sessions for e in s.console.errors + s.console.network_errors]
    for s in sessions:
        s.context.close()
    assert not errors, "browser console errors:\n" + "\n".join(errors)


def _check_answer(frame: str | bytes, console: ConsoleLog) -> None:
    """The server's answers must hold loopback candidates only (no test leaves 127.0.0.1)."""
    try:
        message = json.loads(frame)
    except ValueError:
        return
    if isinstance(message, dict) and message.get("type") == "answer":
        bad = non_loopback_candidates(str(message.get("sdp", "")))
        if bad:
            console.network_errors.append(f"answer with non-loopback candidates: {bad}")


@pytest.fixture
def bot_loop() -> Iterator[LoopThread]:
    """An asyncio loop on its own thread for bots (Playwright's sync API owns the main thread)."""
    lt = LoopThread()
    yield lt
    lt.close()
