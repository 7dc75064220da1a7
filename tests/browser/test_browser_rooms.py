"""Rooms (list, create, host settings, leave, delete) and direct messages in real Chromium."""

from __future__ import annotations

from browser_support import NewSession, Server, screenshot, signed_in
from playwright.sync_api import expect

ALERT = "[role=alert].form-error"


def test_create_room_add_and_remove_members_leave_and_delete(server: Server, new_session: NewSession) -> None:
    server.register("bob")
    server.register("carol")
    alice = signed_in(server, new_session, "alice", width=1100, height=720)
    page = alice.page
    page.goto("/#/rooms")
    expect(page.get_by_text("You are not in any room yet")).to_be_visible()

    # Create: validation in the page, then for real.
    form = page.get_by_role("form", name="Create a room")
    form.get_by_label("Width (m)").fill("5000")
    form.get_by_label("Name").fill("Lounge")
    form.get_by_role("button", name="Create room").click()
    expect(form.locator(ALERT)).to_have_text("Width and height must be between 1 and 1000 metres.")
    form.get_by_label("Width (m)").fill("30")
    form.get_by_label("Height (m)").fill("15")
    form.get_by_label("Description (optional)").fill("Friday drinks")
    form.get_by_role("button", name="Create room").click()
    expect(page.locator("h1.room-title")).to_have_text("Lounge")
    expect(page.locator(".room-description")).to_have_text("Friday drinks")
    expect(page.get_by_text("Floor 30 × 15 m")).to_be_visible()

    # Host settings: add members by username (any case), with the API's refusals explained.
    alice.console.allow_http(404, 409)
    add = page.get_by_role("form", name="Add a member")
    add.get_by_label("Add member by username").fill("nobody-like-that")
    add.get_by_role("button", name="Add").click()
    expect(add.locator(ALERT)).to_have_text("There is no user with that name.")
    add.get_by_label("Add member by username").fill("BOB")
    add.get_by_role("button", name="Add").click()
    expect(page.locator("ul.members li")).to_have_count(2)
    add.get_by_label("Add member by username").fill("bob")
    add.get_by_role("button", name="Add").click()
    expect(add.locator(ALERT)).to_have_text("That person is already a member of this room.")
    add.get_by_label("Add member by username").fill("carol")
    add.get_by_role("button", name="Add").click()
    expect(page.locator("ul.members li")).to_have_count(3)
    page.get_by_role("button", name="Remove carol").click()  # confirm() is accepted
    expect(page.locator("ul.members li")).to_have_count(2)
    expect(page.locator("ul.members li[data-username=carol]")).to_have_count(0)

    # The rooms list shows it, with my role.
    page.get_by_role("link", name="← My rooms").click()
    expect(page.locator("li.room-item")).to_have_count(1)
    expect(page.locator("li.room-item .room-name")).to_have_text("Lounge")
    expect(page.locator("li.room-item .badge")).to_have_text("host")

    # Bob (a member) sees the room but no host settings, and can leave it.
    bob = signed_in(server, new_session, "bobby")  # a second person, not in the room
    bob.console.allow_http(404)
    room_url = page.locator("li.room-item .room-name").get_attribute("href")
    assert room_url
    bob.page.goto(f"/{room_url}")
    expect(bob.page.locator(ALERT)).to_have_text("That room does not exist, or you are not a member of it.")

    token = server.api("POST", "auth/login", {"username": "bob", "password": "correct horse battery"})["access_token"]
    me = server.api("GET", "me", token=token)["user"]
    real_bob = new_session(token_for=token, user=me)
    real_bob.page.goto(f"/{room_url}")
    expect(real_bob.page.locator("h1.room-title")).to_have_text("Lounge")
    expect(real_bob.page.get_by_role("form", name="Add a member")).to_have_count(0)
    expect(real_bob.page.get_by_role("button", name="Delete room")).to_have_count(0)
    expect(real_bob.page.get_by_role("button", name="Remove alice")).to_have_count(0)
    real_bob.page.get_by_role("button", name="Leave room").click()
    expect(real_bob.page.get_by_role("heading", name="My rooms")).to_be_visible()
    expect(real_bob.page.locator("li.room-item")).to_have_count(0)

    # Alice deletes the room.
    page.locator("li.room-item .room-name").click()
    expect(page.locator("ul.members li")).to_have_count(1)
    page.get_by_role("button", name="Delete room").click()
    expect(page.get_by_role("heading", name="My rooms")).to_be_visible()
    expect(page.locator("li.room-item")).to_have_count(0)
    assert server.api("GET", "rooms", token=token)["rooms"] == []


def test_direct_messages_with_history_and_text_only_rendering(server: Server, new_session: NewSession) -> None:
    dora = signed_in(server, new_session, "dora")
    eve = signed_in(server, new_session, "eve")
    dora.page.goto("/#/dms")
    expect(dora.page.get_by_text("No conversations yet.")).to_be_visible()

    # Unknown user: clear message, no send form.
    dora.console.allow_http(404)
    dora.page.get_by_label("Message a user").fill("ghost")
    dora.page.get_by_role("button", name="Open").click()
    expect(dora.page.get_by_role("alert")).to_have_text("There is no user with that name.")
    expect(dora.page.get_by_role("form", name="Send a message")).to_be_hidden()

    dora.page.goto("/#/dms")
    dora.page.get_by_label("Message a user").fill("eve")
    dora.page.get_by_label("Message a user").press("Enter")
    expect(dora.page.get_by_text("No messages yet. Say hello!")).to_be_visible()
    injection = '<img src=x onerror="window.__pwned=1"><b>bold?</b>'
    dora.page.get_by_label("Message", exact=True).fill("lunch?")
    dora.page.get_by_label("Message", exact=True).press("Enter")
    expect(dora.page.locator(".chat-log li .text")).to_have_text(["lunch?"])
    dora.page.get_by_label("Message", exact=True).fill(injection)
    dora.page.get_by_role("button", name="Send").click()
    expect(dora.page.locator(".chat-log li .text")).to_have_text(["lunch?", injection])

    # Eve sees the conversation in her list and its history, then answers; Dora gets it live (polling).
    eve.page.goto("/#/dms")
    expect(eve.page.locator("ul.conversations li .conv-name")).to_have_text(["dora"])
    eve.page.get_by_role("link", name="dora").click()
    expect(eve.page.locator(".chat-log li .text")).to_have_text(["lunch?", injection])
    expect(eve.page.locator(".chat-log li img")).to_have_count(0)
    eve.page.get_by_label("Message", exact=True).fill("sure, 12:30")
    eve.page.get_by_label("Message", exact=True).press("Enter")
    expect(dora.page.locator(".chat-log li .text")).to_have_text(["lunch?", injection, "sure, 12:30"], timeout=10_000)
    expect(dora.page.locator(".chat-log li.theirs .author")).to_have_text(["eve"])
    for page in (dora.page, eve.page):
        assert page.evaluate("window.__pwned") is None
        expect(page.locator(".chat-log img, .chat-log b")).to_have_count(0)


def test_pages_fit_a_phone_screen(server: Server, new_session: NewSession) -> None:
    frank = signed_in(server, new_session, "frank", width=360, height=740)
    token = server.api("POST", "auth/login", {"username": "frank", "password": "correct horse battery"})["access_token"]
    room = server.create_room(token, "A room with a rather long name to wrap on small screens")
    page = frank.page
    for route in ("#/rooms", f"#/rooms/{room}", "#/account", "#/dms", f"#/rooms/{room}/live"):
        page.goto(f"/{route}")
        expect(page.locator("main h1").first).to_be_visible()
        overflow = page.evaluate("document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth")
        assert overflow <= 0, f"{route} scrolls sideways by {overflow}px at phone width"


def test_rooms_page_lists_my_rooms_with_my_role(server: Server, new_session: NewSession) -> None:
    """Also the README screenshot of the rooms page."""
    grace = server.register("grace")
    heidi = server.register("heidi")
    server.create_room(heidi, "Standup", members=("grace",))
    ivan = signed_in(server, new_session, "ivan", width=1100, height=640)
    server.api("POST", "rooms", {"name": "Book club", "description": "Chapter 7 tonight"}, grace)
    for name, description in (("Studio", "Mixing session, bring headphones"), ("Lounge", "Friday drinks")):
        server.api("POST", "rooms", {"name": name, "description": description, "width": 30, "height": 15}, grace)
    rooms = server.api("GET", "rooms", token=grace)["rooms"]
    page = ivan.page
    page.goto("/#/rooms")
    expect(page.get_by_text("You are not in any room yet")).to_be_visible()
    for room in rooms:
        if room["name"] != "Standup":
            server.api("POST", f"rooms/{room['id']}/members", {"username": "ivan"}, grace)
    token = server.api("POST", "auth/login", {"username": "ivan", "password": "correct horse battery"})["access_token"]
    server.create_room(token, "Ivan's corner")
    page.reload()
    expect(page.locator("li.room-item .room-name")).to_have_count(4)
    assert sorted(page.locator("li.room-item .room-name").all_inner_texts()) == [
        "Book club", "Ivan's corner", "Lounge", "Studio"]
    roles = {li.locator(".room-name").inner_text(): li.locator(".badge").inner_text()
             for li in page.locator("li.room-item").all()}
    assert roles == {"Book club": "member", "Studio": "member", "Lounge": "member", "Ivan's corner": "host"}, roles
    screenshot(page, "rooms.png")
