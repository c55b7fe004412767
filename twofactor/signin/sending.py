"""Step 2 of the tutorial, generate and send: a code to the account's stored number."""
from dataclasses import dataclass

from flask import flash

from .. import audit
from ..abuse import limits, policy
from ..extensions import db
from ..models import PendingLogin, User
from ..numbers import mask_phone
from ..providers import phone, voice
from . import codes


@dataclass
class Delivery:
    """How a send went: sent, or what to tell the person (and how long a limit makes them wait)."""

    sent: bool
    message: str = ""
    category: str = "error"  # "info" for a wait, which is news rather than an error
    retry_after: int = 0


def deliver(pending: PendingLogin, user: User, channel: str) -> bool:
    """Send a code for a page: True when it went out, else a flashed message says why."""
    result = send(pending, user, channel)
    if not result.sent:
        flash(result.message, result.category)
    return result.sent


def send(pending: PendingLogin, user: User, channel: str) -> Delivery:
    """Make a code, keep only its hash, send it to the stored number by ``channel``."""
    try:
        otp, code, counted = issue_counted_code(pending, user, channel)
    except limits.Refused as refused:
        return Delivery(False, refused.message, "info" if refused.limit == "cooldown" else "error",
                        refused.retry_after)
    urls = voice.arm_callbacks(otp, code)  # status callback and call URL; none without PUBLIC_URL
    db.session.commit()  # count the send before the slow Twilio call, and release the locks
    try:
        sent = phone.send_code(channel, user.phone, code, account=user.username, **urls)
    except phone.DeliveryError as error:
        record_failed_send(otp, user, counted, error)
        return Delivery(False, error.message)
    otp.twilio_sid = sent.sid
    audit.record("code_sent", user, f"{channel} to {mask_phone(user.phone)} for {pending.purpose}")
    db.session.commit()
    return Delivery(True)


def next_send_rules(pending: PendingLogin, user: User) -> list[limits.Rule]:
    """The rules the next send for ``pending`` obeys."""
    network = policy.client_network(audit.client_ip())
    return policy.send_rules(user, network, pending.purpose != "signup")


def next_send_refusal(pending: PendingLogin, user: User) -> limits.Refused | None:
    """The rule that would refuse a send now, saying how long to wait: the one the send obeys."""
    return limits.refusal(next_send_rules(pending, user))


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


def record_failed_send(otp, user: User, counted: list, error: phone.DeliveryError) -> None:
    """After Twilio failed: a definite refusal voids the code and is not counted; an unknown
    outcome (timeout, 5xx) may still have reached the phone, so the code and the count stay."""
    if error.definite:
        codes.void(otp)
        limits.uncount(counted)
    audit.record("send_failed", user, f"{otp.channel} twilio_error={error.twilio_code}"
                 + ("" if error.definite else " outcome=unknown"))
    db.session.commit()
