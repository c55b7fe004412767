"""What reaches the phone: the SMS text, the spoken digits, and Twilio's view of the requests."""
import base64
import re
from datetime import timedelta

from conftest import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, code_in
from twofactor import phone


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
    assert body.startswith(f"{code} is your sign-in code")
    assert body.splitlines()[-1] == f"@localhost #{code}"
    assert len(body) <= 160 and body.isascii()
    assert "alice" not in body


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
