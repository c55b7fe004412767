"""Who is signed in: server-side sessions for browsers and apps, idle and absolute expiry."""
from datetime import timedelta

from flask import current_app, session
from flask_login import login_user, logout_user
from sqlalchemy import delete

from ..account.agents import described
from ..extensions import db, login_manager
from ..models import LoginSession, PendingLogin, User, new_token, token_hash, utcnow

TOUCH_EVERY = timedelta(minutes=1)  # write last_seen at most this often


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
