"""Fixtures in flaskr's shape: app, client, runner, auth; plus the fake Twilio server."""
import re

import pytest
from databases import Databases
from fake_telnyx import FakeTelnyx
from fake_twilio import FakeTwilio, LocalHttpClient
from fake_twilio_verify import FakeTwilioVerify
from freezegun import freeze_time

from app import create_app
from twofactor.extensions import db
from twofactor.models import LimitBucket, LimitEvent, User

PASSWORD = "correct horse battery"
# What production needs beyond Twilio: a random-looking key and the public https address.
PRODUCTION_KEY = "4f0c9e1d7a2b86e5c3f9d0a1b7e4c6d2985a3f1e0b7c4d9a6e2f8c1b5d3a7e90"
PRODUCTION_URL = "https://localhost"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
FROM_NUMBER = "+12015550100"
VERIFY_SERVICE_SID = "VA" + "fedcba9876543210" * 2
TELNYX_API_KEY = "KEY_test_0123456789abcdef"
TELNYX_PROFILE_ID = "4900017a-5d57-4ef7-a4f4-9a5d4e2b7f10"


@pytest.fixture(scope="session")
def twilio_server():
    """One fake api.twilio.com for the whole run."""
    server = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    yield server
    server.close()


@pytest.fixture
def twilio(twilio_server):
    """The fake Twilio server, emptied for this test; every request must match Twilio's spec."""
    twilio_server.requests.clear()
    twilio_server.replies.clear()
    twilio_server.delay = 0.0
    yield twilio_server
    # Only the app's requests (made by the twilio client); tests send bad ones on purpose.
    broken = [r["spec_error"] for r in twilio_server.requests if r["spec_error"]
              and r["headers"].get("User-Agent", "").startswith("twilio-python/")]
    assert broken == [], "the app sent a request Twilio's API description refuses"


def twilio_config(server: FakeTwilio, **overrides) -> dict:
    """Settings that make the app use the real Twilio client against ``server``."""
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        # The production default: the fake checks each request against Twilio's large API
        # description, which on a busy 2-core machine once took longer than a 2-second wait.
        # The timeout tests set a short TWILIO_TIMEOUT of their own.
        "TWILIO_TIMEOUT": 10,
        "TWILIO_HTTP_CLIENT": LocalHttpClient(f"http://127.0.0.1:{server.port}", timeout=10),
        **overrides,
    }


def without_spec_errors(server, user_agent: str) -> None:
    """Fail if a request the app's client made is one the provider's API would refuse."""
    broken = [r["spec_error"] for r in server.requests if r["spec_error"]
              and r["headers"].get("User-Agent", "").startswith(user_agent)]
    assert broken == [], "the app sent a request the provider's API description refuses"


@pytest.fixture(scope="session")
def twilio_verify_server():
    """One fake verify.twilio.com for the whole run."""
    server = FakeTwilioVerify(ACCOUNT_SID, AUTH_TOKEN)
    yield server
    server.close()


@pytest.fixture
def twilio_verify(twilio_verify_server):
    """The fake Twilio Verify, emptied for this test; the app's requests must match its spec."""
    twilio_verify_server.reset()
    yield twilio_verify_server
    without_spec_errors(twilio_verify_server, "twilio-python/")


@pytest.fixture(scope="session")
def telnyx_server():
    """One fake api.telnyx.com for the whole run."""
    server = FakeTelnyx(TELNYX_API_KEY, TELNYX_PROFILE_ID)
    yield server
    server.close()


@pytest.fixture
def telnyx(telnyx_server):
    """The fake Telnyx, emptied for this test; the app's requests must match its spec."""
    telnyx_server.reset()
    yield telnyx_server
    without_spec_errors(telnyx_server, "Telnyx/")


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    """Migrated databases for the run: SQLite files, or PostgreSQL with TEST_DATABASE_URL."""
    made = Databases(tmp_path_factory.mktemp("databases"))
    yield made
    made.drop_all()


@pytest.fixture(autouse=True)
def close_database_connections():
    """Close the pooled connections of every app a test made (psycopg warns of unclosed ones)."""
    yield
    for engines in list(db._app_engines.values()):  # Flask-SQLAlchemy's engines, per app
        for engine in engines.values():
            engine.dispose()


@pytest.fixture
def database_url(databases):
    """An empty database at the newest schema, for this test alone."""
    return databases.fresh()


@pytest.fixture
def app_config(database_url, twilio):
    """Test settings; a test may change them before asking for ``app``."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-0123456789abcdef0123",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SMS_ORIGIN_HOST": "localhost",  # the "@host #code" line's host, as a site would set it
        **twilio_config(twilio),
    }


def add_user(app, name: str, phone: str, channel: str = "sms") -> None:
    """A confirmed account with the shared test password."""
    with app.app_context():
        user = User(username=name, phone=phone, preferred_channel=channel, phone_confirmed=True)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()


def counted(app, key_prefix: str) -> int:
    """How many events the limits counted under keys that start with ``key_prefix``:
    "send:account:" for sends, "guess:" for wrong codes, "password:account:" for passwords."""
    with app.app_context():
        events = db.session.scalar(db.select(db.func.count()).select_from(LimitEvent)
                                   .where(LimitEvent.key.startswith(key_prefix)))
        hourly = db.session.scalar(db.select(db.func.coalesce(db.func.sum(LimitBucket.count), 0))
                                   .where(LimitBucket.key.startswith(key_prefix)))
        return events + hourly  # the site-wide keys count per hour


def sign_up(app, name: str, phone: str, address: str = "127.0.0.1"):
    """Create an account from ``address`` as a person would, which texts its number a code."""
    return app.test_client().post(
        "/signup", data={"username": name, "password": PASSWORD, "confirm": PASSWORD,
                         "phone": phone, "channel": "sms"},
        environ_base={"REMOTE_ADDR": address}, follow_redirects=True)


@pytest.fixture
def app(app_config):
    """An app with two confirmed accounts: alice (texts) and bob (calls)."""
    app = create_app(app_config)
    add_user(app, "alice", "+12015550123")
    add_user(app, "bob", "+12015550177", "voice")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def clock():
    """Frozen time that a test moves forward instead of sleeping."""
    with freeze_time("2026-11-21 12:00:00") as frozen:
        yield frozen


def code_in(request: dict) -> str:
    """The code carried by a recorded SMS body or call TwiML."""
    form = request["form"] if "form" in request else request
    if "Body" in form:
        return re.match(r"(\d{6}) ", form["Body"]).group(1)
    return "".join(re.search(r"<Say[^>]*>([\d, ]+)\.</Say>", form["Twiml"]).group(1).split(", "))


class AuthActions:
    """Sign in like a person would: password, then the code from their phone."""

    def __init__(self, client, twilio):
        self._client, self._twilio = client, twilio

    def login(self, username="alice", password=PASSWORD, next=None):
        url = "/login" + (f"?next={next}" if next else "")
        return self._client.post(url, data={"username": username, "password": password})

    def last_code(self) -> str:
        """The code in the newest message or call Twilio received."""
        return code_in(self._twilio.requests[-1])

    def verify(self, code=None):
        return self._client.post("/code", data={"code": self.last_code() if code is None else code})

    def resend(self, channel="sms"):
        return self._client.post("/code/resend", data={"channel": channel})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client, twilio):
    return AuthActions(client, twilio)


def is_signed_in(client) -> bool:
    """Whether this browser gets the signed-in home page (visitors get the welcome page)."""
    home = client.get("/")
    return home.status_code == 200 and b"You are signed in with your password" in home.data
