"""What the benchmark changes in the app's settings, in one place so load.py can print it."""
from datetime import timedelta

# Credentials the fake Twilio checks; nothing here reaches api.twilio.com.
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
FROM_NUMBER = "+12015550100"
MANY = 10**9

# Raised so every measured request stays on one path for the whole run: a wrong code stays
# "not right" (never "used up", "paused" or "wait"), and no send is refused. The windows keep
# their production lengths, so the limit queries read the same time ranges as in production.
RAISED_LIMITS = {
    "CODE_MAX_ATTEMPTS": MANY,
    "GUESS_BUDGET": MANY,
    "GUESS_DELAY_AFTER": MANY,
    "CODE_LIFETIME": timedelta(minutes=10),  # the longest the app accepts
    "PENDING_LIFETIME": timedelta(hours=1),
    "SEND_COOLDOWN": timedelta(0),
    "SEND_LIMITS_ACCOUNT": [(MANY, timedelta(hours=1)), (MANY, timedelta(hours=24))],
    "SEND_LIMIT_CONFIRMED_GLOBAL": (MANY, timedelta(hours=24)),
    "SEND_LIMITS_NETWORK": [(MANY, timedelta(hours=1)), (MANY, timedelta(hours=24))],
    "SEND_LIMITS_NUMBER": [(MANY, timedelta(hours=1)), (MANY, timedelta(hours=24))],
    "SEND_LIMIT_PREFIX": (MANY, timedelta(hours=1)),
    "SEND_LIMIT_COUNTRY": (MANY, timedelta(hours=1)),
    "SEND_LIMIT_GLOBAL": (MANY, timedelta(hours=24)),
    "SIGNUP_LIMIT_NETWORK": (MANY, timedelta(hours=1)),
    "PASSWORD_DELAY_AFTER": MANY,
    "PASSWORD_DELAY_AFTER_NETWORK": MANY,
}


def production_config(database_url: str, secret_key: str, twilio_http_client) -> dict:
    """The app's settings for the run: production mode (neither debug nor testing)."""
    return {
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_MESSAGING_SERVICE_SID": None,
        "TWILIO_HTTP_CLIENT": twilio_http_client,
        # Production requires it and answers only its host; the load generator connects to
        # 127.0.0.1. Status callbacks name it, but the fake Twilio never calls back.
        "PUBLIC_URL": "https://127.0.0.1",
        # The load generator plays the TLS proxy: it sends X-Forwarded-Proto: https (and a
        # client address), so production mode serves the request instead of redirecting it.
        "TRUSTED_PROXIES": 1,
        **RAISED_LIMITS,
    }


def describe_limits() -> list[str]:
    """One line per raised setting, for the report."""
    return [f"{name} = {_words(value)}" for name, value in RAISED_LIMITS.items()]


def _words(value) -> str:
    """A setting's value as the report prints it."""
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g} s"
    if isinstance(value, tuple):
        return f"{_words(value[0])} per {_words(value[1])}"
    if isinstance(value, list):
        return "; ".join(_words(item) for item in value)
    return "unlimited" if value == MANY else str(value)
