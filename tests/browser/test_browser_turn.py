"""The browser client through a TURN relay only (localStorage hubbub.iceTransportPolicy=relay):
with credentials minted by the server it hears a bot in stereo via a real coturn; with a secret
coturn does not know, the connection indicator says the TURN server refused the credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import LoopThread, NewSession, Server, signed_in, start_server, stop_server, wait_for_levels
from playwright.sync_api import Page, expect
from serverproc import LOOPBACK
from turnserver import TURN_SECRET as SECRET
from turnserver import Coturn, coturn  # noqa: F401 - the fixture

from bots import ToneSource
from bots.client import Bot, BotOptions

RELAY_ONLY = "localStorage.setItem('hubbub.iceTransportPolicy', 'relay');"


def _turn_server(tmp: Path, coturn: Coturn, secret: str) -> Server:
    return start_server(tmp / "data", tmp / "server.log", "--turn-urls", coturn.url, "--turn-secret", secret)


def _relay_only_live_room(srv: Server, new_session: NewSession, username: str,
                          members: tuple[str, ...] = ()) -> tuple[Page, str]:
    """A member signed in to ``srv`` with relay-only media, in the room's live page; (page, room id)."""
    host = srv.register(f"{username}-host")
    session = signed_in(srv, new_session, username)
    room = srv.create_room(host, "Relay room", members=(username, *members))
    session.context.add_init_script(RELAY_ONLY)
    session.page.goto(f"{srv.base}#/rooms/{room}/live")
    return session.page, room


@pytest.mark.timeout(180)
def test_relay_only_browser_hears_a_bot_in_stereo_through_coturn(
    server: Server, new_session: NewSession, bot_loop: LoopThread, coturn: Coturn,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    srv = _turn_server(tmp_path_factory.mktemp("turn-ok"), coturn, SECRET)
    try:
        bot_token = srv.register("relaybot")
        page, room = _relay_only_live_room(srv, new_session, "rita", members=("relaybot",))
        expect(page.locator(".conn")).to_have_attribute("data-state", "connected", timeout=30_000)
        assert "ALLOCATE processed, success" in coturn.log_text()
        page.evaluate("window.hubbubLive.map.moveMe(10, 10, 0)")
        bot = Bot(BotOptions(server=srv.base, room=room, credential=bot_token, source=ToneSource(440, -12.0),
                             at=(6.0, 10.0), name="speaker", ice_addresses=LOOPBACK))
        bot_loop.run(bot.start(), timeout=40)
        try:
            wait_for_levels(page, lambda l, r: l > -45 and l > r + 10, "tone louder on the left, through the relay")
        finally:
            bot_loop.run(bot.close(), timeout=20)
    finally:
        stop_server(srv)


@pytest.mark.timeout(120)
def test_a_refused_turn_credential_is_shown_to_the_user(
    server: Server, new_session: NewSession, coturn: Coturn, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    srv = _turn_server(tmp_path_factory.mktemp("turn-wrong"), coturn, "a-secret-coturn-does-not-know")
    try:
        page, _ = _relay_only_live_room(srv, new_session, "walt")
        expect(page.locator(".conn")).to_contain_text("the TURN server refused the credentials", timeout=20_000)
        expect(page.locator(".conn")).to_have_attribute("data-state", "reconnecting")
    finally:
        stop_server(srv)
