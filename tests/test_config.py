"""The factory, its config layers and the production refusals."""
import logging

import pytest
from conftest import PASSWORD, PRODUCTION_KEY, PRODUCTION_URL, add_user

from app import create_app

LONG_KEY = PRODUCTION_KEY


def production(tmp_path, **config):
    """A config as a real deployment would have it: not debug, not testing."""
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite'}",
            "SECRET_KEY": LONG_KEY, "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
            "TWILIO_AUTH_TOKEN": "token", "TWILIO_FROM_NUMBER": "+12015550100",
            "PUBLIC_URL": PRODUCTION_URL, **config}


def test_production_starts_with_real_settings(tmp_path):
    assert not create_app(production(tmp_path)).testing


@pytest.mark.parametrize("change, setting", [
    ({"SECRET_KEY": "dev-only-not-secret-change-me"}, "SECRET_KEY"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"TWILIO_ACCOUNT_SID": None}, "TWILIO_ACCOUNT_SID"),
    ({"TWILIO_AUTH_TOKEN": ""}, "TWILIO_AUTH_TOKEN"),
    ({"TWILIO_FROM_NUMBER": None}, "TWILIO_FROM_NUMBER"),
    ({"PUBLIC_URL": "http://2fa.example.com"}, "PUBLIC_URL"),
])
def test_production_refuses_development_settings(tmp_path, change, setting):
    with pytest.raises(RuntimeError, match=setting):
        create_app(production(tmp_path, **change))


def test_code_lifetime_above_ten_minutes_is_refused(app_config):
    from datetime import timedelta
    with pytest.raises(RuntimeError, match="CODE_LIFETIME"):
        create_app({**app_config, "CODE_LIFETIME": timedelta(minutes=11)})


def test_console_sender_logs_what_would_be_sent(app_config, caplog):
    config = {**app_config, "TWILIO_ACCOUNT_SID": None, "TWILIO_AUTH_TOKEN": None}
    app = create_app(config)
    add_user(app, "dora", "+12015550155")
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        response = client.post("/login", data={"username": "dora", "password": PASSWORD})
    assert response.headers["Location"] == "/code"
    record = next(r for r in caplog.records if "NOT SENT" in r.getMessage())
    text = record.getMessage()
    assert "console sender" in text and "SMS to +•••••••••55" in text
    code = text.split("\n")[1][:6]
    assert client.post("/code", data={"code": code}).headers["Location"] == "/"


def test_csrf_is_enforced_when_enabled(app, twilio):
    app.config["WTF_CSRF_ENABLED"] = True  # read per request by CSRFProtect
    client = app.test_client()
    for path in ("/login", "/signup", "/code", "/code/resend", "/logout"):
        response = client.post(path, data={"username": "alice", "password": PASSWORD})
        assert response.status_code in (400, 303), path
    assert twilio.requests == []
    page = client.get("/login").data.decode()
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    ok = client.post("/login", data={"username": "alice", "password": PASSWORD,
                                     "csrf_token": token})
    assert ok.headers["Location"] == "/code"


TWILIO_VERIFY = {"CODE_PROVIDER": "twilio-verify", "TWILIO_VERIFY_SERVICE_SID": "VA" + "2" * 32}
TELNYX_VERIFY = {"CODE_PROVIDER": "telnyx-verify", "TELNYX_API_KEY": "KEY_live",
                 "TELNYX_VERIFY_PROFILE_ID": "4900017a-5d57-4ef7-a4f4-9a5d4e2b7f10"}


@pytest.mark.parametrize("provider", [TWILIO_VERIFY, TELNYX_VERIFY])
def test_production_starts_with_a_complete_code_provider(tmp_path, provider):
    assert create_app(production(tmp_path, **provider)).config["CODE_PROVIDER"] != "local"


@pytest.mark.parametrize("change, setting", [
    ({**TWILIO_VERIFY, "TWILIO_VERIFY_SERVICE_SID": None}, "TWILIO_VERIFY_SERVICE_SID"),
    ({**TWILIO_VERIFY, "TWILIO_VERIFY_SERVICE_SID": "MG" + "2" * 32}, "TWILIO_VERIFY_SERVICE_SID"),
    ({**TELNYX_VERIFY, "TELNYX_API_KEY": ""}, "TELNYX_API_KEY"),
    ({**TELNYX_VERIFY, "TELNYX_VERIFY_PROFILE_ID": None}, "TELNYX_VERIFY_PROFILE_ID"),
])
def test_production_refuses_an_incomplete_code_provider(tmp_path, change, setting):
    with pytest.raises(RuntimeError, match=setting) as refused:
        create_app(production(tmp_path, **change))
    assert "\n" not in str(refused.value)


def test_an_unknown_code_provider_is_refused_even_in_development(app_config):
    with pytest.raises(RuntimeError, match="CODE_PROVIDER must be one of local, twilio-verify, "
                                           "telnyx-verify"):
        create_app({**app_config, "CODE_PROVIDER": "twillio-verify"})


def test_a_verify_provider_needs_no_twilio_messaging_but_says_notices_will_not_go(tmp_path,
                                                                                 caplog):
    settings = production(tmp_path, **TELNYX_VERIFY, TWILIO_ACCOUNT_SID=None,
                          TWILIO_AUTH_TOKEN=None, TWILIO_FROM_NUMBER=None)
    with caplog.at_level(logging.WARNING):
        app = create_app(settings)
    assert any("Security notices will not be sent" in r.getMessage() for r in caplog.records)
    from twofactor.providers import phone
    with app.app_context():
        assert not phone.can_text()  # not the console sender: production has no outbox
    with app.app_context():
        app.config.update(TWILIO_ACCOUNT_SID="AC" + "1" * 32, TWILIO_AUTH_TOKEN="token",
                          TWILIO_FROM_NUMBER="+12015550100")
        assert phone.can_text()


@pytest.mark.parametrize("missing", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"])
def test_twilio_verify_still_needs_the_twilio_account(tmp_path, missing):
    with pytest.raises(RuntimeError, match=f"{missing}.*CODE_PROVIDER=twilio-verify"):
        create_app(production(tmp_path, **TWILIO_VERIFY, **{missing: None}))
