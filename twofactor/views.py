"""The pages: sign up, sign in, enter the code, resend, sign out, home.

The tutorial's three steps: ``signup``/``login`` collect, ``deliver`` generates and
sends, ``code`` compares.
"""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from . import audit, codes, limits, phone, sessions, voice
from .codes import Check
from .extensions import db, login_manager
from .forms import CodeForm, LoginForm, LogoutForm, ResendForm, SignupForm
from .models import PendingLogin, User, utcnow
from .numbers import mask_phone

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
    if form.validate_on_submit():
        user = User(username=form.username.data, phone=form.phone.e164,
                    preferred_channel=form.channel.data)
        user.set_password(form.password.data)
        db.session.add(user)
        try:
            db.session.flush()
        except IntegrityError:  # someone took the name since the form was checked
            db.session.rollback()
            form.username.errors.append("That username is taken. Please choose another.")
            return render_template("signup.html", form=form)
        audit.record("signup", user, f"phone {mask_phone(user.phone)}")
        pending = sessions.begin_pending(user, "signup", None)
        db.session.commit()
        deliver(pending, user, user.preferred_channel)
        return redirect(url_for(".code"))
    return render_template("signup.html", form=form)


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Check the password; only then send a code to the account's stored number."""
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(db.select(User).where(User.username == form.username.data))
        if not sessions.password_ok(user, form.password.data):
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
        try:
            problem = compare(pending, user, form.code.digits)
        except limits.Refused as refused:  # the account's budget is spent: say until when
            form.code.errors.append(refused.message)
            return (render_code_page(pending, user, form), 429,
                    {"Retry-After": str(refused.retry_after)})
        if problem is None:
            flash("Your phone number is confirmed. Welcome!" if pending.purpose == "signup"
                  else "You are signed in.", "success")
            return redirect(pending.next_url or url_for(".home"))
        form.code.errors.append(problem)
    return render_code_page(pending, user, form)


@bp.post("/code/resend")
def resend():
    """Send a new code, by the channel on the button pressed; the old code stops working."""
    pending = sessions.current_pending()
    if pending is None:
        flash("Your sign-in expired. Please sign in again.", "info")
        return redirect(url_for(".login"))
    form = ResendForm()
    if form.validate_on_submit():
        deliver(pending, db.session.get(User, pending.user_id), form.channel.data)
    else:
        flash("Choose how to get your new code.", "error")
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
    """Step 2 of the tutorial: make a code, keep only its hash, send it to the stored number."""
    ip = audit.client_ip()
    limits.lock_account(user.id)
    try:
        limits.check_budget(user.id)
        limits.check_send(user, ip)
    except limits.Refused as refused:
        audit.record("limit_hit", user, refused.limit)
        db.session.commit()
        flash(refused.message, "info" if refused.limit == "cooldown" else "error")  # a wait is news
        return False
    otp, secret = codes.issue_code(pending, channel)
    urls = voice.webhook_urls(otp, secret)  # status callback and call URL; none without PUBLIC_URL
    event = limits.record_send(user, ip)
    db.session.commit()  # count the send before the slow Twilio call, and release the lock
    try:
        sent = phone.send_code(channel, user.phone, secret, **urls)
    except phone.DeliveryError as error:
        # Twilio's failure must not leave a live code or spend the person's send budget.
        otp.voided, otp.call_code_sealed = True, None
        db.session.delete(event)
        audit.record("send_failed", user, f"{channel} twilio_error={error.twilio_code}")
        db.session.commit()
        flash(error.message, "error")
        return False
    otp.twilio_sid = sent.sid
    audit.record("code_sent", user, f"{channel} to {mask_phone(user.phone)}")
    db.session.commit()
    return True


def compare(pending: PendingLogin, user: User, digits: str) -> str | None:
    """Step 3 of the tutorial: check the code; None on success, else what to tell the person.

    Raises limits.Refused, without looking at the code, while the account's budget is
    spent or it waits out the delay after several wrong codes in a row.
    """
    limits.lock_account(user.id)
    try:
        limits.check_budget(user.id)
        limits.check_delay(user.id)
    except limits.Refused as refused:
        audit.record("limit_hit", user, refused.limit)
        db.session.commit()
        raise
    result, otp = codes.check_code(pending, digits)
    if result is Check.OK:
        if pending.purpose == "signup":
            user.phone_confirmed = True
        audit.record("code_accepted", user, otp.channel)
        # the code proves the phone, so log in only now
        sessions.start_session(user, pending)
        db.session.commit()
        return None
    if result is Check.DEAD:
        db.session.commit()
        return "This code has expired or has been used up. Ask for a new code below."
    spent = limits.record_failed_guess(user.id)
    audit.record("code_refused", user, otp.channel)
    if spent:
        audit.record("lockout", user)
    db.session.commit()
    if spent:
        notify_lockout(user)
    left = current_app.config["CODE_MAX_ATTEMPTS"] - otp.failed_attempts
    if left <= 0:
        return "That code is not right, and it no longer works. Ask for a new code below."
    return f"That code is not right. You can try {left} more time{'s' if left > 1 else ''}."


def notify_lockout(user: User) -> None:
    """Tell the account holder by SMS that someone with their password is guessing codes."""
    try:
        # named, so the person knows which site; one segment, as APP_NAME is at most 30 characters
        phone.send_sms(user.phone, f"{current_app.config['APP_NAME']}: Someone who knows your "
                       "password is trying to sign in and typed wrong codes. If it was not you, "
                       "please contact us.")
    except phone.DeliveryError:
        pass  # already logged by phone; the lockout itself stands either way


def render_code_page(pending: PendingLogin, user: User, form: CodeForm):
    """The code page: where the code went, when it expires, when a new one can be sent."""
    latest = codes.latest_code(pending)
    now = utcnow()
    wait = 0
    if latest is not None and not latest.voided:  # a failed send does not hold back the next
        wait = max(0, int((latest.created_at + current_app.config["SEND_COOLDOWN"] - now)
                          .total_seconds() + 0.999))
    return render_template("code.html", form=form, resend=ResendForm(), code=latest,
                           phone=mask_phone(user.phone), resend_wait=wait, now=now)
