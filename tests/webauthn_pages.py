"""Test-only pages that drive static/webauthn.js and twofactor/factors/webauthn.py in a browser,
until the security page and the sign-in step use them. Registered by the browser test only."""
import secrets

from flask import Blueprint, abort, render_template_string, request, session, url_for

from twofactor.extensions import db
from twofactor.factors import webauthn
from twofactor.models import User, token_hash

bp = Blueprint("webauthn_test", __name__, url_prefix="/webauthn-test")

HEAD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<link rel="icon" href="{{ url_for('static', filename='favicon.svg') }}" type="image/svg+xml">
<script src="{{ url_for('static', filename='webauthn.js') }}" defer></script></head>
<body><h1>{{ title }}</h1>
"""
OUTCOME = HEAD + "<p id=outcome>{{ outcome }}</p></body></html>"
PAGE = HEAD + """
<form method="post" data-webauthn="{{ ceremony }}"
      {% if options %}data-webauthn-options="{{ options }}"{% endif %}
      {% if options_url %}data-webauthn-options-url="{{ options_url }}"{% endif %}>
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  <input type="hidden" name="credential">
  {% if ceremony == "register" %}
    <label>Key name <input name="name" value="Test key"></label>
  {% endif %}
  <p data-webauthn-error role="alert" hidden></p>
  <button>{{ button }}</button>
</form></body></html>"""


def _user(name: str) -> User:
    """The account the page is about, named in the URL (these pages are for tests only)."""
    return db.session.scalar(db.select(User).where(User.username == name)) or abort(404)


def _bound_to() -> str:
    """This browser's id, as the real pages will pass a pending sign-in or session id."""
    return token_hash(session.setdefault("webauthn_test", secrets.token_urlsafe(32)))


def _outcome(action):
    """Run ``action``; a refusal becomes a 400 page with its message."""
    try:
        return render_template_string(OUTCOME, title="Done", outcome=action())
    except webauthn.KeyRefused as refused:
        return render_template_string(OUTCOME, title="Refused", outcome=f"Refused: {refused}"), 400


@bp.route("/<name>/register", methods=["GET", "POST"])
def register(name):
    """Add a security key; the options travel in the page."""
    user = _user(name)
    if request.method == "POST":
        return _outcome(lambda: "Registered " + webauthn.register(
            user, request.form["credential"], request.form["name"], _bound_to()).name)
    return render_template_string(PAGE, title="Add a security key", ceremony="register",
                                  options=webauthn.registration_options(user, _bound_to()),
                                  button="Add key")


@bp.route("/<name>/authenticate", methods=["GET", "POST"])
def authenticate(name):
    """Sign in with a security key; the options are fetched when the button is pressed."""
    user = _user(name)
    if request.method == "POST":
        return _outcome(lambda: "Signed in with " + webauthn.authenticate(
            user, request.form["credential"], "signin", _bound_to()).name)
    return render_template_string(
        PAGE, title="Use your security key", ceremony="authenticate",
        options_url=url_for(".options", name=name), button="Use security key")


@bp.post("/<name>/authenticate/options")
def options(name):
    """The sign-in options as JSON, for a fresh challenge each time."""
    body = webauthn.authentication_options(_user(name), "signin", _bound_to())
    return body, 200, {"Content-Type": "application/json"}
