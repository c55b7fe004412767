"""The API on a real server: a scripted phone app with the development outbox, and
Schemathesis sending what the description allows (and what it does not) without a 500."""
import re
from datetime import timedelta

import pytest
import requests
import schemathesis
from conftest import PASSWORD
from hypothesis import HealthCheck, given, settings
from live_server import serving
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from twofactor.api.openapi import DESCRIPTION
from twofactor.extensions import db
from twofactor.models import OutboxMessage, User

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def live(databases):
    """The app as ``flask run --debug`` serves it with no Twilio account (the console sender)."""
    app = create_app({"DEBUG": True, "SECRET_KEY": "live-api-secret-key-0123456789abcdef",
                      "SQLALCHEMY_DATABASE_URI": databases.fresh(),
                      "TWILIO_ACCOUNT_SID": None, "TWILIO_AUTH_TOKEN": None,
                      "SEND_COOLDOWN": timedelta(seconds=0)})
    with app.app_context():
        user = User(username="carol", phone="+12015550142", phone_confirmed=True)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    with serving(app) as port:
        app.base_url = f"http://127.0.0.1:{port}"
        yield app


def outbox_code(app) -> str:
    """The code in the newest text the console sender "sent"."""
    with app.app_context():
        text = db.session.scalar(db.select(OutboxMessage.text).order_by(OutboxMessage.id.desc()))
    return re.match(r"(\d{6}) ", text).group(1)


def test_a_scripted_phone_app_signs_in_with_the_outbox_and_signs_out(live):
    api = f"{live.base_url}/api/v1"
    with requests.Session() as phone:
        step = phone.post(f"{api}/session", json={"username": "carol", "password": PASSWORD},
                          timeout=10).json()
        sent = phone.post(f"{api}/mfa/send", json={"mfa_token": step["mfa_token"],
                                                   "channel": "sms"}, timeout=10)
        assert sent.status_code == 202
        signed_in = phone.post(f"{api}/mfa/verify", json={
            "mfa_token": step["mfa_token"], "method": "sms", "code": outbox_code(live),
            "session": "bearer"}, timeout=10)
        assert signed_in.status_code == 200 and not phone.cookies  # a token, no cookie
        bearer = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        assert phone.get(f"{api}/me", headers=bearer, timeout=10).json()["username"] == "carol"
        assert phone.delete(f"{api}/session", headers=bearer, timeout=10).status_code == 204
        refused = phone.get(f"{api}/me", headers=bearer, timeout=10)
        assert refused.status_code == 401
        assert refused.headers["Content-Type"] == "application/problem+json"


# Every operation with valid input; those with a body also with bodies the description refuses.
RUNS = [(f"{method.upper()} {path}", mode) for path, item in DESCRIPTION["paths"].items()
        for method, operation in item.items() for mode in GenerationMode
        if mode is GenerationMode.POSITIVE or "requestBody" in operation]


@pytest.fixture(scope="module")
def contract(live):
    schema = schemathesis.openapi.from_dict(DESCRIPTION)
    return {(op := result.ok()).label: op for result in schema.get_all_operations()}


@pytest.mark.parametrize("label, mode", RUNS)
def test_schemathesis_finds_no_server_error_and_nothing_outside_the_description(live, contract,
                                                                                 label, mode):
    """No 500, and every answer (status, media type, headers, body) is one it describes."""

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=contract[label].as_strategy(generation_mode=mode))
    def call(case):
        case.call_and_validate(base_url=live.base_url, checks=CHECKS)

    call()
