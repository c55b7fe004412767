"""Security keys on the real pages, answered by a software key: added on the security page,
used at sign-in, for a step-up and for recovery; removed only after a step-up, never the last
way in; a wrong answer costs the account's budget like a wrong code."""
import json
from datetime import timedelta

import pytest
from conftest import PASSWORD, add_user, counted, is_signed_in
from soft_authenticator import SoftKey

from twofactor.extensions import db
from twofactor.models import AuditEvent, SecurityKey, User

ORIGIN = "http://localhost:5000"  # the origin SoftKey reports, as a browser there would


@pytest.fixture
def app_config(app_config):
    """The test settings, with the site at PUBLIC_URL http://localhost:5000."""
    return {**app_config, "PUBLIC_URL": ORIGIN}


def sign_in_by_text(client, auth, name="alice"):
    """Password, then the texted code: a fresh sign-in, so changes need no step-up yet."""
    client.post("/login", data={"username": name, "password": PASSWORD})
    assert client.post("/code", data={"code": auth.last_code()}).location == "/"


def options(client, url: str) -> str:
    """What static/webauthn.js fetches when the button is pressed."""
    reply = client.post(url)
    assert reply.status_code == 200 and reply.mimetype == "application/json", reply.text
    return reply.text


def add_key(client, name="YubiKey", key: SoftKey | None = None) -> SoftKey:
    """Add a key on the security page: the browser's prompt, then the name typed."""
    key = key or SoftKey()
    answer = key.create(options(client, "/security/keys/options"))
    done = client.post("/security/keys/new", data={"credential": answer, "name": name})
    assert done.location == "/security/", done.text
    return key


def use_key(client, key: SoftKey, counter: int | None = None):
    """Press "Use your security key" on /code/key and let ``key`` answer."""
    answer = key.get(options(client, "/code/key/options"), counter)
    return client.post("/code/key", data={"credential": answer})


def stored(app, name="alice") -> list[SecurityKey]:
    with app.app_context():
        return db.session.scalars(db.select(SecurityKey).join(User)
                                  .where(User.username == name)).all()


def usual_factor(app, name="alice") -> str:
    with app.app_context():
        return db.session.scalar(db.select(User.usual_factor).where(User.username == name))


def events(app, name):
    with app.app_context():
        return db.session.scalars(db.select(AuditEvent.detail)
                                  .where(AuditEvent.event == name)).all()


def test_a_key_added_on_the_security_page_is_listed_and_announced(app, client, auth, twilio):
    sign_in_by_text(client, auth)
    page = client.get("/security/")
    assert "Add a security key or passkey" in page.text
    assert "Add a security key or passkey" in client.get("/security/keys/new").text
    add_key(client, "YubiKey")
    add_key(client, "Laptop")  # several are allowed
    assert "A security key was added to your account." in twilio.sent("Messages")[-1]["Body"]
    assert events(app, "key_added") == ["YubiKey", "Laptop"]
    listed = client.get("/security/").text
    assert "YubiKey" in listed and "Laptop" in listed and "not used yet" in listed
    assert [key.name for key in stored(app)] == ["YubiKey", "Laptop"]


def test_signing_in_with_a_key_then_opens_on_it_and_sends_no_text(app, client, auth, twilio):
    sign_in_by_text(client, auth)
    key = add_key(client)
    client.post("/logout")

    assert auth.login().location == "/code"  # the phone is still the usual factor
    assert "Use your security key" in client.get("/code").text
    assert client.get("/code/key").status_code == 200
    assert use_key(client, key).location == "/" and is_signed_in(client)
    assert usual_factor(app) == "key"
    assert "last used" in client.get("/security/").text
    client.post("/logout")

    texts = len(twilio.sent("Messages"))
    assert auth.login().location == "/code/key"  # the key worked last: the next sign-in opens on it
    assert len(twilio.sent("Messages")) == texts  # and nothing was sent
    assert use_key(client, key).location == "/" and is_signed_in(client)
    assert events(app, "code_accepted")[-1] == "key for login"


def test_the_key_can_be_chosen_as_the_usual_factor(app, client, auth, twilio):
    sign_in_by_text(client, auth)
    key = add_key(client)
    assert "My security key" in client.get("/security/").text
    saved = client.post("/security/usual", data={"factor": "key"}, follow_redirects=True)
    assert "Your next sign-in starts with your security key." in saved.text
    client.post("/logout")
    texts = len(twilio.sent("Messages"))
    assert auth.login().location == "/code/key"
    assert len(twilio.sent("Messages")) == texts
    assert use_key(client, key).location == "/"


def test_the_usual_factor_cannot_be_a_key_the_account_does_not_have(app, client, auth):
    sign_in_by_text(client, auth)
    assert "My security key" not in client.get("/security/").text
    refused = client.post("/security/usual", data={"factor": "key"}, follow_redirects=True)
    assert "Choose a factor you have set up." in refused.text
    assert usual_factor(app) == "phone"


def test_a_key_passes_a_step_up(app, client, auth, clock):
    sign_in_by_text(client, auth)
    key = add_key(client)
    clock.tick(timedelta(minutes=11))
    assert client.get("/security/keys/new").location.startswith("/confirm")
    assert "Use your security key" in client.get("/confirm").text
    start = client.post("/confirm?next=/security/keys/new", data={"method": "key"})
    assert start.location == "/code/key"
    assert "Confirm it&#39;s you" in client.get("/code/key").text
    ceremony = json.loads(options(client, "/code/key/options"))
    assert ceremony["rpId"] == "localhost"
    done = client.post("/code/key", data={"credential": key.get(json.dumps(ceremony))})
    assert done.location == "/security/keys/new"
    assert client.get("/security/keys/new").status_code == 200
    assert usual_factor(app) == "phone"  # a step-up does not change how sign-in opens


def test_a_key_cannot_be_added_without_a_step_up(app, client, auth, clock):
    sign_in_by_text(client, auth)
    clock.tick(timedelta(minutes=11))
    assert client.post("/security/keys/options").status_code == 403
    assert client.post("/security/keys/new", data={"name": "x", "credential": "{}"}) \
        .status_code == 403
    assert stored(app) == []


def test_removing_a_key_needs_a_step_up_and_sends_a_notice(app, client, auth, twilio, clock):
    sign_in_by_text(client, auth)
    add_key(client)
    [key] = stored(app)
    clock.tick(timedelta(minutes=11))
    assert client.post("/security/keys/remove", data={"key": key.id}).status_code == 403
    assert len(stored(app)) == 1
    client.post("/confirm", data={"method": "sms"})
    assert auth.verify().location == "/security/"
    assert client.post("/security/keys/remove", data={"key": key.id}).location == "/security/"
    assert stored(app) == []
    assert "A security key was removed from your account." in twilio.sent("Messages")[-1]["Body"]
    assert events(app, "key_removed") == ["YubiKey"]


def test_removing_the_last_key_ends_it_as_the_usual_factor(app, client, auth):
    sign_in_by_text(client, auth)
    add_key(client)
    client.post("/security/usual", data={"factor": "key"})
    [key] = stored(app)
    client.post("/security/keys/remove", data={"key": key.id})
    assert usual_factor(app) == "phone"
    client.post("/logout")
    assert auth.login().location == "/code"


def test_a_key_that_is_the_last_way_in_cannot_be_removed(app, client, auth):
    sign_in_by_text(client, auth)
    add_key(client, "YubiKey")
    with app.app_context():  # the phone no longer counts (say its number was withdrawn)
        db.session.scalar(db.select(User).where(User.username == "alice")).phone_confirmed = False
        db.session.commit()
    [only] = stored(app)
    refused = client.post("/security/keys/remove", data={"key": only.id}, follow_redirects=True)
    assert "This is your last way to sign in, so it cannot be removed." in refused.text
    assert len(stored(app)) == 1
    add_key(client, "Laptop")  # with a second key, either one may go
    assert client.post("/security/keys/remove", data={"key": only.id}).location == "/security/"
    assert [key.name for key in stored(app)] == ["Laptop"]


def test_another_accounts_key_cannot_be_removed(app, auth):
    add_user(app, "carol", "+12015550142")
    carol, alice = app.test_client(), app.test_client()
    sign_in_by_text(carol, auth, "carol")
    add_key(carol)
    sign_in_by_text(alice, auth)
    [carols] = stored(app, "carol")
    assert alice.post("/security/keys/remove", data={"key": carols.id}).location == "/security/"
    assert len(stored(app, "carol")) == 1


def test_a_wrong_answer_counts_on_the_budget_and_is_held_back(app, client, auth):
    sign_in_by_text(client, auth)
    key = add_key(client)
    client.post("/logout")
    auth.login()
    before = counted(app, "guess:")
    refused = use_key(client, SoftKey())  # a key this account never registered
    assert refused.status_code == 200 and not is_signed_in(client)
    assert "This security key is not registered to this account." in refused.text
    assert counted(app, "guess:") - before == 1
    assert events(app, "code_refused")[-1] == "key"
    for _ in range(4):  # five wrong in a row: the next try waits, whatever it is
        use_key(client, SoftKey())
    held = use_key(client, key)
    assert held.status_code == 429 and "wait" in held.text and not is_signed_in(client)
    assert "Retry-After" in held.headers


def test_another_accounts_key_is_refused_at_sign_in(app, auth):
    add_user(app, "carol", "+12015550142")
    carol, alice = app.test_client(), app.test_client()
    sign_in_by_text(carol, auth, "carol")
    carols_key = add_key(carol)
    sign_in_by_text(alice, auth)
    add_key(alice)  # alice has a key of her own, so the page offers one at all
    alice.post("/logout")
    alice.post("/login", data={"username": "alice", "password": PASSWORD})
    before = counted(app, "guess:")
    refused = use_key(alice, carols_key)
    assert "This security key is not registered to this account." in refused.text
    assert not is_signed_in(alice) and counted(app, "guess:") - before == 1
    assert all(key.last_used_at is None for key in stored(app))


def test_a_registration_answer_is_bound_to_the_browser_that_asked(app, auth):
    mine, other = app.test_client(), app.test_client()
    sign_in_by_text(mine, auth)
    sign_in_by_text(other, auth)  # the same account, signed in elsewhere
    answer = SoftKey().create(options(mine, "/security/keys/options"))
    refused = other.post("/security/keys/new", data={"credential": answer, "name": "Stolen"})
    assert refused.status_code == 200
    assert "This security key request was made for another page." in refused.text
    assert stored(app) == []


def test_a_sign_in_answer_is_bound_to_its_pending_step(app, auth):
    setup, first, second = app.test_client(), app.test_client(), app.test_client()
    sign_in_by_text(setup, auth)
    key = add_key(setup)
    first.post("/login", data={"username": "alice", "password": PASSWORD})
    second.post("/login", data={"username": "alice", "password": PASSWORD})
    answer = key.get(options(first, "/code/key/options"))
    refused = second.post("/code/key", data={"credential": answer})
    assert "made for another page" in refused.text and not is_signed_in(second)
    assert first.post("/code/key", data={"credential": answer}).location == "/"


def test_a_key_is_the_second_proof_for_a_new_password(app, client, auth):
    browser = app.test_client()
    sign_in_by_text(browser, auth)
    key = add_key(browser)
    assert client.post("/forgot/", data={"username": "alice"}).location == "/code"
    assert client.post("/code", data={"code": auth.last_code()}).location == "/code/key"
    assert use_key(client, key).location == "/forgot/password"
    assert not is_signed_in(client)  # recovery never signs in


def test_an_empty_answer_is_not_checked_and_costs_nothing(app, client, auth):
    sign_in_by_text(client, auth)
    add_key(client)
    client.post("/logout")
    auth.login()
    before = counted(app, "guess:")
    page = client.post("/code/key", data={"credential": ""})
    assert "Press the button, then touch your security key" in page.text
    assert counted(app, "guess:") == before


def test_without_public_url_keys_are_hidden_and_nothing_breaks(app, client, auth, twilio):
    sign_in_by_text(client, auth)
    add_key(client)
    client.post("/security/usual", data={"factor": "key"})
    app.config["PUBLIC_URL"] = None
    page = client.get("/security/")
    assert page.status_code == 200 and "Security keys and passkeys" not in page.text
    assert client.get("/security/keys/new").location == "/security/"
    assert client.post("/security/keys/options").status_code == 404
    client.post("/logout")
    texts = len(twilio.sent("Messages"))
    assert auth.login().location == "/code"  # the key cannot work here: the phone gets a code
    assert len(twilio.sent("Messages")) == texts + 1
    assert "Use your security key" not in client.get("/code").text
    assert client.get("/code/key").location == "/code"
    assert client.post("/code/key/options").status_code == 400
