"""Delivery status on the code page: it changes without a reload with JavaScript, on reload without."""

import pytest
import requests
from conftest import twilio_config
from live_server import serving
from playwright.sync_api import expect
from twilio_callbacks import PUBLIC_URL, signature, twilio_params

from app import create_app
from twofactor.extensions import db
from twofactor.models import User

from .steps import DESKTOP, PASSWORD, sign_in


@pytest.fixture(scope="module")
def tracked_app(databases, twilio_server):
    """The app with Twilio (the fake) and a PUBLIC_URL, so sends carry status callbacks."""
    app = create_app({"TESTING": True, "SECRET_KEY": "delivery-secret-key-0123456789abcdef",
                      "SQLALCHEMY_DATABASE_URI": databases.fresh(),
                      "PUBLIC_URL": PUBLIC_URL, **twilio_config(twilio_server)})
    with app.app_context():
        for name, phone in (("dana", "+12015550301"), ("eve", "+12015550302")):
            user = User(username=name, phone=phone, phone_confirmed=True)
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
    with serving(app) as port:
        app.base_url = f"http://127.0.0.1:{port}"
        yield app


@pytest.fixture
def base_url(tracked_app):
    return tracked_app.base_url


def report(base_url: str, sid: str, status: str) -> None:
    """Twilio's status callback, signed, reaching the app (through its public address)."""
    params = {"MessageSid": sid, "MessageStatus": status}
    reply = requests.post(f"{base_url}/twilio/status", data=twilio_params(params), timeout=5,
                          headers={"X-Twilio-Signature": signature(
                              f"{PUBLIC_URL}/twilio/status", params)})
    assert reply.status_code == 204


def test_status_changes_without_a_reload(page, base_url, twilio):
    sign_in(page, "dana")
    words = page.locator("#delivery-words")
    expect(words).to_have_text("Sending your text message…")
    expect(page.get_by_role("button", name="Call me instead", exact=True)).to_have_count(1)
    page.evaluate("window.notReloaded = true")
    report(base_url, twilio.requests[-1]["reply"]["sid"], "undelivered")
    expect(words).to_have_text("The text message could not be delivered — call me instead?")
    expect(page.locator("#delivery-fallback button")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True  # the script changed it, not a reload


def test_status_shows_on_reload_without_javascript(browser, base_url, twilio):
    context = browser.new_context(base_url=base_url, java_script_enabled=False, viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, "eve")
    expect(page.locator("#delivery-words")).to_have_text("Sending your text message…")
    report(base_url, twilio.requests[-1]["reply"]["sid"], "delivered")
    page.reload()
    expect(page.locator("#delivery-words")).to_have_text("Delivered.")
    expect(page.locator("#delivery-fallback")).to_be_hidden()
    context.close()
