"""Real stereo in a real browser: a bot plays a tone to the left of the browser user, and the
page's own measurement of the stream it receives (Web Audio: an explicit 2-channel node, a
ChannelSplitter and one analyser per channel, shown as the L/R meter) is clearly louder on the
left; it flips when the bot walks to the right; per-person mute silences it."""

from __future__ import annotations

import pytest
from browser_support import LoopThread, NewSession, Server, signed_in, wait_for_levels
from playwright.sync_api import expect
from serverproc import LOOPBACK

from bots import ToneSource
from bots.client import Bot, BotOptions

MARGIN_DB = 10.0  # the louder side must win by at least this much (equal-power pan at 90° is ~infinite)


@pytest.mark.timeout(180)
def test_bot_on_the_left_is_louder_on_the_left_and_flips_to_the_right(
    server: Server, new_session: NewSession, bot_loop: LoopThread,
) -> None:
    listener = signed_in(server, new_session, "lena")
    token = server.api("POST", "auth/login", {"username": "lena", "password": "correct horse battery"})["access_token"]
    bot_token = server.register("tonebot")
    room = server.create_room(token, "Studio", width=20, height=20, members=("tonebot",))

    page = listener.page
    page.goto(f"/#/rooms/{room}/live")
    expect(page.locator(".conn")).to_have_attribute("data-state", "connected", timeout=20_000)
    # Stand in the middle facing north (+y). Our own (fake) microphone is never in our own mix.
    page.locator("svg.map").focus()
    page.evaluate("window.hubbubLive.map.moveMe(10, 10, 0)")
    expect(page.locator("svg.map g.avatar.me")).to_have_attribute("data-x", "10.00")
    # Before anyone else is here the mix is silence.
    wait_for_levels(page, lambda l, r: l < -60 and r < -60, "silence while alone")

    bot = Bot(BotOptions(server=server.base, room=room, credential=bot_token, source=ToneSource(440, -12.0),
                         at=(6.0, 10.0), heading=0.0, name="speaker", ice_addresses=LOOPBACK))
    bot_loop.run(bot.start(), timeout=40)
    try:
        # A bot session of an account is labelled with its device name.
        expect(page.locator("svg.map g.avatar[data-username='tonebot (speaker)']")).to_have_attribute("data-x", "6.00")
        # The bot's speaking ring lights up on our map.
        expect(page.locator("svg.map g.avatar[data-username='tonebot (speaker)']")).to_have_attribute("data-speaking", "true")
        # 4 m to our left.
        left_lr = wait_for_levels(page, lambda l, r: l > -45 and l > r + MARGIN_DB, "tone louder on the left")

        bot_loop.run(bot.move(14.0, 10.0, 0.0))
        expect(page.locator("svg.map g.avatar[data-username='tonebot (speaker)']")).to_have_attribute("data-x", "14.00")
        right_lr = wait_for_levels(page, lambda l, r: r > -45 and r > l + MARGIN_DB, "tone louder on the right")
        # Same distance: about the same loudness on the loud side either way.
        assert abs(left_lr[0] - right_lr[1]) < 6, (left_lr, right_lr)

        # Per-person mute (this listener only) silences the bot in our mix...
        page.locator("svg.map g.avatar[data-username='tonebot (speaker)'] circle.body").click(button="right")
        page.get_by_role("dialog", name="Sound of tonebot (speaker)").get_by_label("Mute for me").check()
        wait_for_levels(page, lambda l, r: l < right_lr[1] - 30 and r < right_lr[1] - 30, "muted for me")
        # ...and unmuting brings it back.
        menu = page.get_by_role("dialog", name="Sound of tonebot (speaker)")
        menu.get_by_label("Mute for me").uncheck()
        wait_for_levels(page, lambda l, r: abs(r - right_lr[1]) < 2 and r > l + MARGIN_DB, "unmuted again")
        # Per-person volume: the slider down to 50 % with the keyboard (10 steps of 5 %) is about -6 dB.
        slider = menu.get_by_label("Volume")
        slider.focus()
        for _ in range(10):
            slider.press("ArrowLeft")
        expect(slider).to_have_value("0.5")
        expect(page.locator("ul.live-members li[data-username='tonebot (speaker)']")).to_contain_text("50 %")
        wait_for_levels(page, lambda l, r: 3 < right_lr[1] - r < 9 and r > l + MARGIN_DB, "half volume")
    finally:
        bot_loop.run(bot.close(), timeout=20)
