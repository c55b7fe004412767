"""The voicemail-proof call: nothing secret until a key is pressed, single use, never in a URL."""
import re
from datetime import timedelta

import pytest
from twilio_callbacks import PUBLIC_URL, as_twilio

from twofactor.extensions import db
from twofactor.models import OneTimeCode
from twofactor.signin import codes

CODE = "004217"
SPOKEN = "0, 0, 4, 2, 1, 7"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PUBLIC_URL": PUBLIC_URL}


@pytest.fixture
def call(auth, twilio, monkeypatch, clock):
    """Bob signs in and is called with the code 004217; the call request Twilio received."""
    monkeypatch.setattr(codes, "make_code", lambda: CODE)
    auth.login(username="bob")
    return twilio.requests[-1]


def answer(client, call, url=None, **params):
    """Twilio fetching TwiML for this call, as it does when bob picks up (or presses a key)."""
    params.setdefault("CallSid", call["reply"]["sid"])
    response = as_twilio(client, url or call["form"]["Url"], {
        "From": call["form"]["From"], "To": call["form"]["To"], "CallStatus": "in-progress",
        "Direction": "outbound-api", **params})
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return response.get_data(as_text=True)


def press_key(client, call, gate: str, digit="5"):
    """Twilio posting the key bob pressed to the Gather's action."""
    action = re.search(r'<Gather action="([^"]+)"', gate).group(1)
    return answer(client, call, url=action, Digits=digit)


def test_the_call_url_carries_no_code(app, call):
    assert "Twiml" not in call["form"]
    url = call["form"]["Url"]
    token = url.removeprefix(f"{PUBLIC_URL}/twilio/voice/")
    assert CODE not in url and "2015550177" not in url and len(token) >= 43
    with app.app_context():
        row = db.session.scalar(db.select(OneTimeCode))
        dump = " ".join(str(value) for value in vars(row).values())
    assert CODE not in dump and token not in dump  # a database dump shows neither


def test_answering_asks_for_a_key_and_says_nothing_secret(client, call):
    gate = answer(client, call)
    assert '<Gather action="https://2fa.example.com/twilio/voice/' in gate
    assert 'numDigits="1"' in gate and "Press any key to hear it." in gate
    assert "0, 0" not in gate and CODE not in gate
    # No key (an answering machine): Twilio goes on past the Gather to a goodbye.
    after = gate.split("</Gather>")[1]
    assert "Goodbye" in after and "<Hangup" in after and "0," not in after


def test_a_key_press_reads_the_code_slowly_and_it_signs_bob_in(client, auth, call):
    spoken = press_key(client, call, answer(client, call))
    assert spoken.count(SPOKEN) >= 2
    assert 'language="en-US"' in spoken
    assert auth.verify(CODE).headers["Location"] == "/"


def test_language_is_configurable(app, client, call):
    app.config.update(TWILIO_VOICE_LANGUAGE="fr-FR", TWILIO_VOICE=None)
    gate = answer(client, call)
    spoken = press_key(client, call, gate)
    for twiml in (gate, spoken):
        assert re.findall(r"<Say[^>]*>", twiml) and all(
            say == '<Say language="fr-FR">' for say in re.findall(r"<Say[^>]*>", twiml))


def test_each_step_works_once(client, call):
    gate = answer(client, call)
    assert "no longer available" in answer(client, call)  # the first URL again
    assert SPOKEN in press_key(client, call, gate)
    replay = press_key(client, call, gate)
    assert "no longer available" in replay and "0, 0" not in replay


def test_the_seal_is_wiped_once_read(app, client, call):
    with app.app_context():
        assert db.session.scalar(db.select(OneTimeCode.call_code_sealed)) not in (None, CODE)
    press_key(client, call, answer(client, call))
    with app.app_context():
        assert db.session.scalar(db.select(OneTimeCode.call_code_sealed)) is None


def test_no_key_pressed_reads_nothing(client, call):
    gate = answer(client, call)
    action = re.search(r'<Gather action="([^"]+)"', gate).group(1)
    assert "0, 0" not in answer(client, call, url=action)  # no Digits: nobody pressed
    assert SPOKEN in press_key(client, call, gate)  # a person can still press later


@pytest.mark.parametrize("step", ["answer", "key"])
def test_expired_code_is_not_read(client, call, clock, step):
    clock.tick(timedelta(minutes=5, seconds=1) if step == "answer" else timedelta(0))
    gate = answer(client, call)
    if step == "key":
        assert "Press any key" in gate
        clock.tick(timedelta(minutes=5, seconds=1))
        gate = press_key(client, call, gate)
    assert "no longer available" in gate and "0, 0" not in gate


def test_used_or_replaced_code_is_not_read(client, auth, call, twilio, clock):
    assert auth.verify(CODE).headers["Location"] == "/"
    assert "no longer available" in answer(client, call)
    auth.logout()
    auth.login(username="bob")
    clock.tick(timedelta(seconds=31))
    auth.resend("voice")  # a new call replaces the first
    assert "no longer available" in answer(client, call, CallSid=call["reply"]["sid"])


def test_only_the_call_placed_can_fetch_it(client, call):
    stranger = answer(client, call, CallSid="CA" + "e" * 32)
    assert "no longer available" in stranger and "Press any key" not in stranger


@pytest.mark.parametrize("step", ["answer", "key"])
def test_unsigned_twiml_requests_are_refused(client, call, step):
    url = call["form"]["Url"].removeprefix(PUBLIC_URL)
    if step == "key":
        url = re.search(r'<Gather action="([^"]+)"', answer(client, call)).group(1)
        url = url.removeprefix(PUBLIC_URL)
    for headers in ({}, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}):
        response = client.post(url, data={"CallSid": call["reply"]["sid"], "Digits": "1"},
                               headers=headers)
        assert response.status_code == 403 and b"0, 0" not in response.data


def test_without_public_url_the_call_is_inline(app, auth, twilio, monkeypatch):
    app.config["PUBLIC_URL"] = None
    monkeypatch.setattr(codes, "make_code", lambda: CODE)
    auth.login(username="bob")
    form = twilio.requests[-1]["form"]
    assert "Url" not in form and form["Twiml"].count(SPOKEN) >= 2
