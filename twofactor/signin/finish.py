"""After a second factor checked out: do what the step was for, and say where to go next.

A pending step has a purpose: "signup" and "login" sign in; "stepup" lets a signed-in person
make changes on the security page for a few minutes; "newphone" confirms a new number
(account/phone_change.py); "recovery" collects the two proofs a new
password needs, and never signs in.
"""
from flask import flash, request, session, url_for

from .. import audit, notices
from ..abuse import limits, policy
from ..account import phone_change, remember
from ..extensions import db
from ..factors import owned
from ..models import PendingLogin, User, utcnow
from . import codes, sessions
from .sending import cancel

PHONE = ("sms", "voice", "whatsapp")


def proved(pending: PendingLogin, user: User, factor: str) -> str:
    """Note that ``factor`` ("sms", "voice", "whatsapp", "app", "key" or "backup") worked;
    return the next URL."""
    accepted(pending, user, factor)
    next_url = {"signup": _signed_up, "login": _signed_in, "stepup": _stepped_up,
                "recovery": _recovering, "newphone": phone_change.confirmed}[pending.purpose](
        pending, user, factor)
    if pending.done:  # the step is over: a code still on its way must not work any more
        ended = codes.end_pending_codes(pending)
        db.session.commit()
        cancel(ended)
    if factor == "backup":  # committed by now: the code is spent whatever the notice does
        left = backup_used(user)
        flash(f"You have {left} backup code{'s' if left != 1 else ''} left.",
              "info" if left > owned.FEW_BACKUP_CODES else "error")
    return next_url


def accepted(pending: PendingLogin, user: User, factor: str) -> None:
    """What any factor that worked changes, whatever the step is for and whoever asked."""
    user.factor_ok_at = utcnow()  # a run of wrong entries ends here
    if factor in PHONE:
        # The code was used, so the next sign-in is not a resend: it may have its code at once.
        limits.forget(policy.cooldown_key(user.id))
    audit.record("code_accepted", user, f"{factor} for {pending.purpose}")


def signing_in(pending: PendingLogin, user: User, factor: str) -> None:
    """What a sign-in changes on the account: a sign-up's code confirms the phone; otherwise the
    factor that worked is the one the next sign-in opens on."""
    if pending.purpose == "signup":
        user.phone_confirmed = True
    elif factor in PHONE:
        user.usual_factor, user.preferred_channel = "phone", factor
    elif factor in ("app", "key"):
        user.usual_factor = factor


def backup_used(user: User) -> int:
    """Tell the phone a backup code was used (after the commit); return how many are left."""
    left = owned.of(user).backup_left
    notices.notify(user, f"A backup code was used for your account; {left} left."
                   + notices.NOT_YOU)
    return left


def _signed_up(pending: PendingLogin, user: User, factor: str) -> str:
    """The code reached the phone given at sign-up: it is confirmed; offer backup codes."""
    signing_in(pending, user, factor)
    sessions.start_session(user, pending)
    db.session.commit()
    flash("Your phone number is confirmed. Welcome!", "success")
    return url_for("account.backup_codes_page")


def _signed_in(pending: PendingLogin, user: User, factor: str) -> str:
    """Sign in; the factor that worked is the one the next sign-in opens on."""
    signing_in(pending, user, factor)
    sessions.start_session(user, pending)
    if request.form.get("remember"):  # "Don't ask again on this browser for 30 days"
        remember.remember(user)
    db.session.commit()
    flash("You are signed in.", "success")
    return pending.next_url or url_for("twofactor.home")


def _stepped_up(pending: PendingLogin, user: User, factor: str) -> str:
    """Changes on the security page are open to this browser for STEP_UP_WINDOW."""
    pending.done = True
    sessions.mark_factor_proved()
    session.pop("pending", None)
    db.session.commit()
    flash("Thank you. You can make changes for the next few minutes.", "success")
    return pending.next_url or url_for("account.security")


def _recovering(pending: PendingLogin, user: User, factor: str) -> str:
    """A new password needs the phone and one more factor; ask for whichever is missing."""
    kind = "phone" if factor in PHONE else "other"
    proofs = set(filter(None, pending.proved.split(","))) | {kind}
    pending.proved = ",".join(sorted(proofs))
    db.session.commit()
    if proofs == {"phone", "other"}:
        return url_for("recovery.new_password")
    if kind == "phone":
        flash("Your phone is confirmed. Now use your authenticator app, your security key "
              "or a backup code.", "success")
        mine = owned.of(user)
        return url_for("twofactor.code_app" if mine.app else
                       "twofactor.code_key" if mine.keys else "twofactor.code_backup")
    flash("Now enter the code we sent to your phone.", "success")
    return url_for("twofactor.code")
