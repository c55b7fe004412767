"""The security page: the phone, the authenticator app, security keys (keys.py), backup codes,
the usual factor.

Every change here needs a step-up, goes into the audit trail and texts a notice.
"""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import audit, notices
from ..extensions import db
from ..factors import backup_codes, owned, totp, webauthn
from ..models import AuthenticatorApp, utcnow
from ..numbers import mask_phone
from . import remember
from .forms import ActionForm, AppSetupForm, UsualFactorForm
from .stepup import step_up_required

bp = Blueprint("account", __name__, url_prefix="/security")


@bp.get("/")
@login_required
def security():
    """What protects the account, with a button for each change."""
    mine = owned.of(current_user)
    usual = UsualFactorForm(factor=current_user.usual_factor
                            if mine.has(current_user.usual_factor) else "phone")
    usual.factor.choices = [c for c in usual.factor.choices if mine.has(c.value)]
    keys = webauthn.keys_of(current_user) if mine.keys else []
    return render_template("security.html", owned=mine, usual=usual, action=ActionForm(),
                           phone=mask_phone(current_user.phone), keys=keys,
                           keys_here=webauthn.available())


@bp.post("/usual")
@step_up_required
def usual_factor():
    """Choose the factor a sign-in opens on."""
    form = UsualFactorForm()
    if not form.validate_on_submit() or not owned.of(current_user).has(form.factor.data):
        flash("Choose a factor you have set up.", "error")
        return redirect(url_for(".security"))
    current_user.usual_factor = form.factor.data
    audit.record("usual_factor", current_user, form.factor.data)
    db.session.commit()
    said = {"app": "your authenticator app.", "key": "your security key.",
            "phone": "a code to your phone."}[form.factor.data]
    notices.changed(current_user, "Your sign-in now starts with " + said)
    flash("Saved. Your next sign-in starts with " + said, "success")
    return redirect(url_for(".security"))


@bp.get("/app")
@step_up_required
def app_intro():
    """What an authenticator app is, and the button that shows a new secret."""
    if owned.enabled_app(current_user.id):
        flash("An authenticator app is already on. Remove it first to set up another.", "info")
        return redirect(url_for(".security"))
    return render_template("app_intro.html", form=ActionForm())


@bp.post("/app/new")
@step_up_required
def app_new():
    """Make a new secret and show it once, as a QR code and as a key to type."""
    if not ActionForm().validate_on_submit() or owned.enabled_app(current_user.id):
        return redirect(url_for(".app_intro"))
    row, secret = totp.begin_setup(current_user)  # replaces any set-up left unfinished
    db.session.commit()
    return render_setup(AppSetupForm(formdata=None), secret)


@bp.post("/app")
@step_up_required
def app_setup():
    """Turn the app on once it shows a right code; a wrong one shows the same secret again."""
    form, row = AppSetupForm(), _setup_in_progress()
    if row is None:
        flash("That set-up expired. Please start again.", "info")
        return redirect(url_for(".app_intro"))
    if form.validate_on_submit():
        if totp.enable(row, form.code.digits):
            current_user.usual_factor = "app"  # it just worked: the next sign-in starts there
            audit.record("app_added", current_user)
            db.session.commit()
            notices.changed(current_user, "An authenticator app was added to your account.")
            flash("Your authenticator app is on.", "success")
            return redirect(url_for(".security"))
        form.code.errors.append("That code is not right. Type the code your app shows now.")
    secret = totp.secret_of(row)
    db.session.commit()  # re-sealed under the current key, if an old one sealed it
    return render_setup(form, secret)


def render_setup(form: AppSetupForm, secret: str):
    """The set-up page: the QR code, the key in groups of four, the first-code field."""
    uri = totp.provisioning_uri(secret, current_user.username, current_app.config["APP_NAME"])
    return render_template("app_setup.html", form=form, qr=totp.qr_svg(uri),
                           key=totp.grouped(secret))


def _setup_in_progress() -> AuthenticatorApp | None:
    """The account's authenticator app that waits for its first right code, if any."""
    return db.session.scalar(db.select(AuthenticatorApp).where(
        AuthenticatorApp.user_id == current_user.id, AuthenticatorApp.enabled_at.is_(None)))


@bp.post("/app/remove")
@step_up_required
def app_remove():
    """Turn the authenticator app off, unless it is the last way to sign in."""
    mine = owned.of(current_user)
    if ActionForm().validate_on_submit() and mine.app is not None:
        if mine.ways <= 1:
            flash("This is your last way to sign in, so it cannot be removed.", "error")
            return redirect(url_for(".security"))
        db.session.delete(mine.app)
        remember.forget_all(current_user)
        if current_user.usual_factor == "app":
            current_user.usual_factor = "phone"
        audit.record("app_removed", current_user)
        db.session.commit()
        notices.changed(current_user, "The authenticator app was removed from your account.")
        flash("Your authenticator app is off.", "success")
    return redirect(url_for(".security"))


@bp.route("/backup-codes", methods=("GET", "POST"))
@step_up_required
def backup_codes_page():
    """Make a new set of backup codes and show it once; the old set stops working."""
    form = ActionForm()
    if form.validate_on_submit():
        had = owned.of(current_user).backup_total > 0
        codes = backup_codes.new_set(current_user)
        remember.forget_all(current_user)
        audit.record("backup_codes_new", current_user)
        db.session.commit()
        if had:
            notices.changed(current_user, "New backup codes were made for your account; the "
                            "old ones no longer work.")
        return render_template("backup_codes.html", codes=codes, made_at=utcnow())
    return render_template("backup_offer.html", form=form, owned=owned.of(current_user))
