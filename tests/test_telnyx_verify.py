"""Telnyx Verify through the real ``telnyx`` client against the local fake Telnyx."""
import hashlib
import json
from datetime import timedelta

import pytest
import requests
from conftest import TELNYX_API_KEY, TELNYX_PROFILE_ID
from fake_telnyx import (BROKEN, INACTIVE, INVALID, NOT_ALLOWED, RATE_LIMITED, SPEC_DIR,
                         SPEC_SHA256)

from app import create_app
from twofactor.providers import telnyx_verify
from twofactor.providers.phone import DeliveryError
from twofactor.providers.verify import Started, Verdict, provider

ALICE = "+12015550123"


@pytest.mark.parametrize("name", sorted(SPEC_SHA256))
def test_the_reference_file_is_telnyxs_unchanged(name):
    assert hashlib.sha256((SPEC_DIR / name).read_bytes()).hexdigest() == SPEC_SHA256[name]


@pytest.fixture
def verify(telnyx):
    """An app context whose code provider is Telnyx Verify, served by the fake."""
    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "CODE_PROVIDER": "telnyx-verify", "TELNYX_API_KEY": TELNYX_API_KEY,
        "TELNYX_VERIFY_PROFILE_ID": TELNYX_PROFILE_ID, "TELNYX_TIMEOUT": 1,
        "TELNYX_BASE_URL": f"{telnyx.url}/v2"})
    with app.app_context():
        yield provider()


def wrong(right: str) -> str:
    return "00000" if right != "00000" else "11111"


def test_the_seam_picks_telnyx_verify(verify):
    assert verify is telnyx_verify and verify.CHANNELS == ("sms", "voice", "whatsapp")


@pytest.mark.parametrize("channel, path", [("sms", "sms"), ("voice", "call"),
                                           ("whatsapp", "whatsapp")])
def test_start_then_check_by_verification_id(verify, telnyx, channel, path):
    started = verify.start(ALICE, channel)
    assert started == Started(started.verification_id, channel, same_code=False,
                              lifetime=timedelta(seconds=300))  # the fake profile's timeout
    [send] = telnyx.requests
    assert send["path"] == f"/v2/verifications/{path}"
    assert json.loads(send["body"]) == {"phone_number": ALICE,
                                        "verify_profile_id": TELNYX_PROFILE_ID}
    assert send["headers"]["Authorization"] == f"Bearer {TELNYX_API_KEY}"
    code = telnyx.last_code(ALICE)
    assert verify.check(started.verification_id, code) is Verdict.APPROVED
    check = telnyx.requests[-1]
    assert check["path"] == f"/v2/verifications/{started.verification_id}/actions/verify"
    assert json.loads(check["body"]) == {"code": code}


def test_a_wrong_code_leaves_the_verification_open(verify, telnyx):
    started = verify.start(ALICE, "sms")
    right = telnyx.last_code()
    assert verify.check(started.verification_id, wrong(right)) is Verdict.WRONG
    assert verify.check(started.verification_id, right) is Verdict.APPROVED


def test_a_used_code_is_gone(verify, telnyx):
    started = verify.start(ALICE, "sms")
    code = telnyx.last_code()
    assert verify.check(started.verification_id, code) is Verdict.APPROVED
    assert verify.check(started.verification_id, code) is Verdict.GONE


def test_an_expired_code_is_gone(verify, telnyx):
    started = verify.start(ALICE, "sms")
    telnyx.advance(timedelta(seconds=301))
    assert verify.check(started.verification_id, telnyx.last_code()) is Verdict.GONE


def test_an_unknown_verification_is_gone(verify, telnyx):
    assert verify.check("5c3b9d1e-2f4a-4b6c-8d7e-9f0a1b2c3d4e", "12345") is Verdict.GONE


def test_a_resend_is_a_new_code_and_the_old_one_still_works(verify, telnyx):
    first = verify.start(ALICE, "sms")
    again = verify.start(ALICE, "sms")
    assert again.verification_id != first.verification_id and not again.same_code
    assert verify.check(first.verification_id, telnyx.sent[0]["code"]) is Verdict.APPROVED


def test_cancel_makes_no_request(verify, telnyx):
    started = verify.start(ALICE, "sms")
    verify.cancel(started.verification_id)
    assert len(telnyx.requests) == 1  # Telnyx Verify has nothing to cancel with


@pytest.mark.parametrize("to, channel, status, words", [
    (INVALID, "sms", 10002, "Our provider says your phone number is not valid."),
    (INACTIVE, "sms", 10001, "That phone number is not in service."),
    (NOT_ALLOWED, "whatsapp", 10010, "We cannot send codes to this number that way. "
                                     "Try a phone call, or contact the site."),
    (RATE_LIMITED, "sms", 10011, "We are sending a lot of codes right now. Try again in 60 s"),
])
def test_refusals_in_plain_words_after_one_request(verify, telnyx, to, channel, status, words):
    with pytest.raises(DeliveryError) as refused:
        verify.start(to, channel)
    assert refused.value.twilio_code == status and refused.value.definite
    assert refused.value.message.startswith(words)
    assert len(telnyx.requests) == 1 and telnyx.sent == []


def test_wrong_api_key_is_the_sites_problem(verify, telnyx):
    from flask import current_app
    current_app.config["TELNYX_API_KEY"] = "KEY_wrong"  # read when the client is first built
    with pytest.raises(DeliveryError) as refused:
        verify.start(ALICE, "sms")
    assert refused.value.message == ("Sending codes is not working on our side. "
                                     "Please contact the site.")
    assert refused.value.twilio_code == 10009 and refused.value.definite


@pytest.mark.parametrize("failure", ["server error", "hang", "drop"])
def test_an_unknown_outcome_is_not_retried(verify, telnyx, failure):
    """The client retries 5xx, timeouts and dropped connections by default: a second text."""
    to = BROKEN if failure == "server error" else ALICE
    telnyx.hang = 3 if failure == "hang" else 0
    telnyx.drop = 1 if failure == "drop" else 0
    with pytest.raises(DeliveryError) as unknown:
        verify.start(to, "sms")
    assert not unknown.value.definite
    assert unknown.value.message.startswith("We could not confirm that your code was sent.")
    assert len(telnyx.requests) == 1


def test_a_check_without_an_answer_asks_to_try_again(verify, telnyx):
    started = verify.start(ALICE, "sms")
    telnyx.drop = 1
    with pytest.raises(DeliveryError) as unknown:
        verify.check(started.verification_id, telnyx.last_code())
    assert not unknown.value.definite and len(telnyx.requests) == 2
    assert unknown.value.message == ("We could not check your code just now. "
                                     "Please try again in a minute.")


def test_every_request_matches_telnyxs_description(verify, telnyx):
    started = verify.start(ALICE, "voice")
    verify.check(started.verification_id, wrong(telnyx.last_code()))  # verify, then retrieve
    assert [r["method"] for r in telnyx.requests] == ["POST", "POST", "GET"]
    assert [r["spec_error"] for r in telnyx.requests] == [None, None, None]


@pytest.mark.parametrize("path, body, problem", [
    ("/v2/verifications/sms", {"phone_number": ALICE}, "'verify_profile_id' is a required"),
    ("/v2/verifications/sms", {"phone_number": ALICE, "verify_profile_id": "abc"}, "uuid"),
    ("/v2/verifications/sms", {"phone_number": "2015550123",
                               "verify_profile_id": TELNYX_PROFILE_ID}, "+E.164"),
    ("/v2/verifications/email", {"phone_number": ALICE}, "NotFound"),
    ("/v2/verifications/not-a-uuid/actions/verify", {"code": "12345"}, "uuid"),
])
def test_the_fake_judges_by_telnyxs_description(telnyx, path, body, problem):
    reply = requests.post(telnyx.url + path, json=body, timeout=5,
                          headers={"Authorization": f"Bearer {TELNYX_API_KEY}"})
    assert reply.status_code == 400 and reply.json()["errors"][0]["code"] == "10015"
    assert problem in telnyx.requests[-1]["spec_error"]
    assert telnyx.sent == []


def test_the_fake_needs_a_bearer_key(telnyx):
    requests.post(f"{telnyx.url}/v2/verifications/sms", timeout=5,
                  json={"phone_number": ALICE, "verify_profile_id": TELNYX_PROFILE_ID})
    assert "Security" in telnyx.requests[-1]["spec_error"]
