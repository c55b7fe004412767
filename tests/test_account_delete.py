"""Deleting the account: a step-up, the username typed out, then nothing of it is left but an
anonymous line in the audit trail; the number is told, and the username is free again."""
from conftest import PASSWORD, AuthActions, is_signed_in, sign_up
from test_account_remember import remembered_sign_in
from test_second_factors import make_backup_codes, set_up_app

from twofactor.extensions import db
from twofactor.models import (
    AuditEvent,
    AuthenticatorApp,
    BackupCode,
    LimitEvent,
    LoginSession,
    OneTimeCode,
    PendingLogin,
    RememberedBrowser,
    SecurityKey,
    User,
    WebAuthnChallenge,
)

ALICE_ROWS = (AuthenticatorApp, BackupCode, SecurityKey, WebAuthnChallenge, PendingLogin,
              OneTimeCode, LoginSession, RememberedBrowser)


def sign_in(client, twilio):
    auth = AuthActions(client, twilio)
    auth.login()
    assert auth.verify().status_code == 302


def rows_of(app, user_id: int) -> dict:
    with app.app_context():
        return {model.__name__: db.session.scalar(db.select(db.func.count()).select_from(model)
                                                  .where(model.user_id == user_id))
                for model in ALICE_ROWS}


def test_deleting_removes_everything_of_the_account(app, client, twilio, clock):
    other = app.test_client()
    sign_in(other, twilio)
    sign_in(client, twilio)
    set_up_app(client)
    make_backup_codes(client)
    with app.app_context():
        alice = db.session.scalar(db.select(User).where(User.username == "alice"))
        alice_id = alice.id
        db.session.add(WebAuthnChallenge(id="c" * 64, user_id=alice_id, purpose="stepup",
                                         bound_to="x", challenge=b"0" * 32,
                                         expires_at=alice.created_at))
        db.session.add(RememberedBrowser(id="b" * 64, user_id=alice_id))  # as remembering adds
        db.session.commit()
    assert all(rows_of(app, alice_id)[name] for name in (
        "AuthenticatorApp", "BackupCode", "LoginSession", "RememberedBrowser", "PendingLogin"))
    assert client.get("/security/delete").status_code == 200
    done = client.post("/security/delete", data={"username": "alice"})
    assert done.location == "/"
    assert not is_signed_in(client) and not is_signed_in(other)
    assert set(rows_of(app, alice_id).values()) == {0}
    notice = twilio.sent("Messages")[-1]
    assert notice["To"] == "+12015550123" and "Your account was deleted" in notice["Body"]
    with app.app_context():
        assert db.session.get(User, alice_id) is None
        assert db.session.get(User, 2).username == "bob"  # others untouched
        keys = db.session.scalars(db.select(LimitEvent.key)).all()
        assert not [key for key in keys if key.endswith(f":{alice_id}")]
        events = db.session.scalars(db.select(AuditEvent)).all()
        assert not [e for e in events if e.user_id == alice_id or e.username == "alice"
                    or "•" in e.detail or "alice" in e.detail]
        assert [e.event for e in events if e.event == "account_deleted"] == ["account_deleted"]


def test_the_username_is_free_again(app, client, twilio):
    sign_in(client, twilio)
    client.post("/security/delete", data={"username": "ALICE"})
    page = sign_up(app, "alice", "+12015550166")
    assert "That username is taken" not in page.text
    with app.app_context():
        assert db.session.scalar(db.select(User.phone).where(User.username == "alice")) \
            == "+12015550166"


def test_a_wrong_username_deletes_nothing(app, client, twilio):
    sign_in(client, twilio)
    texts = len(twilio.sent("Messages"))
    page = client.post("/security/delete", data={"username": "bob"})
    assert page.status_code == 200 and "nothing was deleted" in page.text
    assert is_signed_in(client) and len(twilio.sent("Messages")) == texts
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.username == "alice")) is not None


def test_deleting_needs_a_step_up(app, client, twilio, clock):
    sign_in(client, twilio)
    clock.tick(app.config["STEP_UP_WINDOW"] * 1.1)
    assert client.get("/security/delete").location.startswith("/confirm")
    assert client.post("/security/delete", data={"username": "alice"}).status_code == 403
    assert is_signed_in(client)


def test_deleting_needs_a_step_up_even_on_a_remembered_browser(app, client, twilio):
    remembered_sign_in(client, twilio)
    client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert is_signed_in(client)
    assert client.post("/security/delete", data={"username": "alice"}).status_code == 403
