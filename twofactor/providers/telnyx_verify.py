"""Codes made, sent and checked by Telnyx Verify (CODE_PROVIDER = "telnyx-verify")."""
from datetime import timedelta

from flask import current_app
from telnyx import APIStatusError, Telnyx, TelnyxError

from ..numbers import mask_phone
from .phone import UNKNOWN, DeliveryError
from .verify import Started, Verdict

CHANNELS = ("sms", "voice", "whatsapp")
LIFETIME = timedelta(seconds=300)  # a Verify profile's default, when an answer omits it

# Telnyx error codes we expect when sending, and what the person can do about each.
ADVICE = {
    "10001": "That phone number is not in service. Please check it, or contact the site.",
    "10002": "Our provider says your phone number is not valid. Please contact the site.",
    "10016": "Our provider says your phone number is not valid. Please contact the site.",
    "10005": "Sending codes is not working on our side. Please contact the site.",
    "10009": "Sending codes is not working on our side. Please contact the site.",
    "10010": "We cannot send codes to this number that way. Try {other}, or contact the site.",
    "10011": "We are sending a lot of codes right now. Try again in 60 seconds.",
}
REFUSED = "Our provider could not send your code. Try again in 60 seconds, or try {other}."
CHECK_BUSY = "We are checking a lot of codes right now. Try again in a minute."
CHECK_UNKNOWN = "We could not check your code just now. Please try again in a minute."
# A Telnyx error answer, a network failure or timeout, or an answer we cannot read.
TELNYX_FAILURES = (TelnyxError, ValueError)


def get_client() -> Telnyx:
    """The app's one Telnyx client, built on first use from config."""
    client = current_app.extensions.get("telnyx_client")
    if client is None:
        cfg = current_app.config
        # No retries: a retried send is a second text or call, and a retried check may count
        # as a second wrong guess.
        client = Telnyx(api_key=cfg["TELNYX_API_KEY"], base_url=cfg["TELNYX_BASE_URL"],
                        timeout=cfg["TELNYX_TIMEOUT"], max_retries=0)
        current_app.extensions["telnyx_client"] = client
    return client


def start(to: str, channel: str) -> Started:
    """Have Telnyx make a code and send it to ``to`` by ``channel``; raise DeliveryError."""
    verifications = get_client().verifications
    trigger = {"sms": verifications.trigger_sms, "voice": verifications.trigger_call,
               "whatsapp": verifications.trigger_whatsapp_verification}[channel]
    try:
        made = trigger(phone_number=to,
                       verify_profile_id=current_app.config["TELNYX_VERIFY_PROFILE_ID"])
    except TELNYX_FAILURES as error:
        raise send_error(error, to, channel) from None
    # Every trigger is a new verification with a new code; earlier ones stay as they were.
    seconds = made.data.timeout_secs  # the profile's default_verification_timeout_secs
    return Started(made.data.id, channel, same_code=False,
                   lifetime=timedelta(seconds=seconds) if seconds else LIFETIME)


def check(verification_id: str, code: str) -> Verdict:
    """Ask Telnyx whether ``code`` is right for this verification; raise DeliveryError."""
    client = get_client()
    try:
        # By verification id: a check by phone number would match any code sent to it.
        answer = client.verifications.actions.verify(verification_id, code=code)
        if answer.data.response_code == "accepted":
            return Verdict.APPROVED
        # "rejected" covers a wrong code and a verification that is over; only its status
        # tells them apart.
        status = client.verifications.retrieve(verification_id).data.status
    except TELNYX_FAILURES as error:
        if isinstance(error, APIStatusError) and error.status_code == 404:
            return Verdict.GONE
        raise check_error(error) from None
    return Verdict.WRONG if status == "pending" else Verdict.GONE


def cancel(verification_id: str) -> None:
    """Telnyx Verify has no way to cancel: the flow forgets the id and the code expires."""


def error_code(error: Exception) -> str | None:
    """The first Telnyx error code in an error answer's body, if it has one."""
    body = getattr(error, "body", None)
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("code"))
    return None


def numeric(code: str | None) -> int | None:
    """A Telnyx error code as the number DeliveryError keeps, when it is one."""
    return int(code) if code and code.isdigit() else None


def send_error(error: Exception, to: str, channel: str) -> DeliveryError:
    """What a failed send means for the person, logged once without the code."""
    status = error.status_code if isinstance(error, APIStatusError) else None
    code = error_code(error) or ("10011" if status == 429 else None)
    # Only an answer from Telnyx saying no proves nothing went out; anything else may have.
    definite = status is not None and 400 <= status < 500
    current_app.logger.error("telnyx verify %s failed: error=%s status=%s outcome=%s to=%s",
                             channel, code, status or type(error).__name__,
                             "refused" if definite else "unknown", mask_phone(to))
    other = "a phone call" if channel != "voice" else "a text message"
    advice = ADVICE.get(code, REFUSED) if definite else UNKNOWN
    return DeliveryError(advice.format(other=other), numeric(code), definite)


def check_error(error: Exception) -> DeliveryError:
    """A check Telnyx refused (definite) or did not answer (it may have counted)."""
    status = error.status_code if isinstance(error, APIStatusError) else None
    code = error_code(error)
    definite = status is not None and 400 <= status < 500
    current_app.logger.error("telnyx verify check failed: error=%s status=%s", code,
                             status or type(error).__name__)
    return DeliveryError(CHECK_BUSY if status == 429 else CHECK_UNKNOWN, numeric(code), definite)
