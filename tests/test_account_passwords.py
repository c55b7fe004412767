"""Password rules wherever a password is set, the optional Pwned Passwords check, and the
change-password page: step-up, the current password, a new one, other sessions signed out."""
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import PASSWORD, AuthActions, is_signed_in

from twofactor.account import passwords
from twofactor.extensions import db
from twofactor.models import AuditEvent, User

NEW = "a fresh passphrase here"


class FakePwned:
    """A local stand-in for api.pwnedpasswords.com/range/: records each prefix asked for."""

    def __init__(self, known: list[str], delay: float = 0.0, status: int = 200):
        self.asked, fake = [], self
        digests = [hashlib.sha1(p.encode()).hexdigest().upper() for p in known]

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake.asked.append(self.path)
                threading.Event().wait(delay)
                prefix = self.path.rsplit("/", 1)[-1]
                body = "".join(f"{d[5:]}:42\r\n" for d in digests if d.startswith(prefix))
                body += "0000000000000000000000000000000000A:0\r\n"  # padding, as the API sends
                self.send_response(status)
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/range/"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def pwned_app(app_config):
    """The app asking a local fake Pwned Passwords that knows one password."""
    from app import create_app
    fake = FakePwned(["breached passphrase 1"])
    app = create_app({**app_config, "PWNED_PASSWORDS_CHECK": True,
                      "PWNED_PASSWORDS_URL": fake.url, "PWNED_PASSWORDS_TIMEOUT": 0.5})
    app.fake = fake
    yield app
    fake.close()


@pytest.mark.parametrize("password, why", [
    ("short1!", "Use 8 to 128 characters."),
    ("x" * 129, "Use 8 to 128 characters."),
    ("my-Alice-2026", "Your password must not contain your username."),
    ("ALICEALICE", "Your password must not contain your username."),
    ("password1", "one of the most common"),
    ("Qwertyuiop", "one of the most common"),  # the list is compared without regard to case
])
def test_the_rules_refuse(app, password, why):
    with app.test_request_context():
        assert why in passwords.problem(password, "alice")


def test_the_rules_accept_a_good_password_and_ship_their_list(app):
    with app.test_request_context():
        assert passwords.problem(NEW, "alice") is None
        assert len(passwords.common_passwords()) > 19000


@pytest.mark.parametrize("password, why", [
    ("password123", "most common"), ("newbie-secret-1", "must not contain your username")])
def test_sign_up_refuses_weak_passwords(app, password, why):
    page = app.test_client().post("/signup", data={
        "username": "newbie", "password": password, "confirm": password,
        "phone": "+12015550150", "channel": "sms"})
    assert page.status_code == 200 and why in page.text
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.username == "newbie")) is None


def test_the_commands_refuse_weak_passwords(app, runner):
    made = runner.invoke(args=["create-user", "carol", "--phone", "+12015550140"],
                         input="iloveyou1\niloveyou1\n")
    assert made.exit_code == 2 and "most common" in made.output
    reset = runner.invoke(args=["reset-password", "alice"], input="alice1234\nalice1234\n")
    assert reset.exit_code == 2 and "must not contain your username" in reset.output
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.username == "carol")) is None
        assert db.session.scalar(db.select(User).where(User.username == "alice")) \
            .check_password(PASSWORD)


def test_pwned_passwords_sees_only_a_prefix_and_refuses_a_known_password(pwned_app):
    with pwned_app.test_request_context():
        assert "data breach" in passwords.problem("breached passphrase 1", "alice")
        assert passwords.problem(NEW, "alice") is None
    digest = hashlib.sha1(b"breached passphrase 1").hexdigest().upper()
    assert pwned_app.fake.asked[0] == f"/range/{digest[:5]}"  # 5 characters, never more
    assert all(len(path.rsplit("/", 1)[-1]) == 5 for path in pwned_app.fake.asked)


def test_pwned_passwords_off_by_default_and_its_failure_never_blocks(app, app_config):
    from app import create_app
    with app.test_request_context():  # the default: nothing is asked (the URL is unreachable)
        assert app.config["PWNED_PASSWORDS_CHECK"] is False
        assert passwords.problem("breached passphrase 1", "alice") is None
    for fake in (FakePwned([], delay=2.0), FakePwned([], status=503)):
        slow = create_app({**app_config, "PWNED_PASSWORDS_CHECK": True,
                           "PWNED_PASSWORDS_URL": fake.url, "PWNED_PASSWORDS_TIMEOUT": 0.3})
        with slow.test_request_context():
            assert passwords.problem(NEW, "alice") is None
        fake.close()
    dead = create_app({**app_config, "PWNED_PASSWORDS_CHECK": True,
                       "PWNED_PASSWORDS_URL": "http://127.0.0.1:9/range/"})
    with dead.test_request_context():
        assert passwords.problem(NEW, "alice") is None


def sign_in(client, auth):
    client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert client.post("/code", data={"code": auth.last_code()}).status_code == 302


def change(client, current=PASSWORD, new=NEW, confirm=None):
    return client.post("/security/password", data={"current": current, "password": new,
                                                   "confirm": confirm or new})


def test_changing_the_password_ends_other_sessions_and_texts_a_notice(app, client, auth, twilio):
    other = app.test_client()
    sign_in(other, AuthActions(other, twilio))
    sign_in(client, auth)
    assert client.get("/security/password").status_code == 200
    assert change(client).location == "/security/"
    assert is_signed_in(client) and not is_signed_in(other)
    assert "Your password was changed." in twilio.sent("Messages")[-1]["Body"]
    with app.app_context():
        alice = db.session.scalar(db.select(User).where(User.username == "alice"))
        assert alice.check_password(NEW)
        assert db.session.scalar(db.select(AuditEvent).where(
            AuditEvent.event == "password_changed")) is not None


@pytest.mark.parametrize("data, why", [
    ({"current": "not my password"}, "That is not your current password."),
    ({"new": PASSWORD}, "different from your current one"),
    ({"new": "sunshine1"}, "most common"),
    ({"new": "alice-is-me-2026"}, "must not contain your username"),
    ({"new": "short"}, "Use 8 to 128 characters."),
    ({"confirm": "something else entirely"}, "The two passwords do not match."),
])
def test_a_refused_change_changes_nothing(app, client, auth, twilio, data, why):
    sign_in(client, auth)
    texts = len(twilio.sent("Messages"))
    page = change(client, **data)
    assert page.status_code == 200 and why in page.text
    assert len(twilio.sent("Messages")) == texts
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.username == "alice")) \
            .check_password(PASSWORD)


def test_a_change_needs_a_step_up(app, client, auth, clock):
    sign_in(client, auth)
    clock.tick(app.config["STEP_UP_WINDOW"] + app.config["STEP_UP_WINDOW"] / 10)
    client.get("/")  # still signed in (seen within the idle timeout)
    assert client.get("/security/password").location.startswith("/confirm")
    assert change(client).status_code == 403
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.username == "alice")) \
            .check_password(PASSWORD)
