"""A real server on 127.0.0.1 and Debian's Chromium driven by Playwright, for the browser tests."""
import itertools
import os
import shutil
from datetime import timedelta

import pytest
from live_server import serving

from app import create_app
from twofactor.extensions import db
from twofactor.models import User

from .steps import COOLDOWN, DESKTOP, PASSWORD, Phone

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


def find_chromium() -> str | None:
    """Debian's Chromium (never a downloaded browser); CHROMIUM may name another binary."""
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (path := shutil.which(candidate)):
            return path
    return None


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the run; skipped outside CI when none is installed."""
    path = find_chromium()
    if path is None:
        message = "no Chromium found (apt-get install chromium, or set CHROMIUM=/path)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"browser tests must run in CI: {message}")
        pytest.skip(f"browser tests skipped: {message}")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def live_app(databases):
    """The app as ``flask run --debug`` serves it with no Twilio account, minus the reloader."""
    app = create_app({
        "DEBUG": True,  # with the console sender, this turns the /dev/outbox page on
        "SECRET_KEY": "e2e-secret-key-0123456789abcdef0123456789",
        "SQLALCHEMY_DATABASE_URI": databases.fresh(),
        "TWILIO_ACCOUNT_SID": None, "TWILIO_AUTH_TOKEN": None,
        "SEND_COOLDOWN": timedelta(seconds=COOLDOWN),
        # every test signs in from 127.0.0.1 with a +1 201 555 0xxx number
        "SIGNUP_LIMIT_NETWORK": (10_000, timedelta(hours=1)),
        "SEND_LIMITS_NETWORK": [(10_000, timedelta(hours=1))],
        "SEND_LIMIT_PREFIX": (10_000, timedelta(hours=1)),
    })
    with serving(app) as port:
        app.base_url = f"http://127.0.0.1:{port}"
        yield app


@pytest.fixture
def base_url(live_app):
    return live_app.base_url


_numbers = itertools.count(10)


@pytest.fixture
def make_user(live_app):
    """Create a confirmed account with its own name and phone number, as ``create-user`` does."""
    def make(channel="sms", confirmed=True):
        n = next(_numbers)
        assert n < 100, "out of +1 201 555 02xx test numbers"
        user = User(username=f"user{n}", phone=f"+120155502{n:02d}",
                    preferred_channel=channel, phone_confirmed=confirmed)
        user.set_password(PASSWORD)
        with live_app.app_context():
            db.session.add(user)
            db.session.commit()
            return user.username, user.phone
    return make


@pytest.fixture
def context(browser, base_url):
    """A fresh browser profile (no cookies) per test, desktop-sized."""
    ctx = browser.new_context(base_url=base_url, viewport=DESKTOP)
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    """A tab that fails the test on any console error, such as a CSP violation."""
    tab = context.new_page()
    errors, error_pages = [], set()

    def on_response(response):
        """Remember pages the server answered with an error status (a 404 page, say)."""
        if response.request.is_navigation_request() and response.status >= 400:
            error_pages.add(response.url)

    def on_console(msg):
        # Chromium reports an error page itself as "Failed to load resource"; that is the page
        # we asked for, not a failure inside it. A missing script or style still counts.
        if msg.type == "error" and not (msg.text.startswith("Failed to load resource")
                                        and msg.location.get("url") in error_pages):
            errors.append(msg.text)

    tab.on("response", on_response)
    tab.on("console", on_console)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    assert errors == [], f"browser console errors: {errors}"


@pytest.fixture
def phone_of(context):
    """``phone_of(number)``: that number's phone, to read codes from."""
    return lambda number: Phone(context, number)
