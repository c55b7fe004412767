"""Remember this browser: the cookie skips only the second step at sign-in, for this account,
for 30 days, until forgotten; never the password and never a step-up."""
from datetime import timedelta

import pytest
from conftest import PASSWORD, AuthActions, is_signed_in
from test_second_factors import set_up_app

from twofactor.account import remember
from twofactor.extensions import db
from twofactor.models import AuditEvent, RememberedBrowser, token_hash

COOKIE = "__Host-remember"


def remembered_sign_in(client, twilio, name="alice"):
    """Password, then the code with "Don't ask again" ticked; then sign out."""
    auth = AuthActions(client, twilio)
    auth.login(name)
    assert 'name="remember"' in client.get("/code").text
    assert client.post("/code", data={"code": auth.last_code(), "remember": "1"}).location == "/"
    client.post("/logout")
    return auth


def skips(client, twilio, name="alice", password=PASSWORD) -> bool:
    """Whether a sign-in on this browser goes straight in, sending nothing."""
    sent = len(twilio.requests)
    page = client.post("/login", data={"username": name, "password": password})
    skipped = page.location == "/" and is_signed_in(client)
    assert skipped or len(twilio.requests) > sent or page.status_code == 200
    return skipped


def test_the_cookie_skips_only_the_code_and_is_audited(app, client, twilio):
    remembered_sign_in(client, twilio)
    cookie = client.get_cookie(COOKIE)
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax" and cookie.path == "/"
    assert cookie.max_age == 30 * 24 * 3600 and cookie.domain in ("localhost", "")
    with app.app_context():
        row = db.session.scalar(db.select(RememberedBrowser))
        assert row.id != cookie.value and row.id not in cookie.value  # only a hash is kept
    assert skips(client, twilio)
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.id).where(
            AuditEvent.event == "remembered_browser")) is not None
    assert client.get("/security/password").location.startswith("/confirm")  # no step-up
    assert client.post("/security/phone", data={"phone": "+12015550188"}).status_code == 403


def test_never_the_password(app, client, twilio):
    remembered_sign_in(client, twilio)
    page = client.post("/login", data={"username": "alice", "password": "wrong password!"})
    assert page.status_code == 200 and "Invalid username or password." in page.text
    assert not is_signed_in(client)


def test_another_accounts_password_is_asked_for_its_code(app, client, twilio):
    remembered_sign_in(client, twilio)
    assert not skips(client, twilio, "bob")
    assert client.get("/").location == "/code"  # bob is half-way: his code step


@pytest.mark.parametrize("spoil", ["tamper", "session", "garbage"])
def test_a_spoilt_cookie_is_ignored(app, client, twilio, spoil):
    remembered_sign_in(client, twilio)
    value = client.get_cookie(COOKIE).value
    if spoil == "tamper":
        value = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    elif spoil == "session":  # Flask's own signed session, presented as the remember cookie
        client.post("/login", data={"username": "alice", "password": PASSWORD})
        value = client.get_cookie("session").value
    else:
        value = "not a cookie"
    client.set_cookie(COOKIE, value, domain="localhost")
    assert not skips(client, twilio)


def test_thirty_days_and_a_second_is_too_old(app, client, twilio, clock):
    remembered_sign_in(client, twilio)
    clock.tick(timedelta(days=30, seconds=-10))
    assert skips(client, twilio)
    client.post("/logout")
    clock.tick(timedelta(seconds=11))
    assert not skips(client, twilio)


def sign_in_fresh(client, twilio):
    """A full sign-in (password and code) on a remembered browser, so changes are open."""
    auth = AuthActions(client, twilio)
    client.post("/logout")
    client.delete_cookie(COOKIE, domain="localhost")
    auth.login()
    assert auth.verify().status_code == 302


@pytest.mark.parametrize("change", ["forget", "forget_all", "password", "backup_codes",
                                    "app_removed"])
def test_forgetting_and_changes_end_every_remembered_browser(app, client, twilio, change):
    remembered_sign_in(client, twilio)
    cookie = client.get_cookie(COOKIE).value
    other = app.test_client()
    sign_in_fresh(other, twilio)
    page = other.get("/security/")
    assert "Remembered browsers" in page.text and "Forget all" in page.text
    with app.app_context():
        row_id = db.session.scalar(db.select(RememberedBrowser.id))
    if change == "forget":
        other.post(f"/security/browsers/{row_id}/forget")
    elif change == "forget_all":
        other.post("/security/browsers/forget-all")
    elif change == "password":
        other.post("/security/password", data={"current": PASSWORD, "password": "a new one here",
                                               "confirm": "a new one here"})
    elif change == "backup_codes":
        other.post("/security/backup-codes")
    else:
        set_up_app(other)
        with app.app_context():
            assert db.session.scalar(db.select(RememberedBrowser)) is not None
        other.post("/security/backup-codes")  # a second way, so the app may go
        with app.app_context():
            db.session.add(RememberedBrowser(id=row_id, user_id=1, user_agent=""))
            db.session.commit()
        assert other.post("/security/app/remove").location == "/security/"
    with app.app_context():
        assert db.session.scalar(db.select(RememberedBrowser)) is None
    client.set_cookie(COOKIE, cookie, domain="localhost")
    password = "a new one here" if change == "password" else PASSWORD
    assert not skips(client, twilio, password=password)


def test_another_account_cannot_forget_alices_browser(app, client, twilio):
    remembered_sign_in(client, twilio)
    with app.app_context():
        row_id = db.session.scalar(db.select(RememberedBrowser.id))
    bob = app.test_client()
    auth = AuthActions(bob, twilio)
    auth.login("bob")
    bob.post("/code", data={"code": auth.last_code()})
    bob.post(f"/security/browsers/{row_id}/forget")
    assert skips(client, twilio)


def test_the_id_in_the_cookie_is_128_random_bits(app, client, twilio):
    remembered_sign_in(client, twilio)
    with app.test_request_context():
        payload = remember._serializer().loads(client.get_cookie(COOKIE).value)
    assert len(payload["browser"]) >= 22  # 16 bytes, base64url
    with app.app_context():
        assert db.session.get(RememberedBrowser, token_hash(payload["browser"])) is not None
