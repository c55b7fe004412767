"""Delete the account: a step-up, the username typed out, then every row that is the account's.

The audit trail keeps the account's past events without its id, name or any detail (a masked
number is still a number), and one event that says an account was deleted. The number gets a
notice first, while the account can still be counted against its send limits.
"""
from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import delete, update

from .. import audit, notices
from ..abuse import policy
from ..extensions import db
from ..models import (
    AuditEvent,
    AuthenticatorApp,
    BackupCode,
    LimitEvent,
    LoginSession,
    OneTimeCode,
    PendingLogin,
    RememberedBrowser,
    SecurityKey,
    User,
    WebAuthnChallenge,
)
from .change_forms import DeleteAccountForm
from .stepup import step_up_required

bp = Blueprint("deletion", __name__, url_prefix="/security")

# Every table with a user_id, children before the tables they point to.
OWNED_ROWS = (OneTimeCode, PendingLogin, WebAuthnChallenge, SecurityKey, AuthenticatorApp,
              BackupCode, RememberedBrowser, LoginSession)


@bp.route("/delete", methods=("GET", "POST"))
@step_up_required
def delete_account():
    """Ask for the username; delete the account when it is typed right."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if form.username.data.strip().lower() != current_user.username.lower():
            form.username.errors.append("That is not your username, so nothing was deleted.")
            return render_template("delete_account.html", form=form)
        user = current_user._get_current_object()
        notices.notify(user, "Your account was deleted, with its codes and sign-in settings. "
                       "Not you? Please contact the site.")
        erase(user)
        logout_user()
        session.clear()
        db.session.commit()
        flash("Your account is deleted. Thank you for having used it.", "success")
        return redirect(url_for("twofactor.home"))
    return render_template("delete_account.html", form=form)


def erase(user: User) -> None:
    """Remove ``user`` and everything that is theirs; keep an anonymous trace in the audit trail."""
    for model in OWNED_ROWS:
        db.session.execute(delete(model).where(model.user_id == user.id))
    db.session.execute(delete(LimitEvent).where(LimitEvent.key.in_(account_keys(user))))
    db.session.execute(update(AuditEvent).where(AuditEvent.user_id == user.id)
                       .values(user_id=None, username=None, detail=""))
    db.session.delete(user)
    audit.record("account_deleted")


def account_keys(user: User) -> list[str]:
    """The limit keys that hold the account's id (names and numbers are not the account's own)."""
    return [key for key in policy.account_keys(user) if key.endswith(f":{user.id}")]
