"""Change the phone number: a step-up, the new number checked like a sign-up's, then a code
sent to the new number. Only that code, right and in time, moves the account to it.

The new number waits on the pending step (purpose "newphone"); its sends are limited like a
sign-up's, per number, prefix, country and network, because it is not confirmed yet. A wrong,
expired or abandoned code leaves the old number in place.
"""
from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user

from .. import audit, notices
from ..extensions import db
from ..models import PendingLogin, User
from ..numbers import mask_phone
from ..signin import steps
from ..signin.sending import deliver
from . import devices, remember
from .change_forms import NewPhoneForm
from .stepup import step_up_required

bp = Blueprint("phone_change", __name__, url_prefix="/security")


@bp.route("/phone", methods=("GET", "POST"))
@step_up_required
def new_phone():
    """Ask for the new number and send it a code; nothing changes until that code comes back."""
    form = NewPhoneForm()
    if form.validate_on_submit():
        if form.phone.e164 == current_user.phone:
            form.phone.errors.append("That is already your number.")
            return render_template("phone_change.html", form=form)
        pending, token = steps.new_pending(current_user, "newphone", None)
        pending.new_phone = form.phone.e164
        session["pending"] = token  # this signed-in browser alone may finish it
        audit.record("phone_change_started", current_user, f"to {mask_phone(form.phone.e164)}")
        db.session.commit()
        deliver(pending, current_user, form.channel.data)
        return redirect(url_for("twofactor.code"))
    return render_template("phone_change.html", form=form)


def confirmed(pending: PendingLogin, user: User, factor: str) -> str:
    """The code reached the new number: use it from now on, and tell the old one."""
    old, new = user.phone, pending.new_phone
    user.phone, user.preferred_channel, user.phone_confirmed = new, factor, True
    pending.done = True
    session.pop("pending", None)
    devices.end_others(user)
    remember.forget_all(user)
    audit.record("phone_changed", user, f"{mask_phone(old)} to {mask_phone(new)}")
    db.session.commit()
    notices.notify(user, f"Your sign-in number was changed to •••{new[-2:]}." + notices.NOT_YOU,
                   to=old)
    flash(f"Your phone number is now {mask_phone(new)}. Every other browser was signed out.",
          "success")
    return url_for("account.security")
