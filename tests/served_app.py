"""A test-only WSGI entry for gunicorn: the app with settings from the environment.

tests/test_concurrency.py and tests/test_instances.py start ``gunicorn served_app:app`` with
SERVED_DATABASE_URL and SERVED_TWILIO_URL (the fake Twilio server living in the test process)
set, and optionally SERVED_CONFIG: JSON settings, with limits as [count, seconds].
"""
import json
import os
from datetime import timedelta

from conftest import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER
from fake_twilio import LocalHttpClient

from app import create_app


def limits_from_json(settings: dict) -> dict:
    """``{"SEND_LIMIT_PREFIX": [10, 3600]}`` becomes ``(10, timedelta(hours=1))``, and a
    ``SEND_LIMITS_…`` list of such pairs a list of such tuples."""
    def pair(value):
        return value[0], timedelta(seconds=value[1])
    return {key: [pair(v) for v in value] if key.startswith("SEND_LIMITS_")
            else pair(value) if key.startswith(("SEND_LIMIT_", "SIGNUP_LIMIT_")) else value
            for key, value in settings.items()}


app = create_app({
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "SECRET_KEY": os.environ["SERVED_SECRET_KEY"],
    "SQLALCHEMY_DATABASE_URI": os.environ["SERVED_DATABASE_URL"],
    "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "TWILIO_FROM_NUMBER": FROM_NUMBER,
    "TWILIO_HTTP_CLIENT": LocalHttpClient(os.environ["SERVED_TWILIO_URL"], timeout=5),
    **limits_from_json(json.loads(os.environ.get("SERVED_CONFIG", "{}"))),
})
