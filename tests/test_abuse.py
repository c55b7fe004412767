"""The abuse policy: the guess budget, the lockout, and every send limit, with the clock moved."""
import logging
import re
from datetime import timedelta

import pytest
from conftest import PASSWORD, code_in, counted, is_signed_in, sign_up
from werkzeug.security import generate_password_hash

from twofactor.extensions import db
from twofactor.models import OneTimeCode, User

NOTICE = "Someone who knows your password"


def wrong(code: str) -> str:
    """A six-digit code that is surely not ``code``."""
    return f"{(int(code) + 1) % 10**6:06d}"


def codes_sent(twilio) -> list[dict]:
    """Recorded messages and calls that carried a code (not the lockout notice)."""
    return [r for r in twilio.requests if NOTICE not in r["form"].get("Body", "")]


def notices(twilio) -> list[dict]:
    return [r for r in twilio.requests if NOTICE in r["form"].get("Body", "")]


def add_users(app, count: int, phone=lambda n: f"+1201555{2000 + n * 37:04d}") -> list[str]:
    """Confirmed accounts u0, u1, ... with alice's password, quickly hashed."""
    password_hash = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")
    with app.app_context():
        for n in range(count):
            db.session.add(User(username=f"u{n}", phone=phone(n), phone_confirmed=True,
                                password_hash=password_hash))
        db.session.commit()
    return [f"u{n}" for n in range(count)]


@pytest.fixture
def quick_password(app):
    """Alice's password hashed with few rounds, so a day of sign-ins runs in seconds."""
    with app.app_context():
        alice = db.session.scalar(db.select(User).where(User.username == "alice"))
        alice.password_hash = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")
        db.session.commit()


@pytest.fixture
def no_delay(app):
    """Switch off the delay after wrong codes in a row, so a test sees the daily budget alone."""
    app.config["GUESS_DELAY_AFTER"] = 10**6


def attack_for_a_day(client, auth, twilio, clock, guess: bool) -> int:
    """Ask for codes, and guess, whenever allowed for 24 h; how many guesses were called wrong.

    The attacker tries every 30 s, and every 5 minutes while the app says to wait more than
    10 minutes (a lock lifting early would still be seen within 5 minutes).
    """
    end = clock.time_to_freeze + timedelta(hours=24)
    answered_wrong = 0
    while clock.time_to_freeze < end:
        if auth.resend().location == "/login":  # the pending sign-in expired: password again
            auth.login()
        page = None if guess else client.get("/code")  # a guess's page shows the news too
        for _ in range(5 if guess else 0):  # guess until refused
            page = auth.verify(wrong(code_in(codes_sent(twilio)[-1])))
            if b"That code is not right" not in page.data:
                break
            answered_wrong += 1
        told = re.search(rb"(?:in|for) (\d+) (hour|minute)", page.data)
        long_wait = told and (told[2] == b"hour" or int(told[1]) > 10)
        clock.tick(timedelta(minutes=5) if long_wait else timedelta(seconds=30))
    return answered_wrong


@pytest.mark.parametrize("delay", [True, False], ids=["with-delay", "budget-alone"])
def test_attacker_with_the_password_gets_9_guesses_and_few_codes_in_24_hours(
        app, client, auth, twilio, clock, quick_password, delay):
    """At most 9 guesses over 10^6 codes per account per day (README "Worst case")."""
    if not delay:
        app.config["GUESS_DELAY_AFTER"] = 10**6
    answered_wrong = attack_for_a_day(client, auth, twilio, clock, guess=True)
    with app.app_context():
        charged = db.session.scalar(db.select(db.func.sum(OneTimeCode.failed_attempts)))
    assert answered_wrong == counted(app, "guess:") == charged
    # The budget alone stops the attacker at exactly 9; the delay stops them sooner.
    assert answered_wrong == 9 if not delay else 5 <= answered_wrong <= 9
    assert len(codes_sent(twilio)) <= 10
    assert len(notices(twilio)) == (answered_wrong == 9)  # one notice, when the budget is spent
    assert not is_signed_in(client)  # never got in


def test_resending_whenever_allowed_sends_10_codes_a_day(client, auth, twilio, clock,
                                                          quick_password):
    """Sends per account: 30 s apart, 5 an hour, 10 a day, sign-in and resend alike."""
    attack_for_a_day(client, auth, twilio, clock, guess=False)
    assert len(codes_sent(twilio)) == 10


def test_send_limits_per_account_and_when_to_retry(client, auth, twilio, clock):
    auth.login()
    clock.tick(timedelta(seconds=10))
    assert b"You can ask for a new one in 20 seconds." in client.get(auth.resend().location).data
    for _ in range(4):
        clock.tick(timedelta(seconds=31))
        auth.resend()
    assert len(codes_sent(twilio)) == 5
    clock.tick(timedelta(seconds=31))
    page = client.get(auth.resend().location)
    assert b"You have asked for many codes. You can ask for a new one in 58 minutes." in page.data
    assert len(codes_sent(twilio)) == 5
    clock.tick(timedelta(minutes=58))
    auth.login()
    assert len(codes_sent(twilio)) == 6


def test_sign_up_and_sign_in_sends_count_alike(client, twilio, clock):
    client.post("/signup", data={"username": "carol", "password": PASSWORD, "confirm": PASSWORD,
                                 "phone": "+1 201 555 0199", "channel": "sms"})
    assert len(twilio.requests) == 1
    clock.tick(timedelta(seconds=5))
    page = client.post("/login", data={"username": "carol", "password": PASSWORD},
                       follow_redirects=True)
    assert b"A code was just sent. You can ask for a new one in 25 seconds." in page.data
    assert len(twilio.requests) == 1


def test_sign_ins_of_confirmed_accounts_share_no_limit_but_each_accounts(app, twilio):
    """Codes to confirmed numbers follow a right password: many accounts behind one address
    (an office, a university) all get theirs."""
    for name in add_users(app, 11):
        page = app.test_client().post("/login", data={"username": name, "password": PASSWORD},
                                      follow_redirects=True)
        assert b"We sent a text message" in page.data
    assert len(twilio.requests) == 11


def test_sign_ups_per_network_stop_at_5_an_hour(app, twilio, clock):
    pages = [sign_up(app, f"new{n}", f"+1201{300 + n}0123") for n in range(6)]
    assert len(twilio.requests) == 5
    assert pages[-1].status_code == 429
    assert b"Many accounts were made from your network. Try again in 1 hour." in pages[-1].data
    clock.tick(timedelta(hours=1, seconds=1))
    assert b"We sent a text message" in sign_up(app, "new6", "+12013060123").data


def test_per_prefix_limit_counts_codes_to_new_numbers(app, twilio):
    """15 sign-ups to +1 201 555 20xx from 15 addresses: codes stop at 10."""
    pages = [sign_up(app, f"new{n}", f"+1201555{2000 + n}", f"198.51.100.{n + 1}")
             for n in range(15)]
    assert len(twilio.requests) == 10
    assert b"We are sending few codes to numbers like yours. Try again in" in pages[-1].data


def test_global_daily_cap_on_new_numbers_alerts_the_operator(app_config, twilio, caplog):
    """With a cap of 5: the 6th sign-up's code is refused and logged CRITICAL; sign-ins of
    confirmed accounts go on."""
    from app import create_app
    app = create_app({**app_config, "SEND_LIMIT_GLOBAL": (5, timedelta(hours=24))})
    for n in range(6):
        page = sign_up(app, f"new{n}", f"+1201{300 + n}0123", f"198.51.{n}.1")
    assert len(twilio.requests) == 5
    assert b"Codes for new accounts are paused for everyone." in page.data
    alerts = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert len(alerts) == 1 and "global_unconfirmed send cap reached" in alerts[0].getMessage()
    add_users(app, 1)
    app.test_client().post("/login", data={"username": "u0", "password": PASSWORD})
    assert len(twilio.requests) == 6


def test_safety_cap_on_sign_in_codes(app_config, twilio, caplog):
    from app import create_app
    app = create_app({**app_config, "SEND_LIMIT_CONFIRMED_GLOBAL": (3, timedelta(hours=24))})
    for name in add_users(app, 4):
        page = app.test_client().post("/login", data={"username": name, "password": PASSWORD},
                                      follow_redirects=True)
    assert len(twilio.requests) == 3
    assert b"Sending codes is paused for everyone." in page.data
    assert any("ALERT global send cap reached" in r.getMessage() for r in caplog.records)


def spend_budget(auth, clock, guesses: int = 9) -> None:
    """Type ``guesses`` wrong codes after a correct password, asking for new codes as needed."""
    auth.login()
    for n in range(guesses):
        if n and n % 3 == 0:
            clock.tick(timedelta(seconds=31))
            auth.resend()
        auth.verify(wrong(auth.last_code()))


def test_spent_budget_refuses_even_the_right_code_and_says_when(client, auth, twilio, clock,
                                                                no_delay):
    spend_budget(auth, clock, guesses=8)
    clock.tick(timedelta(seconds=31))
    auth.resend()
    right = auth.last_code()
    assert b"You can try 2 more times" in auth.verify(wrong(right)).data  # the 9th
    refused = auth.verify(right)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 24 * 3600
    assert (b"codes from your phone and app, and your security keys, are paused for 24 hours"
            in refused.data)
    assert not is_signed_in(client)
    sent = len(codes_sent(twilio))
    clock.tick(timedelta(minutes=5))
    page = client.post("/login", data={"username": "alice", "password": PASSWORD},
                       follow_redirects=True)
    assert b"codes from your phone and app, and your security keys, are paused for" in page.data
    assert len(codes_sent(twilio)) == sent  # no code sent while locked


def test_lockout_sends_one_notice_and_clears_after_24_hours(client, auth, twilio, clock,
                                                           no_delay):
    spend_budget(auth, clock)
    notice = notices(twilio)
    assert len(notice) == 1 and notice[0]["form"]["To"] == "+12015550123"
    assert "alice" not in notice[0]["form"]["Body"]
    assert notice[0]["form"]["Body"].startswith("Two-factor demo: Someone who knows your password")
    assert len(notice[0]["form"]["Body"]) <= 160
    clock.tick(timedelta(hours=1))
    auth.login()
    auth.verify("000000")
    assert len(notices(twilio)) == 1
    clock.tick(timedelta(hours=23))
    auth.login()
    assert auth.verify().location == "/"


def test_failures_count_only_after_a_correct_password(app, client, auth, twilio, clock):
    """Nobody without the password can spend someone's code budget or lock them out for long."""
    for _ in range(20):
        auth.login(password="guessed wrong")
        client.post("/code", data={"code": "123456"})
        clock.tick(timedelta(seconds=1))
    assert client.post("/code", data={"code": "123456"}).location == "/login"
    assert counted(app, "guess:") == 0
    assert twilio.requests == []
    clock.tick(timedelta(minutes=15))  # the longest wait wrong passwords can bring
    auth.login()
    assert auth.verify().location == "/"


@pytest.mark.parametrize("phone, why", [
    ("+86 131 2345 6789", b"We cannot send codes to phone numbers in that country."),
    ("+882 1234 5678", b"That is not a valid phone number"),
    ("+1 900 234 5678", b"we do not send codes to premium-rate"),
    ("+44 909 876 5432", b"we do not send codes to premium-rate"),
    ("+34 901 12 34 56", b"we do not send codes to premium-rate"),  # shared cost
    ("+44 56 1234 5678", b"we do not send codes to premium-rate"),
])
def test_sign_up_refuses_costly_or_far_destinations_before_twilio(app, client, twilio, phone,
                                                                   why):
    page = client.post("/signup", data={"username": "carol", "password": PASSWORD,
                                        "confirm": PASSWORD, "phone": phone, "channel": "sms"})
    assert page.status_code == 200 and why in page.data
    assert b'value="carol"' in page.data  # nothing else is lost
    assert twilio.requests == []
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.username == "carol")) is None


def test_wrong_codes_in_a_row_bring_a_doubling_delay(client, auth, twilio, clock):
    """The progressive delay: after 5 wrong in a row, 1 minute, doubling up to an hour."""
    spend_budget(auth, clock, guesses=5)
    right = auth.last_code()
    refused = auth.verify(right)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert b"wait 1 minute before trying again" in refused.data
    clock.tick(timedelta(seconds=61))
    auth.resend()
    right = auth.last_code()
    assert b"That code is not right" in auth.verify(wrong(right)).data  # the 6th
    assert b"wait 2 minutes" in auth.verify(right).data
    clock.tick(timedelta(minutes=2, seconds=1))
    assert auth.verify(right).location == "/"  # a right code ends the run


def test_a_right_code_resets_the_delay_but_not_the_budget(app, client, auth, twilio, clock):
    spend_budget(auth, clock, guesses=4)
    clock.tick(timedelta(seconds=31))
    auth.resend()
    assert auth.verify().location == "/"
    client.post("/logout")
    clock.tick(timedelta(seconds=31))
    auth.login()
    assert b"That code is not right" in auth.verify(wrong(auth.last_code())).data  # 5th
    assert b"That code is not right" in auth.verify(wrong(auth.last_code())).data  # not delayed
    assert counted(app, "guess:") == 6
