"""The live room in real Chromium against the real server and media plane: two (and three)
people join, see and hear each other's presence, move, chat, mute, and leave."""

from __future__ import annotations

import pytest
from browser_support import PASSWORD, LoopThread, NewSession, Server, Session, restart_server, screenshot
from playwright.sync_api import Page, expect
from serverproc import LOOPBACK

from bots import ToneSource
from bots.client import Bot, BotOptions

CONNECTED = 20_000  # ms: WebSocket + microphone + WebRTC (ICE/DTLS) on a busy 2-core machine


def login_ui(s: Session, username: str) -> None:
    page = s.page
    page.goto("/#/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My rooms")).to_be_visible()


def enter_live(page: Page, room_name: str) -> None:
    page.get_by_role("link", name=f"Enter {room_name}").click()
    expect(page.locator("h1.room-title")).to_have_text(room_name)
    expect(page.locator(".conn")).to_have_attribute("data-state", "connected", timeout=CONNECTED)


def avatar(page: Page, username: str):  # noqa: ANN201 - a Locator
    return page.locator(f"svg.map g.avatar[data-username='{username}']")


def position(page: Page, username: str) -> tuple[float, float, float]:
    a = avatar(page, username)
    return (float(a.get_attribute("data-x") or "nan"), float(a.get_attribute("data-y") or "nan"),
            float(a.get_attribute("data-heading") or "nan"))


def wait_drawn_at(page: Page, username: str, x: float, y: float, floor_height: float) -> None:
    """Wait until the avatar is drawn at (x, y) metres: the glide has finished."""
    page.wait_for_function(
        """([name, x, y]) => { const g = document.querySelector(`g.avatar[data-username='${name}']`);
           const m = g && /translate\\(([-\\d.]+) ([-\\d.]+)\\)/.exec(g.getAttribute('transform'));
           return m && Math.abs(+m[1] - x) < 0.02 && Math.abs(+m[2] - y) < 0.02; }""",
        arg=[username, x, floor_height - y])


@pytest.mark.timeout(240)
def test_two_people_meet_move_chat_mute_and_leave(server: Server, new_session: NewSession) -> None:
    server.register("alice")
    server.register("bob")
    server.register("carol")

    # Alice logs in through the UI, creates a room and adds Bob through the UI.
    alice = new_session(width=1280, height=800)
    login_ui(alice, "alice")
    a = alice.page
    form = a.get_by_role("form", name="Create a room")
    form.get_by_label("Name").fill("Garden")
    form.get_by_label("Width (m)").fill("20")
    form.get_by_label("Height (m)").fill("12")
    form.get_by_role("button", name="Create room").click()
    expect(a.locator("h1.room-title")).to_have_text("Garden")
    a.get_by_label("Add member by username").fill("bob")
    a.get_by_role("button", name="Add").click()
    expect(a.locator("ul.members li")).to_have_count(2)
    a.get_by_label("Add member by username").fill("carol")
    a.get_by_role("button", name="Add").click()
    expect(a.locator("ul.members li")).to_have_count(3)
    a.get_by_role("link", name="← My rooms").click()
    enter_live(a, "Garden")
    expect(a.locator("svg.map g.avatar.me")).to_have_attribute("data-username", "alice")
    expect(a.locator("ul.live-members li")).to_have_count(1)

    # Bob, in his own browser context, joins too: each sees the other on the map and in the list.
    bob = new_session(width=1280, height=800)
    login_ui(bob, "bob")
    b = bob.page
    enter_live(b, "Garden")
    for page, other in ((a, "bob"), (b, "alice")):
        expect(avatar(page, other)).to_be_visible()
        expect(page.locator(f"ul.live-members li[data-username='{other}']")).to_have_count(1)
        expect(page.locator("svg.map g.avatar")).to_have_count(2)
    expect(a.locator(".chat-log li.system").last).to_have_text("bob joined")
    expect(b.locator("svg.map g.avatar.me")).to_have_attribute("data-username", "bob")

    # Bob moves with the keyboard and turns; Alice sees him arrive at the same spot.
    bx, by, bh = position(b, "bob")
    b.locator("svg.map").focus()
    for key in ("ArrowRight", "ArrowRight", "ArrowUp", "e", "e"):
        b.keyboard.press(key)
    expect(avatar(b, "bob")).to_have_attribute("data-x", f"{min(20, bx + 1.0):.2f}")
    expect(avatar(a, "bob")).to_have_attribute("data-x", f"{min(20, bx + 1.0):.2f}")
    expect(avatar(a, "bob")).to_have_attribute("data-y", f"{min(12, by + 0.5):.2f}")
    expect(avatar(a, "bob")).to_have_attribute("data-heading", f"{(bh + 30) % 360:.1f}")
    # ...and the drawn avatar glides there (its transform follows the data).
    wait_drawn_at(a, "bob", min(20, bx + 1.0), min(12, by + 0.5), floor_height=12)

    # Alice clicks a spot on the floor: she walks there and Bob sees it.
    box = a.locator("svg.map").bounding_box()
    assert box is not None
    # The floor is 20 x 12 m drawn into the svg box (aspect kept, centred): click at (15 m, 3 m).
    scale = min(box["width"] / 20, box["height"] / 12)
    left = box["x"] + (box["width"] - 20 * scale) / 2
    top = box["y"] + (box["height"] - 12 * scale) / 2
    a.mouse.click(left + 15 * scale, top + (12 - 3) * scale)
    expect(avatar(b, "alice")).to_have_attribute("data-x", "15.00", timeout=5_000)
    ay = float(avatar(b, "alice").get_attribute("data-y") or "nan")
    assert abs(ay - 3.0) < 0.1, ay

    # Alice drags her own avatar to (5 m, 6 m); Bob sees her there.
    wait_drawn_at(a, "alice", 15, 3, floor_height=12)
    me = avatar(a, "alice").locator("circle.body").bounding_box()
    assert me is not None
    a.mouse.move(me["x"] + me["width"] / 2, me["y"] + me["height"] / 2)
    a.mouse.down()
    for i in range(1, 11):  # a real drag: several pointer moves
        tx, ty = 15 + (5 - 15) * i / 10, 3 + (6 - 3) * i / 10
        a.mouse.move(left + tx * scale, top + (12 - ty) * scale)
    a.mouse.up()
    expect(avatar(b, "alice")).to_have_attribute("data-x", "5.00", timeout=5_000)
    expect(avatar(b, "alice")).to_have_attribute("data-y", "6.00")

    # Chat both ways; HTML in a message stays text.
    a.get_by_label("Chat message", exact=True).fill("hello bob")
    a.get_by_label("Chat message", exact=True).press("Enter")
    expect(b.locator(".chat-log li:not(.system) .text")).to_have_text(["hello bob"])
    injection = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    b.get_by_label("Chat message", exact=True).fill(injection)
    b.get_by_role("button", name="Send").click()
    expect(a.locator(".chat-log li:not(.system) .text")).to_have_text(["hello bob", injection])
    expect(b.locator(".chat-log li:not(.system) .text")).to_have_text(["hello bob", injection])
    expect(b.get_by_label("Chat message", exact=True)).to_have_value("")
    for page in (a, b):
        expect(page.locator(".chat-log img, .chat-log script")).to_have_count(0)
        assert page.evaluate("window.__pwned") is None

    # Bob mutes his microphone: Alice sees it on the map and in the list.
    b.get_by_role("button", name="Mute mic").click()
    expect(b.get_by_role("button", name="Unmute mic")).to_have_attribute("aria-pressed", "true")
    expect(avatar(a, "bob")).to_have_attribute("data-muted", "true")
    expect(a.locator("ul.live-members li[data-username='bob'] .mic-off")).to_have_text("mic off")
    b.get_by_role("button", name="Unmute mic").click()
    expect(avatar(a, "bob")).to_have_attribute("data-muted", "false")

    # Per-person mute: Alice right-clicks Bob and mutes him for herself only.
    avatar(a, "bob").locator("circle.body").click(button="right")
    menu = a.get_by_role("dialog", name="Sound of bob")
    expect(menu).to_be_visible()
    menu.get_by_label("Mute for me").check()
    expect(a.locator("ul.live-members li[data-username='bob'] .muted-for-me")).to_have_text("muted for you")
    expect(avatar(a, "bob")).to_have_class("avatar muted-for-me")
    menu.get_by_label("Mute for me").press("Escape")
    expect(menu).to_be_hidden()
    # Nobody else is affected: Bob sees no mute on himself.
    expect(avatar(b, "bob")).to_have_attribute("data-muted", "false")
    # The menu is reachable by keyboard from the member list too.
    a.get_by_role("button", name="Sound of bob").press("Enter")
    expect(menu.get_by_label("Mute for me")).to_be_checked()
    menu.get_by_label("Mute for me").press("Space")
    expect(a.locator("ul.live-members li[data-username='bob'] .muted-for-me")).to_have_count(0)
    menu.get_by_role("button", name="Close").click()

    # A third person joins.
    carol = new_session(width=1280, height=800)
    login_ui(carol, "carol")
    enter_live(carol.page, "Garden")
    expect(a.locator("svg.map g.avatar")).to_have_count(3)
    expect(a.locator("ul.live-members li")).to_have_count(3)
    expect(b.locator("svg.map g.avatar")).to_have_count(3)
    a.get_by_label("Chat message", exact=True).fill("welcome, carol!")
    a.get_by_label("Chat message", exact=True).press("Enter")
    expect(carol.page.locator(".chat-log li:not(.system) .text").last).to_have_text("welcome, carol!")

    # Bob leaves: the others are told and his avatar goes.
    b.get_by_role("link", name="Leave the live room").click()
    expect(b.locator("h1.room-title")).to_have_text("Garden")  # back on the room page
    for page in (a, carol.page):
        expect(avatar(page, "bob")).to_have_count(0)
        expect(page.locator(".chat-log li.system").last).to_have_text("bob left")
    expect(a.locator("ul.live-members li")).to_have_count(2)

    # Log out from the live room: it disconnects and Carol sees Alice go.
    a.get_by_role("button", name="Log out").click()
    expect(a.get_by_role("heading", name="Log in")).to_be_visible()
    expect(avatar(carol.page, "alice")).to_have_count(0)


# The README's demo room: who stands where (metres; heading in degrees, 0 = up the map), what they
# say into their microphones (None: listening only) and the conversation so far.
DEMO_PEOPLE = {"jonas": (6.5, 7.5, 125.0, ToneSource(196, -20.0)), "priya": (10.5, 7.5, 235.0, ToneSource(247, -18.0)),
               "tom": (16.5, 3.0, 290.0, None)}
DEMO_CHAT = (("maya", "Has everyone finished chapter 7?"), ("jonas", "Two pages to go, no spoilers!"),
             ("priya", "That ending though..."), ("tom", "On chapter 5, listening from here"))


@pytest.mark.timeout(180)
def test_a_demo_room_shows_who_stands_where_who_talks_and_the_chat(
    server: Server, new_session: NewSession, bot_loop: LoopThread,
) -> None:
    """Four people in a book club as one of them sees it: everyone where they stand, the two who
    talk with their speaking rings lit, their chat in order. Also the README screenshot."""
    tokens = {name: server.register(name) for name in ("maya", *DEMO_PEOPLE)}
    room = server.create_room(tokens["maya"], "Book club", width=20, height=12, members=tuple(DEMO_PEOPLE))
    me = server.api("GET", "me", token=tokens["maya"])["user"]
    page = new_session(width=1280, height=800, token_for=tokens["maya"], user=me).page
    page.goto(f"/#/rooms/{room}/live")
    expect(page.locator(".conn")).to_have_attribute("data-state", "connected", timeout=CONNECTED)
    page.evaluate("window.hubbubLive.map.moveMe(8.5, 5, 0)")
    # The others come in after Maya: speaking levels are sent on change, and a steady tone never changes.
    bots = {name: Bot(BotOptions(server=server.base, room=room, credential=tokens[name], source=source, at=(x, y),
                                 heading=heading, ice_addresses=LOOPBACK))
            for name, (x, y, heading, source) in DEMO_PEOPLE.items()}
    try:
        for bot in bots.values():
            bot_loop.run(bot.start(), timeout=40)
        lines = page.locator(".chat-log li:not(.system) .text")
        for said, (name, text) in enumerate(DEMO_CHAT, 1):
            if name == "maya":
                page.get_by_label("Chat message", exact=True).fill(text)
                page.get_by_label("Chat message", exact=True).press("Enter")
            else:
                bot_loop.run(bots[name].say(text))
            expect(lines).to_have_count(said)
        for name, (x, _y, _heading, source) in DEMO_PEOPLE.items():
            expect(avatar(page, name)).to_have_attribute("data-x", f"{x:.2f}")
            if source is not None:
                expect(avatar(page, name)).to_have_attribute("data-speaking", "true")
        expect(avatar(page, "tom")).not_to_have_attribute("data-speaking", "true")
        expect(page.locator("ul.live-members li")).to_have_count(4)
        expect(lines).to_have_text([text for _, text in DEMO_CHAT])
        wait_drawn_at(page, "maya", 8.5, 5, floor_height=12)
        page.locator("h1.room-title").click()  # focus off the map and the chat box
        screenshot(page, "live-room.png")
    finally:
        for bot in bots.values():
            bot_loop.run(bot.close(), timeout=20)


@pytest.mark.timeout(180)
def test_reconnects_after_the_connection_drops(server: Server, new_session: NewSession) -> None:
    token = server.register("rita")
    server.register("sam")
    room = server.create_room(token, "Porch", members=("sam",))
    rita = new_session()
    login_ui(rita, "rita")
    sam = new_session()
    login_ui(sam, "sam")
    rita.page.goto(f"/#/rooms/{room}/live")
    sam.page.goto(f"/#/rooms/{room}/live")
    for page in (rita.page, sam.page):
        expect(page.locator(".conn")).to_have_attribute("data-state", "connected", timeout=CONNECTED)
    expect(avatar(rita.page, "sam")).to_be_visible()

    # The network drops Sam's socket: he shows reconnecting, then comes back by himself with media.
    sam.page.evaluate("window.hubbubLive.socket.drop()")
    expect(sam.page.locator(".conn")).to_have_attribute("data-state", "reconnecting")
    expect(sam.page.locator(".conn")).to_have_attribute("data-state", "connected", timeout=CONNECTED)
    expect(sam.page.locator(".chat-log li.system").last).to_have_text("Reconnected.")
    expect(avatar(rita.page, "sam")).to_be_visible()
    expect(rita.page.locator(".chat-log li.system").last).to_have_text("sam joined")
    # And still works: a chat message goes through.
    sam.page.get_by_label("Chat message", exact=True).fill("back again")
    sam.page.get_by_label("Chat message", exact=True).press("Enter")
    expect(rita.page.locator(".chat-log li:not(.system) .text")).to_have_text(["back again"])

    # Removed by the host: a final state with the reason, no reconnect loop.
    server.api("DELETE", f"rooms/{room}/members/sam", token=token)
    expect(sam.page.locator(".conn")).to_have_attribute("data-state", "failed")
    expect(sam.page.locator(".conn")).to_contain_text("You were removed from this room.")


@pytest.mark.timeout(180)
def test_survives_a_server_restart(server: Server, new_session: NewSession) -> None:
    """The server goes away (1001) and comes back on the same address: the page reconnects the
    WebSocket and renegotiates WebRTC by itself, and the room works again."""
    token = server.register("uma")
    server.register("vic")
    room = server.create_room(token, "Kitchen", members=("vic",))
    uma = new_session()
    login_ui(uma, "uma")
    uma.page.goto(f"/#/rooms/{room}/live")
    expect(uma.page.locator(".conn")).to_have_attribute("data-state", "connected", timeout=CONNECTED)

    # While the server is down Chromium itself logs each refused reconnect attempt.
    uma.console.allow(r"^WebSocket connection to 'ws://[^']+/ws' failed: .*ERR_CONNECTION_REFUSED")
    restart_server(server)
    expect(uma.page.locator(".conn")).to_have_attribute("data-state", "connected", timeout=30_000)
    expect(uma.page.locator(".chat-log li.system").last).to_have_text("Reconnected.")
    state = uma.page.evaluate("window.hubbubLive.media.pc.connectionState")
    assert state == "connected", state

    vic = new_session()
    login_ui(vic, "vic")
    vic.page.goto(f"/#/rooms/{room}/live")
    expect(vic.page.locator(".conn")).to_have_attribute("data-state", "connected", timeout=CONNECTED)
    expect(avatar(uma.page, "vic")).to_be_visible()
    expect(avatar(vic.page, "uma")).to_be_visible()


def test_offer_munging_asks_for_stereo_opus(server: Server, new_session: NewSession) -> None:
    """sdp.js, run in the page: stereo=1;sprop-stereo=1 added to, or overriding, every Opus fmtp."""
    page = new_session().page
    page.goto("/#/login")
    out = page.evaluate("""async () => {
        const { withStereoOpus, hasStereoOpus } = await import('./static/js/live/sdp.js');
        const base = 'v=0\\r\\nm=audio 9 UDP/TLS/RTP/SAVPF 111 63 0\\r\\na=rtpmap:111 opus/48000/2\\r\\n';
        const cases = {
          existing: base + 'a=fmtp:111 minptime=10;useinbandfec=1\\r\\na=rtpmap:0 PCMU/8000\\r\\n',
          mono: base + 'a=fmtp:111 minptime=10;stereo=0;useinbandfec=1\\r\\n',
          missing: base + 'a=rtpmap:0 PCMU/8000\\r\\n',
          none: 'v=0\\r\\nm=audio 9 UDP/TLS/RTP/SAVPF 0\\r\\na=rtpmap:0 PCMU/8000\\r\\n',
        };
        const result = {};
        for (const [k, sdp] of Object.entries(cases)) {
          const munged = withStereoOpus(sdp);
          result[k] = { sdp: munged, stereo: hasStereoOpus(munged), before: hasStereoOpus(sdp) };
        }
        return result;
    }""")
    assert "a=fmtp:111 minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1\r\n" in out["existing"]["sdp"]
    assert "a=fmtp:111 minptime=10;stereo=1;useinbandfec=1;sprop-stereo=1\r\n" in out["mono"]["sdp"]
    assert "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 stereo=1;sprop-stereo=1\r\na=rtpmap:0" in out["missing"]["sdp"]
    assert out["none"]["sdp"] == "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n"
    assert [out[k]["before"] for k in ("existing", "mono", "missing", "none")] == [False, False, False, False]
    assert [out[k]["stereo"] for k in ("existing", "mono", "missing", "none")] == [True, True, True, False]
    for k in ("existing", "mono", "missing"):
        assert out[k]["sdp"].count("a=fmtp:111 ") == 1
