"""Signing in through a Verify provider in a real browser: one live app per provider, the real
twilio and telnyx clients talking to the local fakes, codes read from the fake's "phone"."""

import pytest
from conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    TELNYX_API_KEY,
    TELNYX_PROFILE_ID,
    VERIFY_SERVICE_SID,
)
from fake_twilio_verify import VERIFY, RoutingHttpClient
from live_server import serving
from playwright.sync_api import expect

from app import create_app
from twofactor.extensions import db
from twofactor.models import User

from .steps import DESKTOP, PASSWORD, enter_code, sign_in

NUMBER = "+12015550188"


def provider_settings(name: str, fake) -> dict:
    """What makes the app use ``name`` through its real client against ``fake``."""
    if name == "twilio-verify":
        return {"CODE_PROVIDER": name, "TWILIO_VERIFY_SERVICE_SID": VERIFY_SERVICE_SID,
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_HTTP_CLIENT": RoutingHttpClient({VERIFY: fake.url}, timeout=5)}
    return {"CODE_PROVIDER": name, "TELNYX_API_KEY": TELNYX_API_KEY,
            "TELNYX_VERIFY_PROFILE_ID": TELNYX_PROFILE_ID, "TELNYX_BASE_URL": f"{fake.url}/v2",
            "TWILIO_ACCOUNT_SID": None, "TWILIO_AUTH_TOKEN": None}


@pytest.fixture(params=["twilio-verify", "telnyx-verify"])
def verify_app(request, databases):
    """A live app of its own for one provider, with one confirmed account."""
    fake = request.getfixturevalue("twilio_verify" if request.param == "twilio-verify"
                                   else "telnyx")
    app = create_app({"DEBUG": True,  # as `flask run --debug` serves it, minus the reloader
                      "SECRET_KEY": "e2e-secret-key-0123456789abcdef0123456789",
                      "SQLALCHEMY_DATABASE_URI": databases.fresh(),
                      **provider_settings(request.param, fake)})
    with app.app_context():
        user = User(username="vera", phone=NUMBER, preferred_channel="sms", phone_confirmed=True)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    with serving(app) as port:
        app.fake = fake
        app.base_url = f"http://127.0.0.1:{port}"
        yield app


@pytest.fixture
def verify_page(browser, verify_app):
    """A fresh tab on the provider's app that fails the test on any console error."""
    ctx = browser.new_context(base_url=verify_app.base_url, viewport=DESKTOP)
    ctx.set_default_timeout(10_000)
    tab = ctx.new_page()
    errors = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    ctx.close()
    assert errors == [], f"browser console errors: {errors}"


def test_sign_in_with_the_providers_code(verify_page, verify_app):
    page, fake = verify_page, verify_app.fake
    sign_in(page, "vera")
    expect(page.get_by_text("We sent a text message with a code to +•••••••••88")).to_be_visible()
    expect(page.get_by_role("button", name="WhatsApp me a code")).to_be_visible()
    code = fake.last_code(NUMBER)
    assert len(code) == (6 if verify_app.config["CODE_PROVIDER"] == "twilio-verify" else 5)
    enter_code(page, code)
    expect(page.get_by_text("You are signed in.")).to_be_visible()
    expect(page.get_by_role("heading", name="Welcome, vera")).to_be_visible()
    verification = fake.sent[-1].get("sid") or fake.sent[-1]["id"]
    assert fake.verifications[verification]["status"] in ("approved", "accepted")
