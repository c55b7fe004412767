"""Sign up: an account that can sign in only once its phone is confirmed."""
from datetime import timedelta

from conftest import PASSWORD

from twofactor.extensions import db
from twofactor.models import User

FORM = {"username": "carol", "password": PASSWORD, "confirm": PASSWORD,
        "phone": "(201) 555-0142", "channel": "sms"}


def signup(client, **changes):
    return client.post("/signup", data={**FORM, **changes})


def test_signup_stores_e164_and_texts_the_new_number(app, client, twilio):
    response = signup(client)
    assert response.headers["Location"] == "/code"
    assert [r["form"]["To"] for r in twilio.requests] == ["+12015550142"]
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "carol"))
        assert user.phone == "+12015550142" and not user.phone_confirmed
        assert user.password_hash != PASSWORD


def test_the_sign_up_page_names_the_risk_of_phone_codes(client):
    page = client.get("/signup").text
    assert "SIM swap" in page and "authenticator app" in page


def test_signup_is_finished_by_the_code(app, client, auth):
    signup(client)
    assert client.get("/").headers["Location"] == "/code"
    # Signed in, and offered backup codes before anything else.
    assert auth.verify().headers["Location"] == "/security/backup-codes"
    assert b"Welcome, carol" in client.get("/").data
    with app.app_context():
        assert db.session.scalar(db.select(User.phone_confirmed).where(User.username == "carol"))


def test_signup_by_call(client, twilio):
    signup(client, channel="voice", phone="+1 201 555 0142")
    assert twilio.requests[0]["path"].endswith("/Calls.json")
    assert twilio.requests[0]["form"]["To"] == "+12015550142"


def test_unconfirmed_account_confirms_at_next_sign_in(app, client, auth, clock):
    signup(client)
    clock.tick(timedelta(minutes=11))  # the person went away before typing the code
    other = app.test_client()
    other.post("/login", data={"username": "carol", "password": PASSWORD})
    other.post("/code", data={"code": auth.last_code()})
    assert b"Welcome, carol" in other.get("/").data


def test_invalid_number_is_explained_and_nothing_else_is_lost(client, twilio):
    response = signup(client, phone="12345")
    assert response.status_code == 200
    assert b"not a valid phone number" in response.data
    assert b'value="carol"' in response.data
    assert b'value="12345"' in response.data
    assert twilio.requests == []


def test_taken_username_is_explained(client, twilio):
    response = signup(client, username="alice")
    assert b"That username is taken" in response.data
    assert b'value="(201) 555-0142"' in response.data
    assert twilio.requests == []


def test_passwords_must_match(client, twilio):
    response = signup(client, confirm="something else")
    assert b"The two passwords do not match." in response.data
    assert twilio.requests == []


def test_default_region_is_configurable(tmp_path, app_config, twilio):
    from app import create_app
    app = create_app({**app_config, "PHONE_DEFAULT_REGION": "GB"})
    app.test_client().post("/signup", data={**FORM, "phone": "07400 123456"})
    assert twilio.requests[0]["form"]["To"] == "+447400123456"
