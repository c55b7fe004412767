"""Remember this browser: for 30 days its sign-ins skip the second step, and only that.

The ``__Host-remember`` cookie is signed with its own salt and holds the account id and a
128-bit random browser id, of which the database keeps only the hash. It never replaces the
password, never counts as a step-up, and dies when the person forgets it, changes their
password or phone, makes new backup codes or removes a factor.
"""
import secrets

from flask import after_this_request, current_app, request, session, url_for
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete

from .. import audit
from ..extensions import db
from ..models import (
    LoginSession,
    PendingLogin,
    RememberedBrowser,
    User,
    token_hash,
    utcnow,
)
from ..signin import sessions
from .agents import summary

COOKIE = "__Host-remember"
SALT = "remember-browser-v1"  # Flask's session cookie uses "cookie-session": never confused


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def remember(user: User) -> None:
    """Keep this browser for ``user``: a new row now, the cookie on this response."""
    browser_id = secrets.token_urlsafe(16)  # 128 random bits
    db.session.add(RememberedBrowser(id=token_hash(browser_id), user_id=user.id,
                                     user_agent=summary(request.headers.get("User-Agent", ""))[:64],
                                     created_at=utcnow()))
    audit.record("browser_remembered", user)
    value = _serializer().dumps({"user": user.id, "browser": browser_id})
    lifetime = current_app.config["REMEMBER_BROWSER_LIFETIME"]

    @after_this_request
    def set_cookie(response):
        response.set_cookie(COOKIE, value, max_age=int(lifetime.total_seconds()), path="/",
                            # Secure even in development: a "__Host-" cookie must be, and
                            # browsers take it from http://127.0.0.1 and localhost too.
                            secure=True, httponly=True, samesite="Lax")
        return response


def recognised(user: User) -> RememberedBrowser | None:
    """This browser's row if its cookie is genuine, under 30 days old, for ``user``, and not
    forgotten; else None (a cookie for another account is simply ignored)."""
    lifetime = current_app.config["REMEMBER_BROWSER_LIFETIME"]
    try:
        payload = _serializer().loads(request.cookies.get(COOKIE, ""),
                                      max_age=int(lifetime.total_seconds()))
        browser_id, user_id = payload["browser"], payload["user"]
    except (BadData, KeyError, TypeError):
        return None
    if user_id != user.id or not isinstance(browser_id, str):
        return None
    row = db.session.get(RememberedBrowser, token_hash(browser_id))
    if row is None or row.user_id != user.id or utcnow() - row.created_at > lifetime:
        return None
    return row


def signed_in(pending: PendingLogin, user: User, browser: RememberedBrowser) -> str:
    """Sign in on a remembered browser after the right password; return where to go."""
    browser.last_used_at = utcnow()
    audit.record("remembered_browser", user, browser.user_agent)
    sessions.start_session(user, pending)
    db.session.flush()
    # No factor was proved here: a change on the security page still asks for one.
    db.session.get(LoginSession, token_hash(session["sid"])).factor_at = None
    db.session.commit()
    return pending.next_url or url_for("twofactor.home")


def of(user: User) -> list[RememberedBrowser]:
    """The account's remembered browsers, newest first."""
    return list(db.session.scalars(db.select(RememberedBrowser).where(
        RememberedBrowser.user_id == user.id).order_by(RememberedBrowser.created_at.desc())))


def forget(user: User, browser_hash: str) -> bool:
    """Forget one of the account's remembered browsers; False if it has no such browser."""
    result = db.session.execute(delete(RememberedBrowser).where(
        RememberedBrowser.user_id == user.id, RememberedBrowser.id == browser_hash))
    return result.rowcount > 0


def forget_all(user: User) -> int:
    """Forget every remembered browser of the account (a password, phone or factor change)."""
    return db.session.execute(delete(RememberedBrowser).where(
        RememberedBrowser.user_id == user.id)).rowcount
