"""The JSON API: the pages' sign-in for apps, every answer checked against its description."""
import re
from datetime import timedelta

import pyotp
import pytest
from api_contract import ApiClient
from conftest import PASSWORD, AuthActions, code_in, counted
from openapi_spec_validator import validate

from app import create_app
from twofactor.api.openapi import DESCRIPTION
from twofactor.extensions import db
from twofactor.models import AuditEvent, LoginSession, token_hash


@pytest.fixture
def api(client):
    return ApiClient(client)


def sign_in_password(api, username="alice", password=PASSWORD):
    return api.post("/session", {"username": username, "password": password})


def events(app, username="alice") -> list[str]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent.event)
                                       .where(AuditEvent.username == username)
                                       .order_by(AuditEvent.id)))


def test_the_description_is_valid_openapi_3_1_and_served(api):
    validate(DESCRIPTION)
    served = api.get("/openapi.json")
    assert served.status_code == 200 and served.get_json() == DESCRIPTION


def test_a_phone_app_signs_in_with_a_bearer_token_and_signs_out(app, api, twilio):
    started = sign_in_password(api)
    assert started.status_code == 200
    step = started.get_json()
    assert step["status"] == "mfa_required" and step["methods"] == ["sms", "voice"]
    assert twilio.requests == []  # the password alone sends nothing
    with app.app_context():  # the token is the pending step's, kept only hashed
        assert db.session.execute(db.text("SELECT count(*) FROM pending_login WHERE id = :h"),
                                  {"h": token_hash(step["mfa_token"])}).scalar() == 1

    sent = api.post("/mfa/send", {"mfa_token": step["mfa_token"], "channel": "sms"})
    assert sent.status_code == 202
    assert sent.get_json()["to"].endswith("23") and "555" not in sent.get_json()["to"]
    assert [r["form"]["To"] for r in twilio.requests] == ["+12015550123"]

    signed_in = api.post("/mfa/verify", {"mfa_token": step["mfa_token"], "method": "sms",
                                         "code": code_in(twilio.requests[-1]),
                                         "session": "bearer"})
    assert signed_in.status_code == 200
    token = signed_in.get_json()["access_token"]
    assert len(token) >= 43 and "set-cookie" not in signed_in.headers
    with app.app_context():
        row = db.session.get(LoginSession, token_hash(token))
        assert row.kind == "bearer" and db.session.get(LoginSession, token) is None

    bearer = {"Authorization": f"Bearer {token}"}
    me = api.get("/me", headers=bearer)
    assert me.status_code == 200 and me.get_json()["username"] == "alice"
    assert me.get_json()["session"] == "bearer"
    assert api.delete("/session", headers=bearer).status_code == 204
    assert api.get("/me", headers=bearer).status_code == 401
    assert api.delete("/session", headers=bearer).status_code == 401
    assert events(app)[-4:] == ["password_ok", "code_sent", "code_accepted", "logout"]


def test_the_mfa_token_works_once_and_only_for_its_step(app, api, twilio):
    step = sign_in_password(api).get_json()
    api.post("/mfa/send", {"mfa_token": step["mfa_token"], "channel": "voice"})
    code = code_in(twilio.requests[-1])
    verify = {"mfa_token": step["mfa_token"], "method": "voice", "code": code,
              "session": "bearer"}
    assert api.post("/mfa/verify", verify).status_code == 200
    again = api.post("/mfa/verify", verify)
    assert again.status_code == 401 and again.get_json()["type"].endswith("invalid-mfa-token")
    other = sign_in_password(api).get_json()  # a new step: the old code is not its code
    refused = api.post("/mfa/verify", {**verify, "mfa_token": other["mfa_token"]})
    assert refused.status_code == 401 and refused.get_json()["type"].endswith("code-refused")
    forged = api.post("/mfa/send", {"mfa_token": "x" * 43, "channel": "sms"})
    assert forged.status_code == 401


def test_unknown_user_and_wrong_password_answer_identically(app, api, twilio):
    unknown, wrong = sign_in_password(api, "nobody"), sign_in_password(api, "alice", "nope")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.get_json() == wrong.get_json()
    assert unknown.headers["Content-Type"] == "application/problem+json"
    assert twilio.requests == []
    assert counted(app, "password:account:") == 2


def test_password_delays_answer_429_with_retry_after(app, api, clock):
    for _ in range(app.config["PASSWORD_DELAY_AFTER"]):
        assert sign_in_password(api, password="wrong").status_code == 401
    waiting = sign_in_password(api)  # even the right password waits
    assert waiting.status_code == 429
    assert waiting.get_json()["retry_after"] == int(waiting.headers["Retry-After"]) == 5
    clock.tick(6)
    assert sign_in_password(api).status_code == 200


def test_wrong_codes_count_against_the_account_and_a_resend_waits(app, api, twilio):
    step = sign_in_password(api).get_json()
    assert api.post("/mfa/send", {"mfa_token": step["mfa_token"], "channel": "sms"}).status_code == 202
    right = code_in(twilio.requests[-1])
    wrong = "000000" if right != "000000" else "111111"
    answer = api.post("/mfa/verify", {"mfa_token": step["mfa_token"], "method": "sms",
                                      "code": wrong, "session": "bearer"})
    assert answer.status_code == 401 and "2 more times" in answer.get_json()["detail"]
    assert counted(app, "guess:") == 1
    not_a_code = api.post("/mfa/verify", {"mfa_token": step["mfa_token"], "method": "sms",
                                          "code": "12345x", "session": "bearer"})
    assert not_a_code.status_code == 422 and counted(app, "guess:") == 1  # not a guess
    resend = api.post("/mfa/send", {"mfa_token": step["mfa_token"], "channel": "sms"})
    assert resend.status_code == 429 and resend.headers["Retry-After"] == "30"
    assert len(twilio.requests) == 1


def test_a_factor_the_account_lacks_is_refused(api):
    step = sign_in_password(api).get_json()
    for method in ("app", "backup"):
        answer = api.post("/mfa/verify", {"mfa_token": step["mfa_token"], "method": method,
                                          "code": "123456", "session": "bearer"})
        assert answer.status_code == 409


def test_a_cookie_session_signs_out_only_with_its_csrf_token(app_config, twilio):
    app_config["WTF_CSRF_ENABLED"] = True  # as in production; the API checks its own anyway
    app = create_app(app_config)
    from conftest import add_user
    add_user(app, "alice", "+12015550123")
    api = ApiClient(app.test_client())
    step = sign_in_password(api).get_json()
    api.post("/mfa/send", {"mfa_token": step["mfa_token"], "channel": "sms"})
    signed_in = api.post("/mfa/verify", {"mfa_token": step["mfa_token"], "method": "sms",
                                         "code": code_in(twilio.requests[-1]),
                                         "session": "cookie"})
    assert signed_in.status_code == 200 and "access_token" not in signed_in.get_json()
    csrf = signed_in.get_json()["csrf_token"]
    assert api.get("/me").get_json()["session"] == "cookie"
    assert api.delete("/session").status_code == 403
    assert api.delete("/session", headers={"X-CSRFToken": "forged"}).status_code == 403
    assert api.delete("/session", headers={"X-CSRFToken": csrf}).status_code == 204
    assert api.get("/me").status_code == 401
    assert api.client.get("/").status_code == 200  # the pages see a visitor again


@pytest.mark.parametrize("kwargs, status", [
    ({"data": "username=alice"}, 415),
    ({"data": "{", "content_type": "application/json"}, 400),
    ({"data": "[" * 60_000, "content_type": "application/json"}, 400),
    ({"data": '"alice"', "content_type": "application/json"}, 400),
    ({"json": {"username": "alice"}}, 422),
    ({"json": {"username": "alice", "password": 7}}, 422),
    ({"json": {"username": "alice", "password": PASSWORD, "admin": True}}, 422),
    ({"json": {"username": "al\x00ice", "password": PASSWORD}}, 422),
    ({"json": {"username": "alice", "password": "\ud800"}}, 422),
    ({"json": {"username": "alice", "password": "x" * 70_000}}, 413),
])
def test_bad_bodies_get_problem_documents(api, kwargs, status):
    answer = api.client.post("/api/v1/session", **kwargs)
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert set(answer.get_json()) == {"type", "title", "status", "detail"}


def test_unknown_addresses_and_methods_under_api_are_problems(client):
    missing, wrong_method = client.get("/api/v1/nothing"), client.put("/api/v1/me")
    assert (missing.status_code, wrong_method.status_code) == (404, 405)
    assert missing.headers["Content-Type"] == "application/problem+json"
    assert wrong_method.headers["Allow"] and wrong_method.get_json()["status"] == 405
    assert client.get("/nothing").headers["Content-Type"].startswith("text/html")  # pages


def test_cross_origin_access_is_off_unless_listed(app_config):
    origin = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
              "Access-Control-Request-Headers": "content-type"}
    closed = create_app(app_config).test_client()
    answer = closed.options("/api/v1/session", headers=origin)
    assert "Access-Control-Allow-Origin" not in answer.headers
    app_config["API_CORS_ORIGINS"] = "https://other.example, https://app.example.com"
    opened = create_app(app_config).test_client()
    preflight = opened.options("/api/v1/session", headers=origin)
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "X-CSRFToken" in preflight.headers["Access-Control-Allow-Headers"]
    problem = opened.get("/api/v1/me", headers={"Origin": "https://app.example.com"})
    assert problem.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Origin" in problem.headers["Vary"]
    stranger = opened.options("/api/v1/session", headers={**origin, "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_an_app_code_and_a_backup_code_sign_in_through_the_api(app, api, twilio, clock):
    browser = app.test_client()  # the person set both up on the security page
    pages = AuthActions(browser, twilio)
    pages.login()
    pages.verify()
    key = re.search(r'<code class="key">([A-Z2-7 ]+)</code>',
                    browser.post("/security/app/new").text).group(1).replace(" ", "")
    totp = pyotp.TOTP(key)
    browser.post("/security/app", data={"code": totp.now()})
    backup = re.findall(r"[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}",
                        browser.post("/security/backup-codes").text)
    clock.tick(timedelta(seconds=30))  # the set-up used this step's code
    sent_before = len(twilio.requests)

    step = sign_in_password(api).get_json()
    assert step["methods"][0] == "app" and "backup" in step["methods"]
    by_app = api.post("/mfa/verify", {"mfa_token": step["mfa_token"], "method": "app",
                                      "code": totp.now(), "session": "bearer"})
    assert by_app.status_code == 200 and len(twilio.requests) == sent_before  # nothing sent

    step = sign_in_password(api).get_json()
    by_backup = api.post("/mfa/verify", {"mfa_token": step["mfa_token"], "method": "backup",
                                         "code": backup[0].lower(), "session": "bearer"})
    assert by_backup.status_code == 200
    assert "A backup code was used" in twilio.sent("Messages")[-1]["Body"]
    step = sign_in_password(api).get_json()
    reused = api.post("/mfa/verify", {"mfa_token": step["mfa_token"], "method": "backup",
                                      "code": backup[0], "session": "bearer"})
    assert reused.status_code == 401
