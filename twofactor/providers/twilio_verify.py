"""Codes made, sent and checked by Twilio Verify (CODE_PROVIDER = "twilio-verify")."""
from datetime import UTC, datetime, timedelta

from flask import current_app
from twilio.base.exceptions import TwilioRestException, TwilioServiceException

from ..numbers import mask_phone
from .phone import UNKNOWN, DeliveryError, get_client, twilio_failures
from .verify import Started, Verdict

CHANNELS = ("sms", "voice", "whatsapp")
TWILIO_CHANNEL = {"sms": "sms", "voice": "call", "whatsapp": "whatsapp"}
LIFETIME = timedelta(minutes=10)  # fixed by Twilio, counted from the first send
NOT_FOUND, TOO_MANY_CHECKS, INVALID_PARAMETER = 20404, 60202, 60200

# Twilio Verify error codes we expect when sending, and what the person can do about each.
# {other} is the other way to get a code ("a phone call" or "a text message").
ADVICE = {
    60200: "Our provider says your phone number is not valid. Please contact the site.",
    60203: ("We have sent this code as many times as we can. Use the code you already have, "
            "or wait 10 minutes and ask for a new one."),
    60205: "That number is a landline, which cannot get text messages. Try a phone call instead.",
    60212: "We are already sending a code to this number. Wait a minute, then try again.",
    60410: "We cannot send codes to this number. Please contact the site.",
    60605: "We cannot send codes to your country right now. Please contact the site.",
    20003: "Sending codes is not working on our side. Please contact the site.",
    20404: "Sending codes is not working on our side. Please contact the site.",
    20429: "We are sending a lot of codes right now. Try again in 60 seconds.",
}
REFUSED = "Our provider could not send your code. Try again in 60 seconds, or try {other}."
CHECK_BUSY = "We are checking a lot of codes right now. Try again in a minute."
CHECK_UNKNOWN = "We could not check your code just now. Please try again in a minute."


def service():
    """The Verify service named by TWILIO_VERIFY_SERVICE_SID, on the app's Twilio client."""
    return get_client().verify.v2.services(current_app.config["TWILIO_VERIFY_SERVICE_SID"])


def start(to: str, channel: str) -> Started:
    """Have Twilio make a code and send it to ``to`` by ``channel``; raise DeliveryError."""
    try:
        made = service().verifications.create(to=to, channel=TWILIO_CHANNEL[channel])
    except twilio_failures() as error:
        raise send_error(error, to, channel) from None
    # Within 10 minutes Twilio re-sends the pending verification's code and lists each send.
    return Started(made.sid, channel, same_code=len(made.send_code_attempts or ()) > 1,
                   lifetime=remaining(made.date_created))


def remaining(created: datetime | str | None) -> timedelta:
    """How long a verification's code still works: 10 minutes from its first send."""
    if not isinstance(created, datetime):  # the client leaves a date it cannot read as text
        return LIFETIME
    return max(timedelta(0), LIFETIME - (datetime.now(UTC) - created))


def check(verification_id: str, code: str) -> Verdict:
    """Ask Twilio whether ``code`` is right for this verification; raise DeliveryError."""
    if not 4 <= len(code) <= 10:  # Twilio's codes are 4 to 10 characters: no need to ask
        return Verdict.WRONG
    try:
        # By verification id only: a check by phone number would match any code sent to it.
        checked = service().verification_checks.create(verification_sid=verification_id,
                                                       code=code)
    except twilio_failures() as error:
        code_, status = error_code(error)
        if code_ == TOO_MANY_CHECKS:
            return Verdict.TOO_MANY
        if code_ == NOT_FOUND:  # approved, expired or cancelled: Twilio forgets it at once
            return Verdict.GONE
        if code_ == INVALID_PARAMETER:  # not 4 to 10 characters, so not the code we sent
            return Verdict.WRONG
        raise check_error(error, code_, status) from None
    return {"approved": Verdict.APPROVED, "pending": Verdict.WRONG,
            "max_attempts_reached": Verdict.TOO_MANY}.get(checked.status, Verdict.GONE)


def cancel(verification_id: str) -> None:
    """End the verification so its code stops working; one already gone is fine."""
    try:
        service().verifications(verification_id).update(status="canceled")
    except twilio_failures() as error:
        code, status = error_code(error)
        if code != NOT_FOUND:
            raise check_error(error, code, status) from None


def error_code(error: Exception) -> tuple[int | None, int | None]:
    """Twilio's error code and HTTP status, or (None, None) when Twilio did not answer."""
    if not isinstance(error, (TwilioRestException, TwilioServiceException)):
        return None, None
    code, status = error.code, error.status
    if code == status:  # no Twilio error body (a proxy's page): only the HTTP status
        code = None
    if status == 429 and code is None:
        code = 20429
    return code, status


def send_error(error: Exception, to: str, channel: str) -> DeliveryError:
    """What a failed send means for the person, logged once without the code."""
    code, status = error_code(error)
    # Only an answer from Twilio saying no proves nothing went out; anything else may have.
    definite = status is not None and 400 <= status < 500
    current_app.logger.error("twilio verify %s failed: error=%s status=%s outcome=%s to=%s",
                             channel, code, status or type(error).__name__,
                             "refused" if definite else "unknown", mask_phone(to))
    other = "a phone call" if channel != "voice" else "a text message"
    advice = ADVICE.get(code, REFUSED) if definite else UNKNOWN
    return DeliveryError(advice.format(other=other), code, definite)


def check_error(error: Exception, code: int | None, status: int | None) -> DeliveryError:
    """A check or cancel Twilio refused (definite) or did not answer (it may have counted)."""
    definite = status is not None and 400 <= status < 500
    current_app.logger.error("twilio verify check failed: error=%s status=%s", code,
                             status or type(error).__name__)
    return DeliveryError(CHECK_BUSY if status == 429 else CHECK_UNKNOWN, code, definite)
