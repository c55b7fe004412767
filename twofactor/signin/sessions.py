"""Who is signing in and who is signed in: the pending step, server-side sessions, safe redirects."""
from datetime import timedelta
from functools import cache
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import Select, bindparam, delete, or_
from werkzeug.security import check_password_hash, generate_password_hash

from ..account.agents import described
from ..extensions import db, login_manager
from ..factors import owned, webauthn
from ..models import (
    AuthenticatorApp,
    LoginSession,
    OneTimeCode,
    PendingLogin,
    User,
    new_token,
    token_hash,
    utcnow,
)
from . import codes

TOUCH_EVERY = timedelta(minutes=1)  # write last_seen at most this often
# Steps a signed-in person takes in their own session: a step-up, confirming a new number.
SIGNED_IN_PURPOSES = ("stepup", "newphone")


@cache
def _dummy_hash() -> str:
    """A password hash to check against when the username is unknown, so both cases take as long."""
    return generate_password_hash("not-a-real-password")


def find_user(username: str) -> User | None:
    """The account named ``username``, whatever its letter case; the exact spelling wins for the
    few accounts that already clashed before names were made unique without regard to case."""
    return db.session.scalar(user_lookup(), user_lookup_values(username))


@cache
def user_lookup() -> Select:
    """``find_user``'s SELECT, built once; its values come from ``user_lookup_values``."""
    exact = User.username == bindparam("username_typed")
    return (db.select(User).where(or_(User.username_key == bindparam("username_folded"), exact))
            .order_by(exact.desc()).limit(1))


def user_lookup_values(username: str) -> dict:
    """The values of ``user_lookup``'s parameters for ``username``."""
    return {"username_typed": username, "username_folded": username.lower()}


def password_ok(user: User | None, password: str) -> bool:
    """Check the password, spending the same time whether or not the user exists."""
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return False
    return user.check_password(password)


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
    end_session()  # a browser signed in as anyone is signed out for good, not just forgotten
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


def start_session(user: User, pending: PendingLogin) -> None:
    """Log ``user`` in with a new session; only call after the code checked out."""
    pending.done = True
    token = new_token()
    db.session.add(LoginSession(id=token_hash(token), user_id=user.id, factor_at=utcnow(),
                                **described()))
    session.clear()  # a new session at each step: the pending token dies here
    session["sid"] = token
    session.permanent = True  # the cookie expires with PERMANENT_SESSION_LIFETIME (12 h)
    login_user(user)


def start_bearer(user: User, pending: PendingLogin) -> str:
    """A session for an app that sends its token in a header; only call after the second factor.
    Returns the token; the row keeps only its hash and expires like a browser's session."""
    pending.done = True
    token = new_token()
    db.session.add(LoginSession(id=token_hash(token), user_id=user.id, factor_at=utcnow(),
                                kind="bearer", **described()))
    return token


def bearer_session(token: str) -> LoginSession | None:
    """The live bearer session whose token is ``token``, touched; None if unknown or expired."""
    row = db.session.get(LoginSession, token_hash(token))
    return row if row is not None and row.kind == "bearer" and _alive(row) else None


def end_session(everywhere: bool = False) -> None:
    """Sign this browser out for good; with ``everywhere``, every browser of this user."""
    row = _this_session()
    if row is not None:
        query = delete(LoginSession).where(
            LoginSession.user_id == row.user_id if everywhere else LoginSession.id == row.id)
        db.session.execute(query)
    logout_user()
    session.clear()


def mark_factor_proved() -> None:
    """This browser just proved a second factor: changes are open to it for a while."""
    _this_session().factor_at = utcnow()


def factor_is_fresh() -> bool:
    """Whether this browser proved a second factor within STEP_UP_WINDOW."""
    row = _this_session()
    return (row is not None and row.factor_at is not None
            and utcnow() - row.factor_at <= current_app.config["STEP_UP_WINDOW"])


def session_id() -> str | None:
    """The id of this browser's server-side session (a hash of its token, safe to store)."""
    token = session.get("sid")
    return token_hash(token) if isinstance(token, str) else None


def end_all_sessions(user: User) -> None:
    """Sign out every browser of ``user`` (a password reset)."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def _this_session() -> LoginSession | None:
    """The server-side session named by this browser's cookie, if it exists."""
    token = session.get("sid")
    return db.session.get(LoginSession, token_hash(token)) if isinstance(token, str) else None


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user, if this browser's server-side session is alive and not idle too long."""
    row = _this_session()
    if row is None or str(row.user_id) != user_id or not _alive(row):
        return None
    return db.session.get(User, row.user_id)


def _alive(row: LoginSession) -> bool:
    """Whether a session is neither idle too long nor too old; a dead one is deleted."""
    now, cfg = utcnow(), current_app.config
    if (now - row.last_seen > cfg["SESSION_IDLE_TIMEOUT"]
            or now - row.created_at > cfg["PERMANENT_SESSION_LIFETIME"]):
        db.session.delete(row)
        db.session.commit()
        return False
    if now - row.last_seen > TOUCH_EVERY:
        row.last_seen = now
        db.session.commit()
    return True


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
