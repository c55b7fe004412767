"""Twilio's status callbacks: signed or refused, recorded on the code, shown to the person."""
from datetime import timedelta

import pytest
from conftest import PASSWORD, add_user
from sqlalchemy import event
from twilio_callbacks import PUBLIC_URL, as_twilio, signature, status, twilio_params

from app import create_app
from twofactor.extensions import db
from twofactor.models import OneTimeCode


@pytest.fixture
def app_config(app_config):
    """The site knows its public address, so Twilio reports delivery."""
    return {**app_config, "PUBLIC_URL": PUBLIC_URL}


def sid_of_last_send(twilio) -> str:
    """The sid Twilio gave the newest message or call."""
    return twilio.requests[-1]["reply"]["sid"]


def stored_status(app):
    with app.app_context():
        return db.session.scalar(db.select(OneTimeCode.delivery_status))


def code_table_queries(app) -> list:
    """Every SQL statement that touches the code table, from now on."""
    seen = []
    with app.app_context():
        @event.listens_for(db.engine, "before_cursor_execute")
        def spy(conn, cursor, statement, *args):
            if "one_time_code" in statement:
                seen.append(statement)
    return seen


def test_sms_delivered_is_recorded_and_shown(app, client, auth, twilio):
    auth.login()
    page = client.get("/code").data.decode()
    assert "Sending your text message…" in page and 'id="delivery-fallback" ' in page
    assert 'data-final="false"' in page  # so code.js keeps asking
    assert status(client, sid_of_last_send(twilio), "sent").status_code == 204
    assert "Sent. Your phone company is delivering it." in client.get("/code").data.decode()
    assert status(client, sid_of_last_send(twilio), "delivered").status_code == 204
    assert stored_status(app) == "delivered"
    page = client.get("/code").data.decode()
    assert "Delivered." in page and 'data-final="true"' in page
    assert client.get("/code/status").json == {
        "status": "delivered", "words": "Delivered.", "final": True, "failed": False,
        "other": "voice", "offer": "Call me instead"}


def test_a_late_status_does_not_undo_a_later_one(app, client, auth, twilio):
    auth.login()
    sid = sid_of_last_send(twilio)
    for state in ("delivered", "sent", "queued"):
        status(client, sid, state)
    assert stored_status(app) == "delivered"


def test_undelivered_sms_offers_a_call(app, client, auth, twilio, clock):
    auth.login()
    status(client, sid_of_last_send(twilio), "undelivered")
    page = client.get("/code").data.decode()
    assert "The text message could not be delivered — call me instead?" in page
    assert 'id="delivery-fallback" method="post"' in page and "hidden" not in page.split(
        'id="delivery-fallback"')[1].split(">")[0]
    assert client.get("/code/status").json["failed"] is True
    clock.tick(timedelta(seconds=31))
    client.post("/code/resend", data={"channel": "voice"})  # the button on the page
    assert twilio.requests[-1]["path"].endswith("/Calls.json")


@pytest.mark.parametrize("state, words, failed", [
    ("ringing", "Your phone is ringing…", False),
    ("in-progress", "Call answered.", False),
    ("no-answer", "The call was not answered — text me instead?", True),
    ("busy", "Your line was busy — text me instead?", True),
    ("failed", "The call could not be placed — text me instead?", True),
    ("completed", "The call ended before a key was pressed, so the code was not read — "
                  "text me instead?", True),
])
def test_call_status_in_words(client, auth, twilio, state, words, failed):
    auth.login(username="bob")
    status(client, sid_of_last_send(twilio), state)
    assert words in client.get("/code").data.decode()
    shown = client.get("/code/status").json
    assert (shown["words"], shown["failed"], shown["offer"]) == (words, failed, "Text me instead")


@pytest.mark.parametrize("tamper", ["no header", "wrong token", "internal url", "changed params"])
def test_unsigned_status_is_refused_before_any_lookup(app, client, auth, twilio, tamper):
    auth.login()
    sid = sid_of_last_send(twilio)
    queries = code_table_queries(app)
    if tamper == "no header":
        response = client.post("/twilio/status", data={"MessageSid": sid,
                                                       "MessageStatus": "delivered"})
    elif tamper == "wrong token":
        response = status(client, sid, "delivered", token="not-the-auth-token")
    elif tamper == "internal url":  # what the app sees behind a proxy, not what Twilio signed
        response = status(client, sid, "delivered", signed_url="http://localhost/twilio/status")
    else:  # signed for "queued", sent as "delivered"
        signed = signature(f"{PUBLIC_URL}/twilio/status", {"MessageSid": sid,
                                                            "MessageStatus": "queued"})
        response = client.post("/twilio/status", headers={"X-Twilio-Signature": signed},
                               data=twilio_params({"MessageSid": sid,
                                                   "MessageStatus": "delivered"}))
    assert response.status_code == 403
    assert b"delivered" not in response.data
    assert queries == []
    assert stored_status(app) is None
    status(client, sid, "delivered")  # the same request, signed: now the code is looked up
    assert queries and stored_status(app) == "delivered"


def test_status_for_an_unknown_sid_changes_nothing(app, client, auth, twilio):
    auth.login()
    assert status(client, "SM" + "f" * 32, "undelivered").status_code == 204
    assert stored_status(app) is None


def test_signature_holds_behind_a_proxy(app_config, twilio):
    """Production behind TLS-terminating proxy: TRUSTED_PROXIES=1 and Twilio's signature."""
    app = create_app({**app_config, "TESTING": False, "TRUSTED_PROXIES": 1})
    add_user(app, "alice", "+12015550123")
    client = app.test_client()
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "2fa.example.com"}
    client.post("/login", data={"username": "alice", "password": PASSWORD},
                headers=proxy, base_url="http://10.0.0.5:8000")
    sid = twilio.requests[-1]["reply"]["sid"]
    behind = status(client, sid, "delivered", headers=proxy, base_url="http://10.0.0.5:8000")
    assert behind.status_code == 204
    assert stored_status(app) == "delivered"
    # Without the proxy's word that it was https, production sends Twilio to https first.
    plain = status(client, sid, "read", headers={"X-Forwarded-Host": "2fa.example.com"},
                   base_url="http://10.0.0.5:8000")
    assert plain.status_code == 301
    assert plain.location == PUBLIC_URL + "/twilio/status"
    # And a request naming another host is refused outright.
    assert status(client, sid, "read", base_url="http://10.0.0.5:8000").status_code == 400


def test_status_json_is_only_for_this_pending_sign_in(app, client, auth, twilio):
    auth.login()
    body = client.get("/code/status").get_data(as_text=True)
    assert sid_of_last_send(twilio) not in body and "2015550123" not in body
    assert auth.last_code() not in body
    assert app.test_client().get("/code/status").status_code == 404
    auth.verify()
    assert client.get("/code/status").status_code == 404  # signed in: the pending step is over


def test_webhooks_are_csrf_exempt_and_nothing_else_is(app_config, twilio):
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    assert client.post("/login", data={"username": "alice"}).status_code == 400
    assert status(client, "SM" + "f" * 32, "delivered").status_code == 204
    assert as_twilio(client, f"{PUBLIC_URL}/twilio/voice/x", {}).status_code == 200
    assert client.get("/twilio/status").status_code == 405


def test_without_public_url_nothing_changes(app, client, auth, twilio):
    app.config["PUBLIC_URL"] = None
    auth.login()
    assert "StatusCallback" not in twilio.requests[-1]["form"]
    assert 'id="delivery"' not in client.get("/code").data.decode()
    assert client.get("/code/status").status_code == 404
    assert status(client, sid_of_last_send(twilio), "delivered").status_code == 403
