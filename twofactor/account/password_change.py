"""Change the password: a step-up, the current password, and a new one that follows the rules.

A wrong current password counts like a failed sign-in (the same delays), so a borrowed session
cannot be used to guess it. Then every other session ends and remembered browsers are forgotten.
"""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from .. import audit, notices
from ..abuse import limits
from ..extensions import db
from ..signin import password
from . import devices, remember
from .change_forms import ChangePasswordForm
from .stepup import step_up_required

bp = Blueprint("password_change", __name__, url_prefix="/security")


@bp.route("/password", methods=("GET", "POST"))
@step_up_required
def change_password():
    """Check the current password, set the new one, sign out everywhere else."""
    form = ChangePasswordForm()
    form.account_name = current_user.username
    if form.validate_on_submit():
        try:
            right = password.check(current_user.username, form.current.data) is not None
        except limits.Refused as refused:
            form.current.errors.append(refused.message)
            return (render_template("password_change.html", form=form), 429,
                    {"Retry-After": str(refused.retry_after)})
        if not right:
            form.current.errors.append("That is not your current password.")
            return render_template("password_change.html", form=form)
        current_user.set_password(form.password.data)
        devices.end_others(current_user)
        remember.forget_all(current_user)
        audit.record("password_changed", current_user)
        db.session.commit()
        notices.changed(current_user, "Your password was changed.")
        flash("Your password is changed. Every other browser was signed out.", "success")
        return redirect(url_for("account.security"))
    return render_template("password_change.html", form=form)
