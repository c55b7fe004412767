"""Security keys in Chromium with its virtual authenticator: static/webauthn.js on test-only pages
(tests/webauthn_pages.py) registers a key and signs in with it; a replayed answer and another
account's key are refused by the server."""
import itertools
import json
import threading

import pytest
from playwright.sync_api import expect
from webauthn_pages import bp as test_pages
from werkzeug.serving import make_server

from app import create_app
from twofactor.extensions import db
from twofactor.models import SecurityKey, User

from .steps import PASSWORD

_names = itertools.count()


@pytest.fixture(scope="module")
def webauthn_app(databases):
    """The app in debug mode plus the test pages, at PUBLIC_URL http://localhost:<port>."""
    app = create_app({"DEBUG": True, "SECRET_KEY": "e2e-secret-key-0123456789abcdef0123456789",
                      "SQLALCHEMY_DATABASE_URI": databases.fresh(),
                      "TWILIO_ACCOUNT_SID": None, "TWILIO_AUTH_TOKEN": None})
    app.register_blueprint(test_pages)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A relying-party id must be a host name, so the browser uses localhost, not 127.0.0.1.
    app.config["PUBLIC_URL"] = f"http://localhost:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def base_url(webauthn_app):
    """The e2e ``context`` and ``page`` fixtures open this address."""
    return webauthn_app.config["PUBLIC_URL"]


@pytest.fixture
def make_account(webauthn_app):
    """A new account's name."""
    def make() -> str:
        user = User(username=f"keyuser{next(_names)}", phone="+12015550300",
                    phone_confirmed=True)
        user.set_password(PASSWORD)
        with webauthn_app.app_context():
            db.session.add(user)
            db.session.commit()
            return user.username
    return make


def base64url(cdp_base64: str) -> str:
    """The DevTools protocol's plain base64 as WebAuthn's JSON spells it."""
    return cdp_base64.replace("+", "-").replace("/", "_").rstrip("=")


def virtual_authenticator(context, page, transport="usb"):
    """Plug a CTAP2 authenticator into ``page`` that answers at once; returns its CDP session."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    found = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": transport, "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    return cdp, found["authenticatorId"]


def add_key(page, name):
    """Register a key on the test page as a person would, and wait for the server's answer."""
    page.goto(f"/webauthn-test/{name}/register")
    page.get_by_role("button", name="Add key").click()
    expect(page.locator("#outcome")).to_have_text("Registered Test key")


def use_key(page, name):
    """Press "Use security key"; returns the form the script posted."""
    page.goto(f"/webauthn-test/{name}/authenticate")
    with page.expect_request(lambda r: r.method == "POST"
                             and r.url.endswith(f"/{name}/authenticate")) as posted:
        page.get_by_role("button", name="Use security key").click()
    return posted.value.post_data_json


def stored_keys(app, name):
    with app.app_context():
        return db.session.scalars(db.select(SecurityKey).join(User)
                                  .where(User.username == name)).all()


@pytest.mark.parametrize("transport", ["usb", "internal"])
def test_a_key_is_registered_then_signs_in(webauthn_app, context, page, make_account, transport):
    cdp, authenticator = virtual_authenticator(context, page, transport)
    name = make_account()
    add_key(page, name)
    [key] = stored_keys(webauthn_app, name)
    assert transport in key.transports.split(",")
    use_key(page, name)
    expect(page.locator("#outcome")).to_have_text("Signed in with Test key")
    [key] = stored_keys(webauthn_app, name)
    [credential] = cdp.send("WebAuthn.getCredentials",
                            {"authenticatorId": authenticator})["credentials"]
    assert key.sign_count == credential["signCount"] and key.last_used_at is not None


def test_the_script_works_without_the_json_helpers(webauthn_app, context, page, make_account):
    # Browsers before Chrome 129 or Safari 18 lack these; the script converts by hand instead.
    context.add_init_script("""
        delete PublicKeyCredential.parseCreationOptionsFromJSON;
        delete PublicKeyCredential.parseRequestOptionsFromJSON;
        delete PublicKeyCredential.prototype.toJSON;""")
    virtual_authenticator(context, page)
    name = make_account()
    add_key(page, name)
    use_key(page, name)
    expect(page.locator("#outcome")).to_have_text("Signed in with Test key")
    assert page.evaluate("typeof PublicKeyCredential.prototype.toJSON") == "undefined"


def test_a_replayed_answer_is_refused(webauthn_app, context, page, make_account):
    virtual_authenticator(context, page)
    name = make_account()
    add_key(page, name)
    answer = use_key(page, name)
    expect(page.locator("#outcome")).to_have_text("Signed in with Test key")
    # The same form again, from the same browser (same cookie, same CSRF token).
    replay = context.request.post(f"/webauthn-test/{name}/authenticate", form=answer)
    assert replay.status == 400
    assert "Refused: This security key request was already used." in replay.text()


def test_another_accounts_key_is_refused(webauthn_app, context, page, make_account):
    cdp, authenticator = virtual_authenticator(context, page)
    mallory, victim = make_account(), make_account()
    add_key(page, mallory)
    add_key(page, victim)  # the victim's own key, so the sign-in step offers a key at all
    mallory_id = next(base64url(c["credentialId"]) for c in cdp.send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
        if c["userName"] == mallory)

    def offer_mallorys_key(route):
        """A lying browser: ask the authenticator for Mallory's key on the victim's sign-in."""
        options = route.fetch().json()
        options["allowCredentials"] = [{"type": "public-key", "id": mallory_id}]
        route.fulfill(json=options)

    page.route(f"**/webauthn-test/{victim}/authenticate/options", offer_mallorys_key)
    answer = use_key(page, victim)
    expect(page.locator("#outcome")).to_have_text(
        "Refused: This security key is not registered to this account.")
    assert json.loads(answer["credential"])["id"] == mallory_id  # Mallory's key did sign
    assert all(key.last_used_at is None for key in stored_keys(webauthn_app, victim))
