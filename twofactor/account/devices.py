"""Where the account is signed in, which browsers skip the second step, and what happened lately.

The security page lists them (templates/_browsers.html, _activity.html); signing a session out or
forgetting a browser is a change like any other: it needs a step-up and goes in the audit trail.
"""
from flask import Blueprint, flash, redirect, session, url_for
from flask_login import current_user
from sqlalchemy import delete, update

from .. import audit
from ..extensions import db
from ..models import AuditEvent, LoginSession, PendingLogin, User, token_hash
from . import remember
from .forms import ActionForm
from .stepup import step_up_required

bp = Blueprint("devices", __name__, url_prefix="/security")

# What "Recent activity" shows: security events, in words, never the sends and page steps.
ACTIVITY = {
    "password_ok": "Right password", "password_failed": "Wrong password",
    "code_accepted": "Second step passed", "code_refused": "Wrong code",
    "lockout": "Codes paused after too many wrong ones", "limit_hit": "A limit was reached",
    "remembered_browser": "Signed in on a remembered browser",
    "browser_remembered": "Browser remembered", "browser_forgotten": "Browser forgotten",
    "browsers_forgotten": "Every browser forgotten", "logout": "Signed out",
    "session_ended": "A session was signed out", "sessions_ended": "Other sessions signed out",
    "signup": "Account created", "user_created": "Account created",
    "password_changed": "Password changed", "password_reset": "Password reset",
    "phone_change_started": "New number asked for", "phone_changed": "Phone number changed",
    "app_added": "Authenticator app added", "app_removed": "Authenticator app removed",
    "backup_codes_new": "New backup codes", "usual_factor": "Usual factor changed",
    "recovery_started": "Password reset started",
}
ACTIVITY_SHOWN = 20


def this_session_id() -> str | None:
    """The id of this browser's server-side session, if it has one."""
    token = session.get("sid")
    return token_hash(token) if isinstance(token, str) else None


def end_others(user: User) -> None:
    """Sign out every other session and app of ``user``, and close their unfinished sign-ins."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id,
                                                  LoginSession.id != (this_session_id() or "")))
    db.session.execute(update(PendingLogin).where(
        PendingLogin.user_id == user.id, PendingLogin.done.is_(False),
        PendingLogin.id != _this_pending_id()).values(done=True))


def _this_pending_id() -> str:
    """This browser's own pending step (the one being finished), which the caller closes."""
    token = session.get("pending")
    return token_hash(token) if isinstance(token, str) else ""


def signed_in(user: User) -> list[LoginSession]:
    """The account's sessions, the latest seen first."""
    return list(db.session.scalars(db.select(LoginSession).where(
        LoginSession.user_id == user.id).order_by(LoginSession.last_seen.desc())))


def activity(user: User) -> list[AuditEvent]:
    """The account's latest security events, newest first."""
    return list(db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.user_id == user.id, AuditEvent.event.in_(ACTIVITY))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(ACTIVITY_SHOWN)))


@bp.app_context_processor
def lists():
    """The security page's lists, for its included sections."""
    return {"devices": {"signed_in": signed_in, "remembered": remember.of, "activity": activity,
                        "this_session": this_session_id, "words": ACTIVITY}}


@bp.post("/sessions/<session_id>/end")
@step_up_required
def end_session(session_id: str):
    """Sign out one other session of the account."""
    if ActionForm().validate_on_submit() and session_id != this_session_id():
        ended = db.session.execute(delete(LoginSession).where(
            LoginSession.user_id == current_user.id, LoginSession.id == session_id)).rowcount
        if ended:
            audit.record("session_ended", current_user)
            db.session.commit()
            flash("That session is signed out.", "success")
    return redirect(url_for("account.security"))


@bp.post("/sessions/end-others")
@step_up_required
def end_other_sessions():
    """Sign out every session of the account but this one."""
    if ActionForm().validate_on_submit():
        end_others(current_user)
        audit.record("sessions_ended", current_user)
        db.session.commit()
        flash("Every other session is signed out.", "success")
    return redirect(url_for("account.security"))


@bp.post("/browsers/<browser_id>/forget")
@step_up_required
def forget_browser(browser_id: str):
    """Forget one remembered browser: its next sign-in asks for the second step again."""
    if ActionForm().validate_on_submit() and remember.forget(current_user, browser_id):
        audit.record("browser_forgotten", current_user)
        db.session.commit()
        flash("That browser is forgotten. It will ask for your second step again.", "success")
    return redirect(url_for("account.security"))


@bp.post("/browsers/forget-all")
@step_up_required
def forget_all_browsers():
    """Forget every remembered browser of the account."""
    if ActionForm().validate_on_submit():
        remember.forget_all(current_user)
        audit.record("browsers_forgotten", current_user)
        db.session.commit()
        flash("Every browser is forgotten.", "success")
    return redirect(url_for("account.security"))
