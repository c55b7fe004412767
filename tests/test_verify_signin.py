"""Signing in with a Verify provider: the real pages, the real twilio and telnyx clients, the
local fakes. Our limits still apply; the provider makes, sends and checks the code."""
from datetime import timedelta

import pytest
import requests
from conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PASSWORD,
    TELNYX_API_KEY,
    TELNYX_PROFILE_ID,
    VERIFY_SERVICE_SID,
    add_user,
    counted,
    is_signed_in,
)
from fake_telnyx import error as telnyx_error
from fake_twilio import TWILIO
from fake_twilio_verify import VERIFY, RoutingHttpClient
from markupsafe import escape

from twofactor.extensions import db
from twofactor.factors import backup_codes
from twofactor.models import OneTimeCode, User
from twofactor.providers import telnyx_verify, twilio_verify

ALICE = "+12015550123"
TWILIO_VERIFY, TELNYX_VERIFY = "twilio-verify", "telnyx-verify"
EXPIRED = "This code has expired or has been used up. Ask for a new code below."


def provider_settings(name: str, fake, twilio) -> dict:
    """Settings that make the app use ``name`` through its real client against ``fake``."""
    if name == TWILIO_VERIFY:  # one Twilio client: Verify to its fake, notices to Twilio's
        return {"CODE_PROVIDER": name, "TWILIO_VERIFY_SERVICE_SID": VERIFY_SERVICE_SID,
                "TWILIO_TIMEOUT": 2,  # shorter than the fake's hang
                "TWILIO_HTTP_CLIENT": RoutingHttpClient({VERIFY: fake.url, TWILIO: f"http://127.0.0.1:{twilio.port}"},
                                                        timeout=2)}
    return {"CODE_PROVIDER": name, "TELNYX_API_KEY": TELNYX_API_KEY, "TELNYX_TIMEOUT": 2,
            "TELNYX_VERIFY_PROFILE_ID": TELNYX_PROFILE_ID, "TELNYX_BASE_URL": f"{fake.url}/v2"}


@pytest.fixture(params=[TWILIO_VERIFY, TELNYX_VERIFY])
def provider_name(request):
    return request.param


@pytest.fixture
def fake(provider_name, request):
    """The fake of the provider in use, emptied for this test."""
    return request.getfixturevalue("twilio_verify" if provider_name == TWILIO_VERIFY
                                   else "telnyx")


@pytest.fixture
def app_config(app_config, provider_name, fake, twilio):
    # No wait between sends, so a test can ask again at once.
    return {**app_config, **provider_settings(provider_name, fake, twilio),
            "SEND_COOLDOWN": timedelta(0)}


def login(client, name="alice"):
    return client.post("/login", data={"username": name, "password": PASSWORD},
                       follow_redirects=True)


def enter(client, code):
    return client.post("/code", data={"code": code}, follow_redirects=True)


def other_than(code: str) -> str:
    """A code of the same length that is not ``code``."""
    return "".join("1" if c == "0" else "0" for c in code)


def codes_of(app) -> list[OneTimeCode]:
    with app.app_context():
        return db.session.scalars(db.select(OneTimeCode).order_by(OneTimeCode.created_at)).all()


def test_sign_in_with_the_providers_code(app, client, fake, twilio):
    page = login(client)
    assert "We sent a text message with a code to <strong>+•••••••••23</strong>." in page.text
    assert len(fake.sent) == 1 and twilio.requests == []  # no code by Twilio Messaging
    assert counted(app, "send:account:") == 1  # our send limits still count
    [row] = codes_of(app)
    assert row.provider_ref == fake.sent[0].get("sid", fake.sent[0].get("id"))
    assert row.code_hash == "" and row.channel == "sms"
    done = enter(client, fake.last_code(ALICE))
    assert "You are signed in." in done.text and is_signed_in(client)
    [row] = codes_of(app)
    assert row.used_at is not None  # single use on our side too
    check = fake.requests[1]
    assert row.provider_ref in check["path"] or check["form"]["VerificationSid"] == row.provider_ref


def test_a_wrong_code_is_a_counted_guess_and_our_attempt_limit_applies(app, client, fake):
    login(client)
    right = fake.last_code(ALICE)
    page = enter(client, other_than(right))
    assert "That code is not right. You can try 2 more times." in page.text
    assert counted(app, "guess:") == 1
    enter(client, other_than(right))
    page = enter(client, other_than(right))
    assert "That code is not right, and it no longer works." in page.text
    asked = len(fake.requests)
    page = enter(client, right)
    assert EXPIRED in page.text and not is_signed_in(client)
    assert len(fake.requests) == asked  # dead on our side: the provider is not asked


def test_an_expired_code_asks_for_a_new_one(app, client, fake, provider_name):
    login(client)
    fake.advance(timedelta(minutes=10 if provider_name == TWILIO_VERIFY else 5, seconds=1))
    page = enter(client, fake.last_code(ALICE))
    assert EXPIRED in page.text and not is_signed_in(client)
    assert counted(app, "guess:") == 0  # not a guess
    [row] = codes_of(app)
    assert row.voided


def test_a_code_used_elsewhere_is_used_up(app, client, fake, provider_name):
    login(client)
    code = fake.last_code(ALICE)
    if provider_name == TWILIO_VERIFY:  # the provider's API used this verification's code
        requests.post(f"{fake.url}/v2/Services/{VERIFY_SERVICE_SID}/VerificationCheck",
                      data={"VerificationSid": fake.sent[-1]["sid"], "Code": code},
                      auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    else:
        requests.post(f"{fake.url}/v2/verifications/{fake.sent[-1]['id']}/actions/verify",
                      json={"code": code}, timeout=5,
                      headers={"Authorization": f"Bearer {TELNYX_API_KEY}"})
    page = enter(client, code)
    assert EXPIRED in page.text and not is_signed_in(client)
    assert counted(app, "guess:") == 0


@pytest.mark.parametrize("provider_name", [TWILIO_VERIFY])
def test_twilios_cap_on_checks_ends_the_code(app, client, twilio_verify):
    app.config.update(CODE_MAX_ATTEMPTS=10, GUESS_DELAY_AFTER=10)  # let Twilio's cap come first
    login(client)
    right = twilio_verify.last_code(ALICE)
    for _ in range(5):
        enter(client, other_than(right))
    page = enter(client, right)
    assert twilio_verify.requests[-1]["status"] == 429  # Twilio's 60202: max check attempts
    assert EXPIRED in page.text and not is_signed_in(client)


def test_a_spent_budget_sends_no_check_to_the_provider(app, client, fake):
    app.config["GUESS_BUDGET"] = 2
    login(client)
    right = fake.last_code(ALICE)
    enter(client, other_than(right))
    enter(client, other_than(right))
    asked = len(fake.requests)
    page = client.post("/code", data={"code": right})
    assert page.status_code == 429 and "Too many wrong codes" in page.text
    assert len(fake.requests) == asked and not is_signed_in(client)


@pytest.mark.parametrize("failure", ["drop", "busy"])
def test_a_check_the_provider_cannot_answer_counts_nothing(app, client, fake, provider_name,
                                                           monkeypatch, failure):
    login(client)
    if failure == "drop":
        fake.drop = 1
    elif provider_name == TWILIO_VERIFY:
        monkeypatch.setattr(fake, "check", lambda sid, code: fake.error(429, 20429, "Too Many"))
    else:
        monkeypatch.setattr(fake, "answer", lambda record: telnyx_error(429, "10011", "Too many"))
    page = enter(client, fake.last_code(ALICE))
    module = twilio_verify if provider_name == TWILIO_VERIFY else telnyx_verify
    assert (module.CHECK_UNKNOWN if failure == "drop" else module.CHECK_BUSY) in page.text
    assert counted(app, "guess:") == 0
    [row] = codes_of(app)
    assert row.failed_attempts == 0 and row.used_at is None and not row.voided


def test_asking_again(app, client, fake, provider_name):
    login(client)
    first = fake.last_code(ALICE)
    page = client.post("/code/resend", data={"channel": "sms"}, follow_redirects=True)
    if provider_name == TWILIO_VERIFY:
        assert "We sent the same code again; it still works." in page.text
        assert fake.last_code(ALICE) == first
        assert "Status" not in fake.requests[-1].get("form", {})  # nothing was cancelled
    else:
        assert "We sent you a new code. The one before it no longer works." in page.text
        # Telnyx would still accept the first code, but we ask only about the newest one.
        assert "That code is not right." in enter(client, first).text
    assert counted(app, "send:account:") == 2
    old, new = codes_of(app)
    assert old.voided and not new.voided
    assert "You are signed in." in enter(client, fake.last_code(ALICE)).text


@pytest.mark.parametrize("provider_name", [TWILIO_VERIFY])
def test_a_newer_verification_cancels_the_old_one(app, client, twilio_verify):
    login(client)
    old = twilio_verify.sent[-1]["sid"]
    twilio_verify.advance(timedelta(minutes=9))
    # Not yet expired here, but our row is: ours counts from the first send as Twilio does.
    with app.app_context():
        row = db.session.scalar(db.select(OneTimeCode))
        row.expires_at -= timedelta(minutes=9)
        db.session.commit()
    twilio_verify.advance(timedelta(minutes=2))  # Twilio's 10 minutes are over: a new one
    client.post("/code/resend", data={"channel": "voice"})
    assert twilio_verify.sent[-1]["sid"] != old
    cancel = twilio_verify.requests[-1]
    assert cancel["path"].endswith(f"/Verifications/{old}") and cancel["form"] == {
        "Status": "canceled"}


@pytest.mark.parametrize("provider_name", [TWILIO_VERIFY])
def test_finishing_another_way_cancels_the_code_on_its_way(app, client, twilio_verify):
    with app.app_context():
        codes = backup_codes.new_set(db.session.scalar(db.select(User).filter_by(
            username="alice")))
        db.session.commit()
    login(client)
    sid = twilio_verify.sent[-1]["sid"]
    page = client.post("/code/backup", data={"code": codes[0]}, follow_redirects=True)
    assert "You are signed in." in page.text
    assert twilio_verify.verifications[sid]["status"] == "canceled"


@pytest.mark.parametrize("provider_name", [TWILIO_VERIFY])
def test_signing_out_half_way_cancels_the_code(app, client, twilio_verify):
    login(client)
    sid = twilio_verify.sent[-1]["sid"]
    client.post("/logout")
    assert twilio_verify.verifications[sid]["status"] == "canceled"


def test_whatsapp_where_the_provider_offers_it(app, client, fake):
    page = login(client)
    assert "WhatsApp me a code" in page.text
    page = client.post("/code/resend", data={"channel": "whatsapp"}, follow_redirects=True)
    assert fake.sent[-1]["channel"] == "whatsapp"
    assert "We sent a WhatsApp message with a code to <strong>+•••••••••23</strong>." in page.text
    assert "You are signed in." in enter(client, fake.last_code(ALICE)).text
    with app.app_context():  # the next sign-in starts on WhatsApp
        assert db.session.scalar(db.select(User).filter_by(username="alice")
                                 ).preferred_channel == "whatsapp"
    assert "WhatsApp me a code" in client.get("/confirm").text
    client.post("/confirm", data={"method": "whatsapp"})
    assert fake.sent[-1]["channel"] == "whatsapp" and len(fake.sent) == 3


def test_the_code_field_takes_the_providers_length(app, client, fake, provider_name):
    login(client)
    code = fake.last_code(ALICE)
    assert len(code) == (6 if provider_name == TWILIO_VERIFY else 5)  # Telnyx's default
    assert "The code is 4 to 10 digits" in enter(client, "123").text
    assert counted(app, "guess:") == 0
    assert "You are signed in." in enter(client, code[:2] + " " + code[2:]).text


# Every refusal the provider modules know, answered by the fake as the provider would.
TWILIO_REFUSALS = [(code, 429 if code in (60203, 60212, 20429) else 401 if code == 20003
                    else 404 if code == 20404 else 400) for code in twilio_verify.ADVICE]
TELNYX_REFUSALS = [(code, 429 if code == "10011" else 401 if code == "10009"
                    else 404 if code == "10005" else 400) for code in telnyx_verify.ADVICE]


def refuse_sends(fake, provider_name, monkeypatch, status, code):
    """Make the fake answer every send with this error, in the provider's own error shape."""
    if provider_name == TWILIO_VERIFY:
        monkeypatch.setattr(fake, "create", lambda form: fake.error(status, code, "Refused"))
    else:
        monkeypatch.setattr(fake, "trigger",
                            lambda to, kind, profile: telnyx_error(status, code, "Refused"))


@pytest.mark.parametrize("provider_name, status, code", [
    *[(TWILIO_VERIFY, status, code) for code, status in TWILIO_REFUSALS],
    (TWILIO_VERIFY, 400, 60999),  # a refusal we have no words for
    *[(TELNYX_VERIFY, status, code) for code, status in TELNYX_REFUSALS],
    (TELNYX_VERIFY, 422, "10099"),
])
def test_every_refusal_reaches_the_person_and_is_not_counted(app, client, fake, provider_name,
                                                             monkeypatch, status, code):
    refuse_sends(fake, provider_name, monkeypatch, status, code)
    module = twilio_verify if provider_name == TWILIO_VERIFY else telnyx_verify
    words = module.ADVICE.get(code, module.REFUSED).format(other="a phone call")
    page = login(client)
    assert str(escape(words)) in page.text
    assert counted(app, "send:account:") == 0  # refused, so nothing went out
    assert codes_of(app) == []


@pytest.mark.parametrize("failure", ["hang", "drop"])
def test_an_unknown_outcome_counts_and_says_the_code_may_arrive(app, client, fake, failure):
    setattr(fake, failure, 3 if failure == "hang" else 1)
    page = login(client)
    assert "We could not confirm that your code was sent. It may still arrive" in page.text
    assert counted(app, "send:account:") == 1


@pytest.mark.parametrize("provider_name", [TWILIO_VERIFY, TELNYX_VERIFY])
def test_special_numbers_are_refused_in_plain_words(app, fake, provider_name):
    add_user(app, "carol", "+12015550200")  # both fakes: an invalid number
    page = login(app.test_client(), "carol")
    assert "Our provider says your phone number is not valid." in page.text
    assert fake.sent == []


def test_a_refused_resend_keeps_the_code_already_sent(app, client, fake, provider_name,
                                                      monkeypatch):
    login(client)
    first = fake.last_code(ALICE)
    refuse_sends(fake, provider_name, monkeypatch, 429,
                 60203 if provider_name == TWILIO_VERIFY else "10011")
    client.post("/code/resend", data={"channel": "sms"})
    assert "You are signed in." in enter(client, first).text


def test_local_codes_offer_no_whatsapp(app_config, twilio):
    from app import create_app
    local = create_app({**app_config, "CODE_PROVIDER": "local"})
    add_user(local, "dora", "+12015550155")
    client = local.test_client()
    page = login(client, "dora")
    assert "WhatsApp" not in page.text and "a 6-digit code" in page.text
    client.post("/code/resend", data={"channel": "whatsapp"})
    assert len(twilio.requests) == 1  # only the first text: WhatsApp is no choice here
    assert "The code is 6 digits" in enter(client, "12345").text


@pytest.mark.parametrize("provider_name", [TELNYX_VERIFY])  # Telnyx alone, no Twilio at all
def test_a_notice_without_a_way_to_text_is_skipped_and_recorded(app, client, fake, twilio):
    from twofactor.models import AuditEvent
    app.config.update(GUESS_BUDGET=1, TWILIO_ACCOUNT_SID=None, TWILIO_AUTH_TOKEN=None,
                      TESTING=False)  # production's view: no console sender to fall back on
    login(client)
    enter(client, other_than(fake.last_code(ALICE)))  # spends the budget: a notice is due
    assert twilio.requests == []
    with app.app_context():
        skipped = db.session.scalar(db.select(AuditEvent).filter_by(event="notice_skipped"))
        assert skipped.detail == "no sender"
