"""Step 3 of the tutorial, compare: check what was typed against the chosen factor, once.

Every factor draws on one account budget of wrong entries (a wrong authenticator code
counts twice: it was checked against two time steps). While the budget is spent or the
delay after a run of wrong entries runs, phone and app codes and security keys' answers are
not even looked at; backup codes still are, as 80 random bits cannot be guessed, so a person
whose budget an attacker spent still gets in.
"""
from dataclasses import dataclass

from flask import current_app

from .. import audit, notices
from ..abuse import limits, policy
from ..extensions import db
from ..factors import backup_codes, owned, totp, webauthn
from ..models import PendingLogin, User
from ..providers.phone import DeliveryError
from ..providers.verify import provider
from .codes import Check, check_code, check_with_provider

APP_WRONG_WEIGHT = 2  # one wrong app code was compared with two steps' codes


@dataclass
class Verdict:
    """What checking decided: proved, or what to tell the person (and, when a limit refused
    to look at the code, how many seconds to wait)."""

    proved: bool
    message: str = ""
    retry_after: int = 0


def held_back(user: User, factor: str) -> Verdict | None:
    """Under the account's guess lock: a refusal while the budget is spent or a delay runs."""
    limits.lock(policy.guess_key(user.id))
    if factor == "backup":
        return None
    refused = limits.refusal(policy.guess_rules(user.id), [policy.guess_delay(user)])
    if refused is None:
        return None
    audit.record("limit_hit", user, refused.limit)
    db.session.commit()
    return Verdict(False, refused.message, refused.retry_after)


def phone_code(pending: PendingLogin, user: User, digits: str) -> Verdict:
    """Check a code sent by text or call, for this pending step only."""
    if refused := held_back(user, "phone"):
        return refused
    if provider() is None:
        result, otp = check_code(pending, digits)
    else:
        # Still under the guess lock, so parallel guesses cannot outrun the account's budget.
        try:
            result, otp = check_with_provider(pending, digits)
        except DeliveryError as error:  # the provider could not say: nothing is counted
            db.session.commit()
            return Verdict(False, error.message)
    if result is Check.OK:
        return Verdict(True)
    if result is Check.WRONG:
        left = current_app.config["CODE_MAX_ATTEMPTS"] - otp.failed_attempts
        wrong(user, otp.channel)
        if left <= 0:
            return Verdict(False, "That code is not right, and it no longer works. "
                                  "Ask for a new code below.")
        return Verdict(False, f"That code is not right. You can try {left} more "
                              f"time{'s' if left > 1 else ''}.")
    db.session.commit()
    if result is Check.REPLACED:
        return Verdict(False, "That code was replaced by a newer one. Enter the code we sent last.")
    return Verdict(False, "This code has expired or has been used up. Ask for a new code below.")


def app_code(user: User, digits: str) -> Verdict:
    """Check a code from the account's authenticator app (each time step works once)."""
    app = owned.enabled_app(user.id)
    if app is None:
        return Verdict(False, "This account has no authenticator app. Choose another way below.")
    if refused := held_back(user, "app"):
        return refused
    result = totp.check(app, digits)
    if result is totp.TotpCheck.OK:
        return Verdict(True)
    if result is totp.TotpCheck.REPLAYED:  # typed twice, not guessed: not counted
        db.session.commit()
        return Verdict(False, "That code was just used. Wait for your app to show the next one.")
    wrong(user, "app", weight=APP_WRONG_WEIGHT)
    return Verdict(False, "That code is not right. Type the code your app shows now, and "
                          "check that your phone's clock is set automatically.")


def backup_code(user: User, typed: str) -> Verdict:
    """Check a backup code; a right one is used up at once."""
    held_back(user, "backup")  # takes the lock; the budget does not apply
    if backup_codes.use(user.id, typed):
        return Verdict(True)
    wrong(user, "backup")
    return Verdict(False, "That backup code is not right, or it was used already.")


def key_ceremony(pending: PendingLogin) -> str:
    """What a pending step asks a security key for: a step-up, or else a sign-in."""
    return "stepup" if pending.purpose == "stepup" else "signin"


def security_key(pending: PendingLogin, user: User, credential_json: str) -> Verdict:
    """Check a security key's answer to a challenge made for this pending step only."""
    if refused := held_back(user, "key"):
        return refused
    try:
        webauthn.authenticate(user, credential_json, key_ceremony(pending), pending.id)
    except webauthn.KeyRefused as refused:
        limits.lock(policy.guess_key(user.id))  # authenticate committed, which let the lock go
        wrong(user, "key")
        return Verdict(False, str(refused))
    return Verdict(True)


def wrong(user: User, factor: str, weight: int = 1) -> None:
    """Count a wrong entry against the account's budget, still under the lock; warn the holder
    of the phone when the budget is spent."""
    limits.record(policy.guess_key(user.id), weight=weight)
    audit.record("code_refused", user, factor)
    spent = limits.refusal(policy.guess_rules(user.id)) is not None
    if spent:
        audit.record("lockout", user)
    db.session.commit()
    if spent:
        notices.notify(user, "Someone who knows your password is trying to sign in and typed "
                       "wrong codes. If it was not you, please change your password.")
