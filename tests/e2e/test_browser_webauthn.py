"""Security keys in Chromium with its virtual authenticator (CTAP2, USB or built in), on the real
pages through static/webauthn.js: a key added on the security page signs in, passes a step-up
and is removed; an old answer replayed and another account's key are refused by the server."""
import itertools
import json
import re
from datetime import timedelta

import pytest
from live_server import serving
from playwright.sync_api import expect

from app import create_app
from twofactor.extensions import db
from twofactor.models import LoginSession, OutboxMessage, SecurityKey, User, utcnow

from .steps import COOLDOWN, PASSWORD, Phone, enter_code, sign_in
from .test_browser_pages import check_page

_numbers = itertools.count(10)


@pytest.fixture(scope="module")
def webauthn_app(databases):
    """The app as the other browser tests serve it, but at PUBLIC_URL http://localhost:<port>."""
    app = create_app({
        "DEBUG": True, "SECRET_KEY": "e2e-secret-key-0123456789abcdef0123456789",
        "SQLALCHEMY_DATABASE_URI": databases.fresh(),
        "TWILIO_ACCOUNT_SID": None, "TWILIO_AUTH_TOKEN": None,
        "SEND_COOLDOWN": timedelta(seconds=COOLDOWN),
        "SIGNUP_LIMIT_NETWORK": (10_000, timedelta(hours=1)),
        "SEND_LIMITS_NETWORK": [(10_000, timedelta(hours=1))],
        "SEND_LIMIT_PREFIX": (10_000, timedelta(hours=1)),
    })
    with serving(app) as port:
        # A relying-party id must be a host name, so the browser uses localhost, not 127.0.0.1.
        app.config["PUBLIC_URL"] = f"http://localhost:{port}"
        yield app


@pytest.fixture
def base_url(webauthn_app):
    """The e2e ``context`` and ``page`` fixtures open this address."""
    return webauthn_app.config["PUBLIC_URL"]


@pytest.fixture
def make_account(webauthn_app):
    """A new confirmed account with its own phone number: (name, number)."""
    def make() -> tuple[str, str]:
        n = next(_numbers)
        assert n < 100, "out of +1 201 555 03xx test numbers"
        user = User(username=f"keyuser{n}", phone=f"+120155503{n:02d}", phone_confirmed=True)
        user.set_password(PASSWORD)
        with webauthn_app.app_context():
            db.session.add(user)
            db.session.commit()
            return user.username, user.phone
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


def sign_in_by_text(context, page, name, number):
    """Password, then the texted code read from the phone."""
    sign_in(page, name)
    enter_code(page, Phone(context, number).last_code())
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()


def add_key(page, key_name, scan=False):
    """From the security page: "Add a security key or passkey", name it, the browser's prompt."""
    page.goto("/security/")
    page.get_by_role("link", name="Add a security key or passkey").click()
    if scan:
        check_page(page, "key-add", "Add a security key or passkey")
    page.get_by_label("Name").fill(key_name)
    page.get_by_role("button", name="Add the key").click()
    expect(page.get_by_text(f"Your security key “{key_name}” is added.")).to_be_visible()
    expect(page).to_have_title(re.compile("^Security"))


def use_key(page):
    """Press "Use your security key" on /code/key; returns the form the script posted."""
    with page.expect_request(lambda r: r.method == "POST"
                             and r.url.endswith("/code/key")) as posted:
        page.get_by_role("button", name="Use your security key").click()
    return posted.value.post_data_json


def stored_keys(app, name):
    with app.app_context():
        return db.session.scalars(db.select(SecurityKey).join(User)
                                  .where(User.username == name)).all()


def texts_to(app, number) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.to == number))


def step_up_lapses(app, name):
    """Eleven minutes pass: this account's browsers no longer count as lately proved."""
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == name))
        for row in db.session.scalars(db.select(LoginSession)
                                      .where(LoginSession.user_id == user.id)):
            row.factor_at = utcnow() - timedelta(minutes=11)
        db.session.commit()


@pytest.mark.parametrize("transport", ["usb", "internal"])
def test_a_key_added_on_the_security_page_signs_in(webauthn_app, context, page, make_account,
                                                  transport):
    cdp, authenticator = virtual_authenticator(context, page, transport)
    name, number = make_account()
    sign_in_by_text(context, page, name, number)
    add_key(page, "Laptop")
    [key] = stored_keys(webauthn_app, name)
    assert transport in key.transports.split(",")
    expect(page.get_by_text("not used yet")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()

    sign_in(page, name)  # the phone is still the usual factor: a code is sent
    page.get_by_role("link", name="Use your security key").click()
    use_key(page)
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()
    [key] = stored_keys(webauthn_app, name)
    [credential] = cdp.send("WebAuthn.getCredentials",
                            {"authenticatorId": authenticator})["credentials"]
    assert key.sign_count == credential["signCount"] and key.last_used_at is not None
    page.get_by_role("button", name="Sign out", exact=True).click()

    texts = texts_to(webauthn_app, number)
    sign_in(page, name)  # the key worked last: the second step opens on it, nothing is sent
    expect(page).to_have_url(re.compile("/code/key$"))
    use_key(page)
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()
    assert texts_to(webauthn_app, number) == texts


def test_a_key_passes_a_step_up_and_is_removed(webauthn_app, context, page, make_account):
    virtual_authenticator(context, page)
    name, number = make_account()
    sign_in_by_text(context, page, name, number)
    add_key(page, "YubiKey", scan=True)
    check_page(page, "security-keys", "Security")
    step_up_lapses(webauthn_app, name)

    page.get_by_role("button", name="Remove YubiKey").click()  # not lately proved: refused
    check_page(page, "confirm-first", "Confirm it's you first")
    assert len(stored_keys(webauthn_app, name)) == 1
    page.get_by_role("link", name="Confirm it's you").click()
    check_page(page, "confirm-with-key", "Confirm it's you")
    page.get_by_role("button", name="Use your security key").click()
    check_page(page, "step-up-key", "Confirm it's you")
    use_key(page)
    expect(page.get_by_text("You can make changes for the next few minutes.")).to_be_visible()

    page.get_by_role("button", name="Remove YubiKey").click()
    expect(page.get_by_text("Your security key “YubiKey” is removed.")).to_be_visible()
    expect(page.get_by_text("None yet. A security key")).to_be_visible()
    assert stored_keys(webauthn_app, name) == []


def test_an_old_answer_replayed_on_a_new_sign_in_is_refused(webauthn_app, context, page,
                                                           make_account):
    virtual_authenticator(context, page)
    name, number = make_account()
    sign_in_by_text(context, page, name, number)
    add_key(page, "Laptop")
    page.get_by_role("button", name="Sign out", exact=True).click()
    sign_in(page, name)
    page.get_by_role("link", name="Use your security key").click()
    check_page(page, "key-code", "Enter your code")
    answer = use_key(page)
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()

    sign_in(page, name)  # opens on the key; send the captured answer instead of a new one
    page.locator("form[data-webauthn]").evaluate(
        """(form, credential) => { form.credential.value = credential; form.submit(); }""",
        answer["credential"])
    expect(page.locator("[data-webauthn-error]")).to_have_text(
        "This security key request was made for another page. Please try again.")
    check_page(page, "key-code-error", "Enter your code")
    page.goto("/")
    expect(page).to_have_url(re.compile("/code$"))  # still half-way through, not signed in


def test_another_accounts_key_is_refused(webauthn_app, context, page, make_account):
    cdp, authenticator = virtual_authenticator(context, page)
    mallory, mallory_number = make_account()
    victim, victim_number = make_account()
    sign_in_by_text(context, page, mallory, mallory_number)
    add_key(page, "Mallory's key")
    page.get_by_role("button", name="Sign out", exact=True).click()
    sign_in_by_text(context, page, victim, victim_number)
    add_key(page, "Victim's key")  # the victim's own key, so the sign-in step offers a key at all
    page.get_by_role("button", name="Sign out", exact=True).click()
    mallory_id = next(base64url(c["credentialId"]) for c in cdp.send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
        if c["userName"] == mallory)

    def offer_mallorys_key(route):
        """A lying browser: ask the authenticator for Mallory's key on the victim's sign-in."""
        options = route.fetch().json()
        options["allowCredentials"] = [{"type": "public-key", "id": mallory_id}]
        route.fulfill(json=options)

    page.route("**/code/key/options", offer_mallorys_key)
    sign_in(page, victim)
    page.get_by_role("link", name="Use your security key").click()
    answer = use_key(page)
    expect(page.locator("[data-webauthn-error]")).to_have_text(
        "This security key is not registered to this account.")
    assert json.loads(answer["credential"])["id"] == mallory_id  # Mallory's key did sign
    assert all(key.last_used_at is None for key in stored_keys(webauthn_app, victim))


def test_the_script_works_without_the_json_helpers(webauthn_app, context, page, make_account):
    # Browsers before Chrome 129 or Safari 18 lack these; the script converts by hand instead.
    context.add_init_script("""
        delete PublicKeyCredential.parseCreationOptionsFromJSON;
        delete PublicKeyCredential.parseRequestOptionsFromJSON;
        delete PublicKeyCredential.prototype.toJSON;""")
    virtual_authenticator(context, page)
    name, number = make_account()
    sign_in_by_text(context, page, name, number)
    add_key(page, "Old browser")
    page.get_by_role("button", name="Sign out", exact=True).click()
    sign_in(page, name)
    page.get_by_role("link", name="Use your security key").click()
    use_key(page)
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()
    assert page.evaluate("typeof PublicKeyCredential.prototype.toJSON") == "undefined"
