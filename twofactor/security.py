"""Settings a real deployment must have, and the headers every response carries."""
import math
import re
from collections import Counter
from urllib.parse import urlsplit

import click
from flask import Flask, abort, redirect, request
from flask.cli import FlaskGroup

from config import DEV_SECRET_KEY

from .providers.sms import APP_NAME_MAX, one_segment
from .providers.verify import PROVIDERS

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def is_production(app: Flask) -> bool:
    """Neither ``--debug`` nor tests: real people and real phones."""
    return not (app.debug or app.testing)


class ConfigError(click.ClickException, RuntimeError):
    """A setting is missing or unsafe; the ``flask`` command prints it as one line."""


def serves_requests() -> bool:
    """False while the ``flask`` command runs anything but ``run``, such as ``init-db``."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or not isinstance(ctx.find_root().command, FlaskGroup):
        return True  # gunicorn, uWSGI or any other caller of create_app() is serving
    return ctx.command.name == "run"


def looks_random(key: str) -> bool:
    """Whether ``key`` could be a random secret: 32+ characters, 12+ different ones, and 128+
    bits by its own letter frequencies (refuses "a" * 32, a word, a repeated phrase)."""
    counts = Counter(key)
    bits = -sum(n * math.log2(n / len(key)) for n in counts.values()) if key else 0
    return len(key) >= 32 and len(counts) >= 12 and bits >= 128


def public_host(app: Flask) -> str | None:
    """The host name of PUBLIC_URL, the only one production answers to."""
    return urlsplit(app.config["PUBLIC_URL"]).hostname if app.config["PUBLIC_URL"] else None


def check_config(app: Flask) -> None:
    """Refuse to start with settings that only make sense on a developer's machine."""
    cfg = app.config
    minutes = cfg["CODE_LIFETIME"].total_seconds() / 60
    if not 0 < minutes <= 10:
        raise ConfigError("CODE_LIFETIME must be at most 10 minutes (NIST SP 800-63B).")
    name = cfg["APP_NAME"]
    if not (0 < len(name) <= APP_NAME_MAX and name.isprintable() and one_segment(name)):
        raise ConfigError(f"APP_NAME must be 1 to {APP_NAME_MAX} plain letters, digits or "
                          "punctuation, so the text message stays one segment.")
    if cfg["CODE_PROVIDER"] not in PROVIDERS:
        raise ConfigError(f"CODE_PROVIDER must be one of {', '.join(PROVIDERS)}.")
    # Administrative commands read and write the database only: they need no key or Twilio.
    if not is_production(app) or not serves_requests():
        return
    check_code_provider(cfg)
    if cfg["SECRET_KEY"] in (None, "", DEV_SECRET_KEY) or not looks_random(cfg["SECRET_KEY"]):
        raise ConfigError("Set SECRET_KEY to a random value of at least 32 characters, e.g. "
                          "python -c 'import secrets; print(secrets.token_hex(32))'.")
    texting = cfg["TWILIO_ACCOUNT_SID"] and cfg["TWILIO_AUTH_TOKEN"] and (
        cfg["TWILIO_FROM_NUMBER"] or cfg["TWILIO_MESSAGING_SERVICE_SID"])
    if cfg["CODE_PROVIDER"] == "local":  # our codes go out by Twilio Messaging and Voice
        if not (cfg["TWILIO_ACCOUNT_SID"] and cfg["TWILIO_AUTH_TOKEN"]):
            raise ConfigError("Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: the console "
                              "sender only prints codes and is for development.")
        if not texting:
            raise ConfigError("Set TWILIO_FROM_NUMBER (or TWILIO_MESSAGING_SERVICE_SID).")
    elif not texting:
        # A Verify provider sends only codes; security notices are plain texts.
        app.logger.warning("Security notices will not be sent: they need TWILIO_ACCOUNT_SID, "
                           "TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER (README \"Code providers\").")
    if not (cfg["PUBLIC_URL"] or "").startswith("https://"):
        # Every absolute address comes from it, never from a Host header a client chose; and
        # Twilio signs the URL it calls, so over plain HTTP callbacks could be read or changed.
        raise ConfigError("Set PUBLIC_URL to the site's https:// address "
                          "(e.g. https://2fa.example.com).")
    # Cookies only over HTTPS, bound to this exact host (__Host- prefix).
    cfg.update(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_NAME="__Host-session",
               SESSION_COOKIE_PATH="/", SESSION_COOKIE_DOMAIN=None)


def check_code_provider(cfg) -> None:
    """Refuse a Verify provider named without the settings it needs to send a code."""
    provider = cfg["CODE_PROVIDER"]
    if provider == "twilio-verify" and not (cfg["TWILIO_ACCOUNT_SID"] and cfg["TWILIO_AUTH_TOKEN"]):
        raise ConfigError("Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN "
                          "for CODE_PROVIDER=twilio-verify.")
    if provider == "twilio-verify" and not re.fullmatch(r"VA[0-9a-fA-F]{32}",
                                                         cfg["TWILIO_VERIFY_SERVICE_SID"] or ""):
        raise ConfigError("Set TWILIO_VERIFY_SERVICE_SID to your Verify service's SID "
                          "(VA followed by 32 hex digits) for CODE_PROVIDER=twilio-verify.")
    if provider == "telnyx-verify" and not (cfg["TELNYX_API_KEY"]
                                            and cfg["TELNYX_VERIFY_PROFILE_ID"]):
        raise ConfigError("Set TELNYX_API_KEY and TELNYX_VERIFY_PROFILE_ID "
                          "for CODE_PROVIDER=telnyx-verify.")


def init_app(app: Flask) -> None:
    """Add the HTTPS redirect (production) and the security headers to every response."""
    production = is_production(app)

    @app.before_request
    def require_https_on_our_host():
        """Refuse other Host headers; send plain-HTTP visitors to the HTTPS address."""
        # Load balancers probe /healthz over plain HTTP, by an internal address.
        if not production or request.endpoint == "health.healthz":
            return None
        if request.host.split(":")[0] != public_host(app):
            abort(400)  # a Host an attacker chose must never shape a link or a text
        if not request.is_secure:
            return redirect(app.config["PUBLIC_URL"].rstrip("/") + request.full_path.rstrip("?"),
                            code=301)
        return None

    @app.after_request
    def security_headers(response):
        """Headers on every response, errors included."""
        headers = response.headers
        headers["Content-Security-Policy"] = CSP
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        if production:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint != "static":
            headers["Cache-Control"] = "no-store"
        return response
