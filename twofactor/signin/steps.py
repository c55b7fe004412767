"""The pending step: who is between their password (or a signed-in request) and the second
factor that finishes it; its token is all the browser holds. Also where a half-signed-in person
is sent, and which redirects are safe."""
from functools import cache
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import Select, bindparam

from ..extensions import db, login_manager
from ..factors import owned, webauthn
from ..models import (
    AuthenticatorApp,
    OneTimeCode,
    PendingLogin,
    User,
    new_token,
    token_hash,
    utcnow,
)
from . import codes, sessions

# Steps a signed-in person takes in their own session: a step-up, confirming a new number.
SIGNED_IN_PURPOSES = ("stepup", "newphone")


def new_pending(user: User, purpose: str, next_url: str | None) -> tuple[PendingLogin, str]:
    """A pending step for ``user`` and its opaque token; only the token's hash is stored."""
    now, token = utcnow(), new_token()
    pending = PendingLogin(id=token_hash(token), user_id=user.id, purpose=purpose,
                           next_url=safe_next(next_url), created_at=now,
                           expires_at=now + current_app.config["PENDING_LIFETIME"])
    db.session.add(pending)
    db.session.flush()
    codes.remember(pending, [])  # a new step has no codes yet
    return pending, token


def begin_pending(user: User, purpose: str, next_url: str | None) -> PendingLogin:
    """Start the code step: a fresh session holding only the pending sign-in's opaque token."""
    # A browser signed in as anyone is signed out for good, not just forgotten.
    sessions.end_session()
    pending, token = new_pending(user, purpose, next_url)
    session.clear()  # nothing from before the password survives (no session fixation)
    session["pending"] = token
    return pending


def begin_step_up(user: User, next_url: str | None) -> PendingLogin:
    """Start a step-up for the signed-in ``user``, keeping their session."""
    pending, token = new_pending(user, "stepup", next_url)
    session["pending"] = token
    return pending


@cache
def _pending_statement(with_keys: bool) -> Select:
    """One statement, built once: the step, its account, its codes and the account's other
    factors (the code pages need all four)."""
    return (db.select(PendingLogin, User, OneTimeCode, AuthenticatorApp,
                      *owned.counts(User.id, with_keys))
            .join(User, User.id == PendingLogin.user_id)
            .outerjoin(AuthenticatorApp, owned.app_join(User.id))
            .outerjoin(OneTimeCode, OneTimeCode.pending_id == PendingLogin.id)
            .where(PendingLogin.id == bindparam("id"))
            .order_by(OneTimeCode.created_at.desc()))


def open_pending(token) -> PendingLogin | None:
    """The pending step whose token is ``token``, if it is still open."""
    if not isinstance(token, str):
        return None
    rows = db.session.execute(_pending_statement(webauthn.available()),
                              {"id": token_hash(token)}).all()
    pending = rows[0][0] if rows else None
    if pending is None or pending.done or pending.expires_at <= utcnow():
        return None
    codes.remember(pending, [row[2] for row in rows if row[2] is not None])
    account = g.pending_account = rows[0][1]  # held: db.session.get(User, ...) runs no SQL
    g.pending_factors = {pending.id: owned.from_row(account, *rows[0][3:])}
    return pending


def pending_factors(pending: PendingLogin, user: User) -> owned.Owned:
    """The factors of ``pending``'s account as read with the step, or afresh."""
    return g.get("pending_factors", {}).get(pending.id) or owned.of(user)


def current_pending() -> PendingLogin | None:
    """The pending step named by this browser's session, if it is still open."""
    pending = open_pending(session.get("pending"))
    if pending is None:
        return None
    # A step-up or a new number belongs to the signed-in session that began it, and to no one else.
    if (pending.purpose in SIGNED_IN_PURPOSES) != (current_user.is_authenticated
                                                   and current_user.id == pending.user_id):
        return None
    return pending


@login_manager.unauthorized_handler
def unauthorized():
    """Send a person who is half-way through signing in to the code page, others to sign in."""
    if (pending := current_pending()) is not None:
        flash("Enter the code we sent you to finish signing in." if pending.purpose != "recovery"
              else "Finish resetting your password first, or start again.", "info")
        return redirect(url_for("twofactor.code"))
    flash("Please sign in to see that page.", "info")
    return redirect(url_for("twofactor.login", next=request.full_path.rstrip("?")))


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):
        return None  # browsers read "/\evil" and "/\t/evil" as "//evil"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or len(target) > 512:
        return None
    return target
