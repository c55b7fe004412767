"""Every request the app can make to Twilio matches Twilio's own API description."""
import base64
import hashlib

import pytest
import requests
from conftest import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER
from fake_twilio import SPEC, SPEC_DIR, SPEC_SHA256, TWIML_LIMIT
from lxml import etree
from twilio_callbacks import PUBLIC_URL

from twofactor.providers import phone, voice

MESSAGING_SERVICE = "MG" + "fedcba9876543210" * 2
BASIC = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()


@pytest.mark.parametrize("name", sorted(SPEC_SHA256))
def test_the_reference_files_are_twilios_unchanged(name):
    """tests/twilio-oai/ holds the very files Twilio published, byte for byte."""
    assert hashlib.sha256((SPEC_DIR / name).read_bytes()).hexdigest() == SPEC_SHA256[name]


def check_wire_format(request: dict, kind: str, to: str = "+12015550123") -> dict:
    """Assert what openapi-core and a person reading Twilio's docs would both check."""
    assert request["spec_error"] is None, request["spec_error"]
    assert request["method"] == "POST"
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/{kind}.json"
    assert request["content_type"].startswith("application/x-www-form-urlencoded")
    assert request["headers"]["Authorization"] == BASIC
    assert request["form"]["To"] == to
    return request["form"]


@pytest.mark.parametrize("public_url", [None, PUBLIC_URL])
@pytest.mark.parametrize("service", [None, MESSAGING_SERVICE])
def test_sms_requests(app, auth, twilio, public_url, service):
    app.config.update(PUBLIC_URL=public_url, TWILIO_MESSAGING_SERVICE_SID=service)
    auth.login()
    form = check_wire_format(twilio.requests[-1], "Messages")
    if service:
        assert form["MessagingServiceSid"] == service and "From" not in form
    else:
        assert form["From"] == FROM_NUMBER and "MessagingServiceSid" not in form
    assert form.get("StatusCallback") == (public_url and f"{PUBLIC_URL}/twilio/status")
    assert auth.verify().headers["Location"] == "/"


@pytest.mark.parametrize("public_url", [None, PUBLIC_URL])
def test_call_requests_made_by_the_app(app, auth, twilio, public_url):
    app.config["PUBLIC_URL"] = public_url
    auth.login(username="bob")
    form = check_wire_format(twilio.requests[-1], "Calls", to="+12015550177")
    assert form["From"] == FROM_NUMBER
    if public_url:  # the voicemail-proof call fetches its TwiML
        assert "Twiml" not in form and form["Method"] == "POST"
        assert form["Url"].startswith(f"{PUBLIC_URL}/twilio/voice/")
        assert form["StatusCallback"] == f"{PUBLIC_URL}/twilio/status"
        assert form["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    else:
        assert "Url" not in form and "StatusCallback" not in form
        assert len(form["Twiml"]) <= TWIML_LIMIT


@pytest.mark.parametrize("callback", [None, f"{PUBLIC_URL}/twilio/status"])
@pytest.mark.parametrize("how", ["twiml", "url"])
def test_every_call_shape(app, twilio, how, callback):
    with app.test_request_context():
        source = ({"twiml": voice.code_twiml("004217")} if how == "twiml"
                  else {"url": f"{PUBLIC_URL}/twilio/voice/some-token"})
        sent = phone.call("+12015550123", status_callback=callback, **source)
    assert sent.sid.startswith("CA")
    form = check_wire_format(twilio.requests[-1], "Calls")
    assert ("StatusCallback" in form) == bool(callback)
    assert ("Twiml" in form) == (how == "twiml") and ("Url" in form) == (how == "url")


def raw(twilio, kind: str, form: dict, auth=(ACCOUNT_SID, AUTH_TOKEN), account=ACCOUNT_SID,
        **kwargs) -> str | None:
    """Send a hand-made request to the fake Twilio; return what its spec check said."""
    requests.post(f"http://127.0.0.1:{twilio.port}/2010-04-01/Accounts/{account}/{kind}.json",
                  data=form, auth=auth, timeout=5, **kwargs)
    return twilio.requests[-1]["spec_error"]


SMS = {"To": "+12015550123", "From": FROM_NUMBER, "Body": "123456 is your code"}
CALL = {"To": "+12015550123", "From": FROM_NUMBER, "Twiml": "<Response><Say>1</Say></Response>"}


def test_the_validator_accepts_good_requests(twilio):
    assert raw(twilio, "Messages", SMS) is None
    assert raw(twilio, "Calls", CALL) is None
    assert raw(twilio, "Calls", {**CALL, "Twiml": "<Response/>" + " " * (TWIML_LIMIT - 11)}) is None


@pytest.mark.parametrize("kind, form, problem", [
    ("Messages", {"From": FROM_NUMBER, "Body": "x"}, "'To' is a required property"),
    ("Messages", {**SMS, "To": "201-555-0123"}, "is not a 'phone-number'"),
    ("Messages", {**SMS, "To": "12015550123"}, "is not a 'phone-number'"),
    ("Messages", {**SMS, "MessagingServiceSid": "MG123"}, "does not match '^MG"),
    ("Messages", {**SMS, "StatusCallback": "/twilio/status"}, "is not a 'uri'"),
    ("Messages", {"To": SMS["To"], "Body": "x"}, "exactly one of From and MessagingServiceSid"),
    ("Messages", {"To": SMS["To"], "From": FROM_NUMBER}, "Body is required"),
    ("Calls", {"To": "+12015550123", "Twiml": CALL["Twiml"]}, "'From' is a required property"),
    ("Calls", {**CALL, "To": "bob"}, "is not a 'endpoint'"),
    ("Calls", {**CALL, "Twiml": "<Response>" + "x" * TWIML_LIMIT + "</Response>"},
     "is not a 'twiml'"),
    ("Calls", {**CALL, "Twiml": "Say 1 2 3"}, "is not a 'twiml'"),
    ("Calls", {**CALL, "Url": "https://2fa.example.com/v"}, "exactly one of Url and Twiml"),
    ("Calls", {"To": CALL["To"], "From": FROM_NUMBER, "Url": "2fa.example.com/v"}, "not a 'uri'"),
    ("Calls", {**CALL, "StatusCallbackMethod": "PUT"}, "is not one of ['GET', 'POST']"),
])
def test_the_validator_refuses_bad_fields(twilio, kind, form, problem):
    assert problem in (raw(twilio, kind, form) or "")


def test_the_validator_refuses_bad_auth_encoding_path_and_account(twilio):
    assert "SecurityValidationError" in raw(twilio, "Messages", SMS, auth=None)
    assert "SecurityValidationError" in raw(twilio, "Messages", SMS, auth=None,
                                            headers={"Authorization": "Bearer abc"})
    assert "mimetype" in raw(twilio, "Messages", None, json=SMS)
    assert "AccountSid" in raw(twilio, "Messages", SMS, account="AC123")
    assert "PathNotFound" in raw(twilio, "Faxes", SMS)


def test_wrong_credentials_get_twilios_20003(twilio):
    reply = requests.post(f"http://127.0.0.1:{twilio.port}/2010-04-01/Accounts/{ACCOUNT_SID}"
                          "/Messages.json", data=SMS, auth=(ACCOUNT_SID, "wrong"), timeout=5)
    assert reply.status_code == 401 and reply.json()["code"] == 20003


@pytest.mark.parametrize("voice_name, language", [(None, "en-US"), ("Polly.Joanna-Neural", "en-US"),
                                                   ("Google.fr-FR-Neural2-A", "fr-FR")])
def test_inline_twiml_stays_under_twilios_limit(app, voice_name, language):
    app.config.update(TWILIO_VOICE=voice_name, TWILIO_VOICE_LANGUAGE=language)
    with app.test_request_context():
        documents = [voice.code_twiml("000000"), voice.goodbye_twiml(),
                     voice.gate_twiml(f"{PUBLIC_URL}/twilio/voice/{'x' * 43}/digits")]
    assert all(len(doc) < TWIML_LIMIT for doc in documents)
    assert all(f'language="{language}"' in doc for doc in documents)


def test_twiml_validates_against_twilios_schema(app):
    """Twilio's 2016 TwiML.xsd predates today's voices and locales, so use ones it knows."""
    schema = etree.XMLSchema(etree.parse(str(SPEC.parent / "TwiML.xsd")))
    app.config.update(TWILIO_VOICE="woman", TWILIO_VOICE_LANGUAGE="en",
                      APP_NAME="Smith & Sons <Bank>")  # spoken names are escaped
    with app.test_request_context():
        documents = [voice.code_twiml("004217"), voice.goodbye_twiml(),
                     voice.gate_twiml(f"{PUBLIC_URL}/twilio/voice/token/digits")]
    for document in documents:
        assert schema.validate(etree.fromstring(document.encode())), schema.error_log
    broken = documents[2].replace('numDigits="1"', 'numDigits="0"')
    assert not schema.validate(etree.fromstring(broken.encode()))
