"""The sign-in pages: sign up, sign in, the second step by any factor, resend, sign out, home.

The tutorial's three steps: ``signup``/``login`` collect (forms.py), ``deliver`` generates and
sends (sending.py), ``code`` compares (checking.py); finish.py then signs the person in.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..account import remember
from ..abuse import limits, policy
from ..extensions import db, login_manager
from ..factors import owned, webauthn
from ..models import PendingLogin, User, utcnow
from ..numbers import mask_phone
from . import checking, codes, finish, password, sending, sessions, steps
from .forms import (BackupCodeForm, CodeForm, KeyForm, LoginForm, LogoutForm, PhoneCodeForm,
                    ResendForm, SignupForm)
from .password import INVALID_LOGIN
from .sending import cancel, channels, deliver, send

bp = Blueprint("twofactor", __name__)
bp.add_app_template_global(channels, "phone_channels")  # which "… me a code" buttons to show


@bp.route("/")
def home():
    """Greet the signed-in person; welcome a visitor; send someone half-way to the code page."""
    if current_user.is_authenticated:
        return render_template("home.html", phone=mask_phone(current_user.phone),
                               owned=owned.of(current_user), form=LogoutForm())
    if steps.current_pending() is not None:
        return login_manager.unauthorized()  # finish signing in first
    return render_template("welcome.html")


@bp.route("/signup", methods=("GET", "POST"))
def signup():
    """Collect a new account and its phone number, then send a code to confirm the phone."""
    form = SignupForm()
    network = policy.client_network(audit.client_ip())
    rules = policy.signup_rules(network)
    if form.is_submitted() and (refused := limits.refusal(rules)):
        # Checked before the form, so "that name is taken" cannot be probed past the limit.
        form.username.errors = [refused.message]
        return (render_template("signup.html", form=form), 429,
                {"Retry-After": str(refused.retry_after)})
    if form.validate_on_submit():
        user = User(username=form.username.data, phone=form.phone.e164,
                    preferred_channel=form.channel.data)
        user.set_password(form.password.data)  # slow: before any lock is taken
        limits.lock(*(rule.key for rule in rules))
        try:
            limits.check(rules)
            db.session.add(user)
            db.session.flush()
        except (limits.Refused, IntegrityError) as problem:  # a parallel sign-up won the race
            db.session.rollback()
            form.username.errors.append(getattr(problem, "message", SignupForm.TAKEN))
            return render_template("signup.html", form=form)
        limits.record(*(rule.key for rule in rules))
        audit.record("signup", user, f"phone {mask_phone(user.phone)}")
        pending = steps.begin_pending(user, "signup", None)
        db.session.commit()
        deliver(pending, user, user.preferred_channel)
        return redirect(url_for(".code"))
    if form.name_taken:  # a probe for who has an account: counts like a sign-up
        limits.record(*(rule.key for rule in rules))
        db.session.commit()
    return render_template("signup.html", form=form)


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Check the password; only then open the second step on the person's usual factor."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = password.check(form.username.data, form.password.data)
        except limits.Refused as refused:
            form.password.errors.append(refused.message)
            return (render_template("login.html", form=form), 429,
                    {"Retry-After": str(refused.retry_after)})
        if user is None:
            form.password.errors.append(INVALID_LOGIN)
            return render_template("login.html", form=form)
        purpose = password.purpose(user)
        pending = steps.begin_pending(user, purpose, request.args.get("next"))
        password.passed(user)
        if purpose == "login" and (browser := remember.recognised(user)) is not None:
            return redirect(remember.signed_in(pending, user, browser))  # skips only this step
        opens_on = {"app": ".code_app", "key": ".code_key"}.get(user.usual_factor)
        if purpose == "login" and opens_on and owned.of(user).has(user.usual_factor):
            return redirect(url_for(opens_on))  # nothing is sent
        deliver(pending, user, user.preferred_channel)
        return redirect(url_for(".code"))
    return render_template("login.html", form=form)


@bp.route("/code", methods=("GET", "POST"))
def code():
    """Compare the typed code with the one sent to the phone."""
    return second_step("phone", PhoneCodeForm, lambda pending, user, form:
                       checking.phone_code(pending, user, form.code.digits))


@bp.route("/code/app", methods=("GET", "POST"))
def code_app():
    """Compare the typed code with the one the authenticator app shows now."""
    return second_step("app", CodeForm, lambda pending, user, form:
                       checking.app_code(user, form.code.digits))


@bp.route("/code/backup", methods=("GET", "POST"))
def code_backup():
    """Accept one of the account's backup codes, once."""
    return second_step("backup", BackupCodeForm, lambda pending, user, form:
                       checking.backup_code(user, form.code.clean))


@bp.route("/code/key", methods=("GET", "POST"))
def code_key():
    """Check the answer the browser got from one of the account's security keys."""
    return second_step("key", KeyForm, lambda pending, user, form:
                       checking.security_key(pending, user, form.credential.data))


@bp.post("/code/key/options")
def code_key_options():
    """A fresh challenge for the browser's security-key prompt, for this pending step only."""
    pending = steps.current_pending()
    user = db.session.get(User, pending.user_id) if pending is not None else None
    if user is None or pending.purpose == "signup" or not owned.of(user).keys:
        return {"error": "That step expired or has no security key."}, 400
    options = webauthn.authentication_options(user, checking.key_ceremony(pending), pending.id)
    return options, 200, {"Content-Type": "application/json"}


def second_step(factor: str, form_class, check):
    """The one shape of every second-step page: find the pending step, check, then finish."""
    pending = steps.current_pending()
    if pending is None:
        flash("That step expired or was finished. Please start again.", "info")
        return redirect(url_for("account.security" if current_user.is_authenticated
                                else ".login"))
    user = db.session.get(User, pending.user_id)
    mine = steps.pending_factors(pending, user)
    if factor not in owned.for_step(mine, pending.purpose):
        flash("That way is not set up for this account. Use a code sent to your phone.", "info")
        return redirect(url_for(".code"))
    form = form_class()
    if form.validate_on_submit():
        limits.expect(sending.next_send_rules(pending, user))  # the page's wait, counted at once
        verdict = check(pending, user, form)
        if verdict.proved:
            used = codes.latest_code(pending).channel if factor == "phone" else factor
            return redirect(finish.proved(pending, user, used))
        (form.credential if factor == "key" else form.code).errors.append(verdict.message)
        if verdict.retry_after:  # a limit, not the code: say until when
            return (render_step(factor, pending, user, mine, form), 429,
                    {"Retry-After": str(verdict.retry_after)})
    return render_step(factor, pending, user, mine, form)


@bp.post("/code/resend")
def resend():
    """Send a code to the phone, by the channel on the button pressed; the old code stops working."""
    pending = steps.current_pending()
    if pending is None:
        flash("That step expired. Please start again.", "info")
        return redirect(url_for(".login"))
    form = ResendForm()
    had_code = codes.latest_code(pending) is not None
    if not form.validate_on_submit():
        flash("Choose how to get your new code.", "error")
        return redirect(url_for(".code"))
    result = send(pending, db.session.get(User, pending.user_id), form.channel.data)
    if not result.sent:
        flash(result.message, result.category)
    elif result.same_code:  # Twilio Verify repeats a code that is still valid
        flash("We sent the same code again; it still works.", "success")
    else:
        flash("We sent you a new code. The one before it no longer works." if had_code
              else "We sent you a code.", "success")
    return redirect(url_for(".code"))


@bp.post("/logout")
def logout():
    """Sign out this browser; with "everywhere", every browser signed in to the account."""
    form = LogoutForm()
    if form.validate_on_submit():
        everywhere = "everywhere" in request.form
        if current_user.is_authenticated:
            audit.record("logout", current_user, "everywhere" if everywhere else "")
        pending = steps.current_pending()
        ended = codes.end_pending_codes(pending) if pending is not None else set()
        sessions.end_session(everywhere=everywhere)
        db.session.commit()
        cancel(ended)  # a code still on its way stops working at the provider too
        flash("You are signed out.", "info")
    return redirect(url_for(".login"))


TITLES = {"signup": "Confirm your phone", "login": "Enter your code",
          "stepup": "Confirm it's you", "recovery": "Reset your password",
          "newphone": "Confirm your new number"}


def render_step(factor: str, pending: PendingLogin, user: User, mine: owned.Owned, form):
    """A second-step page, with the other ways this account can pass it."""
    # The very rule that would refuse a resend says how long to wait: one source of truth.
    waiting = sending.next_send_refusal(pending, user)
    others = [way for way in owned.for_step(mine, pending.purpose) if way not in ("phone", factor)]
    template = {"phone": "code.html", "app": "app_code.html", "backup": "backup_code.html",
                "key": "key_code.html"}
    return render_template(template[factor], form=form, resend=ResendForm(), others=others,
                           title=TITLES[pending.purpose], purpose=pending.purpose,
                           code=codes.latest_code(pending),
                           phone=mask_phone(sending.to_number(pending, user)),
                           waiting=waiting, now=utcnow())
