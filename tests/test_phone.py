"""What reaches the phone: the SMS text, the spoken digits, and Twilio's view of the requests."""
import base64
import re
from datetime import timedelta

import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, code_in

from app import create_app
from twofactor.providers import phone, voice


def test_spoken_digits_reads_every_digit_on_its_own():
    assert phone.spoken_digits("004217") == "0, 0, 4, 2, 1, 7"
    assert phone.spoken_digits("100000") == "1, 0, 0, 0, 0, 0"


def test_call_twiml_greets_then_reads_the_code_at_least_twice(app):
    with app.app_context():
        twiml = phone.code_twiml("004217")
    readings = re.findall(r"<Say[^>]*>(?:Again: )?0, 0, 4, 2, 1, 7\.</Say>", twiml)
    assert len(readings) >= 2
    assert twiml.index("Hello") < twiml.index("0, 0, 4")
    assert "<Pause" in twiml and 'language="en-US"' in twiml
    assert len(twiml) < 4000


def test_sms_is_one_segment_with_the_autofill_line(auth, twilio):
    auth.login()
    body = twilio.requests[0]["form"]["Body"]
    code = code_in(twilio.requests[0])
    assert body.startswith(f"{code} is your Two-factor demo sign-in code. Do not share this code.")
    assert body.splitlines()[-1] == f"@localhost #{code}"
    assert len(body) <= 160 and body.isascii()
    assert "alice" not in body


NAME = "Northwind Credit Union Online"  # 29 characters, near the 30 allowed


@pytest.mark.parametrize("host, expiry, autofill", [
    ("sign-in.example.com", True, True),
    ("accounts.sign-in.northwind-example.com", True, True),  # 38: everything still fits
    ("accounts.secure-sign-in.northwind-credit-union.example.com", False, True),
    ("a" * 63 + ".b" * 60 + ".example.com", True, False),  # a host no text message can hold
])
def test_sms_stays_one_segment_with_a_long_name_and_host(app, host, expiry, autofill):
    app.config["APP_NAME"] = NAME
    with app.test_request_context():
        body = phone.sms_body("004217", host)
    assert len(body) <= 160 and body.isascii()  # ASCII is within GSM-7: one segment
    assert code_in({"Body": body}) == "004217"  # the code first
    assert f"is your {NAME} sign-in code. Do not share this code." in body
    assert ("It expires in 5 minutes." in body) == expiry
    assert (body.splitlines()[-1] == f"@{host} #004217") == autofill  # last, when it fits
    assert body.count("004217") == 1 + autofill


@pytest.mark.parametrize("name", ["N" * 31, "Café ☕", "Two\nlines", "Curly “quotes”", ""])
def test_an_app_name_that_breaks_the_one_segment_text_is_refused(app_config, name):
    with pytest.raises(RuntimeError, match="APP_NAME"):
        create_app({**app_config, "APP_NAME": name})


def test_the_call_says_whose_it_is_and_not_to_share_the_code(app):
    app.config["APP_NAME"] = "Smith & Sons"
    with app.test_request_context():
        inline = phone.code_twiml("004217")
        gate = voice.gate_twiml("https://2fa.example.com/twilio/voice/token/digits")
    for twiml in (inline, gate):
        greeting = re.search(r"<Say[^>]*>([^<]*)</Say>", twiml).group(1)
        assert greeting.startswith("Hello, this is Smith &amp; Sons with your sign-in code.")
        assert "Do not share this code with anyone." in greeting
    assert inline.index("Do not share") < inline.index("0, 0, 4")


def test_every_request_matches_twilios_api_description(auth, twilio, clock):
    auth.login()
    clock.tick(timedelta(seconds=31))
    auth.resend("voice")
    assert len(twilio.requests) == 2
    basic = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    for request in twilio.requests:
        assert request["spec_error"] is None, request["spec_error"]
        assert request["method"] == "POST"
        assert request["path"].startswith(f"/2010-04-01/Accounts/{ACCOUNT_SID}/")
        assert request["headers"]["Authorization"] == f"Basic {basic}"
        assert request["content_type"].startswith("application/x-www-form-urlencoded")
        assert request["form"]["To"] == "+12015550123"
        assert request["form"]["From"] == FROM_NUMBER
    sms, call = twilio.requests
    assert sms["path"].endswith("/Messages.json") and "Body" in sms["form"]
    assert call["path"].endswith("/Calls.json") and "Twiml" in call["form"]
    assert "Url" not in call["form"]


def test_the_spec_check_catches_a_bad_request(twilio):
    import requests
    requests.post(f"http://127.0.0.1:{twilio.port}/2010-04-01/Accounts/{ACCOUNT_SID}"
                  "/Messages.json", data={"To": "201-555-0123", "Body": "x"},
                  auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    requests.post(f"http://127.0.0.1:{twilio.port}/2010-04-01/Accounts/{ACCOUNT_SID}"
                  "/Calls.json", data={"To": "+12015550123"}, timeout=5)
    assert all(r["spec_error"] for r in twilio.requests)


def test_twilio_failure_is_explained_and_leaves_nothing_live(client, auth, twilio):
    twilio.fail_next(400, 21614, "not a mobile number")
    response = auth.login()
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert b"cannot receive text messages. Try a phone call instead." in page.data
    assert b"expired or has been used up" in auth.verify(code_in(twilio.requests[0])).data
    auth.resend("voice")  # no cooldown: the failed send did not count
    assert twilio.requests[-1]["path"].endswith("/Calls.json")
    assert auth.verify().headers["Location"] == "/"
