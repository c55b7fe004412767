"""Forgot your password: two proofs, a new password, every browser signed out, never signed in."""
import re

import pyotp
from conftest import PASSWORD, is_signed_in

from twofactor.extensions import db
from twofactor.models import AuditEvent, LoginSession

NEW_PASSWORD = "a brand new passphrase"
BACKUP_CODE = re.compile(r"\b[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}\b")


def with_backup_codes(app, auth) -> list[str]:
    """Sign alice in on one browser and make her backup codes; that browser stays signed in."""
    browser = app.test_client()
    browser.post("/login", data={"username": "alice", "password": PASSWORD})
    browser.post("/code", data={"code": auth.last_code()})
    return browser, BACKUP_CODE.findall(browser.post("/security/backup-codes").text)


def test_a_reset_needs_phone_and_backup_code_and_never_signs_in(app, client, auth, twilio):
    other_browser, codes = with_backup_codes(app, auth)
    start = client.post("/forgot/", data={"username": "ALICE"})
    assert start.location == "/code"
    assert client.get("/forgot/password").location == "/forgot/"  # not before two proofs
    after_phone = client.post("/code", data={"code": auth.last_code()})
    assert after_phone.location == "/code/backup"
    assert client.get("/forgot/password").location == "/forgot/"  # one proof is not enough
    after_backup = client.post("/code/backup", data={"code": codes[0]})
    assert after_backup.location == "/forgot/password"
    done = client.post("/forgot/password", data={"password": NEW_PASSWORD,
                                                 "confirm": NEW_PASSWORD})
    assert done.location == "/login"
    assert not is_signed_in(client)  # a reset never signs in
    assert not is_signed_in(other_browser)  # and signs every browser out
    assert "Your password was reset." in twilio.sent("Messages")[-1]["Body"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(LoginSession)) == 0
        assert db.session.scalar(db.select(AuditEvent.id).where(
            AuditEvent.event == "password_reset"))
    # The next sign-in takes the new password and still asks for a code.
    assert client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 200
    assert client.post("/login", data={"username": "alice", "password": NEW_PASSWORD}).location \
        == "/code"
    assert not is_signed_in(client)


def test_an_app_code_can_be_the_second_proof(app, client, auth):
    browser = app.test_client()
    browser.post("/login", data={"username": "alice", "password": PASSWORD})
    browser.post("/code", data={"code": auth.last_code()})
    key = re.search(r'<code class="key">([A-Z2-7 ]+)</code>',
                    browser.post("/security/app/new").text).group(1).replace(" ", "")
    totp = pyotp.TOTP(key)
    browser.post("/security/app", data={"code": totp.now()})
    client.post("/forgot/", data={"username": "alice"})
    assert client.post("/code", data={"code": auth.last_code()}).location == "/code/app"


def test_a_phone_only_account_is_told_to_contact_the_site(client, twilio):
    page = client.post("/forgot/", data={"username": "bob"})
    assert "Please contact the site" in page.text
    assert twilio.sent("Calls") == [] and twilio.sent("Messages") == []
    unknown = client.post("/forgot/", data={"username": "nobody"})
    assert unknown.text.replace("nobody", "bob") == page.text.replace("nobody", "bob")


def test_reset_attempts_are_limited_per_network(app, client):
    for _ in range(10):
        client.post("/forgot/", data={"username": "bob"})
    refused = client.post("/forgot/", data={"username": "bob"})
    assert refused.status_code == 429 and "Try again in" in refused.text


def test_an_operator_can_reset_a_phone_only_account(app, runner, client, auth):
    auth.login(username="bob")
    auth.verify()
    result = runner.invoke(args=["reset-password", "bob"],
                           input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert not is_signed_in(client)
    assert client.post("/login", data={"username": "bob", "password": NEW_PASSWORD}).location \
        == "/code"
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.detail).where(
            AuditEvent.event == "password_reset")) == "by reset-password"


def test_a_control_character_in_the_name_is_refused_plainly(client, twilio):
    page = client.post("/forgot/", data={"username": "a\x00b"})
    assert page.status_code == 200 and "Control characters are not allowed." in page.text
    assert twilio.requests == []
