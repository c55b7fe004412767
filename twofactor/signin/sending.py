"""Step 2 of the tutorial, generate and send: a code to the account's stored number.

With a Verify provider (CODE_PROVIDER) the provider makes and sends the code instead; every
one of our send limits still applies and counts, and we keep the verification's id.
"""
from dataclasses import dataclass

from flask import current_app, flash

from .. import audit
from ..abuse import limits, policy
from ..extensions import db
from ..models import PendingLogin, User
from ..numbers import mask_phone
from ..providers import phone, voice
from ..providers.verify import provider
from . import codes

LOCAL_CHANNELS = ("sms", "voice")


@dataclass
class Delivery:
    """How a send went: sent, or what to tell the person (and how long a limit makes them wait)."""

    sent: bool
    message: str = ""
    category: str = "error"  # "info" for a wait, which is news rather than an error
    retry_after: int = 0
    same_code: bool = False  # the provider sent the code it had sent before, still valid


def deliver(pending: PendingLogin, user: User, channel: str) -> bool:
    """Send a code for a page: True when it went out, else a flashed message says why."""
    result = send(pending, user, channel)
    if not result.sent:
        flash(result.message, result.category)
    return result.sent


def channels() -> tuple[str, ...]:
    """How a code can reach the phone: text or call, and WhatsApp where the provider offers it."""
    verify = provider()
    return verify.CHANNELS if verify is not None else LOCAL_CHANNELS


def send(pending: PendingLogin, user: User, channel: str) -> Delivery:
    """Make a code, keep only its hash, send it to the stored number by ``channel``."""
    if channel not in channels():  # e.g. WhatsApp remembered from a provider no longer in use
        channel = "sms"
    if provider() is not None:
        return send_by_provider(pending, user, channel)
    try:
        otp, code, counted = issue_counted_code(pending, user, channel)
    except limits.Refused as refused:
        return refusal(refused)
    urls = voice.arm_callbacks(otp, code)  # status callback and call URL; none without PUBLIC_URL
    db.session.commit()  # count the send before the slow Twilio call, and release the locks
    try:
        sent = phone.send_code(channel, to_number(pending, user), code, account=user.username,
                               **urls)
    except phone.DeliveryError as error:
        record_failed_send(user, channel, counted, error, otp)
        return Delivery(False, error.message)
    otp.twilio_sid = sent.sid
    audit.record("code_sent", user,
                 f"{channel} to {mask_phone(to_number(pending, user))} for {pending.purpose}")
    db.session.commit()
    return Delivery(True)


def to_number(pending: PendingLogin, user: User) -> str:
    """Where this step's codes go: the number being changed to, else the account's own."""
    return pending.new_phone or user.phone


def to_confirmed(pending: PendingLogin) -> bool:
    """Whether this step's codes go to a confirmed number (sign-ups and new numbers do not)."""
    return pending.purpose not in ("signup", "newphone")


def next_send_rules(pending: PendingLogin, user: User) -> list[limits.Rule]:
    """The rules the next send for ``pending`` obeys."""
    network = policy.client_network(audit.client_ip())
    return policy.send_rules(user, network, to_confirmed(pending), pending.new_phone)


def next_send_refusal(pending: PendingLogin, user: User) -> limits.Refused | None:
    """The rule that would refuse a send now, saying how long to wait: the one the send obeys."""
    return limits.refusal(next_send_rules(pending, user))


def send_by_provider(pending: PendingLogin, user: User, channel: str) -> Delivery:
    """Have the Verify provider make and send a code, counted like ours; keep its id."""
    try:
        counted, _ = counted_send(pending, user)
    except limits.Refused as refused:
        return refusal(refused)
    db.session.commit()  # count the send before the slow provider call, and release the locks
    try:
        started = provider().start(to_number(pending, user), channel)
    except phone.DeliveryError as error:
        # No row was made, so the code the person already has still works.
        record_failed_send(user, channel, counted, error)
        return Delivery(False, error.message)
    _, replaced = codes.issue_verification(pending, started)
    audit.record("code_sent", user, f"{channel} to {mask_phone(to_number(pending, user))} "
                 f"for {pending.purpose}"
                 f" by {current_app.config['CODE_PROVIDER']}")
    db.session.commit()
    cancel(replaced)
    return Delivery(True, same_code=started.same_code)


def cancel(verification_ids: set[str]) -> None:
    """End verifications no live code holds any more, so their codes stop working there too."""
    for verification_id in verification_ids:
        try:
            provider().cancel(verification_id)
        except phone.DeliveryError:
            pass  # logged by the provider module; our row is void, so the code fails here anyway


def refusal(refused: limits.Refused) -> Delivery:
    """A limit refused the send: say so (a short wait is news rather than an error)."""
    return Delivery(False, refused.message, "info" if refused.limit == "cooldown" else "error",
                    refused.retry_after)


def issue_counted_code(pending: PendingLogin, user: User, channel: str):
    """Under the send locks: check every send limit, make the code, count the send.

    Returns (the code's row, the code, the counted events); raises limits.Refused.
    """
    # The count also says whether an older code is still to be voided (the locks cover every
    # send to this account), so a first send skips that UPDATE.
    counted, older = counted_send(pending, user, codes.unvoided_lookup(),
                                  codes.unvoided_values(pending))
    otp, code = codes.issue_code(pending, channel, others=older is not None)
    return otp, code, counted


def counted_send(pending: PendingLogin, user: User, lookup=None, values=None) -> tuple:
    """Under the send locks: check every send limit and count one send; raise limits.Refused.

    Returns the counted events and the row ``lookup`` found with the counts (see limits.check).
    """
    network = policy.client_network(audit.client_ip())
    confirmed = to_confirmed(pending)
    keys = policy.send_keys(user, network, confirmed, pending.new_phone)
    limits.lock(*keys)
    try:
        # While wrong codes have spent the account's budget, sending more would be no use.
        found = limits.check(policy.guess_rules(user.id)
                             + policy.send_rules(user, network, confirmed, pending.new_phone),
                             lookup, values)
    except limits.Refused as refused:
        audit.record("limit_hit", user, refused.limit)
        db.session.commit()
        raise
    return limits.record(*keys), found


def record_failed_send(user: User, channel: str, counted: list, error: phone.DeliveryError,
                       otp=None) -> None:
    """After the send failed: a definite refusal voids the code and is not counted; an unknown
    outcome (timeout, 5xx) may still have reached the phone, so the code and the count stay."""
    if error.definite:
        if otp is not None:
            codes.void(otp)
        limits.uncount(counted)
    audit.record("send_failed", user, f"{channel} twilio_error={error.twilio_code}"
                 + ("" if error.definite else " outcome=unknown"))
    db.session.commit()
