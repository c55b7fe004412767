"""The attacks found against round one, each repeated the way it was found, and each now held.

Nobody without a password may lock strangers out, flood a phone, or run up the bill; the second
factor and every earlier guarantee still hold. Time is moved, never slept.
"""
import hashlib
import io
from datetime import timedelta

import pytest
from conftest import PASSWORD, add_user, counted, sign_up

from twofactor.extensions import db
from twofactor.models import LoginSession, OneTimeCode, PendingLogin

VICTIM = "+12015550123"  # alice's confirmed number


@pytest.fixture
def quick_hashes(monkeypatch):
    """New accounts' passwords hashed with few rounds, so hundreds of sign-ups take seconds."""
    from werkzeug.security import generate_password_hash
    monkeypatch.setattr("twofactor.models.generate_password_hash",
                        lambda password: generate_password_hash(password, "pbkdf2:sha256:1000"))


def victim_gets_a_code(app, twilio) -> bool:
    """Alice signs in from her own address; True when her code went out."""
    sent = len(twilio.requests)
    page = app.test_client().post("/login", data={"username": "alice", "password": PASSWORD},
                                  environ_base={"REMOTE_ADDR": "192.0.2.200"},
                                  follow_redirects=True)
    return len(twilio.requests) == sent + 1 and b"We sent a text message" in page.data


def test_one_ipv6_64_is_one_network_and_cannot_spend_the_site_wide_cap(app, twilio,
                                                                      quick_hashes):
    """101 addresses of one /64, 10 sign-ups each: the /64 counts as one client network."""
    for host in range(101):
        for n in range(10):
            sign_up(app, f"v6x{host}x{n}", f"+1201{200 + n}{host:04d}",
                    f"2001:db8:1:2::{host:x}")
    assert counted(app, "send:unconfirmed") == 5  # 5 sign-ups an hour per network
    assert victim_gets_a_code(app, twilio)


def test_sign_ups_from_everywhere_spend_only_the_new_number_cap(app, twilio, quick_hashes):
    """Sign-ups from many networks use up the site-wide cap on codes to new numbers; the
    people who already have accounts still get their sign-in codes."""
    app.config["SEND_LIMIT_GLOBAL"] = (20, timedelta(hours=24))
    for n in range(30):
        sign_up(app, f"bot{n}", f"+1201{300 + n}0123", f"198.51.{n}.9")
    assert counted(app, "send:unconfirmed") == 20
    assert victim_gets_a_code(app, twilio)


def test_sign_ups_aimed_at_a_prefix_never_stop_the_victims_sign_in(app, twilio, clock,
                                                                   quick_hashes):
    """20 sign-ups an hour to numbers sharing alice's prefix, for 6 hours: her code comes."""
    for hour in range(6):
        for n in range(20):
            sign_up(app, f"pre{hour}x{n}", f"{VICTIM[:-3]}{(n + 200) % 1000:03d}",
                    f"203.0.{hour}.{n + 1}")
        assert victim_gets_a_code(app, twilio), f"hour {hour}"
        clock.tick(timedelta(hours=1))


def test_many_accounts_naming_one_number_send_it_few_codes(app, twilio, clock, quick_hashes):
    """New accounts with the victim's number, from new networks, all day: 5 texts, not 480."""
    to_victim = 0
    for n in range(480):
        sign_up(app, f"flood{n}", "+12015550166", f"10.{n // 250}.{n % 250}.1")
        clock.tick(timedelta(minutes=3))
    to_victim = sum(r["form"].get("To") == "+12015550166" for r in twilio.requests)
    assert to_victim == 5  # 3 an hour, 5 a day, whatever the number of accounts


def test_password_guessing_is_slowed_and_looks_the_same_for_unknown_names(app, twilio, clock):
    """300 wrong passwords for one account from one address within an hour: few are checked."""
    answers = {}
    for name in ("alice", "nobody"):
        client = app.test_client()
        checked = 0
        for _ in range(300):
            page = client.post("/login", data={"username": name, "password": "wrong guess"})
            checked += b"Invalid username or password." in page.data
            answers.setdefault(name, []).append((page.status_code, page.data.replace(
                name.encode(), b"NAME")))
            clock.tick(timedelta(seconds=12))  # 300 tries spread over an hour
        assert checked <= 20, name  # ASVS: at most 100 failures an hour per account
        assert counted(app, f"password:account:{name}") == checked
    assert answers["alice"] == answers["nobody"]  # the same answers, whether the name exists
    clock.tick(timedelta(minutes=15))  # the owner waits at most 15 minutes, then gets in
    assert victim_gets_a_code(app, twilio)


def test_a_right_password_during_the_wait_is_not_even_checked(app, twilio, clock):
    client = app.test_client()
    for _ in range(5):
        client.post("/login", data={"username": "alice", "password": "wrong guess"})
    page = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert page.status_code == 429 and page.headers["Retry-After"] == "5"
    assert b"Too many failed sign-ins for this username. Try again in 5 seconds." in page.data
    assert twilio.requests == []


@pytest.mark.parametrize("path, fields", [
    ("/login", {"username": "alice", "password": PASSWORD}),
    ("/signup", {"username": "carol", "password": PASSWORD, "confirm": PASSWORD,
                 "phone": "+12015550199", "channel": "sms"}),
    ("/code", {"code": "123456"}),
])
def test_a_file_where_text_belongs_is_a_form_error(app, auth, twilio, path, fields):
    if path == "/code":
        auth.login()
    client = auth._client
    for name in set(fields) - {"channel"}:  # every text field, in turn, sent as a file
        form = {**fields, name: (io.BytesIO(b"123456"), "x.txt")}
        page = client.post(path, data=form, content_type="multipart/form-data")
        assert page.status_code in (200, 429), (name, page.status_code)
        assert b'class="error"' in page.data or b"This field is required" in page.data


def test_a_huge_form_is_refused_before_it_is_read(client):
    page = client.post("/login", data={"username": "alice", "password": "x" * (200 * 1024)})
    assert page.status_code == 413


def test_a_new_sign_in_ends_the_signed_in_session_on_the_server(app, auth, client):
    auth.login()
    auth.verify()
    copied = client.get_cookie("session").value
    auth.login("bob")  # the same browser starts signing in as someone else
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/").status_code != 200 or b"Welcome, alice" not in thief.get("/").data
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(LoginSession)) == 0


def test_username_probing_is_limited_with_sign_ups(app, twilio):
    client = app.test_client()
    pages = [client.post("/signup", data={"username": "alice", "password": PASSWORD,
                                          "confirm": PASSWORD, "phone": "+12015550199"})
             for _ in range(6)]
    assert all(b"That username is taken" in page.data for page in pages[:5])
    assert pages[5].status_code == 429 and b"That username is taken" not in pages[5].data
    assert b"Many accounts were made from your network" in pages[5].data


def test_usernames_are_unique_without_regard_to_case(app, twilio):
    page = sign_up(app, "ALICE", "+12015550199")
    assert b"That username is taken" in page.data
    assert app.test_client().post(
        "/login", data={"username": "Alice", "password": PASSWORD}).location == "/code"
    assert b'autocapitalize="none"' in app.test_client().get("/login").data
    assert b'autocapitalize="none"' in app.test_client().get("/signup").data


def test_the_lockout_notice_never_goes_to_an_unconfirmed_number(app, twilio, clock):
    app.config.update(GUESS_DELAY_AFTER=10**6, SEND_LIMITS_NUMBER=[])
    client = app.test_client()
    sign_up(app, "carol", "+12015550199")  # confirmation pending: the number is not hers yet
    clock.tick(timedelta(seconds=31))
    client.post("/login", data={"username": "carol", "password": PASSWORD})
    for n in range(9):
        if n and n % 3 == 0:
            clock.tick(timedelta(seconds=31))
            client.post("/code/resend", data={"channel": "sms"})
        client.post("/code", data={"code": "000000" if n % 2 else "111111"})
    assert counted(app, "guess:") == 9
    assert not any("Someone who knows your password" in r["form"].get("Body", "")
                   for r in twilio.requests)


def test_a_replaced_or_used_code_leaves_no_sealed_call_code(app_config, twilio, clock):
    from app import create_app
    app = create_app({**app_config, "PUBLIC_URL": "https://2fa.example.com"})
    from conftest import add_user
    add_user(app, "bob", "+12015550177", "voice")
    client = app.test_client()
    client.post("/login", data={"username": "bob", "password": PASSWORD})
    clock.tick(timedelta(seconds=31))
    client.post("/code/resend", data={"channel": "voice"})
    with app.app_context():
        seals = db.session.scalars(db.select(OneTimeCode.call_code_sealed)
                                   .order_by(OneTimeCode.created_at)).all()
    assert seals[0] is None and seals[1] is not None  # the replaced code's seal is gone


def test_the_database_holds_no_token_a_browser_holds(app, auth, client):
    auth.login()
    pending_token = client.get_cookie("session")
    with app.app_context():
        (pending,) = db.session.scalars(db.select(PendingLogin)).all()
    auth.verify()
    with app.app_context():
        (signed_in,) = db.session.scalars(db.select(LoginSession)).all()
    # Flask's cookie is signed, not encrypted: read the tokens straight out of it.
    from flask.sessions import SecureCookieSessionInterface
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    sid = serializer.loads(client.get_cookie("session").value)["sid"]
    assert signed_in.id == hashlib.sha256(sid.encode()).hexdigest() != sid
    assert pending_token is not None and len(pending.id) == 64


def test_the_sms_never_names_a_host_the_client_chose(app, twilio):
    """Without SMS_ORIGIN_HOST or PUBLIC_URL the autofill line is left out, whatever Host says."""
    app.config["SMS_ORIGIN_HOST"] = None
    app.test_client().post("/login", data={"username": "alice", "password": PASSWORD},
                           headers={"Host": "evil.example"})
    body = twilio.requests[-1]["form"]["Body"]
    assert "evil" not in body and "@" not in body
    app.config["SMS_ORIGIN_HOST"] = "2fa.example.com"
    add_user(app, "carol", "+12015550142")
    app.test_client().post("/login", data={"username": "carol", "password": PASSWORD},
                           headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    assert twilio.requests[-1]["form"]["Body"].endswith("\n\n@2fa.example.com #"
                                                        + twilio.requests[-1]["form"]["Body"][:6])


def test_production_answers_only_its_own_host(app_config, twilio):
    from conftest import PRODUCTION_KEY

    from app import create_app
    app = create_app({**app_config, "TESTING": False, "SECRET_KEY": PRODUCTION_KEY,
                      "PUBLIC_URL": "https://2fa.example.com"})
    client = app.test_client()
    assert client.get("/login", base_url="https://evil.example").status_code == 400
    assert client.get("/login", base_url="http://evil.example").status_code == 400
    moved = client.get("/login?next=/x", base_url="http://2fa.example.com")
    assert moved.status_code == 301 and moved.location == "https://2fa.example.com/login?next=/x"
    assert client.get("/login", base_url="https://2fa.example.com").status_code == 200


@pytest.mark.parametrize("key", ["a" * 32, "passwordpasswordpasswordpassword",
                                 "correcthorsecorrecthorsecorrecthorse"])
def test_production_refuses_a_secret_key_that_is_not_random(app_config, key):
    from app import create_app
    from twofactor.security import ConfigError
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({**app_config, "TESTING": False, "SECRET_KEY": key,
                    "PUBLIC_URL": "https://2fa.example.com"})
