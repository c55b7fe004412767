"""Twilio Verify through the real ``twilio`` client against the local fake Verify service."""
from datetime import timedelta

import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN, VERIFY_SERVICE_SID
from fake_twilio_verify import (BUSY, FRAUD_BLOCKED, GEO_BLOCKED, INVALID, LANDLINE,
                                RATE_LIMITED, VERIFY, RoutingHttpClient, basic)

from app import create_app
from twofactor.providers import twilio_verify
from twofactor.providers.phone import DeliveryError
from twofactor.providers.verify import Started, Verdict, provider

ALICE = "+12015550123"


@pytest.fixture
def verify(twilio_verify):
    """An app context whose code provider is Twilio Verify, served by the fake."""
    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "CODE_PROVIDER": "twilio-verify", "TWILIO_VERIFY_SERVICE_SID": VERIFY_SERVICE_SID,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_TIMEOUT": 1,
        "TWILIO_HTTP_CLIENT": RoutingHttpClient({VERIFY: twilio_verify.url}, timeout=1)})
    with app.app_context():
        yield provider()


def test_the_seam_picks_twilio_verify(verify):
    assert verify is twilio_verify and verify.CHANNELS == ("sms", "voice", "whatsapp")


def test_start_sends_one_code_and_checks_by_verification_sid(verify, twilio_verify):
    started = verify.start(ALICE, "sms")
    assert started == Started(started.verification_id, "sms", same_code=False,
                              lifetime=started.lifetime)
    assert timedelta(minutes=9, seconds=55) < started.lifetime <= timedelta(minutes=10)
    assert started.verification_id.startswith("VE")
    [create] = twilio_verify.requests
    assert create["path"] == f"/v2/Services/{VERIFY_SERVICE_SID}/Verifications"
    assert create["form"] == {"To": ALICE, "Channel": "sms"}
    assert create["headers"]["Authorization"] == basic(ACCOUNT_SID, AUTH_TOKEN)
    code = twilio_verify.last_code(ALICE)
    assert verify.check(started.verification_id, code) is Verdict.APPROVED
    check = twilio_verify.requests[-1]
    assert check["path"].endswith("/VerificationCheck")
    assert check["form"] == {"VerificationSid": started.verification_id, "Code": code}


def test_voice_is_twilios_call_channel(verify, twilio_verify):
    assert verify.start(ALICE, "voice").channel == "voice"
    assert twilio_verify.requests[-1]["form"]["Channel"] == "call"
    assert twilio_verify.sent[-1]["channel"] == "call"


def test_a_wrong_code_leaves_the_verification_open(verify, twilio_verify):
    started = verify.start(ALICE, "sms")
    right = twilio_verify.last_code()
    wrong = "000000" if right != "000000" else "111111"
    assert verify.check(started.verification_id, wrong) is Verdict.WRONG
    assert verify.check(started.verification_id, "12") is Verdict.WRONG  # not even asked
    assert len(twilio_verify.requests) == 2
    assert verify.check(started.verification_id, right) is Verdict.APPROVED


def test_twilios_own_refusal_of_a_malformed_code_is_a_wrong_code(verify, twilio_verify):
    started = verify.start(ALICE, "sms")
    assert twilio_verify.check(started.verification_id, "12")[1]["code"] == 60200
    assert twilio_verify.check(started.verification_id, "000000000000")[0] == 400


def test_a_used_code_is_gone(verify, twilio_verify):
    started = verify.start(ALICE, "sms")
    code = twilio_verify.last_code()
    assert verify.check(started.verification_id, code) is Verdict.APPROVED
    assert verify.check(started.verification_id, code) is Verdict.GONE


def test_an_expired_code_is_gone(verify, twilio_verify):
    started = verify.start(ALICE, "sms")
    twilio_verify.advance(timedelta(minutes=10, seconds=1))
    assert verify.check(started.verification_id, twilio_verify.last_code()) is Verdict.GONE


def test_the_sixth_check_is_too_many_even_when_right(verify, twilio_verify):
    started = verify.start(ALICE, "sms")
    right = twilio_verify.last_code()
    wrong = "000000" if right != "000000" else "111111"
    assert [verify.check(started.verification_id, wrong) for _ in range(5)] == [Verdict.WRONG] * 5
    assert verify.check(started.verification_id, right) is Verdict.TOO_MANY


def test_a_cancelled_verification_is_gone(verify, twilio_verify):
    started = verify.start(ALICE, "sms")
    verify.cancel(started.verification_id)
    assert twilio_verify.requests[-1]["form"] == {"Status": "canceled"}
    assert twilio_verify.requests[-1]["path"].endswith(f"/Verifications/{started.verification_id}")
    assert verify.check(started.verification_id, twilio_verify.last_code()) is Verdict.GONE
    verify.cancel(started.verification_id)  # cancelling twice is fine


def test_a_resend_within_ten_minutes_repeats_the_code(verify, twilio_verify):
    first = verify.start(ALICE, "sms")
    again = verify.start(ALICE, "voice")
    assert again.verification_id == first.verification_id and again.same_code
    assert twilio_verify.sent[0]["code"] == twilio_verify.sent[1]["code"]
    twilio_verify.advance(timedelta(minutes=11))
    later = verify.start(ALICE, "sms")
    assert later.verification_id != first.verification_id and not later.same_code


def test_the_sixth_send_is_refused(verify, twilio_verify):
    for _ in range(5):
        verify.start(ALICE, "sms")
    with pytest.raises(DeliveryError) as refused:
        verify.start(ALICE, "sms")
    assert refused.value.twilio_code == 60203 and refused.value.definite
    assert "Use the code you already have, or wait 10 minutes" in refused.value.message
    assert len(twilio_verify.sent) == 5


@pytest.mark.parametrize("to, channel, code, words", [
    (INVALID, "sms", 60200, "Our provider says your phone number is not valid."),
    (LANDLINE, "sms", 60205, "That number is a landline, which cannot get text messages. "
                             "Try a phone call instead."),
    (BUSY, "sms", 60212, "We are already sending a code to this number. Wait a minute"),
    (FRAUD_BLOCKED, "sms", 60410, "We cannot send codes to this number. Please contact the site."),
    (GEO_BLOCKED, "voice", 60605, "We cannot send codes to your country right now."),
    (RATE_LIMITED, "sms", 20429, "We are sending a lot of codes right now. Try again in 60 s"),
])
def test_refusals_in_plain_words(verify, twilio_verify, to, channel, code, words):
    with pytest.raises(DeliveryError) as refused:
        verify.start(to, channel)
    assert refused.value.twilio_code == code and refused.value.definite
    assert refused.value.message.startswith(words)
    assert twilio_verify.sent == []


def test_a_landline_can_still_get_a_call(verify, twilio_verify):
    assert verify.start(LANDLINE, "voice").channel == "voice"
    assert twilio_verify.sent[-1]["to"] == LANDLINE


def test_wrong_service_settings_are_the_sites_problem(verify, twilio_verify):
    from flask import current_app
    current_app.config["TWILIO_AUTH_TOKEN"] = "wrong"  # read when the client is first built
    with pytest.raises(DeliveryError) as refused:
        verify.start(ALICE, "sms")
    assert refused.value.message == ("Sending codes is not working on our side. "
                                     "Please contact the site.")
    assert refused.value.twilio_code == 20003 and refused.value.definite


@pytest.mark.parametrize("failure", ["hang", "drop"])
def test_no_answer_means_the_code_may_still_arrive(verify, twilio_verify, failure):
    setattr(twilio_verify, failure, 3 if failure == "hang" else 1)
    with pytest.raises(DeliveryError) as unknown:
        verify.start(ALICE, "sms")
    assert not unknown.value.definite and unknown.value.twilio_code is None
    assert unknown.value.message.startswith("We could not confirm that your code was sent. "
                                            "It may still arrive in a minute")
    assert len(twilio_verify.requests) == 1


def test_a_check_without_an_answer_asks_to_try_again(verify, twilio_verify):
    started = verify.start(ALICE, "sms")
    twilio_verify.hang = 3
    with pytest.raises(DeliveryError) as unknown:
        verify.check(started.verification_id, twilio_verify.last_code())
    assert not unknown.value.definite
    assert unknown.value.message == ("We could not check your code just now. "
                                     "Please try again in a minute.")


def test_every_request_matches_twilios_verify_description(verify, twilio_verify):
    started = verify.start(ALICE, "whatsapp")
    verify.check(started.verification_id, "000000")
    verify.cancel(started.verification_id)
    assert len(twilio_verify.requests) == 3
    assert [r["spec_error"] for r in twilio_verify.requests] == [None, None, None]


@pytest.mark.parametrize("form, problem", [
    ({"Channel": "sms"}, "'To' is a required property"),
    ({"To": "2015550123", "Channel": "sms"}, "To must be an E.164"),
    ({"To": ALICE, "Channel": "voice"}, "Channel must be sms, call or whatsapp"),
])
def test_the_fake_refuses_bad_sends(twilio_verify, form, problem):
    import requests
    reply = requests.post(f"{twilio_verify.url}/v2/Services/{VERIFY_SERVICE_SID}/Verifications",
                          data=form, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    assert reply.status_code == 400 and problem in twilio_verify.requests[-1]["spec_error"]
    assert twilio_verify.sent == []


@pytest.mark.parametrize("path, form, problem", [
    ("VerificationCheck", {"To": ALICE, "Code": "123456"}, "by VerificationSid alone"),
    ("Verifications", {"To": ALICE, "Channel": "sms"}, "ServiceSid"),
    ("Verifications/VE" + "0" * 32, {"Status": "deleted"}, "canceled"),
])
def test_the_fake_judges_by_twilios_description(twilio_verify, path, form, problem):
    import requests
    service = "VA123" if problem == "ServiceSid" else VERIFY_SERVICE_SID
    requests.post(f"{twilio_verify.url}/v2/Services/{service}/{path}", data=form,
                  auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    assert problem in (twilio_verify.requests[-1]["spec_error"] or "")
