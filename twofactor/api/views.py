"""The JSON API's calls: password, send a code, verify it, who am I, sign out.

Each call is the sign-in page's step by the same functions (password.py, steps.py,
sending.py, checking.py, finish.py, sessions.py), so every limit, delay, budget and audit
event applies.
"""
from datetime import datetime, timedelta

from flask import Blueprint, current_app
from flask_wtf.csrf import generate_csrf

from .. import audit
from ..abuse import limits
from ..extensions import csrf, db
from ..factors import backup_codes, owned
from ..models import PendingLogin, User, utcnow
from ..numbers import mask_phone
from ..signin import checking, codes, finish, password, sending, sessions, steps
from . import caller, cors, openapi
from .payload import Field, invalid, read
from .problems import Problem, answer, limited

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # cookie sessions send X-CSRFToken, checked in caller.py; tokens need none
bp.register_error_handler(Problem, answer)
cors.init(bp)
bp.add_url_rule("/openapi.json", "openapi", openapi.serve)

TOKEN = Field(128)
PHONE = ("sms", "voice")


@bp.post("/session")
def create_session():
    """The password step: an mfa_token for the second step, or one answer for any wrong name
    or password."""
    body = read({"username": Field(64, plain=True), "password": Field(128)})
    try:
        user = password.check(body["username"], body["password"])
    except limits.Refused as refused:
        raise limited(refused) from None
    if user is None:
        raise Problem(401, "invalid-credentials", "Invalid credentials", password.INVALID_LOGIN)
    pending, token = steps.new_pending(user, password.purpose(user), None)
    password.passed(user)
    return {"status": "mfa_required", "mfa_token": token, "methods": methods(pending, user),
            "phone": mask_phone(user.phone), "expires_at": moment(pending.expires_at)}


@bp.post("/mfa/send")
def send():
    """Text or call a code to the account's stored number (never one the caller names)."""
    body = read({"mfa_token": TOKEN, "channel": Field(8, PHONE)})
    pending, user = open_step(body["mfa_token"])
    delivery = sending.send(pending, user, body["channel"])
    if delivery.retry_after:
        raise Problem(429, "rate-limited", "Too many codes", delivery.message,
                      delivery.retry_after)
    if not delivery.sent:
        raise Problem(502, "not-delivered", "The code could not be sent", delivery.message)
    code = codes.latest_code(pending)
    waiting = sending.next_send_refusal(pending, user)
    return {"channel": body["channel"], "to": mask_phone(user.phone),
            "expires_at": moment(code.expires_at) if code else None,
            "resend_after": moment(utcnow() + timedelta(seconds=waiting.retry_after
                                                        if waiting else 0))}, 202


@bp.post("/mfa/verify")
def verify():
    """Check a code by any factor the account has; a right one signs in with a cookie session
    or a bearer token."""
    body = read({"mfa_token": TOKEN, "method": Field(8, PHONE + ("app", "backup")),
                 "code": Field(64), "session": Field(8, ("cookie", "bearer"))})
    pending, user = open_step(body["mfa_token"])
    method = body["method"]
    if ("phone" if method in PHONE else method) not in owned.for_step(owned.of(user),
                                                                       pending.purpose):
        raise Problem(409, "method-unavailable", "Not set up",
                      "That way is not set up for this account. Use a code sent to your phone.")
    verdict = check(pending, user, method, body["code"])
    if not verdict.proved:
        if verdict.retry_after:  # a limit, not the code
            raise Problem(429, "rate-limited", "Too many tries", verdict.message,
                          verdict.retry_after)
        raise Problem(401, "code-refused", "Code not accepted", verdict.message)
    used = codes.latest_code(pending).channel if method in PHONE else method
    finish.accepted(pending, user, used)
    finish.signing_in(pending, user, used)
    if body["session"] == "bearer":
        signed_in = {"session": "bearer", "token_type": "Bearer",
                     "access_token": sessions.start_bearer(user, pending)}
    else:
        sessions.start_session(user, pending)
        signed_in = {"session": "cookie", "csrf_token": generate_csrf()}
    db.session.commit()
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    signed_in.update(status="signed_in", username=user.username,
                     expires_at=moment(utcnow() + lifetime),
                     idle_timeout=int(current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()))
    if used == "backup":
        signed_in["backup_codes_left"] = finish.backup_used(user)
    return signed_in


@bp.get("/me")
def me():
    """The signed-in account; a cookie session also gets a fresh CSRF token."""
    who = caller.signed_in()
    found = {"username": who.user.username, "phone": mask_phone(who.user.phone),
             "session": "bearer" if who.bearer else "cookie",
             "methods": methods(None, who.user)}
    if who.bearer is None:
        found["csrf_token"] = generate_csrf()
    return found


@bp.delete("/session")
def sign_out():
    """Sign out this token or this cookie session, for good."""
    who = caller.signed_in()
    audit.record("logout", who.user, "bearer" if who.bearer else "")
    if who.bearer is not None:
        db.session.delete(who.bearer)
    else:
        sessions.end_session()
    db.session.commit()
    return "", 204


def open_step(token: str) -> tuple[PendingLogin, User]:
    """The open sign-in step an mfa_token names, and its account; else a 401."""
    pending = steps.open_pending(token)
    if pending is None or pending.purpose not in ("login", "signup"):
        raise Problem(401, "invalid-mfa-token", "Sign-in step not found",
                      "That step expired or was finished. Please sign in again.")
    return pending, db.session.get(User, pending.user_id)


def check(pending: PendingLogin, user: User, method: str, typed: str) -> checking.Verdict:
    """The pages' check for ``method``, after the pages' format check (which counts no guess)."""
    if method == "backup":
        if (clean := backup_codes.normalize(typed)) is None:
            raise invalid("A backup code has 16 letters and digits, like ABCD-EFGH-JKLM-NPQR.")
        return checking.backup_code(user, clean)
    if (digits := codes.normalize(typed)) is None:
        raise invalid("The code is 6 digits, like 123456.")
    if method == "app":
        return checking.app_code(user, digits)
    return checking.phone_code(pending, user, digits)


def methods(pending: PendingLogin | None, user: User) -> list[str]:
    """The ways ``user`` can pass this step (or any sign-in), the usual one first."""
    offered = owned.for_step(owned.of(user), pending.purpose if pending else "login")
    phone = [user.preferred_channel] + [c for c in PHONE if c != user.preferred_channel]
    found = phone + [f for f in ("app", "backup") if f in offered]
    if user.usual_factor == "app" and "app" in offered:
        found.remove("app")
        found.insert(0, "app")
    return found


def moment(at: datetime) -> str:
    """A stored UTC time as RFC 3339, e.g. "2026-11-21T12:05:00Z"."""
    return at.replace(microsecond=0).isoformat() + "Z"
