"""Authenticator apps and backup codes at sign-in, set up on the security page after a step-up."""
import re
from datetime import timedelta

import pyotp
import pytest
from conftest import PASSWORD, code_in, counted, is_signed_in

from twofactor.extensions import db
from twofactor.models import AuditEvent, AuthenticatorApp, User

BACKUP_CODE = re.compile(r"\b[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}\b")


def sign_in(auth):
    """Password, then the texted code: a fresh sign-in, so changes need no step-up yet."""
    auth.login()
    assert auth.verify().status_code == 302


def set_up_app(client) -> pyotp.TOTP:
    """Set up an authenticator app as a person typing the key by hand would."""
    assert client.get("/security/app").status_code == 200
    page = client.post("/security/app/new")
    key = re.search(r'<code class="key">([A-Z2-7 ]+)</code>', page.text).group(1)
    app = pyotp.TOTP(key.replace(" ", ""))
    done = client.post("/security/app", data={"code": app.now()})
    assert done.status_code == 302 and done.location == "/security/"
    return app


def make_backup_codes(client) -> list[str]:
    page = client.post("/security/backup-codes")
    assert page.status_code == 200
    return BACKUP_CODE.findall(page.text)


def events(app, name):
    with app.app_context():
        return db.session.scalars(db.select(AuditEvent.detail).where(AuditEvent.event == name)).all()


def test_signing_in_with_an_app_sends_no_text(app, client, auth, twilio, clock):
    sign_in(auth)
    totp = set_up_app(client)
    clock.tick(timedelta(seconds=30))  # the set-up used this step's code
    assert "An authenticator app was added to your account." in twilio.sent("Messages")[-1]["Body"]
    assert events(app, "app_added")
    client.post("/logout")
    texts = len(twilio.sent("Messages"))

    page = auth.login()
    assert page.location == "/code/app"  # the usual factor: the app set up last
    assert len(twilio.sent("Messages")) == texts  # and nothing was sent
    with app.app_context():
        row = db.session.scalar(db.select(AuthenticatorApp))
        # The key is stored sealed, never as typed into the app.
        assert totp.secret not in row.secret_sealed
    assert client.post("/code/app", data={"code": totp.at(0)}).status_code == 200  # wrong
    assert client.post("/code/app", data={"code": totp.now()}).location == "/"
    assert is_signed_in(client)


def test_an_app_code_works_once(app, client, auth, clock):
    sign_in(auth)
    totp = set_up_app(client)
    client.post("/logout")
    clock.tick(timedelta(seconds=31))  # the set-up used this step's code
    auth.login()
    code = totp.now()
    assert client.post("/code/app", data={"code": code}).status_code == 302
    client.post("/logout")
    auth.login()
    again = client.post("/code/app", data={"code": code})
    assert "That code was just used" in again.text and not is_signed_in(client)


def test_a_wrong_app_code_costs_two_of_the_budget(app, client, auth, clock):
    sign_in(auth)
    totp = set_up_app(client)
    client.post("/logout")
    before = counted(app, "guess:")
    auth.login()
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    page = client.post("/code/app", data={"code": wrong})
    assert "That code is not right" in page.text
    assert counted(app, "guess:") - before == 2


def test_a_spent_budget_stops_phone_and_app_but_not_backup_codes(app, client, auth, twilio):
    sign_in(auth)
    totp = set_up_app(client)
    codes = make_backup_codes(client)
    client.post("/logout")
    auth.login()
    for _ in range(5):  # 5 wrong app codes x 2 = 10 >= 9
        client.post("/code/app", data={"code": "000000" if totp.now() != "000000" else "111111"})
    refused = client.post("/code/app", data={"code": totp.now()})
    assert refused.status_code == 429 and "For your safety" in refused.text
    assert not is_signed_in(client)
    used = client.post("/code/backup", data={"code": codes[0].lower().replace("-", " ")})
    assert used.status_code == 302 and is_signed_in(client)
    assert "A backup code was used for your account; 9 left." in twilio.sent("Messages")[-1]["Body"]


def test_a_backup_code_works_once_in_any_case(app, client, auth):
    sign_in(auth)
    codes = make_backup_codes(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    client.post("/logout")
    auth.login()
    page = client.get("/code")
    assert "Use a backup code" in page.text
    assert client.post("/code/backup", data={"code": codes[3].lower()}).status_code == 302
    client.post("/logout")
    auth.login()
    again = client.post("/code/backup", data={"code": codes[3]})
    assert "not right, or it was used already" in again.text and not is_signed_in(client)
    assert client.post("/code/backup", data={"code": "not a code"}).status_code == 200


def test_backup_codes_are_shown_once_and_a_new_set_kills_the_old(app, client, auth, twilio):
    sign_in(auth)
    first = make_backup_codes(client)
    page = client.get("/security/backup-codes")
    assert not BACKUP_CODE.findall(page.text)  # a second visit cannot show them again
    second = make_backup_codes(client)
    assert "the old ones no longer work" in twilio.sent("Messages")[-1]["Body"]
    client.post("/logout")
    auth.login()
    assert "not right" in client.post("/code/backup", data={"code": first[0]}).text
    assert client.post("/code/backup", data={"code": second[0]}).status_code == 302


def test_the_shown_codes_are_not_stored_and_not_cached(app, client, auth):
    sign_in(auth)
    page = client.post("/security/backup-codes")
    assert page.headers["Cache-Control"] == "no-store"
    codes = BACKUP_CODE.findall(page.text)
    with app.app_context():
        dump = "\n".join(str(row) for table in db.metadata.sorted_tables
                         for row in db.session.execute(table.select()).all())
    for code in codes:
        assert code not in dump and code.replace("-", "") not in dump


def test_few_backup_codes_left_are_announced(app, client, auth):
    sign_in(auth)
    codes = make_backup_codes(client)
    for code in codes[:7]:
        client.post("/logout")
        auth.login()
        assert client.post("/code/backup", data={"code": code}).status_code == 302
    home = client.get("/")
    assert "You have 3 backup codes left." in home.text
    assert "You have 3 backup codes left." in client.get("/security/").text


def test_an_app_is_on_only_after_a_right_code(app, client, auth):
    sign_in(auth)
    page = client.post("/security/app/new")
    key = re.search(r'<code class="key">([A-Z2-7 ]+)</code>', page.text).group(1)
    wrong = client.post("/security/app", data={"code": "000000"})
    assert "That code is not right" in wrong.text
    assert key in wrong.text  # the same secret again: the app need not be set up twice
    assert "Off." in client.get("/security/").text
    again = client.post("/security/app/new")  # a new visit shows a new secret
    assert key not in again.text


def test_changes_need_a_recent_second_factor(app, client, auth, clock):
    sign_in(auth)
    clock.tick(timedelta(minutes=11))
    page = client.get("/security/app")
    assert page.status_code == 302 and page.location.startswith("/confirm?next=/security/app")
    refused = client.post("/security/backup-codes")
    assert refused.status_code == 403 and "Nothing was changed" in refused.text
    assert client.post("/security/app/new").status_code == 403  # no enrolment either
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AuthenticatorApp)) == 0


def test_a_step_up_by_text_opens_changes_for_ten_minutes(app, client, auth, twilio, clock):
    sign_in(auth)
    clock.tick(timedelta(minutes=11))
    start = client.post("/confirm?next=/security/app", data={"method": "sms"})
    assert start.location == "/code"
    assert "Confirm it&#39;s you" in client.get("/code").text
    done = auth.verify()
    assert done.location == "/security/app"
    assert client.get("/security/app").status_code == 200
    assert is_signed_in(client)  # still the same session
    clock.tick(timedelta(minutes=11))
    assert client.get("/security/app").status_code == 302


def test_a_sign_in_code_does_not_pass_a_step_up(app, auth, twilio, clock):
    me, thief = app.test_client(), app.test_client()
    me.post("/login", data={"username": "alice", "password": PASSWORD})
    me.post("/code", data={"code": auth.last_code()})
    clock.tick(timedelta(minutes=11))
    thief.post("/login", data={"username": "alice", "password": PASSWORD})
    clock.tick(timedelta(seconds=31))
    login_code = auth.last_code()  # live, but for another browser's sign-in
    me.post("/confirm", data={"method": "sms"})
    page = me.post("/code", data={"code": login_code})
    assert "That code is not right" in page.text
    assert me.get("/security/app").status_code == 302


def test_a_step_up_belongs_to_the_browser_that_began_it(app, client, auth, clock):
    sign_in(auth)
    clock.tick(timedelta(minutes=11))
    client.post("/confirm", data={"method": "sms"})
    client.post("/logout")
    assert client.get("/code").location == "/login"


def test_removing_the_app_needs_a_step_up_and_sends_a_notice(app, client, auth, twilio, clock):
    sign_in(auth)
    totp = set_up_app(client)
    clock.tick(timedelta(minutes=11))
    assert client.post("/security/app/remove").status_code == 403
    client.post("/confirm", data={"method": "app"})
    assert client.post("/code/app", data={"code": totp.at(clock.time_to_freeze)}).location \
        == "/security/"
    assert client.post("/security/app/remove").location == "/security/"
    assert "authenticator app was removed" in twilio.sent("Messages")[-1]["Body"]
    with app.app_context():
        assert db.session.scalar(db.select(User.usual_factor).where(User.username == "alice")) \
            == "phone"


def test_the_sign_in_page_asks_only_for_name_and_password(client):
    page = client.get("/login")
    assert 'name="channel"' not in page.text
    assert "Forgot your password?" in page.text


def test_a_new_account_is_offered_backup_codes(app, twilio):
    client = app.test_client()
    client.post("/signup", data={"username": "carol", "password": PASSWORD, "confirm": PASSWORD,
                                 "phone": "+1 201 555 0142", "channel": "sms"})
    done = client.post("/code", data={"code": code_in(twilio.requests[-1])})
    assert done.location == "/security/backup-codes"
    offer = client.get(done.location)
    assert "Show my backup codes" in offer.text
    assert len(BACKUP_CODE.findall(client.post("/security/backup-codes").text)) == 10


def test_the_app_cannot_be_used_where_none_is_set_up(app, client, auth):
    auth.login()
    assert client.get("/code/app").location == "/code"
    assert client.get("/code/backup").location == "/code"


@pytest.mark.parametrize("path", ["/security/", "/security/app", "/confirm"])
def test_account_pages_need_a_sign_in(client, path):
    assert client.get(path).location.startswith("/login")


def test_the_usual_factor_can_be_chosen_with_a_step_up(app, client, auth, twilio, clock):
    sign_in(auth)
    set_up_app(client)
    assert client.post("/security/usual", data={"factor": "phone"}).location == "/security/"
    assert "Your sign-in now starts with a code to your phone." in twilio.sent("Messages")[-1]["Body"]
    clock.tick(timedelta(minutes=11))
    assert client.post("/security/usual", data={"factor": "app"}).status_code == 403
    client.post("/logout")
    assert auth.login().location == "/code"  # the phone, as chosen: a code was sent
