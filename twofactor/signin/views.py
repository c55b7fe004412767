"""The pages: sign up, sign in, enter the code, resend, sign out, home.

The tutorial's three steps: ``signup``/``login`` collect, ``deliver`` generates and
sends, ``code`` compares.
"""
from dataclasses import dataclass

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..abuse import limits, policy
from ..extensions import db, login_manager
from ..models import PendingLogin, User, utcnow
from ..numbers import mask_phone
from ..providers import phone, voice
from . import codes, sessions
from .codes import Check
from .forms import CodeForm, LoginForm, LogoutForm, ResendForm, SignupForm

bp = Blueprint("twofactor", __name__)

INVALID_LOGIN = "Invalid username or password."


@bp.route("/")
def home():
    """Greet the signed-in person; welcome a visitor; send someone half-way to the code page."""
    if current_user.is_authenticated:
        return render_template("home.html", phone=mask_phone(current_user.phone),
                               form=LogoutForm())
    if sessions.current_pending() is not None:
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
        pending = sessions.begin_pending(user, "signup", None)
        db.session.commit()
        deliver(pending, user, user.preferred_channel)
        return redirect(url_for(".code"))
    if form.name_taken:  # a probe for who has an account: counts like a sign-up
        limits.record(*(rule.key for rule in rules))
        db.session.commit()
    return render_template("signup.html", form=form)


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Check the password; only then send a code to the account's stored number."""
    form = LoginForm()
    if form.validate_on_submit():
        network = policy.client_network(audit.client_ip())
        name, password = form.username.data, form.password.data
        # Throttled by the typed name, so an unknown name is answered exactly like a known one.
        for delay in policy.password_delays(name, network):
            if refused := limits.delay_refusal(delay):
                form.password.errors.append(refused.message)
                return (render_template("login.html", form=form), 429,
                        {"Retry-After": str(refused.retry_after)})
        user = sessions.find_user(name)
        if not sessions.password_ok(user, password):
            limits.record(*policy.password_keys(name, network))
            audit.record("password_failed", user)
            db.session.commit()
            form.password.errors.append(INVALID_LOGIN)
            return render_template("login.html", form=form)
        channel = form.channel.data if form.channel.data in ("sms", "voice") else None
        # An account whose phone was never confirmed finishes its sign-up here.
        purpose = "login" if user.phone_confirmed else "signup"
        pending = sessions.begin_pending(user, purpose, request.args.get("next"))
        audit.record("password_ok", user)
        db.session.commit()
        deliver(pending, user, channel or user.preferred_channel)
        return redirect(url_for(".code"))
    return render_template("login.html", form=form)


@bp.route("/code", methods=("GET", "POST"))
def code():
    """Compare the typed code with the one sent; log in only when it matches."""
    pending = sessions.current_pending()
    if pending is None:
        flash("Your sign-in expired or was finished. Please sign in again.", "info")
        return redirect(url_for(".login"))
    user = db.session.get(User, pending.user_id)
    form = CodeForm()
    if form.validate_on_submit():
        verdict = compare(pending, user, form.code.digits)
        if verdict.signed_in:
            flash("Your phone number is confirmed. Welcome!" if pending.purpose == "signup"
                  else "You are signed in.", "success")
            return redirect(pending.next_url or url_for(".home"))
        form.code.errors.append(verdict.message)
        if verdict.retry_after:  # a limit, not the code: say until when
            return (render_code_page(pending, user, form), 429,
                    {"Retry-After": str(verdict.retry_after)})
    return render_code_page(pending, user, form)


@bp.post("/code/resend")
def resend():
    """Send a new code, by the channel on the button pressed; the old code stops working."""
    pending = sessions.current_pending()
    if pending is None:
        flash("Your sign-in expired. Please sign in again.", "info")
        return redirect(url_for(".login"))
    form = ResendForm()
    if not form.validate_on_submit():
        flash("Choose how to get your new code.", "error")
    elif deliver(pending, db.session.get(User, pending.user_id), form.channel.data):
        flash("We sent you a new code. The one before it no longer works.", "success")
    return redirect(url_for(".code"))


@bp.post("/logout")
def logout():
    """Sign out this browser; with "everywhere", every browser signed in to the account."""
    form = LogoutForm()
    if form.validate_on_submit():
        everywhere = "everywhere" in request.form
        if current_user.is_authenticated:
            audit.record("logout", current_user, "everywhere" if everywhere else "")
        sessions.end_session(everywhere=everywhere)
        db.session.commit()
        flash("You are signed out.", "info")
    return redirect(url_for(".login"))


def deliver(pending: PendingLogin, user: User, channel: str) -> bool:
    """Step 2 of the tutorial: make a code, keep only its hash, send it to the stored number.

    True when the code went out; otherwise a message says why and what to do.
    """
    try:
        otp, code, counted = issue_counted_code(pending, user, channel)
    except limits.Refused as refused:
        # A wait is news, not an error: nothing went wrong.
        flash(refused.message, "info" if refused.limit == "cooldown" else "error")
        return False
    urls = voice.arm_callbacks(otp, code)  # status callback and call URL; none without PUBLIC_URL
    db.session.commit()  # count the send before the slow Twilio call, and release the locks
    try:
        sent = phone.send_code(channel, user.phone, code, account=user.username, **urls)
    except phone.DeliveryError as error:
        record_failed_send(otp, user, counted, error)
        flash(error.message, "error")
        return False
    otp.twilio_sid = sent.sid
    audit.record("code_sent", user, f"{channel} to {mask_phone(user.phone)}")
    db.session.commit()
    return True


def issue_counted_code(pending: PendingLogin, user: User, channel: str):
    """Under the send locks: check every send limit, make the code, count the send.

    Returns (the code's row, the code, the counted events); raises limits.Refused.
    """
    network = policy.client_network(audit.client_ip())
    confirmed = pending.purpose != "signup"
    keys = policy.send_keys(user, network, confirmed)
    limits.lock(*keys)
    try:
        # While wrong codes have spent the account's budget, sending more would be no use.
        limits.check(policy.guess_rules(user.id) + policy.send_rules(user, network, confirmed))
    except limits.Refused as refused:
        audit.record("limit_hit", user, refused.limit)
        db.session.commit()
        raise
    otp, code = codes.issue_code(pending, channel)
    return otp, code, limits.record(*keys)


def record_failed_send(otp, user: User, counted: list, error: "phone.DeliveryError") -> None:
    """After Twilio failed: a definite refusal voids the code and is not counted; an unknown
    outcome (timeout, 5xx) may still have reached the phone, so the code and the count stay."""
    if error.definite:
        codes.void(otp)
        limits.uncount(counted)
    audit.record("send_failed", user, f"{otp.channel} twilio_error={error.twilio_code}"
                 + ("" if error.definite else " outcome=unknown"))
    db.session.commit()


@dataclass
class Verdict:
    """What checking a typed code decided: signed in, or what to tell the person (and, when a
    limit refused to look at the code, how many seconds to wait)."""

    signed_in: bool
    message: str = ""
    retry_after: int = 0


def compare(pending: PendingLogin, user: User, digits: str) -> Verdict:
    """Step 3 of the tutorial: check the typed code against the one sent, at most once.

    While the account's budget is spent, or it waits out the delay after several wrong codes
    in a row, the code is not even looked at.
    """
    limits.lock(policy.guess_key(user.id))
    refused = (limits.refusal(policy.guess_rules(user.id))
               or limits.delay_refusal(policy.guess_delay(user.id)))
    if refused:
        audit.record("limit_hit", user, refused.limit)
        db.session.commit()
        return Verdict(False, refused.message, refused.retry_after)
    result, otp = codes.check_code(pending, digits)
    if result is Check.OK:
        finish_sign_in(pending, user, otp)
        return Verdict(True)
    if result is Check.WRONG:
        return wrong_code(user, otp)  # still under the lock: the guess is counted first
    db.session.commit()
    if result is Check.REPLACED:
        return Verdict(False, "That code was replaced by a newer one. Enter the code we sent last.")
    return Verdict(False, "This code has expired or has been used up. Ask for a new code below.")


def wrong_code(user: User, otp) -> Verdict:
    """Count a wrong code against the account's budget; warn the holder when it is spent."""
    limits.record(policy.guess_key(user.id))
    audit.record("code_refused", user, otp.channel)
    spent = limits.refusal(policy.guess_rules(user.id)) is not None
    if spent:
        audit.record("lockout", user)
    db.session.commit()
    if spent:
        notify(user, "Someone who knows your password is trying to sign in and typed wrong "
               "codes. If it was not you, please change your password.")
    left = current_app.config["CODE_MAX_ATTEMPTS"] - otp.failed_attempts
    if left <= 0:
        return Verdict(False, "That code is not right, and it no longer works. "
                              "Ask for a new code below.")
    return Verdict(False, f"That code is not right. You can try {left} more "
                          f"time{'s' if left > 1 else ''}.")


def finish_sign_in(pending: PendingLogin, user: User, otp) -> None:
    """The code was right: confirm the phone at sign-up, and only now log in."""
    if pending.purpose == "signup":
        user.phone_confirmed = True
    audit.record("code_accepted", user, otp.channel)
    # The code was used, so the next sign-in is not a resend: it may have its code at once.
    limits.forget(policy.cooldown_key(user.id))
    sessions.start_session(user, pending)
    db.session.commit()


def notify(user: User, text: str) -> None:
    """A security notice by SMS: only to a confirmed number, and within the send limits."""
    if not user.phone_confirmed:
        return
    keys = policy.notice_keys(user)
    limits.lock(*keys)
    if (refused := limits.refusal(policy.notice_rules(user))) is not None:
        audit.record("notice_skipped", user, refused.limit)
        db.session.commit()
        return
    limits.record(*keys)
    db.session.commit()
    try:
        # Named, so the person knows which site; one segment, as APP_NAME is at most 30 characters.
        phone.send_sms(user.phone, f"{current_app.config['APP_NAME']}: {text}", account=user.username)
    except phone.DeliveryError:
        pass  # already logged by phone; the notice is a courtesy, the refusal stands either way


def render_code_page(pending: PendingLogin, user: User, form: CodeForm):
    """The code page: where the code went, when it expires, when a new one can be sent."""
    network = policy.client_network(audit.client_ip())
    # The very rule that would refuse a resend says how long to wait: one source of truth.
    waiting = limits.refusal(policy.send_rules(user, network, pending.purpose != "signup"))
    return render_template("code.html", form=form, resend=ResendForm(),
                           code=codes.latest_code(pending), phone=mask_phone(user.phone),
                           waiting=waiting, now=utcnow())
