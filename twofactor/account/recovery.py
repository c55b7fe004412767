"""Forgot your password: two independent proofs, a new password, and never a sign-in.

The phone gets a code, and the person also enters an authenticator code or a backup code, or
uses a security key (the same second-step pages as a sign-in, with the purpose "recovery").
Then every session ends and the phone gets a notice. An account with only a phone cannot
prove two things, so it is told to contact the site; operators have
``flask --app app reset-password``.
"""
from flask import Blueprint, flash, redirect, render_template, url_for

from .. import audit, notices
from ..abuse import limits, policy
from ..extensions import db
from ..factors import owned
from ..models import User
from ..signin import password, sessions, steps
from ..signin.sending import deliver
from . import remember
from .forms import ForgotForm, NewPasswordForm

bp = Blueprint("recovery", __name__, url_prefix="/forgot")

CANNOT = ("We cannot reset this account's password here: that needs its phone and an "
          "authenticator app, a security key or backup codes. Please contact the site.")


@bp.route("/", methods=("GET", "POST"))
def forgot():
    """Ask for the username; an account with two factors gets a code on its phone."""
    form = ForgotForm()
    rules = policy.recovery_rules(policy.client_network(audit.client_ip()))
    if form.is_submitted() and (refused := limits.refusal(rules)):
        form.username.errors = [refused.message]
        return (render_template("forgot.html", form=form), 429,
                {"Retry-After": str(refused.retry_after)})
    if form.validate_on_submit():
        limits.lock(*(rule.key for rule in rules))
        limits.record(*(rule.key for rule in rules))  # each try tells whether a name can reset
        user = password.find_user(form.username.data)
        mine = owned.of(user) if user is not None else None
        if mine is None or not (mine.phone and (mine.app or mine.keys or mine.backup_left)):
            db.session.commit()
            form.username.errors.append(CANNOT)
            return render_template("forgot.html", form=form)
        pending = steps.begin_pending(user, "recovery", None)
        audit.record("recovery_started", user)
        db.session.commit()
        deliver(pending, user, user.preferred_channel)
        return redirect(url_for("twofactor.code"))
    return render_template("forgot.html", form=form)


@bp.route("/password", methods=("GET", "POST"))
def new_password():
    """Set the new password once both proofs are in; then sign out everywhere."""
    pending = steps.current_pending()
    if pending is None or pending.purpose != "recovery" or pending.proved != "other,phone":
        flash("Start by telling us your username.", "info")
        return redirect(url_for(".forgot"))
    user = db.session.get(User, pending.user_id)
    form = NewPasswordForm()
    form.account_name = user.username
    if form.validate_on_submit():
        user.set_password(form.password.data)
        pending.done = True
        sessions.end_all_sessions(user)
        remember.forget_all(user)
        audit.record("password_reset", user)
        db.session.commit()
        notices.changed(user, "Your password was reset.")
        flash("Your password is changed and every browser was signed out. "
              "Sign in with your new password.", "success")
        return redirect(url_for("twofactor.login"))
    return render_template("new_password.html", form=form)
