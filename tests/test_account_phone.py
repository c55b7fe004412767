"""Changing the phone number: a step-up, a code to the new number (limited like a sign-up's),
and only that code moves the account; the old number hears of it, other sessions end."""
from datetime import timedelta

import pytest
from conftest import PASSWORD, AuthActions, counted, is_signed_in

from twofactor.extensions import db
from twofactor.models import AuditEvent, LimitBucket, LimitEvent, User

OLD, NEW = "+12015550123", "+12015550188"


def sign_in(client, twilio):
    auth = AuthActions(client, twilio)
    auth.login()
    assert auth.verify().status_code == 302
    return auth


def phone_of(app) -> str:
    with app.app_context():
        return db.session.scalar(db.select(User.phone).where(User.username == "alice"))


def ask(client, number=NEW, channel="sms"):
    return client.post("/security/phone", data={"phone": number, "channel": channel})


def test_the_right_code_from_the_new_number_changes_it(app, client, twilio):
    other = app.test_client()
    sign_in(other, twilio)
    auth = sign_in(client, twilio)
    assert client.get("/security/phone").status_code == 200
    assert ask(client, "(201) 555-0188").location == "/code"  # typed as at sign-up
    sent = twilio.sent("Messages")[-1]
    assert sent["To"] == NEW and phone_of(app) == OLD  # nothing changes yet
    page = client.get("/code")
    assert "Confirm your new number" in page.text and "+•••••••••88" in page.text
    assert "Use a backup code" not in page.text and 'name="remember"' not in page.text
    assert auth.verify().location == "/security/"
    assert phone_of(app) == NEW
    notice = twilio.sent("Messages")[-1]
    assert notice["To"] == OLD
    assert "Your sign-in number was changed to •••88. Not you?" in notice["Body"]
    assert is_signed_in(client) and not is_signed_in(other)
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.detail).where(
            AuditEvent.event == "phone_changed")) == "+•••••••••23 to +•••••••••88"
    client.post("/logout")  # the next sign-in's code goes to the new number
    auth.login()
    assert twilio.sent("Messages")[-1]["To"] == NEW


def test_the_channel_is_chosen_again(app, client, twilio):
    auth = sign_in(client, twilio)
    ask(client, channel="voice")
    assert twilio.sent("Calls")[-1]["To"] == NEW
    auth.verify()
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.username == "alice")) \
            .preferred_channel == "voice"


@pytest.mark.parametrize("number, why", [
    ("12", "That is not a valid phone number."),
    ("+7 912 345 6789", "We cannot send codes to phone numbers in that country."),
    ("+1 900 555 0123", "we do not send codes to premium-rate"),
    (OLD, "That is already your number.")])
def test_a_number_sign_up_would_refuse_is_refused_here(app, client, twilio, number, why):
    sign_in(client, twilio)
    sends = len(twilio.requests)
    page = ask(client, number)
    assert page.status_code == 200 and why in page.text
    assert len(twilio.requests) == sends and phone_of(app) == OLD


def test_a_wrong_code_leaves_the_old_number(app, client, twilio):
    auth = sign_in(client, twilio)
    ask(client)
    right = auth.last_code()
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    for _ in range(3):
        assert client.post("/code", data={"code": wrong}).status_code == 200
    assert client.post("/code", data={"code": right}).status_code == 200  # the code is dead
    assert phone_of(app) == OLD and is_signed_in(client)


def test_an_expired_or_abandoned_change_leaves_the_old_number(app, client, twilio, clock):
    auth = sign_in(client, twilio)
    ask(client)
    code = auth.last_code()
    clock.tick(app.config["CODE_LIFETIME"] + timedelta(seconds=1))
    assert "expired" in client.post("/code", data={"code": code}).text
    assert phone_of(app) == OLD
    client.get("/security/")  # walked away: the next sign-in still texts the old number
    client.post("/logout")
    auth.login()
    assert twilio.sent("Messages")[-1]["To"] == OLD


def test_another_session_cannot_finish_the_change(app, client, twilio):
    other = app.test_client()
    sign_in(other, twilio)
    auth = sign_in(client, twilio)
    ask(client)
    code = auth.last_code()
    assert other.post("/code", data={"code": code}).location == "/security/"  # no step of its own
    assert phone_of(app) == OLD


def test_sends_to_the_new_number_count_as_unconfirmed(app, client, twilio):
    sign_in(client, twilio)
    ask(client)
    with app.app_context():
        keys = set(db.session.scalars(db.select(LimitEvent.key)))
        site_wide = set(db.session.scalars(db.select(LimitBucket.key)))
    assert {f"send:number:{NEW}", "send:prefix:+12015550", "send:country:US"} <= keys
    assert "send:unconfirmed" in site_wide  # counted per hour, apart from confirmed sends
    assert f"send:number:{OLD}" not in keys


def test_the_new_numbers_own_limit_applies(app_config, twilio):
    from conftest import add_user

    from app import create_app
    app = create_app({**app_config, "SEND_LIMITS_NUMBER": [(1, timedelta(hours=1))],
                      "SEND_COOLDOWN": timedelta(0)})
    add_user(app, "alice", OLD)
    add_user(app, "dave", "+12015550155")
    client = app.test_client()
    sign_in(client, twilio)
    assert ask(client).location == "/code"
    second = app.test_client()  # another account asking for the same new number
    second.post("/login", data={"username": "dave", "password": PASSWORD})
    second.post("/code", data={"code": AuthActions(second, twilio).last_code()})
    sends = len(twilio.sent("Messages"))
    second.post("/security/phone", data={"phone": NEW, "channel": "sms"})
    assert "Many codes were sent to this number lately" in second.get("/code").text
    assert len(twilio.sent("Messages")) == sends
    assert counted(app, f"send:number:{NEW}") == 1


def test_a_change_needs_a_step_up(app, client, twilio, clock):
    sign_in(client, twilio)
    clock.tick(app.config["STEP_UP_WINDOW"] + timedelta(minutes=1))
    assert client.get("/security/phone").location.startswith("/confirm")
    assert ask(client).status_code == 403
    assert twilio.sent("Messages")[-1]["To"] == OLD and phone_of(app) == OLD
