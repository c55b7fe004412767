"""Every way Twilio can fail has an answer in plain words. A refusal from Twilio means nothing
went out: the code is dead and the send is not counted. An unknown outcome (a timeout, a 5xx, an
answer we cannot read) may have reached the phone: the send counts and the code stays usable."""
import json
import logging
import socket
from datetime import timedelta

import pytest
from conftest import PASSWORD, AuthActions, code_in, counted
from fake_twilio import LocalHttpClient

from app import create_app
from twofactor.extensions import db
from twofactor.models import OneTimeCode, User

ALICE, ALICE_MASKED = "+12015550123", "+•••••••••23"
BOB_MASKED = "+•••••••••77"
UNKNOWN = ("We could not confirm that your code was sent. It may still arrive in a minute; "
           "if it does not, ask for a new code, or try {other}.")

# (Twilio's answer, the advice the person reads, the error code in the operator's log)
SMS_FAILURES = {
    "21211 invalid number": ((400, 21211, "Invalid 'To' Phone Number"),
                             "Your phone number on file looks wrong to our provider. "
                             "Please contact the site.", "error=21211"),
    "21614 not a mobile": ((400, 21614, "'To' number is not a valid mobile number"),
                           "That number cannot receive text messages. Try a phone call instead.",
                           "error=21614"),
    "21610 replied STOP": ((400, 21610, "Attempt to send to unsubscribed recipient"),
                           "This number has opted out of our texts (it replied STOP). Reply START "
                           "to our number to turn texts back on, or try a phone call instead.",
                           "error=21610"),
    "21408 region off": ((400, 21408, "Permission to send an SMS has not been enabled"),
                         "We cannot send codes to your country right now. Please contact the site.",
                         "error=21408"),
    "21612 unreachable": ((400, 21612, "The 'To' phone number is not currently reachable"),
                          "We could not reach your phone. Try a phone call instead, or try again "
                          "later.", "error=21612"),
    "20429 rate limited": ((429, 20429, "Too Many Requests"),
                           "We are sending a lot of codes right now. Try again in 60 seconds.",
                           "error=20429 status=429"),
    "429 without a code": ((429, None, "Too Many Requests"),
                           "We are sending a lot of codes right now. Try again in 60 seconds.",
                           "error=20429 status=429"),
    "20429 as RFC 9457": ((429, None, "unused", json.dumps(
        {"type": "https://www.twilio.com/docs/errors/20429", "title": "Too Many Requests",
         "status": 429, "code": 20429}).encode()),
        "We are sending a lot of codes right now. Try again in 60 seconds.",
        "error=20429 status=429"),
}


UNKNOWN_OUTCOMES = {
    "500 from Twilio": ((500, 20500, "Internal Server Error"), "error=20500 status=500"),
    "503 page from a proxy": ((503, None, "unused", b"<html>Service Unavailable</html>"),
                              "error=None status=503"),
    "200 that is not JSON": ((200, None, "unused", b"<html>Welcome to the captive portal</html>"),
                             "status=JSONDecodeError"),
}


def outcome(app, client, response, caplog, twilio, reached: bool) -> str:
    """Check what every refusal must guarantee; return the page the person sees."""
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert b"We sent a text message" not in page.data and b"We are calling" not in page.data
    assert b"You can ask for a new code now." in page.data  # no cooldown: nothing was spent
    assert counted(app, "send:") == 0
    with app.app_context():
        assert db.session.scalar(db.select(OneTimeCode.voided)) is True
    if reached:  # Twilio saw the code, so make sure it is dead and typing it costs no guess
        failed_code = code_in(twilio.requests[-1])
        refused = client.post("/code", data={"code": failed_code})
        assert b"expired or has been used up" in refused.data
        assert all(failed_code not in record.getMessage() for record in caplog.records)
    assert counted(app, "guess:") == 0
    return page.data.decode()


def unknown_outcome(app, client, auth, response, twilio, reached: bool) -> str:
    """Check what an unknown outcome must guarantee; return the page the person sees."""
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert counted(app, "send:account:") == 1  # Twilio may have sent it: it counts
    assert b"You can ask for a new code in" in page.data  # and so the cooldown holds
    with app.app_context():
        assert db.session.scalar(db.select(OneTimeCode.voided)) is False
    if reached:  # the code may reach the phone, and then it works
        assert auth.verify(code_in(twilio.requests[-1])).headers["Location"] == "/"
    return page.data.decode()


def one_operator_line(caplog, masked: str, *needles: str) -> None:
    """Exactly one log line names the failure with the masked number; no line has the number."""
    lines = [r.getMessage() for r in caplog.records]
    matching = [line for line in lines if masked in line and all(n in line for n in needles)]
    assert len(matching) == 1, lines
    assert "twilio" in matching[0]
    assert all(ALICE not in line and "2015550177" not in line for line in lines)


@pytest.mark.parametrize("name", SMS_FAILURES)
def test_sms_failure(app, client, auth, twilio, caplog, name):
    reply, advice, logged = SMS_FAILURES[name]
    caplog.set_level(logging.DEBUG)
    twilio.fail_next(*reply[:3], raw=reply[3] if len(reply) > 3 else None)
    page = outcome(app, client, auth.login(), caplog, twilio, reached=True)
    assert advice in page
    one_operator_line(caplog, ALICE_MASKED, logged)
    auth.resend()  # the person does what the page says, at once: it works
    assert twilio.requests[-1]["path"].endswith("/Messages.json")
    assert auth.verify().headers["Location"] == "/"


@pytest.mark.parametrize("name", UNKNOWN_OUTCOMES)
def test_sms_outcome_unknown(app, client, auth, twilio, caplog, name):
    reply, logged = UNKNOWN_OUTCOMES[name]
    twilio.fail_next(*reply[:3], raw=reply[3] if len(reply) > 3 else None)
    page = unknown_outcome(app, client, auth, auth.login(), twilio, reached=True)
    assert UNKNOWN.format(other="a phone call") in page
    one_operator_line(caplog, ALICE_MASKED, logged, "outcome=unknown")


def test_call_refused_offers_a_text(app, client, auth, twilio, caplog):
    twilio.fail_next(400, 21612, "unreachable")
    page = outcome(app, client, auth.login(username="bob"), caplog, twilio, reached=True)
    assert "We could not reach your phone. Try a text message instead, or try again later." in page
    one_operator_line(caplog, BOB_MASKED, "twilio voice failed", "error=21612")


def test_call_outcome_unknown_offers_a_text(app, client, auth, twilio, caplog):
    twilio.fail_next(502, None, "Bad Gateway")
    page = unknown_outcome(app, client, auth, auth.login(username="bob"), twilio, reached=False)
    assert UNKNOWN.format(other="a text message") in page
    one_operator_line(caplog, BOB_MASKED, "twilio voice failed", "status=502")


def test_bad_credentials_20003(app_config, twilio, caplog):
    app_config["TWILIO_AUTH_TOKEN"] = "not-the-account-token-0123456789"
    app = create_app(app_config)
    with app.app_context():
        user = User(username="alice", phone=ALICE, preferred_channel="sms", phone_confirmed=True)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    page = outcome(app, client, AuthActions(client, twilio).login(), caplog, twilio, reached=True)
    assert "Sending codes is not working on our side. Please contact the site." in page
    assert twilio.requests[-1]["reply"]["code"] == 20003  # the fake refused the password
    one_operator_line(caplog, ALICE_MASKED, "error=20003 status=401")


def closed_port() -> int:
    """A local port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_counts_as_unknown(app, client, auth, twilio, caplog):
    app.config["TWILIO_HTTP_CLIENT"] = LocalHttpClient(f"http://127.0.0.1:{closed_port()}")
    page = unknown_outcome(app, client, auth, auth.login(), twilio, reached=False)
    assert UNKNOWN.format(other="a phone call") in page
    assert twilio.requests == []
    one_operator_line(caplog, ALICE_MASKED, "error=None status=ConnectionError")


def test_timeout_uses_twilio_timeout_and_counts(app, client, auth, twilio, caplog):
    app.config["TWILIO_TIMEOUT"] = 0.3
    twilio.delay = 1.0  # Twilio is slower than we wait, but takes the message all the same
    page = unknown_outcome(app, client, auth, auth.login(), twilio, reached=True)
    assert UNKNOWN.format(other="a phone call") in page
    one_operator_line(caplog, ALICE_MASKED, "error=None status=ReadTimeout")


def test_a_slow_twilio_cannot_erase_the_send_limits(app, client, auth, twilio, clock):
    """Sends that time out all count: the 6th in an hour is refused before reaching Twilio."""
    app.config["TWILIO_TIMEOUT"] = 0.2
    twilio.delay = 0.5
    auth.login()
    for _ in range(6):
        clock.tick(timedelta(seconds=31))
        auth.resend()
    assert len(twilio.requests) == 5
    assert counted(app, "send:account:") == 5
