"""Sign up, log in/out and the account page in real Chromium, with the API's errors shown."""

from __future__ import annotations

from urllib.error import HTTPError

import pytest
from browser_support import (INSECURE_HOST, PASSWORD, SIGNUP_SECRET, NewSession, Server, screenshot, signed_in, start_server,
                             stop_server)
from playwright.sync_api import Page, Route, expect

ALERT = "[role=alert].form-error"


def fill_signup(page: Page, username: str, password: str, secret: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Signup secret").fill(secret)
    page.get_by_role("button", name="Create account").click()


def login(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_sign_up_log_out_and_log_in(server: Server, new_session: NewSession) -> None:
    s = new_session()
    page = s.page
    page.goto("/")
    expect(page).to_have_url(f"{server.base}#/login")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot(page, "login.png")

    page.get_by_role("link", name="Create an account").click()
    fill_signup(page, "alice", PASSWORD, SIGNUP_SECRET)
    expect(page.get_by_role("heading", name="My rooms")).to_be_visible()
    expect(page.locator("#whoami")).to_have_text("alice")
    expect(page.get_by_text("You are not in any room yet")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.locator("#nav")).to_be_hidden()
    # Logged out for real: the rooms page sends you back to the login form.
    page.goto("/#/rooms")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    login(page, "ALICE", PASSWORD)  # usernames ignore case
    expect(page.get_by_role("heading", name="My rooms")).to_be_visible()
    expect(page.locator("#whoami")).to_have_text("alice")
    # The session survives a reload.
    page.reload()
    expect(page.get_by_role("heading", name="My rooms")).to_be_visible()


def test_wrong_secret_taken_username_and_weak_password_are_explained(server: Server, new_session: NewSession) -> None:
    server.register("bob")
    s = new_session()
    s.console.allow_http(400, 403, 409)
    page = s.page
    page.goto("/#/signup")

    fill_signup(page, "newbie", PASSWORD, "not-the-secret")
    expect(page.locator(ALERT)).to_have_text("That signup secret is wrong. Ask the person who runs this server for it.")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()

    fill_signup(page, "BOB", PASSWORD, SIGNUP_SECRET)
    expect(page.locator(ALERT)).to_have_text("That username is already taken. Pick another one.")

    fill_signup(page, "newbie", "short", SIGNUP_SECRET)
    expect(page.locator(ALERT)).to_contain_text("Passwords need at least 8 characters")

    fill_signup(page, "x", PASSWORD, SIGNUP_SECRET)
    expect(page.locator(ALERT)).to_contain_text("Usernames are 3–32 characters")

    # Nothing was created by the failed attempts: logging in as newbie fails.
    page.goto("/#/login")
    s.console.allow_http(401)
    login(page, "newbie", PASSWORD)
    expect(page.locator(ALERT)).to_have_text("Wrong username or password.")


def test_wrong_password_is_explained_and_the_form_is_busy_while_in_flight(server: Server, new_session: NewSession) -> None:
    server.register("carol")
    s = new_session()
    s.console.allow_http(401)
    page = s.page
    page.goto("/#/login")

    held: list[Route] = []
    page.route("**/api/auth/login", lambda route: held.append(route))
    login(page, "carol", "wrong password")
    button = page.get_by_role("button", name="Log in")
    expect(button).to_be_disabled()
    expect(page.get_by_label("Password")).to_be_disabled()
    expect(page.locator("form[aria-busy=true]")).to_have_count(1)
    page.wait_for_function("() => true")  # let the route handler record the request
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator(ALERT)).to_have_text("Wrong username or password.")
    expect(button).to_be_enabled()
    page.unroute("**/api/auth/login")

    # Empty fields are caught before any request.
    page.get_by_label("Password").fill("")
    button.click()
    expect(page.locator(ALERT)).to_have_text("Enter your username and password.")


def test_log_in_with_the_keyboard_only(server: Server, new_session: NewSession) -> None:
    server.register("dave")
    page = new_session().page
    page.goto("/#/login")
    expect(page.get_by_label("Username")).to_be_focused()  # autofocus
    page.keyboard.type("dave")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My rooms")).to_be_visible()


def test_change_password_api_keys_and_blocks(server: Server, new_session: NewSession) -> None:
    server.register("mallory")
    s = signed_in(server, new_session, "erin")
    page = s.page
    page.goto("/#/account")
    expect(page.locator(".account-name")).to_have_text("erin")

    # Wrong current password: explained, nothing changes.
    s.console.allow_http(401)
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password", exact=True).fill("a brand new password")
    page.get_by_label("Repeat new password").fill("a brand new password")
    page.get_by_role("button", name="Change password").click()
    pw_form = page.get_by_role("form", name="Change password")
    expect(pw_form.locator(ALERT)).to_have_text("Wrong username or password.")
    # Mismatch caught in the page.
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("Repeat new password").fill("something else")
    page.get_by_role("button", name="Change password").click()
    expect(pw_form.locator(ALERT)).to_have_text("The two new passwords differ.")
    page.get_by_label("Repeat new password").fill("a brand new password")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#toast")).to_contain_text("Password changed")
    # The page keeps working with the fresh token (old tokens are now invalid).
    page.reload()
    expect(page.locator(".account-name")).to_have_text("erin")
    server.api("POST", "auth/login", {"username": "erin", "password": "a brand new password"})

    # API key: shown once, listed, usable, revoked.
    page.get_by_label("New key name").fill("my bot")
    page.get_by_role("button", name="Create key").click()
    key = page.locator(".reveal code.secret").inner_text()
    assert key.startswith("hbk_")
    assert server.api("GET", "me", token=key)["user"]["username"] == "erin"
    expect(page.locator("ul.keys li")).to_have_count(1)
    expect(page.locator("ul.keys li .key-name")).to_have_text("my bot")
    page.reload()
    expect(page.locator("ul.keys li")).to_have_count(1)
    expect(page.get_by_text(key)).to_have_count(0)  # never shown again
    page.get_by_role("button", name="Revoke my bot").click()
    expect(page.locator("ul.keys li")).to_have_count(0)
    expect(page.get_by_text("No API keys.")).to_be_visible()
    with pytest.raises(HTTPError) as refused:
        server.api("GET", "me", token=key)
    assert refused.value.code == 401

    # Blocks: unknown user explained; block and unblock.
    s.console.allow_http(404)
    page.get_by_label("Block username").fill("nobody-here")
    page.get_by_role("button", name="Block", exact=True).click()
    expect(page.get_by_role("form", name="Block a user").locator(ALERT)).to_have_text("There is no user with that name.")
    page.get_by_label("Block username").fill("mallory")
    page.get_by_role("button", name="Block", exact=True).click()
    expect(page.locator("ul.blocks li")).to_have_count(1)
    expect(page.locator("ul.blocks li")).to_have_attribute("data-username", "mallory")
    page.get_by_role("button", name="Unblock mallory").click()
    expect(page.locator("ul.blocks li")).to_have_count(0)
    expect(page.get_by_text("You have not blocked anyone.")).to_be_visible()


def test_behind_a_path_prefix_with_rate_limits_and_no_microphone(
    new_session: NewSession, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A second server: under /hubbub, strict login rate limit. Reached by a name that is not a
    secure context, the page has no getUserMedia there: the live room falls back to listening
    only and still connects its audio."""
    tmp = tmp_path_factory.mktemp("prefixed")
    srv = start_server(tmp / "data", tmp / "server.log", "--path-prefix", "/hubbub",
                       "--login-rate-per-username", "3", "--login-rate-window", "600")
    try:
        assert srv.base.endswith("/hubbub/")
        token = srv.register("oscar")
        room = srv.create_room(token, "Attic")
        s = new_session()
        s.console.allow_http(401, 429)
        page = s.page
        page.goto(srv.base.rstrip("/"))  # no trailing slash: redirected to the client
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        assert page.url.startswith(srv.base)
        # register + login above used 2 of oscar's 3 attempts; one more wrong one, then refused.
        login(page, "oscar", "wrong password")
        expect(page.locator(ALERT)).to_have_text("Wrong username or password.")
        login(page, "oscar", PASSWORD)
        expect(page.locator(ALERT)).to_contain_text("Too many attempts. Try again in")

        # Signed in another way (the API token), the live room works under the prefix.
        me = srv.api("GET", "me", token=token)["user"]
        s2 = new_session(token_for=token, user=me)
        s2.page.goto(f"{srv.base.replace('127.0.0.1', INSECURE_HOST)}#/rooms/{room}/live")
        expect(s2.page.locator(".mic-note")).to_have_text("This page cannot use a microphone here (it needs https).")
        expect(s2.page.get_by_role("button", name="Mute mic")).to_be_disabled()
        expect(s2.page.locator("svg.map g.avatar.me")).to_have_attribute("data-username", "oscar")
        expect(s2.page.locator(".conn")).to_have_attribute("data-state", "connected", timeout=20_000)
    finally:
        stop_server(srv)
    assert srv.process.returncode == 0
