"""The security page's lists: signed-in sessions with "Sign out", remembered browsers, and the
account's recent activity."""
from conftest import AuthActions, is_signed_in

from twofactor.extensions import db
from twofactor.models import AuditEvent, LoginSession, User

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1")


def browser(app, twilio, agent, address):
    """A browser signed in as alice with its own User-Agent and address."""
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": agent, "REMOTE_ADDR": address})
    auth = AuthActions(client, twilio)
    auth.login()
    assert auth.verify().status_code == 302
    return client


def test_sessions_are_listed_with_browser_network_and_this_browser(app, twilio):
    phone = browser(app, twilio, SAFARI, "198.51.100.7")
    laptop = browser(app, twilio, FIREFOX, "2001:db8::1")
    page = laptop.get("/security/").text
    assert "Firefox on Windows" in page and "Safari on iOS" in page
    assert "198.51.100.7" in page and "2001:db8::/64" in page
    assert page.count("This browser") == 1 and page.count("/end\"") == 1
    assert is_signed_in(phone)


def test_sign_out_one_and_all_others(app, twilio):
    phone = browser(app, twilio, SAFARI, "198.51.100.7")
    tablet = browser(app, twilio, SAFARI, "198.51.100.8")
    laptop = browser(app, twilio, FIREFOX, "192.0.2.1")
    with app.app_context():
        rows = {row.network: row.id for row in db.session.scalars(db.select(LoginSession))}
    assert laptop.post(f"/security/sessions/{rows['198.51.100.7']}/end").location == "/security/"
    assert not is_signed_in(phone) and is_signed_in(tablet)
    laptop.post(f"/security/sessions/{rows['192.0.2.1']}/end")  # not this one: use "Sign out"
    assert is_signed_in(laptop)
    laptop.post("/security/sessions/end-others")
    assert not is_signed_in(tablet) and is_signed_in(laptop)


def test_another_account_cannot_end_alices_session(app, twilio):
    phone = browser(app, twilio, SAFARI, "198.51.100.7")
    with app.app_context():
        alices = db.session.scalar(db.select(LoginSession.id))
    bob = app.test_client()
    auth = AuthActions(bob, twilio)
    auth.login("bob")
    auth.verify()
    bob.post(f"/security/sessions/{alices}/end")
    bob.post("/security/sessions/end-others")
    assert is_signed_in(phone)


def test_signing_out_needs_a_step_up(app, twilio, clock):
    phone = browser(app, twilio, SAFARI, "198.51.100.7")
    laptop = browser(app, twilio, FIREFOX, "192.0.2.1")
    clock.tick(app.config["STEP_UP_WINDOW"] * 1.1)
    assert laptop.post("/security/sessions/end-others").status_code == 403
    assert is_signed_in(phone)


def test_recent_activity_shows_sign_ins_factors_and_wrong_codes(app, client, twilio):
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    client.post("/login", data={"username": "alice", "password": "wrong password!"})
    auth = AuthActions(client, twilio)
    auth.login()
    client.post("/code", data={"code": "000000" if auth.last_code() != "000000" else "111111"})
    auth.verify()
    page = client.get("/security/").text
    activity = page[page.index("Recent activity"):]
    for words in ("Wrong password", "Right password", "Wrong code (sms)",
                  "Second step passed (sms for login)", "from 203.0.113.9"):
        assert words in activity
    assert 'datetime="' in activity and "local-time.js" in page
    assert "Code sent" not in activity  # sends are not security events


def test_activity_shows_only_the_latest_twenty_of_this_account(app, client, twilio):
    with app.app_context():
        alice, bob = db.session.scalars(db.select(User).order_by(User.username)).all()
        db.session.add_all([AuditEvent(event="password_failed", user_id=alice.id, ip="192.0.2.5")
                            for _ in range(25)]
                           + [AuditEvent(event="app_added", user_id=bob.id) for _ in range(5)])
        db.session.commit()
    auth = AuthActions(client, twilio)
    auth.login()
    auth.verify()
    page = client.get("/security/").text
    activity = page[page.index("Recent activity"):]
    assert activity.count("<li>") == 20
    assert "Authenticator app added" not in activity  # bob's
    assert "Second step passed" in activity  # the newest first
