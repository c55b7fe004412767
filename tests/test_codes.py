"""The one-time code: wrong, expired, reused, out of tries, resent, leading zeros."""
from datetime import timedelta

import pytest
from conftest import AuthActions, counted, is_signed_in

from twofactor.extensions import db
from twofactor.models import OneTimeCode
from twofactor.signin import codes


def other(code: str) -> str:
    """A wrong code that is still six digits."""
    return f"{(int(code) + 1) % 10**6:06d}"


def test_wrong_code_fails_and_says_how_many_tries_left(client, auth):
    auth.login()
    response = auth.verify(other(auth.last_code()))
    assert response.status_code == 200
    assert b"That code is not right. You can try 2 more times." in response.data
    assert not is_signed_in(client)


def test_expired_code_fails(client, auth, clock):
    auth.login()
    clock.tick(timedelta(minutes=5, seconds=1))
    response = auth.verify()
    assert b"expired" in response.data
    assert not is_signed_in(client)


def test_code_just_before_expiry_works(auth, clock):
    auth.login()
    clock.tick(timedelta(minutes=4, seconds=59))
    assert auth.verify().headers["Location"] == "/"


def test_code_cannot_be_reused(app, auth):
    auth.login()
    code = auth.last_code()
    assert auth.verify(code).headers["Location"] == "/"
    second = app.test_client()
    second.post("/login", data={"username": "alice", "password": "correct horse battery"})
    # A new sign-in after a used code gets a code of its own; the used one is just wrong.
    assert len(auth._twilio.requests) == 2
    if auth.last_code() != code:
        refused = second.post("/code", data={"code": code})
        assert b"That code is not right" in refused.data
        assert second.get("/").status_code != 200 or b"Welcome" not in second.get("/").data


def test_code_dies_after_three_wrong_entries(client, auth):
    auth.login()
    code = auth.last_code()
    for _ in range(2):
        auth.verify(other(code))
    third = auth.verify(other(code))
    assert b"no longer works" in third.data
    assert b"expired or has been used up" in auth.verify(code).data
    assert not is_signed_in(client)


def test_malformed_code_is_refused_without_counting(app, client, auth):
    auth.login()
    for typed in ["12345", "1234567", "abcdef", "١٢٣٤٥٦", "12 34 5x", ""]:
        response = auth.verify(typed)
        assert b"6 digits" in response.data or b"Enter the 6-digit code" in response.data
    with app.app_context():
        assert db.session.scalar(db.select(OneTimeCode.failed_attempts)) == 0
    assert auth.verify().headers["Location"] == "/"


@pytest.mark.parametrize("shape", ["{} {}", "{}-{}", " {}{} "])
def test_code_with_space_or_dash_is_accepted(auth, shape):
    auth.login()
    code = auth.last_code()
    assert auth.verify(shape.format(code[:3], code[3:])).headers["Location"] == "/"


def test_resend_voids_the_old_code_and_says_so_without_counting_a_guess(app, auth, clock,
                                                                         twilio):
    auth.login()
    old = auth.last_code()
    clock.tick(timedelta(seconds=31))
    resent = auth.resend()
    assert b"We sent you a new code. The one before it no longer works." in \
        auth._client.get(resent.location).data
    new = auth.last_code()
    assert len(twilio.requests) == 2
    if old != new:
        page = auth.verify(old)
        assert b"That code was replaced by a newer one. Enter the code we sent last." in page.data
        assert counted(app, "guess:") == 0
    assert auth.verify(new).headers["Location"] == "/"


def test_signing_in_again_elsewhere_kills_the_first_browsers_code(app, clock, twilio):
    """One live code per account and purpose, across browsers: a first send skips the voiding
    only when the count finds no older code, and this one finds the other browser's."""
    first, second = AuthActions(app.test_client(), twilio), AuthActions(app.test_client(), twilio)
    first.login()
    first_code = first.last_code()
    clock.tick(timedelta(seconds=31))  # past the resend wait
    second.login()
    second_code = second.last_code()
    assert len(twilio.requests) == 2
    with app.app_context():
        live = db.session.scalars(db.select(OneTimeCode).where(
            OneTimeCode.voided.is_(False), OneTimeCode.used_at.is_(None))).all()
    assert len(live) == 1
    page = first.verify(first_code)
    assert page.status_code == 200 and not is_signed_in(first._client)
    assert second.verify(second_code).headers["Location"] == "/"


def test_resend_within_30_seconds_is_refused_with_the_wait(client, auth, clock, twilio):
    auth.login()
    clock.tick(timedelta(seconds=10))
    page = client.get(auth.resend().headers["Location"])
    assert b"You can ask for a new one in 20 seconds." in page.data
    assert len(twilio.requests) == 1


def test_call_me_instead_places_a_call(auth, clock, twilio):
    auth.login()
    clock.tick(timedelta(seconds=31))
    auth.resend("voice")
    call = twilio.requests[-1]
    assert call["path"].endswith("/Calls.json")
    assert call["form"]["To"] == "+12015550123"
    assert auth.verify().headers["Location"] == "/"


def test_leading_zeros_survive_sms_voice_and_form(app, auth, twilio, monkeypatch, clock):
    monkeypatch.setattr(codes, "make_code", lambda: "004217")
    auth.login()
    assert twilio.requests[-1]["form"]["Body"].startswith("004217 ")
    assert twilio.requests[-1]["form"]["Body"].endswith("\n@localhost #004217")
    clock.tick(timedelta(seconds=31))
    auth.resend("voice")
    assert "0, 0, 4, 2, 1, 7" in twilio.requests[-1]["form"]["Twiml"]
    assert auth.verify("004 217").headers["Location"] == "/"


def test_code_is_stored_only_as_keyed_hash(app, auth):
    import hashlib
    import hmac
    auth.login()
    code = auth.last_code()
    with app.app_context():
        row = db.session.scalar(db.select(OneTimeCode))
        assert code not in row.code_hash
        assert row.code_hash != hashlib.sha256(code.encode()).hexdigest()
        key = hmac.new(app.secret_key.encode(), b"one-time-code", hashlib.sha256).digest()
        assert row.code_hash == hmac.new(key, f"{row.id}:{code}".encode(),
                                         hashlib.sha256).hexdigest()
        assert (row.expires_at - row.created_at) == timedelta(minutes=5)


def test_codes_are_six_random_digits():
    made = [codes.make_code() for _ in range(20000)]
    assert all(len(c) == 6 and c.isdigit() for c in made)
    leading_zero = sum(c[0] == "0" for c in made) / len(made)
    assert 0.08 < leading_zero < 0.12
    assert len(set(made)) > 19000


def test_a_code_is_bound_to_its_pending_sign_in(app, auth):
    auth.login()
    code = auth.last_code()
    other_browser = app.test_client()
    other_browser.post("/login", data={"username": "bob", "password": "correct horse battery",
                                       "channel": "sms"})
    response = other_browser.post("/code", data={"code": code, "user_id": "1"})
    assert response.status_code == 200
    assert not is_signed_in(other_browser)
