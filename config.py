"""Default settings; environment variables, instance/config.py and tests override them."""
import os
from datetime import timedelta

# The shipped key only works in debug and tests; create_app refuses it in production.
DEV_SECRET_KEY = "dev-only-not-secret-change-me"


def _env_int(name: str, default: int) -> int:
    """Read an integer setting from the environment."""
    return int(os.environ.get(name, default))


class Config:
    """Settings read once by ``create_app``; see README "Configure"."""

    # The site's name, in the page header and in every text and call (30 GSM-7 characters).
    APP_NAME = os.environ.get("APP_NAME", "Two-factor demo")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # None: SQLite in instance/

    # Twilio: with no credentials the console sender prints what would be sent.
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN")
    TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER")
    TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID")
    TWILIO_TIMEOUT = float(os.environ.get("TWILIO_TIMEOUT", 10))
    TWILIO_HTTP_CLIENT = None  # a twilio.http.HttpClient; tests and custom transports set it
    TWILIO_VOICE_LANGUAGE = os.environ.get("TWILIO_VOICE_LANGUAGE", "en-US")
    TWILIO_VOICE = os.environ.get("TWILIO_VOICE", "alice")
    # Who makes and checks codes: "local" (ours, sent by the Twilio settings above),
    # "twilio-verify" or "telnyx-verify" (README "Code providers").
    CODE_PROVIDER = os.environ.get("CODE_PROVIDER", "local")
    TWILIO_VERIFY_SERVICE_SID = os.environ.get("TWILIO_VERIFY_SERVICE_SID")  # VA…
    TELNYX_API_KEY = os.environ.get("TELNYX_API_KEY")
    TELNYX_VERIFY_PROFILE_ID = os.environ.get("TELNYX_VERIFY_PROFILE_ID")
    TELNYX_TIMEOUT = float(os.environ.get("TELNYX_TIMEOUT", 10))
    TELNYX_BASE_URL = None  # None: Telnyx's own API; tests point it at a local fake
    # The site's public https base, e.g. https://2fa.example.com; enables status
    # callbacks and the voicemail-proof call (README "Configure").
    PUBLIC_URL = os.environ.get("PUBLIC_URL")
    # Host named in the SMS autofill line "@host #code"; defaults to PUBLIC_URL's host.
    SMS_ORIGIN_HOST = os.environ.get("SMS_ORIGIN_HOST")
    # Number of reverse proxies in front of the app whose X-Forwarded-* we trust.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)

    # Phone numbers
    PHONE_DEFAULT_REGION = os.environ.get("PHONE_DEFAULT_REGION", "US")
    # ISO country codes we send to (Twilio toll-fraud guidance: serve only where you must).
    PHONE_COUNTRIES = os.environ.get(
        "PHONE_COUNTRIES", "US,CA,GB,IE,FR,DE,NL,BE,ES,IT,PT,AT,CH,SE,NO,DK,FI,AU,NZ"
    ).split(",")

    # One-time codes (policy in README "Abuse policy")
    CODE_LIFETIME = timedelta(minutes=5)  # refused above 10 minutes
    CODE_MAX_ATTEMPTS = 3  # wrong entries that kill one code
    PENDING_LIFETIME = timedelta(minutes=10)  # password-to-code step
    STEP_UP_WINDOW = timedelta(minutes=10)  # security-page changes need a factor this recent
    GUESS_BUDGET = 9  # wrong codes per account per rolling 24 h
    GUESS_WINDOW = timedelta(hours=24)
    # After this many wrong codes in a row, wait GUESS_DELAY, doubling up to GUESS_DELAY_MAX.
    GUESS_DELAY_AFTER = 5
    GUESS_DELAY = timedelta(minutes=1)
    GUESS_DELAY_MAX = timedelta(hours=1)

    # Sends: (how many, per how long); SMS and calls count alike (README "Abuse policy").
    # Every account, whatever its number: a new code at most every 30 s (unless the last one
    # was used), 5 an hour, 10 a day.
    SEND_COOLDOWN = timedelta(seconds=30)
    SEND_LIMITS_ACCOUNT = [(5, timedelta(hours=1)), (10, timedelta(hours=24))]
    # Confirmed numbers (sign-in: the password was right): a site-wide safety cap only.
    SEND_LIMIT_CONFIRMED_GLOBAL = (_env_int("SEND_LIMIT_CONFIRMED_GLOBAL", 20000),
                                   timedelta(hours=24))
    # Unconfirmed numbers (sign-up: no password needed) are the pumping and flooding vector.
    SEND_LIMITS_NETWORK = [(5, timedelta(hours=1)), (20, timedelta(hours=24))]
    SEND_LIMITS_NUMBER = [(3, timedelta(hours=1)), (5, timedelta(hours=24))]
    SEND_LIMIT_PREFIX = (10, timedelta(hours=1))
    SEND_LIMIT_COUNTRY = (200, timedelta(hours=1))
    SEND_LIMIT_GLOBAL = (_env_int("SEND_LIMIT_GLOBAL", 1000), timedelta(hours=24))

    # Sign-up: accounts made and "name taken" answers per client network.
    SIGNUP_LIMIT_NETWORK = (5, timedelta(hours=1))
    RECOVERY_LIMIT_NETWORK = (10, timedelta(hours=1))  # password resets started
    # Failed passwords: after 5 for one username (or 20 from one network) within an hour, each
    # further try waits 5 s, doubling up to 15 minutes: at most about 16 per hour per account.
    PASSWORD_WINDOW = timedelta(hours=1)
    PASSWORD_DELAY_AFTER = 5
    PASSWORD_DELAY_AFTER_NETWORK = 20
    PASSWORD_DELAY = timedelta(seconds=5)
    PASSWORD_DELAY_MAX = timedelta(minutes=15)

    # New passwords: with the check on, refuse those Have I Been Pwned knows; it sees only the
    # first 5 hex digits of the password's SHA-1, and a slow or failed answer never blocks.
    PWNED_PASSWORDS_CHECK = os.environ.get("PWNED_PASSWORDS_CHECK", "").lower() in ("1", "true",
                                                                                     "yes")
    PWNED_PASSWORDS_URL = os.environ.get("PWNED_PASSWORDS_URL",
                                         "https://api.pwnedpasswords.com/range/")
    PWNED_PASSWORDS_TIMEOUT = float(os.environ.get("PWNED_PASSWORDS_TIMEOUT", "2"))
    # "Don't ask again on this browser": how long the second step is skipped.
    REMEMBER_BROWSER_LIFETIME = timedelta(days=30)

    # Data kept (``flask --app app prune``)
    UNCONFIRMED_ACCOUNT_LIFETIME = timedelta(hours=24)  # then the username is free again
    AUDIT_RETENTION = timedelta(days=_env_int("AUDIT_RETENTION_DAYS", 365))

    # Origins (comma-separated, e.g. https://app.example.com) whose scripts may call /api/v1;
    # empty: no cross-origin access at all.
    API_CORS_ORIGINS = os.environ.get("API_CORS_ORIGINS", "")

    # Requests: a sign-in form is a few hundred bytes; refuse big bodies before reading them.
    MAX_CONTENT_LENGTH = 64 * 1024

    # Sessions
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)  # absolute limit
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
