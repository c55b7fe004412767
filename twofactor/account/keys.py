"""Security keys and passkeys on the security page: add one (the browser's prompt, then a name)
or remove one. Both need a step-up, go into the audit trail and text a notice.

A registration challenge is bound to this browser's signed-in session, so an answer made for
another browser cannot add a key here.
"""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from .. import audit, notices
from ..extensions import db
from ..factors import owned, webauthn
from ..models import SecurityKey
from ..signin import sessions
from . import remember
from .forms import AddKeyForm, RemoveKeyForm
from .stepup import step_up_required

bp = Blueprint("keys", __name__, url_prefix="/security/keys")

UNAVAILABLE = "Security keys are not available on this site."


@bp.route("/new", methods=("GET", "POST"))
@step_up_required
def add():
    """Keep the key the browser just registered, under the name the person gave it."""
    if not webauthn.available():
        flash(UNAVAILABLE, "info")
        return redirect(url_for("account.security"))
    form = AddKeyForm()
    if form.validate_on_submit():
        try:
            key = webauthn.register(current_user, form.credential.data, form.name.data,
                                    sessions.session_id())
        except webauthn.KeyRefused as refused:
            form.credential.errors.append(str(refused))
        else:
            audit.record("key_added", current_user, key.name)
            db.session.commit()
            notices.changed(current_user, "A security key was added to your account.")
            flash(f"Your security key “{key.name}” is added.", "success")
            return redirect(url_for("account.security"))
    return render_template("key_add.html", form=form)


@bp.post("/options")
@step_up_required
def options():
    """A fresh challenge for the browser's prompt that makes a key, for this session only."""
    if not webauthn.available():
        return {"error": UNAVAILABLE}, 404
    body = webauthn.registration_options(current_user, sessions.session_id())
    return body, 200, {"Content-Type": "application/json"}


@bp.post("/remove")
@step_up_required
def remove():
    """Remove one of the account's keys, unless it is the last way to sign in."""
    form = RemoveKeyForm()
    key = db.session.get(SecurityKey, form.key.data) if form.validate_on_submit() else None
    if key is None or key.user_id != current_user.id:
        return redirect(url_for("account.security"))
    mine = owned.of(current_user)
    if mine.keys <= 1 and mine.ways <= 1:
        flash("This is your last way to sign in, so it cannot be removed.", "error")
        return redirect(url_for("account.security"))
    db.session.delete(key)
    remember.forget_all(current_user)  # a factor removed: every remembered browser asks again
    if mine.keys <= 1 and current_user.usual_factor == "key":
        current_user.usual_factor = "phone"
    audit.record("key_removed", current_user, key.name)
    db.session.commit()
    notices.changed(current_user, "A security key was removed from your account.")
    flash(f"Your security key “{key.name}” is removed.", "success")
    return redirect(url_for("account.security"))
